/* The control protocol between tapsockd and its clients (the tapsock CLI,
 * the libtapsock.so shim).  Pure C, no libuv: the daemon, the CLI, the shim
 * and the unit tests all link this one encoder/decoder.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET connection to the daemon's socket
 * path ($TAPSOCK_SOCK).  One request or reply per message; file descriptors
 * travel beside a message as SCM_RIGHTS.  Every message starts with a fixed
 * 20-byte header, little-endian on the wire (explicitly encoded, never a
 * struct cast):
 *
 *   off  size  field
 *     0     4  magic    TS_CTL_MAGIC ("TSCK")
 *     4     2  version  TS_CTL_VERSION
 *     6     2  op       TS_CTL_OP_*; a reply carries the request's op
 *     8     4  id       chosen by the client, echoed in the reply
 *    12     4  result   requests: 0; replies: 0 or a negative errno
 *    16     4  len      body bytes that follow (<= TS_CTL_MAX_BODY)
 *
 * The magic and version stay at these offsets in every future version, so
 * a client and daemon of different versions can always tell each other
 * so: the daemon answers a request of another version with -EPROTO and its
 * own version in the header (ts_ctl_version_error).
 *
 * Bodies are sequences of fields written with ts_ctl_put_* and read back
 * with ts_ctl_get_*: u8/u16/u32/u64 little-endian, strings as a u16 length
 * then the bytes (no NUL on the wire).  A reader that runs past the body or
 * meets a string too long for the caller's buffer sets its error flag; the
 * op decoders check the flag and that the body was consumed exactly.
 *
 * Adding an op: pick the next number in enum ts_ctl_op (never reuse one),
 * write its body encoder/decoder here if the CLI or the shim needs them, and
 * register its handler in the daemon from your own file (core/daemon/ctl.h,
 * ts_ctl_register). */
#ifndef TS_CTL_PROTO_H
#define TS_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TS_CTL_MAGIC 0x4b435354u	/* "TSCK" little-endian */
#define TS_CTL_VERSION 1
#define TS_CTL_HDR_LEN 20
#define TS_CTL_MAX_BODY 65536
#define TS_CTL_MAX_MSG (TS_CTL_HDR_LEN + TS_CTL_MAX_BODY)
#define TS_CTL_MAX_FDS 4		/* SCM_RIGHTS fds per message */
#define TS_CTL_MAX_STR 1024		/* longest string field */

/* Operations.  0..31 belong to the daemon framework (this file); socket
 * operations start at 32 (the shim's). */
enum ts_ctl_op {
	TS_CTL_OP_NONE = 0,
	TS_CTL_OP_HELLO = 1,		/* version check; engine address, MAC, MTU */
	TS_CTL_OP_STAT = 2,		/* all counters, name + value */
	TS_CTL_OP_STAT_RESET = 3,	/* zero all counters */
	TS_CTL_OP_SYSCTL_GET = 4,	/* one tunable, or all */
	TS_CTL_OP_SYSCTL_SET = 5,	/* write one tunable */
	/* Fault injection, capture and trace (core/daemon/ctl_fault.c,
	 * ctl_stream.c).  Rule text and filters travel as strings, parsed by
	 * core/fault.c and core/capture.c in the daemon.
	 * FAULT_ADD: str rule -> u32 id, str canonical rule (-EINVAL: bad
	 * rule, -ENOSPC: too many).  FAULT_LIST: -> u32 n, n x (u32 id, str
	 * rule, u64 matched, u64 acted).  FAULT_DEL: u32 id (-ENOENT).
	 * FAULT_CLEAR: empty.
	 * CAPTURE: str filter, u8 flags (1: loopback too), u32 snaplen -> 0;
	 * then the daemon pushes CAPTURE_DATA messages (id 0) on that
	 * connection: u64 frames dropped so far (client too slow), then the
	 * rest of the body is one pcap record (header + data).
	 * TRACE: str kinds ("" all, else names separated by spaces) -> 0;
	 * then TRACE_DATA pushed: u64 events lost so far, u32 n, n x (u64
	 * seq, u64 wall-clock µs, u16 kind, str text).  A subscriber that
	 * does not keep up loses messages (counted); the engine never waits. */
	TS_CTL_OP_FAULT_ADD = 16,
	TS_CTL_OP_FAULT_LIST = 17,
	TS_CTL_OP_FAULT_DEL = 18,
	TS_CTL_OP_FAULT_CLEAR = 19,
	TS_CTL_OP_CAPTURE = 20,
	TS_CTL_OP_CAPTURE_DATA = 21,
	TS_CTL_OP_TRACE = 22,
	TS_CTL_OP_TRACE_DATA = 23,
	TS_CTL_OP_SOCK_BASE = 32,	/* first socket operation */
	/* Socket ops (the shim's; bodies in chan.h, handlers in
	 * core/daemon/ctl_sock.c).  Every op but SOCKET carries the
	 * program's socket fd as SCM_RIGHTS: holding the fd is the right to
	 * use the socket. */
	TS_CTL_OP_SOCK_SOCKET = 32,	/* new socket; reply carries its fd */
	TS_CTL_OP_SOCK_BIND = 33,
	TS_CTL_OP_SOCK_CONNECT = 34,	/* flag 1: AF_UNSPEC (disconnect) */
	TS_CTL_OP_SOCK_NAME = 35,	/* flag 1: peer name */
	TS_CTL_OP_SOCK_SETOPT = 36,
	TS_CTL_OP_SOCK_GETOPT = 37,
	TS_CTL_OP_SOCK_AUTOBIND = 38,	/* implicit bind before a first send */
	TS_CTL_OP_SOCK_QUERY = 39,	/* is this fd an engine socket? */
	/* TCP sockets (core/daemon/chan_tcp.c; bodies as the socket ops,
	 * chan.h).  The data channel is a SOCK_STREAM pair; see
	 * docs/design.md "TCP through the shim".  CONNECT: optlen = filler
	 * bytes the shim wrote to A.  LISTEN: optlen = backlog (int32).
	 * QUERY: reply port/addr local, opt = u8 kind (1 connected/connecting,
	 * 2 listening, 0 fresh) + peer u32 addr + u16 port (host order). */
	TS_CTL_OP_TCP_SOCKET = 48,
	TS_CTL_OP_TCP_BIND = 49,
	TS_CTL_OP_TCP_LISTEN = 50,
	TS_CTL_OP_TCP_CONNECT = 51,
	TS_CTL_OP_TCP_NAME = 52,	/* flag 1: peer name */
	TS_CTL_OP_TCP_SETOPT = 53,
	TS_CTL_OP_TCP_GETOPT = 54,
	TS_CTL_OP_TCP_QUERY = 55,
	/* ACCEPT: after reading one token byte from the listener's channel;
	 * reply: the new connection's A (SCM_RIGHTS), peer in addr/port. */
	TS_CTL_OP_TCP_ACCEPT = 56,
	/* LINGER: the shim's last close of a socket with a positive
	 * SO_LINGER, before it closes A.  Reply: n = 0, nothing to wait for;
	 * else opt = int32 linger seconds and an fd (SCM_RIGHTS) that turns
	 * readable (EOF) when the close is over (Linux sk_stream_wait_close:
	 * no longer FIN-WAIT-1/CLOSING/LAST-ACK) or the socket is gone. */
	TS_CTL_OP_TCP_LINGER = 57,
	/* SHUTDOWN of a listener: optlen = how.  SHUT_RD/SHUT_RDWR
	 * disconnect it (Linux inet_shutdown), waking accept() with EINVAL. */
	TS_CTL_OP_TCP_SHUTDOWN = 58,
	/* Observation (ops 64-71; core/daemon/ctl_ss.c).  SS: u32 skip ->
	 * u32 total, u32 n, n socket records (core/ss.h, ts_ss_encode). */
	TS_CTL_OP_SS = 64,
	TS_CTL_OP_MAX = 256		/* ops are < this */
};

/* Name of an op for logs ("HELLO"), or "?". */
const char *ts_ctl_op_name(unsigned op);

struct ts_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t id;
	int32_t result;
	uint32_t len;
};

/* Writes h into buf (at least TS_CTL_HDR_LEN bytes). */
void ts_ctl_hdr_encode(const struct ts_ctl_hdr *h, uint8_t *buf);
/* Parses a received message of n bytes.  Returns 0 with *h filled and the
 * body at buf + TS_CTL_HDR_LEN; -EBADMSG when n is shorter than a header,
 * the magic is wrong, or len does not match the bytes received (or exceeds
 * TS_CTL_MAX_BODY); -EPROTO when the version differs (h is then filled, so
 * the caller can report both versions and echo the id). */
int ts_ctl_hdr_decode(const uint8_t *buf, size_t n, struct ts_ctl_hdr *h);

/* A body being written.  Writes past cap set err and are dropped. */
struct ts_ctl_wr {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

/* A body being read. */
struct ts_ctl_rd {
	const uint8_t *buf;
	size_t len, off;
	int err;
};

void ts_ctl_wr_init(struct ts_ctl_wr *w, uint8_t *buf, size_t cap);
void ts_ctl_put_u8(struct ts_ctl_wr *w, uint8_t v);
void ts_ctl_put_u16(struct ts_ctl_wr *w, uint16_t v);
void ts_ctl_put_u32(struct ts_ctl_wr *w, uint32_t v);
void ts_ctl_put_u64(struct ts_ctl_wr *w, uint64_t v);
void ts_ctl_put_bytes(struct ts_ctl_wr *w, const void *p, size_t n);
/* A string: u16 length, then the bytes.  Longer than TS_CTL_MAX_STR: err. */
void ts_ctl_put_str(struct ts_ctl_wr *w, const char *s);

void ts_ctl_rd_init(struct ts_ctl_rd *r, const uint8_t *buf, size_t len);
uint8_t ts_ctl_get_u8(struct ts_ctl_rd *r);
uint16_t ts_ctl_get_u16(struct ts_ctl_rd *r);
uint32_t ts_ctl_get_u32(struct ts_ctl_rd *r);
uint64_t ts_ctl_get_u64(struct ts_ctl_rd *r);
void ts_ctl_get_bytes(struct ts_ctl_rd *r, void *p, size_t n);
/* Copies a string field into s (cap bytes, NUL-terminated).  A string that
 * does not fit, or that contains a NUL byte, sets err. */
void ts_ctl_get_str(struct ts_ctl_rd *r, char *s, size_t cap);
/* 0 if every read succeeded and the whole body was consumed, else -EBADMSG. */
int ts_ctl_rd_end(const struct ts_ctl_rd *r);

/* Builds a complete message (header + body) into buf (cap bytes).
 * Returns its length, or -EMSGSIZE. */
int ts_ctl_msg_build(uint8_t *buf, size_t cap, unsigned op, uint32_t id, int32_t result,
		     const void *body, size_t body_len);
/* The reply to a request whose version is not ours: op and id echoed,
 * result -EPROTO, our version in the header, empty body.  Returns its
 * length (TS_CTL_HDR_LEN). */
int ts_ctl_version_error(uint8_t *buf, const struct ts_ctl_hdr *req);

/* --- bodies of the framework ops ------------------------------------------ */

/* HELLO request: the client's name ("tapsock", "shim") and pid, for logs. */
struct ts_ctl_hello_req {
	char client[64];
	uint32_t pid;
};

/* HELLO reply: who the engine is. */
struct ts_ctl_hello_rep {
	uint32_t addr;			/* host order */
	uint8_t prefix_len;
	uint32_t gw;			/* host order; 0: none */
	uint8_t mac[6];
	uint32_t mtu;
	char ifname[16];		/* the TAP device */
	uint32_t daemon_pid;
};

int ts_ctl_hello_req_encode(struct ts_ctl_wr *w, const struct ts_ctl_hello_req *m);
int ts_ctl_hello_req_decode(const uint8_t *body, size_t len, struct ts_ctl_hello_req *m);
int ts_ctl_hello_rep_encode(struct ts_ctl_wr *w, const struct ts_ctl_hello_rep *m);
int ts_ctl_hello_rep_decode(const uint8_t *body, size_t len, struct ts_ctl_hello_rep *m);

/* STAT reply: u32 count, then count x (str name, u64 value).  Decoded one
 * entry at a time, so the caller needs no table of its own:
 *   ts_ctl_rd_init(&r, body, len); n = ts_ctl_get_u32(&r);
 *   for (i < n) ts_ctl_stat_next(&r, name, sizeof(name), &value);
 *   ts_ctl_rd_end(&r) */
int ts_ctl_stat_next(struct ts_ctl_rd *r, char *name, size_t cap, uint64_t *value);

/* SYSCTL_GET request: str key ("" for all).  Reply: u32 count, then count
 * x (str key, str value), values as sysctl(8) prints them (tab separated).
 * SYSCTL_SET request: str key, str value; reply: the same pair, as stored.
 * Results: -ENOENT unknown key, -EINVAL bad value. */
int ts_ctl_sysctl_next(struct ts_ctl_rd *r, char *key, size_t kcap, char *val, size_t vcap);

/* --- client side (blocking; the CLI, tests; the shim may use them) -------- */

/* Connects to the daemon at path (SOCK_SEQPACKET, close-on-exec).  With
 * timeout_ms > 0, sends and receives time out after it (-EAGAIN).  Returns
 * the fd or a negative errno (-ENOENT / -ECONNREFUSED: no daemon there). */
int ts_ctl_connect(const char *path, int timeout_ms);
/* Sends one message with up to TS_CTL_MAX_FDS fds.  0 or a negative errno. */
int ts_ctl_send(int fd, const void *msg, size_t len, const int *fds, int nfds);
/* Receives one message into buf (cap bytes) and the fds that came with it
 * (up to TS_CTL_MAX_FDS into fds, count in *nfds; fds may be NULL, and then
 * any fds received are closed).  Returns the length, -ECONNRESET at EOF,
 * -EMSGSIZE if the message or its fds were truncated, or a negative errno. */
int ts_ctl_recv(int fd, void *buf, size_t cap, int *fds, int *nfds);
/* Sends request op with body and waits for the reply with the same id
 * (buf, cap bytes: header then body).  Returns 0 with *rep filled (its
 * result is the daemon's answer), -EPROTO on a version mismatch (rep
 * filled: rep->version is the daemon's), or a negative errno. */
int ts_ctl_call(int fd, unsigned op, uint32_t id, const void *body, size_t body_len,
		struct ts_ctl_hdr *rep, uint8_t *buf, size_t cap);

#endif
