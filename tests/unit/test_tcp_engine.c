/* TCP through the whole engine: two engines joined by a memwire (Ethernet,
 * ARP, IPv4, eng->l4[6]) and one engine talking to itself over the
 * in-engine loopback.  Checks that TCP is wired into the layers below:
 * registration, checksums over the real pseudo-header, ARP resolution
 * before the SYN, MSS from the MTU, RST for a closed port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tcp.h"
#include "wire.h"

#define A_ADDR TS_IP4(198, 18, 0, 2)
#define B_ADDR TS_IP4(198, 18, 0, 3)

struct pair {
	struct ts_memwire wire;
	struct ts_engine eng[2];
	uint64_t now;
	struct ts_tcb *accepted;
	int errors, last_err, established;
	long pkt0, tcb0;
};

static void on_accept(struct ts_tcb *l, void *u)
{
	struct pair *p = u;
	int err;

	p->accepted = ts_tcp_accept(l, NULL, NULL, &err);
}

static void on_error(struct ts_tcb *t, int err, void *u)
{
	struct pair *p = u;

	p->errors++;
	p->last_err = err;
}

static void on_established(struct ts_tcb *t, void *u)
{
	((struct pair *)u)->established++;
}

static const struct ts_tcp_callbacks cb = {
	.on_accept = on_accept,
	.on_error = on_error,
	.on_established = on_established,
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct ts_engine_config cfg;

	p->pkt0 = ts_pkt_live();
	p->tcb0 = ts_tcp_live();
	p->now = 1000000;
	ts_memwire_init(&p->wire, 1500);
	for (int i = 0; i < 2; i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.addr = i ? B_ADDR : A_ADDR;
		cfg.prefix_len = 24;
		cfg.seed = 99 + (uint64_t)i;
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

/* Delivers every queued frame and runs both engines until quiet (or
 * until the clock reaches limit); returns frames moved. */
static int pump(struct pair *p, uint64_t limit)
{
	int moved = 0;

	for (int guard = 0; guard < 100000; guard++) {
		struct pktbuf *f;
		int any = 0;
		uint64_t next = TS_NEVER;

		for (int side = 0; side < 2; side++) {
			while ((f = ts_memwire_pop(&p->wire, side)) != NULL) {
				ts_engine_input(&p->eng[!side], &p->wire.end[!side].dev, f, p->now);
				any = 1;
				moved++;
			}
		}
		for (int i = 0; i < 2; i++) {
			uint64_t t = ts_engine_poll(&p->eng[i], p->now);

			if (t < next)
				next = t;
		}
		if (p->wire.end[0].head != NULL || p->wire.end[1].head != NULL)
			continue;
		if (any)
			continue;
		if (next == TS_NEVER || next > limit)
			break;
		if (next > p->now)
			p->now = next;
	}
	return moved;
}

static void test_engines_connect_transfer_close_over_memwire(void **state)
{
	struct pair *p = *state;
	struct ts_tcb *l = ts_tcp_socket(&p->eng[1], &cb, p);
	struct ts_tcb *c = ts_tcp_socket(&p->eng[0], &cb, p);
	static uint8_t out[1 << 20], in[1 << 20];
	size_t sent = 0, got = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 31 + (i >> 9));
	assert_int_equal(ts_tcp_bind(l, 0, 80), 0);
	assert_int_equal(ts_tcp_listen(l, 16), 0);
	assert_int_equal(ts_tcp_connect(c, B_ADDR, 80, p->now), 0);
	pump(p, p->now + 1000000);
	assert_int_equal(c->state, TCPS_ESTABLISHED);
	assert_int_equal(p->established, 1);
	assert_non_null(p->accepted);
	assert_int_equal(c->key.laddr, A_ADDR);
	assert_int_equal(c->mss, 1460); /* MTU 1500 */
	assert_true(c->flags & TF_TS && c->flags & TF_SACK && c->flags & TF_WS);
	while (got < sizeof(in)) {
		ssize_t r;

		if (sent < sizeof(out)) {
			r = ts_tcp_send(c, out + sent, sizeof(out) - sent, p->now);
			if (r > 0)
				sent += (size_t)r;
		}
		pump(p, p->now + 10000);
		while ((r = ts_tcp_recv(p->accepted, in + got, sizeof(in) - got, p->now)) > 0)
			got += (size_t)r;
		if (p->now > 600000000ull)
			fail_msg("stuck at %zu", got);
		p->now += 1000;
	}
	assert_memory_equal(in, out, sizeof(out));
	assert_true(p->eng[1].stats.IpInDelivers > 0);
	assert_int_equal(p->eng[1].stats.TcpInCsumErrors, 0);
	ts_tcp_close(c, p->now);
	pump(p, p->now + 1000000);
	assert_int_equal(ts_tcp_recv(p->accepted, in, 1, p->now), 0); /* EOF */
	ts_tcp_close(p->accepted, p->now);
	pump(p, p->now + 1000000);
	/* The client (first to close) is in TIME-WAIT; 60 s later, gone. */
	pump(p, p->now + 61000000);
	ts_tcp_close(l, p->now);
	assert_int_equal(ts_tcp_live(), p->tcb0);
}

static void test_engine_closed_port_refused_over_memwire(void **state)
{
	struct pair *p = *state;
	struct ts_tcb *c = ts_tcp_socket(&p->eng[0], &cb, p);

	assert_int_equal(ts_tcp_connect(c, B_ADDR, 81, p->now), 0);
	pump(p, p->now + 1000000);
	assert_int_equal(c->state, TCPS_CLOSED);
	assert_int_equal(p->last_err, ECONNREFUSED);
	assert_int_equal(p->eng[1].stats.TcpOutRsts, 1);
	ts_tcp_close(c, p->now);
}

/* The engine talking to itself (its own address and 127.0.0.1) through
 * the in-engine loopback, with the loopback MSS. */
static void test_engine_loopback_connect_transfer(void **state)
{
	struct pair *p = *state;
	static const uint32_t dsts[] = {A_ADDR, TS_IP4(127, 0, 0, 1)};

	for (int k = 0; k < 2; k++) {
		struct ts_tcb *l = ts_tcp_socket(&p->eng[0], &cb, p);
		struct ts_tcb *c = ts_tcp_socket(&p->eng[0], &cb, p);
		static uint8_t buf[200000], rd[200000];
		size_t sent = 0, got = 0;

		p->accepted = NULL;
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i ^ (i >> 8) ^ (uint8_t)k);
		assert_int_equal(ts_tcp_bind(l, 0, (uint16_t)(5000 + k)), 0);
		assert_int_equal(ts_tcp_listen(l, 4), 0);
		assert_int_equal(ts_tcp_connect(c, dsts[k], (uint16_t)(5000 + k), p->now), 0);
		pump(p, p->now + 1000000);
		assert_int_equal(c->state, TCPS_ESTABLISHED);
		assert_non_null(p->accepted);
		assert_int_equal(c->mss, 65495);
		while (got < sizeof(rd)) {
			ssize_t r;

			if (sent < sizeof(buf) &&
			    (r = ts_tcp_send(c, buf + sent, sizeof(buf) - sent, p->now)) > 0)
				sent += (size_t)r;
			pump(p, p->now + 10000);
			while ((r = ts_tcp_recv(p->accepted, rd + got, sizeof(rd) - got, p->now)) > 0)
				got += (size_t)r;
			p->now += 1000;
			if (p->now > 600000000ull)
				fail_msg("loopback stuck at %zu", got);
		}
		assert_memory_equal(rd, buf, sizeof(buf));
		ts_tcp_abort(c, p->now);
		ts_tcp_abort(p->accepted, p->now);
		ts_tcp_close(l, p->now);
		pump(p, p->now + 1000000);
	}
	assert_int_equal(ts_tcp_live(), p->tcb0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engines_connect_transfer_close_over_memwire,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_closed_port_refused_over_memwire,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_loopback_connect_transfer, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
