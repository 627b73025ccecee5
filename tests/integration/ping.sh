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
pass
