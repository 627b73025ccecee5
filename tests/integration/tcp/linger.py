#!/usr/bin/env python3
"""linger.py: SO_LINGER close(2) against a slow reader.

  linger.py reader ADDR PORT MARK
      (kernel side) listens with a small SO_RCVBUF, accepts one
      connection and reads it slowly; the first time the file MARK exists
      it prints `at-close N`, N = bytes its kernel had received then
      (read so far + FIONREAD); at the end `total N`, or `reset` after
      ECONNRESET.
  linger.py client ADDR PORT MARK ONOFF SECS [nb]
      (through the shim) connects, sets SO_LINGER (ONOFF, SECS) unless
      ONOFF is -1, sends 1 MB, optionally turns O_NONBLOCK on, closes,
      then creates MARK and prints `closed`.
  linger.py gone ADDR PORT GO SECS
      (through the shim) connects, sends 1000 bytes, waits for the file
      GO, closes with SO_LINGER (1, SECS) and prints `closed rc=0`.
Ordering, not time: with a positive linger, close() returns once our FIN
was acked, so the reader's kernel holds every byte when MARK appears."""
import fcntl
import os
import socket
import struct
import sys
import termios
import time

TOTAL = 1000000


def reader(addr, port, mark):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    ls.bind((addr, port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    got, seen = 0, False
    for _ in range(20000):
        if not seen and os.path.exists(mark):
            q = struct.unpack("i", fcntl.ioctl(c, termios.FIONREAD, b"\0" * 4))[0]
            print("at-close", got + q, flush=True)
            seen = True
        time.sleep(0.01)
        try:
            d = c.recv(8192)
        except ConnectionResetError:
            print("reset", flush=True)
            return
        if not d:
            break
        got += len(d)
    for _ in range(500):
        if seen or os.path.exists(mark):
            break
        time.sleep(0.01)
    if not seen and os.path.exists(mark):
        print("at-close", got, flush=True)
    print("total", got, flush=True)


def client(addr, port, mark, onoff, secs, nb):
    s = socket.create_connection((addr, port))
    if onoff >= 0:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", onoff, secs))
    s.sendall(b"x" * TOTAL)
    if nb:
        s.setblocking(False)
    s.close()
    open(mark, "w").close()
    print("closed", flush=True)


def client_gone(addr, port, go, secs):
    """Connects, sends a little, waits for the file GO (the test then
    drops everything the peer sends), closes with SO_LINGER (1, SECS)."""
    s = socket.create_connection((addr, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, secs))
    s.sendall(b"y" * 1000)
    print("connected", flush=True)
    for _ in range(3000):
        if os.path.exists(go):
            break
        time.sleep(0.01)
    t0 = time.monotonic()
    s.close()  # raises on an error: Linux's close returns 0 after the wait
    print("closed rc=0 elapsed=%.2f" % (time.monotonic() - t0), flush=True)


if sys.argv[1] == "gone":
    client_gone(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
elif sys.argv[1] == "reader":
    reader(sys.argv[2], int(sys.argv[3]), sys.argv[4])
else:
    client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]),
           len(sys.argv) > 7)
