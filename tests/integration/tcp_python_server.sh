#!/bin/bash
# python3 -m http.server through the shim, fetched by the kernel side's
# curl 100 times in parallel batches of 10; every body checked by sha256.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "needs curl"

lab_up
mktmp
mkdir "$TMPD/www" "$TMPD/got"
head -c 300000 /dev/urandom >"$TMPD/www/f.bin"
want=$(sha256sum <"$TMPD/www/f.bin")
(cd "$TMPD/www" && ts run --lab "$LAB" -- timeout 90 python3 -m http.server 8000 \
	>"$TMPD/srv.log" 2>&1) &
wait_until 15 kside curl -sf -o /dev/null "http://$ENGINE_IP:8000/f.bin" ||
	fail "preloaded http.server does not answer: $(cat "$TMPD/srv.log")"
seq 100 | kside timeout 60 xargs -P 10 -I{} curl -sf -o "$TMPD/got/{}" \
	"http://$ENGINE_IP:8000/f.bin" || fail "kernel curl batch failed"
n=0
for f in "$TMPD"/got/*; do
	[ "$(sha256sum <"$f")" = "$want" ] && n=$((n + 1))
done
assert_eq "$n" 100 "bodies with the right sha256"
assert_ge "$(grep -c '"GET /f.bin' "$TMPD/srv.log")" 101 "requests the server logged"
pass
