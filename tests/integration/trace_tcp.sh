#!/bin/bash
# `tapsock trace state retrans` while a preloaded curl fetches a file from
# a kernel-side HTTP server and a fault rule drops the engine's first data
# segment (curl's request): the stream shows the connection's SYN-SENT ->
# ESTAB transition (4-tuple, local end first) and the request sent again
# (retrans ... reason=...), in that order; the fetch still succeeds.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "needs curl"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
mkdir "$TMPD/www"
head -c 100000 /dev/urandom >"$TMPD/www/f.bin"

kside timeout 60 python3 "$T/http_server.py" "$TMPD/www" "$KERNEL_IP" 8080 2>"$TMPD/srv.log" &
wait_until 10 grep -q listening "$TMPD/srv.log" || fail "kernel http server did not start"
ts fault add --lab "$LAB" drop dir out proto tcp port 8080 flags data nth 1 >/dev/null ||
	fail "fault add"

# Three events: SYN-SENT, ESTAB, the retransmission.
timeout 40 "$TAPSOCK" trace --lab "$LAB" --json -c 3 state retrans >"$TMPD/trace.json" \
	2>"$TMPD/trace.err" &
tr=$!
started() {
	[ "$(grep -c 'trace started' "/run/tapsock/$LAB.log")" -ge 1 ]
}
wait_until 10 started || fail "trace did not start"

ts run --lab "$LAB" -- timeout 30 curl -sS -o "$TMPD/dl.bin" "http://$KERNEL_IP:8080/f.bin" ||
	fail "preloaded curl failed"
assert_eq "$(sha256sum <"$TMPD/dl.bin")" "$(sha256sum <"$TMPD/www/f.bin")" "download sha256"
wait "$tr" || fail "trace exited with $?: $(cat "$TMPD/trace.json" "$TMPD/trace.err")"

out=$(cat "$TMPD/trace.json")
echo "$out"
assert_eq "$(echo "$out" | wc -l)" 3 "trace lines"
tuple="$ENGINE_IP:[0-9]+ $KERNEL_IP:8080"
echo "$out" | sed -n 1p | grep -Eq "\"kind\":\"state\",\"msg\":\"$tuple CLOSE -> SYN-SENT\"" ||
	fail "first event is not CLOSE -> SYN-SENT: $out"
echo "$out" | sed -n 2p | grep -Eq "\"kind\":\"state\",\"msg\":\"$tuple SYN-SENT -> ESTAB\"" ||
	fail "second event is not SYN-SENT -> ESTAB: $out"
# The request was the first data: relative sequence 1.
echo "$out" | sed -n 3p |
	grep -Eq "\"kind\":\"retrans\",\"msg\":\"$tuple retrans seq=1\.\.[0-9]+ len=[0-9]+ reason=[a-z]+ abs=[0-9]+\"" ||
	fail "third event is not the request's retransmission: $out"
json=$(ts fault list --lab "$LAB" --json) || fail "fault list"
acted=$(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["acted"])')
assert_eq "$acted" 1 "fault rule acted"
assert_ge "$(stat_get TcpRetransSegs)" 1 "TcpRetransSegs"
pass
