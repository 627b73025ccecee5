#!/bin/bash
# The engine's IPv4 and ICMP against the kernel side, with hand-made
# packets: an unknown protocol draws protocol unreachable; overlapping
# fragments drop the datagram (Linux policy) while a clean pair is
# answered; a lone first fragment times out (ipfrag_time=1) into an ICMP
# time exceeded, code 1; odd-sized pings come back intact.
. "$(dirname "$0")/lib.sh"

lab_up --sysctl net.ipv4.ipfrag_time=1
mktmp
cat > "$TMPD/raw.py" <<'PY'
import socket, struct, sys, time

K, E = sys.argv[2], sys.argv[3]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip(proto, payload, ident=0x1234, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag,
                    64, proto, 0, socket.inet_aton(K), socket.inet_aton(E))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def echo(ident, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]

tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
rx.settimeout(0.2)

def send(pkt):
    tx.sendto(pkt, (E, 0))

def expect(pred, secs):
    """The first ICMP message from E within secs for which pred holds."""
    end = time.time() + secs
    while time.time() < end:
        try:
            d = rx.recv(4096)
        except socket.timeout:
            continue
        if socket.inet_ntoa(d[12:16]) != E:
            continue
        ihl = (d[0] & 15) * 4
        if pred(d[ihl], d[ihl + 1], d[ihl:]):
            return d[ihl:]
    return None

def is_echo_reply(ident):
    return lambda t, c, m: t == 0 and struct.unpack("!H", m[4:6])[0] == ident

case = sys.argv[1]
if case == "proto":
    send(ip(253, b"tapsock" * 4))
    m = expect(lambda t, c, m: t == 3 and c == 2, 5)
    sys.exit(0 if m is not None and m[8 + 9] == 253 else 1)
if case == "overlap":
    body = echo(0x0bad, b"x" * 64)                 # 72 bytes
    send(ip(1, body[:48], 0x0bad, 0x2000))         # [0, 48) MF
    send(ip(1, body[40:], 0x0bad, 5))              # [40, 72): overlaps
    sys.exit(0 if expect(is_echo_reply(0x0bad), 2) is None else 1)
if case == "clean":
    body = echo(0x600d, b"y" * 64)
    send(ip(1, body[40:], 0x600d, 5))              # last first
    send(ip(1, body[:40], 0x600d, 0x2000))
    m = expect(is_echo_reply(0x600d), 5)
    sys.exit(0 if m is not None and m[8:] == b"y" * 64 else 1)
if case == "timeout":
    body = echo(0x7e11, b"z" * 64)
    send(ip(1, body[:40], 0x7e11, 0x2000))         # the rest never comes
    m = expect(lambda t, c, m: t == 11 and c == 1, 10)
    sys.exit(0 if m is not None and struct.unpack("!H", m[8 + 4:8 + 6])[0] == 0x7e11 else 1)
sys.exit(2)
PY
raw() {
	kside python3 "$TMPD/raw.py" "$1" "$KERNEL_IP" "$ENGINE_IP"
}
# The kernel must know the engine's MAC before raw sends.
kside ping -c 1 -W 2 "$ENGINE_IP" >/dev/null || fail "first ping failed"

unk0=$(stat_get IpInUnknownProtos)
raw proto || fail "no protocol unreachable for protocol 253"
assert_eq "$(($(stat_get IpInUnknownProtos) - unk0))" 1 "IpInUnknownProtos delta"

ovl0=$(stat_get IpReasmOverlaps)
raw overlap || fail "overlapping fragments were answered"
assert_eq "$(($(stat_get IpReasmOverlaps) - ovl0))" 1 "IpReasmOverlaps delta"
raw clean || fail "clean reversed fragments were not answered"

tmo0=$(stat_get IpReasmTimeout)
raw timeout || fail "no ICMP time exceeded (reassembly) for a lone first fragment"
assert_eq "$(($(stat_get IpReasmTimeout) - tmo0))" 1 "IpReasmTimeout delta"

for size in 0 1 7 1471 1473 3001; do
	out=$(kside ping -c 1 -W 2 -s "$size" "$ENGINE_IP") ||
		fail "ping -s $size failed: $out"
	assert_contains "$out" "1 received" "ping -s $size"
done
pass
