# Sourced by every integration test (tests/integration/*.sh).  Each test
# makes its own lab (network namespace + tap0 + tapsockd) with a unique
# name, and removes it on exit, pass or fail.  Addresses: 198.18.0.0/15
# only (kernel side 198.18.0.1, engine 198.18.0.2).  Every loop is bounded
# in count and time; no assertion depends on how fast anything is.
#
# Helpers:
#   lab_up [--sysctl K=V]...   bring up $LAB (trap removes it on exit)
#   lab_down                   remove it now
#   kside CMD...               run CMD on the kernel side of the lab
#   ts CMD...                  the tapsock CLI from the build tree
#   stat_get NAME              one engine counter (0 if absent)
#   wait_until SECS CMD...     retry CMD every 0.1 s until it succeeds
#   assert_eq A B MSG / assert_ge A B MSG / assert_contains HAY NEEDLE MSG
#   fail MSG                   print and exit 1 (the trap shows the log)
# Exit status: 0 pass, 1 fail, 77 skip (only when not root).

set -u

TS_BUILDDIR=${TS_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
TS_SRCDIR=${TS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TAPSOCK="$TS_BUILDDIR/tapsock"
TAPSOCKD="$TS_BUILDDIR/tapsockd"
TEST_NAME=$(basename "$0" .sh)
# Unique per test run: parallel `make check -j` never collides.  Lab names
# are at most 32 characters.
LAB="t$$-$(printf '%s' "$TEST_NAME" | tr -c 'A-Za-z0-9_\n-' '-' | cut -c1-20)"
KERNEL_IP=198.18.0.1
ENGINE_IP=198.18.0.2
LAB_UP=0
TMPD=

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $TEST_NAME needs root (network namespaces, TAP devices)"
	exit 77
fi
for tool in ip timeout python3 ping; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "FAIL: $TEST_NAME needs $tool (tests/check installs it)"
		exit 1
	}
done
[ -x "$TAPSOCK" ] && [ -x "$TAPSOCKD" ] || {
	echo "FAIL: no tapsock/tapsockd in $TS_BUILDDIR (build first)"
	exit 1
}

ts() {
	timeout 30 "$TAPSOCK" "$@"
}

kside() {
	timeout 60 ip netns exec "$LAB" "$@"
}

show_log() {
	if [ -f "/run/tapsock/$LAB.log" ]; then
		echo "--- tapsockd log (/run/tapsock/$LAB.log) ---"
		tail -n 40 "/run/tapsock/$LAB.log"
	fi
}

fail() {
	echo "FAIL: $TEST_NAME: $*"
	exit 1	# the EXIT trap shows the daemon's log
}

_ts_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$LAB_UP" = 1 ]; then
		[ "$rc" = 0 ] || show_log
		timeout 30 "$TAPSOCK" lab down "$LAB" >/dev/null 2>&1 || true
	fi
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	exit "$rc"
}
trap _ts_cleanup EXIT
trap 'exit 130' INT TERM

# A private scratch directory, removed on exit.
mktmp() {
	TMPD=$(mktemp -d "/tmp/tapsock-$TEST_NAME.XXXXXX")
}

lab_up() {
	LAB_UP=1
	ts lab up "$LAB" "$@" || fail "tapsock lab up $LAB failed"
}

lab_down() {
	ts lab down "$LAB" || fail "tapsock lab down $LAB failed"
	LAB_UP=0
}

stat_get() {
	local v
	v=$(ts stat --lab "$LAB" -z | awk -v n="$1" '$1 == n { print $2 }')
	echo "${v:-0}"
}

wait_until() {
	local secs=$1 i=0 n
	shift
	n=$((secs * 10))
	while [ "$i" -lt "$n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

assert_ge() {
	[ "$1" -ge "$2" ] 2>/dev/null || fail "$3: expected at least $2, got '$1'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

pass() {
	echo "PASS: $TEST_NAME"
	exit 0
}
