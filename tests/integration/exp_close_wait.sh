#!/bin/bash
# tapsock experiment close-wait --check (experiments/close-wait.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check close-wait
