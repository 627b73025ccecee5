/* The socket table: Linux's bind rules, ephemeral ports, lookup, and the
 * generic socket options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "engine.h"
#include "sock.h"
#include "wire.h"

#define ME TS_IP4(198, 18, 0, 2)
#define PEER TS_IP4(198, 18, 0, 1)
#define LO TS_IP4(127, 0, 0, 1)

struct fx {
	struct ts_engine eng;
	struct ts_sock_table udp, tcp;
	struct ts_sock s[8];
	long live;
};

static const struct ts_cred user = {.uid = 1000};
static const struct ts_cred other = {.uid = 1001};
static const struct ts_cred root = {.uid = 0, .net_bind_service = 1, .net_admin = 1};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->live = ts_pkt_live();
	ts_sysctl_defaults(&f->eng.sysctl);
	f->eng.addr = ME;
	f->eng.mask = 0xffffff00u;
	f->eng.rand_state = 12345;
	ts_sock_table_init(&f->udp, IPPROTO_UDP);
	ts_sock_table_init(&f->tcp, IPPROTO_TCP);
	for (int i = 0; i < 8; i++)
		ts_sock_init(&f->eng, &f->s[i], IPPROTO_UDP, SOCK_DGRAM, &user);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ts_sock_table_destroy(&f->udp);
	ts_sock_table_destroy(&f->tcp);
	assert_int_equal(ts_pkt_live(), f->live);
	free(f);
	return 0;
}

static int bind_(struct fx *f, int i, uint32_t a, uint16_t p)
{
	return ts_sock_bind(&f->eng, &f->udp, &f->s[i], a, p, &user);
}

static void test_bind_same_addr_port_twice_is_eaddrinuse(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, ME, 5000), 0);
	assert_int_equal(bind_(f, 1, ME, 5000), -EADDRINUSE);
	assert_int_equal(f->s[0].t.lport, 5000);
	assert_int_equal(f->s[1].t.lport, 0);
}

static void test_bind_wildcard_and_specific_conflict_both_orders(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	assert_int_equal(bind_(f, 1, ME, 5000), -EADDRINUSE);
	assert_int_equal(bind_(f, 2, ME, 5001), 0);
	assert_int_equal(bind_(f, 3, 0, 5001), -EADDRINUSE);
}

static void test_bind_two_specific_addrs_same_port_ok(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, ME, 5000), 0);
	assert_int_equal(bind_(f, 1, LO, 5000), 0);
	assert_int_equal(bind_(f, 2, 0, 5000), -EADDRINUSE);
}

static void test_bind_reuseaddr_on_both_shares_udp_port(void **state)
{
	struct fx *f = *state;

	f->s[0].reuseaddr = 1;
	f->s[1].reuseaddr = 1;
	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	assert_int_equal(bind_(f, 1, 0, 5000), 0);
	/* Only one side with SO_REUSEADDR is a conflict. */
	assert_int_equal(bind_(f, 2, 0, 5000), -EADDRINUSE);
}

static void test_bind_tcp_reuseaddr_conflicts_with_listener(void **state)
{
	struct fx *f = *state;
	struct ts_sock a, b, c;

	ts_sock_init(&f->eng, &a, IPPROTO_TCP, SOCK_STREAM, &user);
	ts_sock_init(&f->eng, &b, IPPROTO_TCP, SOCK_STREAM, &user);
	ts_sock_init(&f->eng, &c, IPPROTO_TCP, SOCK_STREAM, &user);
	a.reuseaddr = b.reuseaddr = c.reuseaddr = 1;
	assert_int_equal(ts_sock_bind(&f->eng, &f->tcp, &a, 0, 8080, &user), 0);
	assert_int_equal(ts_sock_bind(&f->eng, &f->tcp, &b, 0, 8080, &user), 0);
	a.bstate = TS_SOCK_LISTEN;
	/* b listening now would clash with a (Linux: listen EADDRINUSE). */
	assert_int_equal(ts_sock_conflict(&f->tcp, &b, 0, 8080), 1);
	assert_int_equal(ts_sock_bind(&f->eng, &f->tcp, &c, 0, 8080, &user), -EADDRINUSE);
	ts_sock_unhash(&f->tcp, &a);
	ts_sock_unhash(&f->tcp, &b);
}

static void test_bind_reuseport_same_uid_ok_other_uid_refused(void **state)
{
	struct fx *f = *state;
	struct ts_sock o;

	f->s[0].reuseport = f->s[1].reuseport = 1;
	assert_int_equal(bind_(f, 0, 0, 6000), 0);
	assert_int_equal(bind_(f, 1, 0, 6000), 0);
	ts_sock_init(&f->eng, &o, IPPROTO_UDP, SOCK_DGRAM, &other);
	o.reuseport = 1;
	assert_int_equal(ts_sock_bind(&f->eng, &f->udp, &o, 0, 6000, &other), -EADDRINUSE);
	/* Without SO_REUSEPORT, same uid: refused too. */
	assert_int_equal(bind_(f, 2, 0, 6000), -EADDRINUSE);
}

static void test_bind_tcp_and_udp_same_port_never_conflict(void **state)
{
	struct fx *f = *state;
	struct ts_sock t;

	ts_sock_init(&f->eng, &t, IPPROTO_TCP, SOCK_STREAM, &user);
	assert_int_equal(bind_(f, 0, 0, 7000), 0);
	assert_int_equal(ts_sock_bind(&f->eng, &f->tcp, &t, 0, 7000, &user), 0);
	ts_sock_unhash(&f->tcp, &t);
}

static void test_bind_foreign_addr_is_eaddrnotavail(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, TS_IP4(198, 18, 0, 99), 5000), -EADDRNOTAVAIL);
	assert_int_equal(bind_(f, 0, TS_IP4(10, 0, 0, 1), 5000), -EADDRNOTAVAIL);
	/* Ours, loopback, broadcast and multicast are bindable. */
	assert_int_equal(bind_(f, 0, TS_IP4(127, 1, 2, 3), 5000), 0);
	assert_int_equal(bind_(f, 1, TS_IP4(198, 18, 0, 255), 5000), 0);
	assert_int_equal(bind_(f, 2, TS_IP4(224, 0, 0, 9), 5000), 0);
}

static void test_bind_privileged_port_needs_capability(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, 0, 80), -EACCES);
	assert_int_equal(bind_(f, 0, 0, 1023), -EACCES);
	assert_int_equal(bind_(f, 0, 0, 1024), 0);
	assert_int_equal(ts_sock_bind(&f->eng, &f->udp, &f->s[1], 0, 80, &root), 0);
	/* net.ipv4.ip_unprivileged_port_start moves the line. */
	f->eng.sysctl.ip_unprivileged_port_start[0] = 80;
	assert_int_equal(bind_(f, 2, 0, 81), 0);
	/* EADDRNOTAVAIL is checked before EACCES, as Linux. */
	assert_int_equal(bind_(f, 3, TS_IP4(10, 0, 0, 1), 10), -EADDRNOTAVAIL);
}

static void test_bind_already_bound_is_einval(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	assert_int_equal(bind_(f, 0, 0, 5001), -EINVAL);
	assert_int_equal(bind_(f, 0, 0, 0), -EINVAL);
}

static void test_bind_port_zero_picks_from_range_distinct(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 8; i++) {
		assert_int_equal(bind_(f, i, 0, 0), 0);
		assert_in_range(f->s[i].t.lport, 32768, 60999);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(f->s[i].t.lport, f->s[j].t.lport);
	}
}

static void test_bind_full_range_is_eaddrinuse_autobind_eagain(void **state)
{
	struct fx *f = *state;

	f->eng.sysctl.ip_local_port_range[0] = 40000;
	f->eng.sysctl.ip_local_port_range[1] = 40003;
	for (int i = 0; i < 4; i++)
		assert_int_equal(bind_(f, i, 0, 0), 0);
	assert_int_equal(bind_(f, 4, 0, 0), -EADDRINUSE);
	assert_int_equal(ts_sock_autobind(&f->eng, &f->udp, &f->s[5]), -EAGAIN);
	/* A freed port is found again. */
	ts_sock_unhash(&f->udp, &f->s[2]);
	assert_int_equal(ts_sock_autobind(&f->eng, &f->udp, &f->s[5]), 0);
	assert_int_equal(f->s[5].t.lport, f->s[2].t.lport);
}

static void test_lookup_exact_addr_beats_wildcard(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	f->s[1].reuseaddr = f->s[0].reuseaddr = 1;
	ts_sock_unhash(&f->udp, &f->s[0]);
	f->s[0].t.lport = 0;
	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	assert_int_equal(bind_(f, 1, ME, 5000), 0);
	assert_ptr_equal(ts_sock_lookup(&f->udp, ME, 5000, PEER, 9, 0), &f->s[1]);
	assert_ptr_equal(ts_sock_lookup(&f->udp, LO, 5000, LO, 9, 0), &f->s[0]);
	assert_null(ts_sock_lookup(&f->udp, ME, 5001, PEER, 9, 0));
}

static void test_lookup_connected_gets_only_its_peer(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	ts_sock_set_peer(&f->udp, &f->s[0], ME, PEER, 7);
	assert_int_equal(f->s[0].t.laddr, ME);
	assert_ptr_equal(ts_sock_lookup(&f->udp, ME, 5000, PEER, 7, 0), &f->s[0]);
	assert_null(ts_sock_lookup(&f->udp, ME, 5000, PEER, 8, 0));
	/* Disconnect: the explicitly bound port stays, the address goes. */
	ts_sock_set_peer(&f->udp, &f->s[0], 0, 0, 0);
	assert_int_equal(f->s[0].t.lport, 5000);
	assert_int_equal(f->s[0].t.laddr, 0);
	assert_ptr_equal(ts_sock_lookup(&f->udp, ME, 5000, PEER, 8, 0), &f->s[0]);
}

static void test_disconnect_unbinds_autobound_port(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ts_sock_autobind(&f->eng, &f->udp, &f->s[0]), 0);
	assert_int_not_equal(f->s[0].t.lport, 0);
	ts_sock_set_peer(&f->udp, &f->s[0], ME, PEER, 7);
	ts_sock_set_peer(&f->udp, &f->s[0], 0, 0, 0);
	assert_int_equal(f->s[0].t.lport, 0);
	assert_int_equal(f->udp.count, 0);
}

static void test_lookup_reuseport_spreads_by_hash_and_is_stable(void **state)
{
	struct fx *f = *state;
	int hits[4] = {0};

	for (int i = 0; i < 4; i++) {
		f->s[i].reuseport = 1;
		assert_int_equal(bind_(f, i, 0, 6000), 0);
	}
	for (uint16_t sport = 1000; sport < 1400; sport++) {
		uint32_t h = ts_sock_flow_hash(PEER, sport, ME, 6000);
		struct ts_sock *a = ts_sock_lookup(&f->udp, ME, 6000, PEER, sport, h);
		struct ts_sock *b = ts_sock_lookup(&f->udp, ME, 6000, PEER, sport, h);

		assert_non_null(a);
		assert_ptr_equal(a, b);
		hits[a - f->s]++;
	}
	for (int i = 0; i < 4; i++)
		assert_true(hits[i] > 0);
}

static void test_foreach_match_finds_every_bound_socket(void **state)
{
	struct fx *f = *state;

	f->s[0].reuseaddr = f->s[1].reuseaddr = f->s[2].reuseaddr = 1;
	assert_int_equal(bind_(f, 0, 0, 5000), 0);
	assert_int_equal(bind_(f, 1, 0, 5000), 0);
	assert_int_equal(bind_(f, 2, 0, 5000), 0);
	ts_sock_set_peer(&f->udp, &f->s[2], ME, TS_IP4(198, 18, 0, 7), 1);
	assert_int_equal(ts_sock_foreach_match(&f->udp, 0xffffffffu, 5000, PEER, 9, NULL, NULL), 2);
}

static void test_opt_rcvbuf_doubles_and_clamps(void **state)
{
	struct fx *f = *state;
	struct ts_sock *sk = &f->s[0];
	int v = 10000;
	size_t len = sizeof(v);

	assert_int_equal(sk->rcvbuf, 212992);
	assert_int_equal(ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v), &user), 0);
	assert_int_equal(ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	assert_int_equal(v, 20000);
	v = 1 << 30;
	ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v), &user);
	assert_int_equal(sk->rcvbuf, 2 * 212992);
	v = 1;
	ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v), &user);
	assert_int_equal(sk->rcvbuf, 2304);
	v = 1;
	ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v), &user);
	assert_int_equal(sk->sndbuf, 4608);
	/* FORCE needs CAP_NET_ADMIN and skips the max. */
	v = 1 << 20;
	assert_int_equal(ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v), &user), -EPERM);
	assert_int_equal(ts_sock_setopt(&f->eng, sk, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v), &root), 0);
	assert_int_equal(sk->rcvbuf, 2 << 20);
}

static void test_opt_short_optlen_is_einval(void **state)
{
	struct fx *f = *state;
	char c = 1;
	int v = 1;

	assert_int_equal(ts_sock_setopt(&f->eng, &f->s[0], SOL_SOCKET, SO_REUSEADDR, &c, 1, &user), -EINVAL);
	assert_int_equal(ts_sock_setopt(&f->eng, &f->s[0], SOL_SOCKET, 9999, &v, 4, &user), -ENOPROTOOPT);
	assert_int_equal(ts_sock_setopt(&f->eng, &f->s[0], 12345, 1, &v, 4, &user), -ENOPROTOOPT);
}

static void test_opt_ip_ttl_default_reset_and_range(void **state)
{
	struct fx *f = *state;
	struct ts_sock *sk = &f->s[0];
	int v;
	size_t len = sizeof(v);

	assert_int_equal(ts_sock_getopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, &len), 0);
	assert_int_equal(v, 64);
	v = 7;
	assert_int_equal(ts_sock_setopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, sizeof(v), &user), 0);
	ts_sock_getopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, &len);
	assert_int_equal(v, 7);
	v = 0;
	assert_int_equal(ts_sock_setopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, sizeof(v), &user), -EINVAL);
	v = 256;
	assert_int_equal(ts_sock_setopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, sizeof(v), &user), -EINVAL);
	v = -1;
	assert_int_equal(ts_sock_setopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, sizeof(v), &user), 0);
	ts_sock_getopt(&f->eng, sk, IPPROTO_IP, IP_TTL, &v, &len);
	assert_int_equal(v, 64);
}

static void test_opt_so_error_reads_once_and_type(void **state)
{
	struct fx *f = *state;
	struct ts_sock *sk = &f->s[0];
	int v;
	size_t len = sizeof(v);

	sk->err = ECONNREFUSED;
	assert_int_equal(ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, ECONNREFUSED);
	ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_ERROR, &v, &len);
	assert_int_equal(v, 0);
	ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_TYPE, &v, &len);
	assert_int_equal(v, SOCK_DGRAM);
	ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_PROTOCOL, &v, &len);
	assert_int_equal(v, IPPROTO_UDP);
	ts_sock_getopt(&f->eng, sk, SOL_SOCKET, SO_DOMAIN, &v, &len);
	assert_int_equal(v, AF_INET);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bind_same_addr_port_twice_is_eaddrinuse),
		T(test_bind_wildcard_and_specific_conflict_both_orders),
		T(test_bind_two_specific_addrs_same_port_ok),
		T(test_bind_reuseaddr_on_both_shares_udp_port),
		T(test_bind_tcp_reuseaddr_conflicts_with_listener),
		T(test_bind_reuseport_same_uid_ok_other_uid_refused),
		T(test_bind_tcp_and_udp_same_port_never_conflict),
		T(test_bind_foreign_addr_is_eaddrnotavail),
		T(test_bind_privileged_port_needs_capability),
		T(test_bind_already_bound_is_einval),
		T(test_bind_port_zero_picks_from_range_distinct),
		T(test_bind_full_range_is_eaddrinuse_autobind_eagain),
		T(test_lookup_exact_addr_beats_wildcard),
		T(test_lookup_connected_gets_only_its_peer),
		T(test_disconnect_unbinds_autobound_port),
		T(test_lookup_reuseport_spreads_by_hash_and_is_stable),
		T(test_foreach_match_finds_every_bound_socket),
		T(test_opt_rcvbuf_doubles_and_clamps),
		T(test_opt_short_optlen_is_einval),
		T(test_opt_ip_ttl_default_reset_and_range),
		T(test_opt_so_error_reads_once_and_type),
	};

	return cmocka_run_group_tests_name("sock", tests, NULL, NULL);
}
