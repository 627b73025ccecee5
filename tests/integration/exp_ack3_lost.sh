#!/bin/bash
# tapsock experiment ack3-lost --check (experiments/ack3-lost.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check ack3-lost
