#!/bin/bash
# `tapsock demo` (the README's first command, minus the build): pings the
# engine, shows the neighbour entry and the echo counters, removes its lab.
. "$(dirname "$0")/lib.sh"

out=$(timeout 60 "$TAPSOCK" demo 2>&1) || fail "tapsock demo failed: $out"
assert_contains "$out" "3 packets transmitted, 3 received" "demo ping"
assert_contains "$out" "lladdr" "demo neighbour entry"
assert_contains "$out" "IcmpInEchos" "demo counters"
assert_contains "$out" "IcmpOutEchoReps" "demo counters"
assert_contains "$out" "Connection received on 198.18.0.2" "demo UDP step: the kernel side sees the engine"
assert_contains "$out" "hello over UDP from the engine" "demo UDP step: the line arrives"
assert_contains "$out" "hello over TCP from the engine" "demo TCP step: nc's line arrives"
assert_contains "$out" "User-Agent: curl" "demo TCP step: the kernel side gets curl's request"
assert_contains "$out" "hello over HTTP, served by the kernel side" "demo TCP step: curl's page"
assert_contains "$out" "TIME-WAIT" "demo TCP step: tapsock ss lists the connections"
name=$(printf '%s\n' "$out" | sed -n 's/^== tapsock lab up \(demo-[0-9]*\):.*/\1/p')
[ -n "$name" ] || fail "demo did not name its lab"
[ ! -e "/run/netns/$name" ] || fail "demo left namespace $name"
[ ! -e "/run/tapsock/$name.sock" ] || fail "demo left its socket"
pass
