#!/bin/bash
# tapsock experiment fin2-lost --check (experiments/fin2-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check fin2-lost
