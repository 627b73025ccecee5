/* The fake-wire harness for engine unit tests (see harness.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#include "checksum.h"
#include "eth.h"
#include "wire.h"

const uint8_t h_eng_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t h_peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const uint8_t h_other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};

static int setup(void **state, int warm, uint32_t gw)
{
	struct h_env *e = calloc(1, sizeof(*e));
	struct ts_engine_config cfg;

	assert_non_null(e);
	e->live_start = ts_pkt_live();
	ts_memwire_init(&e->wire, H_MTU);
	memset(&cfg, 0, sizeof(cfg));
	cfg.addr = H_ENG_IP;
	cfg.prefix_len = H_PREFIX;
	cfg.gw = gw;
	memcpy(cfg.mac, h_eng_mac, 6);
	cfg.seed = 0x5eed;
	assert_int_equal(ts_engine_init(&e->eng, &e->wire.end[0].dev, &cfg), 0);
	e->now = H_T0;
	ts_engine_start(&e->eng, e->now);
	if (warm) {
		h_drain(e);
		assert_int_equal(ts_arp_add(&e->eng, H_PEER_IP, h_peer_mac, 1), 0);
	}
	*state = e;
	return 0;
}

int h_setup(void **state)
{
	return setup(state, 1, 0);
}

int h_setup_cold(void **state)
{
	return setup(state, 0, 0);
}

int h_setup_gw(void **state)
{
	return setup(state, 1, H_PEER_IP);
}

int h_teardown(void **state)
{
	struct h_env *e = *state;
	long start = e->live_start;

	ts_engine_destroy(&e->eng);
	ts_memwire_clear(&e->wire);
	ts_pkt_free(e->l4_last);
	free(e);
	/* Every packet the test or the engine allocated is gone. */
	assert_int_equal(ts_pkt_live(), start);
	return 0;
}

uint64_t h_poll(struct h_env *e)
{
	return ts_engine_poll(&e->eng, e->now);
}

void h_advance(struct h_env *e, uint64_t usec)
{
	e->now += usec;
	ts_engine_poll(&e->eng, e->now);
}

void h_run_until(struct h_env *e, uint64_t t)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t next = ts_engine_poll(&e->eng, e->now);

		if (next > t || next == TS_NEVER) {
			e->now = t;
			ts_engine_poll(&e->eng, e->now);
			return;
		}
		if (next > e->now)
			e->now = next;
	}
	fail_msg("h_run_until: the engine keeps asking to be polled");
}

void h_input(struct h_env *e, struct pktbuf *frame)
{
	assert_non_null(frame);
	ts_engine_input(&e->eng, &e->wire.end[0].dev, frame, e->now);
}

int h_send(struct h_env *e, uint32_t dst, uint8_t proto, const void *data, size_t len,
	   int df)
{
	struct pktbuf *pkt = ts_pkt_alloc(len);
	struct ts_ip_out o;

	assert_non_null(pkt);
	if (len > 0)
		memcpy(ts_pkt_put(pkt, len), data, len);
	memset(&o, 0, sizeof(o));
	o.dst = dst;
	o.proto = proto;
	o.df = df;
	e->eng.now = e->now;
	return ts_ip_output(&e->eng, pkt, &o);
}

/* --- builders ------------------------------------------------------------- */

struct pktbuf *h_eth_frame(const uint8_t dst[6], const uint8_t src[6], uint16_t type,
			   const void *payload, size_t len)
{
	struct pktbuf *pkt = ts_pkt_alloc(TS_ETH_HLEN + len);
	uint8_t *p;

	assert_non_null(pkt);
	p = ts_pkt_put(pkt, TS_ETH_HLEN + len);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	ts_put16(p + 12, type);
	if (len > 0)
		memcpy(p + TS_ETH_HLEN, payload, len);
	return pkt;
}

struct pktbuf *h_arp_frame(uint16_t op, const uint8_t sha[6], uint32_t sip,
			   const uint8_t tha[6], uint32_t tip)
{
	uint8_t a[TS_ARP_HLEN];

	ts_put16(a, 1);
	ts_put16(a + 2, TS_ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	ts_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	ts_put32(a + 14, sip);
	memcpy(a + 18, tha, 6);
	ts_put32(a + 24, tip);
	return h_eth_frame(op == 1 ? ts_eth_bcast : tha, sha, TS_ETH_P_ARP, a, sizeof(a));
}

struct pktbuf *h_ip_frame(const struct h_ip *ip, const void *l4, size_t len)
{
	size_t ihl = ip->ihl ? (size_t)ip->ihl : TS_IP_HLEN;
	size_t tot = ihl + len;
	size_t n = tot + ip->pad;
	uint8_t *buf = calloc(1, n > 0 ? n : 1);
	struct pktbuf *pkt;

	assert_non_null(buf);
	buf[0] = (uint8_t)(((ip->version ? ip->version : 4) << 4) | ((ihl / 4) & 0x0f));
	buf[1] = ip->tos;
	ts_put16(buf + 2, (uint16_t)((long)tot + ip->tot_len_delta));
	ts_put16(buf + 4, ip->id);
	ts_put16(buf + 6, ip->frag);
	buf[8] = ip->ttl0 ? 0 : ip->ttl ? ip->ttl : 64;
	buf[9] = ip->proto;
	ts_put32(buf + 12, ip->src ? ip->src : H_PEER_IP);
	ts_put32(buf + 16, ip->dst ? ip->dst : H_ENG_IP);
	ts_put16(buf + 10, ts_csum(buf, ihl));
	if (ip->bad_csum)
		buf[10] ^= 0x5a;
	if (len > 0)
		memcpy(buf + ihl, l4, len);
	pkt = h_eth_frame(ip->dst_mac ? ip->dst_mac : h_eng_mac, h_peer_mac,
			  TS_ETH_P_IP, buf, n);
	free(buf);
	return pkt;
}

struct pktbuf *h_icmp_frame(const struct h_ip *ip, uint8_t type, uint8_t code,
			    uint32_t rest, const void *data, size_t len)
{
	uint8_t *m = calloc(1, TS_ICMP_HLEN + len);
	struct h_ip i = *ip;
	struct pktbuf *pkt;

	assert_non_null(m);
	m[0] = type;
	m[1] = code;
	ts_put32(m + 4, rest);
	if (len > 0)
		memcpy(m + TS_ICMP_HLEN, data, len);
	ts_put16(m + 2, ts_csum(m, TS_ICMP_HLEN + len));
	i.proto = TS_IPPROTO_ICMP;
	pkt = h_ip_frame(&i, m, TS_ICMP_HLEN + len);
	free(m);
	return pkt;
}

uint16_t h_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const void *seg, size_t len)
{
	uint32_t s = ts_csum_pseudo(src, dst, proto, (uint16_t)len);

	return ts_csum_fold(ts_csum_add(s, seg, len, 0));
}

struct pktbuf *h_udp_frame(const struct h_ip *ip, uint16_t sport, uint16_t dport,
			   const void *data, size_t len)
{
	uint8_t *u = calloc(1, 8 + len);
	struct h_ip i = *ip;
	struct pktbuf *pkt;
	uint16_t c;

	assert_non_null(u);
	ts_put16(u, sport);
	ts_put16(u + 2, dport);
	ts_put16(u + 4, (uint16_t)(8 + len));
	if (len > 0)
		memcpy(u + 8, data, len);
	i.proto = TS_IPPROTO_UDP;
	c = h_l4_csum(i.src ? i.src : H_PEER_IP, i.dst ? i.dst : H_ENG_IP,
		      TS_IPPROTO_UDP, u, 8 + len);
	ts_put16(u + 6, c == 0 ? 0xffff : c);
	pkt = h_ip_frame(&i, u, 8 + len);
	free(u);
	return pkt;
}

/* --- what the engine sent ------------------------------------------------- */

int h_pop(struct h_env *e, struct h_frame *f)
{
	struct pktbuf *pkt = ts_memwire_pop(&e->wire, 0);
	const uint8_t *p;

	memset(f, 0, sizeof(*f));
	if (pkt == NULL)
		return 0;
	f->pkt = pkt;
	assert_true(pkt->len >= TS_ETH_HLEN);
	p = pkt->data;
	memcpy(f->dst, p, 6);
	memcpy(f->src, p + 6, 6);
	f->type = ts_get16(p + 12);
	/* Every frame comes from the engine's MAC. */
	assert_memory_equal(f->src, e->eng.mac, 6);
	p += TS_ETH_HLEN;
	if (f->type == TS_ETH_P_ARP) {
		assert_true(pkt->len >= TS_ETH_HLEN + TS_ARP_HLEN);
		assert_int_equal(ts_get16(p), 1);
		assert_int_equal(ts_get16(p + 2), TS_ETH_P_IP);
		f->arp_op = ts_get16(p + 6);
		memcpy(f->arp_sha, p + 8, 6);
		f->arp_sip = ts_get32(p + 14);
		memcpy(f->arp_tha, p + 18, 6);
		f->arp_tip = ts_get32(p + 24);
	} else if (f->type == TS_ETH_P_IP) {
		struct pktbuf view = *pkt;
		int why = 0;

		view.data += TS_ETH_HLEN;
		view.len -= TS_ETH_HLEN;
		assert_int_equal(ts_ip_parse(&view, &f->ip, &why), 0);
		/* No padding on what the engine sends. */
		assert_int_equal(f->ip.tot_len, view.len);
		f->iph = view.data;
		f->l4 = view.data + f->ip.ihl;
		f->l4_len = f->ip.tot_len - f->ip.ihl;
	} else {
		fail_msg("engine sent EtherType 0x%04x", f->type);
	}
	return 1;
}

void h_pop_ip(struct h_env *e, struct h_frame *f, uint8_t proto)
{
	assert_true(h_pop(e, f));
	assert_int_equal(f->type, TS_ETH_P_IP);
	assert_int_equal(f->ip.proto, proto);
}

void h_frame_free(struct h_frame *f)
{
	ts_pkt_free(f->pkt);
	f->pkt = NULL;
}

size_t h_pending(struct h_env *e)
{
	return e->wire.end[0].queued;
}

void h_expect_none(struct h_env *e)
{
	assert_int_equal(h_pending(e), 0);
}

void h_drain(struct h_env *e)
{
	struct pktbuf *pkt;

	while ((pkt = ts_memwire_pop(&e->wire, 0)) != NULL)
		ts_pkt_free(pkt);
}

/* --- a fake upper protocol ------------------------------------------------ */

static int fake_input(struct ts_engine *eng, struct pktbuf *pkt)
{
	struct h_env *e = eng->l4[pkt->ip_proto].state;

	e->l4_inputs++;
	if (e->l4_refuse)
		return -ECONNREFUSED;
	ts_pkt_free(e->l4_last);
	e->l4_last = pkt;
	return 0;
}

static void fake_icmp_error(struct ts_engine *eng, const struct ts_icmp_err *err)
{
	struct h_env *e = eng->l4[err->proto].state;
	size_t n = err->l4_len < sizeof(e->l4_err_quote) ? err->l4_len
							  : sizeof(e->l4_err_quote);

	e->l4_errors++;
	e->l4_err = *err;
	e->l4_err.l4 = NULL;
	memcpy(e->l4_err_quote, err->l4, n);
}

static uint64_t fake_poll(struct ts_engine *eng, uint64_t now)
{
	for (int p = 0; p < 256; p++) {
		if (eng->l4[p].poll == fake_poll) {
			struct h_env *e = eng->l4[p].state;

			e->l4_polls++;
			return e->l4_deadline ? e->l4_deadline : TS_NEVER;
		}
	}
	return TS_NEVER;
}

void h_fake_l4(struct h_env *e, uint8_t proto)
{
	e->eng.l4[proto].input = fake_input;
	e->eng.l4[proto].icmp_error = fake_icmp_error;
	e->eng.l4[proto].poll = fake_poll;
	e->eng.l4[proto].state = e;
}

uint64_t h_stat(struct h_env *e, const char *name)
{
	int i = ts_stat_find(name);

	if (i < 0)
		fail_msg("no counter called %s", name);
	return ts_stat_get(&e->eng.stats, i);
}
