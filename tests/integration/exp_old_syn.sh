#!/bin/bash
# tapsock experiment old-syn --check (experiments/old-syn.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check old-syn
