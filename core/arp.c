/* ARP (RFC 826) and the neighbour cache, with Linux's states and timers
 * (net/core/neighbour.c, net/ipv4/arp.c; tunables
 * net.ipv4.neigh.default.*).  Called by eth.c (input), ipv4.c (output),
 * ts_engine_start (gratuitous ARP) and ts_engine_poll (timers). */
#include "arp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "eth.h"
#include "wire.h"

#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

static const uint8_t zero_mac[6];

const char *ts_arp_state_name(enum ts_arp_state s)
{
	switch (s) {
	case TS_ARP_INCOMPLETE: return "INCOMPLETE";
	case TS_ARP_REACHABLE: return "REACHABLE";
	case TS_ARP_STALE: return "STALE";
	case TS_ARP_DELAY: return "DELAY";
	case TS_ARP_PROBE: return "PROBE";
	case TS_ARP_FAILED: return "FAILED";
	case TS_ARP_PERMANENT: return "PERMANENT";
	}
	return "?";
}

static uint64_t ms_to_us(int64_t ms)
{
	return (uint64_t)ms * TS_USEC_PER_MSEC;
}

static uint64_t reachable_us(const struct ts_engine *eng)
{
	/* Linux picks reachable_time at random in [base/2, 3*base/2];
	 * tapsock uses base itself so tests and labs are repeatable. */
	return ms_to_us(eng->sysctl.neigh_base_reachable_time_ms[0]);
}

static uint64_t retrans_us(const struct ts_engine *eng)
{
	return ms_to_us(eng->sysctl.neigh_retrans_time_ms[0]);
}

static uint64_t gc_stale_us(const struct ts_engine *eng)
{
	return (uint64_t)eng->sysctl.neigh_gc_stale_time[0] * TS_USEC_PER_SEC;
}

/* Builds and sends one ARP packet. */
static int arp_send(struct ts_engine *eng, struct ts_netdev *dev, uint16_t op,
		    const uint8_t eth_dst[6], const uint8_t tha[6], uint32_t tip,
		    uint32_t sip)
{
	struct pktbuf *pkt = ts_pkt_alloc(TS_ARP_HLEN);
	uint8_t *p;

	if (pkt == NULL)
		return -ENOMEM;
	p = ts_pkt_put(pkt, TS_ARP_HLEN);
	ts_put16(p, ARP_HRD_ETHER);
	ts_put16(p + 2, TS_ETH_P_IP);
	p[4] = 6;
	p[5] = 4;
	ts_put16(p + 6, op);
	memcpy(p + 8, eng->mac, 6);
	ts_put32(p + 14, sip);
	memcpy(p + 18, tha, 6);
	ts_put32(p + 24, tip);
	if (ts_eth_push(pkt, eth_dst, eng->mac, TS_ETH_P_ARP) < 0) {
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	return ts_engine_xmit(eng, dev, pkt);
}

/* A request for ip: broadcast while resolving, unicast to the cached
 * address while probing (Linux arp_solicit). */
static void arp_request(struct ts_engine *eng, struct ts_netdev *dev,
			const struct ts_arp_entry *e, int unicast)
{
	eng->stats.TsExtArpOutRequests++;
	arp_send(eng, dev, ARP_OP_REQUEST, unicast ? e->mac : ts_eth_bcast,
		 zero_mac, e->ip, eng->addr);
}

void ts_arp_gratuitous(struct ts_engine *eng, struct ts_netdev *dev)
{
	/* RFC 5227 3: a gratuitous ARP is a request with sender and target
	 * both our address, broadcast (Linux's arp_send at NETDEV_UP). */
	eng->stats.TsExtArpOutGratuitous++;
	arp_send(eng, dev, ARP_OP_REQUEST, ts_eth_bcast, zero_mac, eng->addr,
		 eng->addr);
}

const struct ts_arp_entry *ts_arp_find(struct ts_engine *eng, uint32_t ip)
{
	struct ts_arp_entry *e;

	HASH_FIND(hh, eng->arp.table, &ip, sizeof(ip), e);
	return e;
}

static struct ts_arp_entry *arp_get(struct ts_engine *eng, uint32_t ip)
{
	return (struct ts_arp_entry *)ts_arp_find(eng, ip);
}

static void arp_free(struct ts_arp *arp, struct ts_arp_entry *e)
{
	HASH_DEL(arp->table, e);
	arp->entries--;
	ts_pkt_free_chain(e->q_head);
	free(e);
}

/* A new entry; when the table is full (gc_thresh3), the oldest FAILED or
 * unused STALE entry makes room, else NULL (Linux: "neighbour table
 * overflow"). */
static struct ts_arp_entry *arp_create(struct ts_engine *eng, uint32_t ip)
{
	struct ts_arp *arp = &eng->arp;
	struct ts_arp_entry *e, *tmp, *victim = NULL;

	if (arp->entries >= arp->max_entries) {
		HASH_ITER(hh, arp->table, e, tmp) {
			if ((e->state == TS_ARP_FAILED || e->state == TS_ARP_STALE) &&
			    (victim == NULL || e->used < victim->used))
				victim = e;
		}
		if (victim == NULL)
			return NULL;
		arp_free(arp, victim);
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->ip = ip;
	e->state = TS_ARP_INCOMPLETE;
	e->updated = e->used = eng->now;
	HASH_ADD(hh, arp->table, ip, sizeof(e->ip), e);
	arp->entries++;
	return e;
}

static int arp_xmit(struct ts_engine *eng, struct ts_netdev *dev,
		    const struct ts_arp_entry *e, struct pktbuf *pkt)
{
	if (ts_eth_push(pkt, e->mac, eng->mac, TS_ETH_P_IP) < 0) {
		eng->stats.IpOutDiscards++;
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	return ts_engine_xmit(eng, dev, pkt);
}

/* The address is known: send what waited for it. */
static void arp_flush(struct ts_engine *eng, struct ts_netdev *dev, struct ts_arp_entry *e)
{
	struct pktbuf *q = e->q_head;

	e->q_head = e->q_tail = NULL;
	e->q_len = 0;
	while (q != NULL) {
		struct pktbuf *next = q->next;

		q->next = NULL;
		arp_xmit(eng, dev, e, q);
		q = next;
	}
}

/* Resolution failed: the queue moves to *dead, whose packets' senders
 * arp_report_dead tells once the cache walk is over. */
static void arp_fail(struct ts_engine *eng, struct ts_arp_entry *e, struct pktbuf **dead)
{
	e->state = TS_ARP_FAILED;
	e->updated = eng->now;
	eng->stats.TsExtArpResolveFailed++;
	if (e->q_head != NULL) {
		e->q_tail->next = *dead;
		*dead = e->q_head;
	}
	e->q_head = e->q_tail = NULL;
	e->q_len = 0;
}

/* Linux neigh_invalidate -> arp_error_report -> ip_link_failure: each
 * dropped packet's sender hears an ICMP host unreachable from this host.
 * Called outside the cache walk: the upper layer may send again. */
static void arp_report_dead(struct ts_engine *eng, struct pktbuf *q)
{
	while (q != NULL) {
		struct pktbuf *next = q->next;

		q->next = NULL;
		eng->stats.IpOutDiscards++;
		ts_icmp_local_error(eng, q, TS_ICMP_DEST_UNREACH, TS_ICMP_HOST_UNREACH);
		ts_pkt_free(q);
		q = next;
	}
}

/* Linux neigh_update: a new link-layer address or a confirmation. */
static void arp_update(struct ts_engine *eng, struct ts_netdev *dev,
		       struct ts_arp_entry *e, const uint8_t mac[6], int reachable)
{
	int changed = memcmp(e->mac, mac, 6) != 0;

	if (e->state == TS_ARP_PERMANENT)
		return;
	if (reachable) {
		e->state = TS_ARP_REACHABLE;
		e->updated = eng->now;
	} else if (changed || e->state == TS_ARP_INCOMPLETE ||
		   e->state == TS_ARP_FAILED) {
		/* A request or a broadcast reply proves nothing about the
		 * path back: the entry is usable but STALE.  The same
		 * address while REACHABLE leaves the state alone. */
		e->state = TS_ARP_STALE;
		e->updated = eng->now;
	}
	memcpy(e->mac, mac, 6);
	e->probes = 0;
	if (e->q_head != NULL && dev != NULL)
		arp_flush(eng, dev, e);
}

void ts_arp_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt)
{
	const uint8_t *p = pkt->data;
	uint8_t sha[6], tha[6];
	uint32_t sip, tip;
	uint16_t op;
	struct ts_arp_entry *e;

	/* RFC 826 "Packet Reception": Ethernet hardware, IPv4 protocol,
	 * their lengths, and an opcode we know.  Trailing padding is fine. */
	if (pkt->len < TS_ARP_HLEN || ts_get16(p) != ARP_HRD_ETHER ||
	    ts_get16(p + 2) != TS_ETH_P_IP || p[4] != 6 || p[5] != 4) {
		eng->stats.TsExtArpInMalformed++;
		goto out;
	}
	op = ts_get16(p + 6);
	memcpy(sha, p + 8, 6);
	sip = ts_get32(p + 14);
	memcpy(tha, p + 18, 6);
	tip = ts_get32(p + 24);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY) {
		eng->stats.TsExtArpInMalformed++;
		goto out;
	}
	/* Linux arp_process: a multicast sender or target address is
	 * nonsense; a group/broadcast sender MAC too. */
	if ((tip >> 28) == 0xe || (sip >> 28) == 0xe || (sha[0] & 1)) {
		eng->stats.TsExtArpInMalformed++;
		goto out;
	}
	if (op == ARP_OP_REQUEST)
		eng->stats.TsExtArpInRequests++;
	else
		eng->stats.TsExtArpInReplies++;
	/* Someone else claims our address: nothing to learn. */
	if (sip == eng->addr && eng->addr != 0)
		goto out;

	if (op == ARP_OP_REQUEST && tip == eng->addr && eng->addr != 0) {
		if (sip == 0) {
			/* RFC 5227 probe (duplicate address detection):
			 * answer so the prober sees the address in use,
			 * learn nothing. */
			eng->stats.TsExtArpOutReplies++;
			arp_send(eng, dev, ARP_OP_REPLY, sha, sha, 0, eng->addr);
			goto out;
		}
		/* Linux neigh_event_ns: a request addressed to us creates or
		 * refreshes the sender's entry, as STALE. */
		e = arp_get(eng, sip);
		if (e == NULL)
			e = arp_create(eng, sip);
		if (e != NULL)
			arp_update(eng, dev, e, sha, 0);
		eng->stats.TsExtArpOutReplies++;
		arp_send(eng, dev, ARP_OP_REPLY, sha, sha, sip, eng->addr);
		goto out;
	}
	if (tip != eng->addr)
		eng->stats.TsExtArpInNotForUs++;
	/* Anything else only updates an entry we already have (Linux with
	 * arp_accept=0 creates none).  A unicast reply to us confirms
	 * reachability; requests and broadcast replies leave it STALE. */
	e = arp_get(eng, sip);
	if (e != NULL && sip != 0)
		arp_update(eng, dev, e, sha,
			   op == ARP_OP_REPLY && !pkt->l2_bcast && tip == eng->addr);
out:
	ts_pkt_free(pkt);
}

int ts_arp_output(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt,
		  uint32_t nh)
{
	struct ts_arp_entry *e = arp_get(eng, nh);

	if (e != NULL) {
		switch (e->state) {
		case TS_ARP_STALE:
			/* Linux: using a STALE entry starts DELAY; if nothing
			 * confirms it within delay_first_probe_time, PROBE. */
			e->state = TS_ARP_DELAY;
			e->updated = eng->now;
			e->next_retry = eng->now +
				(uint64_t)eng->sysctl.neigh_delay_first_probe_time[0] *
					TS_USEC_PER_SEC;
			/* fall through */
		case TS_ARP_REACHABLE:
		case TS_ARP_DELAY:
		case TS_ARP_PROBE:
		case TS_ARP_PERMANENT:
			e->used = eng->now;
			return arp_xmit(eng, dev, e, pkt);
		case TS_ARP_FAILED:
			/* Linux __neigh_event_send: a new packet restarts
			 * resolution. */
			e->state = TS_ARP_INCOMPLETE;
			e->probes = 0;
			break;
		case TS_ARP_INCOMPLETE:
			break;
		}
	} else {
		e = arp_create(eng, nh);
		if (e == NULL) {
			eng->stats.IpOutDiscards++;
			ts_pkt_free(pkt);
			return -ENOBUFS;
		}
	}
	e->used = eng->now;
	/* unres_qlen bounds the queue; Linux drops the oldest packet. */
	while (e->q_len >= eng->sysctl.neigh_unres_qlen[0] && e->q_head != NULL) {
		struct pktbuf *old = e->q_head;

		e->q_head = old->next;
		if (e->q_head == NULL)
			e->q_tail = NULL;
		e->q_len--;
		eng->stats.TsExtArpQueueDrops++;
		ts_pkt_free(old);
	}
	pkt->next = NULL;
	pkt->stamp = eng->now;
	if (e->q_tail != NULL)
		e->q_tail->next = pkt;
	else
		e->q_head = pkt;
	e->q_tail = pkt;
	e->q_len++;
	if (e->probes == 0) {
		arp_request(eng, dev, e, 0);
		e->probes = 1;
		e->updated = eng->now;
		e->next_retry = eng->now + retrans_us(eng);
	}
	return 0;
}

uint64_t ts_arp_poll(struct ts_engine *eng, uint64_t now)
{
	struct ts_arp_entry *e, *tmp;
	uint64_t next = TS_NEVER;
	struct ts_netdev *dev = eng->dev;
	struct pktbuf *dead = NULL;

	HASH_ITER(hh, eng->arp.table, e, tmp) {
		uint64_t t = TS_NEVER;

		switch (e->state) {
		case TS_ARP_INCOMPLETE:
			if (now >= e->next_retry) {
				if (e->probes >= eng->sysctl.neigh_mcast_solicit[0]) {
					arp_fail(eng, e, &dead);
					t = now + gc_stale_us(eng);
					break;
				}
				if (dev != NULL)
					arp_request(eng, dev, e, 0);
				e->probes++;
				e->next_retry = now + retrans_us(eng);
			}
			t = e->next_retry;
			break;
		case TS_ARP_REACHABLE:
			t = e->updated + reachable_us(eng);
			if (now >= t) {
				e->state = TS_ARP_STALE;
				e->updated = now;
				t = now + gc_stale_us(eng);
			}
			break;
		case TS_ARP_DELAY:
			if (now >= e->next_retry) {
				/* Confirmed during the delay (ts_arp_confirm or a
				 * reply moved it to REACHABLE already); else
				 * probe by unicast. */
				e->state = TS_ARP_PROBE;
				e->probes = 0;
				e->next_retry = now;
			} else {
				t = e->next_retry;
				break;
			}
			/* fall through */
		case TS_ARP_PROBE:
			if (now >= e->next_retry) {
				if (e->probes >= eng->sysctl.neigh_ucast_solicit[0]) {
					arp_fail(eng, e, &dead);
					t = now + gc_stale_us(eng);
					break;
				}
				if (dev != NULL)
					arp_request(eng, dev, e, 1);
				e->probes++;
				e->next_retry = now + retrans_us(eng);
			}
			t = e->next_retry;
			break;
		case TS_ARP_STALE:
		case TS_ARP_FAILED:
			/* Linux's periodic gc frees entries unused for
			 * gc_stale_time. */
			t = (e->used > e->updated ? e->used : e->updated) + gc_stale_us(eng);
			if (now >= t) {
				arp_free(&eng->arp, e);
				t = TS_NEVER;
			}
			break;
		case TS_ARP_PERMANENT:
			break;
		}
		if (t < next)
			next = t;
	}
	arp_report_dead(eng, dead);
	return next;
}

int ts_arp_lookup(struct ts_engine *eng, uint32_t nh, uint8_t mac[6])
{
	const struct ts_arp_entry *e = ts_arp_find(eng, nh);

	if (e == NULL || e->state == TS_ARP_INCOMPLETE || e->state == TS_ARP_FAILED)
		return 0;
	memcpy(mac, e->mac, 6);
	return 1;
}

int ts_arp_add(struct ts_engine *eng, uint32_t ip, const uint8_t mac[6], int permanent)
{
	struct ts_arp_entry *e = arp_get(eng, ip);

	if (e == NULL)
		e = arp_create(eng, ip);
	if (e == NULL)
		return -ENOBUFS;
	e->state = TS_ARP_INCOMPLETE;	/* let arp_update take any address */
	arp_update(eng, eng->dev, e, mac, 1);
	if (permanent)
		e->state = TS_ARP_PERMANENT;
	return 0;
}

void ts_arp_confirm(struct ts_engine *eng, uint32_t nh)
{
	struct ts_arp_entry *e = arp_get(eng, nh);

	if (e == NULL || e->state == TS_ARP_INCOMPLETE || e->state == TS_ARP_FAILED ||
	    e->state == TS_ARP_PERMANENT)
		return;
	e->state = TS_ARP_REACHABLE;
	e->updated = eng->now;
	e->probes = 0;
}

void ts_arp_destroy(struct ts_arp *arp)
{
	struct ts_arp_entry *e, *tmp;

	HASH_ITER(hh, arp->table, e, tmp) {
		arp_free(arp, e);
	}
	arp->table = NULL;
	arp->entries = 0;
}
