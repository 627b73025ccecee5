#!/bin/bash
# tapsock experiment synack-lost --check (experiments/synack-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check synack-lost
