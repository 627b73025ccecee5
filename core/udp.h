/* UDP (RFC 768, RFC 1122 4.1): header and checksum, delivery to sockets
 * through the socket table (sock.h), bounded receive queues, ICMP errors
 * for connected sockets as Linux reports them, and the socket calls the
 * daemon's socket ops make (bind, connect, sendto, options).
 *
 * ts_udp_init registers UDP in eng->l4[IPPROTO_UDP]. */
#ifndef TS_UDP_H
#define TS_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "pktbuf.h"
#include "sock.h"

#define TS_UDP_HLEN 8
/* The largest payload: 65535 - 20 (IPv4) - 8 (UDP), as Linux. */
#define TS_UDP_MAX_PAYLOAD 65507
/* What a queued datagram costs against SO_RCVBUF besides its bytes: an
 * approximation of Linux's skb truesize overhead. */
#define TS_UDP_TRUESIZE_OVERHEAD 768

struct ts_engine;
struct ts_icmp_err;
struct ts_udp_sock;

/* A parsed UDP header (host order). */
struct ts_udp_hdr {
	uint16_t sport, dport, len, csum;
};

/* Parses the 8-byte header at p (n bytes available); 0 or -EINVAL. */
int ts_udp_parse(const uint8_t *p, size_t n, struct ts_udp_hdr *h);
/* Writes an 8-byte header with the checksum of header + payload (payload
 * follows the header in memory, total len bytes) over the pseudo-header.
 * A computed 0 is sent as 0xffff (RFC 768). */
void ts_udp_build(uint8_t *p, size_t len, uint32_t src, uint32_t dst, uint16_t sport,
		  uint16_t dport);

/* Events for the socket's owner (the daemon's data channel). */
enum {
	TS_UDP_EV_READABLE = 1,	/* a datagram was queued */
	TS_UDP_EV_ERROR = 2,	/* sk.err was set (ICMP error) */
};
typedef void (*ts_udp_event_fn)(struct ts_engine *eng, struct ts_udp_sock *us, int ev,
				void *arg);

struct ts_udp_sock {
	struct ts_sock sk;
	struct ts_udp_sock *next, *prev;	/* every UDP socket, for destroy */
	struct pktbuf *rq_head, *rq_tail;	/* data = UDP header */
	size_t rq_len;				/* datagrams queued */
	size_t rq_mem;				/* bytes charged to rcvbuf */
	ts_udp_event_fn event;
	void *event_arg;
};

struct ts_udp {
	struct ts_sock_table tab;
	struct ts_udp_sock *all;
	int nsocks;
};

/* Registers UDP in eng->l4[17]; 0 or -ENOMEM.  ts_udp_destroy closes
 * every socket still open and unregisters. */
int ts_udp_init(struct ts_engine *eng);
void ts_udp_destroy(struct ts_engine *eng);
struct ts_udp *ts_udp_of(struct ts_engine *eng);

/* socket(AF_INET, SOCK_DGRAM, 0). NULL on allocation failure. */
struct ts_udp_sock *ts_udp_open(struct ts_engine *eng, const struct ts_cred *cred);
/* close(2): unhashes, frees the queue and the socket. */
void ts_udp_close(struct ts_engine *eng, struct ts_udp_sock *us);

/* bind(2), see ts_sock_bind for the errors. */
int ts_udp_bind(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t addr, uint16_t port,
		const struct ts_cred *cred);
/* connect(2): autobinds (-EAGAIN), checks the route (-ENETUNREACH) and
 * broadcast permission (-EACCES), then only datagrams from addr:port
 * arrive.  connect to AF_UNSPEC is ts_udp_disconnect. */
int ts_udp_connect(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t addr, uint16_t port);
int ts_udp_disconnect(struct ts_engine *eng, struct ts_udp_sock *us);
/* Binds an unbound socket to an ephemeral port (what sendto does first).
 * 0 or -EAGAIN. */
int ts_udp_autobind(struct ts_engine *eng, struct ts_udp_sock *us);

/* sendto(2): has_dst 0 sends to the connected peer.  Returns len or a
 * negative errno (-EMSGSIZE, -EDESTADDRREQ, -EINVAL for port 0, -EACCES for
 * broadcast without SO_BROADCAST, -EAGAIN, -ENETUNREACH, a pending
 * SO_ERROR). */
long ts_udp_sendto(struct ts_engine *eng, struct ts_udp_sock *us, int has_dst, uint32_t daddr,
		   uint16_t dport, const void *data, size_t len, uint64_t now);

/* The oldest queued datagram, or NULL.  Its data is the payload (the
 * header already pulled); *from and *fport give the sender.  The caller frees
 * it.  ts_udp_peek leaves it queued and returns it with data at the UDP
 * header. */
struct pktbuf *ts_udp_recv(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t *from,
			   uint16_t *fport);
const struct pktbuf *ts_udp_peek(const struct ts_udp_sock *us);

/* Input from ipv4: data = UDP header.  0 (consumed), or -ECONNREFUSED
 * (no socket: pkt not consumed, ipv4 answers port unreachable). */
int ts_udp_input(struct ts_engine *eng, struct pktbuf *pkt);
/* ICMP error about a datagram we sent. */
void ts_udp_icmp_error(struct ts_engine *eng, const struct ts_icmp_err *e);

#endif
