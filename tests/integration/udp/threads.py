#!/usr/bin/env python3
"""threads.py ADDR PORT THREADS PER_THREAD: THREADS threads send on ONE
shared socket; each waits for an ack of every datagram on a socket of its
own (the ack server answers to the port named in the datagram), resending
on loss.  Prints "ok SRCPORT N" or "FAIL why"."""
import socket
import sys
import threading

dst = (sys.argv[1], int(sys.argv[2]))
nthreads, per = int(sys.argv[3]), int(sys.argv[4])
shared = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
shared.bind(("0.0.0.0", 0))
failures = []


def run(t):
    mine = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mine.bind(("0.0.0.0", 0))
    mine.settimeout(2)
    ackport = mine.getsockname()[1]
    for i in range(per):
        msg = ("%d %d %d" % (ackport, t, i)).encode()
        for _ in range(10):
            shared.sendto(msg, dst)
            try:
                while True:
                    d, _a = mine.recvfrom(100)
                    if d == msg:
                        break
            except socket.timeout:
                continue
            break
        else:
            failures.append((t, i))
            return
    mine.close()


threads = [threading.Thread(target=run, args=(t,)) for t in range(nthreads)]
for th in threads:
    th.start()
for th in threads:
    th.join()
if failures:
    print("FAIL", failures[:5])
    sys.exit(1)
print("ok", shared.getsockname()[1], nthreads * per)
