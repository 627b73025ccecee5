# Sourced by every experiment (experiments/NAME.sh).  Run them as
# `tapsock experiment NAME` (which sets the TS_EXP_* variables below from
# its options) or directly: `sudo bash experiments/NAME.sh`.
#
# Each experiment makes its own lab (network namespace x<pid>-NAME, TAP,
# tapsockd; kernel side 198.18.0.1, engine 198.18.0.2), runs the same
# steps on the kernel's stack and on tapsock's where that applies, prints a
# timeline (a text ladder drawn by `tapsock plot` from a capture), an
# explanation and a verdict, and removes the lab.  Every wait is bounded;
# no verdict depends on how fast anything ran.
#
# Exit status: 0 the verdict holds, 1 something unexpected happened,
# 77 part of it could not run (e.g. "needs TCP through the shim").
#
# Helpers:
#   title / say / explain          output (explain: a here-document)
#   lab_up [--sysctl K=V]...       bring up $LAB (removed on exit)
#   ks CMD... / es CMD...          run on the kernel side / through the shim
#   bg_ks OUT CMD... / bg_es ...   the same in the background, output to OUT
#   tool ARGS                      python3 experiments/lib/tcptool.py ARGS
#   ksysctl K=V                    a sysctl of the lab's kernel side (per netns)
#   tcp_shim_ok / need_tcp_shim    does TCP work through the shim?
#   cap_start TAG / cap_stop TAG   capture + fault trace to $WORK/TAG.*
#   ladder TAG [plot args]         the capture as a text ladder (+ SVG/PNG)
#   kss ARGS / ess ARGS            ss on the kernel side / tapsock ss if it exists
#   estat NAME                     one engine counter
#   expect DESC GOT WANT           a verdict line; expect_re DESC TEXT REGEX
#   finish                         the verdict and the exit status

set -u

EXP_NAME=${TS_EXP_NAME:-$(basename "$0" .sh)}
EXP_DIR=${TS_EXP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
if [ -z "${TAPSOCK:-}" ]; then
	for c in "${TS_BUILDDIR:-}/tapsock" "$EXP_DIR/../build/tapsock"; do
		[ -x "$c" ] && TAPSOCK=$c && break
	done
fi
[ -n "${TAPSOCK:-}" ] || {
	echo "experiment: cannot find the tapsock binary (set TAPSOCK or TS_BUILDDIR)" >&2
	exit 1
}
CHECK=${TS_EXP_CHECK:-0}
KEEP=${TS_EXP_KEEP:-0}
PCAPDIR=${TS_EXP_PCAP:-}
SVG=${TS_EXP_SVG:-0}
TOOL="$EXP_DIR/lib/tcptool.py"
LAB=$(printf 'x%s-%s' "$$" "$EXP_NAME" | cut -c1-32)
KIP=198.18.0.1
EIP=198.18.0.2
FAILS=0
SKIP_WHY=
BG_PIDS=()
LAB_IS_UP=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: experiment $EXP_NAME needs root (network namespaces, TAP devices)"
	exit 77
fi
WORK=$(mktemp -d "/tmp/tapsock-exp-$EXP_NAME.XXXXXX")

_exp_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ "$LAB_IS_UP" = 1 ]; then
		if [ "$KEEP" = 1 ]; then
			echo "(lab $LAB left up: sudo tapsock lab down $LAB)"
		else
			timeout 30 "$TAPSOCK" lab down "$LAB" >/dev/null 2>&1 || true
		fi
	fi
	if [ -n "$PCAPDIR" ]; then
		cp "$WORK"/*.pcap "$WORK"/*.json "$PCAPDIR"/ 2>/dev/null
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap _exp_cleanup EXIT
trap 'exit 130' INT TERM

title() { printf '\n== %s ==\n' "$*"; }
say() { printf '%s\n' "$*"; }
# A paragraph from a here-document, indented.
explain() { sed 's/^/  /'; }

lab_up() {
	LAB_IS_UP=1
	timeout 30 "$TAPSOCK" lab up "$LAB" "$@" >/dev/null || {
		echo "experiment: tapsock lab up $LAB failed"
		exit 1
	}
}

ks() { timeout 60 ip netns exec "$LAB" "$@"; }
es() { timeout 60 "$TAPSOCK" run --lab "$LAB" -- "$@"; }
tool() { python3 -u "$TOOL" "$@"; }
ksysctl() { ks sysctl -qw "$1" >/dev/null; }
esysctl() { timeout 10 "$TAPSOCK" sysctl --lab "$LAB" -w "$1" >/dev/null; }

bg_ks() {
	local out=$1
	shift
	timeout 60 ip netns exec "$LAB" "$@" >"$out" 2>&1 &
	BG_PIDS+=($!)
}

bg_es() {
	local out=$1
	shift
	timeout 60 "$TAPSOCK" run --lab "$LAB" -- "$@" >"$out" 2>&1 &
	BG_PIDS+=($!)
}

# Retries CMD every 0.1 s for at most SECS seconds.
wait_for() {
	local secs=$1 i=0
	shift
	while [ "$i" -lt $((secs * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Waits until FILE has a line matching REGEX (at most SECS seconds).
wait_line() {
	wait_for "$1" grep -Eq "$3" "$2"
}

# Does TCP work through the shim in this build?  A kernel-side listener
# and a preloaded python connect to it; the answer is cached.
TCP_SHIM=
tcp_shim_ok() {
	if [ -z "$TCP_SHIM" ]; then
		ks python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.1", 9)); s.listen(1); s.settimeout(4)
try:
    c, a = s.accept(); sys.exit(0 if a[0] == "198.18.0.2" else 1)
except OSError:
    sys.exit(1)' >/dev/null 2>&1 &
		local lp=$!
		sleep 0.3
		es python3 -c '
import socket
s = socket.socket(); s.settimeout(3); s.connect(("198.18.0.1", 9)); s.close()' \
			>/dev/null 2>&1
		if wait "$lp"; then TCP_SHIM=1; else TCP_SHIM=0; fi
	fi
	[ "$TCP_SHIM" = 1 ]
}

# For the tapsock column: returns 1 (and remembers why) when it cannot run.
need_tcp_shim() {
	tcp_shim_ok && return 0
	say "tapsock column: needs TCP through the shim (socket/connect/listen/accept"
	say "for SOCK_STREAM), which this build does not have yet; skipped."
	SKIP_WHY="needs TCP through the shim"
	return 1
}

# Capture (pcap, TCP only) and fault trace (JSON) of the engine's link
# into $WORK/TAG.pcap and $WORK/TAG.json, until cap_stop TAG.
cap_start() {
	local tag=$1
	timeout 120 "$TAPSOCK" capture --lab "$LAB" --lo -w "$WORK/$tag.pcap" tcp \
		>"$WORK/$tag.cap.log" 2>&1 &
	BG_PIDS+=($!)
	eval "CAP_PID_$tag=$!"
	timeout 120 "$TAPSOCK" trace --lab "$LAB" --json fault >"$WORK/$tag.json" \
		2>"$WORK/$tag.trace.log" &
	BG_PIDS+=($!)
	eval "TRACE_PID_$tag=$!"
	wait_for 10 test -s "$WORK/$tag.pcap" || say "(capture did not start)"
	sleep 0.3 # the trace subscription has no file header to wait for
}

cap_stop() {
	local tag=$1 c t
	eval "c=\$CAP_PID_$tag; t=\$TRACE_PID_$tag"
	sleep 0.2
	kill -TERM "$c" "$t" 2>/dev/null
	wait "$c" "$t" 2>/dev/null
}

# The capture TAG as a text ladder (tapsock plot --text), and as SVG/PNG
# in --pcap DIR (or the current directory) with --svg/--png.
ladder() {
	local tag=$1 out
	shift
	"$TAPSOCK" plot "$WORK/$tag.pcap" --trace "$WORK/$tag.json" --text "$@" -o "$WORK/$tag.svg" |
		sed 's/^/  /'
	if [ "$SVG" != 0 ]; then
		out=${PCAPDIR:-.}
		"$TAPSOCK" plot "$WORK/$tag.pcap" --trace "$WORK/$tag.json" "$@" \
			--title "tapsock experiment $EXP_NAME: $tag" -o "$out/$EXP_NAME-$tag.svg" \
			$([ "$SVG" = 2 ] && echo --png) &&
			say "  picture: $out/$EXP_NAME-$tag.svg$([ "$SVG" = 2 ] && echo ' (and .png)')"
	fi
}

kss() { ks ss -tan "$@" | sed 's/^/  /'; }

# tapsock ss, once the command exists; until then say so.
ess() {
	if "$TAPSOCK" ss --help >/dev/null 2>&1; then
		timeout 10 "$TAPSOCK" ss --lab "$LAB" -tan "$@" | sed 's/^/  /'
	else
		say "  (tapsock ss is not in this build yet; counters below instead)"
	fi
}
have_ess() { "$TAPSOCK" ss --help >/dev/null 2>&1; }

estat() {
	local v
	v=$(timeout 10 "$TAPSOCK" stat --lab "$LAB" -z | awk -v n="$1" '$1 == n { print $2 }')
	echo "${v:-0}"
}

expect() {
	if [ "$2" = "$3" ]; then
		say "  [as expected] $1: $2"
	else
		say "  [UNEXPECTED]  $1: got '$2', expected '$3'"
		FAILS=$((FAILS + 1))
	fi
}

expect_re() {
	if printf '%s' "$2" | grep -Eq "$3"; then
		say "  [as expected] $1"
	else
		say "  [UNEXPECTED]  $1: /$3/ not in: $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-300)"
		FAILS=$((FAILS + 1))
	fi
}

finish() {
	echo
	if [ "$FAILS" -gt 0 ]; then
		say "VERDICT: $EXP_NAME: $FAILS check(s) did not hold (see [UNEXPECTED] above)"
		exit 1
	fi
	if [ -n "$SKIP_WHY" ]; then
		say "VERDICT: $EXP_NAME: what ran behaved as expected${KNOWN:+ (known differences$KNOWN)}; the rest $SKIP_WHY (skip)"
		exit 77
	fi
	if [ -n "$KNOWN" ]; then
		say "VERDICT: $EXP_NAME: behaved as Linux does, except known differences${KNOWN}"
		exit 0
	fi
	say "VERDICT: $EXP_NAME: behaved as Linux does, as explained above"
	exit 0
}

# Time scaling: tapsock's TCP timers SCALE times shorter than Linux's
# (its tunables are in milliseconds; Linux hard-codes most of them).
SCALE=20
scaled_sysctls() {
	local s=$SCALE
	echo --sysctl net.ipv4.tcp_rto_initial=$((1000 / s)) \
		--sysctl net.ipv4.tcp_rto_min=$((200 / s)) \
		--sysctl net.ipv4.tcp_rto_max=$((120000 / s)) \
		--sysctl net.ipv4.tcp_msl=$((30000 / s)) \
		--sysctl net.ipv4.tcp_delack_min=$((40 / s > 0 ? 40 / s : 1)) \
		--sysctl net.ipv4.tcp_delack_max=$((200 / s)) \
		--sysctl net.ipv4.tcp_fin_timeout=$((60 / s))
}
say_scale() {
	say "Time scale (tapsock column): tapsock's TCP timers run $SCALE times faster than"
	say "Linux's: initial RTO $((1000 / SCALE)) ms (Linux: 1 s), RTO min $((200 / SCALE)) ms (200 ms),"
	say "MSL $((30000 / SCALE)) ms (TIME_WAIT $((60000 / SCALE)) ms; Linux 60 s), tcp_fin_timeout $((60 / SCALE)) s (60 s)."
	say "Times are printed as measured and, under 'unscaled', multiplied by $SCALE."
}

# A kernel-side capture (tcpdump in the lab's namespace) into
# $WORK/TAG.pcap, for the kernel column's ladders: IFACE lo for traffic
# between two kernel programs, tap0 for the link.
kcap_start() {
	local tag=$1 ifc=$2
	shift 2
	: >"$WORK/$tag.json"
	timeout 120 ip netns exec "$LAB" tcpdump -Z root --immediate-mode -i "$ifc" -U -w "$WORK/$tag.pcap" "$@" \
		>"$WORK/$tag.tcpdump.log" 2>&1 &
	BG_PIDS+=($!)
	eval "KCAP_PID_$tag=$!"
	wait_line 10 "$WORK/$tag.tcpdump.log" "listening on"
}

kcap_stop() {
	local tag=$1 c
	eval "c=\$KCAP_PID_$tag"
	sleep 0.2
	kill -TERM "$c" 2>/dev/null
	wait "$c" 2>/dev/null
}

# Lines of `ss -tan` on the kernel side in STATE (ss's names) and on PORT.
kss_count() {
	ks ss -Htan state "$1" "( sport = :$2 or dport = :$2 )" | wc -l
}
# The same on tapsock (empty when tapsock ss does not exist yet).
ess_count() {
	local st
	have_ess || return 0
	st=$(printf '%s' "$1" | tr 'a-z_' 'A-Z-')
	timeout 10 "$TAPSOCK" ss --lab "$LAB" -tan 2>/dev/null | tr '_' '-' |
		grep -Ei "^ *$st[[:space:]]" | grep -Ec ":$2([^0-9]|\$)"
}

# Prints a program's event lines, each prefixed with WHO.
show() { printf '%s\n' "$2" | sed "s/^/  $1: /"; }

# Like expect, for a difference from Linux already known and reported
# (WHERE names the code): it is printed as such and named in the verdict,
# but does not fail the verdict; once fixed it reads "as expected".
KNOWN=
expect_known() {
	if [ "$2" = "$3" ]; then
		say "  [as expected] $1: $2"
	else
		say "  [KNOWN DIFFERENCE FROM LINUX] $1: got '$2', Linux gives '$3' ($4)"
		KNOWN="$KNOWN; $1 ($4)"
	fi
}

# One connection between the two stacks, with fault rules, captured:
#   pair TAG SIDE PORT "SERVER ARGS" "CLIENT ARGS" [RULE]...
# SIDE k: server on the kernel side (198.18.0.1), client on tapsock;
# SIDE e: server on tapsock (198.18.0.2), client on the kernel side.
# Each RULE is the text of one `tapsock fault add` (cleared afterwards).
# Sets SRV_OUT and CLI_OUT to the programs' event lines, and prints them
# and the ladder (scaled times with PAIR_SCALE).
PAIR_SCALE=1
pair() {
	local tag=$1 side=$2 port=$3 sargs=$4 cargs=$5 sip r
	shift 5
	for r in "$@"; do
		timeout 10 "$TAPSOCK" fault add --lab "$LAB" $r >/dev/null ||
			say "(fault add $r failed)"
		say "  fault rule: $r"
	done
	cap_start "$tag"
	if [ "$side" = k ]; then
		sip=$KIP
		bg_ks "$WORK/$tag.srv" python3 -u "$TOOL" server "$sip" "$port" $sargs
	else
		sip=$EIP
		bg_es "$WORK/$tag.srv" python3 -u "$TOOL" server "$sip" "$port" $sargs
	fi
	local spid=$!
	wait_line 10 "$WORK/$tag.srv" "listening|bind"
	if [ "$side" = k ]; then
		CLI_OUT=$(es python3 -u "$TOOL" client "$sip" "$port" $cargs 2>&1)
	else
		CLI_OUT=$(ks python3 -u "$TOOL" client "$sip" "$port" $cargs 2>&1)
	fi
	wait "$spid" 2>/dev/null
	cap_stop "$tag"
	SRV_OUT=$(cat "$WORK/$tag.srv")
	timeout 10 "$TAPSOCK" fault clear --lab "$LAB" >/dev/null
	show server "$SRV_OUT"
	show client "$CLI_OUT"
	ladder "$tag" --port "$port" $([ "$PAIR_SCALE" != 1 ] && echo --scale "$PAIR_SCALE")
}

# How many segments of the capture TAG have a label matching REGEX.
seg_count() {
	"$TAPSOCK" plot "$WORK/$1.pcap" --trace "$WORK/$1.json" --text ${3:+--port $3} 2>/dev/null |
		grep -Ec "$2"
}

# One kernel counter of the lab's namespace (nstat names), 0 if absent.
kstat() {
	local v
	v=$(ks nstat -azs "$1" 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }')
	echo "${v:-0}"
}
