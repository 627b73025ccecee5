#!/bin/bash
# Differential: a table of (mostly bad) UDP calls and a table of bind rules
# run once on the kernel side and once through the shim, in the same lab;
# return values, errnos and option values must be identical.  The kernel
# side gets a default route through the engine so both have the same
# routes (on-link /24 plus a gateway).
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
U="$TS_SRCDIR/tests/integration/udp"
kside ip route add default via "$ENGINE_IP" || fail "route"
for t in diff_calls diff_bind; do
	kside timeout 60 python3 "$U/$t.py" "$KERNEL_IP" "$ENGINE_IP" >"$TMPD/$t.kernel" 2>&1 ||
		fail "$t on the kernel: $(tail -3 "$TMPD/$t.kernel")"
	ts run --lab "$LAB" -- timeout 60 python3 "$U/$t.py" "$ENGINE_IP" "$KERNEL_IP" \
		>"$TMPD/$t.shim" 2>&1 || fail "$t through the shim: $(tail -3 "$TMPD/$t.shim")"
	assert_ge "$(wc -l <"$TMPD/$t.kernel")" 20 "$t table size"
	if ! diff -u "$TMPD/$t.kernel" "$TMPD/$t.shim"; then
		fail "$t: the shim differs from the kernel (diff above)"
	fi
done
pass
