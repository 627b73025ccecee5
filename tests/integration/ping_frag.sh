#!/bin/bash
# ping -s 8000 over a 1500-byte MTU: the kernel fragments the request, the
# engine reassembles it, and fragments its reply, which the kernel
# reassembles.
. "$(dirname "$0")/lib.sh"

lab_up
reasm0=$(stat_get IpReasmOKs)
frag0=$(stat_get IpFragCreates)
out=$(kside ping -c 3 -i 0.2 -W 2 -s 8000 "$ENGINE_IP") || fail "ping -s 8000 failed: $out"
assert_contains "$out" "3 packets transmitted, 3 received" "fragmented ping replies"
assert_contains "$out" "8008 bytes from $ENGINE_IP" "reply size"
assert_eq "$(($(stat_get IpReasmOKs) - reasm0))" 3 "IpReasmOKs delta"
# 8028-byte datagrams in 1500-byte packets: 6 fragments each.
assert_ge "$(($(stat_get IpFragCreates) - frag0))" 18 "IpFragCreates delta"
assert_eq "$(stat_get IpReasmFails)" 0 "IpReasmFails"
pass
