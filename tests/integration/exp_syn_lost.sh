#!/bin/bash
# tapsock experiment syn-lost --check (experiments/syn-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check syn-lost
