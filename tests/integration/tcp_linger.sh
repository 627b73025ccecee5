#!/bin/bash
# SO_LINGER through the shim, against a kernel-side reader that reads 1 MB
# slowly: with (1, 5) close() returns only once the reader's kernel holds
# every byte (our FIN acked: Linux sk_stream_wait_close), on a blocking
# and on a non-blocking socket (Linux waits for both); without linger it
# returns while data is still on its way; (1, 0) resets; to a peer that is
# gone, close() returns 0 when the linger time is up.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp/linger.py"

# run NAME PORT ONOFF SECS [nb]: reader on the kernel side, client
# through the shim; the reader's output in $TMPD/NAME.r.
run() {
	local name=$1 port=$2
	shift 2
	rm -f "$TMPD/$name.mark"
	kside timeout 40 python3 "$T" reader "$KERNEL_IP" "$port" "$TMPD/$name.mark" \
		>"$TMPD/$name.r" 2>&1 &
	local rp=$!
	wait_until 10 grep -q listening "$TMPD/$name.r" || fail "$name: reader not listening"
	ts run --lab "$LAB" -- timeout 30 python3 "$T" client "$KERNEL_IP" "$port" \
		"$TMPD/$name.mark" "$@" >"$TMPD/$name.c" 2>&1 ||
		fail "$name: client failed: $(cat "$TMPD/$name.c")"
	wait "$rp"
	echo "$name: $(tr '\n' ' ' <"$TMPD/$name.r")"
}
at_close() { sed -n 's/^at-close //p' "$TMPD/$1.r"; }

run linger 9001 1 5
assert_eq "$(at_close linger)" 1000000 "linger (1,5): bytes the reader held when close() returned"
assert_contains "$(cat "$TMPD/linger.r")" "total 1000000" "linger (1,5): all data read"

run nblinger 9002 1 5 nb
assert_eq "$(at_close nblinger)" 1000000 "linger (1,5), O_NONBLOCK: bytes held at close()"
assert_contains "$(cat "$TMPD/nblinger.r")" "total 1000000" "non-blocking linger: all data read"

run plain 9003 -1 0
n=$(at_close plain)
[ -n "$n" ] && [ "$n" -lt 1000000 ] || fail "no linger: close() waited (reader held $n)"
assert_contains "$(cat "$TMPD/plain.r")" "total 1000000" "no linger: all data read"

run abort 9004 1 0
assert_contains "$(cat "$TMPD/abort.r")" "reset" "linger (1,0): the reader sees a reset"

# The peer gone (an engine fault rule drops all it sends): the FIN is never
# acked, close() returns 0 when the linger time (2 s) runs out, leaving
# the orphan in FIN-WAIT-1.
kside timeout 40 python3 "$TS_SRCDIR/tests/integration/tcp/slow_reader.py" "$KERNEL_IP" 9005 \
	>"$TMPD/gone.r" 2>&1 &
wait_until 10 grep -q listening "$TMPD/gone.r" || fail "gone: reader not listening"
ts run --lab "$LAB" -- timeout 30 python3 "$T" gone "$KERNEL_IP" 9005 "$TMPD/gone.go" 2 \
	>"$TMPD/gone.c" 2>&1 &
cp=$!
wait_until 10 grep -q connected "$TMPD/gone.c" || fail "gone: client did not connect"
wait_until 10 grep -q accepted "$TMPD/gone.r" || fail "gone: reader did not accept"
ts fault add --lab "$LAB" drop dir in proto tcp port 9005 >/dev/null || fail "fault add"
touch "$TMPD/gone.go"
wait "$cp" || fail "gone: client failed: $(cat "$TMPD/gone.c")"
echo "gone: $(cat "$TMPD/gone.c" | tr '\n' ' ')"
assert_contains "$(cat "$TMPD/gone.c")" "closed rc=0" "linger to a vanished peer: close() returns 0"
st=$(ts ss --lab "$LAB" -tna | grep "$KERNEL_IP:9005")
echo "gone: ss after close: $st"
assert_contains "$st" "FIN-WAIT-1" "close() returned on the linger time, the FIN still unacked"
pass
