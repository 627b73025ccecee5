/* IPv4: header validation (each bad header counted, the engine keeps
 * answering), padding, martians, local delivery to a registered protocol,
 * protocol/port unreachable, routing choices, output headers,
 * fragmentation on output and the loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"
#include "eth.h"
#include "harness.h"
#include "wire.h"

#define PROTO_TEST 253
#define SEC 1000000ull

static const uint8_t echo8[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};

/* The engine still answers a good echo. */
static void expect_echo_answered(struct h_env *e)
{
	struct h_frame f;

	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1}, echo8, sizeof(echo8)));
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4[0], TS_ICMP_ECHOREPLY);
	h_frame_free(&f);
	h_expect_none(e);
}

static void test_parse_rejects_each_bad_field(void **state)
{
	long live = ts_pkt_live();
	uint8_t h[40];
	struct ts_ip_hdr ih;
	struct pktbuf *p;
	int why;

	memset(h, 0, sizeof(h));
	h[0] = 0x45;
	ts_put16(h + 2, 40);
	h[8] = 64;
	h[9] = 17;
	ts_put32(h + 12, H_PEER_IP);
	ts_put32(h + 16, H_ENG_IP);
	ts_put16(h + 10, ts_csum(h, 20));
	p = ts_pkt_from(h, 40);
	assert_int_equal(ts_ip_parse(p, &ih, &why), 0);
	assert_int_equal(ih.tot_len, 40);
	assert_int_equal(ih.src, H_PEER_IP);
	assert_int_equal(ih.dst, H_ENG_IP);
	assert_int_equal(ih.proto, 17);
	assert_int_equal(ih.ihl, 20);
	/* Every truncation below 20 bytes. */
	for (size_t n = 0; n < 20; n++) {
		p->len = n;
		assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
		assert_int_equal(why, TS_STAT_IpInHdrErrors);
	}
	/* Shorter than the total length. */
	p->len = 39;
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EMSGSIZE);
	assert_int_equal(why, TS_STAT_TsExtIpInTruncated);
	p->len = 40;
	/* Version 6. */
	p->data[0] = 0x65;
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
	assert_int_equal(why, TS_STAT_TsExtIpInBadVersion);
	/* IHL 4 (16 bytes). */
	p->data[0] = 0x44;
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
	assert_int_equal(why, TS_STAT_TsExtIpInBadIhl);
	/* IHL 15 (60 bytes) in a 40-byte packet. */
	p->data[0] = 0x4f;
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
	assert_int_equal(why, TS_STAT_TsExtIpInBadIhl);
	p->data[0] = 0x45;
	/* Checksum. */
	p->data[10] ^= 1;
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
	assert_int_equal(why, TS_STAT_IpExtInCsumErrors);
	p->data[10] ^= 1;
	/* Total length below the header length. */
	ts_put16(p->data + 2, 19);
	ts_put16(p->data + 10, 0);
	ts_put16(p->data + 10, ts_csum(p->data, 20));
	assert_int_equal(ts_ip_parse(p, &ih, &why), -EINVAL);
	ts_pkt_free(p);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_bad_headers_counted_and_engine_keeps_answering(void **state)
{
	struct h_env *e = *state;

	/* Too short for a header. */
	h_input(e, h_eth_frame(h_eng_mac, h_peer_mac, TS_ETH_P_IP, echo8, 8));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .version = 6}, echo8, 8));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .ihl = 16}, echo8, 8));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .bad_csum = 1}, echo8, 8));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .tot_len_delta = 1}, echo8, 8));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .tot_len_delta = -9}, echo8, 8));
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IpInReceives"), 6);
	assert_int_equal(h_stat(e, "TsExtIpInBadVersion"), 1);
	assert_int_equal(h_stat(e, "TsExtIpInBadIhl"), 1);
	assert_int_equal(h_stat(e, "IpExtInCsumErrors"), 1);
	assert_int_equal(h_stat(e, "TsExtIpInTruncated"), 1);
	/* Linux: a truncated datagram is not a header error. */
	assert_int_equal(h_stat(e, "IpInHdrErrors"), 5);
	assert_int_equal(h_stat(e, "IpInDelivers"), 0);
	expect_echo_answered(e);
}

static void test_ethernet_padding_is_trimmed(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .pad = 18}, "abc", 3));
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_last->len, 3);
	assert_memory_equal(e->l4_last->data, "abc", 3);
	/* An echo in a padded frame comes back unpadded. */
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .pad = 18}, echo8, 8));
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4_len, 8);
	h_frame_free(&f);
}

static void test_delivery_fills_metadata_and_points_at_transport(void **state)
{
	struct h_env *e = *state;
	struct pktbuf *p;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .ttl = 9, .tos = 0x10},
			      "payload", 7));
	assert_int_equal(e->l4_inputs, 1);
	p = e->l4_last;
	assert_int_equal(p->ip_src, H_PEER_IP);
	assert_int_equal(p->ip_dst, H_ENG_IP);
	assert_int_equal(p->ip_proto, PROTO_TEST);
	assert_int_equal(p->ip_ttl, 9);
	assert_int_equal(p->ip_tos, 0x10);
	assert_int_equal(p->l2_bcast, 0);
	assert_int_equal(p->len, 7);
	assert_memory_equal(p->data, "payload", 7);
	assert_int_equal(h_stat(e, "IpInDelivers"), 1);
}

static void test_not_for_us_counted_addr_error_without_icmp(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .dst = H_OTHER_IP}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .dst = H_FAR_IP}, "x", 1));
	assert_int_equal(h_stat(e, "IpInAddrErrors"), 2);
	assert_int_equal(e->l4_inputs, 0);
	h_expect_none(e);
}

static void test_broadcasts_are_delivered(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .dst = 0xffffffffu,
					     .dst_mac = ts_eth_bcast}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .dst = TS_IP4(198, 18, 0, 255),
					     .dst_mac = ts_eth_bcast}, "x", 1));
	assert_int_equal(e->l4_inputs, 2);
	assert_int_equal(e->l4_last->l2_bcast, 1);
}

static void test_martian_sources_dropped(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .src = TS_IP4(127, 0, 0, 1)}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .dst = TS_IP4(127, 0, 0, 1)}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .src = TS_IP4(224, 0, 0, 1)}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .src = 0xffffffffu}, "x", 1));
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .src = TS_IP4(0, 1, 2, 3)}, "x", 1));
	assert_int_equal(h_stat(e, "TsExtIpInMartians"), 5);
	assert_int_equal(e->l4_inputs, 0);
	h_expect_none(e);
}

static void test_header_with_options_is_delivered_after_them(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	/* IHL 6: four bytes of options (zero: end of list). */
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .ihl = 24}, "opt", 3));
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_last->len, 3);
	assert_memory_equal(e->l4_last->data, "opt", 3);
}

static void test_bad_options_draw_parameter_problem_source_route_dropped(void **state)
{
	struct h_env *e = *state;
	struct pktbuf *p;
	struct h_frame f;

	h_fake_l4(e, PROTO_TEST);
	/* NOP, NOP, then an option whose length (9) runs past the header. */
	p = h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .ihl = 28}, "x", 1);
	{
		uint8_t *o = p->data + TS_ETH_HLEN + 20;

		o[0] = 1;
		o[1] = 1;
		o[2] = 7;
		o[3] = 9;
		ts_put16(p->data + TS_ETH_HLEN + 10, 0);
		ts_put16(p->data + TS_ETH_HLEN + 10, ts_csum(p->data + TS_ETH_HLEN, 28));
	}
	h_input(e, p);
	assert_int_equal(e->l4_inputs, 0);
	assert_int_equal(h_stat(e, "IpInHdrErrors"), 1);
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4[0], TS_ICMP_PARAMETERPROB);
	/* The pointer: byte 23 of the header, the bad length. */
	assert_int_equal(f.l4[4], 23);
	h_frame_free(&f);
	/* A loose source route (131, length 7): dropped silently. */
	p = h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .ihl = 28}, "x", 1);
	{
		uint8_t *o = p->data + TS_ETH_HLEN + 20;

		o[0] = 131;
		o[1] = 7;
		o[2] = 4;
		ts_put16(p->data + TS_ETH_HLEN + 10, 0);
		ts_put16(p->data + TS_ETH_HLEN + 10, ts_csum(p->data + TS_ETH_HLEN, 28));
	}
	h_input(e, p);
	assert_int_equal(e->l4_inputs, 0);
	assert_int_equal(h_stat(e, "IpInDiscards"), 1);
	h_expect_none(e);
}

static void test_ttl_zero_is_delivered_as_linux_does(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST, .ttl0 = 1}, "x", 1));
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(h_stat(e, "TsExtIpInTtlZero"), 1);
}

static void test_unknown_protocol_gets_protocol_unreachable(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_input(e, h_ip_frame(&(struct h_ip){.proto = 99, .id = 0x4242}, "0123456789", 10));
	assert_int_equal(h_stat(e, "IpInUnknownProtos"), 1);
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.ip.dst, H_PEER_IP);
	assert_int_equal(f.ip.src, H_ENG_IP);
	assert_int_equal(f.l4[0], TS_ICMP_DEST_UNREACH);
	assert_int_equal(f.l4[1], TS_ICMP_PROT_UNREACH);
	/* The whole datagram quoted: 20 + 10 bytes. */
	assert_int_equal(f.l4_len, 8 + 30);
	assert_int_equal(ts_get16(f.l4 + 8 + 4), 0x4242);
	assert_memory_equal(f.l4 + 8 + 20, "0123456789", 10);
	h_frame_free(&f);
	/* Not to a broadcast. */
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 99, .dst = 0xffffffffu,
					     .dst_mac = ts_eth_bcast}, "x", 1));
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IpInUnknownProtos"), 2);
}

static void test_refused_input_gets_port_unreachable(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	const uint8_t udp[12] = {0x30, 0x39, 0x00, 0x07, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};

	h_fake_l4(e, PROTO_TEST);
	e->l4_refuse = 1;
	h_input(e, h_ip_frame(&(struct h_ip){.proto = PROTO_TEST}, udp, sizeof(udp)));
	assert_int_equal(e->l4_inputs, 1);
	h_pop_ip(e, &f, 1);
	assert_int_equal(f.l4[0], TS_ICMP_DEST_UNREACH);
	assert_int_equal(f.l4[1], TS_ICMP_PORT_UNREACH);
	assert_int_equal(ts_csum(f.l4, f.l4_len), 0);
	assert_int_equal(f.l4[8 + 9], PROTO_TEST);
	assert_memory_equal(f.l4 + 8 + 20, udp, sizeof(udp));
	/* Precedence internetwork control (Linux). */
	assert_int_equal(f.ip.tos, 0xc0);
	h_frame_free(&f);
	h_expect_none(e);
}

static void test_output_header_fields(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint16_t id;

	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, "hello", 5, 1), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_memory_equal(f.dst, h_peer_mac, 6);
	assert_int_equal(f.ip.version, 4);
	assert_int_equal(f.ip.ihl, 20);
	assert_int_equal(f.ip.ttl, 64);
	assert_int_equal(f.ip.tot_len, 25);
	assert_int_equal(f.ip.frag, TS_IP_DF);
	assert_int_equal(f.ip.src, H_ENG_IP);
	assert_int_equal(f.ip.dst, H_PEER_IP);
	id = f.ip.id;
	h_frame_free(&f);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "ip_default_ttl", "7"), 0);
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, "hello", 5, 0), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_int_equal(f.ip.ttl, 7);
	assert_int_equal(f.ip.frag, 0);
	assert_int_equal(f.ip.id, (uint16_t)(id + 1));
	h_frame_free(&f);
	assert_int_equal(h_stat(e, "IpOutRequests"), 2);
}

static void test_route_on_link_resolves_destination(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint32_t nh = 0;

	h_drain(e);
	assert_int_equal(ts_ip_route_check(&e->eng, H_OTHER_IP, &nh), 0);
	assert_int_equal(nh, H_OTHER_IP);
	assert_int_equal(h_send(e, H_OTHER_IP, PROTO_TEST, "x", 1, 0), 0);
	assert_true(h_pop(e, &f));
	assert_int_equal(f.type, TS_ETH_P_ARP);
	assert_int_equal(f.arp_tip, H_OTHER_IP);
	h_frame_free(&f);
}

static void test_route_off_link_goes_to_gateway(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;
	uint32_t nh = 0;

	assert_int_equal(ts_ip_route_check(&e->eng, H_FAR_IP, &nh), 0);
	assert_int_equal(nh, H_PEER_IP);
	assert_int_equal(h_send(e, H_FAR_IP, PROTO_TEST, "x", 1, 0), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	/* The gateway's MAC, the far destination's address. */
	assert_memory_equal(f.dst, h_peer_mac, 6);
	assert_int_equal(f.ip.dst, H_FAR_IP);
	h_frame_free(&f);
}

static void test_route_off_link_without_gateway_is_enetunreach(void **state)
{
	struct h_env *e = *state;

	assert_int_equal(ts_ip_route_check(&e->eng, H_FAR_IP, NULL), -ENETUNREACH);
	assert_int_equal(h_send(e, H_FAR_IP, PROTO_TEST, "x", 1, 0), -ENETUNREACH);
	assert_int_equal(h_stat(e, "IpOutNoRoutes"), 1);
	assert_int_equal(h_stat(e, "IpOutRequests"), 0);
	h_expect_none(e);
}

static void test_route_broadcast_uses_broadcast_mac(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	h_drain(e);
	assert_int_equal(h_send(e, TS_IP4(198, 18, 0, 255), PROTO_TEST, "x", 1, 0), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_memory_equal(f.dst, ts_eth_bcast, 6);
	h_frame_free(&f);
	assert_int_equal(h_send(e, 0xffffffffu, PROTO_TEST, "x", 1, 0), 0);
	h_pop_ip(e, &f, PROTO_TEST);
	assert_memory_equal(f.dst, ts_eth_bcast, 6);
	h_frame_free(&f);
	h_expect_none(e);
}

static void test_loopback_delivers_on_next_poll_not_on_wire(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	assert_int_equal(h_send(e, TS_IP4(127, 0, 0, 1), PROTO_TEST, "lo", 2, 0), 0);
	assert_int_equal(h_send(e, H_ENG_IP, PROTO_TEST, "me", 2, 0), 0);
	/* Queued, not yet input. */
	assert_int_equal(e->l4_inputs, 0);
	assert_int_equal(e->eng.lo_len, 2);
	h_poll(e);
	assert_int_equal(e->l4_inputs, 2);
	assert_memory_equal(e->l4_last->data, "me", 2);
	assert_int_equal(e->l4_last->ip_src, H_ENG_IP);
	assert_int_equal(e->l4_last->ip_dst, H_ENG_IP);
	assert_ptr_equal(e->l4_last->dev, &e->eng.lo);
	assert_int_equal(h_stat(e, "TsExtLoopbackFrames"), 2);
	h_expect_none(e);
	/* Nothing waits any more. */
	assert_int_equal(h_poll(e), TS_NEVER);
	assert_int_equal(ts_ip_select_src(&e->eng, TS_IP4(127, 1, 2, 3)), TS_IP4(127, 0, 0, 1));
}

static void test_loopback_backlog_beyond_budget_makes_poll_return_now(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	for (int i = 0; i < 2 * TS_LO_BUDGET + 10; i++)
		assert_int_equal(h_send(e, H_ENG_IP, PROTO_TEST, "x", 1, 0), 0);
	/* A poll drains a bounded number (a budget before the timers, one
	 * after): the rest waits, and the engine says so. */
	assert_int_equal(h_poll(e), e->now);
	assert_int_equal(e->l4_inputs, 2 * TS_LO_BUDGET);
	assert_int_equal(h_poll(e), TS_NEVER);
	assert_int_equal(e->l4_inputs, 2 * TS_LO_BUDGET + 10);
}

static void test_loopback_echo_round_trip_is_bounded(void **state)
{
	struct h_env *e = *state;
	uint8_t m[8] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};

	ts_put16(m + 2, ts_csum(m, 8));
	h_fake_l4(e, TS_IPPROTO_ICMP);
	/* Echo to ourselves: the request is input at the next poll, the reply
	 * at the end of that same poll (one entry point, bounded drain). */
	assert_int_equal(h_send(e, TS_IP4(127, 0, 0, 1), TS_IPPROTO_ICMP, m, 8, 0), 0);
	h_poll(e);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 1);
	assert_int_equal(h_stat(e, "IcmpInEchoReps"), 1);
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(e->l4_last->data[0], TS_ICMP_ECHOREPLY);
	h_expect_none(e);
}

static void test_fragment_output_sizes_offsets_and_mf(void **state)
{
	struct h_env *e = *state;
	static uint8_t big[3000];
	struct h_frame f;
	size_t off = 0;
	uint16_t id = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, big, sizeof(big), 0), 0);
	/* 1480 + 1480 + 40 payload bytes. */
	for (int i = 0; i < 3; i++) {
		size_t want = i < 2 ? 1480 : 40;

		h_pop_ip(e, &f, PROTO_TEST);
		assert_int_equal(f.l4_len, want);
		assert_true(f.ip.tot_len <= H_MTU);
		assert_int_equal((f.ip.frag & TS_IP_OFFMASK) * 8, off);
		assert_int_equal(!!(f.ip.frag & TS_IP_MF), i < 2);
		assert_int_equal(off % 8, 0);
		if (i == 0)
			id = f.ip.id;
		assert_int_equal(f.ip.id, id);
		assert_memory_equal(f.l4, big + off, want);
		off += want;
		h_frame_free(&f);
	}
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IpFragCreates"), 3);
	assert_int_equal(h_stat(e, "IpFragOKs"), 1);
}

static void test_fragment_output_small_mtu_keeps_8_byte_offsets(void **state)
{
	struct h_env *e = *state;
	uint8_t buf[100] = {0};
	struct h_frame f;
	int n = 0;

	/* MTU 68 (RFC 791 minimum): 48-byte payloads. */
	e->eng.mtu = 68;
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, buf, sizeof(buf), 0), 0);
	while (h_pop(e, &f)) {
		assert_true(f.ip.tot_len <= 68);
		assert_int_equal(((f.ip.frag & TS_IP_OFFMASK) * 8) % 8, 0);
		if (f.ip.frag & TS_IP_MF)
			assert_int_equal(f.l4_len % 8, 0);
		n++;
		h_frame_free(&f);
	}
	assert_int_equal(n, 3);	/* 48 + 48 + 4 */
}

static void test_df_above_mtu_is_emsgsize(void **state)
{
	struct h_env *e = *state;
	static uint8_t big[1481];

	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, big, 1480, 1), 0);
	h_drain(e);
	assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, big, 1481, 1), -EMSGSIZE);
	assert_int_equal(h_stat(e, "IpFragFails"), 1);
	h_expect_none(e);
	/* Over 65535 in all is refused too. */
	{
		static uint8_t huge[65516];

		assert_int_equal(h_send(e, H_PEER_IP, PROTO_TEST, huge, sizeof(huge), 0),
				 -EMSGSIZE);
	}
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

/* A deterministic fuzz pass: valid frames of every kind with bytes
 * flipped and lengths cut.  Nothing may crash, leak (teardown checks) or
 * stop the engine answering. */
static void test_mutated_frames_never_crash_leak_or_wedge(void **state)
{
	struct h_env *e = *state;
	uint64_t seed = 0x1234567887654321ull;
	uint8_t q[48];
	static const uint8_t zero[6];

	memset(q, 0, sizeof(q));
	q[0] = 0x45;
	ts_put16(q + 2, 48);
	q[9] = TS_IPPROTO_UDP;
	ts_put32(q + 12, H_ENG_IP);
	ts_put32(q + 16, H_PEER_IP);
	ts_put16(q + 10, ts_csum(q, 20));
	h_fake_l4(e, TS_IPPROTO_UDP);
	for (int i = 0; i < 20000; i++) {
		struct pktbuf *p;
		uint32_t kind = rnd(&seed) % 6;

		switch (kind) {
		case 0:
			p = h_arp_frame(1 + (uint16_t)(rnd(&seed) % 2), h_peer_mac,
					H_PEER_IP, zero, H_ENG_IP);
			break;
		case 1:
			p = h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHO, 0, rnd(&seed), q, 20);
			break;
		case 2:
			p = h_icmp_frame(&(struct h_ip){0}, (uint8_t)(rnd(&seed) % 20),
					 (uint8_t)(rnd(&seed) % 20), 0, q, sizeof(q));
			break;
		case 3: {
			struct h_ip ip = {.proto = TS_IPPROTO_UDP, .id = (uint16_t)(rnd(&seed) % 8),
					  .frag = (uint16_t)(rnd(&seed) % 16)};

			if (rnd(&seed) % 2)
				ip.frag |= TS_IP_MF;
			p = h_ip_frame(&ip, q, 8 * (1 + rnd(&seed) % 5));
			break;
		}
		case 4:
			p = h_udp_frame(&(struct h_ip){0}, 1, 2, q, rnd(&seed) % sizeof(q));
			break;
		default:
			p = h_ip_frame(&(struct h_ip){.proto = (uint8_t)rnd(&seed)}, q, sizeof(q));
			break;
		}
		/* Flip up to 4 bytes, sometimes cut the frame. */
		for (uint32_t n = rnd(&seed) % 5; n > 0; n--)
			p->data[rnd(&seed) % p->len] ^= (uint8_t)(1 + rnd(&seed) % 255);
		if (rnd(&seed) % 4 == 0)
			ts_pkt_trim(p, rnd(&seed) % (p->len + 1));
		h_input(e, p);
		h_drain(e);
		if (i % 1000 == 0)
			h_advance(e, 31 * SEC);
	}
	h_advance(e, 31 * SEC);
	assert_null(e->eng.ip.reasm);
	assert_int_equal(e->eng.ip.reasm_mem, 0);
	h_drain(e);
	expect_echo_answered(e);
}

static void test_poll_returns_earliest_l4_deadline(void **state)
{
	struct h_env *e = *state;

	h_fake_l4(e, PROTO_TEST);
	e->l4_deadline = e->now + 12345;
	assert_int_equal(h_poll(e), e->now + 12345);
	assert_true(e->l4_polls >= 1);
	/* An ARP retry due earlier wins. */
	h_send(e, H_OTHER_IP, PROTO_TEST, "x", 1, 0);
	e->l4_deadline = e->now + 5 * SEC;
	assert_int_equal(h_poll(e), e->now + SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rejects_each_bad_field),
		cmocka_unit_test_setup_teardown(test_bad_headers_counted_and_engine_keeps_answering, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ethernet_padding_is_trimmed, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_delivery_fills_metadata_and_points_at_transport, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_not_for_us_counted_addr_error_without_icmp, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_broadcasts_are_delivered, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_martian_sources_dropped, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_header_with_options_is_delivered_after_them, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_bad_options_draw_parameter_problem_source_route_dropped, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ttl_zero_is_delivered_as_linux_does, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_protocol_gets_protocol_unreachable, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_refused_input_gets_port_unreachable, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_output_header_fields, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_route_on_link_resolves_destination, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_route_off_link_goes_to_gateway, h_setup_gw, h_teardown),
		cmocka_unit_test_setup_teardown(test_route_off_link_without_gateway_is_enetunreach, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_route_broadcast_uses_broadcast_mac, h_setup_cold, h_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_delivers_on_next_poll_not_on_wire, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_echo_round_trip_is_bounded, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_loopback_backlog_beyond_budget_makes_poll_return_now, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fragment_output_sizes_offsets_and_mf, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_fragment_output_small_mtu_keeps_8_byte_offsets, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_df_above_mtu_is_emsgsize, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_poll_returns_earliest_l4_deadline, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_mutated_frames_never_crash_leak_or_wedge, h_setup, h_teardown),
	};

	return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
