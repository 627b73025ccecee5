#!/bin/bash
# Every observation tool's --json parses (python3 -m json.tool) and says
# what the text output says: ss (empty and not), stat, sysctl (all, one
# key, a write), fault list.
. "$(dirname "$0")/lib.sh"

lab_up
mktmp

parses() {
	python3 -m json.tool "$1" >/dev/null 2>"$1.err" ||
		fail "$2 --json does not parse: $(cat "$1") $(cat "$1.err")"
}

# ss with no socket at all: an empty array.
ts ss --lab "$LAB" -a --json >"$TMPD/ss0.json" || fail "ss --json"
parses "$TMPD/ss0.json" "ss (empty)"
assert_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMPD/ss0.json")" \
	0 "sockets in a fresh lab"

# stat: the counters the text shows, with the same values.
kside ping -c 2 -i 0.2 -W 2 "$ENGINE_IP" >/dev/null || fail "ping the engine"
ts stat --lab "$LAB" --json >"$TMPD/stat.json" || fail "stat --json"
parses "$TMPD/stat.json" "stat"
text=$(ts stat --lab "$LAB" IcmpInEchos | awk '{ print $2 }')
json=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["IcmpInEchos"])' "$TMPD/stat.json") ||
	fail "IcmpInEchos missing from stat --json"
assert_eq "$json" "$text" "IcmpInEchos in JSON and text"
ts stat --lab "$LAB" -z --json 'Tcp*' >"$TMPD/statz.json" || fail "stat -z --json"
parses "$TMPD/statz.json" "stat -z"
python3 - "$TMPD/statz.json" <<'PY' || fail "stat -z --json content"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("TcpActiveOpens", "TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtListenOverflows",
          "TcpExtTCPChallengeACK"):
    assert k in d and isinstance(d[k], int), k
assert all(k.startswith("Tcp") for k in d), d
PY

# sysctl: everything, one key, a write.
ts sysctl --lab "$LAB" --json >"$TMPD/sc.json" || fail "sysctl --json"
parses "$TMPD/sc.json" "sysctl"
python3 - "$TMPD/sc.json" <<'PY' || fail "sysctl --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["net.ipv4.tcp_syn_retries"] == "6", d
assert d["net.ipv4.tcp_rmem"].split() == ["4096", "131072", "6291456"], d
PY
ts sysctl --lab "$LAB" --json -w net.ipv4.tcp_fin_timeout=30 >"$TMPD/scw.json" || fail "sysctl -w --json"
parses "$TMPD/scw.json" "sysctl -w"
assert_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["net.ipv4.tcp_fin_timeout"])' "$TMPD/scw.json")" \
	30 "the stored value"
assert_eq "$(ts sysctl --lab "$LAB" -n tcp_fin_timeout)" 30 "read back as text"

# info, and ss -s.
ts info --lab "$LAB" --json >"$TMPD/info.json" || fail "info --json"
parses "$TMPD/info.json" "info"
assert_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$TMPD/info.json")" \
	"$ENGINE_IP" "engine address in info --json"
ts ss --lab "$LAB" -s --json >"$TMPD/sum.json" || fail "ss -s --json"
parses "$TMPD/sum.json" "ss -s"

# fault list.
ts fault --lab "$LAB" add drop dir in proto udp port 9 >/dev/null || fail "fault add"
ts fault --lab "$LAB" list --json >"$TMPD/fault.json" || fail "fault list --json"
parses "$TMPD/fault.json" "fault list"

# ss with a socket: one UDP socket through the shim.
ts run --lab "$LAB" -- timeout 20 python3 -c '
import socket, sys, time, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5400))
open(sys.argv[1], "w").close()
t = time.time() + 15
while not os.path.exists(sys.argv[2]) and time.time() < t:
    time.sleep(0.05)' "$TMPD/ready" "$TMPD/stop" &
ppid=$!
wait_until 15 test -e "$TMPD/ready" || fail "UDP holder did not start"
ts ss --lab "$LAB" -a --json >"$TMPD/ss1.json" || fail "ss --json"
parses "$TMPD/ss1.json" "ss"
python3 - "$TMPD/ss1.json" <<'PY' || fail "ss --json content: $(cat "$TMPD/ss1.json")"
import json, sys
socks = json.load(open(sys.argv[1]))
u = [s for s in socks if s["netid"] == "udp" and s["local"]["port"] == 5400]
assert len(u) == 1 and u[0]["state"] == "UNCONN", socks
assert u[0]["users"] and u[0]["users"][0]["name"] == "python3", u
PY
touch "$TMPD/stop"
wait "$ppid" || fail "UDP holder exited badly"
pass
