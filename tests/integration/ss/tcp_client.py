"""A TCP client for tapsock ss tests: connects to HOST:PORT, sends NBYTES,
writes "pid lport fd" to READY, waits (at most 30 s) until STOP exists,
reads READ bytes (optional sixth argument) that it left unread until then,
then closes first (the active close: TIME-WAIT is on this side).
With NBYTES < 0 it only connects and prints the errno it got ("errno N")."""
import os
import socket
import sys
import time

host, port, nbytes, ready, stop = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                   sys.argv[4], sys.argv[5])
toread = int(sys.argv[6]) if len(sys.argv) > 6 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if nbytes < 0:
    print("errno %d" % s.connect_ex((host, port)), flush=True)
    sys.exit(0)
s.connect((host, port))
s.sendall(b"x" * nbytes)
with open(ready + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (os.getpid(), s.getsockname()[1], s.fileno()))
os.rename(ready + ".tmp", ready)
deadline = time.time() + 30
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.05)
s.settimeout(10)
got = 0
while got < toread:
    b = s.recv(toread - got)
    if not b:
        break
    got += len(b)
if got != toread:
    sys.exit("read %d of %d bytes" % (got, toread))
s.close()
