#!/bin/bash
# `tapsock run` execs the program with libtapsock.so preloaded and
# TAPSOCK_SOCK set, inside the lab's namespace; without a daemon it
# refuses with one line naming the fix.  `tapsock lab exec` runs on the
# kernel side.
. "$(dirname "$0")/lib.sh"

lab_up
sock=/run/tapsock/$LAB.sock
env_out=$(ts run --lab "$LAB" -- env) || fail "tapsock run env failed"
assert_contains "$env_out" "TAPSOCK_SOCK=$sock" "TAPSOCK_SOCK"
assert_contains "$env_out" "LD_PRELOAD=$TS_BUILDDIR/libtapsock.so" "LD_PRELOAD"
# The program is in the lab's namespace: it sees tap0 and 198.18.0.1.
links=$(ts run --lab "$LAB" -- ip -o addr show) || fail "tapsock run ip failed"
assert_contains "$links" "198.18.0.1/24" "run joins the lab namespace"
# Same through --sock (no namespace change) and TAPSOCK_SOCK.
env_out=$(ts run --sock "$sock" -- env) || fail "tapsock run --sock failed"
assert_contains "$env_out" "TAPSOCK_SOCK=$sock" "--sock"
env_out=$(TAPSOCK_SOCK=$sock ts run -- env) || fail "tapsock run with TAPSOCK_SOCK failed"
assert_contains "$env_out" "TAPSOCK_SOCK=$sock" "TAPSOCK_SOCK from the environment"
# Exit status passes through.
ts run --lab "$LAB" -- sh -c 'exit 3'
assert_eq "$?" 3 "exit status"
# lab exec: the kernel side.
out=$(ts lab exec "$LAB" -- ip -o addr show dev tap0) || fail "lab exec failed"
assert_contains "$out" "198.18.0.1/24" "lab exec runs in the namespace"

# Clear refusals: a lab that does not exist, a name that cannot be one.
err=$(ts lab exec "nolab$$" -- true 2>&1) && fail "lab exec in a missing lab succeeded"
assert_contains "$err" "tapsock lab up nolab$$" "lab exec names the fix"
err=$(ts lab up "bad/name" 2>&1) && fail "lab up accepted a bad name"
assert_contains "$err" "bad lab name" "lab up bad name"
[ ! -e /run/netns/bad ] || fail "lab up with a bad name created something"

# No daemon: one line naming the fix, for run, stat and sysctl.
for cmd in "run --lab nolab$$ -- true" "stat --sock /run/tapsock/nolab$$.sock" \
	"sysctl --lab nolab$$" "info --lab nolab$$"; do
	# shellcheck disable=SC2086
	err=$(ts $cmd 2>&1) && fail "tapsock $cmd succeeded without a daemon"
	assert_eq "$(printf '%s\n' "$err" | wc -l)" 1 "tapsock $cmd: one-line error"
	assert_contains "$err" "tapsock lab up" "tapsock $cmd names the fix"
	assert_contains "$err" "TAPSOCK_SOCK" "tapsock $cmd names TAPSOCK_SOCK"
done
pass
