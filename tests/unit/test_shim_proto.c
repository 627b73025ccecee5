/* The socket-op bodies and the data-channel header against truncated and
 * malformed input, and the shim's Linux-ordered argument checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "chan.h"
#include "ctl_proto.h"
#include "pktbuf.h"
#include "shim.h"

static struct ts_ctl_sock_req sample_req(void)
{
	struct ts_ctl_sock_req m;

	memset(&m, 0, sizeof(m));
	m.type = SOCK_DGRAM;
	m.proto = IPPROTO_UDP;
	m.flag = 1;
	m.addr = 0xc6120002u;
	m.port = 5353;
	m.level = SOL_SOCKET;
	m.name = SO_RCVBUF;
	m.optlen = 4;
	m.n = 4;
	memcpy(m.opt, "\x00\x10\x00\x00", 4);
	return m;
}

static void test_req_roundtrip_and_every_truncation_fails(void **state)
{
	long live = ts_pkt_live();
	struct ts_ctl_sock_req m = sample_req(), out;
	uint8_t buf[600];
	struct ts_ctl_wr w;

	ts_ctl_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ts_ctl_sock_req_encode(&w, &m), 0);
	assert_int_equal(ts_ctl_sock_req_decode(buf, w.len, &out), 0);
	assert_int_equal(out.addr, m.addr);
	assert_int_equal(out.port, m.port);
	assert_int_equal(out.level, SOL_SOCKET);
	assert_int_equal(out.name, SO_RCVBUF);
	assert_int_equal(out.n, 4);
	assert_memory_equal(out.opt, m.opt, 4);
	for (size_t cut = 0; cut < w.len; cut++)
		assert_int_equal(ts_ctl_sock_req_decode(buf, cut, &out), -EBADMSG);
	/* Trailing garbage is malformed too. */
	buf[w.len] = 0;
	assert_int_equal(ts_ctl_sock_req_decode(buf, w.len + 1, &out), -EBADMSG);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_req_option_length_above_max_is_rejected(void **state)
{
	struct ts_ctl_sock_req m = sample_req(), out;
	uint8_t buf[600];
	struct ts_ctl_wr w;
	size_t off_n = 1 + 1 + 1 + 4 + 2 + 4 + 4 + 4;

	ts_ctl_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ts_ctl_sock_req_encode(&w, &m), 0);
	/* Claim 300 option bytes (little-endian u16). */
	buf[off_n] = 300 & 0xff;
	buf[off_n + 1] = 300 >> 8;
	assert_int_equal(ts_ctl_sock_req_decode(buf, w.len, &out), -EBADMSG);
	m.n = TS_CHAN_MAX_OPT + 1;
	ts_ctl_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ts_ctl_sock_req_encode(&w, &m), -EMSGSIZE);
	/* A writer without room reports it. */
	m = sample_req();
	ts_ctl_wr_init(&w, buf, 10);
	assert_int_equal(ts_ctl_sock_req_encode(&w, &m), -EMSGSIZE);
}

static void test_rep_roundtrip_and_truncations_fail(void **state)
{
	struct ts_ctl_sock_rep m, out;
	uint8_t buf[600];
	struct ts_ctl_wr w;

	memset(&m, 0, sizeof(m));
	m.addr = 0x7f000001u;
	m.port = 40000;
	m.id = 0x1122334455667788ull;
	m.n = 2;
	m.opt[0] = 7;
	m.opt[1] = 9;
	ts_ctl_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ts_ctl_sock_rep_encode(&w, &m), 0);
	assert_int_equal(ts_ctl_sock_rep_decode(buf, w.len, &out), 0);
	assert_int_equal(out.id, m.id);
	assert_int_equal(out.port, 40000);
	assert_int_equal(out.opt[1], 9);
	for (size_t cut = 0; cut < w.len; cut++)
		assert_int_equal(ts_ctl_sock_rep_decode(buf, cut, &out), -EBADMSG);
}

static void test_chan_hdr_roundtrip_short_and_unknown_kind(void **state)
{
	struct ts_chan_hdr h = {.kind = TS_CHAN_ERROR, .flags = TS_CHAN_F_DST, .port = 53,
				.addr = 0xc6120001u, .err = ECONNREFUSED, .dst = 0xc6120002u,
				.ttl = 63, .tos = 0x28},
			   out;
	uint8_t b[TS_CHAN_HDR_LEN];

	ts_chan_hdr_encode(&h, b);
	assert_int_equal(ts_chan_hdr_decode(b, sizeof(b), &out), 0);
	assert_int_equal(out.kind, TS_CHAN_ERROR);
	assert_int_equal(out.err, ECONNREFUSED);
	assert_int_equal(out.addr, 0xc6120001u);
	assert_int_equal(out.port, 53);
	assert_int_equal(out.dst, 0xc6120002u);
	assert_int_equal(out.ttl, 63);
	assert_int_equal(out.tos, 0x28);
	/* Port and address are big-endian on the channel. */
	assert_int_equal(b[2], 0);
	assert_int_equal(b[3], 53);
	assert_int_equal(b[4], 0xc6);
	assert_int_equal(ts_chan_hdr_decode(b, sizeof(b) - 1, &out), -EBADMSG);
	b[0] = 9;
	assert_int_equal(ts_chan_hdr_decode(b, sizeof(b), &out), -EBADMSG);
	assert_int_equal(ts_chan_hdr_decode(NULL, 0, &out), -EBADMSG);
}

static void test_ctl_header_of_sock_op_with_bad_version_is_eproto(void **state)
{
	uint8_t buf[TS_CTL_HDR_LEN + 8];
	struct ts_ctl_hdr h;
	int n = ts_ctl_msg_build(buf, sizeof(buf), TS_CTL_OP_SOCK_BIND, 7, 0, "abcdefgh", 8);

	assert_int_equal(n, TS_CTL_HDR_LEN + 8);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), 0);
	assert_int_equal(h.op, TS_CTL_OP_SOCK_BIND);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n - 1, &h), -EBADMSG);
	buf[4] = TS_CTL_VERSION + 1;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), -EPROTO);
}

static struct sockaddr_in sin_of(int fam, const char *ip, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = (sa_family_t)fam;
	s.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static void test_parse_addr_errors_in_linux_order(void **state)
{
	struct sockaddr_in s = sin_of(AF_INET, "198.18.0.2", 9);
	uint32_t a;
	uint16_t p;

	assert_int_equal(ts_shim_parse_addr('b', &s, sizeof(s), &a, &p), 0);
	assert_int_equal(a, 0xc6120002u);
	assert_int_equal(p, 9);
	assert_int_equal(ts_shim_parse_addr('b', &s, sizeof(s) - 1, &a, &p), -EINVAL);
	assert_int_equal(ts_shim_parse_addr('b', &s, 1, &a, &p), -EINVAL);
	s.sin_family = AF_INET6;
	assert_int_equal(ts_shim_parse_addr('b', &s, sizeof(s), &a, &p), -EAFNOSUPPORT);
	assert_int_equal(ts_shim_parse_addr('c', &s, sizeof(s), &a, &p), -EAFNOSUPPORT);
	assert_int_equal(ts_shim_parse_addr('s', &s, sizeof(s), &a, &p), -EAFNOSUPPORT);
	/* bind: AF_UNSPEC only with INADDR_ANY. */
	s = sin_of(AF_UNSPEC, "0.0.0.0", 9);
	assert_int_equal(ts_shim_parse_addr('b', &s, sizeof(s), &a, &p), 0);
	s = sin_of(AF_UNSPEC, "198.18.0.2", 9);
	assert_int_equal(ts_shim_parse_addr('b', &s, sizeof(s), &a, &p), -EAFNOSUPPORT);
	/* sendto: port 0 is EINVAL. */
	s = sin_of(AF_INET, "198.18.0.1", 0);
	assert_int_equal(ts_shim_parse_addr('s', &s, sizeof(s), &a, &p), -EINVAL);
}

static void test_check_send_errors_in_linux_order(void **state)
{
	struct ts_shim_engine e = {.addr = 0xc6120002u, .mask = 0xffffff00u, .have_dev = 1};
	struct ts_shim_sock s = {.type = SOCK_DGRAM, .bound = 1};

	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc6120001u, 9, 10, 0), 0);
	assert_int_equal(ts_shim_check_send(&e, &s, 0, 0, 0, 10, 0), -EDESTADDRREQ);
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc6120001u, 9, 65536, 0), -EMSGSIZE);
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc6120001u, 9, 65508, 0), -EMSGSIZE);
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc6120001u, 9, 65507, 0), 0);
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc6120001u, 9, 1, MSG_OOB), -EOPNOTSUPP);
	/* No gateway: off-link is unreachable. */
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0x0a000001u, 9, 1, 0), -ENETUNREACH);
	e.gw = 0xc6120001u;
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0x0a000001u, 9, 1, 0), 0);
	/* Broadcast needs SO_BROADCAST; EACCES comes before EMSGSIZE. */
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xc61200ffu, 9, 1, 0), -EACCES);
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xffffffffu, 9, 65508, 0), -EACCES);
	s.broadcast = 1;
	assert_int_equal(ts_shim_check_send(&e, &s, 1, 0xffffffffu, 9, 1, 0), 0);
	s.connected = 1;
	s.peer_addr = 0x7f000001u;
	s.peer_port = 7;
	assert_int_equal(ts_shim_check_send(&e, &s, 0, 0, 0, 10, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip_and_every_truncation_fails),
		cmocka_unit_test(test_req_option_length_above_max_is_rejected),
		cmocka_unit_test(test_rep_roundtrip_and_truncations_fail),
		cmocka_unit_test(test_chan_hdr_roundtrip_short_and_unknown_kind),
		cmocka_unit_test(test_ctl_header_of_sock_op_with_bad_version_is_eproto),
		cmocka_unit_test(test_parse_addr_errors_in_linux_order),
		cmocka_unit_test(test_check_send_errors_in_linux_order),
	};

	return cmocka_run_group_tests_name("shim_proto", tests, NULL, NULL);
}
