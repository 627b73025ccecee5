/* The data channel and the socket-op bodies, shared by the daemon
 * (core/daemon/chan_uv.c, ctl_sock.c), the shim and the tests.  Pure C.
 *
 * Data channel (UDP): the program's fd is end A of an AF_UNIX
 * SOCK_SEQPACKET socketpair whose end B tapsockd holds.  Every message is
 * one datagram behind a fixed TS_CHAN_HDR_LEN-byte header:
 *
 *   off size field
 *     0    1 kind    TS_CHAN_DATA or TS_CHAN_ERROR
 *     1    1 flags   A->B: TS_CHAN_F_DST (addr/port name a destination,
 *                    else the connected peer)
 *     2    2 port    big-endian: destination (A->B) or source (B->A)
 *     4    4 addr    IPv4, big-endian
 *     8    4 err     TS_CHAN_ERROR: the errno (positive), little-endian
 *    12    4 dst     B->A: the datagram's destination address (IP_PKTINFO)
 *    16    1 ttl     B->A: its IPv4 TTL (IP_RECVTTL)
 *    17    1 tos     B->A: its TOS byte (IP_RECVTOS)
 *    18    2 -       zero
 *
 * SEQPACKET, not DGRAM: the last close of A (after dup/fork) shows up as
 * EOF on B, which is how the engine learns that a socket is closed.
 *
 * Socket-op bodies: one request layout and one reply layout for every
 * socket op (ctl_proto.h TS_CTL_OP_SOCK_*), in ctl_proto's field
 * encoding:
 *   request: u8 type, u8 proto, u8 flag, u32 addr, u16 port, u32 level,
 *            u32 name, u32 optlen, u16 n + n opt bytes
 *   reply:   u32 addr, u16 port, u64 id, u16 n + n opt bytes */
#ifndef TS_CHAN_H
#define TS_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

#define TS_CHAN_HDR_LEN 20
#define TS_CHAN_DATA 1
#define TS_CHAN_ERROR 2
#define TS_CHAN_F_DST 0x01
/* Largest message on a UDP channel. */
#define TS_CHAN_MAX_MSG (TS_CHAN_HDR_LEN + 65535)
/* Largest option value carried by SETOPT/GETOPT. */
#define TS_CHAN_MAX_OPT 256

struct ts_chan_hdr {
	uint8_t kind, flags;
	uint16_t port;		/* host order */
	uint32_t addr;		/* host order */
	uint32_t err;
	uint32_t dst;		/* host order */
	uint8_t ttl, tos;
};

void ts_chan_hdr_encode(const struct ts_chan_hdr *h, uint8_t *buf);
/* 0, or -EBADMSG if n is short or the kind unknown. */
int ts_chan_hdr_decode(const uint8_t *buf, size_t n, struct ts_chan_hdr *h);

struct ts_ctl_sock_req {
	uint8_t type, proto, flag;
	uint32_t addr;		/* host order */
	uint16_t port;
	int32_t level, name;
	uint32_t optlen;	/* GETOPT: the caller's buffer size */
	uint16_t n;		/* SETOPT: bytes in opt */
	uint8_t opt[TS_CHAN_MAX_OPT];
};

struct ts_ctl_sock_rep {
	uint32_t addr;
	uint16_t port;
	uint64_t id;
	uint16_t n;		/* GETOPT: bytes in opt */
	uint8_t opt[TS_CHAN_MAX_OPT];
};

/* 0 or -EMSGSIZE (n too big, or the writer ran out of room). */
int ts_ctl_sock_req_encode(struct ts_ctl_wr *w, const struct ts_ctl_sock_req *m);
/* 0 or -EBADMSG (truncated, trailing bytes, n above TS_CHAN_MAX_OPT). */
int ts_ctl_sock_req_decode(const uint8_t *body, size_t len, struct ts_ctl_sock_req *m);
int ts_ctl_sock_rep_encode(struct ts_ctl_wr *w, const struct ts_ctl_sock_rep *m);
int ts_ctl_sock_rep_decode(const uint8_t *body, size_t len, struct ts_ctl_sock_rep *m);

#endif
