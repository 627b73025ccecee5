/* UDP: datagrams in from ipv4 (eng->l4[17].input), out through
 * ts_ip_output, ICMP errors from icmp.c; socket calls from the daemon's
 * socket ops.  Read RFC 768 and RFC 1122 4.1 first; where Linux differs,
 * the comments say so and tapsock follows Linux. */
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checksum.h"
#include "engine.h"
#include "wire.h"

struct ts_udp *ts_udp_of(struct ts_engine *eng)
{
	return eng->l4[IPPROTO_UDP].state;
}

/* --- wire ----------------------------------------------------------------- */

int ts_udp_parse(const uint8_t *p, size_t n, struct ts_udp_hdr *h)
{
	if (p == NULL || n < TS_UDP_HLEN)
		return -EINVAL;
	h->sport = ts_get16(p);
	h->dport = ts_get16(p + 2);
	h->len = ts_get16(p + 4);
	h->csum = ts_get16(p + 6);
	return 0;
}

void ts_udp_build(uint8_t *p, size_t len, uint32_t src, uint32_t dst, uint16_t sport,
		  uint16_t dport)
{
	uint32_t sum;
	uint16_t c;

	ts_put16(p, sport);
	ts_put16(p + 2, dport);
	ts_put16(p + 4, (uint16_t)len);
	ts_put16(p + 6, 0);
	sum = ts_csum_pseudo(src, dst, IPPROTO_UDP, (uint16_t)len);
	c = ts_csum_fold(ts_csum_add(sum, p, len, 0));
	/* RFC 768: an all-zero computed checksum is transmitted as all
	 * ones (zero means "no checksum"). */
	ts_put16(p + 6, c == 0 ? 0xffff : c);
}

/* --- sockets ---------------------------------------------------------------- */

int ts_udp_init(struct ts_engine *eng)
{
	struct ts_udp *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return -ENOMEM;
	ts_sock_table_init(&u->tab, IPPROTO_UDP);
	eng->l4[IPPROTO_UDP].input = ts_udp_input;
	eng->l4[IPPROTO_UDP].icmp_error = ts_udp_icmp_error;
	eng->l4[IPPROTO_UDP].poll = NULL;
	eng->l4[IPPROTO_UDP].state = u;
	return 0;
}

void ts_udp_destroy(struct ts_engine *eng)
{
	struct ts_udp *u = ts_udp_of(eng);

	if (u == NULL)
		return;
	while (u->all != NULL)
		ts_udp_close(eng, u->all);
	ts_sock_table_destroy(&u->tab);
	free(u);
	memset(&eng->l4[IPPROTO_UDP], 0, sizeof(eng->l4[IPPROTO_UDP]));
}

struct ts_udp_sock *ts_udp_open(struct ts_engine *eng, const struct ts_cred *cred)
{
	struct ts_udp *u = ts_udp_of(eng);
	struct ts_udp_sock *us;

	if (u == NULL)
		return NULL;
	us = calloc(1, sizeof(*us));
	if (us == NULL)
		return NULL;
	ts_sock_init(eng, &us->sk, IPPROTO_UDP, SOCK_DGRAM, cred);
	us->sk.owner = us;
	us->next = u->all;
	if (u->all != NULL)
		u->all->prev = us;
	u->all = us;
	u->nsocks++;
	return us;
}

void ts_udp_close(struct ts_engine *eng, struct ts_udp_sock *us)
{
	struct ts_udp *u = ts_udp_of(eng);

	ts_sock_unhash(&u->tab, &us->sk);
	ts_pkt_free_chain(us->rq_head);
	if (us->prev != NULL)
		us->prev->next = us->next;
	else
		u->all = us->next;
	if (us->next != NULL)
		us->next->prev = us->prev;
	u->nsocks--;
	free(us);
}

int ts_udp_bind(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t addr, uint16_t port,
		const struct ts_cred *cred)
{
	return ts_sock_bind(eng, &ts_udp_of(eng)->tab, &us->sk, addr, port, cred);
}

int ts_udp_autobind(struct ts_engine *eng, struct ts_udp_sock *us)
{
	return ts_sock_autobind(eng, &ts_udp_of(eng)->tab, &us->sk);
}

/* Is there a route to dst?  The engine routes to itself and 127/8, on
 * link, through the gateway, and to the limited broadcast address. */
static int udp_route_ok(const struct ts_engine *eng, uint32_t dst)
{
	if ((dst >> 24) == 127 || dst == eng->addr || dst == 0xffffffffu)
		return 1;
	if ((dst >> 28) == 0xe)
		return eng->dev != NULL;
	if (eng->dev == NULL)
		return 0;
	if (eng->mask != 0 && (dst & eng->mask) == (eng->addr & eng->mask))
		return 1;
	return eng->gw != 0;
}

/* Linux ip_route_output: a loopback source cannot reach a destination
 * outside 127/8 (EINVAL), then the route itself (ENETUNREACH). */
static int udp_route(const struct ts_engine *eng, uint32_t src, uint32_t dst)
{
	if ((src >> 24) == 127 && (dst >> 24) != 127)
		return -EINVAL;
	return udp_route_ok(eng, dst) ? 0 : -ENETUNREACH;
}

int ts_udp_connect(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t addr, uint16_t port)
{
	struct ts_udp *u = ts_udp_of(eng);
	int r;

	/* Linux inet_dgram_connect: autobind first (EAGAIN). */
	r = ts_sock_autobind(eng, &u->tab, &us->sk);
	if (r < 0)
		return r;
	/* Linux __ip4_datagram_connect: connecting to INADDR_ANY means
	 * this host. */
	if (addr == 0)
		addr = TS_IP4(127, 0, 0, 1);
	r = udp_route(eng, us->sk.t.laddr, addr);
	if (r < 0)
		return r;
	if (ts_sock_addr_is_bcast(eng, addr) && !us->sk.broadcast)
		return -EACCES;
	ts_sock_set_peer(&u->tab, &us->sk, ts_ip_select_src(eng, addr), addr, port);
	return 0;
}

int ts_udp_disconnect(struct ts_engine *eng, struct ts_udp_sock *us)
{
	ts_sock_set_peer(&ts_udp_of(eng)->tab, &us->sk, 0, 0, 0);
	return 0;
}

long ts_udp_sendto(struct ts_engine *eng, struct ts_udp_sock *us, int has_dst, uint32_t daddr,
		   uint16_t dport, const void *data, size_t len, uint64_t now)
{
	struct ts_udp *u = ts_udp_of(eng);
	struct ts_sock *sk = &us->sk;
	struct ts_ip_out o;
	struct pktbuf *pkt;
	uint8_t *p;
	int r;

	eng->now = now;
	/* Linux inet_send_prepare: autobind before anything else. */
	r = ts_sock_autobind(eng, &u->tab, sk);
	if (r < 0)
		return r;
	/* Linux udp_sendmsg, in its order. */
	if (len > 0xffff)
		return -EMSGSIZE;
	if (has_dst) {
		if (dport == 0)
			return -EINVAL;
	} else {
		if (sk->t.raddr == 0 && sk->t.rport == 0)
			return -EDESTADDRREQ;
		daddr = sk->t.raddr;
		dport = sk->t.rport;
	}
	if (daddr == 0)
		daddr = TS_IP4(127, 0, 0, 1);
	r = udp_route(eng, sk->t.laddr, daddr);
	if (r < 0) {
		if (r == -ENETUNREACH)
			eng->stats.IpOutNoRoutes++;
		return r;
	}
	if (ts_sock_addr_is_bcast(eng, daddr) && !sk->broadcast)
		return -EACCES;
	/* __ip_append_data: the datagram must fit in an IPv4 packet. */
	if (len > TS_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* sock_alloc_send_skb reports a pending error (and clears it). */
	if (sk->err != 0) {
		r = sk->err;
		sk->err = 0;
		return -r;
	}
	pkt = ts_pkt_alloc(TS_UDP_HLEN + len);
	if (pkt == NULL) {
		eng->stats.UdpSndbufErrors++;
		return -ENOBUFS;
	}
	p = ts_pkt_put(pkt, TS_UDP_HLEN + len);
	if (len > 0)
		memcpy(p + TS_UDP_HLEN, data, len);
	memset(&o, 0, sizeof(o));
	o.src = sk->t.laddr != 0 ? sk->t.laddr : ts_ip_select_src(eng, daddr);
	o.dst = daddr;
	o.proto = IPPROTO_UDP;
	o.ttl = sk->ttl > 0 ? (uint8_t)sk->ttl : 0;
	o.tos = sk->tos;
	/* Linux sets DF on UDP only with IP_PMTUDISC_DO/PROBE or on packets
	 * that fit (IP_PMTUDISC_WANT); tapsock sends DF clear so large
	 * datagrams fragment, which is what WANT does for them too. */
	o.df = 0;
	ts_udp_build(p, TS_UDP_HLEN + len, o.src, o.dst, sk->t.lport, dport);
	r = ts_ip_output(eng, pkt, &o);
	if (r < 0)
		return r;
	eng->stats.UdpOutDatagrams++;
	return (long)len;
}

struct pktbuf *ts_udp_recv(struct ts_engine *eng, struct ts_udp_sock *us, uint32_t *from,
			   uint16_t *fport)
{
	struct pktbuf *pkt = us->rq_head;

	if (pkt == NULL)
		return NULL;
	us->rq_head = pkt->next;
	if (us->rq_head == NULL)
		us->rq_tail = NULL;
	pkt->next = NULL;
	us->rq_len--;
	us->rq_mem -= pkt->len + TS_UDP_TRUESIZE_OVERHEAD;
	if (from != NULL)
		*from = pkt->ip_src;
	if (fport != NULL)
		*fport = ts_get16(pkt->data);
	ts_pkt_pull(pkt, TS_UDP_HLEN);
	return pkt;
}

const struct pktbuf *ts_udp_peek(const struct ts_udp_sock *us)
{
	return us->rq_head;
}

/* --- input ------------------------------------------------------------------ */

/* Queues pkt (data = UDP header, trimmed to its length) on us, or drops
 * it when the queue is over SO_RCVBUF.  Consumes pkt. */
static void udp_queue(struct ts_engine *eng, struct ts_udp_sock *us, struct pktbuf *pkt)
{
	size_t cost = pkt->len + TS_UDP_TRUESIZE_OVERHEAD;

	/* Linux __udp_enqueue_schedule_skb: drop once the memory already
	 * charged exceeds sk_rcvbuf, counting RcvbufErrors and InErrors.
	 * The queue is therefore bounded by SO_RCVBUF plus one datagram. */
	if (us->rq_mem > (size_t)us->sk.rcvbuf) {
		eng->stats.UdpRcvbufErrors++;
		eng->stats.UdpInErrors++;
		ts_pkt_free(pkt);
		return;
	}
	pkt->next = NULL;
	if (us->rq_tail != NULL)
		us->rq_tail->next = pkt;
	else
		us->rq_head = pkt;
	us->rq_tail = pkt;
	us->rq_len++;
	us->rq_mem += cost;
	/* Linux counts InDatagrams when the program reads; tapsock counts at
	 * queueing, since reads happen in the program. */
	eng->stats.UdpInDatagrams++;
	if (us->event != NULL)
		us->event(eng, us, TS_UDP_EV_READABLE, us->event_arg);
}

struct mcast_ctx {
	struct ts_engine *eng;
	struct pktbuf *pkt;
};

static void mcast_one(struct ts_sock *sk, void *arg)
{
	struct mcast_ctx *c = arg;
	struct pktbuf *copy = ts_pkt_clone(c->pkt);

	if (copy == NULL) {
		c->eng->stats.UdpInErrors++;
		return;
	}
	udp_queue(c->eng, sk->owner, copy);
}

static int is_mcast_or_bcast(const struct ts_engine *eng, uint32_t dst)
{
	return (dst >> 28) == 0xe || ts_sock_addr_is_bcast(eng, dst);
}

int ts_udp_input(struct ts_engine *eng, struct pktbuf *pkt)
{
	struct ts_udp *u = ts_udp_of(eng);
	struct ts_udp_hdr h;
	struct ts_sock *sk;

	/* RFC 768 / Linux __udp4_lib_rcv: header and length first. */
	if (ts_udp_parse(pkt->data, pkt->len, &h) < 0)
		goto drop_error;
	if (h.len < TS_UDP_HLEN || h.len > pkt->len)
		goto drop_error;
	/* RFC 1122 4.1.3.4: a zero checksum means none was sent; accept. */
	if (h.csum != 0) {
		uint32_t sum = ts_csum_pseudo(pkt->ip_src, pkt->ip_dst, IPPROTO_UDP, h.len);

		if (ts_csum_fold(ts_csum_add(sum, pkt->data, h.len, 0)) != 0) {
			eng->stats.UdpInCsumErrors++;
			goto drop_error;
		}
	}
	if (u == NULL)
		goto no_port;
	if (is_mcast_or_bcast(eng, pkt->ip_dst)) {
		struct mcast_ctx c = {eng, pkt};
		int n;

		/* Linux __udp4_lib_mcast_deliver: a copy for every matching
		 * socket; nobody listening is NoPorts, never an ICMP error. */
		ts_pkt_trim(pkt, h.len);
		n = ts_sock_foreach_match(&u->tab, pkt->ip_dst, h.dport, pkt->ip_src, h.sport,
					  mcast_one, &c);
		if (n == 0)
			eng->stats.UdpNoPorts++;
		ts_pkt_free(pkt);
		return 0;
	}
	sk = ts_sock_lookup(&u->tab, pkt->ip_dst, h.dport, pkt->ip_src, h.sport,
			    ts_sock_flow_hash(pkt->ip_src, h.sport, pkt->ip_dst, h.dport));
	if (sk == NULL)
		goto no_port;
	/* Trailing bytes past the UDP length (Ethernet padding) go. */
	ts_pkt_trim(pkt, h.len);
	udp_queue(eng, sk->owner, pkt);
	return 0;

no_port:
	/* RFC 1122 4.1.3.1: port unreachable; ipv4 sends it (rate limited)
	 * and frees pkt, which we leave as it came. */
	eng->stats.UdpNoPorts++;
	return -ECONNREFUSED;
drop_error:
	eng->stats.UdpInErrors++;
	ts_pkt_free(pkt);
	return 0;
}

/* Linux icmp_err_convert[].fatal for DEST_UNREACH codes 0..15. */
static int unreach_is_hard(uint8_t code)
{
	static const uint8_t fatal[16] = {0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1};

	return code < 16 ? fatal[code] : 0;
}

void ts_udp_icmp_error(struct ts_engine *eng, const struct ts_icmp_err *e)
{
	struct ts_udp *u = ts_udp_of(eng);
	struct ts_udp_hdr h;
	struct ts_sock *sk;
	int hard;

	if (u == NULL || e->l4 == NULL || ts_udp_parse(e->l4, e->l4_len, &h) < 0)
		return;
	/* The quoted datagram went from us (src:sport) to dst:dport; look the
	 * socket up as if the peer had answered (Linux __udp4_lib_err). */
	sk = ts_sock_lookup(&u->tab, e->src, h.sport, e->dst, h.dport,
			    ts_sock_flow_hash(e->dst, h.dport, e->src, h.sport));
	if (sk == NULL)
		return;
	switch (e->type) {
	case TS_ICMP_DEST_UNREACH:
		if (e->code == TS_ICMP_FRAG_NEEDED)
			return;	/* a PMTU update, not an error, for UDP */
		hard = unreach_is_hard(e->code);
		break;
	case TS_ICMP_PARAMETERPROB:
		hard = 1;
		break;
	case TS_ICMP_TIME_EXCEEDED:
		hard = 0;
		break;
	default:
		return;
	}
	/* Linux without IP_RECVERR: only hard errors, only on connected
	 * sockets, become sk_err (RFC 1122 4.1.3.3 leaves it to the
	 * application; Linux reports them to connected sockets). */
	if (!hard || (sk->t.raddr == 0 && sk->t.rport == 0))
		return;
	if (e->err != 0)
		sk->err = e->err;
	else if (e->type == TS_ICMP_PARAMETERPROB)
		sk->err = EPROTO;
	else if (e->code == TS_ICMP_PORT_UNREACH || e->code == TS_ICMP_PROT_UNREACH)
		sk->err = ECONNREFUSED;
	else
		sk->err = EHOSTUNREACH;
	{
		struct ts_udp_sock *us = sk->owner;

		if (us->event != NULL)
			us->event(eng, us, TS_UDP_EV_ERROR, us->event_arg);
	}
}
