#!/bin/bash
# tapsock ss on TCP through the shim, as ss(8) shows the kernel's:
#   LISTEN with Recv-Q = connections not accepted, Send-Q = backlog, and
#   -p naming the program, its pid and fd (listener and client);
#   ESTAB with Recv-Q = bytes the program has not read, -i internals
#   (cwnd, rtt, mss, bytes_acked, bytes_received) and -o;
#   TIME-WAIT after an active close, its timer falling between two samples;
#   SYN-SENT with timer:(on,...) while a connect waits, and
#   sysctl -w net.ipv4.tcp_syn_retries=1 making that connect give up after
#   two SYNs (counted by a fault rule that drops them, not timed).
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
D="$TS_SRCDIR/tests/integration/ss"

# --- LISTEN: Recv-Q / Send-Q -------------------------------------------------
ts run --lab "$LAB" -- timeout 40 python3 "$D/tcp_listen.py" 0.0.0.0 8000 7 \
	"$TMPD/lready" "$TMPD/lstop" >"$TMPD/l.out" 2>&1 &
lpid=$!
wait_until 15 test -e "$TMPD/lready" || fail "listener did not start: $(cat "$TMPD/l.out")"
read -r pypid lfd <"$TMPD/lready"
out=$(ts ss --lab "$LAB" -tlnp) || fail "ss -tlnp: $out"
echo "$out"
line=$(grep '0\.0\.0\.0:8000 ' <<<"$out")
[ -n "$line" ] || fail "no listener on 0.0.0.0:8000: $out"
read -r st rq sq _ <<<"$line"
assert_eq "$st" LISTEN "listener state"
assert_eq "$rq" 0 "listener Recv-Q before any connection"
assert_eq "$sq" 7 "listener Send-Q is the backlog"
# The owner, found in /proc by the inode chan_tcp.c reports (ts_ss_tcp_chan).
assert_contains "$line" "users:((\"python3\",pid=$pypid,fd=$lfd))" "listener owner"
# The kernel side connects; nobody accepts: Recv-Q counts it.
kside timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8000), timeout=5)
time.sleep(3)' "$ENGINE_IP" &
kpid=$!
lrq() { ts ss --lab "$LAB" -tln | awk '$4 == "0.0.0.0:8000" { print $2 }'; }
lrq_is1() { [ "$(lrq)" = 1 ]; }
wait_until 5 lrq_is1 || fail "listener Recv-Q after one unaccepted connection: '$(lrq)'"
wait "$kpid"
touch "$TMPD/lstop"
wait "$lpid" || fail "listener exited badly: $(cat "$TMPD/l.out")"

# --- ESTAB with -i, then TIME-WAIT after the active close ------------------
# The kernel side sends 3000 bytes the client leaves unread until told.
head -c 3000 /dev/zero | tr '\0' y >"$TMPD/k.in"
kside timeout 30 nc -l "$KERNEL_IP" 7000 <"$TMPD/k.in" >"$TMPD/k.out" &
npid=$!
klisten() { kside ss -Htln 'sport = :7000' | grep -q LISTEN; }
wait_until 10 klisten || fail "kernel nc did not listen"
ts run --lab "$LAB" -- timeout 40 python3 "$D/tcp_client.py" "$KERNEL_IP" 7000 5000 \
	"$TMPD/cready" "$TMPD/cstop" 3000 >"$TMPD/c.out" 2>&1 &
cpid=$!
wait_until 15 test -e "$TMPD/cready" || fail "client did not connect: $(cat "$TMPD/c.out")"
read -r pid cport cfd <"$TMPD/cready"
acked() { ts ss --lab "$LAB" -tni | grep -A1 "$ENGINE_IP:$cport " | grep -q 'bytes_acked:5001'; }
wait_until 10 acked || fail "bytes_acked never reached 5001 (SYN + 5000): $(ts ss --lab "$LAB" -tni)"
out=$(ts ss --lab "$LAB" -tnio)
echo "$out"
line=$(grep -A1 "^ESTAB .* $ENGINE_IP:$cport  *$KERNEL_IP:7000" <<<"$out") ||
	fail "no ESTAB $ENGINE_IP:$cport -> $KERNEL_IP:7000: $out"
info=$(tail -n1 <<<"$line")
for f in cubic rto: rtt: mss: cwnd: bytes_acked:5001 bytes_received:3000; do
	assert_contains "$info" "$f" "-i internals"
done
assert_contains "$(ts ss --lab "$LAB" -tnp)" "users:((\"python3\",pid=$pid,fd=$cfd))" \
	"client owner"
[ "${info:0:1}" = "$(printf '\t')" ] || fail "-i line does not start with a tab: '$info'"
# Recv-Q: every byte the program has not read (engine ring + its channel).
crq() { ts ss --lab "$LAB" -tn | awk -v l="$ENGINE_IP:$cport" '$4 == l { print $2 }'; }
crq_full() { [ "$(crq)" = 3000 ]; }
wait_until 10 crq_full || fail "client Recv-Q with 3000 unread bytes: '$(crq)'"

touch "$TMPD/cstop"
wait "$cpid" || fail "client exited badly: $(cat "$TMPD/c.out")"
wait "$npid"
assert_eq "$(wc -c <"$TMPD/k.out")" 5000 "bytes at the kernel side"
tw() { ts ss --lab "$LAB" -tno state time-wait | grep " $ENGINE_IP:$cport "; }
wait_until 10 tw || fail "no TIME-WAIT after the active close: $(ts ss --lab "$LAB" -tano)"
line=$(tw)
echo "$line"
grep -Eq 'timer:\(timewait,[0-9]+sec,0\)' <<<"$line" || fail "timewait timer format: $line"
grep -Eq 'timewait [1-9]' <<<"$(ts ss --lab "$LAB" -s)" || fail "ss -s counts no TIME-WAIT: $(ts ss --lab "$LAB" -s)"
twms() {
	ts ss --lab "$LAB" -ta --json | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    if s["state"] == "TIME-WAIT" and s["local"]["port"] == int(sys.argv[1]):
        print(s["timer"]["expires_ms"])' "$cport"
}
first=$(twms)
assert_ge "$first" 1 "first TIME-WAIT sample"
smaller() { [ "$(twms)" -lt "$first" ]; }
wait_until 10 smaller || fail "TIME-WAIT timer did not fall from $first ms"

# --- sysctl: bad keys and values refused; tcp_syn_retries=1 -----------------
msg=$(ts sysctl --lab "$LAB" -w net.ipv4.tcp_syn_retries=abc 2>&1) &&
	fail "a bad value was accepted"
assert_contains "$msg" "invalid value" "bad value message"
msg=$(ts sysctl --lab "$LAB" -w net.ipv4.tcp_no_such_key=1 2>&1) &&
	fail "an unknown key was accepted"
assert_contains "$msg" "unknown key" "unknown key message"
ts sysctl --lab "$LAB" -w net.ipv4.tcp_syn_retries=1 >/dev/null || fail "sysctl -w"
assert_eq "$(ts sysctl --lab "$LAB" -n net.ipv4.tcp_syn_retries)" 1 "tcp_syn_retries read back"
ts fault --lab "$LAB" add drop dir out proto tcp flags syn port 7999 >/dev/null ||
	fail "fault add"
drops0=$(stat_get TsExtFaultDrops)
ts run --lab "$LAB" -- timeout 30 python3 "$D/tcp_client.py" "$KERNEL_IP" 7999 -1 - - \
	>"$TMPD/syn.out" 2>&1 &
spid=$!
synsent() { ts ss --lab "$LAB" -tno state syn-sent | grep "$KERNEL_IP:7999"; }
wait_until 10 synsent || fail "no SYN-SENT socket while connecting"
assert_contains "$(synsent)" "timer:(on," "SYN-SENT retransmission timer"
wait "$spid" || fail "connecting client failed: $(cat "$TMPD/syn.out")"
assert_contains "$(cat "$TMPD/syn.out")" "errno 110" "connect timed out (ETIMEDOUT)"
drops=$(($(stat_get TsExtFaultDrops) - drops0))
assert_eq "$drops" 2 "SYNs sent with tcp_syn_retries=1 (the first and one retry)"
pass
