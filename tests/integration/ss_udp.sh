#!/bin/bash
# tapsock ss on UDP sockets through the shim: an unconnected socket shows
# as UNCONN (only with -l or -a, as ss), a connected one as ESTAB with both
# addresses, -p names the program, its pid and fd (found in /proc, as ss
# -p), filters and --json agree, and the sockets go away with the program.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp
H="$TS_SRCDIR/tests/integration/ss/hold_udp.py"

ts run --lab "$LAB" -- timeout 40 python3 "$H" "$KERNEL_IP" 5300 "$TMPD/ready" \
	"$TMPD/stop" >"$TMPD/py.out" 2>&1 &
ppid=$!
wait_until 15 test -e "$TMPD/ready" || fail "holder did not start: $(cat "$TMPD/py.out")"
read -r pid cport ufd cfd <"$TMPD/ready"

out=$(ts ss --lab "$LAB" -uanp) || fail "ss -uanp failed: $out"
echo "$out"
unconn=$(grep '^UNCONN' <<<"$out" | grep ' 0\.0\.0\.0:5300 ')
[ -n "$unconn" ] || fail "no UNCONN 0.0.0.0:5300 in: $out"
assert_contains "$unconn" "0.0.0.0:*" "unconnected peer"
assert_contains "$unconn" "users:((\"python3\",pid=$pid,fd=$ufd))" "owner of the unconnected socket"
estab=$(grep '^ESTAB' <<<"$out" | grep " $ENGINE_IP:$cport ")
[ -n "$estab" ] || fail "no ESTAB $ENGINE_IP:$cport in: $out"
assert_contains "$estab" "$KERNEL_IP:5301" "connected peer"
assert_contains "$estab" "users:((\"python3\",pid=$pid,fd=$cfd))" "owner of the connected socket"
head -n1 <<<"$out" | grep -q '^State  *Recv-Q  *Send-Q  *Local Address:Port  *Peer Address:Port  *Process' ||
	fail "header not as ss prints it: $(head -n1 <<<"$out")"

# Default (no -l/-a): connected sockets only; -l: unconnected only.
out=$(ts ss --lab "$LAB" -un)
assert_contains "$out" "$ENGINE_IP:$cport" "default lists the connected socket"
grep -q ':5300 ' <<<"$out" && fail "default listed the UNCONN socket: $out"
out=$(ts ss --lab "$LAB" -uln)
assert_contains "$out" "0.0.0.0:5300" "-l lists the unconnected socket"
grep -q "$ENGINE_IP:$cport" <<<"$out" && fail "-l listed the connected socket: $out"
# A state filter: one state, so no State column (as ss).
out=$(ts ss --lab "$LAB" -un state unconn)
assert_contains "$out" "0.0.0.0:5300" "state unconn"
head -n1 <<<"$out" | grep -q '^Recv-Q' || fail "one state: the State column stays: $out"
out=$(ts ss --lab "$LAB" -n state connected)
assert_contains "$out" "udp" "both protocols: the Netid column"
assert_contains "$out" "$ENGINE_IP:$cport" "state connected"
# Filter expressions as ss takes them (one quoted word, or several).
out=$(ts ss --lab "$LAB" -uan '( sport = :5300 or dport = :5300 )')
assert_contains "$out" "0.0.0.0:5300" "sport filter"
grep -q "$ENGINE_IP:$cport" <<<"$out" && fail "sport filter let another socket through: $out"
out=$(ts ss --lab "$LAB" -uan dst "$KERNEL_IP:5301")
assert_contains "$out" "$ENGINE_IP:$cport" "dst filter"
grep -q ':5300 ' <<<"$out" && fail "dst filter let the unconnected socket through: $out"
ts ss --lab "$LAB" -uan sport = :99999 >/dev/null 2>&1 && fail "a bad filter was accepted"
# -t leaves UDP out; a bad state is refused.
out=$(ts ss --lab "$LAB" -tan)
grep -q ':5300' <<<"$out" && fail "-t listed UDP: $out"
ts ss --lab "$LAB" state nosuchstate >/dev/null 2>&1 && fail "a bad state name was accepted"

# --json: parses, and says the same.
ts ss --lab "$LAB" -ua --json >"$TMPD/ss.json" || fail "ss --json failed"
python3 -m json.tool "$TMPD/ss.json" >/dev/null || fail "ss --json does not parse: $(cat "$TMPD/ss.json")"
python3 - "$TMPD/ss.json" "$pid" "$cport" "$ENGINE_IP" "$KERNEL_IP" <<'PY' || fail "ss --json content"
import json, sys
socks = json.load(open(sys.argv[1]))
pid, cport, eng, ker = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
un = [s for s in socks if s["state"] == "UNCONN" and s["local"]["port"] == 5300]
es = [s for s in socks if s["state"] == "ESTAB" and s["local"]["port"] == cport]
assert len(un) == 1 and len(es) == 1, socks
assert un[0]["netid"] == "udp" and un[0]["local"]["addr"] == "0.0.0.0", un
assert es[0]["peer"] == {"addr": ker, "port": 5301} and es[0]["local"]["addr"] == eng, es
assert any(u["pid"] == pid and u["name"] == "python3" for u in es[0]["users"]), es
PY

touch "$TMPD/stop"
wait "$ppid" || fail "holder exited badly: $(cat "$TMPD/py.out")"
gone() { ! ts ss --lab "$LAB" -uan | grep -q -e ':5300 ' -e ":$cport "; }
wait_until 10 gone || fail "sockets still listed after the program exited"
pass
