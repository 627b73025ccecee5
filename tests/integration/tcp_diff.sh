#!/bin/bash
# Differential: a table of TCP socket calls (identity options, misuse of
# listen/accept/connect/shutdown, bind conflicts with TIME_WAIT with and
# without SO_REUSEADDR, options, resets, EPIPE/SIGPIPE) run once on the
# kernel side and once through the shim, each against its own address;
# results must be identical.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
kside timeout 60 python3 "$T/diff_calls.py" "$KERNEL_IP" >"$TMPD/kernel" 2>&1 ||
	fail "diff_calls on the kernel: $(tail -3 "$TMPD/kernel")"
ts run --lab "$LAB" -- timeout 60 python3 "$T/diff_calls.py" "$ENGINE_IP" >"$TMPD/shim" 2>&1 ||
	fail "diff_calls through the shim: $(tail -3 "$TMPD/shim")"
assert_ge "$(wc -l <"$TMPD/kernel")" 100 "table size"
if ! diff -u "$TMPD/kernel" "$TMPD/shim"; then
	fail "the shim differs from the kernel (diff above)"
fi
pass
