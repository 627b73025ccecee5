#!/bin/bash
# tapsock experiment timewait-restart --check (experiments/timewait-restart.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check timewait-restart
