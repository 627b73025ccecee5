/* libFuzzer target for the TCP input path, stateful: each input is a
 * script of steps against one engine holding a listener and a connection
 * — segments aimed near the current sequence numbers (so the fuzzer
 * reaches every state and branch), raw segments, clock jumps and user
 * calls.  Nothing a packet says may crash, trip a sanitizer or leak.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore -I<builddir> \
 *     tests/fuzz/fuzz_tcp.c core/tcp*.c core/wire_tcp.c core/ringbuf.c \
 *     core/assembler.c core/pktbuf.c core/checksum.c core/stat.c \
 *     core/sysctl.c core/engine.c core/netdev.c core/eth.c core/arp.c \
 *     core/ipv4.c core/ip_frag.c core/icmp.c -o fuzz_tcp
 *   ./fuzz_tcp -max_total_time=60
 * (or link the build's libtscore.a instead of the sources). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tcp.h"
#include "wire.h"

#define LOCAL TS_IP4(198, 18, 0, 2)
#define PEER TS_IP4(198, 18, 0, 1)

static int drop_output(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o)
{
	ts_pkt_free(pkt);
	return 0;
}

struct cursor {
	const uint8_t *p;
	size_t n;
};

static int take(struct cursor *c, void *out, size_t k)
{
	if (c->n < k)
		return 0;
	memcpy(out, c->p, k);
	c->p += k;
	c->n -= k;
	return 1;
}

static void on_accept(struct ts_tcb *l, void *u)
{
	struct ts_tcb **slot = u;
	int err;

	if (*slot == NULL)
		*slot = ts_tcp_accept(l, NULL, NULL, &err);
}

static const struct ts_tcp_callbacks lcb = {.on_accept = on_accept};

static void inject(struct ts_engine *eng, uint16_t sport, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, uint16_t win, uint16_t urp, const uint8_t *opt,
		   size_t optlen, const uint8_t *data, size_t len)
{
	struct pktbuf *pkt = ts_pkt_alloc(len);
	size_t hlen = TS_TCP_HLEN + (optlen & ~(size_t)3);
	uint8_t *p;

	if (pkt == NULL)
		return;
	if (len)
		memcpy(ts_pkt_put(pkt, len), data, len);
	p = ts_pkt_push(pkt, hlen);
	memset(p, 0, hlen);
	ts_put16(p, sport);
	ts_put16(p + 2, dport);
	ts_put32(p + 4, seq);
	ts_put32(p + 8, ack);
	p[12] = (uint8_t)((hlen / 4) << 4);
	p[13] = flags;
	ts_put16(p + 14, win);
	ts_put16(p + 18, urp);
	memcpy(p + TS_TCP_HLEN, opt, hlen - TS_TCP_HLEN);
	ts_put16(p + 16, ts_tcp_csum(PEER, LOCAL, p, pkt->len));
	pkt->ip_src = PEER;
	pkt->ip_dst = LOCAL;
	ts_tcp_input(eng, pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	struct ts_engine eng;
	struct ts_engine_config cfg;
	struct cursor c = {data, size};
	struct ts_tcb *l, *conn, *acc = NULL;
	long pkt0 = ts_pkt_live(), tcb0 = ts_tcp_live();
	uint64_t now = 1000000;
	uint8_t step[16];

	memset(&cfg, 0, sizeof(cfg));
	cfg.addr = LOCAL;
	cfg.prefix_len = 24;
	cfg.seed = 1;
	if (ts_engine_init(&eng, NULL, &cfg) < 0 || ts_tcp_init(&eng) < 0)
		abort();
	ts_tcp_of(&eng)->output = drop_output;
	eng.now = now;
	l = ts_tcp_socket(&eng, &lcb, &acc);
	ts_tcp_bind(l, 0, 80);
	ts_tcp_listen(l, 4);
	conn = ts_tcp_socket(&eng, NULL, NULL);
	ts_tcp_bind(conn, LOCAL, 40000);
	ts_tcp_connect(conn, PEER, 8080, now);

	while (take(&c, step, sizeof(step))) {
		struct ts_tcb *t = (step[0] & 0x10) && acc != NULL ? acc : conn;
		uint16_t sport = t == acc ? acc->key.rport : 8080;
		uint16_t dport = t == acc ? 80 : 40000;
		int16_t dseq = (int16_t)(step[2] | step[3] << 8);
		int16_t dack = (int16_t)(step[4] | step[5] << 8);
		uint16_t win = (uint16_t)(step[6] | step[7] << 8);
		size_t optlen = step[8] % 44, len = step[9] * (size_t)step[10] % 3000;
		uint8_t opt[44];

		switch (step[0] & 0x0f) {
		case 0: case 1: case 2: case 3: case 4:
			/* A segment near where the connection is. */
			memset(opt, 0, sizeof(opt));
			if (optlen > 40)
				optlen = 40;
			if (!take(&c, opt, optlen))
				optlen = 0;
			if (len > c.n)
				len = c.n;
			inject(&eng, sport, dport, t->rcv_nxt + (uint32_t)dseq,
			       t->snd_una + (uint32_t)dack, step[1], win, step[11], opt, optlen,
			       c.p, len);
			c.p += len;
			c.n -= len;
			break;
		case 5:
			/* A SYN (or anything) to the listener from a new port. */
			inject(&eng, (uint16_t)(1000 + step[2]), 80, (uint32_t)dseq * 65537u,
			       (uint32_t)dack, step[1], win, 0, step + 12, 4, NULL, 0);
			break;
		case 6:
			now += (uint64_t)(step[1] | step[2] << 8) * 1000 * (step[3] % 8 + 1);
			eng.now = now;
			ts_tcp_poll(&eng, now);
			break;
		case 7:
			ts_tcp_send(t, buf, len, now);
			break;
		case 8:
			ts_tcp_recv(t, buf, len, now);
			break;
		case 9:
			ts_tcp_shutdown(t, step[1] % 3, now);
			break;
		case 10:
			ts_tcp_setopt(t, (enum ts_tcp_opt)(step[1] % 14), (int)(int8_t)step[2] * 100);
			break;
		case 11: {
			struct ts_icmp_err e;
			uint8_t q[8];

			memset(&e, 0, sizeof(e));
			e.type = 3;
			e.code = step[1] % 5;
			e.src = LOCAL;
			e.dst = PEER;
			ts_put16(q, t->key.lport);
			ts_put16(q + 2, t->key.rport);
			ts_put32(q + 4, t->snd_una + (uint32_t)dseq);
			e.l4 = q;
			e.l4_len = 8;
			e.mtu = win;
			e.err = step[2] % 2 ? 113 : 111;
			ts_tcp_icmp_error(&eng, &e);
			break;
		}
		default: {
			/* Raw header bytes with a good checksum. */
			size_t n = step[1] % 61;

			if (n > c.n)
				n = c.n;
			if (n >= TS_TCP_HLEN) {
				struct pktbuf *pkt = ts_pkt_from(c.p, n);

				ts_put16(pkt->data, sport);
				ts_put16(pkt->data + 2, dport);
				ts_put16(pkt->data + 16, 0);
				ts_put16(pkt->data + 16, ts_tcp_csum(PEER, LOCAL, pkt->data, n));
				pkt->ip_src = PEER;
				pkt->ip_dst = LOCAL;
				ts_tcp_input(&eng, pkt);
			}
			c.p += n;
			c.n -= n;
			break;
		}
		}
		/* The user's TCBs are closed by the user only; if one failed, it
		 * is still allocated (state CLOSED) and usable above. */
	}
	ts_tcp_close(conn, now);
	if (acc != NULL)
		ts_tcp_close(acc, now);
	ts_tcp_close(l, now);
	now += 3600ull * 1000000;
	eng.now = now;
	ts_tcp_poll(&eng, now);
	ts_tcp_destroy(&eng);
	ts_engine_destroy(&eng);
	if (ts_pkt_live() != pkt0 || ts_tcp_live() != tcb0)
		abort();
	return 0;
}
