/* Ethernet input: length checks, destination filtering, EtherType
 * dispatch; the memwire and the engine's frame accounting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eth.h"
#include "harness.h"
#include "wire.h"

static void test_parse_short_frame_is_einval(void **state)
{
	long live = ts_pkt_live();
	uint8_t b[TS_ETH_HLEN] = {0};
	struct ts_eth_hdr h;

	for (size_t n = 0; n < TS_ETH_HLEN; n++) {
		struct pktbuf *p = ts_pkt_from(b, n);

		assert_int_equal(ts_eth_parse(p, &h), -EINVAL);
		ts_pkt_free(p);
	}
	{
		struct pktbuf *p = ts_pkt_from(b, TS_ETH_HLEN);

		ts_put16(p->data + 12, 0x0806);
		assert_int_equal(ts_eth_parse(p, &h), 0);
		assert_int_equal(h.type, 0x0806);
		ts_pkt_free(p);
	}
	assert_int_equal(ts_pkt_live(), live);
}

static void test_push_without_headroom_is_enobufs(void **state)
{
	long live = ts_pkt_live();
	struct pktbuf *p = ts_pkt_alloc(10);

	ts_pkt_push(p, TS_PKT_HEADROOM - 10);
	assert_int_equal(ts_eth_push(p, ts_eth_bcast, h_eng_mac, TS_ETH_P_IP), -ENOBUFS);
	ts_pkt_pull(p, TS_PKT_HEADROOM - 10);
	assert_int_equal(ts_eth_push(p, ts_eth_bcast, h_eng_mac, TS_ETH_P_IP), 0);
	assert_memory_equal(p->data, ts_eth_bcast, 6);
	assert_memory_equal(p->data + 6, h_eng_mac, 6);
	assert_int_equal(ts_get16(p->data + 12), TS_ETH_P_IP);
	ts_pkt_free(p);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_input_short_frame_counted_and_dropped(void **state)
{
	struct h_env *e = *state;
	uint8_t b[13] = {0};

	h_input(e, ts_pkt_from(b, sizeof(b)));
	h_input(e, ts_pkt_from(b, 0));
	assert_int_equal(h_stat(e, "TsExtEthInShort"), 2);
	assert_int_equal(h_stat(e, "TsExtLinkInFrames"), 2);
	h_expect_none(e);
}

static void test_input_other_mac_counted_not_for_us(void **state)
{
	struct h_env *e = *state;
	uint8_t echo[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};
	const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	struct pktbuf *f = h_ip_frame(&(struct h_ip){.proto = 1, .dst_mac = h_other_mac},
				      echo, sizeof(echo));

	h_input(e, f);
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .dst_mac = mcast}, echo, sizeof(echo)));
	assert_int_equal(h_stat(e, "TsExtEthInNotForUs"), 2);
	assert_int_equal(h_stat(e, "IpInReceives"), 0);
	h_expect_none(e);
}

static void test_input_unknown_ethertype_counted(void **state)
{
	struct h_env *e = *state;
	uint8_t b[40] = {0x60};

	h_input(e, h_eth_frame(h_eng_mac, h_peer_mac, 0x86dd, b, sizeof(b)));
	h_input(e, h_eth_frame(ts_eth_bcast, h_peer_mac, 0x88cc, b, sizeof(b)));
	assert_int_equal(h_stat(e, "TsExtEthInUnknownType"), 2);
	h_expect_none(e);
}

static void test_input_our_mac_and_broadcast_reach_ip(void **state)
{
	struct h_env *e = *state;
	uint8_t echo[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};
	struct h_frame f;

	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1}, echo, sizeof(echo)));
	assert_int_equal(h_stat(e, "IpInReceives"), 1);
	h_pop_ip(e, &f, 1);
	h_frame_free(&f);
	/* A broadcast frame is IP input too; the echo to a broadcast is
	 * ignored (icmp_echo_ignore_broadcasts). */
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1, .dst_mac = ts_eth_bcast},
			      echo, sizeof(echo)));
	assert_int_equal(h_stat(e, "IpInReceives"), 2);
	assert_int_equal(h_stat(e, "IcmpInEchos"), 2);
	h_expect_none(e);
}

static int hook_in, hook_out;

static void count_hook(struct ts_engine *eng, int dir, const struct pktbuf *frame,
		       int l2, void *arg)
{
	assert_ptr_equal(arg, &hook_in);
	if (dir == 0)
		hook_in++;
	else
		hook_out++;
}

static void test_tap_hook_sees_frames_in_and_out(void **state)
{
	struct h_env *e = *state;
	uint8_t echo[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};
	struct h_frame f;
	uint64_t out0 = h_stat(e, "TsExtLinkOutFrames");

	hook_in = hook_out = 0;
	e->eng.tap_hook = count_hook;
	e->eng.tap_hook_arg = &hook_in;
	h_input(e, h_ip_frame(&(struct h_ip){.proto = 1}, echo, sizeof(echo)));
	assert_int_equal(hook_in, 1);
	assert_int_equal(hook_out, 1);
	assert_int_equal(h_stat(e, "TsExtLinkOutFrames"), out0 + 1);
	h_pop_ip(e, &f, 1);
	h_frame_free(&f);
}

static void test_memwire_pops_in_order_per_side(void **state)
{
	long live = ts_pkt_live();
	struct ts_memwire w;
	struct pktbuf *p;

	ts_memwire_init(&w, 0);
	assert_int_equal(w.end[0].dev.mtu, 1500);
	assert_int_equal(w.end[0].dev.xmit(&w.end[0].dev, ts_pkt_from("a", 1)), 0);
	assert_int_equal(w.end[0].dev.xmit(&w.end[0].dev, ts_pkt_from("b", 1)), 0);
	assert_int_equal(w.end[1].dev.xmit(&w.end[1].dev, ts_pkt_from("c", 1)), 0);
	p = ts_memwire_pop(&w, 0);
	assert_int_equal(p->data[0], 'a');
	ts_pkt_free(p);
	p = ts_memwire_pop(&w, 1);
	assert_int_equal(p->data[0], 'c');
	ts_pkt_free(p);
	assert_null(ts_memwire_pop(&w, 1));
	assert_null(ts_memwire_pop(&w, 2));
	ts_memwire_clear(&w);
	assert_null(ts_memwire_pop(&w, 0));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_tap_open_bad_name_explains(void **state)
{
	struct ts_netdev dev;
	char err[256] = "";

	assert_int_equal(ts_tap_open(&dev, "", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "name"));
	assert_int_equal(ts_tap_open(&dev, "a-name-far-too-long-for-ifnamsiz", err,
				     sizeof(err)), -EINVAL);
	assert_int_equal(dev.fd, -1);
}

static void test_engine_init_checks_config_and_picks_local_mac(void **state)
{
	long live = ts_pkt_live();
	struct ts_engine *eng = calloc(1, sizeof(*eng));
	struct ts_engine_config cfg = {.addr = H_ENG_IP, .prefix_len = 33};
	struct ts_memwire w;

	assert_non_null(eng);
	ts_memwire_init(&w, 1500);
	assert_int_equal(ts_engine_init(eng, &w.end[0].dev, &cfg), -EINVAL);
	assert_int_equal(ts_engine_init(eng, &w.end[0].dev, NULL), -EINVAL);
	cfg.prefix_len = 24;
	cfg.mtu = 67;	/* below RFC 791's 68 */
	assert_int_equal(ts_engine_init(eng, &w.end[0].dev, &cfg), -EINVAL);
	/* No MAC given: a random unicast, locally administered one. */
	cfg.mtu = 9000;	/* capped at the device's */
	cfg.seed = 99;
	assert_int_equal(ts_engine_init(eng, &w.end[0].dev, &cfg), 0);
	assert_int_equal(eng->mac[0] & 0x03, 0x02);
	assert_int_equal(eng->mtu, 1500);
	assert_int_equal(eng->mask, 0xffffff00u);
	assert_true(ts_engine_is_local(eng, H_ENG_IP));
	assert_true(ts_engine_is_local(eng, TS_IP4(127, 9, 9, 9)));
	assert_false(ts_engine_is_local(eng, H_PEER_IP));
	assert_false(ts_engine_is_local(eng, 0));
	/* Seeded: the same sequence every time. */
	{
		struct ts_engine *two = calloc(1, sizeof(*two));

		assert_non_null(two);
		assert_int_equal(ts_engine_init(two, &w.end[0].dev, &cfg), 0);
		assert_memory_equal(two->mac, eng->mac, 6);
		assert_int_equal(ts_engine_rand(two), ts_engine_rand(eng));
		ts_engine_destroy(two);
		free(two);
	}
	ts_engine_destroy(eng);
	free(eng);
	ts_memwire_clear(&w);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_ip4_str_formats_dotted_quad(void **state)
{
	char b[16];

	assert_string_equal(ts_ip4_str(H_ENG_IP, b), "198.18.0.2");
	assert_string_equal(ts_ip4_str(0, b), "0.0.0.0");
	assert_string_equal(ts_ip4_str(0xffffffffu, b), "255.255.255.255");
	assert_string_equal(ts_ip4_str(TS_IP4(10, 0, 100, 9), b), "10.0.100.9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_short_frame_is_einval),
		cmocka_unit_test(test_push_without_headroom_is_enobufs),
		cmocka_unit_test_setup_teardown(test_input_short_frame_counted_and_dropped, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_input_other_mac_counted_not_for_us, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_input_unknown_ethertype_counted, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_input_our_mac_and_broadcast_reach_ip, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_tap_hook_sees_frames_in_and_out, h_setup, h_teardown),
		cmocka_unit_test(test_memwire_pops_in_order_per_side),
		cmocka_unit_test(test_tap_open_bad_name_explains),
		cmocka_unit_test(test_engine_init_checks_config_and_picks_local_mac),
		cmocka_unit_test(test_ip4_str_formats_dotted_quad),
	};

	return cmocka_run_group_tests_name("eth", tests, NULL, NULL);
}
