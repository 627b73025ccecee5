/* ICMP: echo replies (odd lengths, checksums, ignore sysctls), errors
 * about input (RFC 1122 3.2.2 rules, 576-byte quote), Linux's rate limits
 * on the fake clock, and incoming errors parsed into the errno Linux
 * reports, delivered to a registered fake protocol. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "eth.h"
#include "harness.h"
#include "wire.h"

#define PROTO_TEST 253
#define SEC 1000000ull
#define MSEC 1000ull

static void echo_in(struct h_env *e, uint16_t id, uint16_t seq, const uint8_t *d, size_t n)
{
	h_input(e, h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHO, 0,
				(uint32_t)id << 16 | seq, d, n));
}

static void test_echo_reply_copies_id_seq_payload_odd_lengths(void **state)
{
	struct h_env *e = *state;
	static uint8_t d[1473];
	const size_t lens[] = {0, 1, 7, 56, 1001, 1472};

	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 31 + 1);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		struct h_frame f;

		echo_in(e, 0xbeef, (uint16_t)k, d, lens[k]);
		h_pop_ip(e, &f, TS_IPPROTO_ICMP);
		assert_int_equal(f.ip.src, H_ENG_IP);
		assert_int_equal(f.ip.dst, H_PEER_IP);
		assert_memory_equal(f.dst, h_peer_mac, 6);
		assert_int_equal(f.l4_len, 8 + lens[k]);
		assert_int_equal(f.l4[0], TS_ICMP_ECHOREPLY);
		assert_int_equal(f.l4[1], 0);
		assert_int_equal(ts_get16(f.l4 + 4), 0xbeef);
		assert_int_equal(ts_get16(f.l4 + 6), k);
		if (lens[k] > 0)
			assert_memory_equal(f.l4 + 8, d, lens[k]);
		/* The checksum verifies, odd lengths included. */
		assert_int_equal(ts_csum(f.l4, f.l4_len), 0);
		h_frame_free(&f);
	}
	assert_int_equal(h_stat(e, "IcmpInEchos"), 6);
	assert_int_equal(h_stat(e, "IcmpOutEchoReps"), 6);
	assert_int_equal(h_stat(e, "IcmpOutMsgs"), 6);
	h_expect_none(e);
}

static void test_echo_with_bad_checksum_is_dropped(void **state)
{
	struct h_env *e = *state;
	struct pktbuf *p = h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHO, 0, 1, "abc", 3);

	p->data[TS_ETH_HLEN + 20 + 8] ^= 0xff;
	h_input(e, p);
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IcmpInCsumErrors"), 1);
	assert_int_equal(h_stat(e, "IcmpInErrors"), 1);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 0);
}

static void test_short_icmp_is_counted(void **state)
{
	struct h_env *e = *state;

	for (size_t n = 0; n < 8; n++) {
		uint8_t m[8] = {8};

		h_input(e, h_ip_frame(&(struct h_ip){.proto = 1}, m, n));
	}
	assert_int_equal(h_stat(e, "TsExtIcmpInShort"), 8);
	assert_int_equal(h_stat(e, "IcmpInMsgs"), 8);
	h_expect_none(e);
}

static void test_echo_ignore_all_and_broadcasts(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_echo_ignore_all", "1"), 0);
	echo_in(e, 1, 1, NULL, 0);
	h_expect_none(e);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_echo_ignore_all", "0"), 0);
	/* To the subnet broadcast: ignored by default... */
	h_input(e, h_icmp_frame(&(struct h_ip){.dst = TS_IP4(198, 18, 0, 255),
					       .dst_mac = ts_eth_bcast},
				TS_ICMP_ECHO, 0, 1, NULL, 0));
	h_expect_none(e);
	/* ...answered, from our own address, once allowed. */
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_echo_ignore_broadcasts", "0"), 0);
	h_input(e, h_icmp_frame(&(struct h_ip){.dst = TS_IP4(198, 18, 0, 255),
					       .dst_mac = ts_eth_bcast},
				TS_ICMP_ECHO, 0, 1, NULL, 0));
	h_pop_ip(e, &f, TS_IPPROTO_ICMP);
	assert_int_equal(f.ip.src, H_ENG_IP);
	h_frame_free(&f);
}

static void test_echo_replies_are_not_rate_limited_by_default(void **state)
{
	struct h_env *e = *state;

	for (int i = 0; i < 100; i++)
		echo_in(e, 7, (uint16_t)i, NULL, 0);
	assert_int_equal(h_pending(e), 100);
	assert_int_equal(h_stat(e, "IcmpOutRateLimitHost"), 0);
	assert_int_equal(h_stat(e, "IcmpOutRateLimitGlobal"), 0);
	h_drain(e);
}

/* An unknown-protocol datagram from src: draws protocol unreachable. */
static void unknown_proto_in(struct h_env *e, uint32_t src)
{
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 99, .src = src}, "x", 1));
}

static void test_unreachable_per_host_limit_burst_6_then_1_per_second(void **state)
{
	struct h_env *e = *state;

	/* Linux: XRLIM_BURST_FACTOR (6) messages, then one per
	 * icmp_ratelimit (1000 ms). */
	for (int i = 0; i < 10; i++)
		unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 6);
	assert_int_equal(h_stat(e, "IcmpOutRateLimitHost"), 4);
	h_drain(e);
	h_advance(e, 999 * MSEC);
	unknown_proto_in(e, H_PEER_IP);
	h_expect_none(e);
	h_advance(e, 1 * MSEC);
	unknown_proto_in(e, H_PEER_IP);
	unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 1);
	h_drain(e);
	/* Another host has its own bucket: its error waits for ARP. */
	unknown_proto_in(e, H_OTHER_IP);
	assert_int_equal(ts_arp_find(&e->eng, H_OTHER_IP)->q_len, 1);
	assert_int_equal(h_stat(e, "IcmpOutRateLimitHost"), 6);
	h_drain(e);
	/* Credit refills up to the burst, not beyond. */
	h_advance(e, 60 * SEC);
	h_drain(e);
	for (int i = 0; i < 10; i++)
		unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 6);
	h_drain(e);
}

static void test_global_limit_applies_across_hosts(void **state)
{
	struct h_env *e = *state;

	/* Per-host limit off, a global bucket of 3. */
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_ratelimit", "0"), 0);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_msgs_burst", "3"), 0);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_msgs_per_sec", "100"), 0);
	for (int i = 0; i < 5; i++)
		unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 3);
	assert_int_equal(h_stat(e, "IcmpOutRateLimitGlobal"), 2);
	h_drain(e);
	/* Refills at most every 20 ms (HZ/50): nothing after 19 ms. */
	h_advance(e, 19 * MSEC);
	unknown_proto_in(e, H_PEER_IP);
	h_expect_none(e);
	/* 20 ms at 100/s: 2 messages of credit. */
	h_advance(e, 1 * MSEC);
	for (int i = 0; i < 5; i++)
		unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 2);
	h_drain(e);
	/* Frag-needed is never limited (path MTU discovery). */
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "icmp_ratemask", "0"), 0);
	for (int i = 0; i < 5; i++)
		unknown_proto_in(e, H_PEER_IP);
	assert_int_equal(h_pending(e), 5);
	h_drain(e);
}

/* A raw IPv4 datagram (header + payload) from the peer, as ipv4 hands it
 * to ts_icmp_send_error. */
static struct pktbuf *orig_dgram(uint32_t dst, uint8_t proto, uint16_t frag,
				 const void *l4, size_t n)
{
	struct pktbuf *p = h_ip_frame(&(struct h_ip){.proto = proto, .dst = dst, .frag = frag},
				      l4, n);

	ts_pkt_pull(p, TS_ETH_HLEN);
	return p;
}

static void test_send_error_rfc1122_rules(void **state)
{
	struct h_env *e = *state;
	const uint8_t err[8] = {3, 3, 0, 0, 0, 0, 0, 0};
	const uint8_t echo[8] = {8, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t unknown_type[8] = {200, 0, 0, 0, 0, 0, 0, 0};
	struct pktbuf *p;

	/* About an ICMP error: never. */
	p = orig_dgram(H_ENG_IP, 1, 0, err, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	/* Unknown ICMP types count as errors (Linux). */
	p = orig_dgram(H_ENG_IP, 1, 0, unknown_type, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	/* About an ICMP query: yes. */
	p = orig_dgram(H_ENG_IP, 1, 0, echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), 0);
	ts_pkt_free(p);
	h_drain(e);
	/* To a broadcast or multicast destination: never. */
	p = orig_dgram(0xffffffffu, 17, 0, echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	p = orig_dgram(TS_IP4(198, 18, 0, 255), 17, 0, echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	p = orig_dgram(TS_IP4(224, 0, 0, 1), 17, 0, echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	/* Arrived as a link-layer broadcast: never. */
	p = orig_dgram(H_ENG_IP, 17, 0, echo, 8);
	p->l2_bcast = 1;
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	/* A non-initial fragment: never. */
	p = orig_dgram(H_ENG_IP, 17, 100, echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	/* Garbage: never. */
	p = ts_pkt_from(echo, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), -EPERM);
	ts_pkt_free(p);
	assert_int_equal(h_stat(e, "TsExtIcmpOutSuppressed"), 8);
	h_expect_none(e);
}

static void test_send_error_quotes_up_to_576_bytes(void **state)
{
	struct h_env *e = *state;
	static uint8_t big[1000];
	struct pktbuf *p;
	struct h_frame f;

	p = orig_dgram(H_ENG_IP, 17, 0, big, sizeof(big));
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 3, 0), 0);
	ts_pkt_free(p);
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.ip.tot_len, 576);
	assert_int_equal(f.l4_len, 556);
	assert_int_equal(ts_csum(f.l4, f.l4_len), 0);
	h_frame_free(&f);
	/* Frag-needed carries the MTU (RFC 1191). */
	p = orig_dgram(H_ENG_IP, 17, 0, big, 8);
	assert_int_equal(ts_icmp_send_error(&e->eng, p, 3, 4, 1400), 0);
	ts_pkt_free(p);
	h_pop_ip(e, &f, 1);
	assert_int_equal(ts_get16(f.l4 + 6), 1400);
	assert_int_equal(f.l4_len, 8 + 28);
	h_frame_free(&f);
}

/* An ICMP error from the peer about a datagram we sent to it: quoted IP
 * header (us -> peer, proto) + transport bytes. */
static void error_in(struct h_env *e, uint8_t type, uint8_t code, uint32_t rest,
		     uint8_t proto, size_t l4_len)
{
	uint8_t q[20 + 64];
	const uint8_t ports[8] = {0x9c, 0x40, 0x00, 0x35, 0, 16, 0, 0};

	memset(q, 0, sizeof(q));
	q[0] = 0x45;
	ts_put16(q + 2, 20 + 16);
	q[8] = 64;
	q[9] = proto;
	ts_put32(q + 12, H_ENG_IP);
	ts_put32(q + 16, H_PEER_IP);
	ts_put16(q + 10, ts_csum(q, 20));
	memcpy(q + 20, ports, 8);
	h_input(e, h_icmp_frame(&(struct h_ip){0}, type, code, rest, q, 20 + l4_len));
}

static void test_incoming_errors_map_to_linux_errno(void **state)
{
	struct h_env *e = *state;
	const struct {
		uint8_t type, code;
		int err, fatal;
	} cases[] = {
		{3, 0, ENETUNREACH, 0},  {3, 1, EHOSTUNREACH, 0}, {3, 2, ENOPROTOOPT, 1},
		{3, 3, ECONNREFUSED, 1}, {3, 4, EMSGSIZE, 0},     {3, 5, EOPNOTSUPP, 0},
		{3, 6, ENETUNREACH, 1},  {3, 7, EHOSTDOWN, 1},    {3, 8, ENONET, 1},
		{3, 13, EHOSTUNREACH, 1}, {11, 0, EHOSTUNREACH, 0}, {12, 0, EPROTO, 1},
	};

	h_fake_l4(e, TS_IPPROTO_UDP);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error_in(e, cases[i].type, cases[i].code, 0, TS_IPPROTO_UDP, 8);
		assert_int_equal(e->l4_errors, (int)i + 1);
		assert_int_equal(e->l4_err.type, cases[i].type);
		assert_int_equal(e->l4_err.code, cases[i].code);
		assert_int_equal(e->l4_err.err, cases[i].err);
		assert_int_equal(e->l4_err.fatal, cases[i].fatal);
		assert_int_equal(e->l4_err.from, H_PEER_IP);
		assert_int_equal(e->l4_err.src, H_ENG_IP);
		assert_int_equal(e->l4_err.dst, H_PEER_IP);
		assert_int_equal(e->l4_err.proto, TS_IPPROTO_UDP);
		assert_int_equal(e->l4_err.l4_len, 8);
		assert_int_equal(ts_get16(e->l4_err_quote), 40000);
		assert_int_equal(ts_get16(e->l4_err_quote + 2), 53);
		assert_false(e->l4_err.local);
		assert_int_equal(ts_icmp_errno(cases[i].type, cases[i].code), cases[i].err);
	}
	assert_int_equal(h_stat(e, "IcmpInDestUnreachs"), 10);
	assert_int_equal(h_stat(e, "IcmpInTimeExcds"), 1);
	assert_int_equal(h_stat(e, "IcmpInParmProbs"), 1);
	h_expect_none(e);
}

static void test_frag_needed_carries_mtu_and_param_problem_pointer(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, TS_IPPROTO_TCP);
	error_in(e, 3, 4, 1280, TS_IPPROTO_TCP, 8);
	assert_int_equal(e->l4_errors, 1);
	assert_int_equal(e->l4_err.mtu, 1280);
	assert_int_equal(e->l4_err.err, EMSGSIZE);
	error_in(e, 12, 0, 0x0c000000u, TS_IPPROTO_TCP, 8);
	assert_int_equal(e->l4_err.info, 12);
	assert_int_equal(e->l4_err.err, EPROTO);
}

static void test_truncated_or_bogus_errors_are_not_delivered(void **state)
{
	struct h_env *e = *state;
	uint8_t q[20] = {0x45};

	h_fake_l4(e, TS_IPPROTO_UDP);
	/* Quote with fewer than 8 transport bytes. */
	error_in(e, 3, 3, 0, TS_IPPROTO_UDP, 7);
	/* No inner header at all. */
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 3, 3, 0, q, 19));
	/* Inner IHL below 5. */
	q[0] = 0x44;
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 3, 3, 0, q, 20));
	assert_int_equal(h_stat(e, "IcmpInErrors"), 3);
	/* Unknown unreachable code (Linux ignores > 15). */
	error_in(e, 3, 16, 0, TS_IPPROTO_UDP, 8);
	/* Source quench and redirect: ignored. */
	error_in(e, 4, 0, 0, TS_IPPROTO_UDP, 8);
	error_in(e, 5, 1, H_OTHER_IP, TS_IPPROTO_UDP, 8);
	assert_int_equal(h_stat(e, "IcmpInSrcQuenchs"), 1);
	assert_int_equal(h_stat(e, "IcmpInRedirects"), 1);
	/* An error sent to a broadcast is bogus (Linux icmp_rcv); the same
	 * one sent to us is delivered. */
	{
		uint8_t ok[28] = {0x45};

		ts_put16(ok + 2, 28);
		ok[9] = TS_IPPROTO_UDP;
		ts_put32(ok + 12, H_ENG_IP);
		ts_put32(ok + 16, H_PEER_IP);
		h_input(e, h_icmp_frame(&(struct h_ip){.dst = 0xffffffffu,
						       .dst_mac = ts_eth_bcast},
					3, 3, 0, ok, sizeof(ok)));
		assert_int_equal(h_stat(e, "IcmpInErrors"), 4);
		assert_int_equal(e->l4_errors, 0);
		h_input(e, h_icmp_frame(&(struct h_ip){0}, 3, 3, 0, ok, sizeof(ok)));
		assert_int_equal(e->l4_errors, 1);
		e->l4_errors = 0;
	}
	/* A protocol nobody registered: nothing to tell. */
	error_in(e, 3, 3, 0, TS_IPPROTO_TCP, 8);
	assert_int_equal(e->l4_errors, 0);
	/* Unknown types are counted. */
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 42, 0, 0, NULL, 0));
	assert_int_equal(h_stat(e, "TsExtIcmpInUnknownType"), 1);
	h_expect_none(e);
}

static void test_echo_reply_goes_to_registered_icmp_protocol(void **state)
{
	struct h_env *e = *state;

	/* No ping sockets registered: dropped, counted. */
	h_input(e, h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHOREPLY, 0, 0x00010002, "p", 1));
	assert_int_equal(h_stat(e, "IcmpInEchoReps"), 1);
	h_fake_l4(e, TS_IPPROTO_ICMP);
	h_input(e, h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHOREPLY, 0, 0x00010002, "p", 1));
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_last->data[0], TS_ICMP_ECHOREPLY);
	assert_int_equal(e->l4_last->len, 9);
	h_expect_none(e);
}

static void test_loopback_port_unreachable_reaches_sender_as_econnrefused(void **state)
{
	struct h_env *e = *state;

	/* UDP to a closed port on 127.0.0.1: the refusal becomes an ICMP
	 * port unreachable through the loopback, which the sender's protocol
	 * hears as ECONNREFUSED (what a connected UDP socket reports). */
	h_fake_l4(e, PROTO_TEST);
	e->l4_refuse = 1;
	assert_int_equal(h_send(e, TS_IP4(127, 0, 0, 1), PROTO_TEST, "12345678", 8, 0), 0);
	h_poll(e);
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_errors, 1);
	assert_int_equal(e->l4_err.err, ECONNREFUSED);
	assert_int_equal(e->l4_err.from, TS_IP4(127, 0, 0, 1));
	assert_int_equal(e->l4_err.dst, TS_IP4(127, 0, 0, 1));
	assert_memory_equal(e->l4_err_quote, "12345678", 8);
	h_expect_none(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_reply_copies_id_seq_payload_odd_lengths, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_echo_with_bad_checksum_is_dropped, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_short_icmp_is_counted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_echo_ignore_all_and_broadcasts, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_echo_replies_are_not_rate_limited_by_default, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_per_host_limit_burst_6_then_1_per_second, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_global_limit_applies_across_hosts, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_send_error_rfc1122_rules, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_send_error_quotes_up_to_576_bytes, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_incoming_errors_map_to_linux_errno, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_frag_needed_carries_mtu_and_param_problem_pointer, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_or_bogus_errors_are_not_delivered, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_echo_reply_goes_to_registered_icmp_protocol, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_port_unreachable_reaches_sender_as_econnrefused, h_setup, h_teardown),
	};

	return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
