/* libFuzzer target for tapsockd's control server end to end: every input
 * is a session of one client against a fresh daemon (the real ctl.c
 * server on a real libuv loop and SOCK_SEQPACKET socket, every op group
 * registered as tapsockd does, an engine on the loopback only).  The
 * client sends requests (the op from a table, the body from the input, an
 * fd the session holds attached), writes to the data channels it was
 * given, closes them.  Nothing a client sends may crash the daemon, trip
 * a sanitizer, leak a packet, a TCB or a libuv handle (the loop must
 * close empty after shutdown) — a client is any process that may open the
 * control socket.
 *
 * Records: [kind][fd][len lo][len hi][len bytes]
 *   kind & 3 = 0  request: op = ops[bytes[0] % NOPS], body = the rest
 *                 (kind & 4: the bytes are a whole message, header too)
 *            = 1  write the bytes to the session's fd number fd % NFD
 *            = 2  close that fd
 *            = 3  run the loop a little
 * fd (requests): 0 none, 1..NFD a descriptor replies gave us, then a
 * pipe, the control connection itself, /dev/null. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_ss.h"
#include "daemon.h"
#include "sockd.h"
#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFD 8

static const uint16_t ops[] = {
	TS_CTL_OP_HELLO, TS_CTL_OP_STAT, TS_CTL_OP_STAT_RESET, TS_CTL_OP_SYSCTL_GET,
	TS_CTL_OP_SYSCTL_SET, TS_CTL_OP_FAULT_ADD, TS_CTL_OP_FAULT_LIST, TS_CTL_OP_FAULT_DEL,
	TS_CTL_OP_FAULT_CLEAR, TS_CTL_OP_CAPTURE, TS_CTL_OP_TRACE, TS_CTL_OP_SOCK_SOCKET,
	TS_CTL_OP_SOCK_BIND, TS_CTL_OP_SOCK_CONNECT, TS_CTL_OP_SOCK_NAME, TS_CTL_OP_SOCK_SETOPT,
	TS_CTL_OP_SOCK_GETOPT, TS_CTL_OP_SOCK_AUTOBIND, TS_CTL_OP_SOCK_QUERY,
	TS_CTL_OP_TCP_SOCKET, TS_CTL_OP_TCP_BIND, TS_CTL_OP_TCP_LISTEN, TS_CTL_OP_TCP_CONNECT,
	TS_CTL_OP_TCP_NAME, TS_CTL_OP_TCP_SETOPT, TS_CTL_OP_TCP_GETOPT, TS_CTL_OP_TCP_QUERY,
	7,  /* unassigned: -EOPNOTSUPP (or what the server says) */
	99, /* past every range */
	TS_CTL_OP_TCP_ACCEPT, TS_CTL_OP_SS, TS_CTL_OP_TCP_LINGER, TS_CTL_OP_TCP_SHUTDOWN,
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

struct sess {
	uv_loop_t loop;
	struct ts_daemon d;
	char path[108];
	int cl;				/* the client's control connection */
	int fds[NFD];			/* descriptors replies gave us */
	int pipe_fd, null_fd;
	uint32_t id;
};

static uint8_t msg[TS_CTL_MAX_MSG];
static uint8_t rbuf[TS_CTL_MAX_MSG];

static void spin(struct sess *s, int n)
{
	for (int i = 0; i < n; i++)
		if (uv_run(&s->loop, UV_RUN_NOWAIT) == 0)
			break;
}

static void keep_fd(struct sess *s, int fd)
{
	for (int i = 0; i < NFD; i++)
		if (s->fds[i] < 0) {
			s->fds[i] = fd;
			return;
		}
	/* Full: the oldest goes. */
	close(s->fds[0]);
	memmove(s->fds, s->fds + 1, sizeof(s->fds) - sizeof(s->fds[0]));
	s->fds[NFD - 1] = fd;
}

/* Waits (boundedly) for the reply to the last request; keeps its fds. */
static void await_reply(struct sess *s)
{
	for (int i = 0; i < 200; i++) {
		int fds[TS_CTL_MAX_FDS], nfds = 0, n;
		struct pollfd p = {.fd = s->cl, .events = POLLIN};

		spin(s, 4);
		if (poll(&p, 1, 0) <= 0)
			continue;
		n = ts_ctl_recv(s->cl, rbuf, sizeof(rbuf), fds, &nfds);
		for (int k = 0; k < nfds; k++)
			keep_fd(s, fds[k]);
		if (n < 0)
			return;
		/* Pushed CAPTURE_DATA/TRACE_DATA (id 0) are not the reply. */
		if (n >= TS_CTL_HDR_LEN && (rbuf[8] | rbuf[9] | rbuf[10] | rbuf[11]) != 0)
			return;
	}
}

static int pick_fd(struct sess *s, uint8_t sel)
{
	sel %= NFD + 4;
	if (sel == 0)
		return -1;
	if (sel <= NFD)
		return s->fds[sel - 1];
	if (sel == NFD + 1)
		return s->pipe_fd;
	if (sel == NFD + 2)
		return s->cl;
	return s->null_fd;
}

static void request(struct sess *s, uint8_t kind, uint8_t sel, const uint8_t *p, size_t n)
{
	int fd = pick_fd(s, sel), len;

	if (kind & 4) {
		len = (int)(n < sizeof(msg) ? n : sizeof(msg));
		memcpy(msg, p, (size_t)len);
	} else {
		if (n == 0)
			return;
		len = ts_ctl_msg_build(msg, sizeof(msg), ops[p[0] % NOPS], ++s->id, 0, p + 1,
				       n - 1);
		if (len < 0)
			return;
	}
	if (ts_ctl_send(s->cl, msg, (size_t)len, &fd, fd >= 0) < 0)
		return;
	await_reply(s);
}

static void chan_write(struct sess *s, uint8_t sel, const uint8_t *p, size_t n)
{
	int fd = s->fds[sel % NFD];
	char sink[4096];

	if (fd < 0)
		return;
	if (send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* EAGAIN, EPIPE, EMSGSIZE, not a socket: all fine */
	}
	spin(s, 8);
	/* Whatever came back (datagrams, stream bytes, accept records). */
	for (int i = 0; i < 8; i++) {
		struct iovec iov = {sink, sizeof(sink)};
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * TS_CTL_MAX_FDS)];
		} cbuf;
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
				    .msg_controllen = sizeof(cbuf.b)};
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

				for (size_t k = 0; k < nfds && k < TS_CTL_MAX_FDS; k++) {
					int got;

					memcpy(&got, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
					keep_fd(s, got);
				}
			}
	}
}

static int sess_open(struct sess *s)
{
	static int registered;
	struct ts_engine_config cfg = {.addr = 0xc6120002, .prefix_len = 24, .seed = 11};
	char err[256];
	int p[2];

	if (!registered) {
		/* As tapsockd.c's register_ops(). */
		ts_ctl_core_register();
		ts_ctl_sock_register();
		ts_ctl_tcp_register();
		ts_ctl_fault_register();
		ts_ctl_stream_register();
		ts_ctl_ss_register();
		registered = 1;
	}
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < NFD; i++)
		s->fds[i] = -1;
	snprintf(s->path, sizeof(s->path), "/tmp/tapsock-fuzz-ctld-%d.sock", (int)getpid());
	unlink(s->path);
	if (uv_loop_init(&s->loop) < 0)
		return -1;
	s->d.loop = &s->loop;
	s->d.prefix_len = 24;
	if (ts_engine_init(&s->d.eng, NULL, &cfg) < 0)
		return -1;
	s->d.engine_up = 1;
	if (ts_ctl_sock_attach(&s->d) < 0 || ts_chan_tcp_attach(&s->d) < 0)
		return -1;
	ts_tcp_secrets_set(&ts_tcp_of(&s->d.eng)->secrets, 42);
	uv_timer_init(&s->loop, &s->d.timer);
	s->d.timer.data = &s->d;
	if (ts_ctl_listen(&s->d, s->path, err, sizeof(err)) < 0)
		return -1;
	ts_engine_start(&s->d.eng, ts_daemon_now());
	ts_daemon_kick(&s->d);
	s->cl = ts_ctl_connect(s->path, 1000);
	if (s->cl < 0 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	close(p[1]);
	s->pipe_fd = p[0];
	s->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	spin(s, 4);
	return 0;
}

static void sess_close(struct sess *s)
{
	close(s->cl);
	close(s->pipe_fd);
	close(s->null_fd);
	for (int i = 0; i < NFD; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	spin(s, 16);
	/* tapsockd's clean stop. */
	s->d.stopping = 1;
	ts_ctl_shutdown(&s->d);
	ts_chan_tcp_shutdown(&s->d);
	ts_ctl_sock_shutdown(&s->d);
	ts_daemon_loop_close(&s->d);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	/* A handle left open is a leak. */
	if (uv_loop_close(&s->loop) != 0) {
		fprintf(stderr, "fuzz_ctld: a libuv handle outlived the daemon\n");
		abort();
	}
	ts_engine_destroy(&s->d.eng);
	unlink(s->path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sess s;
	static int quiet = -1, quiet_fd = -1;
	int saved_err = -1;
	long pkt0 = ts_pkt_live(), tcb0 = ts_tcp_live();
	size_t off = 0;

	/* The daemon logs every op on stderr: quiet unless asked
	 * (FUZZ_CTLD_VERBOSE=1 to see a crash's report and the log). */
	if (quiet < 0) {
		quiet = getenv("FUZZ_CTLD_VERBOSE") == NULL;
		if (quiet)
			quiet_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	if (quiet) {
		fflush(stderr);
		saved_err = dup(2);
		dup2(quiet_fd, 2);
	}
	if (sess_open(&s) < 0) {
		fprintf(stderr, "fuzz_ctld: cannot start the daemon\n");
		abort();
	}
	for (int nrec = 0; off + 4 <= size && nrec < 64; nrec++) {
		uint8_t kind = data[off], sel = data[off + 1];
		size_t n = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;

		off += 4;
		if (n > size - off)
			n = size - off;
		switch (kind & 3) {
		case 0:
			request(&s, kind, sel, data + off, n);
			break;
		case 1:
			chan_write(&s, sel, data + off, n);
			break;
		case 2:
			if (s.fds[sel % NFD] >= 0) {
				close(s.fds[sel % NFD]);
				s.fds[sel % NFD] = -1;
			}
			spin(&s, 8);
			break;
		default:
			spin(&s, 16);
			break;
		}
		off += n;
	}
	sess_close(&s);
	if (quiet) {
		dup2(saved_err, 2);
		close(saved_err);
	}
	if (ts_pkt_live() != pkt0 || ts_tcp_live() != tcb0 || ts_chan_count() != 0 ||
	    ts_chan_tcp_count() != 0) {
		fprintf(stderr, "fuzz_ctld: leak: packets %ld, TCBs %ld, channels %d/%d\n",
			ts_pkt_live() - pkt0, ts_tcp_live() - tcb0, ts_chan_count(),
			ts_chan_tcp_count());
		abort();
	}
	return 0;
}
