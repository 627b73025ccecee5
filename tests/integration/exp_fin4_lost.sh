#!/bin/bash
# tapsock experiment fin4-lost --check (experiments/fin4-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check fin4-lost
