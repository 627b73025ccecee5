/* IPv4 input and output (RFC 791, RFC 1122 3.2.1): header validation,
 * local delivery to ICMP and the protocols registered in eng->l4[],
 * routing (loopback, on-link, default gateway) and the hand-off to ARP or
 * the loopback.  Fragmentation and reassembly are in ip_frag.c.
 * Called by eth.c (input), the loopback drain, icmp/udp/tcp (output). */
#include "ipv4.h"

#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "engine.h"
#include "eth.h"
#include "wire.h"

static void stat_bump(struct ts_engine *eng, int i)
{
	uint64_t *v = (uint64_t *)&eng->stats;

	if (i >= 0 && i < TS_STAT_COUNT)
		v[i]++;
}

int ts_ip_parse(const struct pktbuf *pkt, struct ts_ip_hdr *h, int *why)
{
	const uint8_t *p = pkt->data;
	int dummy;

	if (why == NULL)
		why = &dummy;
	*why = TS_STAT_IpInHdrErrors;
	/* RFC 1122 3.2.1.1-3.2.1.2, in the order Linux's ip_rcv_core checks.
	 * -EINVAL: a header error (IpInHdrErrors); -EMSGSIZE: the frame is
	 * shorter than the total length (Linux counts only
	 * IpInTruncatedPkts). */
	if (pkt->len < TS_IP_HLEN)
		return -EINVAL;
	h->version = p[0] >> 4;
	h->ihl = (uint8_t)((p[0] & 0x0f) * 4);
	if (h->version != 4) {
		*why = TS_STAT_TsExtIpInBadVersion;
		return -EINVAL;
	}
	if (h->ihl < TS_IP_HLEN) {
		*why = TS_STAT_TsExtIpInBadIhl;
		return -EINVAL;
	}
	if (h->ihl > pkt->len) {
		*why = TS_STAT_TsExtIpInBadIhl;
		return -EINVAL;
	}
	if (ts_csum(p, h->ihl) != 0) {
		*why = TS_STAT_IpExtInCsumErrors;
		return -EINVAL;
	}
	h->tos = p[1];
	h->tot_len = ts_get16(p + 2);
	h->id = ts_get16(p + 4);
	h->frag = ts_get16(p + 6);
	h->ttl = p[8];
	h->proto = p[9];
	h->csum = ts_get16(p + 10);
	h->src = ts_get32(p + 12);
	h->dst = ts_get32(p + 16);
	h->options = h->ihl > TS_IP_HLEN ? p + TS_IP_HLEN : NULL;
	h->options_len = h->ihl - TS_IP_HLEN;
	if (h->tot_len > pkt->len) {
		*why = TS_STAT_TsExtIpInTruncated;
		return -EMSGSIZE;
	}
	if (h->tot_len < h->ihl)
		return -EINVAL;
	return 0;
}

/* RFC 791 3.1 options, checked as Linux's ip_options_compile checks their
 * lengths (tapsock acts on none of them).  Returns 0, or the offset of the
 * bad byte from the start of the header; *srr says a source route was
 * present. */
static size_t ip_options_check(const uint8_t *opt, size_t len, int *srr)
{
	size_t i = 0;

	*srr = 0;
	while (i < len) {
		uint8_t type = opt[i], olen;

		if (type == 0)		/* end of option list */
			break;
		if (type == 1) {	/* no operation */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return TS_IP_HLEN + i;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return TS_IP_HLEN + i + 1;
		if (type == 131 || type == 137)	/* LSRR, SSRR */
			*srr = 1;
		i += olen;
	}
	return 0;
}

/* Broadcast as this host sees it: limited, or its subnet's. */
static int ip_is_bcast(const struct ts_engine *eng, uint32_t a)
{
	if (a == 0xffffffffu)
		return 1;
	/* /31 and /32 have no broadcast address (RFC 3021). */
	return eng->addr != 0 && eng->mask != 0 && eng->mask < 0xfffffffeu &&
	       a == ((eng->addr & eng->mask) | ~eng->mask);
}

static int ip_is_mcast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

uint32_t ts_ip_select_src(const struct ts_engine *eng, uint32_t dst)
{
	/* Linux: `local 127.0.0.0/8 dev lo ... src 127.0.0.1`. */
	if ((dst >> 24) == 127)
		return TS_IP4(127, 0, 0, 1);
	return eng->addr;
}

/* Hands the datagram at pkt->data (IPv4 header in front) to the layer
 * that owns proto.  Consumes pkt. */
static void ip_deliver(struct ts_engine *eng, struct pktbuf *pkt,
		       const struct ts_ip_hdr *h)
{
	struct ts_l4_proto *l4 = &eng->l4[h->proto];
	uint8_t *iph = pkt->data;
	size_t tot = pkt->len;
	int r;

	pkt->ip_src = h->src;
	pkt->ip_dst = h->dst;
	pkt->ip_proto = h->proto;
	pkt->ip_ttl = h->ttl;
	pkt->ip_tos = h->tos;
	ts_pkt_pull(pkt, h->ihl);

	if (h->proto == TS_IPPROTO_ICMP) {
		eng->stats.IpInDelivers++;
		ts_icmp_input(eng, pkt);
		return;
	}
	if (l4->input == NULL) {
		/* RFC 1122 3.2.2.1: protocol unreachable (Linux:
		 * ip_protocol_deliver_rcu). */
		eng->stats.IpInUnknownProtos++;
		pkt->data = iph;
		pkt->len = tot;
		ts_icmp_send_error(eng, pkt, TS_ICMP_DEST_UNREACH,
				   TS_ICMP_PROT_UNREACH, 0);
		ts_pkt_free(pkt);
		return;
	}
	eng->stats.IpInDelivers++;
	r = l4->input(eng, pkt);
	if (r == -ECONNREFUSED) {
		/* The protocol left pkt to us: quote it in a port unreachable
		 * (RFC 1122 4.1.3.1). */
		pkt->data = iph;
		pkt->len = tot;
		ts_icmp_send_error(eng, pkt, TS_ICMP_DEST_UNREACH,
				   TS_ICMP_PORT_UNREACH, 0);
		ts_pkt_free(pkt);
	}
}

void ts_ip_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt)
{
	struct ts_ip_hdr h;
	int why, r;

	eng->stats.IpInReceives++;
	r = ts_ip_parse(pkt, &h, &why);
	if (r < 0) {
		stat_bump(eng, why);
		if (r == -EINVAL && why != TS_STAT_IpInHdrErrors)
			eng->stats.IpInHdrErrors++;
		goto drop;
	}
	/* Ethernet pads short frames to 60 bytes: the total length says
	 * where the datagram ends. */
	ts_pkt_trim(pkt, h.tot_len);

	/* Martians (Linux: ip_route_input_slow).  127/8 never arrives from
	 * a link; multicast, broadcast and 0 are no host's source. */
	if (dev != &eng->lo && ((h.src >> 24) == 127 || (h.dst >> 24) == 127)) {
		eng->stats.TsExtIpInMartians++;
		goto drop;
	}
	if (ip_is_mcast(h.src) || h.src == 0xffffffffu ||
	    ((h.src >> 24) == 0 && h.dst != 0xffffffffu)) {
		eng->stats.TsExtIpInMartians++;
		goto drop;
	}
	/* Ours?  A host does not forward (Linux with ip_forward=0 counts
	 * IpInAddrErrors and drops without an ICMP error). */
	if (!ts_engine_is_local(eng, h.dst) && !ip_is_bcast(eng, h.dst)) {
		eng->stats.IpInAddrErrors++;
		goto drop;
	}
	/* RFC 1122 3.2.1.7 says a host must not send TTL 0 but must not drop
	 * a datagram for a low TTL either; Linux delivers TTL 0 locally
	 * (ip_rcv_core never looks at it).  tapsock follows Linux and only
	 * counts it. */
	if (h.ttl == 0)
		eng->stats.TsExtIpInTtlZero++;
	if (h.options_len > 0) {
		int srr;
		size_t bad = ip_options_check(h.options, h.options_len, &srr);

		if (bad != 0) {
			/* Linux ip_rcv_options: IpInHdrErrors, and a parameter
			 * problem pointing at the bad byte. */
			eng->stats.IpInHdrErrors++;
			ts_icmp_send_error(eng, pkt, TS_ICMP_PARAMETERPROB, 0, (uint32_t)bad);
			goto drop;
		}
		if (srr) {
			/* accept_source_route is 0 on Linux hosts. */
			eng->stats.IpInDiscards++;
			goto drop;
		}
	}

	if (h.frag & (TS_IP_MF | TS_IP_OFFMASK)) {
		eng->stats.IpReasmReqds++;
		pkt = ts_ip_reasm_input(eng, pkt, &h);
		if (pkt == NULL)
			return;
		/* The reassembled datagram carries a header we built. */
		if (ts_ip_parse(pkt, &h, &why) < 0) {
			eng->stats.IpInDiscards++;
			goto drop;
		}
	}
	ip_deliver(eng, pkt, &h);
	return;
drop:
	ts_pkt_free(pkt);
}

/* --- output --------------------------------------------------------------- */

struct ip_route {
	struct ts_netdev *dev;
	uint32_t nh;			/* next hop (on-link address) */
	int l2_dst;			/* 0: ARP; 1: broadcast; 2: multicast */
	uint32_t dst;
};

static int ip_route(const struct ts_engine *eng, uint32_t dst, struct ip_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->dst = dst;
	if (ts_engine_is_local(eng, dst)) {
		rt->dev = (struct ts_netdev *)&eng->lo;
		rt->nh = dst;
		return 0;
	}
	if (eng->dev == NULL || dst == 0)
		return -ENETUNREACH;
	rt->dev = eng->dev;
	rt->nh = dst;
	if (ip_is_bcast(eng, dst)) {
		rt->l2_dst = 1;
		return 0;
	}
	if (ip_is_mcast(dst)) {
		rt->l2_dst = 2;
		return 0;
	}
	if (eng->addr != 0 && (dst & eng->mask) == (eng->addr & eng->mask))
		return 0;
	if (eng->gw != 0) {
		rt->nh = eng->gw;
		return 0;
	}
	return -ENETUNREACH;
}

int ts_ip_route_check(const struct ts_engine *eng, uint32_t dst, uint32_t *nh)
{
	struct ip_route rt;
	int r = ip_route(eng, dst, &rt);

	if (r == 0 && nh != NULL)
		*nh = rt.nh;
	return r;
}

/* Sends one finished datagram (header in front) along rt. */
static int ip_emit(struct ts_engine *eng, struct pktbuf *pkt, void *arg)
{
	const struct ip_route *rt = arg;
	uint8_t mac[6];

	if (rt->dev == &eng->lo)
		return ts_engine_xmit(eng, rt->dev, pkt);
	if (!rt->dev->l2)
		return ts_engine_xmit(eng, rt->dev, pkt);
	if (rt->l2_dst == 0)
		return ts_arp_output(eng, rt->dev, pkt, rt->nh);
	if (rt->l2_dst == 1) {
		memcpy(mac, ts_eth_bcast, 6);
	} else {
		/* RFC 1112 6.4: 01:00:5e + the low 23 bits. */
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = (uint8_t)((rt->dst >> 16) & 0x7f);
		mac[4] = (uint8_t)(rt->dst >> 8);
		mac[5] = (uint8_t)rt->dst;
	}
	if (ts_eth_push(pkt, mac, eng->mac, TS_ETH_P_IP) < 0) {
		eng->stats.IpOutDiscards++;
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	return ts_engine_xmit(eng, rt->dev, pkt);
}

int ts_ip_output(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o)
{
	struct ip_route rt;
	struct ts_ip_hdr h;
	unsigned mtu;
	uint8_t *p;
	size_t tot = pkt->len + TS_IP_HLEN;
	int r;

	r = ip_route(eng, o->dst, &rt);
	if (r < 0) {
		/* Linux: the route lookup fails before ip_local_out, so
		 * only IpOutNoRoutes counts it. */
		eng->stats.IpOutNoRoutes++;
		ts_pkt_free(pkt);
		return r;
	}
	eng->stats.IpOutRequests++;
	if (tot > 65535) {
		eng->stats.IpOutDiscards++;
		ts_pkt_free(pkt);
		return -EMSGSIZE;
	}
	p = ts_pkt_push(pkt, TS_IP_HLEN);
	if (p == NULL) {
		eng->stats.IpOutDiscards++;
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	memset(&h, 0, sizeof(h));
	h.version = 4;
	h.ihl = TS_IP_HLEN;
	h.tos = o->tos;
	h.tot_len = (uint16_t)tot;
	h.id = eng->ip.next_id++;
	h.frag = o->df ? TS_IP_DF : 0;
	h.ttl = o->ttl ? o->ttl : (uint8_t)eng->sysctl.ip_default_ttl[0];
	h.proto = o->proto;
	h.src = o->src ? o->src : ts_ip_select_src(eng, o->dst);
	h.dst = o->dst;
	p[0] = 0x45;
	p[1] = h.tos;
	ts_put16(p + 2, h.tot_len);
	ts_put16(p + 4, h.id);
	ts_put16(p + 6, h.frag);
	p[8] = h.ttl;
	p[9] = h.proto;
	ts_put16(p + 10, 0);
	ts_put32(p + 12, h.src);
	ts_put32(p + 16, h.dst);
	ts_put16(p + 10, ts_csum(p, TS_IP_HLEN));

	mtu = rt.dev == &eng->lo ? eng->lo.mtu : eng->mtu;
	if (tot > mtu) {
		if (o->df) {
			/* Linux: ip_fragment with DF -> IpFragFails and
			 * EMSGSIZE to the sender. */
			eng->stats.IpFragFails++;
			ts_pkt_free(pkt);
			return -EMSGSIZE;
		}
		return ts_ip_fragment_output(eng, pkt, &h, mtu, ip_emit, &rt);
	}
	return ip_emit(eng, pkt, &rt);
}
