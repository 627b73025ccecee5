/* tapsock plot: pcap parsing (byte orders, nanosecond magic, link types,
 * truncated records), picking the flow, relative numbers (ISN near 2^32),
 * retransmission and duplicate-ACK detection, fault drops merged from a
 * trace, labels, and the text and SVG renderings, on pcaps built here. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"
#include "pktbuf.h"
#include "plot.h"

#define A_IP 0xc6120001u /* 198.18.0.1 */
#define B_IP 0xc6120002u /* 198.18.0.2 */
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static long live_at_start;

static int live_setup(void **state)
{
	(void)state;
	live_at_start = ts_pkt_live();
	return 0;
}

static int live_check(void **state)
{
	(void)state;
	assert_int_equal(ts_pkt_live(), live_at_start);
	return 0;
}

/* A pcap being built in memory. */
struct cap {
	uint8_t buf[65536];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void cap_init(struct cap *c)
{
	ts_pcap_file_header(c->buf, TS_PCAP_SNAPLEN);
	c->len = TS_PCAP_HDR_LEN;
}

/* One Ethernet + IPv4 + TCP frame (checksums are not the parser's
 * business), at t_us. */
static void cap_tcp(struct cap *c, uint64_t t_us, uint32_t src, uint16_t sport, uint32_t dst,
		    uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
	uint8_t f[14 + 20 + 20 + 1500];
	int r;

	assert_true(len <= 1500);
	memset(f, 0, sizeof(f));
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, (uint16_t)(40 + len));
	f[22] = 64;
	f[23] = 6;
	put32(f + 26, src);
	put32(f + 30, dst);
	put16(f + 34, sport);
	put16(f + 36, dport);
	put32(f + 38, seq);
	put32(f + 42, ack);
	f[46] = 0x50;
	f[47] = flags;
	put16(f + 48, 64240);
	r = ts_pcap_record(c->buf + c->len, sizeof(c->buf) - c->len, t_us, f, 54 + len, 1,
			   TS_PCAP_SNAPLEN);
	assert_true(r > 0);
	c->len += (size_t)r;
}

static void flow_of(const struct cap *c, uint16_t port, struct ts_plot_flow *f)
{
	struct ts_plot_pkt *p;
	size_t n;

	assert_int_equal(ts_plot_pcap_parse(c->buf, c->len, &p, &n), 0);
	assert_int_equal(ts_plot_flow_build(p, n, port, f), 0);
	free(p);
}

static const char *label(const struct ts_plot_flow *f, size_t i)
{
	static char buf[128];

	assert_true(i < f->n);
	return ts_plot_label(&f->seg[i], buf, sizeof(buf));
}

/* The handshake, one data segment, its ACK, and the close of a client at
 * A:40000 talking to B:7000, starting at t0, ISNs given. */
static void cap_conn(struct cap *c, uint64_t t0, uint32_t ia, uint32_t ib)
{
	cap_tcp(c, t0, A_IP, 40000, B_IP, 7000, SYN, ia, 0, 0);
	cap_tcp(c, t0 + 50, B_IP, 7000, A_IP, 40000, SYN | ACK, ib, ia + 1, 0);
	cap_tcp(c, t0 + 90, A_IP, 40000, B_IP, 7000, ACK, ia + 1, ib + 1, 0);
	cap_tcp(c, t0 + 100, A_IP, 40000, B_IP, 7000, PSH | ACK, ia + 1, ib + 1, 100);
	cap_tcp(c, t0 + 140, B_IP, 7000, A_IP, 40000, ACK, ib + 1, ia + 101, 0);
	cap_tcp(c, t0 + 200, A_IP, 40000, B_IP, 7000, FIN | ACK, ia + 101, ib + 1, 0);
	cap_tcp(c, t0 + 250, B_IP, 7000, A_IP, 40000, FIN | ACK, ib + 1, ia + 102, 0);
	cap_tcp(c, t0 + 300, A_IP, 40000, B_IP, 7000, ACK, ia + 102, ib + 2, 0);
}

static void test_pcap_bad_magic_short_and_link_type_are_refused(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_pkt *p = (void *)1;
	size_t n = 7;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	assert_int_equal(ts_plot_pcap_parse(c->buf, 10, &p, &n), -EINVAL);
	assert_null(p);
	assert_int_equal(n, 0);
	c->buf[0] ^= 0xff;
	assert_int_equal(ts_plot_pcap_parse(c->buf, c->len, &p, &n), -EINVAL);
	c->buf[0] ^= 0xff;
	c->buf[20] = 113; /* LINKTYPE_LINUX_SLL */
	assert_int_equal(ts_plot_pcap_parse(c->buf, c->len, &p, &n), -EPROTONOSUPPORT);
	free(c);
}

static void test_pcap_truncated_record_ends_the_list(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_pkt *p;
	size_t n;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 1000000, A_IP, 1, B_IP, 2, SYN, 5, 0, 0);
	cap_tcp(c, 2000000, A_IP, 1, B_IP, 2, SYN, 5, 0, 0);
	assert_int_equal(ts_plot_pcap_parse(c->buf, c->len - 1, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].t_us, 1000000);
	assert_true(p[0].fi.ip && p[0].fi.l4);
	assert_int_equal(p[0].fi.tcp_seq, 5);
	free(p);
	/* A header and nothing else: no frames, no error. */
	assert_int_equal(ts_plot_pcap_parse(c->buf, TS_PCAP_HDR_LEN, &p, &n), 0);
	assert_int_equal(n, 0);
	free(p);
	free(c);
}

static void swap4(uint8_t *p)
{
	uint8_t t = p[0];

	p[0] = p[3];
	p[3] = t;
	t = p[1];
	p[1] = p[2];
	p[2] = t;
}

static void test_pcap_big_endian_nanosecond_file_reads_the_same(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_pkt *p;
	size_t n, off;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 3000001, A_IP, 1, B_IP, 2, SYN, 5, 0, 0);
	/* Rewrite it as a big-endian writer with nanoseconds would. */
	c->buf[0] = 0x4d;
	c->buf[1] = 0x3c;
	c->buf[2] = 0xb2;
	c->buf[3] = 0xa1;
	swap4(c->buf + 0);
	swap4(c->buf + 20);
	off = TS_PCAP_HDR_LEN;
	put32(c->buf + off + 4, 1000); /* 1000 ns */
	swap4(c->buf + off);
	swap4(c->buf + off + 8);
	swap4(c->buf + off + 12);
	/* the ns field was written big-endian above; the seconds swapped */
	assert_int_equal(ts_plot_pcap_parse(c->buf, c->len, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].t_us, 3000001);
	assert_int_equal(p[0].fi.sport, 1);
	free(p);
	free(c);
}

static void test_flow_handshake_labels_are_relative_across_wrap(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	/* ISNs near 2^32: relative numbers still start at 0. */
	cap_conn(c, 5000000, 0xfffffff0u, 0xffffffffu);
	flow_of(c, 0, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 8);
	assert_int_equal(f.ip[0], A_IP);
	assert_int_equal(f.port[1], 7000);
	assert_string_equal(label(&f, 0), "SYN seq=0");
	assert_string_equal(label(&f, 1), "SYN-ACK seq=0 ack=1");
	assert_string_equal(label(&f, 2), "ACK 1");
	assert_string_equal(label(&f, 3), "seq=1:101 ack=1");
	assert_string_equal(label(&f, 4), "ACK 101");
	assert_string_equal(label(&f, 5), "FIN seq=101 ack=1");
	assert_string_equal(label(&f, 6), "FIN seq=1 ack=102");
	assert_string_equal(label(&f, 7), "ACK 2");
	for (size_t i = 0; i < f.n; i++)
		assert_int_equal(f.seg[i].mark, 0);
	ts_plot_flow_free(&f);
	free(c);
}

static void test_flow_first_syn_sender_is_end_zero_and_port_picks_flow(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	/* Another connection first, then the one on port 7000, whose first
	 * captured frame is a stray ACK from the server. */
	cap_tcp(c, 10, A_IP, 50000, B_IP, 9, SYN, 1, 0, 0);
	cap_tcp(c, 20, B_IP, 7000, A_IP, 40000, ACK, 77, 5, 0);
	cap_tcp(c, 30, A_IP, 40000, B_IP, 7000, SYN, 1000, 0, 0);
	flow_of(c, 7000, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.ip[0], A_IP); /* the SYN's sender, not the first frame's */
	assert_int_equal(f.port[0], 40000);
	assert_int_equal(f.seg[0].dir, 1);
	ts_plot_flow_free(&f);
	/* No TCP frame with that port at all. */
	{
		struct ts_plot_pkt *p;
		size_t n;

		assert_int_equal(ts_plot_pcap_parse(c->buf, c->len, &p, &n), 0);
		assert_int_equal(ts_plot_flow_build(p, n, 81, &f), -ENOENT);
		free(p);
	}
	free(c);
}

static void test_syn_sent_twice_second_is_retrans(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 0, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 1000000, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 3000000, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 3000050, B_IP, 7000, A_IP, 40000, SYN | ACK, 9, 101, 0);
	flow_of(c, 7000, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.seg[0].mark, 0);
	assert_string_equal(label(&f, 1), "SYN seq=0 (retrans)");
	assert_int_equal(f.seg[2].mark, TS_PLOT_RETRANS);
	assert_int_equal(f.seg[3].mark, 0);
	ts_plot_flow_free(&f);
	free(c);
}

static void test_data_lost_three_dupacks_then_fast_retransmit(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;
	uint64_t t = 0;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, t++, A_IP, 40000, B_IP, 7000, SYN, 0, 0, 0);
	cap_tcp(c, t++, B_IP, 7000, A_IP, 40000, SYN | ACK, 0, 1, 0);
	cap_tcp(c, t++, A_IP, 40000, B_IP, 7000, ACK, 1, 1, 0);
	for (uint32_t k = 0; k < 5; k++)
		cap_tcp(c, t++, A_IP, 40000, B_IP, 7000, ACK, 1 + k * 100, 1, 100);
	/* The 2nd segment was lost: the receiver ACKs 101 four times. */
	for (int k = 0; k < 4; k++)
		cap_tcp(c, t++, B_IP, 7000, A_IP, 40000, ACK, 1, 101, 0);
	cap_tcp(c, t++, A_IP, 40000, B_IP, 7000, ACK, 101, 1, 100);
	cap_tcp(c, t++, B_IP, 7000, A_IP, 40000, ACK, 1, 501, 0);
	flow_of(c, 0, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 14);
	assert_string_equal(label(&f, 8), "ACK 101");
	assert_string_equal(label(&f, 9), "ACK 101 (dup)");
	assert_string_equal(label(&f, 10), "ACK 101 (dup)");
	assert_string_equal(label(&f, 11), "ACK 101 (dup)");
	assert_string_equal(label(&f, 12), "seq=101:201 ack=1 (retrans)");
	assert_string_equal(label(&f, 13), "ACK 501");
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(f.seg[i].mark, 0);
	ts_plot_flow_free(&f);
	free(c);
}

static void test_trace_drop_out_adds_lost_segment_and_in_marks_captured(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;
	char line[512];

	(void)state;
	assert_non_null(c);
	cap_init(c);
	/* The client's SYN came in and was dropped (captured anyway); the
	 * server's first SYN-ACK was dropped on the way out (not captured). */
	cap_tcp(c, 1000000, A_IP, 40000, B_IP, 7000, SYN, 500, 0, 0);
	cap_tcp(c, 2000000, A_IP, 40000, B_IP, 7000, SYN, 500, 0, 0);
	cap_tcp(c, 3000000, B_IP, 7000, A_IP, 40000, SYN | ACK, 900, 501, 0);
	cap_tcp(c, 3000100, A_IP, 40000, B_IP, 7000, ACK, 501, 901, 0);
	flow_of(c, 7000, &f);
	assert_int_equal(ts_plot_trace_line(&f, "{\"seq\":0,\"time_us\":1000003,\"kind\":"
						"\"fault\",\"msg\":\"rule 1 drop in tcp "
						"198.18.0.1:40000 > 198.18.0.2:7000 [S] seq "
						"500 ack 0 len 0\"}"),
			 1);
	assert_int_equal(ts_plot_trace_line(&f, "{\"seq\":1,\"time_us\":2000040,\"kind\":"
						"\"fault\",\"msg\":\"rule 2 drop out tcp "
						"198.18.0.2:7000 > 198.18.0.1:40000 [S.] seq "
						"900 ack 501 len 0\"}"),
			 1);
	/* Other flows, other kinds, other actions: ignored. */
	assert_int_equal(ts_plot_trace_line(&f, "{\"seq\":2,\"time_us\":5,\"kind\":\"fault\","
						"\"msg\":\"rule 2 drop out tcp 198.18.0.2:7001 "
						"> 198.18.0.1:40000 [S.] seq 9 ack 5 len 0\"}"),
			 0);
	assert_int_equal(ts_plot_trace_line(&f, "{\"seq\":3,\"time_us\":5,\"kind\":\"fault\","
						"\"msg\":\"rule 2 delay out tcp 198.18.0.2:7000 "
						"> 198.18.0.1:40000 [S.] seq 9 ack 5 len 0\"}"),
			 0);
	assert_int_equal(ts_plot_trace_line(&f, "{\"seq\":4,\"time_us\":5,\"kind\":\"drop\","
						"\"msg\":\"TcpInErrs +1\"}"),
			 0);
	assert_int_equal(ts_plot_trace_line(&f, "garbage"), 0);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 5);
	assert_string_equal(label(&f, 0), "SYN seq=0 (lost)");
	assert_int_equal(f.seg[0].mark, TS_PLOT_LOST);
	assert_string_equal(label(&f, 1), "SYN seq=0 (retrans)");
	assert_int_equal(f.seg[2].mark, TS_PLOT_LOST | TS_PLOT_NOCAP);
	assert_int_equal(f.seg[2].t_us, 2000040);
	assert_string_equal(label(&f, 2), "SYN-ACK seq=0 ack=1 (lost)");
	assert_string_equal(label(&f, 3), "SYN-ACK seq=0 ack=1 (retrans)");
	assert_string_equal(label(&f, 4), "ACK 1");
	snprintf(line, sizeof(line), "%s", label(&f, 4));
	ts_plot_flow_free(&f);
	free(c);
}

static void test_empty_capture_flow_comes_from_trace_drops(void **state)
{
	struct ts_plot_flow f;
	char line[256];

	(void)state;
	ts_plot_flow_empty(&f, 8007);
	/* Not the port asked for: ignored, the flow stays unset. */
	assert_int_equal(ts_plot_trace_line(&f, "{\"time_us\":1,\"kind\":\"fault\",\"msg\":"
						"\"rule 1 drop out tcp 198.18.0.2:5 > "
						"198.18.0.1:9 [S] seq 7 ack 0 len 0\"}"),
			 0);
	assert_true(f.unset);
	for (int k = 0; k < 3; k++) {
		snprintf(line, sizeof(line),
			 "{\"time_us\":%d,\"kind\":\"fault\",\"msg\":\"rule 1 drop out tcp "
			 "198.18.0.2:40000 > 198.18.0.1:8007 [S] seq 7 ack 0 len 0\"}",
			 100 + k * 50000);
		assert_int_equal(ts_plot_trace_line(&f, line), 1);
	}
	assert_false(f.unset);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.ip[0], B_IP);
	assert_int_equal(f.port[1], 8007);
	assert_string_equal(label(&f, 0), "SYN seq=0 (lost)");
	assert_string_equal(label(&f, 2), "SYN seq=0 (retrans) (lost)");
	assert_int_equal(f.seg[2].mark, TS_PLOT_RETRANS | TS_PLOT_LOST | TS_PLOT_NOCAP);
	ts_plot_flow_free(&f);
}

static void test_trace_reply_stamped_before_its_cause_moves_after_it(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 1000002, A_IP, 40000, B_IP, 7000, SYN, 500, 0, 0);
	cap_tcp(c, 1050000, B_IP, 7000, A_IP, 40000, SYN | ACK, 900, 501, 0);
	flow_of(c, 7000, &f);
	/* The engine's run started at 1000000, before the SYN was stamped. */
	assert_int_equal(ts_plot_trace_line(&f, "{\"time_us\":1000000,\"kind\":\"fault\","
						"\"msg\":\"rule 1 drop out tcp 198.18.0.2:7000 > "
						"198.18.0.1:40000 [S.] seq 900 ack 501 len 0\"}"),
			 1);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 3);
	assert_string_equal(label(&f, 0), "SYN seq=0");
	assert_string_equal(label(&f, 1), "SYN-ACK seq=0 ack=1 (lost)");
	assert_int_equal(f.seg[1].t_us, 1000003);
	assert_string_equal(label(&f, 2), "SYN-ACK seq=0 ack=1 (retrans)");
	ts_plot_flow_free(&f);
	free(c);
}

static void test_trace_drop_of_first_send_stamped_late_goes_behind_predecessor(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 100, A_IP, 40000, B_IP, 7000, ACK, 1, 1, 100);
	cap_tcp(c, 110, A_IP, 40000, B_IP, 7000, ACK, 201, 1, 100);
	cap_tcp(c, 150, B_IP, 7000, A_IP, 40000, ACK, 1, 101, 0);
	cap_tcp(c, 300, A_IP, 40000, B_IP, 7000, ACK, 101, 1, 100);
	flow_of(c, 0, &f);
	/* 101:201 dropped on the way out; the trace says 90, before 1:101
	 * was captured.  A second drop of the same range later stays put. */
	assert_int_equal(ts_plot_trace_line(&f, "{\"time_us\":90,\"kind\":\"fault\","
						"\"msg\":\"rule 1 drop out tcp 198.18.0.1:40000 > "
						"198.18.0.2:7000 [.] seq 101 ack 1 len 100\"}"),
			 1);
	assert_int_equal(ts_plot_trace_line(&f, "{\"time_us\":200,\"kind\":\"fault\","
						"\"msg\":\"rule 2 drop out tcp 198.18.0.1:40000 > "
						"198.18.0.2:7000 [.] seq 101 ack 1 len 100\"}"),
			 1);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 6);
	/* No SYN: each side's first sequence number is its zero. */
	assert_string_equal(label(&f, 0), "seq=0:100 ack=0");
	assert_string_equal(label(&f, 1), "seq=100:200 ack=0 (lost)");
	assert_int_equal(f.seg[1].t_us, 101);
	assert_string_equal(label(&f, 2), "seq=200:300 ack=0");
	assert_string_equal(label(&f, 3), "ACK 100");
	assert_string_equal(label(&f, 4), "seq=100:200 ack=0 (retrans) (lost)");
	assert_string_equal(label(&f, 5), "seq=100:200 ack=0 (retrans)");
	ts_plot_flow_free(&f);
	free(c);
}

static void test_new_syn_on_same_tuple_restarts_relative_numbers(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_conn(c, 0, 1000, 2000);
	cap_conn(c, 10000, 5000000, 7000000);
	flow_of(c, 0, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 16);
	assert_string_equal(label(&f, 8), "SYN seq=0");
	assert_string_equal(label(&f, 9), "SYN-ACK seq=0 ack=1");
	assert_string_equal(label(&f, 11), "seq=1:101 ack=1");
	for (size_t i = 0; i < f.n; i++)
		assert_int_equal(f.seg[i].mark, 0);
	ts_plot_flow_free(&f);
	free(c);
}

static void test_syn_on_established_tuple_draws_challenge_ack(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 0, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 1, B_IP, 7000, A_IP, 40000, SYN | ACK, 900, 101, 0);
	cap_tcp(c, 2, A_IP, 40000, B_IP, 7000, ACK, 101, 901, 0);
	/* The client comes back with a new ISN; the server challenges. */
	cap_tcp(c, 10, A_IP, 40000, B_IP, 7000, SYN, 5000, 0, 0);
	cap_tcp(c, 11, B_IP, 7000, A_IP, 40000, ACK, 901, 101, 0);
	cap_tcp(c, 12, A_IP, 40000, B_IP, 7000, RST, 101, 0, 0);
	flow_of(c, 0, &f);
	ts_plot_flow_finish(&f);
	assert_int_equal(f.n, 6);
	assert_string_equal(label(&f, 3), "SYN seq=0");
	assert_string_equal(label(&f, 4), "challenge ACK");
	assert_int_equal(f.seg[4].mark, TS_PLOT_CHALLENGE);
	assert_string_equal(label(&f, 5), "RST (seq = the challenge's ack)");
	assert_int_equal(f.seg[5].mark, TS_PLOT_CHALRST);
	/* An ordinary ACK after a SYN-ACK is no challenge. */
	assert_int_equal(f.seg[2].mark, 0);
	ts_plot_flow_free(&f);
	free(c);
}

static void test_rst_label_and_rst_is_never_retrans(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 0, A_IP, 40000, B_IP, 7000, SYN, 10, 0, 0);
	cap_tcp(c, 5, B_IP, 7000, A_IP, 40000, RST | ACK, 0, 11, 0);
	cap_tcp(c, 9, B_IP, 7000, A_IP, 40000, RST | ACK, 0, 11, 0);
	flow_of(c, 0, &f);
	ts_plot_flow_finish(&f);
	assert_string_equal(label(&f, 1), "RST seq=0 ack=1");
	assert_string_equal(label(&f, 2), "RST seq=0 ack=1");
	ts_plot_flow_free(&f);
	free(c);
}

static char *render(const struct ts_plot_flow *f, int svg, double scale)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	if (svg)
		ts_plot_svg(f, m, "syn <lost> & \"x\"", scale);
	else
		ts_plot_text(f, m, scale);
	fclose(m);
	return out;
}

static void test_render_text_and_svg_show_arrows_marks_and_scale(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	struct ts_plot_flow f;
	char *t, *s;

	(void)state;
	assert_non_null(c);
	cap_init(c);
	cap_tcp(c, 0, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 100000, A_IP, 40000, B_IP, 7000, SYN, 100, 0, 0);
	cap_tcp(c, 100050, B_IP, 7000, A_IP, 40000, SYN | ACK, 9, 101, 0);
	flow_of(c, 7000, &f);
	f.seg[0].mark = TS_PLOT_LOST; /* as a trace would have said */
	ts_plot_flow_finish(&f);
	t = render(&f, 0, 10);
	assert_non_null(strstr(t, "198.18.0.1:40000"));
	assert_non_null(strstr(t, "198.18.0.2:7000"));
	assert_non_null(strstr(t, "unscaled"));
	assert_non_null(strstr(t, " SYN seq=0 (lost) "));
	assert_non_null(strstr(t, "X  |")); /* lost: no arrowhead */
	assert_non_null(strstr(t, " SYN seq=0 (retrans) ---"));
	assert_non_null(strstr(t, "->|"));		     /* towards end 1 */
	assert_non_null(strstr(t, "|<-"));		     /* towards end 0 */
	assert_non_null(strstr(t, "  0.100000   1.000000")); /* 0.1 s, x10 */
	free(t);
	s = render(&f, 1, 1);
	assert_non_null(strstr(s, "<svg "));
	assert_non_null(strstr(s, "</svg>"));
	assert_non_null(strstr(s, "syn &lt;lost&gt; &amp; &quot;x&quot;"));
	assert_non_null(strstr(s, ">SYN seq=0 (retrans)</text>"));
	assert_non_null(strstr(s, ">SYN-ACK seq=0 ack=1</text>"));
	assert_non_null(strstr(s, "stroke-dasharray=\"6,4\"")); /* the lost one */
	assert_null(strstr(s, "unscaled"));
	free(s);
	ts_plot_flow_free(&f);
	free(c);
}

/* Mutated captures and trace lines: parsed, numbered and drawn without
 * reading out of bounds (ASan/UBSan run this too). */
static void test_mutated_pcaps_and_traces_never_crash(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));
	uint8_t *m = malloc(sizeof(c->buf));
	uint32_t rnd = 12345;
	int built = 0;

	(void)state;
	assert_non_null(c);
	assert_non_null(m);
	cap_init(c);
	cap_conn(c, 1000, 7, 9);
	cap_tcp(c, 5000, A_IP, 40000, B_IP, 7000, ACK, 8, 10, 300);
	for (int it = 0; it < 3000; it++) {
		struct ts_plot_pkt *p;
		struct ts_plot_flow f;
		size_t n, len = c->len;
		char line[200];
		FILE *devnull;

		memcpy(m, c->buf, c->len);
		for (int k = 0; k < 1 + it % 8; k++) {
			rnd = rnd * 1103515245u + 12345u;
			m[TS_PCAP_HDR_LEN + (rnd >> 8) % (c->len - TS_PCAP_HDR_LEN)] ^=
			    (uint8_t)(1u << (rnd >> 4) % 8);
		}
		rnd = rnd * 1103515245u + 12345u;
		if (it % 5 == 0)
			len = TS_PCAP_HDR_LEN + (rnd >> 8) % (c->len - TS_PCAP_HDR_LEN);
		if (ts_plot_pcap_parse(m, len, &p, &n) < 0)
			continue;
		if (ts_plot_flow_build(p, n, 0, &f) == 0) {
			snprintf(line, sizeof(line),
				 "{\"time_us\":%u,\"kind\":\"fault\",\"msg\":\"rule 1 drop out tcp "
				 "198.18.0.1:40000 > 198.18.0.2:7000 [%s] seq %u ack %u len %u\"}",
				 rnd % 9000, (rnd & 1) ? "S" : "F.", rnd % 50, rnd % 20, rnd % 400);
			assert_true(ts_plot_trace_line(&f, line) >= 0);
			ts_plot_flow_finish(&f);
			devnull = fopen("/dev/null", "w");
			assert_non_null(devnull);
			ts_plot_text(&f, devnull, 20);
			ts_plot_svg(&f, devnull, "t", 20);
			fclose(devnull);
			ts_plot_flow_free(&f);
			built++;
		}
		free(p);
	}
	assert_true(built > 100);
	free(m);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pcap_bad_magic_short_and_link_type_are_refused,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_pcap_truncated_record_ends_the_list, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_pcap_big_endian_nanosecond_file_reads_the_same,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_flow_handshake_labels_are_relative_across_wrap,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(
		test_flow_first_syn_sender_is_end_zero_and_port_picks_flow, live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_syn_sent_twice_second_is_retrans, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_data_lost_three_dupacks_then_fast_retransmit,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(
		test_trace_drop_out_adds_lost_segment_and_in_marks_captured, live_setup,
		live_check),
	    cmocka_unit_test_setup_teardown(test_empty_capture_flow_comes_from_trace_drops,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(
		test_trace_reply_stamped_before_its_cause_moves_after_it, live_setup, live_check),
	    cmocka_unit_test_setup_teardown(
		test_trace_drop_of_first_send_stamped_late_goes_behind_predecessor, live_setup,
		live_check),
	    cmocka_unit_test_setup_teardown(test_new_syn_on_same_tuple_restarts_relative_numbers,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_syn_on_established_tuple_draws_challenge_ack,
					    live_setup, live_check),
	    cmocka_unit_test_setup_teardown(test_rst_label_and_rst_is_never_retrans, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_mutated_pcaps_and_traces_never_crash, live_setup,
					    live_check),
	    cmocka_unit_test_setup_teardown(test_render_text_and_svg_show_arrows_marks_and_scale,
					    live_setup, live_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
