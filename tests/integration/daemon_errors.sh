#!/bin/bash
# tapsockd's startup failures are one readable line each and a non-zero
# exit: bad --addr, bad --sysctl, socket path in use, TAP busy, no
# permission for the TAP (as nobody).  Everything runs inside the lab's
# namespace; nothing touches the host's interfaces.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
sock=/run/tapsock/$LAB.sock

# expect_error WHAT NEEDLE CMD...: fails, one line on stderr, containing NEEDLE.
expect_error() {
	local what=$1 needle=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null) && fail "$what: tapsockd started"
	rc=$?
	[ "$rc" -ne 124 ] || fail "$what: tapsockd did not exit"
	assert_eq "$(printf '%s\n' "$err" | wc -l)" 1 "$what: one-line error ($err)"
	assert_contains "$err" "$needle" "$what"
	assert_contains "$err" "tapsockd: " "$what: prefix"
}

expect_error "bad --addr" "bad --addr" \
	kside timeout 10 "$TAPSOCKD" --tap tapx --addr 198.18.0.300/24 --sock "$TMPD/a.sock"
expect_error "address without prefix" "bad --addr" \
	kside timeout 10 "$TAPSOCKD" --tap tapx --addr 198.18.0.2 --sock "$TMPD/a.sock"
expect_error "bad --sysctl key" "unknown key" \
	kside timeout 10 "$TAPSOCKD" --tap tapx --sysctl net.ipv4.nope=1 --sock "$TMPD/a.sock"
expect_error "bad --sysctl value" "invalid value" \
	kside timeout 10 "$TAPSOCKD" --tap tapx --sysctl tcp_syn_retries=x --sock "$TMPD/a.sock"
expect_error "socket in use" "in use" \
	kside timeout 10 "$TAPSOCKD" --tap tapx --sock "$sock"
expect_error "TAP busy" "busy" \
	kside timeout 10 "$TAPSOCKD" --tap tap0 --sock "$TMPD/b.sock"
# As nobody (a copy of the binary nobody can reach, whatever the build
# directory's mode).
mkdir "$TMPD/bin" && chmod 755 "$TMPD" "$TMPD/bin" && cp "$TAPSOCKD" "$TMPD/bin/"
expect_error "no TAP permission" "root" \
	kside timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$TMPD/bin/tapsockd" --tap tapx --sock "$TMPD/c.sock"
rm -rf "$TMPD/bin"
expect_error "socket directory missing" "$TMPD/nodir/d.sock" \
	kside timeout 10 "$TAPSOCKD" --tap tapy --sock "$TMPD/nodir/d.sock"
# None of them created a device or a socket.
kside ip link show tapx >/dev/null 2>&1 && fail "a failed start left tapx behind"
[ -z "$(ls -A "$TMPD")" ] || fail "a failed start left files: $(ls "$TMPD")"

# A stale socket file (no daemon behind it) is replaced, not an error.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' \
	"$TMPD/stale.sock"
# (ip netns exec execs the daemon: $! is its pid.  If this test dies,
# lab down kills whatever still runs in the namespace.)
ip netns exec "$LAB" "$TAPSOCKD" --tap tapz --sock "$TMPD/stale.sock" 2>"$TMPD/stale.log" &
dpid=$!
wait_until 10 ts info --sock "$TMPD/stale.sock" ||
	{ kill "$dpid"; fail "daemon did not take over a stale socket: $(cat "$TMPD/stale.log")"; }
# SIGTERM: a clean stop removes the socket file.
kill -TERM "$dpid"
wait "$dpid" || fail "tapsockd exited non-zero on SIGTERM"
[ ! -e "$TMPD/stale.sock" ] || fail "socket file left after SIGTERM"
kside ip link del tapz 2>/dev/null
pass
