#!/usr/bin/env python3
"""hold.py PORT READYFILE: holds a SO_REUSEPORT UDP socket on ANY:PORT
until killed (or 60 s)."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(60)
