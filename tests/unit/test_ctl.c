/* The daemon's control server (core/daemon/ctl.c, ctl_core.c) on a real
 * libuv loop and a real SOCK_SEQPACKET socket, with a loopback-only engine:
 * dispatch, errors, version mismatch, fd handling, close hooks, and
 * clients that misbehave.  Each test ends with the loop empty
 * (uv_loop_close succeeds) and no packet leaked. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"
#include "daemon.h"

struct fixture {
	uv_loop_t loop;
	struct ts_daemon d;
	char path[108];
	long live;
};

static uint8_t buf[TS_CTL_MAX_MSG];
static int closes_seen;

static void count_close(struct ts_daemon *d, struct ts_ctl_conn *c)
{
	closes_seen++;
}

/* An op that keeps the first fd it is given and sends back a new pipe's
 * read end: exercises fd ownership both ways. */
#define OP_TEST_FDS 250
static int kept_fd = -1;

static int op_test_fds(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	int p[2];

	if (req->nfds > 0) {
		kept_fd = req->fds[0];
		req->fds[0] = -1;
	}
	if (pipe(p) < 0)
		return -errno;
	close(p[1]);
	rep->fds[0] = p[0];
	rep->nfds = 1;
	ts_ctl_put_u32(&rep->body, (uint32_t)req->nfds);
	return 0;
}

static int group_setup(void **state)
{
	ts_ctl_core_register();
	assert_int_equal(ts_ctl_register(OP_TEST_FDS, op_test_fds), 0);
	assert_int_equal(ts_ctl_on_close(count_close), 0);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ts_engine_config cfg = {.addr = 0xc6120002, .prefix_len = 24, .gw = 0xc6120001};
	char err[256];

	assert_non_null(f);
	f->live = ts_pkt_live();
	snprintf(f->path, sizeof(f->path), "/tmp/tapsock-test-ctl-%d.sock", (int)getpid());
	unlink(f->path);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->d.loop = &f->loop;
	strcpy(f->d.tap.name, "tap9");
	f->d.prefix_len = 24;
	assert_int_equal(ts_engine_init(&f->d.eng, NULL, &cfg), 0);
	f->d.engine_up = 1;
	uv_timer_init(&f->loop, &f->d.timer);
	f->d.timer.data = &f->d;
	assert_int_equal(ts_ctl_listen(&f->d, f->path, err, sizeof(err)), 0);
	closes_seen = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	ts_ctl_shutdown(&f->d);
	assert_int_equal(stat(f->path, &st), -1);	/* socket file removed */
	uv_close((uv_handle_t *)&f->d.timer, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);	/* no handle left */
	ts_engine_destroy(&f->d.eng);
	assert_int_equal(ts_pkt_live(), f->live);
	free(f);
	return 0;
}

/* Lets the server accept and answer whatever is pending. */
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

/* Sends raw bytes (and fds), pumps, receives one reply. */
static int exchange(struct fixture *f, int fd, const void *msg, size_t len, const int *fds,
		    int nfds, struct ts_ctl_hdr *rep, int *rfds, int *nrfds)
{
	int n;

	assert_int_equal(ts_ctl_send(fd, msg, len, fds, nfds), 0);
	pump(f);
	n = ts_ctl_recv(fd, buf, sizeof(buf), rfds, nrfds);
	if (n < 0)
		return n;
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, rep), 0);
	return n;
}

static int request(struct fixture *f, int fd, unsigned op, uint32_t id, const void *body,
		   size_t len, struct ts_ctl_hdr *rep)
{
	uint8_t msg[TS_CTL_HDR_LEN + 512];
	int n = ts_ctl_msg_build(msg, sizeof(msg), op, id, 0, body, len);

	assert_true(n > 0);
	return exchange(f, fd, msg, (size_t)n, NULL, 0, rep, NULL, NULL);
}

static void test_hello_returns_engine_identity(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hello_req hq = {.client = "unit", .pid = 1};
	struct ts_ctl_hello_rep h;
	struct ts_ctl_hdr rep;
	uint8_t body[128];
	struct ts_ctl_wr w;
	int fd = client(f);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_hello_req_encode(&w, &hq);
	assert_true(request(f, fd, TS_CTL_OP_HELLO, 42, body, w.len, &rep) > 0);
	assert_int_equal(rep.id, 42);
	assert_int_equal(rep.op, TS_CTL_OP_HELLO);
	assert_int_equal(rep.result, 0);
	assert_int_equal(ts_ctl_hello_rep_decode(buf + TS_CTL_HDR_LEN, rep.len, &h), 0);
	assert_int_equal(h.addr, 0xc6120002);
	assert_int_equal(h.prefix_len, 24);
	assert_int_equal(h.gw, 0xc6120001);
	assert_memory_equal(h.mac, f->d.eng.mac, 6);
	assert_string_equal(h.ifname, "tap9");
	assert_int_equal(h.daemon_pid, (uint32_t)getpid());
	assert_int_equal(ts_ctl_conn_count(&f->d), 1);
	close(fd);
	pump(f);
	assert_int_equal(ts_ctl_conn_count(&f->d), 0);
	assert_int_equal(closes_seen, 1);
}

static void test_unknown_or_out_of_range_op_is_eopnotsupp(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr rep;
	int fd = client(f);

	assert_true(request(f, fd, 199, 1, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, -EOPNOTSUPP);
	assert_int_equal(rep.len, 0);
	assert_true(request(f, fd, 0xffff, 2, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, -EOPNOTSUPP);
	assert_int_equal(rep.op, 0xffff);
	/* The connection survives both. */
	assert_true(request(f, fd, TS_CTL_OP_STAT, 3, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, 0);
	close(fd);
	pump(f);
}

static void test_other_version_gets_eproto_and_connection_stays(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[TS_CTL_HDR_LEN];
	struct ts_ctl_hdr rep;
	int fd = client(f), n;

	ts_ctl_msg_build(msg, sizeof(msg), TS_CTL_OP_STAT, 9, 0, NULL, 0);
	msg[4] = 7;		/* version 7 */
	assert_int_equal(ts_ctl_send(fd, msg, sizeof(msg), NULL, 0), 0);
	pump(f);
	n = ts_ctl_recv(fd, buf, sizeof(buf), NULL, NULL);
	assert_int_equal(n, TS_CTL_HDR_LEN);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &rep), 0);
	assert_int_equal(rep.result, -EPROTO);
	assert_int_equal(rep.id, 9);
	assert_int_equal(rep.version, TS_CTL_VERSION);
	assert_true(request(f, fd, TS_CTL_OP_STAT, 10, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, 0);
	close(fd);
	pump(f);
}

static void test_garbage_closes_only_that_connection(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr rep;
	int good = client(f), bad = client(f);
	char junk[] = "definitely not a control message";

	assert_int_equal(ts_ctl_send(bad, junk, sizeof(junk), NULL, 0), 0);
	pump(f);
	assert_int_equal(ts_ctl_recv(bad, buf, sizeof(buf), NULL, NULL), -ECONNRESET);
	assert_int_equal(ts_ctl_conn_count(&f->d), 1);
	assert_true(request(f, good, TS_CTL_OP_STAT, 1, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, 0);
	close(bad);
	close(good);
	pump(f);
	assert_int_equal(closes_seen, 2);
}

static void test_stat_lists_every_counter_and_reset_zeroes(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	char name[64];
	uint64_t v, echos = 0;
	int fd = client(f);
	uint32_t n;

	f->d.eng.stats.IcmpInEchos = 5;
	assert_true(request(f, fd, TS_CTL_OP_STAT, 1, NULL, 0, &rep) > 0);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	n = ts_ctl_get_u32(&r);
	assert_int_equal(n, TS_STAT_COUNT);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(ts_ctl_stat_next(&r, name, sizeof(name), &v), 0);
		assert_string_equal(name, ts_stat_name((int)i));
		if (strcmp(name, "IcmpInEchos") == 0)
			echos = v;
	}
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	assert_int_equal(echos, 5);
	/* A body where none belongs is refused. */
	assert_true(request(f, fd, TS_CTL_OP_STAT_RESET, 2, "x", 1, &rep) > 0);
	assert_int_equal(rep.result, -EINVAL);
	assert_int_equal(f->d.eng.stats.IcmpInEchos, 5);
	assert_true(request(f, fd, TS_CTL_OP_STAT_RESET, 3, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, 0);
	assert_int_equal(f->d.eng.stats.IcmpInEchos, 0);
	close(fd);
	pump(f);
}

static void test_sysctl_set_get_and_refusals(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	struct ts_ctl_wr w;
	uint8_t body[256];
	char k[128], v[128];
	int fd = client(f);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "tcp_syn_retries");
	ts_ctl_put_str(&w, "4");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_SET, 1, body, w.len, &rep) > 0);
	assert_int_equal(rep.result, 0);
	assert_int_equal(f->d.eng.sysctl.tcp_syn_retries[0], 4);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	assert_int_equal(ts_ctl_sysctl_next(&r, k, sizeof(k), v, sizeof(v)), 0);
	assert_string_equal(k, "net.ipv4.tcp_syn_retries");
	assert_string_equal(v, "4");

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "net.ipv4.tcp_syn_retries");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_GET, 2, body, w.len, &rep) > 0);
	assert_int_equal(rep.result, 0);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	assert_int_equal(ts_ctl_get_u32(&r), 1);
	assert_int_equal(ts_ctl_sysctl_next(&r, k, sizeof(k), v, sizeof(v)), 0);
	assert_string_equal(v, "4");
	assert_int_equal(ts_ctl_rd_end(&r), 0);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_GET, 3, body, w.len, &rep) > 0);
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	assert_int_equal(ts_ctl_get_u32(&r), TS_SYSCTL_COUNT);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "net.ipv4.no_such_key");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_GET, 4, body, w.len, &rep) > 0);
	assert_int_equal(rep.result, -ENOENT);

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "tcp_syn_retries");
	ts_ctl_put_str(&w, "many");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_SET, 5, body, w.len, &rep) > 0);
	assert_int_equal(rep.result, -EINVAL);
	assert_int_equal(f->d.eng.sysctl.tcp_syn_retries[0], 4);

	/* A SET whose body stops after the key. */
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, "tcp_syn_retries");
	assert_true(request(f, fd, TS_CTL_OP_SYSCTL_SET, 6, body, w.len, &rep) > 0);
	assert_int_equal(rep.result, -EINVAL);
	close(fd);
	pump(f);
}

static void test_fds_taken_kept_others_closed_reply_fds_sent(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[TS_CTL_HDR_LEN];
	struct ts_ctl_hdr rep;
	int p1[2], p2[2], fds[2], rfds[TS_CTL_MAX_FDS], nr = 0, fd = client(f);
	char c;

	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	fds[0] = p1[1];
	fds[1] = p2[1];
	ts_ctl_msg_build(msg, sizeof(msg), OP_TEST_FDS, 1, 0, NULL, 0);
	assert_true(exchange(f, fd, msg, sizeof(msg), fds, 2, &rep, rfds, &nr) > 0);
	assert_int_equal(rep.result, 0);
	assert_int_equal(nr, 1);
	/* The reply's pipe: the daemon closed its write end, so EOF. */
	assert_int_equal(read(rfds[0], &c, 1), 0);
	close(rfds[0]);
	/* The handler kept p1's write end; the server closed p2's. */
	close(p1[1]);
	close(p2[1]);
	assert_int_equal(fcntl(p1[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(read(p1[0], &c, 1), -1);	/* still a writer: kept_fd */
	assert_int_equal(read(p2[0], &c, 1), 0);	/* no writer left */
	assert_true(kept_fd >= 0);
	close(kept_fd);
	kept_fd = -1;
	assert_int_equal(read(p1[0], &c, 1), 0);
	close(p1[0]);
	close(p2[0]);
	/* Fds sent with an unknown op are closed too. */
	assert_int_equal(pipe(p1), 0);
	ts_ctl_msg_build(msg, sizeof(msg), 198, 2, 0, NULL, 0);
	assert_true(exchange(f, fd, msg, sizeof(msg), &p1[1], 1, &rep, NULL, NULL) > 0);
	assert_int_equal(rep.result, -EOPNOTSUPP);
	close(p1[1]);
	assert_int_equal(read(p1[0], &c, 1), 0);
	close(p1[0]);
	close(fd);
	pump(f);
}

/* Out of descriptors: accept pauses (no busy loop) and resumes once
 * descriptors are back, and the waiting client is then served. */
static void test_accept_emfile_pauses_then_resumes(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, low;
	struct ts_ctl_hdr rep;
	int fd = client(f), lowest;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	low = old;
	low.rlim_cur = (rlim_t)lowest;	/* no new descriptor fits */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_true(ts_ctl_accepting(&f->d));
	pump(f);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(ts_ctl_conn_count(&f->d), 0);
	assert_false(ts_ctl_accepting(&f->d));	/* paused, not spinning */
	/* The backoff timer brings accepting back. */
	for (int i = 0; i < 100 && ts_ctl_conn_count(&f->d) == 0; i++) {
		usleep(10000);
		pump(f);
	}
	assert_int_equal(ts_ctl_conn_count(&f->d), 1);
	assert_true(ts_ctl_accepting(&f->d));
	assert_true(request(f, fd, TS_CTL_OP_STAT, 1, NULL, 0, &rep) > 0);
	assert_int_equal(rep.result, 0);
	close(fd);
	pump(f);
}

static void test_register_refuses_taken_or_bad_ops(void **state)
{
	assert_int_equal(ts_ctl_register(TS_CTL_OP_HELLO, op_test_fds), -EEXIST);
	assert_int_equal(ts_ctl_register(TS_CTL_OP_NONE, op_test_fds), -EINVAL);
	assert_int_equal(ts_ctl_register(TS_CTL_OP_MAX, op_test_fds), -EINVAL);
	assert_int_equal(ts_ctl_register(100, NULL), -EINVAL);
}

static void test_probe_tells_live_stale_and_foreign_files(void **state)
{
	struct fixture *f = *state;
	char err[256], other[128];
	int fd;

	/* Live: our own listener answers. */
	assert_int_equal(ts_ctl_probe(f->path, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	/* Stale: a socket file nobody listens on. */
	snprintf(other, sizeof(other), "%s.stale", f->path);
	unlink(other);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		strcpy(sun.sun_path, other);
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	assert_int_equal(ts_ctl_probe(other, err, sizeof(err)), 0);
	unlink(other);
	/* Not a socket. */
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ts_ctl_probe(other, err, sizeof(err)), -EEXIST);
	unlink(other);
	/* Free. */
	assert_int_equal(ts_ctl_probe(other, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_returns_engine_identity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_or_out_of_range_op_is_eopnotsupp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_version_gets_eproto_and_connection_stays,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_closes_only_that_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stat_lists_every_counter_and_reset_zeroes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_set_get_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fds_taken_kept_others_closed_reply_fds_sent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_emfile_pauses_then_resumes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_refuses_taken_or_bad_ops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_tells_live_stale_and_foreign_files,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
