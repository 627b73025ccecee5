/* Two TCP engines joined by an in-memory wire that loses 5% of the
 * segments in each direction, duplicates and reorders some, on a fake
 * clock: a bulk transfer must arrive byte-exact, for each congestion
 * control (reno, cubic) and with and without SACK/timestamps/window
 * scaling.  The wire is a timed queue at the IP-output boundary (the TCP
 * layers' output hooks), seeded, so every run is the same.
 *
 * Size: 100 MB per run, also under ASan/UBSan (the simulated clock makes
 * it take about a second; -DBIG_BYTES=... changes it).  TS_TRACE=1 in
 * the environment prints every delivered segment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tcp.h"
#include "wire.h"

#ifndef BIG_BYTES
#define BIG_BYTES (100ull << 20)
#endif

#define A_ADDR TS_IP4(198, 18, 0, 2)
#define B_ADDR TS_IP4(198, 18, 0, 3)
#define MS 1000ull

struct flight {
	uint64_t at;
	int to;			/* 0: engine A, 1: engine B */
	struct pktbuf *pkt;
};

struct net {
	struct ts_engine eng[2];
	struct flight *q;	/* unsorted; small */
	size_t n, cap;
	uint64_t now;
	uint64_t rng;
	unsigned loss_pct, dup_pct, reorder_pct;
	uint64_t sent, dropped, duped;
	struct ts_tcb *server;	/* accepted on B */
	struct ts_tcb *listener;
};

static uint64_t rnd(struct net *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return n->rng;
}

/* The byte at offset i of the stream. */
static uint8_t stream_byte(uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> (8 * (i & 7)) ^ (x >> 61));
}

static void enqueue(struct net *n, int to, struct pktbuf *pkt, uint64_t at)
{
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 1024;
		n->q = realloc(n->q, n->cap * sizeof(*n->q));
		assert_non_null(n->q);
	}
	n->q[n->n].at = at;
	n->q[n->n].to = to;
	n->q[n->n].pkt = pkt;
	n->n++;
}

static int wire_out(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o)
{
	struct net *n = ts_tcp_of(eng)->test_arg;
	int to = eng == &n->eng[0] ? 1 : 0;
	uint64_t at = n->now + 1 * MS;

	pkt->ip_src = o->src;
	pkt->ip_dst = o->dst;
	pkt->ip_proto = TS_IPPROTO_TCP;
	pkt->next = NULL;
	n->sent++;
	if (rnd(n) % 100 < n->loss_pct) {
		n->dropped++;
		ts_pkt_free(pkt);
		return 0;
	}
	if (rnd(n) % 100 < n->dup_pct) {
		struct pktbuf *c = ts_pkt_clone(pkt);

		assert_non_null(c);
		n->duped++;
		enqueue(n, to, c, at + rnd(n) % (2 * MS));
	}
	if (rnd(n) % 100 < n->reorder_pct)
		at += 200 + rnd(n) % (3 * MS); /* overtaken by later segments */
	enqueue(n, to, pkt, at);
	return 0;
}

static const struct ts_tcp_callbacks conn_cb;

static void on_accept(struct ts_tcb *l, void *u)
{
	struct net *n = u;
	int err;

	n->server = ts_tcp_accept(l, &conn_cb, n, &err);
	assert_non_null(n->server);
}

static void on_error(struct ts_tcb *t, int err, void *u)
{
	fail_msg("connection error %d: una %u nxt %u max %u wnd %u cwnd %u ssthresh %u "
		 "retransmits %d rto %llu sacked %u ca %d flags %x",
		 err, t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd, t->cc.cwnd,
		 t->cc.ssthresh, t->retransmits, (unsigned long long)t->rto,
		 ts_sack_bytes(&t->sb), t->cc.ca_state, t->flags);
}

static const struct ts_tcp_callbacks listener_cb = {.on_accept = on_accept};
static const struct ts_tcp_callbacks conn_cb = {.on_error = on_error};

static void run_transfer(int cc, int opts, uint64_t bytes, uint64_t seed)
{
	struct net *n = calloc(1, sizeof(*n));
	struct ts_engine_config cfg;
	struct ts_tcb *client;
	long pkt0 = ts_pkt_live(), tcb0 = ts_tcp_live();
	uint64_t wrote = 0, got = 0, last_progress = 0, last_got = 0;
	int eof = 0, closed_server = 0;
	uint8_t buf[65536];

	assert_non_null(n);
	n->rng = seed;
	n->loss_pct = 5;
	n->dup_pct = 1;
	n->reorder_pct = 3;
	n->now = 1000000;
	for (int i = 0; i < 2; i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.addr = i == 0 ? A_ADDR : B_ADDR;
		cfg.prefix_len = 24;
		cfg.mtu = 1500;
		cfg.seed = seed + (uint64_t)i;
		assert_int_equal(ts_engine_init(&n->eng[i], NULL, &cfg), 0);
		assert_int_equal(ts_tcp_init(&n->eng[i]), 0);
		ts_tcp_of(&n->eng[i])->output = wire_out;
		ts_tcp_of(&n->eng[i])->test_arg = n;
		n->eng[i].sysctl.tcp_congestion_control[0] = cc;
		if (!opts) {
			n->eng[i].sysctl.tcp_timestamps[0] = 0;
			n->eng[i].sysctl.tcp_sack[0] = 0;
			n->eng[i].sysctl.tcp_window_scaling[0] = 0;
		}
		n->eng[i].now = n->now;
	}
	n->listener = ts_tcp_socket(&n->eng[1], &listener_cb, n);
	assert_int_equal(ts_tcp_bind(n->listener, 0, 5001), 0);
	assert_int_equal(ts_tcp_listen(n->listener, 8), 0);
	client = ts_tcp_socket(&n->eng[0], &conn_cb, n);
	assert_int_equal(ts_tcp_setopt(client, TS_TCP_SNDBUF, 256 << 10), 0);
	assert_int_equal(ts_tcp_connect(client, B_ADDR, 5001, n->now), 0);

	for (uint64_t iter = 0; iter < 200000000ull; iter++) {
		uint64_t next = TS_NEVER, t;
		size_t best = 0;

		/* The programs: write while there is room, read all. */
		if (client != NULL && client->state == TCPS_ESTABLISHED) {
			while (wrote < bytes && ts_tcp_writable(client) > 0) {
				size_t k = ts_tcp_writable(client);
				ssize_t r;

				if (k > sizeof(buf))
					k = sizeof(buf);
				if (k > bytes - wrote)
					k = (size_t)(bytes - wrote);
				for (size_t i = 0; i < k; i++)
					buf[i] = stream_byte(wrote + i);
				r = ts_tcp_send(client, buf, k, n->now);
				assert_true(r > 0);
				wrote += (uint64_t)r;
			}
			if (wrote == bytes) {
				ts_tcp_close(client, n->now);
				client = NULL;
			}
		}
		if (n->server != NULL && !eof) {
			ssize_t r;

			while ((r = ts_tcp_recv(n->server, buf, sizeof(buf), n->now)) > 0) {
				for (ssize_t i = 0; i < r; i++)
					if (buf[i] != stream_byte(got + (uint64_t)i))
						fail_msg("byte %llu differs",
							 (unsigned long long)(got + (uint64_t)i));
				got += (uint64_t)r;
			}
			if (r == 0) {
				eof = 1;
			} else if (r != -EAGAIN) {
				fail_msg("server recv: %zd after %llu bytes", r,
					 (unsigned long long)got);
			}
		}
		if (eof && !closed_server) {
			ts_tcp_close(n->server, n->now);
			closed_server = 1;
		}
		if (got != last_got) {
			last_got = got;
			last_progress = n->now;
		}
		if (n->now - last_progress > 1000ull * 1000000)
			fail_msg("no progress for 1000 s at %llu of %llu bytes",
				 (unsigned long long)got, (unsigned long long)bytes);
		if (closed_server && n->n == 0 && ts_tcp_live() - tcb0 == 1)
			break; /* only the listener is left (TIME-WAIT aside) */
		if (closed_server && ts_tcp_live() - tcb0 <= 2 && n->n == 0) {
			/* TIME-WAIT on the client: let it expire. */
		}
		/* Next event: a packet or a timer. */
		for (size_t i = 0; i < n->n; i++) {
			if (n->q[i].at < next) {
				next = n->q[i].at;
				best = i;
			}
		}
		for (int e = 0; e < 2; e++) {
			t = ts_tcp_poll(&n->eng[e], n->now);
			if (t < next)
				next = t;
		}
		if (next == TS_NEVER) {
			if (got != bytes || !eof) {
				struct ts_tcp_info ci, si;

				memset(&ci, 0, sizeof(ci));
				memset(&si, 0, sizeof(si));
				if (client)
					ts_tcp_get_info(client, &ci, n->now);
				if (n->server)
					ts_tcp_get_info(n->server, &si, n->now);
				fail_msg("stalled at %llu/%llu: client %s una %u nxt %u max %u "
					 "wnd %u cwnd %u wq %u; server %s rcv_nxt %u rq %u wnd %u",
					 (unsigned long long)got, (unsigned long long)bytes,
					 ts_tcp_state_name(ci.state), ci.snd_una, ci.snd_nxt,
					 ci.snd_max, ci.snd_wnd, ci.cwnd, ci.wqueue,
					 ts_tcp_state_name(si.state), si.rcv_nxt, si.rqueue,
					 si.rcv_wnd);
			}
			break;
		}
		if (next > n->now)
			n->now = next;
		n->eng[0].now = n->eng[1].now = n->now;
		if (n->n > 0 && n->q[best].at <= n->now) {
			struct flight f = n->q[best];

			n->q[best] = n->q[--n->n];
			if (getenv("TS_TRACE")) {
				struct ts_tcp_hdr th;

				ts_tcp_parse(f.pkt->data, f.pkt->len, &th);
				fprintf(stderr, "%llu ->%c %02x seq %u ack %u len %zu win %u tsv %u tse %u nsack %d\n",
					(unsigned long long)n->now, 'A' + f.to, th.flags, th.seq, th.ack,
					f.pkt->len - th.doff, th.win, th.opt.ts_val, th.opt.ts_ecr, th.opt.nsack);
			}
			ts_tcp_input(&n->eng[f.to], f.pkt);
		}
		for (int e = 0; e < 2; e++)
			ts_tcp_poll(&n->eng[e], n->now);
	}
	assert_int_equal(got, bytes);
	assert_true(eof);
	assert_true(n->dropped > 0);
	print_message("cc %s opts %d: %llu bytes, %llu segments, %llu lost, %llu duplicated, "
		      "%.1f s simulated, retrans %llu, fast %llu, timeouts %llu\n",
		      cc ? "cubic" : "reno", opts, (unsigned long long)got,
		      (unsigned long long)n->sent, (unsigned long long)n->dropped,
		      (unsigned long long)n->duped, (double)(n->now - 1000000) / 1e6,
		      (unsigned long long)n->eng[0].stats.TcpRetransSegs,
		      (unsigned long long)n->eng[0].stats.TcpExtTCPFastRetrans,
		      (unsigned long long)n->eng[0].stats.TcpExtTCPTimeouts);
	ts_tcp_close(n->listener, n->now);
	for (size_t i = 0; i < n->n; i++)
		ts_pkt_free(n->q[i].pkt);
	free(n->q);
	for (int i = 0; i < 2; i++) {
		ts_tcp_destroy(&n->eng[i]);
		ts_engine_destroy(&n->eng[i]);
	}
	free(n);
	assert_int_equal(ts_tcp_live(), tcb0);
	assert_int_equal(ts_pkt_live(), pkt0);
}

static void test_transfer_lossy_reno_sack(void **state)
{
	run_transfer(0, 1, BIG_BYTES, 0x1234567);
}

static void test_transfer_lossy_cubic_sack(void **state)
{
	run_transfer(1, 1, BIG_BYTES, 0x7654321);
}

static void test_transfer_lossy_reno_no_options(void **state)
{
	run_transfer(0, 0, BIG_BYTES, 0xabcdef);
}

static void test_transfer_lossy_cubic_no_options(void **state)
{
	run_transfer(1, 0, BIG_BYTES, 0xfedcba);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_lossy_reno_sack),
		cmocka_unit_test(test_transfer_lossy_cubic_sack),
		cmocka_unit_test(test_transfer_lossy_reno_no_options),
		cmocka_unit_test(test_transfer_lossy_cubic_no_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
