#!/bin/bash
# Loopback through the engine: a preloaded python sends itself a UDP
# datagram on 127.0.0.1.  `tapsock capture --lo` records it once, with
# the zero-MAC Ethernet header Linux's lo shows (tcpdump reads it), and a
# fault rule marked `lo` loses it, while a rule without `lo` does not.
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null 2>&1 || fail "needs tcpdump (tests/check installs it)"
mktmp
lab_up
cat >"$TMPD/self.py" <<'PY'
import socket
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 9999))
rx.settimeout(2)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.sendto(b"hello", ("127.0.0.1", 9999))
try:
    data, addr = rx.recvfrom(100)
    print("got", data.decode(), addr[0])
except socket.timeout:
    print("timeout")
PY
selfsend() {
	ts run --lab "$LAB" -- timeout 10 python3 "$TMPD/self.py"
}

timeout 30 "$TAPSOCK" capture --lab "$LAB" --lo -c 1 -w "$TMPD/lo.pcap" udp and port 9999 \
	>"$TMPD/cap.out" 2>&1 &
cap=$!
wait_until 10 test -s "$TMPD/lo.pcap" || fail "capture did not start"
out=$(selfsend) || fail "python through the shim: $out"
assert_eq "$out" "got hello 127.0.0.1" "datagram to itself"
wait "$cap" || fail "capture exited with $?: $(cat "$TMPD/cap.out")"
dump=$(timeout 30 tcpdump -n -e -r "$TMPD/lo.pcap" 2>/dev/null) || fail "tcpdump cannot read it"
assert_eq "$(echo "$dump" | wc -l)" 1 "one record per loopback datagram"
assert_contains "$dump" "00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv4" "fake lo header"
assert_contains "$dump" "> 127.0.0.1.9999: UDP, length 5" "the datagram"

# A rule without `lo` never sees loopback packets.
ts fault add --lab "$LAB" drop proto udp port 9999 >/dev/null || fail "fault add"
assert_eq "$(selfsend)" "got hello 127.0.0.1" "datagram with a link-only rule"
# With `lo` it loses the datagram.
ts fault add --lab "$LAB" drop proto udp port 9999 lo >/dev/null || fail "fault add lo"
assert_eq "$(selfsend)" "timeout" "datagram with a lo rule"
json=$(ts fault list --lab "$LAB" --json)
assert_contains "$json" '"rule":"drop proto udp port 9999","matched":0,"acted":0' "link-only rule"
assert_contains "$json" '"rule":"drop proto udp port 9999 lo","matched":1,"acted":1' "lo rule"
pass
