#!/bin/bash
# tapsock experiment syn-flood --check (experiments/syn-flood.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check syn-flood
