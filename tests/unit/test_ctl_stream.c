/* Fault ops and the capture/trace streams (core/daemon/ctl_fault.c,
 * ctl_stream.c, pcap.c) on a real libuv loop and SOCK_SEQPACKET socket,
 * with a loopback-only engine: FAULT_ADD/LIST/DEL/CLEAR, a capture
 * filtered and pushed as pcap records, a subscriber that never reads
 * (frames dropped and counted, nothing blocks), trace events by kind and
 * events lost when the ring laps a subscriber, and subscriptions removed
 * with their connection.  Each test ends with the loop empty and no packet
 * leaked. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"
#include "ctl.h"
#include "daemon.h"
#include "trace.h"
#include "wire.h"

struct fixture {
	uv_loop_t loop;
	struct ts_daemon d;
	char path[108];
	long live;
};

static uint8_t buf[TS_CTL_MAX_MSG];

static int group_setup(void **state)
{
	ts_ctl_core_register();
	ts_ctl_fault_register();
	ts_ctl_stream_register();
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ts_engine_config cfg = {.addr = 0xc6120002, .prefix_len = 24, .seed = 9};
	char err[256];

	assert_non_null(f);
	f->live = ts_pkt_live();
	snprintf(f->path, sizeof(f->path), "/tmp/tapsock-test-stream-%d.sock", (int)getpid());
	unlink(f->path);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->d.loop = &f->loop;
	f->d.prefix_len = 24;
	assert_int_equal(ts_engine_init(&f->d.eng, NULL, &cfg), 0);
	f->d.engine_up = 1;
	uv_timer_init(&f->loop, &f->d.timer);
	f->d.timer.data = &f->d;
	assert_int_equal(ts_ctl_listen(&f->d, f->path, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ts_ctl_shutdown(&f->d);
	/* The close hooks took every subscription away. */
	assert_null(f->d.capture_hook);
	assert_null(f->d.after_kick);
	assert_null(f->d.eng.tap_hook);
	assert_null(f->d.eng.trace.ring);
	uv_close((uv_handle_t *)&f->d.timer, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	ts_engine_destroy(&f->d.eng);
	assert_int_equal(ts_pkt_live(), f->live);
	free(f);
	return 0;
}

static void pump(struct fixture *f)
{
	for (int i = 0; i < 20; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int client(struct fixture *f)
{
	int fd = ts_ctl_connect(f->path, 1000);

	assert_true(fd >= 0);
	return fd;
}

static int request(struct fixture *f, int fd, unsigned op, const void *body, size_t len,
		   struct ts_ctl_hdr *rep)
{
	uint8_t msg[TS_CTL_HDR_LEN + 1024];
	int n = ts_ctl_msg_build(msg, sizeof(msg), op, 7, 0, body, len);

	assert_true(n > 0);
	assert_int_equal(ts_ctl_send(fd, msg, (size_t)n, NULL, 0), 0);
	pump(f);
	n = ts_ctl_recv(fd, buf, sizeof(buf), NULL, NULL);
	assert_true(n > 0);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, rep), 0);
	assert_int_equal(rep->op, op);
	return rep->result;
}

static int add_rule(struct fixture *f, int fd, const char *text, uint32_t *id)
{
	uint8_t body[256];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	char canon[256];
	int res;

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, text);
	res = request(f, fd, TS_CTL_OP_FAULT_ADD, body, w.len, &rep);
	if (res < 0)
		return res;
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	*id = ts_ctl_get_u32(&r);
	ts_ctl_get_str(&r, canon, sizeof(canon));
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	assert_string_equal(canon, text);
	return 0;
}

static void test_fault_ops_add_list_del_clear(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	uint8_t body[8];
	struct ts_ctl_wr w;
	char text[256];
	uint32_t a, b;
	int fd = client(f);

	assert_int_equal(add_rule(f, fd, "drop dir out proto tcp flags syn-ack nth 1", &a), 0);
	assert_int_equal(add_rule(f, fd, "delay 5 proto udp", &b), 0);
	assert_int_equal(add_rule(f, fd, "drop flags urg", &b), -EINVAL);
	assert_int_equal(add_rule(f, fd, "delay 5 proto udp", &b), 0);
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_LIST, NULL, 0, &rep), 0);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	assert_int_equal(ts_ctl_get_u32(&r), 3);
	assert_int_equal(ts_ctl_get_u32(&r), a);
	ts_ctl_get_str(&r, text, sizeof(text));
	assert_string_equal(text, "drop dir out proto tcp flags syn-ack nth 1");
	assert_int_equal(ts_ctl_get_u64(&r), 0);
	assert_int_equal(ts_ctl_get_u64(&r), 0);
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_u32(&w, a);
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_DEL, body, w.len, &rep), 0);
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_DEL, body, w.len, &rep), -ENOENT);
	assert_int_equal(f->d.eng.fault.nrules, 2);
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_CLEAR, NULL, 0, &rep), 0);
	assert_int_equal(f->d.eng.fault.nrules, 0);
	/* Malformed bodies are refused, the connection lives on. */
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_DEL, NULL, 0, &rep), -EINVAL);
	assert_int_equal(request(f, fd, TS_CTL_OP_FAULT_CLEAR, body, 4, &rep), -EINVAL);
	close(fd);
	pump(f);
}

static int subscribe_capture(struct fixture *f, int fd, const char *filter, int lo)
{
	uint8_t body[256];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, filter);
	ts_ctl_put_u8(&w, (uint8_t)lo);
	ts_ctl_put_u32(&w, 0);
	return request(f, fd, TS_CTL_OP_CAPTURE, body, w.len, &rep);
}

/* A UDP or ICMP frame 198.18.0.1 -> 198.18.0.2, payload n bytes. */
static struct pktbuf *frame(int udp, size_t n)
{
	struct pktbuf *p = ts_pkt_alloc(14 + 20 + 8 + n);
	uint8_t *b;

	assert_non_null(p);
	b = ts_pkt_put(p, 14 + 20 + 8 + n);
	memset(b, 0, 14 + 20 + 8 + n);
	ts_put16(b + 12, 0x0800);
	b[14] = 0x45;
	ts_put16(b + 16, (uint16_t)(20 + 8 + n));
	b[23] = udp ? 17 : 1;
	ts_put32(b + 26, 0xc6120001);
	ts_put32(b + 30, 0xc6120002);
	ts_put16(b + 34, 1111);
	ts_put16(b + 36, 2222);
	return p;
}

static void feed(struct fixture *f, struct pktbuf *p, int l2)
{
	struct ts_engine *eng = &f->d.eng;

	assert_non_null(eng->tap_hook);
	eng->tap_hook(eng, 0, p, l2, eng->tap_hook_arg);
	ts_pkt_free(p);
}

/* Reads one pushed message if there is one: its length or -EAGAIN. */
static int next_push(int fd, struct ts_ctl_hdr *h)
{
	int n = (int)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, h), 0);
	assert_int_equal(h->id, 0);
	return n;
}

static void test_capture_pushes_filtered_pcap_records(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr h;
	struct ts_frame_info fi;
	const uint8_t *rec;
	int fd = client(f);

	assert_int_equal(subscribe_capture(f, fd, "bogus words", 0), -EINVAL);
	assert_null(f->d.capture_hook);
	assert_int_equal(subscribe_capture(f, fd, "udp and port 2222", 0), 0);
	feed(f, frame(1, 10), 1);
	feed(f, frame(0, 10), 1); /* ICMP: filtered out */
	feed(f, frame(1, 10), 0); /* no L2: loopback, not asked for */
	assert_true(next_push(fd, &h) > 0);
	assert_int_equal(h.op, TS_CTL_OP_CAPTURE_DATA);
	assert_int_equal(h.len, 8 + 16 + 14 + 20 + 8 + 10);
	rec = buf + TS_CTL_HDR_LEN + 8;
	assert_int_equal(rec[8], 14 + 20 + 8 + 10); /* caplen, little-endian */
	ts_frame_parse(rec + 16, 14 + 20 + 8 + 10, 1, &fi);
	assert_int_equal(fi.proto, 17);
	assert_int_equal(fi.dport, 2222);
	assert_int_equal(next_push(fd, &h), -EAGAIN);
	close(fd);
	pump(f);
	assert_null(f->d.eng.tap_hook);
}

static void test_slow_capture_subscriber_loses_frames_counted(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr h;
	uint64_t drops, last = 0;
	int fd = client(f), got = 0;

	assert_int_equal(subscribe_capture(f, fd, "", 0), 0);
	/* Far more than the socket buffer holds: never blocks. */
	for (int i = 0; i < 3000; i++)
		feed(f, frame(1, 1400), 1);
	drops = f->d.eng.stats.TsExtCaptureDrops;
	assert_true(drops > 0);
	while (next_push(fd, &h) > 0) {
		struct ts_ctl_rd r;

		ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, h.len);
		last = ts_ctl_get_u64(&r);
		got++;
	}
	assert_int_equal((uint64_t)got + drops, 3000);
	/* Drained: the next frame goes through and reports the losses. */
	feed(f, frame(1, 10), 1);
	assert_true(next_push(fd, &h) > 0);
	{
		struct ts_ctl_rd r;

		ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, h.len);
		assert_int_equal(ts_ctl_get_u64(&r), drops);
	}
	assert_true(last <= drops);
	close(fd);
	pump(f);
}

static int subscribe_trace(struct fixture *f, int fd, const char *kinds)
{
	uint8_t body[256];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, kinds);
	return request(f, fd, TS_CTL_OP_TRACE, body, w.len, &rep);
}

static void test_trace_pushes_events_of_the_asked_kinds(void **state)
{
	struct fixture *f = *state;
	struct ts_engine *eng = &f->d.eng;
	struct ts_ctl_hdr h;
	struct ts_ctl_rd r;
	char text[TS_TRACE_MSG + 1];
	int fd = client(f);

	assert_int_equal(subscribe_trace(f, fd, "fault nonsense"), -EINVAL);
	assert_int_equal(subscribe_trace(f, fd, "fault drop"), 0);
	assert_non_null(eng->trace.ring);
	TS_TRACE(eng, TS_TRACE_STATE, "not asked for");
	TS_TRACE(eng, TS_TRACE_FAULT, "rule %d drop", 1);
	eng->stats.IpInHdrErrors += 2;
	ts_daemon_kick(&f->d);
	assert_true(next_push(fd, &h) > 0);
	assert_int_equal(h.op, TS_CTL_OP_TRACE_DATA);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, h.len);
	assert_int_equal(ts_ctl_get_u64(&r), 0); /* nothing lost */
	assert_int_equal(ts_ctl_get_u32(&r), 2);
	assert_int_equal(ts_ctl_get_u64(&r), 1); /* seq */
	ts_ctl_get_u64(&r);
	assert_int_equal(ts_ctl_get_u16(&r), TS_TRACE_FAULT);
	ts_ctl_get_str(&r, text, sizeof(text));
	assert_string_equal(text, "rule 1 drop");
	ts_ctl_get_u64(&r);
	ts_ctl_get_u64(&r);
	assert_int_equal(ts_ctl_get_u16(&r), TS_TRACE_DROP);
	ts_ctl_get_str(&r, text, sizeof(text));
	assert_string_equal(text, "IpInHdrErrors +2");
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	/* Nothing new: nothing pushed. */
	ts_daemon_kick(&f->d);
	assert_int_equal(next_push(fd, &h), -EAGAIN);
	close(fd);
	pump(f);
	assert_null(eng->trace.ring);
}

static void test_trace_ring_lapping_a_subscriber_counts_lost_events(void **state)
{
	struct fixture *f = *state;
	struct ts_engine *eng = &f->d.eng;
	struct ts_ctl_hdr h;
	uint64_t lost = 0, events = 0;
	int fd = client(f);

	assert_int_equal(subscribe_trace(f, fd, ""), 0);
	for (int i = 0; i < TS_TRACE_DEFAULT_CAP + 100; i++)
		TS_TRACE(eng, TS_TRACE_INFO, "event %d", i);
	/* Kick until everything is out (bounded work per kick). */
	for (int k = 0; k < 10; k++) {
		ts_daemon_kick(&f->d);
		while (next_push(fd, &h) > 0) {
			struct ts_ctl_rd r;

			ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, h.len);
			lost = ts_ctl_get_u64(&r);
			events += ts_ctl_get_u32(&r);
		}
	}
	assert_int_equal(lost, 100);
	assert_int_equal(events, TS_TRACE_DEFAULT_CAP);
	assert_int_equal(eng->stats.TsExtTraceLost, 100);
	close(fd);
	pump(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fault_ops_add_list_del_clear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_capture_pushes_filtered_pcap_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_slow_capture_subscriber_loses_frames_counted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trace_pushes_events_of_the_asked_kinds, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_trace_ring_lapping_a_subscriber_counts_lost_events,
					    setup, teardown),
	};

	return cmocka_run_group_tests_name("ctl_stream", tests, group_setup, NULL);
}
