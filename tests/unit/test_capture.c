/* Capture: the frame parser on hand-built frames, the filter (parse
 * errors, every term, "and"), the pcap global header and records
 * (snaplen, fake Ethernet header for loopback), and a capture through the
 * engine's tap_hook that sees incoming frames before the fault rules and
 * outgoing ones after them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "eth.h"
#include "fault.h"
#include "harness.h"
#include "wire.h"

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

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int matches(const char *filter, struct pktbuf *frame)
{
	struct ts_capture_filter f;
	struct ts_frame_info fi;
	char err[128];
	int m;

	assert_int_equal(ts_capture_filter_parse(filter, &f, err, sizeof(err)), 0);
	ts_frame_parse(frame->data, frame->len, 1, &fi);
	m = ts_capture_filter_match(&f, &fi);
	ts_pkt_free(frame);
	return m;
}

static void test_filter_terms_and_conjunction(void **state)
{
	long live = ts_pkt_live();

	(void)state;
	assert_true(matches("", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_true(matches("udp", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_false(matches("tcp", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_true(matches("proto udp and port 2", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_true(matches("port 1", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_false(matches("port 3", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_true(matches("host 198.18.0.1 and host 198.18.0.2",
			    h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_false(matches("host 198.18.0.9", h_udp_frame(&(struct h_ip){0}, 1, 2, "x", 1)));
	assert_true(
	    matches("icmp and host 198.18.0.2", h_icmp_frame(&(struct h_ip){0}, 8, 0, 1, "a", 1)));
	assert_false(matches("icmp and port 7", h_icmp_frame(&(struct h_ip){0}, 8, 0, 1, "a", 1)));
	assert_true(matches("arp and host 198.18.0.1",
			    h_arp_frame(1, h_peer_mac, H_PEER_IP, h_eng_mac, H_ENG_IP)));
	assert_false(matches("udp", h_arp_frame(1, h_peer_mac, H_PEER_IP, h_eng_mac, H_ENG_IP)));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_filter_errors_are_explained(void **state)
{
	static const char *const bad[] = {"host",	"host 1.2.3", "host 1.2.3.256", "port x",
					  "port 65536", "proto sctp", "udp tcp",	"udp and",
					  "bogus",	"and udp"};
	struct ts_capture_filter f;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ts_capture_filter_parse(bad[i], &f, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(ts_capture_filter_parse("udp and udp and udp and udp and udp and udp and "
						 "udp and udp and udp",
						 &f, err, sizeof(err)),
			 -EINVAL);
}

static void test_parser_reads_udp_and_ignores_later_fragments(void **state)
{
	struct pktbuf *p = h_udp_frame(&(struct h_ip){0}, 5353, 53, "hello", 5);
	struct ts_frame_info fi;
	char sum[96];

	(void)state;
	ts_frame_parse(p->data, p->len, 1, &fi);
	assert_true(fi.ip && fi.l4);
	assert_int_equal(fi.proto, 17);
	assert_int_equal(fi.src, H_PEER_IP);
	assert_int_equal(fi.dst, H_ENG_IP);
	assert_int_equal(fi.sport, 5353);
	assert_int_equal(fi.dport, 53);
	assert_int_equal(fi.payload, 5);
	assert_int_equal(fi.ip_end, p->len);
	assert_string_equal(ts_frame_summary(&fi, sum, sizeof(sum)),
			    "udp 198.18.0.1:5353 > 198.18.0.2:53 len 5");
	ts_pkt_free(p);
	/* A non-first fragment has no transport header to read. */
	p = h_ip_frame(&(struct h_ip){.proto = 17, .frag = 100}, "abcdefgh", 8);
	ts_frame_parse(p->data, p->len, 1, &fi);
	assert_true(fi.ip);
	assert_false(fi.l4);
	assert_int_equal(fi.sport, 0);
	ts_pkt_free(p);
	/* Shorter than an Ethernet header: nothing. */
	ts_frame_parse((const uint8_t *)"abc", 3, 1, &fi);
	assert_false(fi.ip);
	assert_int_equal(fi.ethertype, 0);
}

static void test_pcap_headers_and_records(void **state)
{
	uint8_t hdr[TS_PCAP_HDR_LEN], rec[TS_PCAP_REC_HDR_LEN + 200], frame[100];
	uint8_t ipv4[40] = {0x45};

	(void)state;
	ts_pcap_file_header(hdr, 65535);
	assert_int_equal(rd32(hdr), 0xa1b2c3d4u);
	assert_int_equal(rd16(hdr + 4), 2);
	assert_int_equal(rd16(hdr + 6), 4);
	assert_int_equal(rd32(hdr + 8), 0);
	assert_int_equal(rd32(hdr + 16), 65535);
	assert_int_equal(rd32(hdr + 20), 1);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(ts_pcap_record(rec, sizeof(rec), 1700000000123456ull, frame, 100, 1, 0),
			 16 + 100);
	assert_int_equal(rd32(rec), 1700000000u);
	assert_int_equal(rd32(rec + 4), 123456u);
	assert_int_equal(rd32(rec + 8), 100);
	assert_int_equal(rd32(rec + 12), 100);
	assert_memory_equal(rec + 16, frame, 100);
	/* snaplen cuts the data, not the original length. */
	assert_int_equal(ts_pcap_record(rec, sizeof(rec), 5, frame, 100, 1, 60), 16 + 60);
	assert_int_equal(rd32(rec + 8), 60);
	assert_int_equal(rd32(rec + 12), 100);
	/* Loopback: a zero-MAC Ethernet header, EtherType IPv4, in front. */
	assert_int_equal(ts_pcap_record(rec, sizeof(rec), 5, ipv4, 40, 0, 0), 16 + 54);
	assert_int_equal(rd32(rec + 8), 54);
	assert_int_equal(rd32(rec + 12), 54);
	for (int i = 0; i < 12; i++)
		assert_int_equal(rec[16 + i], 0);
	assert_int_equal(ts_get16(rec + 16 + 12), TS_ETH_P_IP);
	assert_int_equal(rec[16 + 14], 0x45);
	/* Too small a buffer. */
	assert_int_equal(ts_pcap_record(rec, 50, 5, frame, 100, 1, 0), -EMSGSIZE);
}

/* Random and mutated frames: the parser stays inside the frame and its
 * answers are consistent (ASan/UBSan catch any read past the end). */
static void test_parser_survives_random_and_truncated_frames(void **state)
{
	struct pktbuf *base = h_udp_frame(&(struct h_ip){0}, 1, 2, "0123456789", 10);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	long live = ts_pkt_live();

	(void)state;
	for (int it = 0; it < 20000; it++) {
		uint8_t f[128];
		size_t len;
		struct ts_frame_info fi;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % sizeof(f));
		if (it % 2 == 0) {
			/* A real frame, cut short and with one byte changed. */
			size_t n = base->len < sizeof(f) ? base->len : sizeof(f);

			memcpy(f, base->data, n);
			if (len > n)
				len = n;
			if (len > 0)
				f[(x >> 8) % len] = (uint8_t)(x >> 16);
		} else {
			for (size_t i = 0; i < sizeof(f); i++)
				f[i] = (uint8_t)(x >> (i % 56));
			if (it % 4 == 1 && len >= 15) {
				f[12] = 0x08;
				f[13] = 0x00;
				f[14] = (uint8_t)(0x40 | (f[14] & 0x0f));
			}
		}
		ts_frame_parse(f, len, (int)(it & 4) == 0, &fi);
		assert_true(fi.ip_end <= len);
		if (fi.l4) {
			assert_true(fi.ip);
			assert_true(fi.l4_off < len);
			assert_true(fi.l4_off + fi.payload <= fi.ip_end);
		}
		if (fi.tcp_class != 0)
			assert_int_equal(fi.proto, 6);
	}
	ts_pkt_free(base);
	assert_int_equal(ts_pkt_live(), live - 1);
}

struct cap {
	uint8_t buf[8192];
	size_t len;
	int n;
	int dirs[16];
};

static void cap_hook(struct ts_engine *eng, int dir, const struct pktbuf *frame, int l2, void *arg)
{
	struct cap *c = arg;
	int r = ts_pcap_record(c->buf + c->len, sizeof(c->buf) - c->len, eng->now, frame->data,
			       frame->len, l2, 0);

	assert_true(r > 0);
	c->len += (size_t)r;
	if (c->n < 16)
		c->dirs[c->n] = dir;
	c->n++;
}

static void test_engine_capture_sees_in_before_and_out_after_faults(void **state)
{
	struct h_env *e = *state;
	static struct cap c;
	struct ts_fault_spec s;
	struct ts_frame_info fi;
	char err[64];
	uint32_t caplen;

	memset(&c, 0, sizeof(c));
	e->eng.tap_hook = cap_hook;
	e->eng.tap_hook_arg = &c;
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 8, 0, 1, "ping", 4));
	h_drain(e);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.dirs[0], 0);
	assert_int_equal(c.dirs[1], 1);
	/* The records parse back: request then reply, engine time stamps. */
	assert_int_equal(rd32(c.buf), (uint32_t)(e->now / 1000000u));
	caplen = rd32(c.buf + 8);
	ts_frame_parse(c.buf + 16, caplen, 1, &fi);
	assert_int_equal(fi.src, H_PEER_IP);
	ts_frame_parse(c.buf + 16 + caplen + 16, rd32(c.buf + 16 + caplen + 8), 1, &fi);
	assert_int_equal(fi.src, H_ENG_IP);
	assert_int_equal(fi.proto, 1);
	/* A reply dropped on the way out never reaches the wire: not seen.
	 * A request dropped on the way in was seen arriving. */
	assert_int_equal(ts_fault_parse("drop proto icmp", &s, err, sizeof(err)), 0);
	assert_true(ts_fault_add(&e->eng, &s) > 0);
	h_input(e, h_icmp_frame(&(struct h_ip){0}, 8, 0, 2, "ping", 4));
	assert_int_equal(c.n, 3);
	assert_int_equal(c.dirs[2], 0);
	h_expect_none(e);
	e->eng.tap_hook = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_filter_terms_and_conjunction, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_filter_errors_are_explained, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_parser_reads_udp_and_ignores_later_fragments,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_pcap_headers_and_records, live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_parser_survives_random_and_truncated_frames,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_engine_capture_sees_in_before_and_out_after_faults,
					    h_setup, h_teardown),
	};

	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
