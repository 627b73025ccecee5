#!/bin/bash
# tapsock experiment fin1-lost --check (experiments/fin1-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check fin1-lost
