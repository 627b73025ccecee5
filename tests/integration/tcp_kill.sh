#!/bin/bash
# A program killed with SIGKILL mid-transfer: its connections end as Linux
# would end them -- a killed sender's connection with a FIN (the kernel
# side's nc sees EOF), a killed receiver with unread data with an RST (the
# kernel side's sender sees the reset) -- nothing leaks in the daemon (its
# descriptor count returns to where it was) and it keeps serving others.
. "$(dirname "$0")/lib.sh"
command -v nc >/dev/null || fail "needs nc (netcat-openbsd)"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
dpid=$(ts info --lab "$LAB" | awk '$1 == "pid" { print $2 }')
nfd() { ls "/proc/$dpid/fd" | wc -l; }
# A function, so wait_until samples the count on every try.
fds_back() { [ "$(nfd)" -le "$base" ]; }
base=$(nfd)
rsts0=$(stat_get TcpOutRsts)

# 1. Killed sender: an endless preloaded nc client, killed once the kernel
# side has some data; the kernel side must see EOF (nc -l exits).
kside timeout 30 nc -n -l "$KERNEL_IP" 7500 >"$TMPD/k1.out" &
kpid=$!
wait_until 5 kside sh -c "ss -Htln | grep -q ':7500 '" || fail "kernel nc did not listen"
ts run --lab "$LAB" -- timeout 30 sh -c 'exec nc -n "$0" 7500 </dev/zero' "$KERNEL_IP" &
npid=$!
wait_until 10 test -s "$TMPD/k1.out" || fail "no data reached the kernel side"
pkill -KILL -f "nc -n $KERNEL_IP 7500" || fail "no preloaded nc to kill"
wait_until 10 sh -c "! kill -0 $kpid 2>/dev/null" || fail "kernel nc never saw the end"
wait "$kpid" 2>/dev/null
wait "$npid" 2>/dev/null
wait_until 10 fds_back || fail "daemon fds: $(nfd), were $base"

# 2. Killed receiver with unread data: a preloaded reader that never reads,
# killed while the kernel side is still sending: an RST (Linux: close with
# unread data), and the kernel-side sender fails.
ts run --lab "$LAB" -- timeout 30 python3 "$T/slow_reader.py" 0.0.0.0 7501 >"$TMPD/r.log" 2>&1 &
rpid=$!
wait_until 10 grep -q listening "$TMPD/r.log" || fail "preloaded reader did not start"
kside timeout 30 python3 -c '
import socket, sys
s = socket.create_connection(("198.18.0.2", 7501))
try:
    while True:
        s.sendall(b"x" * 65536)
except OSError as e:
    print("sender:", e.strerror, flush=True)
' >"$TMPD/ks.log" 2>&1 &
kspid=$!
wait_until 10 grep -q accepted "$TMPD/r.log" || fail "preloaded reader did not accept"
sleep 0.5	# let data pile up in the reader's buffers (not asserted on)
pkill -KILL -f "slow_reader.py 0.0.0.0 7501" || fail "no preloaded reader to kill"
wait "$kspid"
wait "$rpid" 2>/dev/null
assert_contains "$(cat "$TMPD/ks.log")" "Connection reset by peer" "the kernel sender sees the RST"
assert_ge "$(stat_get TcpOutRsts)" $((rsts0 + 1)) "an RST was sent"
wait_until 10 fds_back || fail "daemon fds: $(nfd), were $base"

# 3. The daemon still serves.
kside timeout 20 nc -n -l "$KERNEL_IP" 7502 >"$TMPD/k3.out" &
kpid=$!
wait_until 5 kside sh -c "ss -Htln | grep -q ':7502 '" || fail "kernel nc did not listen"
echo still-serving | ts run --lab "$LAB" -- timeout 10 nc -N -n "$KERNEL_IP" 7502 ||
	fail "a new connection after the kills failed"
wait "$kpid"
assert_eq "$(cat "$TMPD/k3.out")" still-serving "data after the kills"
pass
