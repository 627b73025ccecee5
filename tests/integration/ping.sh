#!/bin/bash
# The kernel side pings the engine: 5 requests, 5 replies, and the engine's
# counters (IcmpInEchos, IcmpOutEchoReps) move by exactly 5.
. "$(dirname "$0")/lib.sh"

lab_up
in0=$(stat_get IcmpInEchos)
out0=$(stat_get IcmpOutEchoReps)
out=$(kside ping -c 5 -i 0.2 -W 2 "$ENGINE_IP") || fail "ping failed: $out"
assert_contains "$out" "5 packets transmitted, 5 received" "ping replies"
assert_eq "$(($(stat_get IcmpInEchos) - in0))" 5 "IcmpInEchos delta"
assert_eq "$(($(stat_get IcmpOutEchoReps) - out0))" 5 "IcmpOutEchoReps delta"
# The replies come from the engine's address, which only the engine owns.
assert_contains "$out" "bytes from $ENGINE_IP" "reply source"
# nstat-like output: "Name  value", zero counters only with -z.
line=$(ts stat --lab "$LAB" IcmpInEchos)
assert_eq "$(echo "$line" | awk '{ print $1 }')" IcmpInEchos "stat line name"
ts stat --lab "$LAB" | awk '$2 == 0 { exit 1 }' || fail "stat without -z shows zeros"
ts stat --lab "$LAB" -z | grep -q '^TcpExtListenDrops ' || fail "stat -z hides zeros"
# --reset zeroes the counters after printing them.
ts stat --lab "$LAB" --reset >/dev/null || fail "stat --reset failed"
assert_eq "$(stat_get IcmpInEchos)" 0 "IcmpInEchos after --reset"
pass
