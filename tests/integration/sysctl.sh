#!/bin/bash
# Tunables through the CLI: read one, read all, write, refuse bad keys and
# values with a clear message; --sysctl at lab up reaches the engine.
. "$(dirname "$0")/lib.sh"

lab_up --sysctl net.ipv4.tcp_fin_timeout=7
assert_eq "$(ts sysctl --lab "$LAB" net.ipv4.tcp_fin_timeout)" "net.ipv4.tcp_fin_timeout = 7" \
	"--sysctl at lab up"
assert_eq "$(ts sysctl --lab "$LAB" tcp_syn_retries)" "net.ipv4.tcp_syn_retries = 6" \
	"default tcp_syn_retries (Linux's)"
assert_eq "$(ts sysctl --lab "$LAB" -w net.ipv4.tcp_syn_retries=3)" \
	"net.ipv4.tcp_syn_retries = 3" "write"
assert_eq "$(ts sysctl --lab "$LAB" -n tcp_syn_retries)" 3 "read back"
assert_eq "$(ts sysctl --lab "$LAB" net.ipv4.ip_local_port_range=40000\ 50000)" \
	"$(printf 'net.ipv4.ip_local_port_range = 40000\t50000')" "two-value write without -w"
n=$(ts sysctl --lab "$LAB" -a | grep -c ' = ')
assert_ge "$n" 20 "sysctl -a entries"

err=$(ts sysctl --lab "$LAB" net.ipv4.no_such_thing 2>&1) && fail "unknown key accepted"
assert_contains "$err" "unknown key" "unknown key message"
err=$(ts sysctl --lab "$LAB" -w tcp_syn_retries=lots 2>&1) && fail "bad value accepted"
assert_contains "$err" "invalid value" "bad value message"
err=$(ts sysctl --lab "$LAB" -w tcp_syn_retries=0 2>&1) && fail "out of range value accepted"
assert_contains "$err" "invalid value" "out of range message"
assert_eq "$(ts sysctl --lab "$LAB" -n tcp_syn_retries)" 3 "value kept after refused writes"
pass
