/* ICMPv4 (RFC 792, RFC 1122 3.2.2): echo replies, error generation with
 * Linux's rate limits (net/ipv4/icmp.c: icmpv4_global_allow,
 * icmpv4_xrlim_allow; net/ipv4/inetpeer.c: inet_peer_xrlim_allow), and
 * incoming errors handed to the upper protocol of the quoted packet.
 * Called by ipv4.c (input, errors about input), ip_frag.c (reassembly
 * timeout) and arp.c (resolution failure). */
#include "icmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "engine.h"
#include "wire.h"

#define ICMP_MAX_PEERS 4096
/* Linux XRLIM_BURST_FACTOR: a peer may get 6 messages in a burst. */
#define XRLIM_BURST_FACTOR 6

/* Linux icmp_err_convert[] (net/ipv4/icmp.c), by destination unreachable
 * code: the errno and whether it is fatal to a connection. */
static const struct {
	int err;
	int fatal;
} unreach_err[TS_ICMP_NR_UNREACH + 1] = {
	{ENETUNREACH, 0},	/* 0 network unreachable */
	{EHOSTUNREACH, 0},	/* 1 host unreachable */
	{ENOPROTOOPT, 1},	/* 2 protocol unreachable */
	{ECONNREFUSED, 1},	/* 3 port unreachable */
	{EMSGSIZE, 0},		/* 4 fragmentation needed and DF set */
	{EOPNOTSUPP, 0},	/* 5 source route failed */
	{ENETUNREACH, 1},	/* 6 destination network unknown */
	{EHOSTDOWN, 1},		/* 7 destination host unknown */
	{ENONET, 1},		/* 8 source host isolated */
	{ENETUNREACH, 1},	/* 9 network administratively prohibited */
	{EHOSTUNREACH, 1},	/* 10 host administratively prohibited */
	{ENETUNREACH, 0},	/* 11 network unreachable for TOS */
	{EHOSTUNREACH, 0},	/* 12 host unreachable for TOS */
	{EHOSTUNREACH, 1},	/* 13 communication administratively prohibited */
	{EHOSTUNREACH, 1},	/* 14 host precedence violation */
	{EHOSTUNREACH, 1},	/* 15 precedence cut off */
};

int ts_icmp_errno(uint8_t type, uint8_t code)
{
	switch (type) {
	case TS_ICMP_DEST_UNREACH:
		if (code <= TS_ICMP_NR_UNREACH)
			return unreach_err[code].err;
		return EHOSTUNREACH;
	case TS_ICMP_TIME_EXCEEDED:
		/* Linux udp_err/tcp_v4_err. */
		return EHOSTUNREACH;
	case TS_ICMP_PARAMETERPROB:
		return EPROTO;
	default:
		return 0;
	}
}

int ts_icmp_fatal(uint8_t type, uint8_t code)
{
	if (type == TS_ICMP_DEST_UNREACH)
		return code <= TS_ICMP_NR_UNREACH ? unreach_err[code].fatal : 0;
	if (type == TS_ICMP_PARAMETERPROB)
		return 1;
	return 0;
}

/* Types RFC 1122 3.2.2 calls errors (Linux icmp_pointers[].error). */
static int icmp_is_error(uint8_t type)
{
	return type == TS_ICMP_DEST_UNREACH || type == TS_ICMP_SOURCE_QUENCH ||
	       type == TS_ICMP_REDIRECT || type == TS_ICMP_TIME_EXCEEDED ||
	       type == TS_ICMP_PARAMETERPROB;
}

/* --- rate limits ---------------------------------------------------------- */

/* Linux icmp_global_allow (6.x): a bucket of icmp_msgs_burst messages
 * refilled at icmp_msgs_per_sec, at most once per 20 ms.  Linux spends a
 * random 0-2 credits per message (CVE-2020-25705); tapsock spends exactly
 * one so that tests on a fake clock are exact. */
static int global_allow(struct ts_engine *eng)
{
	struct ts_icmp *ic = &eng->icmp;
	int64_t burst = eng->sysctl.icmp_msgs_burst[0];
	uint64_t delta;
	int64_t incr;

	if (!ic->global_init) {
		ic->global_init = 1;
		ic->global_credit = burst;
		ic->global_stamp = eng->now;
	}
	if (ic->global_credit > 0)
		return 1;
	/* A clock that went backwards (two engines in one test) refills
	 * nothing. */
	delta = eng->now > ic->global_stamp ? eng->now - ic->global_stamp : 0;
	if (delta > TS_USEC_PER_SEC)
		delta = TS_USEC_PER_SEC;
	if (delta < TS_USEC_PER_SEC / 50)
		return 0;
	incr = (int64_t)((uint64_t)eng->sysctl.icmp_msgs_per_sec[0] * delta /
			 TS_USEC_PER_SEC);
	if (incr == 0)
		return 0;
	ic->global_stamp = eng->now;
	ic->global_credit = ic->global_credit + incr < burst ? ic->global_credit + incr : burst;
	return ic->global_credit > 0;
}

static struct ts_icmp_peer *peer_get(struct ts_engine *eng, uint32_t addr)
{
	struct ts_icmp *ic = &eng->icmp;
	struct ts_icmp_peer *p, *tmp, *oldest = NULL;

	HASH_FIND(hh, ic->peers, &addr, sizeof(addr), p);
	if (p != NULL)
		return p;
	if (ic->npeers >= ICMP_MAX_PEERS) {
		HASH_ITER(hh, ic->peers, p, tmp) {
			if (oldest == NULL || p->last < oldest->last)
				oldest = p;
		}
		HASH_DEL(ic->peers, oldest);
		free(oldest);
		ic->npeers--;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->addr = addr;
	/* Linux inet_getpeer: rate_last = jiffies - 60 s, so a new peer
	 * starts with a full burst. */
	p->tokens = XRLIM_BURST_FACTOR * (uint64_t)eng->sysctl.icmp_ratelimit[0] *
		    TS_USEC_PER_MSEC;
	p->last = eng->now;
	HASH_ADD(hh, ic->peers, addr, sizeof(p->addr), p);
	ic->npeers++;
	return p;
}

/* Linux inet_peer_xrlim_allow: a token bucket in time units, one message
 * costs icmp_ratelimit, burst XRLIM_BURST_FACTOR messages. */
static int peer_allow(struct ts_engine *eng, uint32_t addr)
{
	uint64_t timeout = (uint64_t)eng->sysctl.icmp_ratelimit[0] * TS_USEC_PER_MSEC;
	struct ts_icmp_peer *p = peer_get(eng, addr);
	uint64_t tok;

	if (p == NULL)
		return 1;	/* Linux: no peer, no limit */
	tok = p->tokens + (eng->now > p->last ? eng->now - p->last : 0);
	p->last = eng->now;
	if (tok > XRLIM_BURST_FACTOR * timeout)
		tok = XRLIM_BURST_FACTOR * timeout;
	if (tok >= timeout) {
		p->tokens = tok - timeout;
		return 1;
	}
	p->tokens = tok;
	return 0;
}

/* May this host send ICMP type/code to dst now?  Linux 6.x:
 * icmpv4_mask_allow, icmpv4_global_allow, icmpv4_xrlim_allow. */
static int icmp_allow(struct ts_engine *eng, uint8_t type, uint8_t code, uint32_t dst)
{
	if (type > TS_ICMP_NR_TYPES)
		return 1;
	if (!((1u << type) & (uint64_t)eng->sysctl.icmp_ratemask[0]))
		return 1;
	/* Path MTU discovery must not be throttled. */
	if (type == TS_ICMP_DEST_UNREACH && code == TS_ICMP_FRAG_NEEDED)
		return 1;
	if (!global_allow(eng)) {
		eng->stats.IcmpOutRateLimitGlobal++;
		return 0;
	}
	/* No per-peer limit toward the loopback. */
	if (!ts_engine_is_local(eng, dst) && !peer_allow(eng, dst)) {
		eng->stats.IcmpOutRateLimitHost++;
		return 0;
	}
	eng->icmp.global_credit--;
	return 1;
}

/* --- output --------------------------------------------------------------- */

static void count_out(struct ts_engine *eng, uint8_t type)
{
	eng->stats.IcmpOutMsgs++;
	switch (type) {
	case TS_ICMP_DEST_UNREACH:
		eng->stats.IcmpOutDestUnreachs++;
		break;
	case TS_ICMP_TIME_EXCEEDED:
		eng->stats.IcmpOutTimeExcds++;
		break;
	case TS_ICMP_PARAMETERPROB:
		eng->stats.IcmpOutParmProbs++;
		break;
	case TS_ICMP_ECHOREPLY:
		eng->stats.IcmpOutEchoReps++;
		break;
	}
}

static int is_bcast_or_mcast(const struct ts_engine *eng, uint32_t a)
{
	if (a == 0xffffffffu || (a >> 28) == 0xe)
		return 1;
	return eng->mask != 0 && eng->mask < 0xfffffffeu && eng->addr != 0 &&
	       a == ((eng->addr & eng->mask) | ~eng->mask);
}

int ts_icmp_send_error(struct ts_engine *eng, const struct pktbuf *orig,
		       uint8_t type, uint8_t code, uint32_t info)
{
	const uint8_t *ip = orig->data;
	size_t ihl, qlen;
	uint32_t src, dst;
	struct pktbuf *pkt;
	struct ts_ip_out o;
	uint8_t *p;
	int r;

	if (orig->len < TS_IP_HLEN)
		goto suppress;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < TS_IP_HLEN || ihl > orig->len)
		goto suppress;
	src = ts_get32(ip + 12);
	dst = ts_get32(ip + 16);
	/* RFC 1122 3.2.2: never about a datagram sent to a link-layer or IP
	 * broadcast or multicast, about a non-initial fragment, or to a
	 * source that names no single host. */
	if (orig->l2_bcast || is_bcast_or_mcast(eng, dst))
		goto suppress;
	if (ts_get16(ip + 6) & TS_IP_OFFMASK)
		goto suppress;
	if (src == 0 || is_bcast_or_mcast(eng, src))
		goto suppress;
	/* ...nor about an ICMP error.  Linux treats unknown types as errors
	 * too ("think about it"), and needs the type byte to tell. */
	if (ip[9] == TS_IPPROTO_ICMP) {
		if (orig->len < ihl + 1)
			goto suppress;
		if (ip[ihl] > TS_ICMP_NR_TYPES || icmp_is_error(ip[ihl]))
			goto suppress;
	}
	if (!icmp_allow(eng, type, code, src))
		return -EAGAIN;

	/* Linux quotes as much of the datagram as fits in 576 bytes. */
	qlen = orig->len;
	if (qlen > TS_ICMP_ERR_MAXLEN - TS_IP_HLEN - TS_ICMP_HLEN)
		qlen = TS_ICMP_ERR_MAXLEN - TS_IP_HLEN - TS_ICMP_HLEN;
	pkt = ts_pkt_alloc(TS_ICMP_HLEN + qlen);
	if (pkt == NULL) {
		eng->stats.IcmpOutErrors++;
		return -ENOMEM;
	}
	p = ts_pkt_put(pkt, TS_ICMP_HLEN + qlen);
	memset(p, 0, TS_ICMP_HLEN);
	p[0] = type;
	p[1] = code;
	if (type == TS_ICMP_DEST_UNREACH && code == TS_ICMP_FRAG_NEEDED)
		ts_put16(p + 6, (uint16_t)info);	/* RFC 1191 */
	else if (type == TS_ICMP_PARAMETERPROB)
		p[4] = (uint8_t)info;
	memcpy(p + TS_ICMP_HLEN, ip, qlen);
	ts_put16(p + 2, ts_csum(p, TS_ICMP_HLEN + qlen));

	memset(&o, 0, sizeof(o));
	/* From the address the datagram was sent to (it was ours). */
	o.src = ts_engine_is_local(eng, dst) ? dst : ts_ip_select_src(eng, src);
	o.dst = src;
	o.proto = TS_IPPROTO_ICMP;
	/* Linux: the original TOS bits with precedence "internetwork
	 * control" (RFC 1812 4.3.2.5). */
	o.tos = (uint8_t)((ip[1] & 0x1e) | 0xc0);
	r = ts_ip_output(eng, pkt, &o);
	if (r < 0) {
		eng->stats.IcmpOutErrors++;
		return r;
	}
	count_out(eng, type);
	return 0;
suppress:
	eng->stats.TsExtIcmpOutSuppressed++;
	return -EPERM;
}

/* --- input ---------------------------------------------------------------- */

static void icmp_echo(struct ts_engine *eng, struct pktbuf *pkt)
{
	struct ts_ip_out o;
	int r;

	/* Linux: icmp_echo_ignore_all, and icmp_echo_ignore_broadcasts
	 * (default on) for echoes sent to a broadcast or multicast. */
	if (eng->sysctl.icmp_echo_ignore_all[0])
		goto drop;
	if ((pkt->l2_bcast || is_bcast_or_mcast(eng, pkt->ip_dst)) &&
	    eng->sysctl.icmp_echo_ignore_broadcasts[0])
		goto drop;
	if (!icmp_allow(eng, TS_ICMP_ECHOREPLY, 0, pkt->ip_src))
		goto drop;
	/* RFC 792: the same identifier, sequence and data back, type 0. */
	pkt->data[0] = TS_ICMP_ECHOREPLY;
	pkt->data[1] = 0;
	ts_put16(pkt->data + 2, 0);
	ts_put16(pkt->data + 2, ts_csum(pkt->data, pkt->len));
	memset(&o, 0, sizeof(o));
	o.src = ts_engine_is_local(eng, pkt->ip_dst) ? pkt->ip_dst : 0;
	o.dst = pkt->ip_src;
	o.proto = TS_IPPROTO_ICMP;
	o.tos = pkt->ip_tos;
	r = ts_ip_output(eng, pkt, &o);
	if (r < 0)
		eng->stats.IcmpOutErrors++;
	else
		count_out(eng, TS_ICMP_ECHOREPLY);
	return;
drop:
	ts_pkt_free(pkt);
}

/* An error about a datagram we sent: parse the quote with every length
 * checked and hand it to the protocol that sent it. */
static void icmp_error_in(struct ts_engine *eng, struct pktbuf *pkt)
{
	const uint8_t *p = pkt->data;
	const uint8_t *in = p + TS_ICMP_HLEN;
	size_t ilen = pkt->len - TS_ICMP_HLEN, ihl;
	struct ts_icmp_err e;
	struct ts_l4_proto *l4;

	/* Linux icmp_unreach: the quoted header, then (icmp_socket_deliver)
	 * its IHL plus 8 bytes of transport header. */
	if (ilen < TS_IP_HLEN) {
		eng->stats.TsExtIcmpInShort++;
		goto bad;
	}
	ihl = (size_t)(in[0] & 0x0f) * 4;
	if ((in[0] >> 4) != 4 || ihl < TS_IP_HLEN)
		goto bad;
	if (ilen < ihl + 8) {
		eng->stats.TsExtIcmpInShort++;
		goto bad;
	}
	memset(&e, 0, sizeof(e));
	e.type = p[0];
	e.code = p[1];
	if (e.type == TS_ICMP_DEST_UNREACH && e.code > TS_ICMP_NR_UNREACH)
		goto drop;	/* Linux ignores unknown codes */
	e.from = pkt->ip_src;
	e.src = ts_get32(in + 12);
	e.dst = ts_get32(in + 16);
	e.proto = in[9];
	e.l4 = in + ihl;
	e.l4_len = ilen - ihl;
	if (e.type == TS_ICMP_DEST_UNREACH && e.code == TS_ICMP_FRAG_NEEDED)
		e.mtu = ts_get16(p + 6);
	if (e.type == TS_ICMP_PARAMETERPROB)
		e.info = p[4];
	e.err = ts_icmp_errno(e.type, e.code);
	e.fatal = ts_icmp_fatal(e.type, e.code);
	l4 = &eng->l4[e.proto];
	if (l4->icmp_error != NULL)
		l4->icmp_error(eng, &e);
	goto drop;
bad:
	eng->stats.IcmpInErrors++;
drop:
	ts_pkt_free(pkt);
}

void ts_icmp_input(struct ts_engine *eng, struct pktbuf *pkt)
{
	eng->stats.IcmpInMsgs++;
	if (pkt->len < TS_ICMP_HLEN) {
		eng->stats.TsExtIcmpInShort++;
		eng->stats.IcmpInErrors++;
		goto drop;
	}
	if (ts_csum(pkt->data, pkt->len) != 0) {
		eng->stats.IcmpInCsumErrors++;
		eng->stats.IcmpInErrors++;
		goto drop;
	}
	/* Linux icmp_rcv: to a broadcast or multicast address only queries
	 * (echo, timestamp, address mask) are taken; an error there is
	 * bogus (RFC 1122 3.2.2). */
	if ((pkt->l2_bcast || is_bcast_or_mcast(eng, pkt->ip_dst)) &&
	    pkt->data[0] != TS_ICMP_ECHO && pkt->data[0] != 13 &&
	    pkt->data[0] != 17 && pkt->data[0] != 18) {
		eng->stats.IcmpInErrors++;
		goto drop;
	}
	switch (pkt->data[0]) {
	case TS_ICMP_ECHO:
		eng->stats.IcmpInEchos++;
		icmp_echo(eng, pkt);
		return;
	case TS_ICMP_ECHOREPLY:
		eng->stats.IcmpInEchoReps++;
		if (eng->l4[TS_IPPROTO_ICMP].input != NULL) {
			eng->l4[TS_IPPROTO_ICMP].input(eng, pkt);
			return;
		}
		goto drop;
	case TS_ICMP_DEST_UNREACH:
		eng->stats.IcmpInDestUnreachs++;
		icmp_error_in(eng, pkt);
		return;
	case TS_ICMP_TIME_EXCEEDED:
		eng->stats.IcmpInTimeExcds++;
		icmp_error_in(eng, pkt);
		return;
	case TS_ICMP_PARAMETERPROB:
		eng->stats.IcmpInParmProbs++;
		icmp_error_in(eng, pkt);
		return;
	case TS_ICMP_SOURCE_QUENCH:
		/* RFC 6633: hosts must ignore source quench (Linux does). */
		eng->stats.IcmpInSrcQuenchs++;
		goto drop;
	case TS_ICMP_REDIRECT:
		/* One default gateway and no route cache: nothing to
		 * redirect. */
		eng->stats.IcmpInRedirects++;
		goto drop;
	default:
		eng->stats.TsExtIcmpInUnknownType++;
		goto drop;
	}
drop:
	ts_pkt_free(pkt);
}

void ts_icmp_local_error(struct ts_engine *eng, const struct pktbuf *out,
			 uint8_t type, uint8_t code)
{
	const uint8_t *in = out->data;
	struct ts_icmp_err e;
	size_t ihl;

	if (out->len < TS_IP_HLEN)
		return;
	ihl = (size_t)(in[0] & 0x0f) * 4;
	if (ihl < TS_IP_HLEN || out->len < ihl + 8)
		return;
	/* Only the first fragment names the transport ports. */
	if (ts_get16(in + 6) & TS_IP_OFFMASK)
		return;
	memset(&e, 0, sizeof(e));
	e.type = type;
	e.code = code;
	e.from = ts_get32(in + 12);
	e.src = ts_get32(in + 12);
	e.dst = ts_get32(in + 16);
	e.proto = in[9];
	e.l4 = in + ihl;
	e.l4_len = out->len - ihl;
	e.err = ts_icmp_errno(type, code);
	e.fatal = ts_icmp_fatal(type, code);
	e.local = 1;
	if (eng->l4[e.proto].icmp_error != NULL)
		eng->l4[e.proto].icmp_error(eng, &e);
}

void ts_icmp_destroy(struct ts_icmp *icmp)
{
	struct ts_icmp_peer *p, *tmp;

	HASH_ITER(hh, icmp->peers, p, tmp) {
		HASH_DEL(icmp->peers, p);
		free(p);
	}
	icmp->peers = NULL;
	icmp->npeers = 0;
}
