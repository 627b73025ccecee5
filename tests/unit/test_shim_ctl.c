/* The shim's logic (shim.c) against a fake daemon in a thread: no engine
 * means ENETDOWN and one line naming the fix, a protocol version mismatch
 * is refused, socket() hands out the daemon's fd, sends carry the channel
 * header, receives strip it, an error marker becomes the errno.  Linked
 * without LD_PRELOAD: the shim's own calls go to libc through ts_real. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "chan.h"
#include "ctl_proto.h"
#include "pktbuf.h"
#include "real.h"
#include "shim.h"

static char path[108];
static int lfd = -1;
static pthread_t thr;
static int mismatch;		/* answer HELLO with another version */
static int b_end = -1;		/* the daemon's end of the last socket */
static int so_error;		/* what GETOPT SO_ERROR returns (then 0) */
static int ops_seen[64];
static int stop_pipe[2];

/* Waits until fd is readable; 0 when the test is over. */
static int wait_readable(int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_pipe[0], .events = POLLIN}};

	while (poll(p, 2, -1) < 0)
		;
	return !(p[1].revents & POLLIN);
}

static void reply(int fd, const struct ts_ctl_hdr *req, int32_t result, const uint8_t *body,
		  size_t len, int pass)
{
	uint8_t buf[TS_CTL_MAX_MSG];
	int n = ts_ctl_msg_build(buf, sizeof(buf), req->op, req->id, result, body, len);

	if (mismatch && req->op == TS_CTL_OP_HELLO)
		buf[4] = TS_CTL_VERSION + 1;
	ts_ctl_send(fd, buf, (size_t)n, pass >= 0 ? &pass : NULL, pass >= 0 ? 1 : 0);
}

static void serve(int c)
{
	static uint8_t buf[TS_CTL_MAX_MSG];
	uint8_t out[1024];

	for (;;) {
		struct ts_ctl_hdr h;
		struct ts_ctl_wr w;
		struct ts_ctl_sock_req m;
		struct ts_ctl_sock_rep rep;
		int fds[TS_CTL_MAX_FDS], nfds = 0;
		int n;

		if (!wait_readable(c))
			return;
		n = ts_ctl_recv(c, buf, sizeof(buf), fds, &nfds);

		if (n < 0)
			return;
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (ts_ctl_hdr_decode(buf, (size_t)n, &h) < 0)
			return;
		if (h.op < 64)
			ops_seen[h.op]++;
		ts_ctl_wr_init(&w, out, sizeof(out));
		memset(&rep, 0, sizeof(rep));
		if (h.op == TS_CTL_OP_HELLO) {
			struct ts_ctl_hello_rep hr = {.addr = 0xc6120002u, .prefix_len = 24,
						      .gw = 0xc6120001u, .mtu = 1500};

			strcpy(hr.ifname, "tap0");
			ts_ctl_hello_rep_encode(&w, &hr);
			reply(c, &h, 0, out, w.len, -1);
			continue;
		}
		if (ts_ctl_sock_req_decode(buf + TS_CTL_HDR_LEN, h.len, &m) < 0) {
			reply(c, &h, -EINVAL, NULL, 0, -1);
			continue;
		}
		if (h.op == TS_CTL_OP_SOCK_SOCKET) {
			int sv[2];

			socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
			if (b_end >= 0)
				close(b_end);
			b_end = sv[1];
			ts_ctl_sock_rep_encode(&w, &rep);
			reply(c, &h, 0, out, w.len, sv[0]);
			close(sv[0]);
			continue;
		}
		if (h.op == TS_CTL_OP_SOCK_GETOPT) {
			rep.n = sizeof(int);
			memcpy(rep.opt, &so_error, sizeof(int));
			so_error = 0;
		} else if (h.op == TS_CTL_OP_SOCK_BIND || h.op == TS_CTL_OP_SOCK_CONNECT) {
			rep.addr = 0xc6120002u;
			rep.port = 40000;
		} else if (h.op == TS_CTL_OP_SOCK_AUTOBIND) {
			rep.port = 40001;
		}
		ts_ctl_sock_rep_encode(&w, &rep);
		reply(c, &h, 0, out, w.len, -1);
	}
}

static void *daemon_thread(void *arg)
{
	while (wait_readable(lfd)) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		serve(c);
		close(c);
	}
	return NULL;
}

static int group_setup(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	ts_real_init();
	if (pipe(stop_pipe) < 0)
		return -1;
	snprintf(path, sizeof(path), "/tmp/ts-shim-test-%d.sock", (int)getpid());
	unlink(path);
	strcpy(sun.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(lfd, 4) < 0)
		return -1;
	return pthread_create(&thr, NULL, daemon_thread, NULL);
}

static int group_teardown(void **state)
{
	/* The thread waits for the shim's connection or a new one: stop it. */
	assert_int_equal(write(stop_pipe[1], "x", 1), 1);
	pthread_join(thr, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	close(lfd);
	if (b_end >= 0)
		close(b_end);
	unlink(path);
	return 0;
}

/* Runs fn with stderr captured into buf. */
static int with_stderr(char *buf, size_t cap, int (*fn)(void))
{
	int p[2], save, r;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	save = dup(2);
	dup2(p[1], 2);
	r = fn();
	dup2(save, 2);
	close(save);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	n = read(p[0], buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return r;
}

static int make_udp(void)
{
	return ts_shim_socket(AF_INET, SOCK_DGRAM, 0);
}

static void test_no_daemon_socket_is_enetdown_with_one_line(void **state)
{
	char err[1024];
	int r;

	setenv("TAPSOCK_SOCK", "/tmp/ts-shim-test-none.sock", 1);
	r = with_stderr(err, sizeof(err), make_udp);
	assert_int_equal(r, -ENETDOWN);
	assert_non_null(strstr(err, "tapsock lab up"));
	assert_non_null(strstr(err, "TAPSOCK_SOCK"));
	assert_non_null(strchr(err, '\n'));
	assert_int_equal(strchr(err, '\n')[1], '\0');
	/* Only once per process. */
	r = with_stderr(err, sizeof(err), make_udp);
	assert_int_equal(r, -ENETDOWN);
	assert_string_equal(err, "");
}

static void test_fallback_kernel_asks_for_the_kernel(void **state)
{
	setenv("TAPSOCK_FALLBACK", "kernel", 1);
	assert_int_equal(make_udp(), -ENOSYS);
	unsetenv("TAPSOCK_FALLBACK");
}

static void test_version_mismatch_is_refused(void **state)
{
	setenv("TAPSOCK_SOCK", path, 1);
	mismatch = 1;
	assert_int_equal(make_udp(), -ENETDOWN);
	mismatch = 0;
}

static void test_other_families_and_types_refused_as_linux(void **state)
{
	assert_int_equal(ts_shim_socket(AF_INET6, SOCK_DGRAM, 0), -EAFNOSUPPORT);
	assert_int_equal(ts_shim_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -EPROTONOSUPPORT);
	/* SOCK_STREAM is TCP (shim/tcp.c); with another protocol it is
	 * EPROTONOSUPPORT as Linux. */
	assert_int_equal(ts_shim_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	assert_int_equal(ts_shim_socket(AF_INET, 99, 0), -EINVAL);
	assert_int_equal(ts_shim_socket(AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
}

static void test_socket_send_and_recv_through_the_channel(void **state)
{
	long live = ts_pkt_live();
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9000)};
	struct sockaddr_in from;
	struct ts_shim_sock *s;
	struct ts_chan_hdr h;
	uint8_t msg[64];
	char data[16];
	struct iovec iov = {.iov_base = (void *)"payload", .iov_len = 7};
	struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1};
	int fd, v = -1;
	ssize_t n;

	setenv("TAPSOCK_SOCK", path, 1);
	to.sin_addr.s_addr = htonl(0xc6120001u);
	fd = ts_shim_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	s = ts_shim_lookup(fd);
	assert_non_null(s);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* First send: autobind, then a DATA message with the destination. */
	assert_int_equal(ts_shim_sendmsg(fd, s, &mh, 0), 7);
	assert_int_equal(ops_seen[TS_CTL_OP_SOCK_AUTOBIND], 1);
	assert_true(s->bound);
	n = recv(b_end, msg, sizeof(msg), 0);
	assert_int_equal(n, TS_CHAN_HDR_LEN + 7);
	assert_int_equal(ts_chan_hdr_decode(msg, (size_t)n, &h), 0);
	assert_int_equal(h.kind, TS_CHAN_DATA);
	assert_int_equal(h.flags, TS_CHAN_F_DST);
	assert_int_equal(h.addr, 0xc6120001u);
	assert_int_equal(h.port, 9000);
	assert_memory_equal(msg + TS_CHAN_HDR_LEN, "payload", 7);
	/* Unconnected send without an address: EDESTADDRREQ, nothing sent. */
	mh.msg_name = NULL;
	mh.msg_namelen = 0;
	assert_int_equal(ts_shim_sendmsg(fd, s, &mh, 0), -EDESTADDRREQ);
	/* A datagram from the engine: header stripped, source filled, short
	 * buffer truncated with MSG_TRUNC. */
	h = (struct ts_chan_hdr){.kind = TS_CHAN_DATA, .addr = 0xc6120001u, .port = 53};
	ts_chan_hdr_encode(&h, msg);
	memcpy(msg + TS_CHAN_HDR_LEN, "0123456789", 10);
	assert_int_equal(send(b_end, msg, TS_CHAN_HDR_LEN + 10, 0), TS_CHAN_HDR_LEN + 10);
	assert_int_equal(ts_shim_fionread(fd, s, &v), 0);
	assert_int_equal(v, 10);
	iov.iov_base = data;
	iov.iov_len = 4;
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	assert_int_equal(ts_shim_recvmsg(fd, s, &mh, 0), 4);
	assert_true(mh.msg_flags & MSG_TRUNC);
	assert_memory_equal(data, "0123", 4);
	assert_int_equal(mh.msg_namelen, sizeof(from));
	assert_int_equal(ntohl(from.sin_addr.s_addr), 0xc6120001u);
	assert_int_equal(ntohs(from.sin_port), 53);
	assert_int_equal(ts_shim_recvmsg(fd, s, &mh, MSG_DONTWAIT), -EAGAIN);
	/* An error marker: the pending error, once. */
	h = (struct ts_chan_hdr){.kind = TS_CHAN_ERROR, .err = ECONNREFUSED};
	ts_chan_hdr_encode(&h, msg);
	so_error = ECONNREFUSED;
	send(b_end, msg, TS_CHAN_HDR_LEN, 0);
	assert_int_equal(ts_shim_recvmsg(fd, s, &mh, MSG_DONTWAIT), -ECONNREFUSED);
	assert_int_equal(ts_shim_recvmsg(fd, s, &mh, MSG_DONTWAIT), -EAGAIN);
	/* A marker whose error SO_ERROR already took is skipped. */
	send(b_end, msg, TS_CHAN_HDR_LEN, 0);
	assert_int_equal(ts_shim_recvmsg(fd, s, &mh, MSG_DONTWAIT), -EAGAIN);
	assert_int_equal(ts_shim_close(fd), 0);
	assert_null(ts_shim_lookup(fd));
	assert_int_equal(ts_pkt_live(), live);
}

static void test_dup_shares_the_record_and_close_keeps_it(void **state)
{
	int fd = ts_shim_socket(AF_INET, SOCK_DGRAM, 0), fd2;
	struct ts_shim_sock *s;

	assert_true(fd >= 0);
	s = ts_shim_lookup(fd);
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fd2 = dup(fd);
	ts_shim_dup_done(fd, fd2);
	assert_ptr_equal(ts_shim_lookup(fd2), s);
	assert_int_equal(s->refs, 2);
	assert_int_equal(ts_shim_close(fd), 0);
	assert_ptr_equal(ts_shim_lookup(fd2), s);
	assert_int_equal(s->refs, 1);
	assert_int_equal(ts_shim_close(fd2), 0);
	assert_null(ts_shim_lookup(fd2));
}

/* An address nothing is mapped at (a page mapped then unmapped). */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p, 4096), 0);
	return p;
}

static void test_copy_to_unmapped_memory_is_efault_not_a_crash(void **state)
{
	long live = ts_pkt_live();
	void *bad = unmapped_page();
	uint32_t v = 7, got = 0;

	(void)state;
	assert_int_equal(ts_shim_copy_in(&got, &v, sizeof(v)), 0);
	assert_int_equal(got, 7);
	assert_int_equal(ts_shim_copy_in(&got, bad, sizeof(got)), -EFAULT);
	assert_int_equal(ts_shim_copy_out(bad, &v, sizeof(v)), -EFAULT);
	assert_int_equal(ts_shim_copy_in(&got, NULL, sizeof(got)), -EFAULT);
	assert_int_equal(ts_shim_copy_in(&got, NULL, 0), 0);
	assert_int_equal(ts_pkt_live(), live);
}

/* recvfrom's name and length go out in one call, name first, as Linux
 * move_addr_to_user: a bad length pointer fails after the name. */
static void test_copy_out2_writes_both_or_fails_at_the_bad_one(void **state)
{
	long live = ts_pkt_live();
	void *bad = unmapped_page();
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)}, out;
	socklen_t klen = sizeof(sin), ulen = 0;

	(void)state;
	memset(&out, 0xaa, sizeof(out));
	assert_int_equal(ts_shim_copy_out2(&out, &sin, 4, &ulen, &klen, sizeof(klen)), 0);
	assert_int_equal(ulen, sizeof(sin));
	assert_memory_equal(&out, &sin, 4);
	assert_int_equal(((uint8_t *)&out)[4], 0xaa);	/* cut to 4 bytes */
	memset(&out, 0xaa, sizeof(out));
	assert_int_equal(ts_shim_copy_out2(&out, &sin, sizeof(sin), bad, &klen, sizeof(klen)),
			 -EFAULT);
	assert_memory_equal(&out, &sin, sizeof(sin));
	ulen = 0;
	assert_int_equal(ts_shim_copy_out2(bad, &sin, sizeof(sin), &ulen, &klen, sizeof(klen)),
			 -EFAULT);
	assert_int_equal(ulen, 0);
	assert_int_equal(ts_pkt_live(), live);
}

/* The copies use a cached pid: a fork child must read its own memory,
 * not its parent's (the atfork child handler refreshes the pid). */
static void test_copy_in_fork_child_reads_its_own_memory(void **state)
{
	long live = ts_pkt_live();
	volatile uint32_t v = 1;
	uint32_t got = 0;
	int st = -1;
	pid_t pid;

	(void)state;
	assert_int_equal(ts_shim_copy_in(&got, (const void *)&v, sizeof(got)), 0);
	assert_int_equal(got, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		v = 2;
		got = 0;
		_exit(ts_shim_copy_in(&got, (const void *)&v, sizeof(got)) == 0 && got == 2 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(ts_shim_copy_in(&got, (const void *)&v, sizeof(got)), 0);
	assert_int_equal(got, 1);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_daemon_socket_is_enetdown_with_one_line),
		cmocka_unit_test(test_fallback_kernel_asks_for_the_kernel),
		cmocka_unit_test(test_version_mismatch_is_refused),
		cmocka_unit_test(test_other_families_and_types_refused_as_linux),
		cmocka_unit_test(test_socket_send_and_recv_through_the_channel),
		cmocka_unit_test(test_dup_shares_the_record_and_close_keeps_it),
		cmocka_unit_test(test_copy_to_unmapped_memory_is_efault_not_a_crash),
		cmocka_unit_test(test_copy_out2_writes_both_or_fails_at_the_bad_one),
		cmocka_unit_test(test_copy_in_fork_child_reads_its_own_memory),
	};

	return cmocka_run_group_tests_name("shim_ctl", tests, group_setup, group_teardown);
}
