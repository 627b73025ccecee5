#!/bin/bash
# tapsock experiment fast-retransmit --check (experiments/fast-retransmit.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check fast-retransmit
