#!/usr/bin/env python3
"""poll_wake.py ADDR PORT: select, poll, epoll level-triggered and epoll
edge-triggered must each wake when a datagram arrives.  The peer
(delayed_server.py) answers "go N" with N datagrams, the first after a
delay, so the wait starts before anything is queued.  Prints one
"ok MECH" line per mechanism, or "FAIL why"."""
import errno
import select
import socket
import sys

dst = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
s.bind(("0.0.0.0", 0))


def fail(why):
    print("FAIL", why, flush=True)
    sys.exit(1)


def expect_empty():
    try:
        s.recv(100)
    except BlockingIOError as e:
        if e.errno != errno.EAGAIN:
            fail("errno %d" % e.errno)
        return
    fail("queue not empty")


def wait_select():
    r, _, _ = select.select([s], [], [], 5)
    return bool(r)


p = select.poll()
p.register(s, select.POLLIN)


def wait_poll():
    return any(ev & select.POLLIN for _, ev in p.poll(5000))


ep_lt = select.epoll()
ep_lt.register(s.fileno(), select.EPOLLIN)


def wait_lt():
    return bool(ep_lt.poll(5))


for name, wait in (("select", wait_select), ("poll", wait_poll), ("epoll-lt", wait_lt)):
    expect_empty()
    s.sendto(b"go 1", dst)
    if not wait():
        fail(name + " did not wake")
    if s.recv(100) != b"data":
        fail(name + " wrong data")
    print("ok", name, flush=True)

# Edge-triggered: every new arrival wakes once, even when the earlier
# one was left unread.
ep_lt.close()
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
expect_empty()
s.sendto(b"go 2", dst)
if not ep.poll(5):
    fail("epoll-et: first arrival")
# Without reading, the second arrival must wake again.
if not ep.poll(5):
    fail("epoll-et: second arrival")
# Nothing new now: ET stays quiet even though two are queued.
if ep.poll(0.3):
    fail("epoll-et woke without a new arrival")
got = [s.recv(100), s.recv(100)]
if got != [b"data", b"data"]:
    fail("epoll-et data")
print("ok epoll-et", flush=True)

# An ICMP error wakes a poller; once getsockopt(SO_ERROR) has taken it,
# nothing is left to wake for (as on Linux).
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.setblocking(False)
c.connect((dst[0], 1))     # nothing listens on port 1
c.send(b"x")
pe = select.poll()
pe.register(c, select.POLLIN)
if not pe.poll(5000):
    fail("port unreachable did not wake poll")
if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != errno.ECONNREFUSED:
    fail("SO_ERROR")
if pe.poll(300):
    fail("poll woke after SO_ERROR took the error")
print("ok error-wake", flush=True)
