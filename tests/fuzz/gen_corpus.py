#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Seeds are small, valid inputs that reach each part of a target: real
frames (ARP, ICMP echo, UDP, fragments, TCP with options), relative TCP
records, user calls, and well-formed control messages.  Reproducers of
bugs the fuzzers found live beside them as crash-*/leak-* files and are not
written here.  Run from anywhere:  python3 tests/fuzz/gen_corpus.py
"""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ENG_MAC = bytes([2, 0, 0, 0, 0, 2])
PEER_MAC = bytes([2, 0, 0, 0, 0, 1])
BCAST = b"\xff" * 6
ENG = bytes([198, 18, 0, 2])
PEER = bytes([198, 18, 0, 1])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip(proto, payload, src=PEER, dst=ENG, ident=1, frag=0, ttl=64, tot=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot or 20 + len(payload), ident, frag,
                    ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(proto, seg, src=PEER, dst=ENG):
    return csum(src + dst + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def udp(sport, dport, data, src=PEER, dst=ENG):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4sum(17, u, src, dst) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def tcp(sport, dport, seq, ack, flags, win=65535, opts=b"", data=b"", fix=True):
    opts += b"\0" * (-len(opts) % 4)
    t = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    (20 + len(opts)) // 4 << 4, flags, win, 0, 0) + opts + data
    if fix:
        t = t[:16] + struct.pack("!H", l4sum(6, t)) + t[18:]
    return t


def icmp(typ, code, rest, data):
    m = struct.pack("!BBHI", typ, code, 0, rest) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def eth(payload, typ=0x0800, dst=ENG_MAC):
    return dst + PEER_MAC + struct.pack("!H", typ) + payload


def arp(op, sip, tip, tha=b"\0" * 6):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, PEER_MAC, sip, tha, tip)


MSS = b"\x02\x04\x05\xb4"
WS = b"\x01\x03\x03\x07"
SACKOK = b"\x01\x01\x04\x02"
TS = b"\x01\x01\x08\x0a" + struct.pack("!II", 6000, 0)
FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


def rec(op, dt, body=b""):
    return struct.pack("<BBH", op, dt, len(body)) + body


def rel_tcp(sel, seq, ack, flags, opts=b"", data=b"", win=65535, dt=0):
    """A TCP record aimed at a connection: seq/ack relative to it."""
    return rec(2 | sel << 3, dt, tcp(0, 0, seq, ack, flags, win, opts, data, fix=False))


def user(action, b1=0, b2=0, b3=0, dt=0):
    return rec(5, dt, bytes([action, b1, b2, b3]))


def frames():
    c = {}
    req = arp(1, PEER, ENG)
    c["arp_request"] = b"\0" + rec(0, 0, eth(req, 0x0806, BCAST))
    c["arp_reply_other"] = b"\0" + rec(0, 0, eth(arp(2, bytes([198, 18, 0, 9]), ENG, ENG_MAC), 0x0806))
    c["arp_fields"] = b"\0" + rec(6, 3, bytes([0, 9, 9, 1, 0, 0, 1])) + rec(6, 8, bytes([1, 7, 7, 0, 0, 7]))
    echo = icmp(8, 0, 0x12340001, b"ping" * 8)
    c["icmp_echo"] = b"\0" + rec(0, 0, eth(ip(1, echo)))
    c["icmp_echo_fixed"] = b"\0" + rec(1 | 8, 0, ip(1, icmp(8, 0, 1, b"x" * 56))) + rec(4, 4, b"abcdefgh")
    c["icmp_bcast"] = b"\0" + rec(1 | 8 | 16, 0, ip(1, echo, dst=bytes([198, 18, 0, 255])))
    dg = udp(9, 7, b"hello, tapsock")
    c["udp_datagram"] = b"\0" + rec(0, 0, eth(ip(17, dg))) + user(7, dt=4)
    c["udp_closed_port"] = b"\0" + rec(0, 0, eth(ip(17, udp(9, 9999, b"nobody"))))
    c["udp_record"] = b"\0" + rec(3, 0, b"payload") + rec(3 | 8, 4, bytes([0, 0x05]) + b"A" * 60)
    c["udp_frag_overlap"] = b"\0" + rec(3 | 8, 0, bytes([1, 0x83]) + b"B" * 100) + rec(7, 12)
    big = udp(9, 7, bytes(range(256)) * 6)
    f1 = ip(17, big[:1480], ident=77, frag=0x2000)
    f2 = ip(17, big[1480:], ident=77, frag=1480 // 8)
    c["ip_fragments"] = b"\0" + rec(0, 0, eth(f2)) + rec(0, 4, eth(f1))
    c["ip_frag_timeout"] = b"\0" + rec(0, 0, eth(f1)) + rec(7, 10) + rec(7, 11)
    c["ip_options"] = b"\0" + rec(1 | 8, 0, bytes([0x46, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0]) + PEER + ENG
                                  + b"\x01\x01\x01\x00" + udp(9, 7, b"opt"))
    # TCP on the established connections (sel 0: active, 1: accepted).
    c["tcp_data"] = (b"\0" + rel_tcp(0, 0, 0, PSH | ACK, data=b"GET / HTTP/1.0\r\n\r\n")
                     + user(1, 1, 64) + rel_tcp(1, 0, 0, ACK, data=b"x" * 1000, dt=3))
    c["tcp_ooo_sack"] = (b"\0" + rel_tcp(0, 100, 0, ACK, data=b"later") + rel_tcp(0, 0, 0, ACK, data=b"y" * 100)
                         + user(0, 40, 40) + rel_tcp(0, 0, 0, ACK, opts=b"\x01\x01\x05\x0a" + struct.pack("!II", 1, 1000)))
    c["tcp_fin"] = (b"\0" + rel_tcp(0, 0, 0, FIN | ACK) + user(1, 1, 1) + user(3, dt=4)
                    + rel_tcp(0, 1, 1, ACK, dt=5) + rec(7, 13))
    c["tcp_rst"] = b"\0" + rel_tcp(1, 0, 0, RST) + rel_tcp(0, 5, 0, RST | ACK) + user(5, 0, 0, 0)
    c["tcp_syn_listener"] = (b"\0" + rel_tcp(2, 0x1000, 0, SYN, opts=MSS + WS + SACKOK + TS)
                             + rel_tcp(2, 0x1001, 1, ACK, dt=4) + rel_tcp(2, 0x1001, 1, PSH | ACK, data=b"hi"))
    c["tcp_closed_port"] = b"\0" + rel_tcp(3, 1, 0, SYN) + rel_tcp(3, 1, 1, ACK)
    c["tcp_send_retrans"] = (b"\0" + user(0, 255, 16) + rec(7, 8) + rec(7, 8) + rec(7, 9)
                             + rel_tcp(0, 0, 1460, ACK) + rel_tcp(0, 0, 1460, ACK) + rel_tcp(0, 0, 1460, ACK)
                             + rel_tcp(0, 0, 1460, ACK) + rec(7, 12))
    def sack(*blocks):
        return b"\x01\x01\x05" + bytes([2 + 8 * len(blocks)]) + b"".join(struct.pack("!II", a, b) for a, b in blocks)
    # Loss recovery: data out, three duplicate ACKs SACKing above a hole
    # (edges relative to SND.UNA), then everything acknowledged.
    c["tcp_sack_recovery"] = (b"\0" + user(0, 255, 64) + rec(7, 4)
                              + rel_tcp(0, 0, 0, ACK, opts=sack((1448, 2896)))
                              + rel_tcp(0, 0, 0, ACK, opts=sack((1448, 4344)))
                              + rel_tcp(0, 0, 0, ACK, opts=sack((1448, 5792)))
                              + rel_tcp(0, 0, 0, ACK, opts=sack((1448, 7240), (8688, 10136)), dt=4)
                              + rel_tcp(0, 0, 10136, ACK, dt=5) + rec(7, 8) + rel_tcp(0, 0, 30000, ACK))
    TSO = b"\x01\x01\x08\x0a"
    c["tcp_paws"] = (b"\0" + rel_tcp(1, 0, 0, ACK, opts=TSO + struct.pack("!II", 1, 0), data=b"new")
                     + rel_tcp(1, 3, 0, ACK, opts=TSO + struct.pack("!II", 0xFFFFFF00, 0), data=b"old")
                     + rec(7, 14) + rel_tcp(1, 3, 0, ACK, opts=TSO + struct.pack("!II", 5, 0), data=b"late"))
    c["tcp_zero_window"] = (b"\0" + rel_tcp(1, 0, 0, ACK, win=0) + user(0x08, 100, 10) + rec(7, 9)
                            + rec(7, 10) + rel_tcp(1, 0, 0, ACK, win=4096))
    c["tcp_urg_paws"] = (b"\0" + rel_tcp(0, 0, 0, URG | ACK, data=b"!")
                         + rel_tcp(0, 0, 0, ACK, opts=b"\x01\x01\x08\x0a" + struct.pack("!II", 1, 0), data=b"old"))
    c["tcp_shutdown_close"] = b"\0" + user(2, 1) + user(0x12, 2) + rec(7, 9) + user(3) + user(0x13) + rec(7, 14)
    q = bytes([0, 3, 4, 0, 0, 2, 0x40, 0])  # conn 0, frag needed, MTU 576
    c["icmp_err_tcp"] = b"\0" + user(0, 255, 8) + rec(4 | 8, 0, q) + rec(4 | 8, 0, bytes([1, 3, 1, 0, 0, 0, 0, 0]))
    c["tcp_raw_frame"] = b"\0" + rec(0, 0, eth(ip(6, tcp(5555, 80, 0x10000001, 0, ACK, data=b"raw"))))
    # Through the in-engine loopback: UDP to ourselves, TCP to our listener.
    c["loopback"] = (b"\0" + rec(7 | 8, 0, bytes([0, 10])) + rec(7 | 8, 0, bytes([1, 20])) + user(7)
                     + rec(7 | 8, 0, bytes([2, 0])) + rec(7 | 8, 4, bytes([2, 50])) + rec(7 | 8, 5, bytes([3]))
                     + rec(7, 12) + rec(7 | 8, 0, bytes([2, 1])) + rec(7, 14))
    # Setup variants: fault rules, trace, syncookies, no timestamps/SACK.
    for v in (4, 5, 6, 7, 8, 0x10 | 0x20, 0x40):
        c["variant_%02x" % v] = (bytes([v]) + rel_tcp(0, 0, 0, PSH | ACK, data=b"abc") + user(0, 20, 20)
                                 + rel_tcp(2, 7, 0, SYN, opts=MSS + TS) + rec(7, 6) + rec(7, 8))
    return c


def ctl_msg(op, body=b"", ident=1, result=0, version=1):
    return struct.pack("<IHHIiI", 0x4B435354, version, op, ident, result, len(body)) + body


def s(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def sock_req(typ, proto, flag, addr, port, level, name, optlen, opt=b""):
    return struct.pack("<BBBIHIII", typ, proto, flag, addr, port, level, name, optlen) + \
        struct.pack("<H", len(opt)) + opt


def sockaddr_in(port, addr):
    return struct.pack("<H", 2) + struct.pack("!H", port) + addr + b"\0" * 8


def ctl():
    c = {}
    c["hello_req"] = ctl_msg(1, s("shim") + struct.pack("<I", 1234))
    c["hello_rep"] = ctl_msg(1, struct.pack("<IB", 0xC6120002, 24) + struct.pack("<I", 0) + ENG_MAC
                             + struct.pack("<I", 1500) + s("tap0") + struct.pack("<I", 99))
    c["stat_rep"] = ctl_msg(2, struct.pack("<I", 2) + s("IpInReceives") + struct.pack("<Q", 5)
                            + s("TcpActiveOpens") + struct.pack("<Q", 1))
    c["sysctl_get"] = ctl_msg(4, s("net.ipv4.tcp_syn_retries"))
    c["sysctl_set"] = ctl_msg(5, s("net.ipv4.ip_local_port_range") + s("32768 60999"))
    c["sysctl_set_cc"] = ctl_msg(5, s("tcp_congestion_control") + s("cubic"))
    c["sysctl_rep"] = ctl_msg(4, struct.pack("<I", 1) + s("net.ipv4.tcp_fin_timeout") + s("60"))
    c["fault_add"] = ctl_msg(16, s("drop dir out proto tcp flags syn-ack nth 1"))
    c["fault_add_prob"] = ctl_msg(16, s("delay 50 dir in proto udp port 53 prob 0.25 seed 9 limit 3"))
    c["fault_add_reorder"] = ctl_msg(16, s("reorder 20 every 2 lo"))
    c["fault_list"] = ctl_msg(17, struct.pack("<I", 1) + struct.pack("<I", 1) + s("drop") + struct.pack("<QQ", 3, 1))
    c["fault_del"] = ctl_msg(18, struct.pack("<I", 1))
    c["capture"] = ctl_msg(20, s("tcp and port 80 and host 198.18.0.1") + bytes([1]) + struct.pack("<I", 65535))
    pkt = eth(ip(6, tcp(8080, 40000, 1, 2, SYN | ACK, opts=MSS)))
    c["capture_data"] = ctl_msg(21, struct.pack("<Q", 0) + struct.pack("<IIII", 1, 2, len(pkt), len(pkt)) + pkt)
    c["trace"] = ctl_msg(22, s("state drop fault"))
    c["trace_data"] = ctl_msg(23, struct.pack("<QI", 0, 1) + struct.pack("<QQH", 1, 2, 1) + s("SYN-SENT -> ESTABLISHED"))
    c["sock_bind"] = ctl_msg(33, sock_req(2, 17, 0, 0, 7, 0, 0, 0, sockaddr_in(7, ENG)))
    c["sock_setopt"] = ctl_msg(36, sock_req(2, 17, 0, 0, 0, 1, 6, 4, struct.pack("<i", 1)))
    c["sock_rep"] = ctl_msg(35, struct.pack("<IHQ", 0xC6120002, 40000, 7) + struct.pack("<H", 0))
    c["tcp_connect"] = ctl_msg(51, sock_req(1, 6, 0, 0xC6120001, 80, 0, 0, 6, sockaddr_in(80, PEER)))
    c["tcp_listen"] = ctl_msg(50, sock_req(1, 6, 0, 0, 0, 0, 0, 128))
    c["version_mismatch"] = ctl_msg(1, s("cli") + struct.pack("<I", 1), version=2)
    c["chan_data"] = bytes([1, 1]) + struct.pack("!H", 7) + PEER + b"\0" * 12 + b"datagram"
    c["chan_error"] = bytes([2, 0, 0, 0]) + b"\0" * 4 + struct.pack("<I", 111) + b"\0" * 8
    return c


def tcp_scripts():
    c = {}

    def step(kind, *b):
        b = list(b) + [0] * (15 - len(b))
        return bytes([kind] + b[:15])

    # Handshake: SYN-ACK acking our SYN (dack 1), then data and FIN.
    synack = step(0, SYN | ACK, 0, 0, 1, 0, 0xFF, 0xFF, 0, 0, 0)
    data = step(0, PSH | ACK, 0, 0, 0, 0, 0xFF, 0xFF, 0, 10, 10) + b"d" * 100
    c["handshake_data"] = synack + data + step(8, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10)
    c["handshake_fin"] = synack + step(0, FIN | ACK, 0, 0, 0, 0, 0xFF, 0xFF) + step(6, 0xFF, 0x10, 3)
    c["listener_syn"] = step(5, SYN, 1, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 2, 4, 5, 0xB4) + \
        step(6, 10, 0, 0)
    c["send_timeout"] = synack + step(7, 0, 0, 0, 0, 0, 0, 0, 0, 100, 10) + step(6, 0xFF, 0xFF, 7) * 4
    c["icmp"] = synack + step(7, 0, 0, 0, 0, 0, 0, 0, 0, 50, 10) + step(11, 4, 1, 0, 0, 0, 0x40, 0x02)
    c["opts"] = synack + step(0, ACK, 0, 0, 0, 0, 0xFF, 0xFF, 12) + \
        b"\x01\x01\x08\x0a" + struct.pack("!II", 9, 0)
    rnd = random.Random(20261121)
    for i in range(4):
        c["random_%d" % i] = synack + bytes(rnd.randrange(256) for _ in range(16 * 12))
    return c


CTLD_OPS = [1, 2, 3, 4, 5, 16, 17, 18, 19, 20, 22, 32, 33, 34, 35, 36, 37, 38, 39,
            48, 49, 50, 51, 52, 53, 54, 55, 7, 99, 56, 64, 57, 58]


def crec(kind, fd, body=b""):
    return struct.pack("<BBH", kind, fd, len(body)) + body


def creq(op, body=b"", fd=0):
    """A request record of fuzz_ctld: op by its index in the harness's table."""
    return crec(0, fd, bytes([CTLD_OPS.index(op)]) + body)


def chan_dgram(port, addr, data, flags=1):
    return bytes([1, flags]) + struct.pack("!H", port) + addr + b"\0" * 12 + data


def ctld():
    c = {}
    SELF = 0xC6120002
    LO = 0x7F000001
    c["hello_stat_sysctl"] = (creq(1, s("fuzz") + struct.pack("<I", 1)) + creq(2) + creq(3)
                              + creq(4, s("")) + creq(5, s("tcp_syn_retries") + s("2"))
                              + creq(4, s("net.ipv4.tcp_syn_retries")))
    c["fault_capture_trace"] = (creq(16, s("drop dir out proto udp every 2")) + creq(17) + creq(18, struct.pack("<I", 1))
                                + creq(19) + creq(20, s("udp") + bytes([1]) + struct.pack("<I", 200))
                                + creq(22, s("state drop")) + crec(3, 0))
    udp_sock = sock_req(2, 0, 0, 0, 0, 0, 0, 0)
    c["udp_socket_bind_send"] = (creq(32, udp_sock) + creq(33, sock_req(2, 0, 0, 0, 7, 0, 0, 0), fd=1)
                                 + creq(35, sock_req(2, 0, 0, 0, 0, 0, 0, 0), fd=1)
                                 + crec(1, 0, chan_dgram(7, bytes([127, 0, 0, 1]), b"to myself"))
                                 + crec(3, 0) + crec(1, 0, b"")
                                 + creq(34, sock_req(2, 0, 0, LO, 7, 0, 0, 0), fd=1)
                                 + crec(1, 0, chan_dgram(0, b"\0" * 4, b"connected", flags=0))
                                 + creq(36, sock_req(2, 0, 0, 0, 0, 1, 8, 4, struct.pack("<i", 4096)), fd=1)
                                 + creq(37, sock_req(2, 0, 0, 0, 0, 1, 8, 4), fd=1)
                                 + creq(38, udp_sock, fd=1) + creq(39, udp_sock, fd=1)
                                 + crec(2, 0) + crec(3, 0))
    tcp_sock = sock_req(1, 0, 0, 0, 0, 0, 0, 0)
    c["tcp_listen_connect"] = (creq(48, tcp_sock) + creq(49, sock_req(1, 0, 0, 0, 80, 0, 0, 0), fd=1)
                               + creq(50, sock_req(1, 0, 0, 0, 0, 0, 0, 16), fd=1)
                               + creq(48, tcp_sock) + creq(51, sock_req(1, 0, 0, SELF, 80, 0, 0, 0), fd=2)
                               + crec(3, 0) + crec(1, 0, b"") + crec(1, 1, b"GET / HTTP/1.0\r\n\r\n")
                               + crec(1, 2, b"reply") + crec(3, 0) + creq(52, sock_req(1, 0, 1, 0, 0, 0, 0, 0), fd=2)
                               + creq(55, tcp_sock, fd=2) + creq(54, sock_req(1, 0, 0, 0, 0, 1, 4, 4), fd=2)
                               + creq(53, sock_req(1, 0, 0, 0, 0, 6, 1, 4, struct.pack("<i", 1)), fd=2)
                               + creq(64, struct.pack("<I", 0)) + creq(56, tcp_sock, fd=1)
                               + crec(2, 1) + crec(3, 0) + crec(2, 2) + crec(2, 0))
    c["tcp_connect_filler"] = (creq(48, tcp_sock) + crec(1, 0, b"\0" * 6)
                               + creq(51, sock_req(1, 0, 0, LO, 9, 0, 0, 6), fd=1) + crec(3, 0) + crec(3, 0))
    # SO_LINGER on a connected socket, then its close; a listener shut down.
    linger = struct.pack("<ii", 1, 1)
    c["tcp_linger_shutdown"] = (creq(48, tcp_sock) + creq(49, sock_req(1, 0, 0, 0, 81, 0, 0, 0), fd=1)
                                + creq(50, sock_req(1, 0, 0, 0, 0, 0, 0, 4), fd=1)
                                + creq(48, tcp_sock) + creq(53, sock_req(1, 0, 0, 0, 0, 1, 13, 8, linger), fd=2)
                                + creq(51, sock_req(1, 0, 0, SELF, 81, 0, 0, 0), fd=2) + crec(3, 0)
                                + crec(1, 1, b"bytes before close") + creq(57, tcp_sock, fd=2) + crec(2, 1)
                                + crec(3, 0) + creq(58, sock_req(1, 0, 0, 0, 0, 0, 0, 0), fd=1) + crec(3, 0))
    c["wrong_fds"] = (creq(33, udp_sock) + creq(33, udp_sock, fd=9) + creq(33, udp_sock, fd=10)
                      + creq(49, tcp_sock, fd=11) + creq(32, udp_sock) + creq(50, tcp_sock, fd=1)
                      + creq(51, tcp_sock, fd=1) + creq(99) + creq(7))
    c["raw_messages"] = (crec(4, 0, ctl_msg(1, s("x") + struct.pack("<I", 0), version=9))
                         + crec(4, 0, b"TSCK") + crec(4, 0, ctl_msg(2, b"extra")) + creq(1))
    return c


def wire():
    c = {}
    c["tcp_syn_opts"] = tcp(5555, 80, 1, 0, SYN, opts=MSS + SACKOK + TS[2:] + b"\x01" + WS[1:])
    c["tcp_sack4"] = tcp(80, 5555, 1, 2, ACK, opts=b"\x01\x01\x05\x22" + b"".join(
        struct.pack("!II", 100 * i, 100 * i + 50) for i in range(4)))
    c["tcp_ts_sack"] = tcp(80, 5555, 1, 2, ACK, opts=TS + b"\x01\x01\x05\x12" + struct.pack("!IIII", 5, 9, 20, 30))
    c["tcp_bad_optlen"] = tcp(80, 5555, 1, 2, ACK, opts=MSS + b"\x08\x01\x00\x00")
    c["eth_tcp"] = eth(ip(6, tcp(8080, 40000, 1, 2, SYN | ACK, opts=MSS + WS)))
    c["eth_udp"] = eth(ip(17, udp(9, 7, b"hello")))
    c["eth_arp"] = eth(arp(1, PEER, ENG), 0x0806, BCAST)
    c["eth_icmp_err"] = eth(ip(1, icmp(3, 3, 0, ip(17, udp(7, 9, b"q"), src=ENG, dst=PEER)[:28])))
    c["ip_frag"] = ip(17, udp(9, 7, b"x" * 40)[:24], frag=0x2000)
    return c


def shim():
    c = {}
    dg = chan_dgram(9, PEER, b"a datagram", flags=0)
    dg = dg[:12] + ENG + bytes([64, 0x10]) + b"\0\0" + dg[20:]
    c["plain"] = bytes([0, 0, 16, 1, 64, 0, 0, 0]) + dg
    c["all_cmsgs"] = bytes([7, 64, 16, 2, 4, 60, 0, 0]) + dg
    c["ctrunc"] = bytes([7, 20, 8, 1, 64, 0, 0, 0]) + dg
    c["trunc_peek"] = bytes([8 | 16, 0, 16, 1, 3, 0, 0, 0]) + dg
    c["no_name_no_ctl"] = bytes([1 | 32 | 64, 0, 0, 3, 1, 1, 1, 0]) + dg
    c["error_marker"] = bytes([0, 0, 16, 1, 64, 0, 0, 0]) + bytes([2, 0, 0, 0]) + b"\0" * 4 + struct.pack("<I", 111) + b"\0" * 8
    c["short"] = bytes([0, 0, 16, 1, 64, 0, 0, 0]) + b"\1\0\0"
    return c


def write(name, corpus):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in corpus.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)


if __name__ == "__main__":
    write("frames", frames())
    write("ctl", ctl())
    write("tcp", tcp_scripts())
    write("ctld", ctld())
    write("wire", wire())
    write("shim", shim())
