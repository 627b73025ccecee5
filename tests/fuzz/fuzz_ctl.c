/* libFuzzer target for the control protocol's decoders: every input is
 * one control message as the daemon, the CLI or the shim would receive
 * it.  The header is decoded (core/ctl_proto.c), then the body by its op
 * the way the daemon's handlers and the CLI read it: HELLO, STAT and
 * SYSCTL lists, fault rules (core/fault.c), capture filters and pcap
 * records (core/capture.c), trace streams, the socket-op bodies and the
 * UDP channel header (core/chan.c), and the shim's sockaddr checks
 * (shim/check.c).  Beside "no crash, no sanitizer report", it checks that
 * whatever decodes encodes back to the same bytes, and that a fault rule's
 * canonical text parses back to the same rule (abort otherwise). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "chan.h"
#include "ctl_proto.h"
#include "fault.h"
#include "shim.h"
#include "sysctl.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[TS_CTL_MAX_MSG];

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c))                                                          \
			abort();                                                   \
	} while (0)

static void hello(const uint8_t *b, size_t n)
{
	struct ts_ctl_hello_req q;
	struct ts_ctl_hello_rep p;
	struct ts_ctl_wr w;

	if (ts_ctl_hello_req_decode(b, n, &q) == 0) {
		ts_ctl_wr_init(&w, out, sizeof(out));
		CHECK(ts_ctl_hello_req_encode(&w, &q) == 0);
		CHECK(w.len == n && memcmp(out, b, n) == 0);
	}
	if (ts_ctl_hello_rep_decode(b, n, &p) == 0) {
		ts_ctl_wr_init(&w, out, sizeof(out));
		CHECK(ts_ctl_hello_rep_encode(&w, &p) == 0);
		CHECK(w.len == n && memcmp(out, b, n) == 0);
	}
}

/* STAT and SYSCTL_GET replies: u32 count, then entries (bounded by the
 * body: a count larger than the entries sets the reader's error). */
static void lists(const uint8_t *b, size_t n)
{
	struct ts_ctl_rd r;
	char k[TS_CTL_MAX_STR + 1], v[TS_CTL_MAX_STR + 1];
	uint64_t val;
	uint32_t cnt;

	ts_ctl_rd_init(&r, b, n);
	cnt = ts_ctl_get_u32(&r);
	for (uint32_t i = 0; i < cnt && !r.err; i++)
		ts_ctl_stat_next(&r, k, sizeof(k), &val);
	ts_ctl_rd_end(&r);
	ts_ctl_rd_init(&r, b, n);
	cnt = ts_ctl_get_u32(&r);
	for (uint32_t i = 0; i < cnt && !r.err; i++)
		ts_ctl_sysctl_next(&r, k, sizeof(k), v, sizeof(v));
	ts_ctl_rd_end(&r);
}

/* SYSCTL_GET / SYSCTL_SET requests, as ctl_core.c handles them. */
static void sysctl(unsigned op, const uint8_t *b, size_t n)
{
	static struct ts_sysctl sc;
	struct ts_ctl_rd r;
	char key[256], val[256], buf[256];
	int i;

	ts_sysctl_defaults(&sc);
	ts_ctl_rd_init(&r, b, n);
	ts_ctl_get_str(&r, key, sizeof(key));
	if (op == TS_CTL_OP_SYSCTL_SET)
		ts_ctl_get_str(&r, val, sizeof(val));
	if (ts_ctl_rd_end(&r) < 0)
		return;
	i = ts_sysctl_find(key);
	if (op == TS_CTL_OP_SYSCTL_SET && ts_sysctl_set(&sc, key, val) == 0) {
		/* What was stored prints back and sets again to the same. */
		CHECK(i >= 0);
		CHECK(ts_sysctl_format(&sc, i, buf, sizeof(buf)) >= 0);
		CHECK(ts_sysctl_set(&sc, key, buf) == 0);
		CHECK(ts_sysctl_format(&sc, i, val, sizeof(val)) >= 0);
		CHECK(strcmp(buf, val) == 0);
	}
	if (i >= 0)
		ts_sysctl_format(&sc, i, buf, sizeof(buf));
}

/* FAULT_ADD: the rule text; its canonical form must parse to the same. */
static void fault_add(const uint8_t *b, size_t n)
{
	struct ts_fault_spec s, s2;
	struct ts_ctl_rd r;
	char text[TS_CTL_MAX_STR + 1], canon[512], canon2[512], err[160];

	ts_ctl_rd_init(&r, b, n);
	ts_ctl_get_str(&r, text, sizeof(text));
	if (ts_ctl_rd_end(&r) < 0)
		return;
	if (ts_fault_parse(text, &s, err, sizeof(err)) < 0)
		return;
	ts_fault_format(&s, canon, sizeof(canon));
	CHECK(ts_fault_parse(canon, &s2, err, sizeof(err)) == 0);
	ts_fault_format(&s2, canon2, sizeof(canon2));
	CHECK(strcmp(canon, canon2) == 0);
}

/* FAULT_LIST reply, as the CLI reads it. */
static void fault_list(const uint8_t *b, size_t n)
{
	struct ts_ctl_rd r;
	char canon[TS_CTL_MAX_STR + 1];
	uint32_t cnt;

	ts_ctl_rd_init(&r, b, n);
	cnt = ts_ctl_get_u32(&r);
	for (uint32_t i = 0; i < cnt && !r.err; i++) {
		ts_ctl_get_u32(&r);
		ts_ctl_get_str(&r, canon, sizeof(canon));
		ts_ctl_get_u64(&r);
		ts_ctl_get_u64(&r);
	}
	ts_ctl_rd_end(&r);
}

/* A frame any filter is matched against. */
static void frame_check(const uint8_t *f, size_t n, const struct ts_capture_filter *flt)
{
	struct ts_frame_info fi;
	char line[256];

	ts_frame_parse(f, n, 1, &fi);
	ts_frame_summary(&fi, line, sizeof(line));
	CHECK(fi.l3_off <= n && fi.ip_end <= n && fi.l4_off <= n);
	if (flt != NULL)
		ts_capture_filter_match(flt, &fi);
	ts_frame_parse(f, n, 0, &fi);
	CHECK(fi.ip_end <= n && fi.l4_off <= n);
}

/* CAPTURE request: filter, flags, snaplen. */
static void capture(const uint8_t *b, size_t n)
{
	static const uint8_t syn[] = {
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
		0x1f, 0x90, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	struct ts_capture_filter f;
	struct ts_ctl_rd r;
	char text[TS_CTL_MAX_STR + 1], err[160];
	uint8_t rec[TS_PCAP_REC_HDR_LEN + sizeof(syn)];
	uint32_t snaplen;

	ts_ctl_rd_init(&r, b, n);
	ts_ctl_get_str(&r, text, sizeof(text));
	ts_ctl_get_u8(&r);
	snaplen = ts_ctl_get_u32(&r);
	if (ts_ctl_rd_end(&r) < 0)
		return;
	if (ts_capture_filter_parse(text, &f, err, sizeof(err)) == 0)
		frame_check(syn, sizeof(syn), &f);
	CHECK(ts_pcap_record(rec, sizeof(rec), 1, syn, sizeof(syn), 1, snaplen) <=
	      (int)sizeof(rec));
}

/* CAPTURE_DATA push: u64 dropped, then a pcap record. */
static void capture_data(const uint8_t *b, size_t n)
{
	struct ts_ctl_rd r;
	uint32_t incl;

	ts_ctl_rd_init(&r, b, n);
	ts_ctl_get_u64(&r);
	if (r.err || n - r.off < TS_PCAP_REC_HDR_LEN)
		return;
	b += r.off;
	n -= r.off;
	incl = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
	       (uint32_t)b[11] << 24;
	if (incl > n - TS_PCAP_REC_HDR_LEN)
		return;
	frame_check(b + TS_PCAP_REC_HDR_LEN, incl, NULL);
}

/* TRACE request (kind names) and TRACE_DATA push. */
static void trace(unsigned op, const uint8_t *b, size_t n)
{
	struct ts_ctl_rd r;
	char text[TS_CTL_MAX_STR + 1];

	ts_ctl_rd_init(&r, b, n);
	if (op == TS_CTL_OP_TRACE) {
		char *tok, *save = NULL;

		ts_ctl_get_str(&r, text, sizeof(text));
		if (ts_ctl_rd_end(&r) < 0)
			return;
		for (tok = strtok_r(text, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			int k = ts_trace_kind_find(tok);

			if (k >= 0)
				CHECK(strcmp(ts_trace_kind_name((unsigned)k), tok) == 0);
		}
		return;
	}
	ts_ctl_get_u64(&r);
	for (uint32_t i = 0, cnt = ts_ctl_get_u32(&r); i < cnt && !r.err; i++) {
		ts_ctl_get_u64(&r);
		ts_ctl_get_u64(&r);
		ts_trace_kind_name(ts_ctl_get_u16(&r));
		ts_ctl_get_str(&r, text, sizeof(text));
	}
	ts_ctl_rd_end(&r);
}

/* Socket-op bodies, and the shim's checks of a sockaddr the program
 * passed (the option bytes stand in for it). */
static void sock_ops(const uint8_t *b, size_t n)
{
	struct ts_ctl_sock_req q;
	struct ts_ctl_sock_rep p;
	struct ts_ctl_wr w;

	if (ts_ctl_sock_req_decode(b, n, &q) == 0) {
		static const int ops[3] = {'b', 'c', 's'};
		uint32_t addr;
		uint16_t port;

		ts_ctl_wr_init(&w, out, sizeof(out));
		CHECK(ts_ctl_sock_req_encode(&w, &q) == 0);
		CHECK(w.len == n && memcmp(out, b, n) == 0);
		for (int i = 0; i < 3; i++)
			ts_shim_parse_addr(ops[i], q.opt, q.n, &addr, &port);
	}
	if (ts_ctl_sock_rep_decode(b, n, &p) == 0) {
		ts_ctl_wr_init(&w, out, sizeof(out));
		CHECK(ts_ctl_sock_rep_encode(&w, &p) == 0);
		CHECK(w.len == n && memcmp(out, b, n) == 0);
	}
}

/* The UDP data channel's header, read from the front of any message. */
static void chan(const uint8_t *b, size_t n)
{
	struct ts_chan_hdr h, h2;
	uint8_t enc[TS_CHAN_HDR_LEN];

	if (ts_chan_hdr_decode(b, n, &h) < 0)
		return;
	ts_chan_hdr_encode(&h, enc);
	CHECK(ts_chan_hdr_decode(enc, sizeof(enc), &h2) == 0);
	CHECK(h.kind == h2.kind && h.flags == h2.flags && h.port == h2.port &&
	      h.addr == h2.addr && h.err == h2.err && h.dst == h2.dst && h.ttl == h2.ttl &&
	      h.tos == h2.tos);
}

static int one_message(const uint8_t *data, size_t size)
{
	struct ts_ctl_hdr h;
	const uint8_t *body;
	int r;

	chan(data, size);
	r = ts_ctl_hdr_decode(data, size, &h);
	if (r == -EPROTO) {
		CHECK(ts_ctl_version_error(out, &h) == TS_CTL_HDR_LEN);
		return 0;
	}
	if (r < 0)
		return 0;
	/* A good header encodes back to the same bytes. */
	ts_ctl_hdr_encode(&h, out);
	CHECK(memcmp(out, data, TS_CTL_HDR_LEN) == 0);
	CHECK(h.len == size - TS_CTL_HDR_LEN);
	CHECK(ts_ctl_op_name(h.op) != NULL);
	body = data + TS_CTL_HDR_LEN;
	switch (h.op) {
	case TS_CTL_OP_HELLO:
		hello(body, h.len);
		break;
	case TS_CTL_OP_STAT:
		lists(body, h.len);
		break;
	case TS_CTL_OP_SYSCTL_GET:
	case TS_CTL_OP_SYSCTL_SET:
		sysctl(h.op, body, h.len);
		lists(body, h.len);
		break;
	case TS_CTL_OP_FAULT_ADD:
		fault_add(body, h.len);
		break;
	case TS_CTL_OP_FAULT_LIST:
		fault_list(body, h.len);
		break;
	case TS_CTL_OP_CAPTURE:
		capture(body, h.len);
		break;
	case TS_CTL_OP_CAPTURE_DATA:
		capture_data(body, h.len);
		break;
	case TS_CTL_OP_TRACE:
	case TS_CTL_OP_TRACE_DATA:
		trace(h.op, body, h.len);
		break;
	default:
		if (h.op >= TS_CTL_OP_SOCK_BASE)
			sock_ops(body, h.len);
		break;
	}
	/* Rebuilding the message from its parts gives the same bytes. */
	r = ts_ctl_msg_build(out, sizeof(out), h.op, h.id, h.result, body, h.len);
	CHECK(r == (int)size && memcmp(out, data, size) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t fixed[TS_CTL_MAX_MSG];

	one_message(data, size);
	/* The same bytes with the magic and the body length made right, so
	 * mutations of a body still reach its decoder. */
	if (size >= TS_CTL_HDR_LEN && size <= sizeof(fixed)) {
		uint32_t len = (uint32_t)(size - TS_CTL_HDR_LEN);

		memcpy(fixed, data, size);
		memcpy(fixed, "TSCK", 4);
		fixed[16] = (uint8_t)len;
		fixed[17] = (uint8_t)(len >> 8);
		fixed[18] = (uint8_t)(len >> 16);
		fixed[19] = (uint8_t)(len >> 24);
		one_message(fixed, size);
	}
	return 0;
}
