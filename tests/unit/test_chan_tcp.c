/* TCP sockets in tapsockd (core/daemon/chan_tcp.c) on a real libuv loop and
 * an engine with no device (in-engine loopback only), driven through the
 * control protocol as the shim drives it: socket, bind, listen, connect
 * with the filler, accept (a token per queued connection on the listener's
 * channel, then the ACCEPT op; the backlog is the engine's), data both ways with back-pressure, EOF, refusal and
 * resets, SO_LINGER's close wait (LINGER op) and a listener's shutdown.
 * Every test ends with no TCB, packet or channel left. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "chan.h"
#include "ctl.h"
#include "daemon.h"
#include "sockd.h"
#include "tcp.h"

#define LO 0x7f000001u

struct fixture {
	uv_loop_t loop;
	struct ts_daemon d;
	char path[108];
	int ctl;
	long live, tcbs;
};

static uint8_t buf[TS_CTL_MAX_MSG];

static int group_setup(void **state)
{
	ts_ctl_core_register();
	ts_ctl_tcp_register();
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ts_engine_config cfg = {.addr = 0xc6120002, .prefix_len = 24, .seed = 5};
	char err[256];

	assert_non_null(f);
	f->live = ts_pkt_live();
	f->tcbs = ts_tcp_live();
	snprintf(f->path, sizeof(f->path), "/tmp/tapsock-test-chantcp-%d.sock", (int)getpid());
	unlink(f->path);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->d.loop = &f->loop;
	f->d.prefix_len = 24;
	assert_int_equal(ts_engine_init(&f->d.eng, NULL, &cfg), 0);
	assert_int_equal(ts_chan_tcp_attach(&f->d), 0);
	f->d.engine_up = 1;
	uv_timer_init(&f->loop, &f->d.timer);
	f->d.timer.data = &f->d;
	assert_int_equal(ts_ctl_listen(&f->d, f->path, err, sizeof(err)), 0);
	f->ctl = ts_ctl_connect(f->path, 2000);
	assert_true(f->ctl >= 0);
	*state = f;
	return 0;
}

static void pump(struct fixture *f)
{
	for (int i = 0; i < 50; i++) {
		ts_daemon_kick(&f->d);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->ctl);
	pump(f);
	ts_ctl_shutdown(&f->d);
	ts_chan_tcp_shutdown(&f->d);
	assert_int_equal(ts_chan_tcp_count(), 0);
	uv_close((uv_handle_t *)&f->d.timer, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	ts_engine_destroy(&f->d.eng);
	assert_int_equal(ts_tcp_live(), f->tcbs);
	assert_int_equal(ts_pkt_live(), f->live);
	free(f);
	return 0;
}

/* One TCP op: request m for the socket A (or -1); returns the result,
 * *rep filled, *rfd a received fd (or -1). */
static int op(struct fixture *f, unsigned code, const struct ts_ctl_sock_req *m, int a,
	      struct ts_ctl_sock_rep *rep, int *rfd)
{
	uint8_t body[512], msg[TS_CTL_HDR_LEN + 512];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr h;
	int n, fds[TS_CTL_MAX_FDS], nfds = 0;

	ts_ctl_wr_init(&w, body, sizeof(body));
	assert_int_equal(ts_ctl_sock_req_encode(&w, m), 0);
	n = ts_ctl_msg_build(msg, sizeof(msg), code, 9, 0, body, w.len);
	assert_true(n > 0);
	assert_int_equal(ts_ctl_send(f->ctl, msg, (size_t)n, &a, a >= 0 ? 1 : 0), 0);
	pump(f);
	n = ts_ctl_recv(f->ctl, buf, sizeof(buf), fds, &nfds);
	assert_true(n > 0);
	assert_int_equal(ts_ctl_hdr_decode(buf, (size_t)n, &h), 0);
	if (rfd != NULL)
		*rfd = nfds > 0 ? fds[0] : -1;
	else if (nfds > 0)
		close(fds[0]);
	if (h.result == 0 && rep != NULL)
		assert_int_equal(ts_ctl_sock_rep_decode(buf + TS_CTL_HDR_LEN, h.len, rep), 0);
	return h.result;
}

static int new_socket(struct fixture *f)
{
	struct ts_ctl_sock_req m = {.type = SOCK_STREAM, .proto = IPPROTO_TCP};
	int a = -1;

	assert_int_equal(op(f, TS_CTL_OP_TCP_SOCKET, &m, -1, NULL, &a), 0);
	assert_true(a >= 0);
	return a;
}

static int listener(struct fixture *f, uint16_t port)
{
	struct ts_ctl_sock_req m = {.addr = LO, .port = port};
	int a = new_socket(f);

	assert_int_equal(op(f, TS_CTL_OP_TCP_BIND, &m, a, NULL, NULL), 0);
	m.optlen = 8;
	assert_int_equal(op(f, TS_CTL_OP_TCP_LISTEN, &m, a, NULL, NULL), 0);
	return a;
}

static int writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

static int readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The shim's connect: SO_SNDBUF to the minimum, filler until A is not
 * writable, CONNECT with the count.  Returns the op's result. */
static int connect_filler(struct fixture *f, int a, uint16_t port)
{
	struct ts_ctl_sock_req m = {.addr = LO, .port = port};
	int one = 1, n = 0;

	setsockopt(a, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	while (n < 64 && writable(a) && send(a, "", 1, MSG_DONTWAIT) == 1)
		n++;
	assert_true(n > 0);
	assert_false(writable(a));
	m.optlen = (uint32_t)n;
	return op(f, TS_CTL_OP_TCP_CONNECT, &m, a, NULL, NULL);
}

static int so_error(struct fixture *f, int a)
{
	struct ts_ctl_sock_req m = {.level = SOL_SOCKET, .name = SO_ERROR, .optlen = 4};
	struct ts_ctl_sock_rep rep;
	int v = -1;

	assert_int_equal(op(f, TS_CTL_OP_TCP_GETOPT, &m, a, &rep, NULL), 0);
	assert_int_equal(rep.n, sizeof(int));
	memcpy(&v, rep.opt, sizeof(v));
	return v;
}

/* accept(2) as the shim does it: a token from the listener's channel,
 * then the ACCEPT op, whose reply carries the connection's A and peer. */
static int take_accept(struct fixture *f, int l, uint16_t *rport)
{
	struct ts_ctl_sock_req m = {0};
	struct ts_ctl_sock_rep rep;
	char tok;
	int fd = -1;

	assert_int_equal(recv(l, &tok, 1, MSG_DONTWAIT), 1);
	assert_int_equal(op(f, TS_CTL_OP_TCP_ACCEPT, &m, l, &rep, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(rep.addr, LO);
	*rport = rep.port;
	return fd;
}

/* A connected pair over the in-engine loopback: client c, accepted s. */
static void connected(struct fixture *f, int *l, int *c, int *s)
{
	struct ts_ctl_sock_req m = {0};
	struct ts_ctl_sock_rep rep;
	uint16_t rport;

	*l = listener(f, 7000);
	*c = new_socket(f);
	assert_int_equal(connect_filler(f, *c, 7000), 0);
	pump(f);
	/* The handshake is over: the filler was read away. */
	assert_true(writable(*c));
	assert_int_equal(so_error(f, *c), 0);
	assert_true(readable(*l));
	*s = take_accept(f, *l, &rport);
	assert_int_equal(op(f, TS_CTL_OP_TCP_NAME, &m, *c, &rep, NULL), 0);
	assert_int_equal(rep.port, rport);
}

static void test_loopback_connect_accept_data_and_eof(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_sock_req m = {.flag = 1};
	struct ts_ctl_sock_rep rep;
	char got[16];
	int l, c, s;

	connected(f, &l, &c, &s);
	assert_int_equal(op(f, TS_CTL_OP_TCP_NAME, &m, c, &rep, NULL), 0);
	assert_int_equal(rep.addr, LO);
	assert_int_equal(rep.port, 7000);
	assert_int_equal(write(c, "hello", 5), 5);
	pump(f);
	assert_int_equal(read(s, got, sizeof(got)), 5);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(write(s, "back", 4), 4);
	pump(f);
	assert_int_equal(read(c, got, sizeof(got)), 4);
	/* shutdown(SHUT_WR) of one A: the other reads EOF (the FIN). */
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	pump(f);
	assert_int_equal(read(s, got, sizeof(got)), 0);
	assert_int_equal(so_error(f, s), 0);
	close(s);
	pump(f);
	assert_int_equal(read(c, got, sizeof(got)), 0);
	close(c);
	close(l);
	pump(f);
}

static void test_connect_closed_port_is_refused_and_wakes(void **state)
{
	struct fixture *f = *state;
	int c = new_socket(f);

	assert_int_equal(connect_filler(f, c, 7001), 0);
	pump(f);
	assert_true(writable(c));
	assert_int_equal(so_error(f, c), ECONNREFUSED);
	assert_int_equal(so_error(f, c), 0);	/* taken once, as Linux */
	close(c);
	pump(f);
}

static void test_connect_port_zero_fails_at_once_and_drains_filler(void **state)
{
	struct fixture *f = *state;
	int c = new_socket(f);

	assert_int_equal(connect_filler(f, c, 0), -ECONNREFUSED);
	assert_true(writable(c));
	close(c);
	pump(f);
}

static void test_bind_conflict_and_listen_on_connected(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_sock_req m = {.addr = LO, .port = 7000};
	int l, c, s, x = new_socket(f);

	connected(f, &l, &c, &s);
	assert_int_equal(op(f, TS_CTL_OP_TCP_BIND, &m, x, NULL, NULL), -EADDRINUSE);
	m.optlen = 4;
	assert_int_equal(op(f, TS_CTL_OP_TCP_LISTEN, &m, c, NULL, NULL), -EINVAL);
	m.level = IPPROTO_TCP;
	m.name = 9999;
	assert_int_equal(op(f, TS_CTL_OP_TCP_GETOPT, &m, c, NULL, NULL), -ENOPROTOOPT);
	/* A descriptor that is no engine socket. */
	assert_int_equal(op(f, TS_CTL_OP_TCP_NAME, &m, f->ctl, NULL, NULL), -ENOTSOCK);
	close(x);
	close(s);
	close(c);
	close(l);
	pump(f);
}

/* The program stops reading: the engine stops taking data from the other
 * side's channel, the writer sees EAGAIN; then every byte arrives, in
 * order. */
static void test_backpressure_then_every_byte_in_order(void **state)
{
	struct fixture *f = *state;
	static uint8_t out[1 << 16], in[1 << 16];
	size_t sent = 0, rcvd = 0;
	int l, c, s, fl;

	connected(f, &l, &c, &s);
	fl = fcntl(c, F_GETFL);
	fcntl(c, F_SETFL, fl | O_NONBLOCK);
	for (int round = 0; round < 200; round++) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(out); i++)
			out[i] = (uint8_t)(sent + i);
		n = write(c, out, sizeof(out));
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			break;
		}
		sent += (size_t)n;
		pump(f);
	}
	/* Bounded: the rings and the socketpair buffers, not everything. */
	assert_true(sent > 0 && sent < 200u * sizeof(out));
	while (rcvd < sent) {
		ssize_t n = read(s, in, sizeof(in));

		if (n < 0 && errno == EAGAIN) {
			pump(f);
			continue;
		}
		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(in[i], (uint8_t)(rcvd + (size_t)i));
		rcvd += (size_t)n;
		pump(f);
	}
	assert_int_equal(rcvd, sent);
	close(c);
	close(s);
	close(l);
	pump(f);
}

/* Closing A with bytes it never read resets the connection (Linux): the
 * peer reads EOF, and SO_ERROR says ECONNRESET. */
static void test_close_with_unread_data_resets(void **state)
{
	struct fixture *f = *state;
	long rsts = (long)f->d.eng.stats.TcpOutRsts;
	char got[8];
	int l, c, s;

	connected(f, &l, &c, &s);
	assert_int_equal(write(s, "unread", 6), 6);
	pump(f);
	close(c);
	pump(f);
	assert_true((long)f->d.eng.stats.TcpOutRsts > rsts);
	assert_int_equal(read(s, got, sizeof(got)), 0);
	assert_int_equal(so_error(f, s), ECONNRESET);
	/* Writes after the reset: EPIPE on the channel. */
	assert_int_equal(send(s, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	close(s);
	close(l);
	for (int i = 0; i < 10; i++) {
		pump(f);
		usleep(30000);	/* the sweep finds the closed A */
	}
	assert_int_equal(ts_chan_tcp_count(), 0);
}

/* listen(2)'s backlog is the engine's: with backlog 1, Linux keeps two
 * established connections queued (sk_acceptq_is_full: qlen > backlog) and
 * drops further SYNs; one token per queued connection; closing the
 * listener resets the ones never accepted. */
static void test_backlog_tokens_and_listener_close_resets(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_sock_req m = {.addr = LO, .port = 7002, .optlen = 1};
	char toks[8], got[4];
	int l = new_socket(f), c[4], n = 0, s;
	uint16_t rport;

	assert_int_equal(op(f, TS_CTL_OP_TCP_BIND, &m, l, NULL, NULL), 0);
	assert_int_equal(op(f, TS_CTL_OP_TCP_LISTEN, &m, l, NULL, NULL), 0);
	for (int i = 0; i < 4; i++) {
		c[i] = new_socket(f);
		assert_int_equal(connect_filler(f, c[i], 7002), 0);
	}
	pump(f);
	for (int i = 0; i < 4; i++)
		n += writable(c[i]);
	assert_int_equal(n, 2);
	assert_int_equal(recv(l, toks, sizeof(toks), MSG_PEEK | MSG_DONTWAIT), 2);
	s = take_accept(f, l, &rport);
	assert_int_equal(write(s, "ok", 2), 2);
	close(l);	/* the other queued connection is reset */
	pump(f);
	for (int i = 0; i < 4; i++) {
		if (!writable(c[i]))
			continue;
		if (read(c[i], got, sizeof(got)) == 2)
			continue;	/* the accepted one */
		assert_int_equal(so_error(f, c[i]), ECONNRESET);
	}
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(s);
	pump(f);
}

/* The linger fd's end: a pipe whose writers are gone polls POLLHUP. */
static int hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP));
}

static void set_linger(struct fixture *f, int a, int onoff, int secs)
{
	struct ts_ctl_sock_req m = {.level = SOL_SOCKET, .name = SO_LINGER};
	struct linger lg = {.l_onoff = onoff, .l_linger = secs};

	m.n = sizeof(lg);
	memcpy(m.opt, &lg, sizeof(lg));
	assert_int_equal(op(f, TS_CTL_OP_TCP_SETOPT, &m, a, NULL, NULL), 0);
}

/* The LINGER op at close: no wait (no fd, n = 0) without SO_LINGER, with
 * a zero time, or for a listener (Linux closes those at once). */
static void test_linger_op_without_positive_linger_says_no_wait(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_sock_req m = {0};
	struct ts_ctl_sock_rep rep;
	int l, c, s, fd = -1;

	connected(f, &l, &c, &s);
	assert_int_equal(op(f, TS_CTL_OP_TCP_LINGER, &m, c, &rep, &fd), 0);
	assert_int_equal(rep.n, 0);
	assert_int_equal(fd, -1);
	set_linger(f, c, 1, 0);
	assert_int_equal(op(f, TS_CTL_OP_TCP_LINGER, &m, c, &rep, &fd), 0);
	assert_int_equal(rep.n, 0);
	assert_int_equal(fd, -1);
	set_linger(f, l, 1, 5);
	assert_int_equal(op(f, TS_CTL_OP_TCP_LINGER, &m, l, &rep, &fd), 0);
	assert_int_equal(rep.n, 0);
	assert_int_equal(fd, -1);
	close(s);
	close(c);
	close(l);
	pump(f);
}

/* SO_LINGER (1, 5): the fd the LINGER op gives stays quiet while the
 * orphan's FIN cannot be acked (the peer's window is closed by unread
 * data) and reads EOF once the peer has read everything and acked it
 * (Linux sk_stream_wait_close). */
static void test_linger_fd_waits_for_fin_ack_then_eof(void **state)
{
	struct fixture *f = *state;
	static uint8_t out[1 << 16];
	struct ts_ctl_sock_req m = {0};
	struct ts_ctl_sock_rep rep;
	size_t sent = 0, rcvd = 0;
	int l, c, s, lfd = -1, secs = 0;
	char x;

	connected(f, &l, &c, &s);
	set_linger(f, c, 1, 5);
	fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
	memset(out, 'z', sizeof(out));
	for (int round = 0; round < 200; round++) {
		ssize_t n = write(c, out, sizeof(out));

		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			break;
		}
		sent += (size_t)n;
		pump(f);
	}
	assert_true(sent > 0 && sent < 200u * sizeof(out));
	assert_int_equal(op(f, TS_CTL_OP_TCP_LINGER, &m, c, &rep, &lfd), 0);
	assert_int_equal(rep.n, sizeof(int32_t));
	memcpy(&secs, rep.opt, sizeof(secs));
	assert_int_equal(secs, 5);
	assert_true(lfd >= 0);
	close(c);
	for (int i = 0; i < 5; i++) {
		pump(f);
		usleep(10000);
	}
	assert_false(hung_up(lfd));	/* the FIN waits behind unacked data */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < 100000 && rcvd < sent; i++) {
		ssize_t n = read(s, out, sizeof(out));

		if (n < 0 && errno == EAGAIN) {
			pump(f);
			continue;
		}
		assert_true(n > 0);
		rcvd += (size_t)n;
	}
	assert_int_equal(rcvd, sent);
	for (int i = 0; i < 20 && !hung_up(lfd); i++) {
		pump(f);
		usleep(10000);	/* the daemon checks the orphan every 5 ms */
	}
	assert_true(hung_up(lfd));
	assert_int_equal(read(lfd, &x, 1), 0);	/* EOF: close(2) returns */
	close(lfd);
	close(s);
	close(l);
	pump(f);
}

/* shutdown(SHUT_RD) of a listener (Linux inet_shutdown -> tcp_disconnect):
 * SHUT_WR does nothing; SHUT_RD resets the queued connection, the
 * listener's channel reads EOF after its tokens (blocked accept() calls
 * wake) and ACCEPT says EINVAL; it cannot listen again here. */
static void test_listener_shutdown_rd_disconnects(void **state)
{
	struct fixture *f = *state;
	struct ts_ctl_sock_req m = {.optlen = 1};
	char tok;
	int l = listener(f, 7003), c = new_socket(f);

	assert_int_equal(op(f, TS_CTL_OP_TCP_SHUTDOWN, &m, l, NULL, NULL), 0);
	assert_int_equal(connect_filler(f, c, 7003), 0);
	pump(f);
	assert_true(writable(c));	/* SHUT_WR: still listening */
	assert_int_equal(so_error(f, c), 0);
	m.optlen = 0;
	assert_int_equal(op(f, TS_CTL_OP_TCP_SHUTDOWN, &m, l, NULL, NULL), 0);
	pump(f);
	assert_int_equal(so_error(f, c), ECONNRESET);
	assert_int_equal(recv(l, &tok, 1, MSG_DONTWAIT), 1);	/* the old token */
	assert_int_equal(op(f, TS_CTL_OP_TCP_ACCEPT, &m, l, NULL, NULL), -EINVAL);
	assert_int_equal(recv(l, &tok, 1, MSG_DONTWAIT), 0);	/* EOF: accept wakes */
	assert_int_equal(op(f, TS_CTL_OP_TCP_SHUTDOWN, &m, l, NULL, NULL), -ENOTCONN);
	m.optlen = 4;
	assert_int_equal(op(f, TS_CTL_OP_TCP_LISTEN, &m, l, NULL, NULL), -EINVAL);
	close(c);
	close(l);
	pump(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loopback_connect_accept_data_and_eof, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_closed_port_is_refused_and_wakes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_connect_port_zero_fails_at_once_and_drains_filler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_conflict_and_listen_on_connected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backpressure_then_every_byte_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_with_unread_data_resets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backlog_tokens_and_listener_close_resets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_op_without_positive_linger_says_no_wait,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_fd_waits_for_fin_ack_then_eof, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listener_shutdown_rd_disconnects, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
