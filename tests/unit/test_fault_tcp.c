/* The classic TCP experiments, on two engines joined by a memwire with the
 * real TCP engine and fault rules at the link: the first SYN-ACK lost (the
 * client's SYN is retransmitted after the initial RTO), a delayed path,
 * and bulk transfers that stay byte-exact through random loss,
 * duplication, reordering and corruption (each visible in the counters).
 * Time is the fake clock, so every run is the same. */
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
#include "fault.h"
#include "tcp.h"
#include "wire.h"

#define A_ADDR TS_IP4(198, 18, 0, 2) /* eng[0]: the client */
#define B_ADDR TS_IP4(198, 18, 0, 3) /* eng[1]: the server */
#define SEC 1000000ull
#define MSEC 1000ull

struct pair {
	struct ts_memwire wire;
	struct ts_engine eng[2];
	uint64_t now;
	struct ts_tcb *accepted;
	uint64_t established_at;
	long pkt0, tcb0;
};

static void on_accept(struct ts_tcb *l, void *u)
{
	struct pair *p = u;
	int err;

	p->accepted = ts_tcp_accept(l, NULL, NULL, &err);
}

static void on_established(struct ts_tcb *t, void *u)
{
	struct pair *p = u;

	if (p->established_at == 0)
		p->established_at = p->now;
}

static const struct ts_tcp_callbacks cb = {
    .on_accept = on_accept,
    .on_established = on_established,
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct ts_engine_config cfg;

	assert_non_null(p);
	p->pkt0 = ts_pkt_live();
	p->tcb0 = ts_tcp_live();
	p->now = SEC;
	ts_memwire_init(&p->wire, 1500);
	for (int i = 0; i < 2; i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.addr = i ? B_ADDR : A_ADDR;
		cfg.prefix_len = 24;
		cfg.seed = 7 + (uint64_t)i;
		assert_int_equal(ts_engine_init(&p->eng[i], &p->wire.end[i].dev, &cfg), 0);
		assert_int_equal(ts_tcp_init(&p->eng[i]), 0);
		ts_engine_start(&p->eng[i], p->now);
	}
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	for (int i = 0; i < 2; i++) {
		ts_tcp_destroy(&p->eng[i]);
		ts_engine_destroy(&p->eng[i]);
	}
	ts_memwire_clear(&p->wire);
	assert_int_equal(ts_tcp_live(), p->tcb0);
	assert_int_equal(ts_pkt_live(), p->pkt0);
	free(p);
	return 0;
}

static uint32_t rule(struct pair *p, int side, const char *text)
{
	struct ts_fault_spec s;
	char err[256] = "";
	int id;

	if (ts_fault_parse(text, &s, err, sizeof(err)) < 0)
		fail_msg("parse '%s': %s", text, err);
	id = ts_fault_add(&p->eng[side], &s);
	assert_true(id > 0);
	return (uint32_t)id;
}

/* Moves frames and runs both engines (held frames included) until quiet
 * or the clock reaches limit. */
static void pump(struct pair *p, uint64_t limit)
{
	for (int guard = 0; guard < 200000; guard++) {
		struct pktbuf *f;
		int any = 0;
		uint64_t next = TS_NEVER;

		for (int side = 0; side < 2; side++) {
			while ((f = ts_memwire_pop(&p->wire, side)) != NULL) {
				ts_engine_input(&p->eng[!side], &p->wire.end[!side].dev, f, p->now);
				any = 1;
			}
		}
		for (int i = 0; i < 2; i++) {
			uint64_t t = ts_engine_poll(&p->eng[i], p->now);

			if (t < next)
				next = t;
		}
		if (any || p->wire.end[0].head != NULL || p->wire.end[1].head != NULL)
			continue;
		if (next == TS_NEVER || next > limit)
			return;
		if (next > p->now)
			p->now = next;
	}
	fail_msg("pump: no quiet point");
}

/* Client connects to the server's port 80; returns the client TCB. */
static struct ts_tcb *connect_pair(struct pair *p, struct ts_tcb **l, uint64_t limit)
{
	struct ts_tcb *c = ts_tcp_socket(&p->eng[0], &cb, p);

	*l = ts_tcp_socket(&p->eng[1], &cb, p);
	assert_non_null(c);
	assert_non_null(*l);
	assert_int_equal(ts_tcp_bind(*l, 0, 80), 0);
	assert_int_equal(ts_tcp_listen(*l, 16), 0);
	assert_int_equal(ts_tcp_connect(c, B_ADDR, 80, p->now), 0);
	pump(p, limit);
	return c;
}

static void close_all(struct pair *p, struct ts_tcb *c, struct ts_tcb *l)
{
	ts_tcp_close(c, p->now);
	if (p->accepted != NULL)
		ts_tcp_close(p->accepted, p->now);
	ts_tcp_close(l, p->now);
	pump(p, p->now + 200 * SEC);
}

static void test_first_syn_ack_lost_client_retransmits_syn_after_rto(void **state)
{
	struct pair *p = *state;
	uint64_t t0 = p->now;
	uint32_t id = rule(p, 1, "drop dir out proto tcp flags syn-ack nth 1");
	struct ts_tcb *l, *c = connect_pair(p, &l, t0 + 10 * SEC);
	const struct ts_fault_rule *r = ts_fault_find(&p->eng[1], id);

	assert_int_equal(c->state, TCPS_ESTABLISHED);
	assert_non_null(p->accepted);
	/* Only the first SYN-ACK was lost.  At the initial RTO (RFC 6298
	 * 2.1: 1 s) both sides retransmit, the client its SYN, the server
	 * its SYN-ACK (and, as Linux, again in answer to the SYN), so later
	 * SYN-ACKs match without being acted on. */
	assert_true(r->matched >= 2);
	assert_int_equal(r->acted, 1);
	assert_true(p->eng[0].stats.TcpRetransSegs + p->eng[1].stats.TcpRetransSegs >= 1);
	assert_int_equal(p->established_at, t0 + SEC);
	close_all(p, c, l);
}

static void test_delay_both_ways_sets_the_handshake_time(void **state)
{
	struct pair *p = *state;
	uint64_t t0 = p->now;
	struct ts_tcb *l, *c;

	rule(p, 0, "delay 50 dir out proto tcp");
	rule(p, 1, "delay 50 dir out proto tcp");
	c = connect_pair(p, &l, t0 + 10 * SEC);
	assert_int_equal(c->state, TCPS_ESTABLISHED);
	/* SYN 50 ms, SYN-ACK 50 ms: the client is established at 100 ms
	 * (ARP, not delayed, takes no fake time). */
	assert_int_equal(p->established_at, t0 + 100 * MSEC);
	assert_int_equal(p->eng[0].stats.TcpRetransSegs, 0);
	close_all(p, c, l);
}

/* Sends n bytes client -> server through whatever rules are in place and
 * checks they arrive intact and in order. */
static void transfer_is_byte_exact(struct pair *p, size_t n)
{
	static uint8_t out[1 << 19], in[1 << 19];
	struct ts_tcb *l, *c = connect_pair(p, &l, p->now + 60 * SEC);
	size_t sent = 0, got = 0;

	assert_true(n <= sizeof(out));
	assert_int_equal(c->state, TCPS_ESTABLISHED);
	assert_non_null(p->accepted);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 131 + (i >> 11));
	while (got < n) {
		ssize_t r;

		if (sent < n && (r = ts_tcp_send(c, out + sent, n - sent, p->now)) > 0)
			sent += (size_t)r;
		pump(p, p->now + 10 * MSEC);
		while ((r = ts_tcp_recv(p->accepted, in + got, n - got, p->now)) > 0)
			got += (size_t)r;
		p->now += MSEC;
		if (p->now > 3600 * SEC)
			fail_msg("transfer stuck at %zu of %zu", got, n);
	}
	assert_memory_equal(in, out, n);
	close_all(p, c, l);
}

static void test_random_loss_both_ways_transfer_is_byte_exact(void **state)
{
	struct pair *p = *state;

	rule(p, 0, "drop dir out proto tcp flags data prob 0.05 seed 11");
	rule(p, 1, "drop dir out proto tcp flags ack prob 0.05 seed 12");
	transfer_is_byte_exact(p, 300000);
	assert_true(p->eng[0].stats.TsExtFaultDrops > 0);
	assert_true(p->eng[0].stats.TcpRetransSegs > 0);
}

static void test_duplicates_and_reordering_transfer_is_byte_exact(void **state)
{
	struct pair *p = *state;

	rule(p, 0, "duplicate dir out proto tcp flags data every 7");
	rule(p, 0, "reorder 20 dir out proto tcp flags data every 5");
	transfer_is_byte_exact(p, 300000);
	assert_true(p->eng[0].stats.TsExtFaultDups > 0);
	assert_true(p->eng[0].stats.TsExtFaultReorders > 0);
	/* The receiver saw data out of order and kept it. */
	assert_true(p->eng[1].stats.TcpExtTCPOFOQueue > 0);
}

static void test_corruption_is_caught_by_the_checksum_and_repaired(void **state)
{
	struct pair *p = *state;

	rule(p, 0, "corrupt dir out proto tcp flags data every 9 limit 10");
	transfer_is_byte_exact(p, 200000);
	/* About 140 data segments: the limit is reached, and every corrupted
	 * segment was refused by the receiver's checksum. */
	assert_int_equal(p->eng[0].stats.TsExtFaultCorrupts, 10);
	assert_int_equal(p->eng[1].stats.TcpInCsumErrors, 10);
	assert_true(p->eng[0].stats.TcpRetransSegs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_first_syn_ack_lost_client_retransmits_syn_after_rto, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delay_both_ways_sets_the_handshake_time, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_random_loss_both_ways_transfer_is_byte_exact,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates_and_reordering_transfer_is_byte_exact,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corruption_is_caught_by_the_checksum_and_repaired,
					    setup, teardown),
	};

	return cmocka_run_group_tests_name("fault_tcp", tests, NULL, NULL);
}
