#!/bin/bash
# Unmodified iperf3 through the shim (select, non-blocking connect,
# TCP_INFO): `iperf3 -c` for 5 s against a kernel-side `iperf3 -s`, which
# must see 198.18.0.2, and a preloaded `iperf3 -s` for a kernel-side client.
# The JSON figures must be sane (bytes moved, an RTT from TCP_INFO), never
# judged by speed.
. "$(dirname "$0")/lib.sh"
command -v iperf3 >/dev/null || fail "needs iperf3"

lab_up
mktmp

sane() {	# FILE ROLE: bytes > 0, and for the sender an RTT in (0, 10 s)
	python3 - "$1" "$2" <<'PY' || fail "iperf3 $2 figures: $(tail -c 600 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
end = j["end"]
assert end["sum_received"]["bytes"] > 0, "nothing received"
if sys.argv[2] == "client":
    s = end["streams"][0]["sender"]
    assert s["bytes"] > 0 and s["retransmits"] >= 0, s
    assert 0 < s["mean_rtt"] < 10_000_000, s
    assert s["max_snd_cwnd"] > 0, s
PY
}

# 1. Preloaded client, kernel server.
kside timeout 40 iperf3 -s -1 -B "$KERNEL_IP" -p 5201 >"$TMPD/ks.log" 2>&1 &
kpid=$!
wait_until 5 kside sh -c "ss -Htln | grep -q ':5201 '" || fail "kernel iperf3 did not listen"
ts run --lab "$LAB" -- timeout 30 iperf3 -c "$KERNEL_IP" -p 5201 -t 5 -J >"$TMPD/c.json" ||
	fail "preloaded iperf3 -c failed: $(tail -c 600 "$TMPD/c.json")"
wait "$kpid"
sane "$TMPD/c.json" client
assert_contains "$(cat "$TMPD/ks.log")" "Accepted connection from $ENGINE_IP" \
	"kernel iperf3 sees the engine address"

# 2. Preloaded server, kernel client.
ts run --lab "$LAB" -- timeout 40 iperf3 -s -1 -p 5202 -J >"$TMPD/s.json" 2>"$TMPD/s.err" &
spid=$!
ok=0
for _ in $(seq 50); do
	# iperf3 -J exits 0 even when it could not connect: the JSON says.
	kside timeout 30 iperf3 -c "$ENGINE_IP" -p 5202 -t 3 -J >"$TMPD/kc.json" 2>&1
	if ! grep -q '"error"' "$TMPD/kc.json"; then
		ok=1
		break
	fi
	sleep 0.2	# the preloaded server may not listen yet
done
assert_eq "$ok" 1 "kernel iperf3 client ran against the preloaded server"
wait "$spid" || fail "preloaded iperf3 -s failed: $(grep -i error "$TMPD/s.json" "$TMPD/kc.json")"
sane "$TMPD/s.json" server
sane "$TMPD/kc.json" client
pass
