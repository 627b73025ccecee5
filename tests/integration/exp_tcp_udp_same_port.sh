#!/bin/bash
# tapsock experiment tcp-udp-same-port --check (experiments/tcp-udp-same-port.sh): its verdict.
. "$(dirname "$0")/exp_lib.sh"
exp_check tcp-udp-same-port
