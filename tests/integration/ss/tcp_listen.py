"""A TCP listener for tapsock ss tests: listens on ADDR:PORT with BACKLOG,
never accepts, writes its pid and fd to READY and waits (at most 30 s)
until STOP exists."""
import os
import socket
import sys
import time

addr, port, backlog, ready, stop = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                    sys.argv[4], sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((addr, port))
s.listen(backlog)
with open(ready + ".tmp", "w") as f:
    f.write("%d %d\n" % (os.getpid(), s.fileno()))
os.rename(ready + ".tmp", ready)
deadline = time.time() + 30
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.05)
