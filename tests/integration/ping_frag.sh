#!/bin/bash
# ping -s 8000 over a 1500-byte MTU: the kernel fragments the request, the
# engine reassembles it, and fragments its reply, which the kernel
# reassembles.  Then a lab with --mtu 9000 carries the same pings whole.
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

# With --mtu 9000 (engine and kernel side alike) the same size goes
# unfragmented, DF set.
lab_down
lab_up --mtu 9000
assert_eq "$(ts info --lab "$LAB" | awk '$1 == "mtu" { print $2 }')" 9000 "engine MTU"
kside ip link show tap0 | grep -q 'mtu 9000' || fail "kernel side MTU is not 9000"
out=$(kside ping -c 2 -i 0.2 -W 2 -s 8000 -M do "$ENGINE_IP") || fail "ping -M do failed: $out"
assert_contains "$out" "2 received" "unfragmented ping at MTU 9000"
assert_eq "$(stat_get IpReasmReqds)" 0 "IpReasmReqds at MTU 9000"
assert_eq "$(stat_get IpFragCreates)" 0 "IpFragCreates at MTU 9000"
pass
