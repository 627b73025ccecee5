#!/bin/bash
# Who may bind what, compared with the kernel: an unprivileged user (uid
# 65534) cannot bind ports below 1024 (EACCES), cannot join root's
# SO_REUSEPORT group (EADDRINUSE), and cannot use SO_RCVBUFFORCE (EPERM);
# the daemon learns the caller from SO_PEERCRED and its capabilities.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "needs setpriv (util-linux)"

lab_up
mktmp
chmod 755 "$TMPD"
# Copies the unprivileged user can read wherever the tree lives.
cp "$TS_SRCDIR/tests/integration/udp/priv.py" "$TS_SRCDIR/tests/integration/udp/hold.py" \
	"$TS_BUILDDIR/libtapsock.so" "$TMPD/" || fail "copy"
chmod 644 "$TMPD"/*
U=$TMPD
SO=$TMPD/libtapsock.so
PY=/usr/bin/python3
SOCK=/run/tapsock/$LAB.sock
# This lab's control socket, open to the unprivileged user for the test.
chmod 0666 "$SOCK" || fail "chmod $SOCK"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# Kernel: root holds the group, nobody tries.
kside timeout 60 python3 "$U/hold.py" 45555 "$TMPD/kready" &
kh=$!
wait_until 10 test -e "$TMPD/kready" || fail "kernel holder did not bind"
kside $NOBODY "$PY" "$U/priv.py" 45555 >"$TMPD/kernel" 2>&1 || fail "kernel run: $(cat "$TMPD/kernel")"
kill "$kh" 2>/dev/null
wait "$kh" 2>/dev/null

# Shim: the same, both processes preloaded.
ts run --lab "$LAB" -- timeout 60 python3 "$U/hold.py" 45555 "$TMPD/sready" &
sh_=$!
wait_until 10 test -e "$TMPD/sready" || fail "preloaded holder did not bind"
kside $NOBODY env LD_PRELOAD="$SO" TAPSOCK_SOCK="$SOCK" "$PY" "$U/priv.py" 45555 \
	>"$TMPD/shim" 2>&1 || fail "shim run: $(cat "$TMPD/shim")"
kill "$sh_" 2>/dev/null
wait "$sh_" 2>/dev/null

assert_contains "$(cat "$TMPD/kernel")" "bind ANY:80 EACCES" "the kernel refuses port 80"
if ! diff -u "$TMPD/kernel" "$TMPD/shim"; then
	fail "the shim differs from the kernel (diff above)"
fi
pass
