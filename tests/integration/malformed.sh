#!/bin/bash
# Malformed frames injected on the kernel side of tap0 (AF_PACKET) are
# dropped and counted under the right names, and the engine keeps
# answering ping.
. "$(dirname "$0")/lib.sh"

lab_up
mac=$(ts info --lab "$LAB" | awk '$1 == "mac" { print $2 }')
[ -n "$mac" ] || fail "tapsock info gave no MAC"
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "ping before injection failed"

inject() {
	kside python3 - "$mac" "$1" <<'PY'
import socket, struct, sys

dst = bytes.fromhex(sys.argv[1].replace(":", ""))
kind = sys.argv[2]
src = bytes.fromhex(open("/sys/class/net/tap0/address").read().strip().replace(":", ""))
eth = dst + src + b"\x08\x00"

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def iphdr(ver=4, tot=28, good_csum=True):
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | 5, 0, tot, 1, 0, 64, 1, 0,
                    socket.inet_aton("198.18.0.1"), socket.inet_aton("198.18.0.2"))
    c = csum(h)
    if not good_csum:
        c ^= 0x5555
    return h[:10] + struct.pack("!H", c) + h[12:]

icmp = b"\x08\x00\xf7\xff\x00\x00\x00\x00"  # echo request, id 0 seq 0
frames = {
    "runt": eth + b"\x45\x00\x00",              # IPv4 type, 3 bytes of header
    "version": eth + iphdr(ver=6) + icmp,
    "csum": eth + iphdr(good_csum=False) + icmp,
    "truncated": eth + iphdr(tot=200) + icmp,   # says 200, carries 28
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("tap0", 0))
s.send(frames[kind])
PY
}

# A function, so wait_until reads the counter on every try.
moved() { [ "$(stat_get "$1")" -gt "$2" ]; }

check() { # kind counter
	local before after
	before=$(stat_get "$2")
	inject "$1" || fail "could not inject the $1 frame"
	wait_until 5 moved "$2" "$before" ||
		fail "$1 frame: $2 did not move (still $before)"
	after=$(stat_get "$2")
	assert_eq "$((after - before))" 1 "$1 frame: $2 delta"
}

echos0=$(stat_get IcmpInEchos)
check runt IpInHdrErrors
check version TsExtIpInBadVersion
check csum IpExtInCsumErrors
check truncated TsExtIpInTruncated
# None of them was taken for an echo request.
assert_eq "$(stat_get IcmpInEchos)" "$echos0" "IcmpInEchos after malformed frames"
out=$(kside ping -c 3 -i 0.2 -W 2 "$ENGINE_IP") || fail "ping after injection failed: $out"
assert_contains "$out" "3 received" "ping after malformed frames"
pass
