/* UDP on a fake wire: header and checksum, delivery, port unreachable,
 * bounded queues, output, ICMP errors on connected sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "checksum.h"
#include "harness.h"
#include "pktbuf.h"
#include "udp.h"
#include "wire.h"

static const struct ts_cred user = {.uid = 1000};

static int u_setup(void **state)
{
	int r = h_setup(state);

	if (r != 0)
		return r;
	return ts_udp_init(&((struct h_env *)*state)->eng);
}

static int u_teardown(void **state)
{
	struct h_env *e = *state;

	ts_udp_destroy(&e->eng);
	return h_teardown(state);
}

/* A raw UDP segment: header + data, checksum over the pseudo header
 * unless csum is given (-1: compute). */
static size_t udp_seg(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		      const void *data, size_t len, int ulen_delta, int csum)
{
	ts_put16(b, sport);
	ts_put16(b + 2, dport);
	ts_put16(b + 4, (uint16_t)(8 + len + ulen_delta));
	ts_put16(b + 6, 0);
	memcpy(b + 8, data, len);
	if (csum < 0) {
		uint16_t c = h_l4_csum(src, dst, 17, b, 8 + len);

		ts_put16(b + 6, c == 0 ? 0xffff : c);
	} else {
		ts_put16(b + 6, (uint16_t)csum);
	}
	return 8 + len;
}

static struct ts_udp_sock *bound(struct h_env *e, uint32_t addr, uint16_t port)
{
	struct ts_udp_sock *us = ts_udp_open(&e->eng, &user);

	assert_non_null(us);
	assert_int_equal(ts_udp_bind(&e->eng, us, addr, port, &user), 0);
	return us;
}

static void expect_dgram(struct h_env *e, struct ts_udp_sock *us, uint32_t from, uint16_t fport,
			 const char *data)
{
	uint32_t a;
	uint16_t p;
	struct pktbuf *pkt = ts_udp_recv(&e->eng, us, &a, &p);

	assert_non_null(pkt);
	assert_int_equal(a, from);
	assert_int_equal(p, fport);
	assert_int_equal(pkt->len, strlen(data));
	assert_memory_equal(pkt->data, data, strlen(data));
	ts_pkt_free(pkt);
}

static void test_wire_build_then_parse_roundtrip(void **state)
{
	long live = ts_pkt_live();
	uint8_t b[8 + 5] = {0};
	struct ts_udp_hdr h;

	memcpy(b + 8, "hello", 5);
	ts_udp_build(b, sizeof(b), TS_IP4(198, 18, 0, 2), TS_IP4(198, 18, 0, 1), 40000, 7);
	assert_int_equal(ts_udp_parse(b, sizeof(b), &h), 0);
	assert_int_equal(h.sport, 40000);
	assert_int_equal(h.dport, 7);
	assert_int_equal(h.len, 13);
	assert_int_equal(h_l4_csum(TS_IP4(198, 18, 0, 2), TS_IP4(198, 18, 0, 1), 17, b, 13), 0);
	assert_int_equal(ts_udp_parse(b, 7, &h), -EINVAL);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_wire_zero_checksum_is_sent_as_ffff(void **state)
{
	/* Find a payload whose checksum computes to 0: the one's complement
	 * sum must be 0xffff; adjust the last two bytes until it is. */
	uint8_t b[8 + 2] = {0};

	for (uint32_t v = 0; v <= 0xffff; v++) {
		ts_put16(b + 8, (uint16_t)v);
		ts_put16(b, 1000);
		ts_put16(b + 2, 2000);
		ts_put16(b + 4, 10);
		ts_put16(b + 6, 0);
		if (h_l4_csum(1, 2, 17, b, 10) == 0) {
			ts_udp_build(b, 10, 1, 2, 1000, 2000);
			assert_int_equal(ts_get16(b + 6), 0xffff);
			return;
		}
	}
	fail_msg("no payload with a zero checksum found");
}

static void test_bound_input_queues_payload_with_source(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);

	h_input(e, h_udp_frame(&(struct h_ip){0}, 1234, 5000, "hi there", 8));
	assert_int_equal(us->rq_len, 1);
	expect_dgram(e, us, H_PEER_IP, 1234, "hi there");
	assert_int_equal(h_stat(e, "UdpInDatagrams"), 1);
	assert_null(ts_udp_recv(&e->eng, us, NULL, NULL));
	h_expect_none(e);
}

static void test_input_zero_checksum_is_accepted(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);
	uint8_t b[64];
	size_t n = udp_seg(b, H_PEER_IP, H_ENG_IP, 9, 5000, "abc", 3, 0, 0);

	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, n));
	expect_dgram(e, us, H_PEER_IP, 9, "abc");
	assert_int_equal(h_stat(e, "UdpInCsumErrors"), 0);
}

static void test_input_bad_checksum_is_dropped_and_counted(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);
	uint8_t b[64];
	size_t n = udp_seg(b, H_PEER_IP, H_ENG_IP, 9, 5000, "abc", 3, 0, -1);

	b[9] ^= 0x40;
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, n));
	assert_int_equal(us->rq_len, 0);
	assert_int_equal(h_stat(e, "UdpInCsumErrors"), 1);
	assert_int_equal(h_stat(e, "UdpInErrors"), 1);
	h_expect_none(e);
}

static void test_input_bad_lengths_are_dropped_padding_trimmed(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);
	uint8_t b[64];
	size_t n;

	/* UDP length beyond the IP payload. */
	n = udp_seg(b, H_PEER_IP, H_ENG_IP, 9, 5000, "abcd", 4, 1, 0);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, n));
	/* UDP length below the header. */
	n = udp_seg(b, H_PEER_IP, H_ENG_IP, 9, 5000, "abcd", 4, -5, 0);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, n));
	/* Shorter than a header. */
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, 7));
	assert_int_equal(h_stat(e, "UdpInErrors"), 3);
	assert_int_equal(us->rq_len, 0);
	/* UDP length shorter than the IP payload: the rest is cut. */
	n = udp_seg(b, H_PEER_IP, H_ENG_IP, 9, 5000, "abcd", 4, -2, -1);
	{
		uint16_t c;

		ts_put16(b + 6, 0);
		c = h_l4_csum(H_PEER_IP, H_ENG_IP, 17, b, 10);
		ts_put16(b + 6, c == 0 ? 0xffff : c);
	}
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, b, n));
	expect_dgram(e, us, H_PEER_IP, 9, "ab");
	h_expect_none(e);
}

static void test_closed_port_answers_port_unreachable(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_input(e, h_udp_frame(&(struct h_ip){0}, 1234, 5999, "x", 1));
	assert_int_equal(h_stat(e, "UdpNoPorts"), 1);
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4[0], 3);	/* destination unreachable */
	assert_int_equal(f.l4[1], 3);	/* port unreachable */
	assert_int_equal(f.ip.dst, H_PEER_IP);
	/* The quote: our IPv4 header then the UDP header's ports. */
	assert_int_equal(ts_get16(f.l4 + 8 + 20), 1234);
	assert_int_equal(ts_get16(f.l4 + 8 + 22), 5999);
	h_frame_free(&f);
	h_expect_none(e);
}

static void test_broadcast_to_closed_port_sends_nothing(void **state)
{
	struct h_env *e = *state;

	h_input(e, h_udp_frame(&(struct h_ip){.dst = TS_IP4(198, 18, 0, 255)}, 1, 5999, "x", 1));
	assert_int_equal(h_stat(e, "UdpNoPorts"), 1);
	h_expect_none(e);
}

static void test_broadcast_reaches_every_matching_socket(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *a = ts_udp_open(&e->eng, &user), *b = ts_udp_open(&e->eng, &user);

	a->sk.reuseaddr = b->sk.reuseaddr = 1;
	assert_int_equal(ts_udp_bind(&e->eng, a, 0, 67, &(struct ts_cred){.net_bind_service = 1}), 0);
	assert_int_equal(ts_udp_bind(&e->eng, b, 0, 67, &(struct ts_cred){.net_bind_service = 1}), 0);
	h_input(e, h_udp_frame(&(struct h_ip){.dst = 0xffffffffu}, 68, 67, "dhcp", 4));
	expect_dgram(e, a, H_PEER_IP, 68, "dhcp");
	expect_dgram(e, b, H_PEER_IP, 68, "dhcp");
	h_expect_none(e);
}

static void test_connected_socket_takes_only_its_peer(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);
	struct h_frame f;

	assert_int_equal(ts_udp_connect(&e->eng, us, H_PEER_IP, 53), 0);
	assert_int_equal(us->sk.t.laddr, H_ENG_IP);
	h_input(e, h_udp_frame(&(struct h_ip){0}, 53, 5000, "yes", 3));
	h_input(e, h_udp_frame(&(struct h_ip){0}, 54, 5000, "no", 2));
	expect_dgram(e, us, H_PEER_IP, 53, "yes");
	assert_null(ts_udp_peek(us));
	/* Nobody takes the other one: port unreachable, as Linux. */
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4[1], 3);
	h_frame_free(&f);
	/* Disconnect: everyone again. */
	assert_int_equal(ts_udp_disconnect(&e->eng, us), 0);
	h_input(e, h_udp_frame(&(struct h_ip){0}, 54, 5000, "now", 3));
	expect_dgram(e, us, H_PEER_IP, 54, "now");
	h_expect_none(e);
}

static void test_full_receive_queue_drops_and_counts(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = bound(e, 0, 5000);
	static uint8_t big[1000];
	int v = 1, queued;

	/* SO_RCVBUF 1 becomes the minimum, 2304 bytes. */
	assert_int_equal(ts_sock_setopt(&e->eng, &us->sk, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v),
					&user),
			 0);
	for (int i = 0; i < 50; i++)
		h_input(e, h_udp_frame(&(struct h_ip){.id = (uint16_t)i}, 9, 5000, big, sizeof(big)));
	queued = (int)us->rq_len;
	assert_in_range(queued, 1, 4);
	assert_int_equal(h_stat(e, "UdpRcvbufErrors"), (uint64_t)(50 - queued));
	assert_int_equal(h_stat(e, "UdpInErrors"), (uint64_t)(50 - queued));
	/* Reading makes room again. */
	while (us->rq_head != NULL)
		ts_pkt_free(ts_udp_recv(&e->eng, us, NULL, NULL));
	h_input(e, h_udp_frame(&(struct h_ip){0}, 9, 5000, big, 10));
	assert_int_equal(us->rq_len, 1);
	h_expect_none(e);
}

static void test_sendto_autobinds_and_emits_valid_datagram(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = ts_udp_open(&e->eng, &user);
	struct h_frame f;
	struct ts_udp_hdr h;
	int v = 7;

	assert_int_equal(ts_sock_setopt(&e->eng, &us->sk, IPPROTO_IP, IP_TTL, &v, sizeof(v), &user), 0);
	v = 0x10;
	assert_int_equal(ts_sock_setopt(&e->eng, &us->sk, IPPROTO_IP, IP_TOS, &v, sizeof(v), &user), 0);
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, H_PEER_IP, 9000, "payload", 7, e->now), 7);
	assert_in_range(us->sk.t.lport, 32768, 60999);
	h_pop_ip(e, &f, 17);
	assert_int_equal(f.ip.src, H_ENG_IP);
	assert_int_equal(f.ip.ttl, 7);
	assert_int_equal(f.ip.tos, 0x10);
	assert_int_equal(ts_udp_parse(f.l4, f.l4_len, &h), 0);
	assert_int_equal(h.sport, us->sk.t.lport);
	assert_int_equal(h.dport, 9000);
	assert_int_equal(h.len, 15);
	assert_int_not_equal(h.csum, 0);
	assert_int_equal(h_l4_csum(f.ip.src, f.ip.dst, 17, f.l4, h.len), 0);
	assert_memory_equal(f.l4 + 8, "payload", 7);
	h_frame_free(&f);
	assert_int_equal(h_stat(e, "UdpOutDatagrams"), 1);
	h_expect_none(e);
}

static void test_sendto_errors_match_linux(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = ts_udp_open(&e->eng, &user);
	static uint8_t big[65508];

	assert_int_equal(ts_udp_sendto(&e->eng, us, 0, 0, 0, "x", 1, e->now), -EDESTADDRREQ);
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, H_PEER_IP, 0, "x", 1, e->now), -EINVAL);
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, H_PEER_IP, 9, big, sizeof(big), e->now),
			 -EMSGSIZE);
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, TS_IP4(198, 18, 0, 255), 9, "x", 1, e->now),
			 -EACCES);
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, H_FAR_IP, 9, "x", 1, e->now), -ENETUNREACH);
	assert_int_equal(ts_udp_connect(&e->eng, us, 0xffffffffu, 9), -EACCES);
	us->sk.broadcast = 1;
	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, 0xffffffffu, 9, "x", 1, e->now), 1);
	h_drain(e);
}

static void test_large_datagram_is_fragmented(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *us = ts_udp_open(&e->eng, &user);
	static uint8_t big[65507];
	struct h_frame f;
	int frames = 0;

	assert_int_equal(ts_udp_sendto(&e->eng, us, 1, H_PEER_IP, 9, big, sizeof(big), e->now),
			 (long)sizeof(big));
	while (h_pop(e, &f)) {
		assert_int_equal(f.ip.proto, 17);
		frames++;
		h_frame_free(&f);
	}
	assert_int_equal(frames, (65507 + 8 + 1479) / 1480);
}

struct ev_rec {
	int readable, errors;
};

static void rec_event(struct ts_engine *eng, struct ts_udp_sock *us, int ev, void *arg)
{
	struct ev_rec *r = arg;

	if (ev == TS_UDP_EV_READABLE)
		r->readable++;
	else if (ev == TS_UDP_EV_ERROR)
		r->errors++;
}

/* The peer answers our datagram with port unreachable. */
static void icmp_port_unreach_for(struct h_env *e, const struct h_frame *sent)
{
	uint8_t quote[28];

	memcpy(quote, sent->iph, 20);
	memcpy(quote + 20, sent->l4, 8);
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 3, 3, 0, quote, sizeof(quote)));
}

static void test_port_unreachable_is_econnrefused_on_connected_only(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *c = ts_udp_open(&e->eng, &user), *u = ts_udp_open(&e->eng, &user);
	struct ev_rec rc = {0}, ru = {0};
	struct h_frame f;
	int v;
	size_t len = sizeof(v);

	c->event = rec_event;
	c->event_arg = &rc;
	u->event = rec_event;
	u->event_arg = &ru;
	assert_int_equal(ts_udp_connect(&e->eng, c, H_PEER_IP, 9), 0);
	assert_int_equal(ts_udp_sendto(&e->eng, c, 0, 0, 0, "a", 1, e->now), 1);
	h_pop_ip(e, &f, 17);
	icmp_port_unreach_for(e, &f);
	h_frame_free(&f);
	assert_int_equal(rc.errors, 1);
	assert_int_equal(c->sk.err, ECONNREFUSED);
	/* The next send reports it once. */
	assert_int_equal(ts_udp_sendto(&e->eng, c, 0, 0, 0, "a", 1, e->now), -ECONNREFUSED);
	assert_int_equal(ts_udp_sendto(&e->eng, c, 0, 0, 0, "a", 1, e->now), 1);
	h_drain(e);
	/* Unconnected: Linux ignores it (no IP_RECVERR). */
	assert_int_equal(ts_udp_sendto(&e->eng, u, 1, H_PEER_IP, 9, "b", 1, e->now), 1);
	h_pop_ip(e, &f, 17);
	icmp_port_unreach_for(e, &f);
	h_frame_free(&f);
	assert_int_equal(ru.errors, 0);
	assert_int_equal(ts_sock_getopt(&e->eng, &u->sk, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, 0);
	h_expect_none(e);
}

static void test_loopback_between_two_engine_sockets(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *srv = bound(e, TS_IP4(127, 0, 0, 1), 7000);
	struct ts_udp_sock *cli = ts_udp_open(&e->eng, &user);
	struct ev_rec r = {0};

	srv->event = rec_event;
	srv->event_arg = &r;
	assert_int_equal(ts_udp_sendto(&e->eng, cli, 1, TS_IP4(127, 0, 0, 1), 7000, "lo", 2, e->now), 2);
	h_poll(e);
	assert_int_equal(r.readable, 1);
	expect_dgram(e, srv, TS_IP4(127, 0, 0, 1), cli->sk.t.lport, "lo");
	h_expect_none(e);
}

static void test_reuseport_group_spreads_flows(void **state)
{
	struct h_env *e = *state;
	struct ts_udp_sock *s[3];
	int hit[3] = {0};

	for (int i = 0; i < 3; i++) {
		s[i] = ts_udp_open(&e->eng, &user);
		s[i]->sk.reuseport = 1;
		assert_int_equal(ts_udp_bind(&e->eng, s[i], 0, 6000, &user), 0);
	}
	for (int p = 0; p < 60; p++)
		h_input(e, h_udp_frame(&(struct h_ip){0}, (uint16_t)(2000 + p), 6000, "r", 1));
	for (int i = 0; i < 3; i++) {
		hit[i] = (int)s[i]->rq_len;
		assert_true(hit[i] > 0);
	}
	assert_int_equal(hit[0] + hit[1] + hit[2], 60);
	h_expect_none(e);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, u_setup, u_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_build_then_parse_roundtrip),
		cmocka_unit_test(test_wire_zero_checksum_is_sent_as_ffff),
		T(test_bound_input_queues_payload_with_source),
		T(test_input_zero_checksum_is_accepted),
		T(test_input_bad_checksum_is_dropped_and_counted),
		T(test_input_bad_lengths_are_dropped_padding_trimmed),
		T(test_closed_port_answers_port_unreachable),
		T(test_broadcast_to_closed_port_sends_nothing),
		T(test_broadcast_reaches_every_matching_socket),
		T(test_connected_socket_takes_only_its_peer),
		T(test_full_receive_queue_drops_and_counts),
		T(test_sendto_autobinds_and_emits_valid_datagram),
		T(test_sendto_errors_match_linux),
		T(test_large_datagram_is_fragmented),
		T(test_port_unreachable_is_econnrefused_on_connected_only),
		T(test_loopback_between_two_engine_sockets),
		T(test_reuseport_group_spreads_flows),
	};

	return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
