#!/bin/bash
# bench/run --smoke: the benchmark runs end to end on a lab and a kernel
# client namespace of its own, prints its table and writes its JSON, and
# leaves no namespace behind.  No figure is judged (no timing thresholds):
# only that each row has a value or says why not.
. "$(dirname "$0")/lib.sh"

mktmp
command -v iperf3 >/dev/null && command -v curl >/dev/null && command -v cc >/dev/null ||
	fail "bench/run needs iperf3, curl and cc (tests/check installs them)"
out=$(timeout 300 "$TS_SRCDIR/bench/run" --smoke --builddir "$TS_BUILDDIR" \
	--out "$TMPD/latest.json" 2>"$TMPD/err") || fail "bench/run failed: $(tail -5 "$TMPD/err")"
assert_contains "$out" "ratio" "table header"
for row in "ICMP echo RTT" "UDP 64 B request/response rate" "UDP bulk send 1400 B" \
	"UDP bulk receive 1400 B" "TCP iperf3 upload" "TCP curl" "tapsockd RSS at idle" \
	"UDP socket: total per socket"; do
	assert_contains "$out" "$row" "row '$row'"
done
# The ICMP and UDP rows work today, so they carry numbers on both sides;
# TCP rows carry a number or "unavailable" (before the TCP shim).
python3 - "$TMPD/latest.json" <<'PY' || fail "JSON rows incomplete: $(cat "$TMPD/err")"
import json, sys
doc = json.load(open(sys.argv[1]))
bad = []
for r in doc["rows"]:
    if r["workload"].startswith(("icmp", "udp")) and r["metric"] != "link_cpu_pct" and \
            (r["kernel"] is None or r["tapsock"] is None):
        bad.append(r["label"])
    if r["workload"].startswith("tcp") and r["tapsock"] is None and \
            not r["status"].startswith("unavailable"):
        bad.append(r["label"] + ": " + r["status"])
if bad:
    print("rows without values:", bad)
    sys.exit(1)
PY
leftover=$(ip netns list | grep -E '^bench[0-9]+' || true)
# Only namespaces of this run matter (other bench runs may be going on).
pid_ns=$(grep -o 'lab bench[0-9]*' "$TMPD/err" | head -1 | cut -d' ' -f2)
[ -n "$pid_ns" ] || fail "bench/run did not name its lab"
case "$leftover" in
*"$pid_ns"*) fail "namespace $pid_ns left behind" ;;
esac
pass
