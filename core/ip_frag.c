/* IPv4 fragmentation on output (RFC 791 3.2) and reassembly on input
 * (RFC 815 in spirit, with Linux's rules for overlaps, duplicates, time
 * and memory limits: net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c).
 * Called by ipv4.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "engine.h"
#include "ipv4.h"
#include "wire.h"

/* --- output --------------------------------------------------------------- */

int ts_ip_fragment_output(struct ts_engine *eng, struct pktbuf *pkt,
			  const struct ts_ip_hdr *h, unsigned mtu,
			  int (*emit)(struct ts_engine *, struct pktbuf *, void *),
			  void *arg)
{
	size_t ihl = h->ihl;
	size_t plen = pkt->len - ihl;
	size_t chunk = mtu > ihl ? ((mtu - ihl) & ~(size_t)7) : 0;
	size_t base = (size_t)(h->frag & TS_IP_OFFMASK) * 8;
	int err = 0;

	if (chunk < 8 || pkt->len < ihl) {
		eng->stats.IpFragFails++;
		ts_pkt_free(pkt);
		return -EMSGSIZE;
	}
	for (size_t off = 0; off < plen; off += chunk) {
		size_t n = plen - off < chunk ? plen - off : chunk;
		int more = off + n < plen || (h->frag & TS_IP_MF);
		/* RFC 791: options without the copied flag stay in the first
		 * fragment; tapsock sends no options, so later fragments get
		 * a bare 20-byte header. */
		size_t fihl = off == 0 ? ihl : TS_IP_HLEN;
		struct pktbuf *f = ts_pkt_alloc(fihl + n);
		uint8_t *p;
		int r;

		if (f == NULL) {
			err = -ENOBUFS;
			break;
		}
		p = ts_pkt_put(f, fihl + n);
		memcpy(p, pkt->data, fihl);
		memcpy(p + fihl, pkt->data + ihl + off, n);
		p[0] = (uint8_t)(0x40 | (fihl / 4));
		ts_put16(p + 2, (uint16_t)(fihl + n));
		/* Offsets in 8-byte units; MF on all but the last. */
		ts_put16(p + 6, (uint16_t)(((base + off) / 8) | (more ? TS_IP_MF : 0)));
		ts_put16(p + 10, 0);
		ts_put16(p + 10, ts_csum(p, fihl));
		f->ip_src = h->src;
		f->ip_dst = h->dst;
		f->ip_proto = h->proto;
		eng->stats.IpFragCreates++;
		r = emit(eng, f, arg);
		if (r < 0 && err == 0)
			err = r;
	}
	/* Linux ip_do_fragment: OK only if every fragment went out. */
	if (err == 0)
		eng->stats.IpFragOKs++;
	else
		eng->stats.IpFragFails++;
	ts_pkt_free(pkt);
	return err;
}

/* --- reassembly ----------------------------------------------------------- */

static size_t frag_ihl(const struct pktbuf *f)
{
	return (size_t)(f->data[0] & 0x0f) * 4;
}

static size_t frag_off(const struct pktbuf *f)
{
	return (size_t)(ts_get16(f->data + 6) & TS_IP_OFFMASK) * 8;
}

static size_t frag_end(const struct pktbuf *f)
{
	return frag_off(f) + f->len - frag_ihl(f);
}

static void reasm_unlink(struct ts_engine *eng, struct ts_ip_reasm *q)
{
	struct ts_ipv4 *ip = &eng->ip;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		ip->reasm = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		ip->reasm_tail = q->prev;
	HASH_DEL(ip->reasm_hash, q);
	ip->reasm_mem -= q->mem;
	ip->reasm_count--;
	ts_pkt_free_chain(q->frags);
	free(q);
}

/* Linux's inet_frag_kill + IpReasmFails. */
static void reasm_fail(struct ts_engine *eng, struct ts_ip_reasm *q)
{
	eng->stats.IpReasmFails++;
	reasm_unlink(eng, q);
}

static void reasm_key(struct ts_ip_reasm_key *k, const struct ts_ip_hdr *h)
{
	memset(k, 0, sizeof(*k));
	k->src = h->src;
	k->dst = h->dst;
	k->id = h->id;
	k->proto = h->proto;
}

static struct ts_ip_reasm *reasm_find(struct ts_engine *eng, const struct ts_ip_hdr *h)
{
	struct ts_ip_reasm_key k;
	struct ts_ip_reasm *q;

	reasm_key(&k, h);
	HASH_FIND(hh, eng->ip.reasm_hash, &k, sizeof(k), q);
	return q;
}

/* Joins the fragments into one datagram with the first fragment's header
 * (and options), total length set and no fragment fields. */
static struct pktbuf *reasm_join(struct ts_engine *eng, struct ts_ip_reasm *q)
{
	size_t ihl = frag_ihl(q->first);
	struct pktbuf *pkt = ts_pkt_alloc(ihl + q->len);
	uint8_t *p;

	if (pkt == NULL) {
		reasm_fail(eng, q);
		return NULL;
	}
	p = ts_pkt_put(pkt, ihl + q->len);
	memcpy(p, q->first->data, ihl);
	for (struct pktbuf *f = q->frags; f != NULL; f = f->next)
		memcpy(p + ihl + frag_off(f), f->data + frag_ihl(f), f->len - frag_ihl(f));
	ts_put16(p + 2, (uint16_t)(ihl + q->len));
	ts_put16(p + 6, 0);
	ts_put16(p + 10, 0);
	ts_put16(p + 10, ts_csum(p, ihl));
	pkt->dev = q->first->dev;
	pkt->l2_bcast = q->first->l2_bcast;
	pkt->stamp = q->first->stamp;
	eng->stats.IpReasmOKs++;
	reasm_unlink(eng, q);
	return pkt;
}

/* Drops the oldest datagrams (never keep) until need more bytes fit under
 * ipfrag_high_thresh.  Returns 0 if they fit. */
static int reasm_make_room(struct ts_engine *eng, struct ts_ip_reasm *keep, size_t need)
{
	size_t high = (size_t)eng->sysctl.ipfrag_high_thresh[0];

	while (eng->ip.reasm_mem + need > high) {
		struct ts_ip_reasm *old = eng->ip.reasm;

		while (old != NULL && old == keep)
			old = old->next;
		if (old == NULL)
			return -ENOMEM;
		eng->stats.TsExtReasmMemEvicts++;
		reasm_fail(eng, old);
	}
	return 0;
}

struct pktbuf *ts_ip_reasm_input(struct ts_engine *eng, struct pktbuf *pkt,
				 const struct ts_ip_hdr *h)
{
	size_t ihl = h->ihl;
	size_t offset = (size_t)(h->frag & TS_IP_OFFMASK) * 8;
	size_t end = offset + (h->tot_len - ihl);
	int mf = (h->frag & TS_IP_MF) != 0;
	struct ts_ip_reasm *q = reasm_find(eng, h);
	struct pktbuf **pp, *f;

	if (q == NULL) {
		/* Linux (inet_frag_find): no new queue once memory is over
		 * the threshold; tapsock first evicts the oldest datagrams,
		 * as Linux's evictor did before 4.17 (see docs/design.md). */
		if (reasm_make_room(eng, NULL, pkt->len) < 0)
			goto drop_fail;
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			goto drop_fail;
		reasm_key(&q->key, h);
		/* ipfrag_time runs from the first fragment and is not
		 * restarted by later ones. */
		q->expires = eng->now + (uint64_t)eng->sysctl.ipfrag_time[0] * TS_USEC_PER_SEC;
		HASH_ADD(hh, eng->ip.reasm_hash, key, sizeof(q->key), q);
		q->prev = eng->ip.reasm_tail;
		if (q->prev != NULL)
			q->prev->next = q;
		else
			eng->ip.reasm = q;
		eng->ip.reasm_tail = q;
		eng->ip.reasm_count++;
	}

	/* Linux: a datagram can never exceed 65535 bytes (ip_frag_reasm:
	 * "Oversized IP packet"). */
	if (ihl + end > 65535) {
		eng->stats.TsExtReasmOversize++;
		goto discard_qp;
	}
	/* Linux's ip_frag_queue rules for the end of the datagram. */
	if (!mf) {
		if (end < q->len || (q->last_in && end != q->len))
			goto discard_qp;
		q->last_in = 1;
		q->len = end;
	} else {
		/* A non-last fragment carries a multiple of 8 bytes; Linux
		 * trims the excess. */
		end &= ~(size_t)7;
		if (end > q->len) {
			if (q->last_in)
				goto discard_qp;
			q->len = end;
		}
	}
	if (end == offset)
		goto discard_qp;
	ts_pkt_trim(pkt, ihl + (end - offset));

	/* Overlaps (Linux inet_frag_queue_insert): a fragment wholly inside
	 * data already held is a duplicate and is dropped alone; one that
	 * overlaps only partly drops the whole datagram (RFC 5722 made
	 * this the rule for IPv6; Linux applies it to IPv4 too). */
	for (f = q->frags; f != NULL; f = f->next) {
		size_t fo = frag_off(f), fe = frag_end(f);

		if (offset < fe && end > fo) {
			size_t run_end = fe;
			struct pktbuf *g = f;

			if (offset < fo)
				goto overlap;
			while (run_end < end && g->next != NULL &&
			       frag_off(g->next) == run_end) {
				g = g->next;
				run_end = frag_end(g);
			}
			if (end <= run_end) {
				ts_pkt_free(pkt);
				return NULL;
			}
			goto overlap;
		}
	}

	if (reasm_make_room(eng, q, pkt->len) < 0)
		goto discard_qp;
	pp = &q->frags;
	while (*pp != NULL && frag_off(*pp) < offset)
		pp = &(*pp)->next;
	pkt->next = *pp;
	*pp = pkt;
	q->meat += end - offset;
	q->mem += pkt->len;
	eng->ip.reasm_mem += pkt->len;
	if (offset == 0)
		q->first = pkt;

	if (q->last_in && q->first != NULL && q->meat == q->len)
		return reasm_join(eng, q);
	return NULL;

overlap:
	eng->stats.IpReasmOverlaps++;
discard_qp:
	reasm_fail(eng, q);
	ts_pkt_free(pkt);
	return NULL;
drop_fail:
	eng->stats.IpReasmFails++;
	ts_pkt_free(pkt);
	return NULL;
}

uint64_t ts_ip_poll(struct ts_engine *eng, uint64_t now)
{
	struct ts_ip_reasm *q;

	/* The list is in creation order, so expiry order too while
	 * ipfrag_time stays put (after a change, a younger datagram may
	 * wait for an older one: at most the old ipfrag_time late). */
	while ((q = eng->ip.reasm) != NULL && q->expires <= now) {
		/* Linux ip_expire: count, and if the first fragment is
		 * here, tell the sender (RFC 792 time exceeded, code 1). */
		eng->stats.IpReasmTimeout++;
		if (q->first != NULL)
			ts_icmp_send_error(eng, q->first, TS_ICMP_TIME_EXCEEDED,
					   TS_ICMP_EXC_FRAGTIME, 0);
		reasm_fail(eng, q);
	}
	return q != NULL ? q->expires : TS_NEVER;
}

void ts_ip_destroy(struct ts_engine *eng)
{
	while (eng->ip.reasm != NULL)
		reasm_unlink(eng, eng->ip.reasm);
}
