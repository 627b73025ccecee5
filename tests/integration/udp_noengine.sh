#!/bin/bash
# No silent kernel fallback: without a reachable engine, socket(AF_INET,
# SOCK_DGRAM) fails with ENETDOWN and the shim prints one line naming the
# fix; other families still work; TAPSOCK_FALLBACK=kernel allows kernel
# sockets on purpose; AF_INET6 is EAFNOSUPPORT; SOCK_STREAM is refused
# until the TCP issue lands.  Runs in the lab's namespace.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
SO="$TS_BUILDDIR/libtapsock.so"
cat >"$TMPD/t.py" <<'PY'
import errno, socket
def try_(fam, typ):
    try:
        socket.socket(fam, typ).close()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
print("inet-dgram", try_(socket.AF_INET, socket.SOCK_DGRAM))
print("inet6-dgram", try_(socket.AF_INET6, socket.SOCK_DGRAM))
print("unix-dgram", try_(socket.AF_UNIX, socket.SOCK_DGRAM))
PY
out=$(kside env LD_PRELOAD="$SO" TAPSOCK_SOCK="$TMPD/none.sock" python3 "$TMPD/t.py" 2>"$TMPD/err")
assert_contains "$out" "inet-dgram ENETDOWN" "no engine: ENETDOWN"
assert_contains "$out" "inet6-dgram EAFNOSUPPORT" "AF_INET6"
assert_contains "$out" "unix-dgram ok" "AF_UNIX passes through"
assert_eq "$(wc -l <"$TMPD/err")" 1 "one line on stderr"
assert_contains "$(cat "$TMPD/err")" "tapsock lab up" "names the fix"
assert_contains "$(cat "$TMPD/err")" "TAPSOCK_SOCK" "names TAPSOCK_SOCK"
out=$(kside env LD_PRELOAD="$SO" TAPSOCK_SOCK="$TMPD/none.sock" TAPSOCK_FALLBACK=kernel \
	python3 "$TMPD/t.py" 2>"$TMPD/err2")
assert_contains "$out" "inet-dgram ok" "TAPSOCK_FALLBACK=kernel"
assert_eq "$(wc -c <"$TMPD/err2")" 0 "fallback is silent"
# With the engine: TCP is not silently the kernel's.
out=$(ts run --lab "$LAB" -- python3 -c '
import errno, socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("stream ok")
except OSError as e:
    print("stream", errno.errorcode[e.errno])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("dgram ok")' 2>&1)
assert_contains "$out" "dgram ok" "UDP with an engine"
pass
