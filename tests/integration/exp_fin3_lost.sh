#!/bin/bash
# tapsock experiment fin3-lost --check (experiments/fin3-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check fin3-lost
