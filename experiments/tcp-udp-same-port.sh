#!/bin/bash
#% order: 13
#% summary: TCP and UDP bound to the same port at once: two separate port spaces
# One program binds a TCP listener and a UDP socket to the same address and
# port, then tries a second TCP socket there; a TCP client and a UDP client
# reach each.  Kernel column: all on the kernel side; tapsock column: the
# program on tapsock, the clients on the kernel side.
. "$(dirname "$0")/lib.sh"

PORT=9000
lab_up
title "tcp-udp-same-port: one port number, two protocols"
explain <<'T'
A port number only means something together with its protocol (RFC 9293
3.1, RFC 768): TCP port 9000 and UDP port 9000 are different endpoints.
Linux keeps a bind table per protocol, so both binds succeed, while a second
TCP socket on the same address and port fails with EADDRINUSE.
T

# Both clients: a TCP connect that reads the reply, a UDP datagram that
# waits for one.
clients() {
	python3 -u - "$1" "$PORT" <<'PY'
import socket, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
for _ in range(50):
    try:
        t = socket.create_connection((ip, port), timeout=2)
        break
    except OSError:
        time.sleep(0.1)
print("tcp reply:", t.recv(100).decode().strip())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
u.sendto(b"hello", (ip, port))
print("udp reply:", u.recvfrom(100)[0].decode().strip())
PY
}

column() {
	local side=$1 ip=$2 out res
	if [ "$side" = k ]; then
		bg_ks "$WORK/$side.srv" python3 -u "$TOOL" same-port "$ip" $PORT --hold 8
	else
		bg_es "$WORK/$side.srv" python3 -u "$TOOL" same-port "$ip" $PORT --hold 8
	fi
	wait_line 10 "$WORK/$side.srv" "tcp bind again"
	out=$(ks bash -c "$(declare -f clients); PORT=$PORT; clients $ip" 2>&1)
	wait_line 10 "$WORK/$side.srv" "udp (got|recv)"
	show program "$(cat "$WORK/$side.srv")"
	show clients "$out"
	res=$(cat "$WORK/$side.srv")
	expect_re "TCP bind ok" "$res" "tcp bind ok"
	expect_re "UDP bind to the same port ok" "$res" "udp bind ok"
	expect_re "a second TCP bind fails with EADDRINUSE" "$res" "tcp bind again EADDRINUSE"
	expect_re "the TCP client got the TCP reply" "$out" "tcp reply: tcp-ok"
	expect_re "the UDP client got the UDP reply" "$out" "udp reply: udp-ok"
}

title "kernel column: program on 198.18.0.1:$PORT"
column k "$KIP"
title "tapsock column: program on tapsock 198.18.0.2:$PORT"
if need_tcp_shim; then
	column e "$EIP"
fi
title "what happened"
explain <<'T'
TCP and UDP each looked the port up in their own table, so the two binds
did not meet; the second TCP bind met the first TCP socket and failed with
EADDRINUSE.  Segments to TCP port 9000 reached the listener, datagrams to
UDP port 9000 the UDP socket, on both stacks.
T
finish
