/* Fault injection on the fake wire: every action (drop, delay, duplicate,
 * reorder, corrupt) in both directions, every match (direction, protocol,
 * port, TCP segment class from hand-built segments, loopback) and every
 * selection (nth, every, seeded probability, limit); rule text parsing;
 * held frames released by ts_engine_poll and freed on destroy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "checksum.h"
#include "eth.h"
#include "fault.h"
#include "harness.h"
#include "wire.h"

#define MSEC 1000ull

/* For tests without an engine: no packet may leak either. */
static long live_at_start;

static int live_setup(void **state)
{
	live_at_start = ts_pkt_live();
	return 0;
}

static int live_check(void **state)
{
	assert_int_equal(ts_pkt_live(), live_at_start);
	return 0;
}

static uint32_t add(struct h_env *e, const char *text)
{
	struct ts_fault_spec s;
	char err[256] = "";
	int id;

	if (ts_fault_parse(text, &s, err, sizeof(err)) < 0)
		fail_msg("parse '%s': %s", text, err);
	id = ts_fault_add(&e->eng, &s);
	assert_true(id > 0);
	return (uint32_t)id;
}

static const struct ts_fault_rule *rule(struct h_env *e, uint32_t id)
{
	const struct ts_fault_rule *r = ts_fault_find(&e->eng, id);

	assert_non_null(r);
	return r;
}

static void echo_in(struct h_env *e, uint16_t seq)
{
	h_input(e,
		h_icmp_frame(&(struct h_ip){0}, TS_ICMP_ECHO, 0, 0x1234u << 16 | seq, "ping", 4));
}

/* Pops an echo reply and returns its sequence number. */
static int pop_reply(struct h_env *e)
{
	struct h_frame f;
	int seq;

	h_pop_ip(e, &f, TS_IPPROTO_ICMP);
	assert_int_equal(f.l4[0], TS_ICMP_ECHOREPLY);
	seq = ts_get16(f.l4 + 6);
	h_frame_free(&f);
	return seq;
}

/* A TCP segment from the peer, built by hand (flags as on the wire). */
static struct pktbuf *tcp_frame(uint16_t sport, uint16_t dport, uint8_t flags, size_t datalen)
{
	uint8_t seg[20 + 64];

	assert_true(datalen <= 64);
	memset(seg, 0, sizeof(seg));
	ts_put16(seg, sport);
	ts_put16(seg + 2, dport);
	ts_put32(seg + 4, 1000);
	ts_put32(seg + 8, (flags & 0x10) ? 2000 : 0);
	seg[12] = 5 << 4;
	seg[13] = flags;
	ts_put16(seg + 14, 65535);
	for (size_t i = 0; i < datalen; i++)
		seg[20 + i] = (uint8_t)('a' + i % 26);
	ts_put16(seg + 16, h_l4_csum(H_PEER_IP, H_ENG_IP, 6, seg, 20 + datalen));
	return h_ip_frame(&(struct h_ip){.proto = 6}, seg, 20 + datalen);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void test_rule_text_round_trips_and_errors_are_explained(void **state)
{
	static const char *const good[] = {
	    "drop",
	    "drop dir out proto tcp flags syn-ack nth 1",
	    "delay 250 dir in proto udp port 53",
	    "duplicate proto icmp every 3 limit 2",
	    "reorder 100 dir out proto tcp flags data",
	    "corrupt proto udp prob 0.25 seed 7",
	    "drop proto tcp flags syn,fin,rst lo",
	};
	static const char *const bad[] = {
	    "",
	    "explode",
	    "delay",
	    "delay x",
	    "drop dir sideways",
	    "drop proto sctp",
	    "drop port 0",
	    "drop flags syn proto udp",
	    "drop proto icmp port 7",
	    "drop nth 0",
	    "drop prob 2",
	    "drop seed 3",
	    "drop flags urg",
	    "drop nth",
	};
	struct ts_fault_spec s, s2;
	char err[256], text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ts_fault_parse(good[i], &s, err, sizeof(err)), 0);
		ts_fault_format(&s, text, sizeof(text));
		assert_string_equal(text, good[i]);
		assert_int_equal(ts_fault_parse(text, &s2, err, sizeof(err)), 0);
		assert_memory_equal(&s, &s2, sizeof(s));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ts_fault_parse(bad[i], &s, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 0);
	}
	/* Defaults: both directions, reorder bound, flags imply tcp, 50%. */
	assert_int_equal(ts_fault_parse("reorder flags syn", &s, err, sizeof(err)), 0);
	assert_int_equal(s.dir, TS_FAULT_BOTH);
	assert_int_equal(s.ms, TS_FAULT_REORDER_MS);
	assert_int_equal(s.proto, TS_FAULT_P_TCP);
	assert_int_equal(ts_fault_parse("drop prob 50%", &s, err, sizeof(err)), 0);
	assert_int_equal(s.prob_ppm, TS_FAULT_PPM / 2);
}

static void test_icmp_nth_2_in_drops_only_the_second_echo(void **state)
{
	struct h_env *e = *state;
	uint32_t id = add(e, "drop dir in proto icmp nth 2");

	for (uint16_t seq = 1; seq <= 3; seq++)
		echo_in(e, seq);
	assert_int_equal(pop_reply(e), 1);
	assert_int_equal(pop_reply(e), 3);
	h_expect_none(e);
	assert_int_equal(rule(e, id)->matched, 3);
	assert_int_equal(rule(e, id)->acted, 1);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 2);
	assert_int_equal(h_stat(e, "TsExtFaultDrops"), 1);
}

static void test_drop_out_loses_the_reply_but_the_request_is_counted(void **state)
{
	struct h_env *e = *state;
	uint32_t id = add(e, "drop dir out proto icmp");

	echo_in(e, 1);
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 1);
	assert_int_equal(h_stat(e, "IcmpOutEchoReps"), 1);
	assert_int_equal(rule(e, id)->acted, 1);
	/* Rules of the other protocol or direction see nothing. */
	assert_int_equal(ts_fault_del(&e->eng, id), 0);
	id = add(e, "drop dir in proto udp");
	echo_in(e, 2);
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(rule(e, id)->matched, 0);
}

static void test_every_2_and_limit_select_matches(void **state)
{
	struct h_env *e = *state;
	uint32_t id = add(e, "drop dir out proto icmp every 2 limit 2");

	for (uint16_t seq = 1; seq <= 8; seq++)
		echo_in(e, seq);
	/* Acts on matches 2 and 4, then the limit is reached. */
	assert_int_equal(pop_reply(e), 1);
	assert_int_equal(pop_reply(e), 3);
	for (int seq = 5; seq <= 8; seq++)
		assert_int_equal(pop_reply(e), seq);
	h_expect_none(e);
	assert_int_equal(rule(e, id)->matched, 8);
	assert_int_equal(rule(e, id)->acted, 2);
}

static void test_delay_out_releases_at_the_deadline_in_order(void **state)
{
	struct h_env *e = *state;
	uint64_t t0 = e->now;

	add(e, "delay 50 dir out proto icmp");
	echo_in(e, 1);
	e->now += 10 * MSEC;
	echo_in(e, 2);
	h_expect_none(e);
	/* The engine asks to be woken when the first one is due. */
	assert_int_equal(h_poll(e), t0 + 50 * MSEC);
	h_run_until(e, t0 + 50 * MSEC - 1);
	h_expect_none(e);
	h_run_until(e, t0 + 50 * MSEC);
	assert_int_equal(pop_reply(e), 1);
	h_expect_none(e);
	h_run_until(e, t0 + 60 * MSEC);
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(h_poll(e), TS_NEVER);
	assert_int_equal(h_stat(e, "TsExtFaultDelays"), 2);
}

static void test_delay_in_delivers_later_and_reply_follows(void **state)
{
	struct h_env *e = *state;
	uint64_t t0 = e->now;

	add(e, "delay 20 dir in proto icmp");
	echo_in(e, 7);
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 0);
	h_run_until(e, t0 + 20 * MSEC);
	assert_int_equal(pop_reply(e), 7);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 1);
}

static void test_duplicate_sends_two_identical_frames(void **state)
{
	struct h_env *e = *state;
	struct h_frame a, b;

	add(e, "duplicate dir out proto icmp");
	echo_in(e, 1);
	h_pop_ip(e, &a, TS_IPPROTO_ICMP);
	h_pop_ip(e, &b, TS_IPPROTO_ICMP);
	assert_int_equal(a.pkt->len, b.pkt->len);
	assert_memory_equal(a.pkt->data, b.pkt->data, a.pkt->len);
	h_frame_free(&a);
	h_frame_free(&b);
	h_expect_none(e);
	/* In: the engine answers both copies. */
	assert_int_equal(ts_fault_del(&e->eng, 1), 0);
	add(e, "duplicate dir in proto icmp");
	echo_in(e, 2);
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 3);
	assert_int_equal(h_stat(e, "TsExtFaultDups"), 2);
}

static void test_reorder_releases_after_the_next_frame_or_the_bound(void **state)
{
	struct h_env *e = *state;
	uint64_t t0;

	add(e, "reorder 30 dir out proto icmp nth 1");
	echo_in(e, 1);
	h_expect_none(e);
	echo_in(e, 2);
	/* The second reply overtakes the first. */
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(pop_reply(e), 1);
	h_expect_none(e);
	assert_int_equal(h_poll(e), TS_NEVER);
	/* Nothing follows: the bound releases it. */
	add(e, "reorder 30 dir out proto icmp nth 1");
	t0 = e->now;
	echo_in(e, 3);
	h_expect_none(e);
	assert_int_equal(h_poll(e), t0 + 30 * MSEC);
	h_run_until(e, t0 + 30 * MSEC);
	assert_int_equal(pop_reply(e), 3);
	assert_int_equal(h_stat(e, "TsExtFaultReorders"), 2);
}

static void test_corrupt_in_fails_the_checksum(void **state)
{
	struct h_env *e = *state;

	add(e, "corrupt dir in proto icmp");
	echo_in(e, 1);
	h_expect_none(e);
	assert_int_equal(h_stat(e, "IcmpInCsumErrors"), 1);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 0);
	assert_int_equal(h_stat(e, "TsExtFaultCorrupts"), 1);
}

static void test_corrupt_out_sends_a_bad_checksum(void **state)
{
	struct h_env *e = *state;
	struct h_frame f;

	add(e, "corrupt dir out proto icmp");
	echo_in(e, 1);
	h_pop_ip(e, &f, TS_IPPROTO_ICMP);
	/* The IPv4 header is intact (h_pop checked it); ICMP is not. */
	assert_int_not_equal(ts_csum(f.l4, f.l4_len), 0);
	h_frame_free(&f);
}

static void test_prob_with_seed_is_deterministic(void **state)
{
	struct h_env *e = *state;
	uint32_t a = add(e, "drop dir in proto udp prob 0.5 seed 42 limit 1000");
	uint64_t pattern1 = 0, pattern2 = 0;

	h_fake_l4(e, 17);
	for (int i = 0; i < 64; i++) {
		int before = e->l4_inputs;

		h_input(e, h_udp_frame(&(struct h_ip){0}, 1000, 2000, "x", 1));
		if (e->l4_inputs == before)
			pattern1 |= 1ull << i;
	}
	assert_int_equal(ts_fault_del(&e->eng, a), 0);
	add(e, "drop dir in proto udp prob 0.5 seed 42 limit 1000");
	for (int i = 0; i < 64; i++) {
		int before = e->l4_inputs;

		h_input(e, h_udp_frame(&(struct h_ip){0}, 1000, 2000, "x", 1));
		if (e->l4_inputs == before)
			pattern2 |= 1ull << i;
	}
	assert_true(pattern1 == pattern2);
	/* About half, and neither all nor none. */
	assert_true(__builtin_popcountll(pattern1) > 16 && __builtin_popcountll(pattern1) < 48);
}

static void test_port_matches_source_or_destination(void **state)
{
	struct h_env *e = *state;
	uint32_t id = add(e, "drop dir in port 53");

	h_fake_l4(e, 17);
	h_input(e, h_udp_frame(&(struct h_ip){0}, 53, 4000, "a", 1));
	h_input(e, h_udp_frame(&(struct h_ip){0}, 4000, 53, "b", 1));
	h_input(e, h_udp_frame(&(struct h_ip){0}, 4000, 54, "c", 1));
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(rule(e, id)->acted, 2);
	/* ICMP has no port: not matched. */
	echo_in(e, 1);
	assert_int_equal(pop_reply(e), 1);
	assert_int_equal(rule(e, id)->matched, 2);
}

static void test_tcp_flags_classes_from_hand_built_segments(void **state)
{
	struct h_env *e = *state;
	static const struct {
		uint8_t flags;
		size_t len;
		unsigned cls;
	} segs[] = {
	    {F_SYN, 0, TS_TCPC_SYN},	     {F_SYN | F_ACK, 0, TS_TCPC_SYNACK},
	    {F_ACK, 0, TS_TCPC_ACK},	     {F_ACK | F_PSH, 10, TS_TCPC_DATA},
	    {F_FIN | F_ACK, 0, TS_TCPC_FIN}, {F_FIN | F_ACK, 5, TS_TCPC_FIN | TS_TCPC_DATA},
	    {F_RST, 0, TS_TCPC_RST},	     {F_RST | F_ACK, 0, TS_TCPC_RST},
	};
	static const char *const rules[] = {"syn", "syn-ack", "ack", "data", "fin", "rst"};
	static const unsigned bits[] = {TS_TCPC_SYN,  TS_TCPC_SYNACK, TS_TCPC_ACK,
					TS_TCPC_DATA, TS_TCPC_FIN,    TS_TCPC_RST};

	h_fake_l4(e, 6);
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		char text[64];
		uint32_t id;

		snprintf(text, sizeof(text), "drop dir in flags %s", rules[r]);
		id = add(e, text);
		for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
			int before = e->l4_inputs;
			struct pktbuf *p = tcp_frame(40000, 80, segs[i].flags, segs[i].len);
			struct ts_frame_info fi;

			ts_frame_parse(p->data, p->len, 1, &fi);
			assert_int_equal(fi.tcp_class, segs[i].cls);
			h_input(e, p);
			/* Dropped exactly when the segment is in the class. */
			assert_int_equal(e->l4_inputs == before, (segs[i].cls & bits[r]) != 0);
		}
		assert_int_equal(ts_fault_del(&e->eng, id), 0);
	}
}

static void test_truncated_tcp_header_matches_no_flags(void **state)
{
	struct h_env *e = *state;
	uint8_t seg[12] = {0x9c, 0x40, 0, 80};
	struct ts_frame_info fi;
	struct pktbuf *p;
	uint32_t id = add(e, "drop dir in flags syn,syn-ack,ack,data,fin,rst");

	h_fake_l4(e, 6);
	p = h_ip_frame(&(struct h_ip){.proto = 6}, seg, sizeof(seg));
	ts_frame_parse(p->data, p->len, 1, &fi);
	assert_int_equal(fi.l4, 0);
	h_input(e, p);
	assert_int_equal(rule(e, id)->matched, 0);
}

static void test_loopback_is_matched_only_by_lo_rules(void **state)
{
	struct h_env *e = *state;
	uint32_t link = add(e, "drop proto udp");

	h_fake_l4(e, 17);
	h_send(e, TS_IP4(127, 0, 0, 1), 17, "12345678", 8, 0);
	h_poll(e);
	assert_int_equal(e->l4_inputs, 1);
	assert_int_equal(rule(e, link)->matched, 0);
	add(e, "drop proto udp lo");
	h_send(e, TS_IP4(127, 0, 0, 1), 17, "12345678", 8, 0);
	h_poll(e);
	assert_int_equal(e->l4_inputs, 1);
	h_expect_none(e);
}

static void test_first_acting_rule_wins_and_ids_delete(void **state)
{
	struct h_env *e = *state;
	uint32_t a = add(e, "delay 10 dir out proto icmp nth 2");
	uint32_t b = add(e, "drop dir out proto icmp");
	struct ts_fault_spec s;
	char err[64];

	echo_in(e, 1); /* a matches (1st), does not act; b drops */
	echo_in(e, 2); /* a acts: delayed; b never sees it */
	h_expect_none(e);
	assert_int_equal(rule(e, a)->matched, 2);
	assert_int_equal(rule(e, b)->matched, 1);
	h_advance(e, 10 * MSEC);
	assert_int_equal(pop_reply(e), 2);
	assert_int_equal(ts_fault_del(&e->eng, 999), -ENOENT);
	ts_fault_clear(&e->eng);
	assert_null(ts_fault_find(&e->eng, a));
	assert_int_equal(ts_fault_parse("drop", &s, err, sizeof(err)), 0);
	for (int i = 0; i < TS_FAULT_MAX_RULES; i++)
		assert_true(ts_fault_add(&e->eng, &s) > 0);
	assert_int_equal(ts_fault_add(&e->eng, &s), -ENOSPC);
	/* Ids are never reused. */
	ts_fault_clear(&e->eng);
	assert_true((uint32_t)ts_fault_add(&e->eng, &s) > b + TS_FAULT_MAX_RULES);
}

static void test_held_frames_are_freed_on_destroy(void **state)
{
	struct h_env *e = *state;

	add(e, "delay 1000 dir both proto icmp");
	echo_in(e, 1);
	add(e, "reorder 1000 dir out proto arp");
	assert_int_equal(e->eng.fault.nheld, 1);
	/* h_teardown destroys the engine and checks no packet leaked. */
}

static void test_fault_action_is_traced(void **state)
{
	struct h_env *e = *state;
	const struct ts_trace_ev *ev;

	assert_int_equal(ts_trace_enable(&e->eng.trace, 16), 0);
	add(e, "drop dir in proto icmp");
	echo_in(e, 1);
	ev = ts_trace_get(&e->eng.trace, 0);
	assert_non_null(ev);
	assert_int_equal(ev->kind, TS_TRACE_FAULT);
	assert_int_equal(ev->t, e->now);
	assert_non_null(strstr(ev->msg, "rule 1 drop in icmp 198.18.0.1 > 198.18.0.2"));
	assert_null(ts_trace_get(&e->eng.trace, 1));
}

static void test_held_queue_overflow_drops_and_counts(void **state)
{
	struct h_env *e = *state;

	add(e, "delay 1000 dir in proto udp");
	for (int i = 0; i < TS_FAULT_MAX_HELD + 3; i++)
		h_input(e, h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1));
	assert_int_equal(e->eng.fault.nheld, TS_FAULT_MAX_HELD);
	assert_int_equal(h_stat(e, "TsExtFaultHeldOverflow"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rule_text_round_trips_and_errors_are_explained,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_icmp_nth_2_in_drops_only_the_second_echo, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(
		test_drop_out_loses_the_reply_but_the_request_is_counted, h_setup, h_teardown),
	    cmocka_unit_test_setup_teardown(test_every_2_and_limit_select_matches, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_delay_out_releases_at_the_deadline_in_order,
					    h_setup, h_teardown),
	    cmocka_unit_test_setup_teardown(test_delay_in_delivers_later_and_reply_follows, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_sends_two_identical_frames, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_reorder_releases_after_the_next_frame_or_the_bound,
					    h_setup, h_teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_in_fails_the_checksum, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_out_sends_a_bad_checksum, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_prob_with_seed_is_deterministic, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_port_matches_source_or_destination, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_flags_classes_from_hand_built_segments,
					    h_setup, h_teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_tcp_header_matches_no_flags, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_loopback_is_matched_only_by_lo_rules, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_first_acting_rule_wins_and_ids_delete, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_held_frames_are_freed_on_destroy, h_setup,
					    h_teardown),
	    cmocka_unit_test_setup_teardown(test_fault_action_is_traced, h_setup, h_teardown),
	    cmocka_unit_test_setup_teardown(test_held_queue_overflow_drops_and_counts, h_setup,
					    h_teardown),
	};

	return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
