#!/usr/bin/env python3
"""threads.py ECHO_ADDR ECHO_PORT SILENT_ADDR: many threads blocked at once
in accept, recv and a connect that cannot complete (a silent address)
while the main thread opens, uses and closes 20 more connections: nothing
blocks on the shim's control connection.  Then every blocked thread is
released.  Prints `ok` or exits 1 naming what hung."""
import socket
import sys
import threading
import time

echo = (sys.argv[1], int(sys.argv[2]))
silent = (sys.argv[3], 9)
done = {}


def record(name, fn):
    try:
        done[name] = fn()
    except OSError as e:
        done[name] = "error %s" % e.strerror


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.bind(("127.0.0.1", 0))
ls.listen(4)
threads = [threading.Thread(target=record, args=("accept", lambda: ls.accept()[1][0]))]
conns = [socket.create_connection(echo, timeout=10) for _ in range(8)]
for i, c in enumerate(conns):
    c.settimeout(None)
    threads.append(threading.Thread(target=record, args=("recv%d" % i, lambda c=c: c.recv(100))))
sc = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
threads.append(threading.Thread(target=record, args=("silent", lambda: sc.connect(silent))))
for t in threads:
    t.daemon = True
    t.start()
time.sleep(0.5)	# let them block (not asserted on)

t0 = time.monotonic()
for i in range(20):
    s = socket.create_connection(echo, timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.getsockname()
    s.sendall(b"line %d\n" % i)
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(100)
    if got != b"line %d\n" % i:
        sys.exit("bad echo %r" % got)
    s.close()
if len(done) != 0:
    sys.exit("a blocked call returned early: %r" % done)

for i, c in enumerate(conns):
    c.sendall(b"wake %d\n" % i)
socket.create_connection(ls.getsockname(), timeout=10).close()
for t in threads[:-1]:
    t.join(10)
    if t.is_alive():
        sys.exit("a released thread is still blocked")
for i in range(8):
    if done.get("recv%d" % i) != b"wake %d\n" % i:
        sys.exit("recv%d got %r" % (i, done.get("recv%d" % i)))
if done.get("accept") != "127.0.0.1":
    sys.exit("accept got %r" % done.get("accept"))
print("ok", flush=True)
