/* Control protocol encoder/decoder: round trips, and every truncated or
 * malformed message refused with an error code (never a crash, never a
 * read past the buffer: the ASan build runs these too). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ctl_proto.h"
#include "pktbuf.h"

static int build_hello_rep(uint8_t *msg, size_t cap)
{
	uint8_t body[256];
	struct ts_ctl_wr w;
	struct ts_ctl_hello_rep m = {
		.addr = 0xc6120002,
		.prefix_len = 24,
		.gw = 0xc6120001,
		.mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55},
		.mtu = 1500,
		.ifname = "tap0",
		.daemon_pid = 4242,
	};

	ts_ctl_wr_init(&w, body, sizeof(body));
	assert_int_equal(ts_ctl_hello_rep_encode(&w, &m), 0);
	return ts_ctl_msg_build(msg, cap, TS_CTL_OP_HELLO, 7, 0, body, w.len);
}

static void test_hdr_roundtrip_keeps_every_field(void **state)
{
	long live = ts_pkt_live();
	uint8_t buf[TS_CTL_HDR_LEN + 3];
	struct ts_ctl_hdr h;
	int n = ts_ctl_msg_build(buf, sizeof(buf), TS_CTL_OP_SYSCTL_SET, 0xdeadbeef, -ENOENT,
				 "abc", 3);

	assert_int_equal(n, TS_CTL_HDR_LEN + 3);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), 0);
	assert_int_equal(h.magic, TS_CTL_MAGIC);
	assert_int_equal(h.version, TS_CTL_VERSION);
	assert_int_equal(h.op, TS_CTL_OP_SYSCTL_SET);
	assert_int_equal(h.id, 0xdeadbeef);
	assert_int_equal(h.result, -ENOENT);
	assert_int_equal(h.len, 3);
	assert_memory_equal(buf + TS_CTL_HDR_LEN, "abc", 3);
	/* Little-endian on the wire: the magic reads "TSCK". */
	assert_memory_equal(buf, "TSCK", 4);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hdr_truncated_is_badmsg(void **state)
{
	long live = ts_pkt_live();
	uint8_t buf[TS_CTL_HDR_LEN + 8];
	struct ts_ctl_hdr h;
	int n = ts_ctl_msg_build(buf, sizeof(buf), TS_CTL_OP_STAT, 1, 0, "12345678", 8);

	assert_int_equal(n, TS_CTL_HDR_LEN + 8);
	/* Every shorter prefix is refused: the header's len no longer
	 * matches what arrived. */
	for (int i = 0; i < n; i++)
		assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)i, &h), -EBADMSG);
	assert_int_equal(ts_ctl_hdr_decode(NULL, 0, &h), -EBADMSG);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hdr_bad_magic_len_or_result_is_badmsg(void **state)
{
	long live = ts_pkt_live();
	uint8_t buf[TS_CTL_HDR_LEN + 4];
	struct ts_ctl_hdr h;
	int n = ts_ctl_msg_build(buf, sizeof(buf), TS_CTL_OP_STAT, 1, 0, "wxyz", 4);

	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), 0);
	buf[0] ^= 1;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EBADMSG);
	buf[0] ^= 1;
	/* Declared length longer, then shorter, than the message. */
	buf[16] = 5;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EBADMSG);
	buf[16] = 3;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EBADMSG);
	/* Huge declared length. */
	buf[16] = 4;
	buf[19] = 0x80;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EBADMSG);
	buf[19] = 0;
	/* A positive result is not a result. */
	buf[12] = 1;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EBADMSG);
	buf[12] = 0;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), 0);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hdr_other_version_is_eproto_with_id(void **state)
{
	long live = ts_pkt_live();
	uint8_t buf[TS_CTL_HDR_LEN];
	uint8_t rep[TS_CTL_HDR_LEN];
	struct ts_ctl_hdr h, r;
	int n = ts_ctl_msg_build(buf, sizeof(buf), TS_CTL_OP_HELLO, 99, 0, NULL, 0);

	buf[4] = TS_CTL_VERSION + 1;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EPROTO);
	assert_int_equal(h.version, TS_CTL_VERSION + 1);
	assert_int_equal(h.id, 99);
	assert_int_equal(ts_ctl_version_error(rep, &h), TS_CTL_HDR_LEN);
	assert_int_equal(ts_ctl_hdr_decode(rep, sizeof(rep), &r), 0);
	assert_int_equal(r.result, -EPROTO);
	assert_int_equal(r.id, 99);
	assert_int_equal(r.op, TS_CTL_OP_HELLO);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_msg_build_too_big_is_emsgsize(void **state)
{
	long live = ts_pkt_live();
	uint8_t buf[TS_CTL_HDR_LEN + 2];

	assert_int_equal(ts_ctl_msg_build(buf, sizeof(buf), 1, 1, 0, "abc", 3), -EMSGSIZE);
	assert_int_equal(ts_ctl_msg_build(buf, 10, 1, 1, 0, NULL, 0), -EMSGSIZE);
	assert_int_equal(ts_ctl_msg_build(buf, sizeof(buf), 0x10000, 1, 0, NULL, 0), -EMSGSIZE);
	/* Any u16 op can be echoed in a reply, known or not. */
	assert_int_equal(ts_ctl_msg_build(buf, sizeof(buf), 0xffff, 1, -EOPNOTSUPP, NULL, 0),
			 TS_CTL_HDR_LEN);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hello_rep_roundtrip(void **state)
{
	long live = ts_pkt_live();
	uint8_t msg[512];
	struct ts_ctl_hdr h;
	struct ts_ctl_hello_rep m;
	int n = build_hello_rep(msg, sizeof(msg));

	assert_true(n > TS_CTL_HDR_LEN);
	assert_int_equal(ts_ctl_hdr_decode(msg, (size_t)n, &h), 0);
	assert_int_equal(ts_ctl_hello_rep_decode(msg + TS_CTL_HDR_LEN, h.len, &m), 0);
	assert_int_equal(m.addr, 0xc6120002);
	assert_int_equal(m.prefix_len, 24);
	assert_int_equal(m.gw, 0xc6120001);
	assert_memory_equal(m.mac, "\x02\x11\x22\x33\x44\x55", 6);
	assert_int_equal(m.mtu, 1500);
	assert_string_equal(m.ifname, "tap0");
	assert_int_equal(m.daemon_pid, 4242);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hello_rep_truncated_or_padded_is_badmsg(void **state)
{
	long live = ts_pkt_live();
	uint8_t msg[512];
	struct ts_ctl_hello_rep m;
	int n = build_hello_rep(msg, sizeof(msg));
	size_t blen = (size_t)n - TS_CTL_HDR_LEN;
	uint8_t *body = malloc(blen + 1);

	assert_non_null(body);
	/* Each truncation in its own exact-size allocation, so ASan sees a
	 * read past the end. */
	for (size_t i = 0; i < blen; i++) {
		uint8_t *cut = malloc(i ? i : 1);

		assert_non_null(cut);
		memcpy(cut, msg + TS_CTL_HDR_LEN, i);
		assert_int_equal(ts_ctl_hello_rep_decode(cut, i, &m), -EBADMSG);
		free(cut);
	}
	memcpy(body, msg + TS_CTL_HDR_LEN, blen);
	body[blen] = 0;
	assert_int_equal(ts_ctl_hello_rep_decode(body, blen + 1, &m), -EBADMSG);
	assert_int_equal(ts_ctl_hello_rep_decode(body, blen, &m), 0);
	/* A prefix length above 32. */
	body[4] = 33;
	assert_int_equal(ts_ctl_hello_rep_decode(body, blen, &m), -EBADMSG);
	free(body);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_str_too_long_for_buffer_is_error(void **state)
{
	long live = ts_pkt_live();
	uint8_t body[64];
	struct ts_ctl_wr w;
	struct ts_ctl_rd r;
	char small[4], ok[8];

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "tcp_sack");
	assert_int_equal(w.err, 0);
	ts_ctl_rd_init(&r, body, w.len);
	ts_ctl_get_str(&r, small, sizeof(small));
	assert_int_equal(r.err, 1);
	assert_string_equal(small, "");
	assert_int_equal(ts_ctl_rd_end(&r), -EBADMSG);
	/* The NUL needs room too: 8 chars do not fit in 8 bytes. */
	ts_ctl_rd_init(&r, body, w.len);
	ts_ctl_get_str(&r, ok, sizeof(ok));
	assert_int_equal(ts_ctl_rd_end(&r), -EBADMSG);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_str_with_nul_or_length_past_end_is_error(void **state)
{
	long live = ts_pkt_live();
	const uint8_t nul[] = {3, 0, 'a', 0, 'b'};
	const uint8_t past[] = {200, 0, 'a', 'b'};
	const uint8_t huge[] = {0xff, 0xff, 'a'};
	struct ts_ctl_rd r;
	char s[64];

	ts_ctl_rd_init(&r, nul, sizeof(nul));
	ts_ctl_get_str(&r, s, sizeof(s));
	assert_int_equal(ts_ctl_rd_end(&r), -EBADMSG);
	ts_ctl_rd_init(&r, past, sizeof(past));
	ts_ctl_get_str(&r, s, sizeof(s));
	assert_int_equal(ts_ctl_rd_end(&r), -EBADMSG);
	ts_ctl_rd_init(&r, huge, sizeof(huge));
	ts_ctl_get_str(&r, s, sizeof(s));
	assert_int_equal(ts_ctl_rd_end(&r), -EBADMSG);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_writer_overflow_sets_err_and_stops(void **state)
{
	long live = ts_pkt_live();
	uint8_t body[10];
	struct ts_ctl_wr w;
	char big[TS_CTL_MAX_STR + 2];

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_u64(&w, 1);
	ts_ctl_put_u32(&w, 2);
	assert_int_equal(w.err, 1);
	assert_int_equal(w.len, 8);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, big);
	assert_int_equal(w.err, 1);
	assert_int_equal(w.len, 0);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_stat_and_sysctl_lists_roundtrip(void **state)
{
	long live = ts_pkt_live();
	uint8_t body[256];
	struct ts_ctl_wr w;
	struct ts_ctl_rd r;
	char name[64], val[64];
	uint64_t v;

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_u32(&w, 2);
	ts_ctl_put_str(&w, "IcmpInEchos");
	ts_ctl_put_u64(&w, 0x100000005ull);
	ts_ctl_put_str(&w, "IcmpOutEchoReps");
	ts_ctl_put_u64(&w, 5);
	assert_int_equal(w.err, 0);
	ts_ctl_rd_init(&r, body, w.len);
	assert_int_equal(ts_ctl_get_u32(&r), 2);
	assert_int_equal(ts_ctl_stat_next(&r, name, sizeof(name), &v), 0);
	assert_string_equal(name, "IcmpInEchos");
	assert_int_equal(v, 0x100000005ull);
	assert_int_equal(ts_ctl_stat_next(&r, name, sizeof(name), &v), 0);
	assert_string_equal(name, "IcmpOutEchoReps");
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	/* One entry more than there is. */
	assert_int_equal(ts_ctl_stat_next(&r, name, sizeof(name), &v), -EBADMSG);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "net.ipv4.ip_local_port_range");
	ts_ctl_put_str(&w, "32768\t60999");
	ts_ctl_rd_init(&r, body, w.len);
	assert_int_equal(ts_ctl_sysctl_next(&r, name, sizeof(name), val, sizeof(val)), 0);
	assert_string_equal(name, "net.ipv4.ip_local_port_range");
	assert_string_equal(val, "32768\t60999");
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	/* Truncated in the middle of the value. */
	ts_ctl_rd_init(&r, body, w.len - 3);
	assert_int_equal(ts_ctl_sysctl_next(&r, name, sizeof(name), val, sizeof(val)),
			 -EBADMSG);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_hello_req_roundtrip_and_garbage(void **state)
{
	long live = ts_pkt_live();
	uint8_t body[128];
	struct ts_ctl_wr w;
	struct ts_ctl_hello_req in = {.client = "tapsock", .pid = 77}, out;
	uint8_t junk[64];

	ts_ctl_wr_init(&w, body, sizeof(body));
	assert_int_equal(ts_ctl_hello_req_encode(&w, &in), 0);
	assert_int_equal(ts_ctl_hello_req_decode(body, w.len, &out), 0);
	assert_string_equal(out.client, "tapsock");
	assert_int_equal(out.pid, 77);
	/* Pseudo-random garbage bodies decode to an error or to something
	 * consistent, never past the buffer. */
	srand(1);
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(junk));
		int r;

		for (size_t j = 0; j < n; j++)
			junk[j] = (uint8_t)rand();
		r = ts_ctl_hello_req_decode(junk, n, &out);
		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0)
			assert_true(strlen(out.client) < sizeof(out.client));
	}
	assert_int_equal(ts_pkt_live(), live);
}

/* The client helpers over a real SOCK_SEQPACKET pair: message boundaries,
 * fds passed with SCM_RIGHTS, truncation detected, EOF reported. */
static void test_send_recv_pass_fds_and_detect_truncation(void **state)
{
	long live = ts_pkt_live();
	int sv[2], pfd[2], got[TS_CTL_MAX_FDS], ngot = -1;
	uint8_t msg[64], in[64];
	int n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(pfd), 0);
	n = ts_ctl_msg_build(msg, sizeof(msg), TS_CTL_OP_HELLO, 5, 0, "hi", 2);
	assert_int_equal(ts_ctl_send(sv[0], msg, (size_t)n, &pfd[1], 1), 0);
	assert_int_equal(ts_ctl_recv(sv[1], in, sizeof(in), got, &ngot), n);
	assert_int_equal(ngot, 1);
	assert_int_equal(write(got[0], "x", 1), 1);
	assert_int_equal(read(pfd[0], in, 1), 1);
	assert_int_equal(in[0], 'x');
	close(got[0]);
	/* Too small a buffer: the message is refused, not half-read. */
	assert_int_equal(ts_ctl_send(sv[0], msg, (size_t)n, NULL, 0), 0);
	assert_int_equal(ts_ctl_recv(sv[1], in, 8, NULL, NULL), -EMSGSIZE);
	assert_int_equal(ts_ctl_send(sv[0], msg, (size_t)n, NULL, 5), -EINVAL);
	close(sv[0]);
	assert_int_equal(ts_ctl_recv(sv[1], in, sizeof(in), NULL, NULL), -ECONNRESET);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	assert_int_equal(ts_ctl_connect("/nonexistent/tapsock.sock", 100), -ENOENT);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_roundtrip_keeps_every_field),
		cmocka_unit_test(test_hdr_truncated_is_badmsg),
		cmocka_unit_test(test_hdr_bad_magic_len_or_result_is_badmsg),
		cmocka_unit_test(test_hdr_other_version_is_eproto_with_id),
		cmocka_unit_test(test_msg_build_too_big_is_emsgsize),
		cmocka_unit_test(test_hello_rep_roundtrip),
		cmocka_unit_test(test_hello_rep_truncated_or_padded_is_badmsg),
		cmocka_unit_test(test_str_too_long_for_buffer_is_error),
		cmocka_unit_test(test_str_with_nul_or_length_past_end_is_error),
		cmocka_unit_test(test_writer_overflow_sets_err_and_stops),
		cmocka_unit_test(test_stat_and_sysctl_lists_roundtrip),
		cmocka_unit_test(test_hello_req_roundtrip_and_garbage),
		cmocka_unit_test(test_send_recv_pass_fds_and_detect_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
