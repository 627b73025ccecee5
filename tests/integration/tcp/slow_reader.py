#!/usr/bin/env python3
"""slow_reader.py ADDR PORT: listens, accepts one connection, prints
`accepted`, then reads nothing for ever (the sender's data piles up)."""
import socket
import sys
import time

ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(1)
print("listening", flush=True)
c, _ = ls.accept()
c.recv(1000)
print("accepted", flush=True)
time.sleep(3600)
