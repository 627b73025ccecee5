# Sourced by tests/integration/exp_*.sh: runs one experiment in its
# time-scaled --check form and passes its verdict on (0 pass, 1 fail, 77
# skip: e.g. the experiment needs TCP through the shim and this build has
# none yet).  The experiment makes and removes its own lab.
. "$(dirname "$0")/lib.sh"

exp_check() {
	local rc
	command -v tcpdump >/dev/null 2>&1 || fail "needs tcpdump (tests/check installs it)"
	TAPSOCK_EXPERIMENTS="$TS_SRCDIR/experiments" timeout 300 "$TAPSOCK" experiment "$1" --check
	rc=$?
	case $rc in
	0) pass ;;
	77) echo "SKIP: $TEST_NAME (see the verdict above)"; exit 77 ;;
	*) fail "experiment $1 --check exited $rc" ;;
	esac
}
