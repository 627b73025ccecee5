#!/bin/bash
# Unmodified curl through the shim against a kernel-side python3 HTTP
# server: a 50 MB download and a 20 MB upload (POST), bytes checked by
# sha256; several URLs on one keep-alive connection.  The kernel side must
# see the engine's address 198.18.0.2.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "needs curl"

lab_up
mktmp
T="$TS_SRCDIR/tests/integration/tcp"
mkdir "$TMPD/www"
head -c 50000000 /dev/urandom >"$TMPD/www/big.bin"
head -c 20000000 /dev/urandom >"$TMPD/up.bin"
for i in 1 2 3 4; do head -c $((i * 100000)) /dev/urandom >"$TMPD/www/f$i"; done

kside timeout 120 python3 "$T/http_server.py" "$TMPD/www" "$KERNEL_IP" 8080 2>"$TMPD/srv.log" &
wait_until 10 grep -q listening "$TMPD/srv.log" || fail "kernel http server did not start"

# 1. 50 MB download.
ts run --lab "$LAB" -- timeout 25 curl -sS -o "$TMPD/dl.bin" "http://$KERNEL_IP:8080/big.bin" ||
	fail "preloaded curl download failed"
assert_eq "$(sha256sum <"$TMPD/dl.bin")" "$(sha256sum <"$TMPD/www/big.bin")" "download sha256"
assert_contains "$(cat "$TMPD/srv.log")" "client $ENGINE_IP " "kernel side sees the engine address"

# 2. 20 MB upload.
out=$(ts run --lab "$LAB" -- timeout 25 curl -sS --data-binary @"$TMPD/up.bin" \
	-H 'Content-Type: application/octet-stream' "http://$KERNEL_IP:8080/upload") ||
	fail "preloaded curl upload failed"
assert_eq "$out" "$(sha256sum <"$TMPD/up.bin" | cut -d' ' -f1) 20000000" "upload sha256"

# 3. Four URLs on one keep-alive connection.
conns=$(ts run --lab "$LAB" -- timeout 25 curl -sS -w '%{num_connects}\n' \
	-o "$TMPD/g1" "http://$KERNEL_IP:8080/f1" -o "$TMPD/g2" "http://$KERNEL_IP:8080/f2" \
	-o "$TMPD/g3" "http://$KERNEL_IP:8080/f3" -o "$TMPD/g4" "http://$KERNEL_IP:8080/f4") ||
	fail "preloaded curl keep-alive failed"
for i in 1 2 3 4; do
	assert_eq "$(sha256sum <"$TMPD/g$i")" "$(sha256sum <"$TMPD/www/f$i")" "keep-alive file $i"
done
assert_eq "$(echo "$conns" | awk '{ n += $1 } END { print n }')" 1 "one connection for four URLs"
pass
