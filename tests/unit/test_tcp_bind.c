/* TCP bind rules as Linux 6.1 (inet_csk_get_port, inet_csk_bind_conflict,
 * __inet_hash_connect), SO_REUSEPORT listener groups, and the limits that
 * came with them: TCP_USER_TIMEOUT (tcp_write_timeout, keepalive) and
 * net.ipv4.tcp_max_orphans (tcp_check_oom).  Fake clock, captured
 * segments, leak checks in th_teardown. */
#include "tcp_harness.h"

#include <errno.h>
#include <string.h>

#define S 1000000ull
#define MS 1000ull
#define LO TS_IP4(127, 0, 0, 1)

static struct ts_tcb *sock(struct th *h, int reuseaddr, int reuseport, uint32_t uid)
{
	struct ts_tcb *t = ts_tcp_socket(&h->eng, &th_cb, h);

	assert_non_null(t);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_REUSEADDR, reuseaddr), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_REUSEPORT, reuseport), 0);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_UID, (int)uid), 0);
	return t;
}

/* A SYN from the peer's port pport to TH_LPORT; returns the SYN-ACK's
 * existence. */
static int syn_from(struct th *h, uint16_t pport)
{
	h->pport = pport;
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	if (!seg_pop(h))
		return 0;
	assert_int_equal(h->last.th.flags, TH_SYN | TH_ACK);
	assert_int_equal(h->last.th.dport, pport);
	return 1;
}

/* A connection from pport completed and accepted from listener l. */
static struct ts_tcb *accept_from(struct th *h, struct ts_tcb *l, uint16_t pport)
{
	struct ts_tcb *c;
	int err;

	assert_true(syn_from(h, pport));
	seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, NULL, 0);
	c = ts_tcp_accept(l, &th_cb, h, &err);
	assert_non_null(c);
	assert_int_equal(c->state, TCPS_ESTABLISHED);
	assert_int_equal(c->key.rport, pport);
	return c;
}

/* The accepted connection c closes first and reaches TIME-WAIT. */
static void to_time_wait(struct th *h, struct ts_tcb *c)
{
	uint16_t pport = c->key.rport;

	ts_tcp_close(c, h->now);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	h->pport = pport;
	seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	seg_expect(h, TH_ACK, h->iss + 2, PEER_ISS + 2, -1);
	assert_int_equal(c->state, TCPS_TIME_WAIT);
}

/* --- bind(2) ------------------------------------------------------------ */

static void test_bind_reuseaddr_both_share_until_one_listens(void **state)
{
	struct th *h = *state;
	struct ts_tcb *a = sock(h, 1, 0, 0), *b = sock(h, 1, 0, 0), *c = sock(h, 0, 0, 0);
	struct ts_tcb *d = sock(h, 1, 0, 0);

	assert_int_equal(ts_tcp_bind(a, 0, 7000), 0);
	assert_int_equal(ts_tcp_bind(b, TH_LOCAL, 7000), 0); /* both SO_REUSEADDR */
	assert_int_equal(ts_tcp_bind(c, TH_LOCAL, 7000), -EADDRINUSE); /* c lacks it */
	assert_int_equal(ts_tcp_bind(a, 0, 7001), -EINVAL);		/* bound already */
	assert_int_equal(ts_tcp_listen(a, 4), 0);
	/* A listener never shares by SO_REUSEADDR: not with a new bind... */
	assert_int_equal(ts_tcp_bind(d, LO, 7000), -EADDRINUSE);
	/* ... nor with a second listen() of an earlier co-owner. */
	assert_int_equal(ts_tcp_listen(b, 4), -EADDRINUSE);
	assert_int_equal(b->state, TCPS_CLOSED);
	ts_tcp_close(a, h->now);
	assert_int_equal(ts_tcp_listen(b, 4), 0);
	ts_tcp_close(b, h->now);
	ts_tcp_close(c, h->now);
	ts_tcp_close(d, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_bind_addresses_specific_wildcard_and_not_local(void **state)
{
	struct th *h = *state;
	struct ts_tcb *a = sock(h, 0, 0, 0), *b = sock(h, 0, 0, 0), *c = sock(h, 0, 0, 0);

	assert_int_equal(ts_tcp_bind(a, TH_LOCAL, 7000), 0);
	assert_int_equal(ts_tcp_bind(b, LO, 7000), 0);	/* another address */
	assert_int_equal(ts_tcp_bind(c, 0, 7000), -EADDRINUSE); /* ANY overlaps both */
	assert_int_equal(ts_tcp_bind(c, TS_IP4(198, 18, 0, 99), 7000), -EADDRNOTAVAIL);
	assert_int_equal(ts_tcp_bind(c, TS_IP4(198, 18, 0, 99), 7002), -EADDRNOTAVAIL);
	ts_tcp_close(a, h->now);
	assert_int_equal(ts_tcp_bind(c, 0, 7000), -EADDRINUSE); /* b still there */
	ts_tcp_close(b, h->now);
	assert_int_equal(ts_tcp_bind(c, 0, 7000), 0);
	assert_int_equal(c->key.lport, 7000);
	ts_tcp_close(c, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_bind_privileged_port_follows_unprivileged_port_start(void **state)
{
	struct th *h = *state;
	struct ts_tcb *a = sock(h, 0, 0, 1000);

	ts_tcp_setopt(a, TS_TCP_BIND_PRIV, 0);
	assert_int_equal(ts_tcp_bind(a, 0, 1023), -EACCES);
	/* EADDRNOTAVAIL is checked before EACCES (Linux inet_bind). */
	assert_int_equal(ts_tcp_bind(a, TS_IP4(198, 18, 0, 99), 80), -EADDRNOTAVAIL);
	h->eng.sysctl.ip_unprivileged_port_start[0] = 80;
	assert_int_equal(ts_tcp_bind(a, 0, 79), -EACCES);
	assert_int_equal(ts_tcp_bind(a, 0, 80), 0);
	ts_tcp_close(a, h->now);
	a = sock(h, 0, 0, 0); /* bind_priv 1 by default (uid 0 in the daemon) */
	assert_int_equal(ts_tcp_bind(a, 0, 22), 0);
	ts_tcp_close(a, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_time_wait_holder_with_reuseaddr_yields_to_reuseaddr(void **state)
{
	struct th *h = *state;
	struct ts_tcb *l = sock(h, 1, 0, 0), *c, *n;

	assert_int_equal(ts_tcp_bind(l, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(l, 8), 0);
	c = accept_from(h, l, 1001);
	ts_tcp_close(l, h->now);
	to_time_wait(h, c);
	/* Without SO_REUSEADDR the TIME-WAIT socket holds the port. */
	n = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(n, 0, TH_LPORT), -EADDRINUSE);
	/* With it (the TIME-WAIT child inherited it from its listener), the
	 * restart binds and listens. */
	ts_tcp_setopt(n, TS_TCP_REUSEADDR, 1);
	assert_int_equal(ts_tcp_bind(n, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(n, 8), 0);
	ts_tcp_close(n, h->now);
	th_advance(h, 61 * S);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_time_wait_holder_with_reuseport_yields_to_any_uid(void **state)
{
	struct th *h = *state;
	struct ts_tcb *l = sock(h, 0, 1, 1000), *c, *n;

	assert_int_equal(ts_tcp_bind(l, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(l, 8), 0);
	c = accept_from(h, l, 1001);
	ts_tcp_close(l, h->now);
	to_time_wait(h, c);
	n = sock(h, 1, 0, 2000);
	assert_int_equal(ts_tcp_bind(n, 0, TH_LPORT), -EADDRINUSE); /* REUSEADDR only */
	ts_tcp_close(n, h->now);
	/* Linux: SO_REUSEPORT passes a TIME-WAIT owner whatever its uid. */
	n = sock(h, 0, 1, 2000);
	assert_int_equal(ts_tcp_bind(n, 0, TH_LPORT), 0);
	ts_tcp_close(n, h->now);
	th_advance(h, 61 * S);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_bind_port_zero_takes_odd_ports_first_then_eaddrinuse(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t[5];
	int seen[4] = {0};
	uint16_t freed;

	h->eng.sysctl.ip_local_port_range[0] = 40000;
	h->eng.sysctl.ip_local_port_range[1] = 40003;
	for (int i = 0; i < 4; i++) {
		t[i] = sock(h, 0, 0, 0);
		assert_int_equal(ts_tcp_bind(t[i], 0, 0), 0);
		assert_true(t[i]->key.lport >= 40000 && t[i]->key.lport <= 40003);
		/* Linux inet_csk_find_open_port: odd offsets first. */
		assert_int_equal(t[i]->key.lport & 1, i < 2 ? 1 : 0);
		seen[t[i]->key.lport - 40000]++;
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(seen[i], 1);
	t[4] = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(t[4], 0, 0), -EADDRINUSE);
	/* listen() on an unbound socket searches the same way. */
	assert_int_equal(ts_tcp_listen(t[4], 4), -EADDRINUSE);
	assert_int_equal(t[4]->state, TCPS_CLOSED);
	freed = t[1]->key.lport;
	ts_tcp_close(t[1], h->now);
	assert_int_equal(ts_tcp_listen(t[4], 4), 0);
	assert_int_equal(t[4]->key.lport, freed);
	assert_true(t[4]->key.lport >= 40000 && t[4]->key.lport <= 40003);
	for (int i = 0; i < 5; i++)
		if (i != 1)
			ts_tcp_close(t[i], h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_connect_shares_local_port_by_4tuple_then_eaddrnotavail(void **state)
{
	struct th *h = *state;
	struct ts_tcb *b = sock(h, 0, 0, 0), *c[4], *z;

	h->eng.sysctl.ip_local_port_range[0] = 40000;
	h->eng.sysctl.ip_local_port_range[1] = 40001;
	/* A port bound by bind() is never taken by connect(). */
	assert_int_equal(ts_tcp_bind(b, 0, 40000), 0);
	for (int i = 0; i < 4; i++)
		c[i] = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_connect(c[0], TH_PEER, 80, h->now), 0);
	assert_int_equal(c[0]->key.lport, 40001);
	/* The same destination again: no 4-tuple left. */
	assert_int_equal(ts_tcp_connect(c[1], TH_PEER, 80, h->now), -EADDRNOTAVAIL);
	assert_int_equal(c[1]->state, TCPS_CLOSED);
	assert_int_equal(c[1]->key.raddr, 0);
	/* Other destinations share the local port (__inet_hash_connect). */
	assert_int_equal(ts_tcp_connect(c[2], TH_PEER, 81, h->now), 0);
	assert_int_equal(c[2]->key.lport, 40001);
	assert_int_equal(ts_tcp_connect(c[3], LO, 80, h->now), 0);
	assert_int_equal(c[3]->key.lport, 40001);
	/* bind(0) finds every port taken: connected sockets conflict. */
	z = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(z, 0, 0), -EADDRINUSE);
	assert_int_equal(ts_tcp_bind(z, 0, 40001), -EADDRINUSE);
	/* A failed connect that never bound gives the port back: c[0] closes
	 * and c[1] may now connect. */
	ts_tcp_close(c[0], h->now);
	assert_int_equal(ts_tcp_connect(c[1], TH_PEER, 80, h->now), 0);
	assert_int_equal(c[1]->key.lport, 40001);
	for (int i = 1; i < 4; i++)
		ts_tcp_close(c[i], h->now);
	ts_tcp_close(b, h->now);
	ts_tcp_close(z, h->now);
	seg_flush(h); /* the SYNs (captured before IP, loopback's too) */
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_connect_port_released_on_reset_unless_bound_by_user(void **state)
{
	struct th *h = *state;
	struct ts_tcb *a = sock(h, 0, 0, 0), *z;
	uint16_t port;

	h->eng.sysctl.ip_local_port_range[0] = 40000;
	h->eng.sysctl.ip_local_port_range[1] = 40001;
	assert_int_equal(ts_tcp_connect(a, TH_PEER, 80, h->now), 0);
	seg_expect(h, TH_SYN, h->iss, 0, -1);
	port = a->key.lport;
	assert_non_null(a->bucket);
	ts_tcp_shutdown(a, 2, h->now); /* SYN-SENT: disconnect (Linux) */
	assert_null(a->bucket);
	z = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(z, 0, port), 0);
	ts_tcp_close(z, h->now);
	ts_tcp_close(a, h->now);
	/* A socket bound by the user keeps its port after the disconnect. */
	a = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(a, 0, 40001), 0);
	assert_int_equal(ts_tcp_connect(a, TH_PEER, 80, h->now), 0);
	seg_expect(h, TH_SYN, h->iss, 0, -1);
	ts_tcp_shutdown(a, 2, h->now);
	z = sock(h, 0, 0, 0);
	assert_int_equal(ts_tcp_bind(z, 0, 40001), -EADDRINUSE);
	ts_tcp_close(z, h->now);
	ts_tcp_close(a, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

/* --- SO_REUSEPORT ---------------------------------------------------------- */

static void test_reuseport_group_needs_flag_and_same_uid(void **state)
{
	struct th *h = *state;
	struct ts_tcb *a = sock(h, 0, 1, 1000), *b = sock(h, 0, 1, 1000);
	struct ts_tcb *c = sock(h, 0, 1, 2000), *d = sock(h, 0, 0, 1000);
	struct ts_tcb *e = sock(h, 0, 1, 1000);
	int v = 0;

	assert_int_equal(ts_tcp_getopt(a, TS_TCP_REUSEPORT, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ts_tcp_bind(a, 0, 8080), 0);
	assert_int_equal(ts_tcp_listen(a, 8), 0);
	assert_int_equal(ts_tcp_bind(b, 0, 8080), 0);
	assert_int_equal(ts_tcp_listen(b, 8), 0);
	assert_int_equal(ts_tcp_bind(c, 0, 8080), -EADDRINUSE); /* another uid */
	assert_int_equal(ts_tcp_bind(d, 0, 8080), -EADDRINUSE); /* no SO_REUSEPORT */
	/* A specific address under a wildcard group: its own group. */
	assert_int_equal(ts_tcp_bind(e, TH_LOCAL, 8080), 0);
	assert_int_equal(ts_tcp_listen(e, 8), 0);
	assert_ptr_equal(a->rp_next, b);
	assert_null(e->rp_next);
	/* A SYN to TH_LOCAL goes to the exact-address listener. */
	assert_ptr_equal(ts_tcb_lookup_listener(ts_tcp_of(&h->eng), TH_LOCAL, 8080, TH_PEER, 5),
			 e);
	assert_ptr_equal(ts_tcb_lookup_listener(ts_tcp_of(&h->eng), LO, 8080, LO, 5)->lkey,
			 a->lkey);
	ts_tcp_close(a, h->now);
	ts_tcp_close(b, h->now);
	ts_tcp_close(c, h->now);
	ts_tcp_close(d, h->now);
	ts_tcp_close(e, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_reuseport_syns_spread_by_flow_and_survive_a_close(void **state)
{
	struct th *h = *state;
	enum { NL = 3, NSYN = 60 };
	struct ts_tcb *l[NL];
	int got[NL], total = 0;

	for (int i = 0; i < NL; i++) {
		l[i] = sock(h, 0, 1, 1000);
		assert_int_equal(ts_tcp_bind(l[i], 0, TH_LPORT), 0);
		assert_int_equal(ts_tcp_listen(l[i], 128), 0);
	}
	/* One flow always reaches the same listener. */
	for (uint16_t p = 2000; p < 2000 + NSYN; p++)
		assert_ptr_equal(ts_tcb_lookup_listener(ts_tcp_of(&h->eng), TH_LOCAL, TH_LPORT,
							TH_PEER, p),
				 ts_tcb_lookup_listener(ts_tcp_of(&h->eng), TH_LOCAL, TH_LPORT,
							TH_PEER, p));
	for (uint16_t p = 2000; p < 2000 + NSYN; p++)
		assert_true(syn_from(h, p));
	for (int i = 0; i < NL; i++) {
		got[i] = l[i]->syn_qlen;
		total += got[i];
		/* 60 flows over 3 listeners: each gets some (a keyed hash;
		 * the chance of one getting none is (2/3)^60, ~3e-11). */
		assert_true(got[i] > 0);
	}
	assert_int_equal(total, NSYN);
	/* The middle listener closes: its half-open children go with it,
	 * the others keep serving new SYNs. */
	ts_tcp_close(l[1], h->now);
	seg_flush(h);
	for (uint16_t p = 3000; p < 3000 + NSYN; p++)
		assert_true(syn_from(h, p));
	assert_int_equal(l[0]->syn_qlen + l[2]->syn_qlen, total - got[1] + NSYN);
	ts_tcp_close(l[0], h->now);
	ts_tcp_close(l[2], h->now);
	seg_flush(h);
	/* With no listener left, a SYN is reset. */
	h->pport = 4000;
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, NULL, NULL, 0);
	seg_expect(h, TH_RST | TH_ACK, 0, PEER_ISS + 1, -1);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

/* --- TCP_USER_TIMEOUT --------------------------------------------------- */

static void test_user_timeout_ends_unacked_data_with_etimedout(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;
	int v = 0, sends = 0;

	assert_int_equal(ts_tcp_setopt(t, TS_TCP_USER_TIMEOUT, -1), -EINVAL);
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_USER_TIMEOUT, 5000), 0);
	assert_int_equal(ts_tcp_getopt(t, TS_TCP_USER_TIMEOUT, &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(ts_tcp_send(t, "abc", 3, h->now), 3);
	while (h->errors == 0 && h->now < t0 + 60 * S) {
		while (seg_pop(h))
			sends++;
		th_next(h, t0 + 60 * S);
	}
	while (seg_pop(h))
		sends++;
	/* tcp_retries2 would take 1044.6 s; the user timeout ends it 5 s
	 * after the first RTO retransmission (Linux retrans_stamp; 6.18
	 * measured: TCP_USER_TIMEOUT=1000 ends 1.0 s after it), the last RTO
	 * clamped to it. */
	assert_int_equal(h->errors, 1);
	assert_int_equal(h->last_err, ETIMEDOUT);
	assert_true(h->now - t0 >= 5200 * MS && h->now - t0 < 5201 * MS);
	/* The RTO starts at tcp_rto_min (an RTT of 0 in the fixture): sends
	 * at 0, 0.2, 0.6, 1.4 and 3.0 s; the next, due at 6.2 s, is clamped
	 * to 5.2 s and finds the time up. */
	assert_int_equal(sends, 5);
	assert_int_equal(h->eng.stats.TcpExtTCPAbortOnTimeout, 1);
	ts_tcp_close(t, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_user_timeout_ends_connect_before_syn_retries(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = ts_tcp_socket(&h->eng, &th_cb, h);
	uint64_t t0 = h->now;
	int syns = 0;

	ts_tcp_setopt(t, TS_TCP_USER_TIMEOUT, 2500);
	assert_int_equal(ts_tcp_connect(t, TH_PEER, TH_PPORT, h->now), 0);
	while (h->errors == 0 && h->now < t0 + 200 * S) {
		while (seg_pop(h))
			syns++;
		th_next(h, t0 + 200 * S);
	}
	assert_int_equal(h->last_err, ETIMEDOUT);
	assert_int_equal(h->now, t0 + 2500 * MS);
	assert_int_equal(syns, 2); /* the SYN and its retransmission at 1 s */
	ts_tcp_close(t, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

static void test_user_timeout_bounds_keepalive_failure(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	uint64_t t0 = h->now;
	int probes = 0;

	ts_tcp_setopt(t, TS_TCP_KEEPIDLE, 10);
	ts_tcp_setopt(t, TS_TCP_KEEPINTVL, 10);
	ts_tcp_setopt(t, TS_TCP_KEEPCNT, 9);
	ts_tcp_setopt(t, TS_TCP_USER_TIMEOUT, 25000);
	ts_tcp_setopt(t, TS_TCP_KEEPALIVE, 1);
	while (h->errors == 0 && h->now < t0 + 200 * S) {
		th_next(h, t0 + 200 * S);
		while (seg_pop(h)) {
			if (h->last.th.flags & TH_RST)
				break;
			probes++;
		}
	}
	/* Probes at 10 s and 20 s; at 30 s the peer has been silent for
	 * more than 25 s with a probe out: reset (TCP_KEEPCNT alone would
	 * allow 9 probes, 100 s). */
	assert_int_equal(probes, 2);
	assert_int_equal(h->last.th.flags & TH_RST, TH_RST);
	assert_int_equal(h->last_err, ETIMEDOUT);
	assert_int_equal(h->now, t0 + 30 * S);
	ts_tcp_close(t, h->now);
	assert_int_equal(ts_tcp_live(), h->tcb0);
}

/* --- net.ipv4.tcp_max_orphans --------------------------------------------- */

static void test_too_many_orphans_resets_the_one_being_orphaned(void **state)
{
	struct th *h = *state;
	struct ts_tcb *l = sock(h, 0, 0, 0), *c[3];

	assert_int_equal(ts_tcp_bind(l, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(l, 8), 0);
	for (int i = 0; i < 3; i++)
		c[i] = accept_from(h, l, (uint16_t)(1000 + i));
	h->eng.sysctl.tcp_max_orphans[0] = 1;
	/* A TIME-WAIT orphan does not count. */
	to_time_wait(h, c[0]);
	ts_tcp_close(c[1], h->now);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(ts_tcp_of(&h->eng)->orphans, 1);
	/* The second live orphan is one too many: RST, freed, counted. */
	ts_tcp_close(c[2], h->now);
	seg_expect(h, TH_RST | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(h->eng.stats.TcpExtTCPAbortOnMemory, 1);
	assert_int_equal(ts_tcp_of(&h->eng)->orphans, 1);
	ts_tcp_close(l, h->now);
	/* th_teardown frees the FIN-WAIT-1 and TIME-WAIT orphans. */
	assert_int_equal(ts_tcp_live(), h->tcb0 + 2);
}

static void test_too_many_orphans_reset_when_their_timer_runs(void **state)
{
	struct th *h = *state;
	struct ts_tcb *l = sock(h, 0, 0, 0), *c[2];

	assert_int_equal(ts_tcp_bind(l, 0, TH_LPORT), 0);
	assert_int_equal(ts_tcp_listen(l, 8), 0);
	for (int i = 0; i < 2; i++)
		c[i] = accept_from(h, l, (uint16_t)(1000 + i));
	ts_tcp_close(l, h->now);
	ts_tcp_close(c[0], h->now);
	ts_tcp_close(c[1], h->now);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(ts_tcp_of(&h->eng)->orphans, 2);
	/* The limit drops below what exists: at the next FIN timeout the
	 * first orphan whose timer runs is reset (Linux tcp_out_of_resources),
	 * which brings the count to the limit; the other retransmits. */
	h->eng.sysctl.tcp_max_orphans[0] = 1;
	th_next(h, h->now + 10 * S);
	seg_expect(h, TH_RST | TH_ACK, h->iss + 2, PEER_ISS + 1, -1);
	seg_expect(h, TH_FIN | TH_ACK, h->iss + 1, PEER_ISS + 1, -1);
	assert_int_equal(h->eng.stats.TcpExtTCPAbortOnMemory, 1);
	assert_int_equal(ts_tcp_of(&h->eng)->orphans, 1);
	assert_int_equal(ts_tcp_live(), h->tcb0 + 1);
	/* The survivor finishes normally once the peer answers. */
	h->pport = 1001;
	seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	if (ts_tcp_live() == h->tcb0 + 1) {
		/* it was c[0] that survived: answer on its port */
		h->pport = 1000;
		seg_in(h, TH_FIN | TH_ACK, PEER_ISS + 1, h->iss + 2, 65535, NULL, NULL, 0);
	}
	seg_flush(h);
	assert_int_equal(ts_tcp_of(&h->eng)->orphans, 0); /* in TIME-WAIT */
}

#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(test_bind_reuseaddr_both_share_until_one_listens),
		T(test_bind_addresses_specific_wildcard_and_not_local),
		T(test_bind_privileged_port_follows_unprivileged_port_start),
		T(test_time_wait_holder_with_reuseaddr_yields_to_reuseaddr),
		T(test_time_wait_holder_with_reuseport_yields_to_any_uid),
		T(test_bind_port_zero_takes_odd_ports_first_then_eaddrinuse),
		T(test_connect_shares_local_port_by_4tuple_then_eaddrnotavail),
		T(test_connect_port_released_on_reset_unless_bound_by_user),
		T(test_reuseport_group_needs_flag_and_same_uid),
		T(test_reuseport_syns_spread_by_flow_and_survive_a_close),
		T(test_user_timeout_ends_unacked_data_with_etimedout),
		T(test_user_timeout_ends_connect_before_syn_retries),
		T(test_user_timeout_bounds_keepalive_failure),
		T(test_too_many_orphans_resets_the_one_being_orphaned),
		T(test_too_many_orphans_reset_when_their_timer_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
