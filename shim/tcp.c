/* The shim's TCP (SOCK_STREAM) calls.  The program's fd is end A of an
 * AF_UNIX SOCK_STREAM socketpair whose end B tapsockd pumps to and from the
 * engine (core/daemon/chan_tcp.c), so read/write/poll/epoll/sendfile/splice
 * work on it natively; this file does what must change: socket, bind,
 * listen, accept, connect (the filler technique), names, options, and the
 * errors a kernel socket pair cannot carry (ECONNRESET, ETIMEDOUT, EPIPE
 * without SIGPIPE for them).  Called by the hooks (hooks.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "ctl_proto.h"
#include "real.h"
#include "shim.h"

/* Filler writes are bounded: with SO_SNDBUF at its minimum, A stops being
 * writable after a handful of one-byte writes. */
#define FILLER_MAX 64

int ts_shim_tcp_socket(int type)
{
	return ts_shim_new_socket(TS_CTL_OP_TCP_SOCKET, SOCK_STREAM, IPPROTO_TCP, type);
}

int ts_shim_tcp_bind(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len)
{
	return ts_shim_bind_op(TS_CTL_OP_TCP_BIND, fd, s, sa, len);
}

int ts_shim_tcp_listen(int fd, struct ts_shim_sock *s, int backlog)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int r;

	/* Linux inet_listen: only an unconnected (or listening) socket. */
	if (s->tcp != TS_SHIM_TCP_FRESH && s->tcp != TS_SHIM_TCP_LISTEN)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.optlen = (uint32_t)backlog;
	r = ts_shim_call(TS_CTL_OP_TCP_LISTEN, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	s->tcp = TS_SHIM_TCP_LISTEN;
	s->bound = 1;
	return 0;
}

static int is_nonblock(int fd);

int ts_shim_tcp_accept(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
		       int flags)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct ts_shim_sock *ns;
	socklen_t ulen = 0;
	int nfd = -1, r;

	/* Linux __sys_accept4: unknown flags first, then a listening socket. */
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if (s->tcp != TS_SHIM_TCP_LISTEN)
		return -EINVAL;
	if (sa != NULL) {
		if (ts_shim_copy_in(&ulen, len, sizeof(ulen)) < 0)
			return -EFAULT;
		if ((int)ulen < 0)
			return -EINVAL;
	}
	for (;;) {
		char tok;
		ssize_t n;

		/* A token per connection the engine holds for us: blocking or
		 * not by the fd's own flags, woken natively. */
		n = ts_real.recv(fd, &tok, 1, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL;	/* the engine closed the listener */
		memset(&m, 0, sizeof(m));
		r = ts_shim_call(TS_CTL_OP_TCP_ACCEPT, &m, fd, &rep, &nfd);
		if (r == 0 && nfd >= 0)
			break;
		if (r == 0)
			return -ENETDOWN;
		/* The connection was reset before we came (Linux drops it
		 * too): wait for the next, or say so. */
		if (r != -EAGAIN || is_nonblock(fd))
			return r;
	}
	if (nfd >= TS_SHIM_MAX_FD) {
		ts_real.close(nfd);
		return -EMFILE;
	}
	/* The reply's fd arrived close-on-exec. */
	if (!(flags & SOCK_CLOEXEC))
		ts_real.fcntl(nfd, F_SETFD, 0);
	if (flags & SOCK_NONBLOCK)
		ts_real.fcntl(nfd, F_SETFL, O_NONBLOCK);
	ns = calloc(1, sizeof(*ns));
	if (ns == NULL) {
		ts_real.close(nfd);
		return -ENOMEM;
	}
	ns->type = SOCK_STREAM;
	ns->tcp = TS_SHIM_TCP_CONNECTED;
	ns->bound = 1;
	ns->connected = 1;
	ns->connect_reported = 1;
	ns->linger = s->linger;	/* Linux: the child inherits SO_LINGER */
	ns->peer_addr = rep.addr;
	ns->peer_port = rep.port;
	if (sa != NULL) {
		sin.sin_addr.s_addr = htonl(ns->peer_addr);
		sin.sin_port = htons(ns->peer_port);
		if (ulen > sizeof(sin))
			ulen = sizeof(sin);
		if (ts_shim_copy_out(sa, &sin, ulen) < 0 ||
		    (ulen = sizeof(sin), ts_shim_copy_out(len, &ulen, sizeof(ulen)) < 0)) {
			ts_real.close(nfd);
			free(ns);
			return -EFAULT;
		}
	}
	ts_shim_register(nfd, ns);
	return nfd;
}

/* SO_ERROR from the engine (cleared by the read, as Linux). */
static int take_error(int fd)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int v = 0;

	memset(&m, 0, sizeof(m));
	m.level = SOL_SOCKET;
	m.name = SO_ERROR;
	m.optlen = sizeof(int);
	if (ts_shim_call(TS_CTL_OP_TCP_GETOPT, &m, fd, &rep, NULL) < 0 || rep.n != sizeof(int))
		return 0;
	memcpy(&v, rep.opt, sizeof(v));
	return v;
}

static void restore_sndbuf(int fd, struct ts_shim_sock *s)
{
	if (s->saved_sndbuf > 0) {
		int v = s->saved_sndbuf / 2;	/* the kernel doubles it again */

		ts_real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		s->saved_sndbuf = 0;
	}
}

static int a_writable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r == 1 && (p.revents & (POLLOUT | POLLHUP | POLLERR));
}

/* A connecting socket whose A turned writable: the handshake is over, one
 * way or the other.  Returns 0 (connected) or the connect's error. */
static int finish_connect(int fd, struct ts_shim_sock *s)
{
	int err = take_error(fd);

	restore_sndbuf(fd, s);
	if (err != 0) {
		s->tcp = TS_SHIM_TCP_FRESH;	/* Linux: may connect again */
		s->connected = 0;
		return -err;
	}
	s->tcp = TS_SHIM_TCP_CONNECTED;
	s->connected = 1;
	return 0;
}

static int is_nonblock(int fd)
{
	int fl = ts_real.fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* The SO_SNDTIMEO of A in ms, -1 for none. */
static int sndtimeo_ms(int fd)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);

	if (ts_real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) < 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/* Waits (blocking socket) for a connect in progress.  0 done, -EINPROGRESS
 * when SO_SNDTIMEO expired (Linux), -EALREADY non-blocking. */
static int wait_connect(int fd, struct ts_shim_sock *s, int nonblock)
{
	int tmo;

	if (a_writable(fd, 0))
		return finish_connect(fd, s);
	if (nonblock)
		return -EALREADY;
	tmo = sndtimeo_ms(fd);
	if (!a_writable(fd, tmo))
		return -EINPROGRESS;
	return finish_connect(fd, s);
}

int ts_shim_tcp_connect(int fd, struct ts_shim_sock *s, const struct sockaddr *sa,
			socklen_t len)
{
	struct sockaddr_storage ss;
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	sa_family_t fam;
	socklen_t l = sizeof(int);
	int r = ts_shim_copy_addr_in(&ss, sa, len), nonblock, sndbuf = 0, one = 1, nfill = 0;

	if (r < 0)
		return r;
	/* Linux inet_stream_connect: the family first, then the state. */
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&fam, &ss, sizeof(fam));
	nonblock = is_nonblock(fd);
	if (fam == AF_UNSPEC) {
		/* A disconnect: only a fresh socket stays as it is here. */
		return s->tcp == TS_SHIM_TCP_FRESH ? 0 : -EINVAL;
	}
	switch (s->tcp) {
	case TS_SHIM_TCP_CONNECTED:
		if (s->connect_reported)
			return -EISCONN;
		/* The first connect after a non-blocking one completed
		 * returns 0 (Linux: SS_CONNECTING -> SS_CONNECTED). */
		s->connect_reported = 1;
		return 0;
	case TS_SHIM_TCP_LISTEN:
		return -EISCONN;
	case TS_SHIM_TCP_CONNECTING:
		r = wait_connect(fd, s, nonblock);
		if (r == 0)
			s->connect_reported = 1;
		return r;
	default:
		break;
	}
	memset(&m, 0, sizeof(m));
	r = ts_shim_parse_addr('c', &ss, len, &m.addr, &m.port);
	if (r < 0)
		return r;
	if (m.addr == 0)
		m.addr = 0x7f000001u;	/* Linux: INADDR_ANY means this host */
	/* The filler: A must not report POLLOUT before the handshake is
	 * over.  SO_SNDBUF to its minimum, then one-byte writes until A is
	 * not writable; the engine reads them away when the connection is
	 * established (or has failed). */
	if (ts_real.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &l) == 0 && sndbuf > 0) {
		s->saved_sndbuf = sndbuf;
		ts_real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	}
	while (nfill < FILLER_MAX && a_writable(fd, 0)) {
		if (ts_real.send(fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
			break;
		nfill++;
	}
	m.optlen = (uint32_t)nfill;
	r = ts_shim_call(TS_CTL_OP_TCP_CONNECT, &m, fd, &rep, NULL);
	if (r < 0) {
		restore_sndbuf(fd, s);
		return r;
	}
	s->bound = 1;
	s->laddr = rep.addr;
	s->peer_addr = m.addr;
	s->peer_port = m.port;
	s->tcp = TS_SHIM_TCP_CONNECTING;
	s->connect_reported = 0;
	if (nonblock)
		return -EINPROGRESS;
	r = wait_connect(fd, s, 0);
	if (r == 0)
		s->connect_reported = 1;
	return r;
}

int ts_shim_tcp_shutdown(int fd, struct ts_shim_sock *s, int how)
{
	/* Linux inet_shutdown: how first, then the state. */
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (s->tcp == TS_SHIM_TCP_CONNECTING && a_writable(fd, 0))
		finish_connect(fd, s);
	if (s->tcp == TS_SHIM_TCP_LISTEN) {
		struct ts_ctl_sock_req m;
		int r;

		/* Linux inet_shutdown: SHUT_RD or SHUT_RDWR disconnects a
		 * listener (accept() is EINVAL from then on, blocked ones
		 * too); SHUT_WR does nothing. */
		if (how == SHUT_WR)
			return 0;
		memset(&m, 0, sizeof(m));
		m.optlen = (uint32_t)how;
		r = ts_shim_call(TS_CTL_OP_TCP_SHUTDOWN, &m, fd, NULL, NULL);
		if (r < 0)
			return r;
		s->tcp = TS_SHIM_TCP_FRESH;
		return 0;
	}
	if (s->tcp == TS_SHIM_TCP_CONNECTING) {
		/* Linux: 0 (a connecting socket is disconnected there; here
		 * it carries on). */
		return 0;
	}
	if (s->tcp != TS_SHIM_TCP_CONNECTED) {
		/* Linux marks even an unconnected socket shut down (a later
		 * recv returns 0), and says ENOTCONN. */
		s->shut |= how + 1;
		return -ENOTCONN;
	}
	/* SHUT_WR: EOF on B, the engine sends its FIN after the data.
	 * SHUT_RD is the shim's alone (reads return 0 from now on): shutting
	 * A both ways would look, from B, exactly like the last close of A
	 * (POLLHUP), and the engine would close a socket still in use. */
	if (how != SHUT_WR)
		s->shut |= 1;
	if (how == SHUT_RD)
		return 0;
	return ts_real.shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

/* --- data ---------------------------------------------------------------- */

int ts_shim_tcp_pre_write(int fd, struct ts_shim_sock *s, int flags)
{
	int r;

	switch (s->tcp) {
	case TS_SHIM_TCP_CONNECTED:
		if (s->saved_sndbuf > 0)
			restore_sndbuf(fd, s);
		return 0;
	case TS_SHIM_TCP_CONNECTING:
		/* Linux sk_stream_wait_connect: wait (blocking) or EAGAIN. */
		r = wait_connect(fd, s, (flags & MSG_DONTWAIT) || is_nonblock(fd));
		if (r == -EALREADY || r == -EINPROGRESS)
			return -EAGAIN;
		return r;
	default:
		/* Not connected: EPIPE (and SIGPIPE), as Linux for TCP. */
		if (!(flags & MSG_NOSIGNAL))
			raise(SIGPIPE);
		return -EPIPE;
	}
}

ssize_t ts_shim_tcp_post_write(int fd, struct ts_shim_sock *s, ssize_t r, int err, int flags)
{
	int e;

	if (r >= 0)
		return r;
	if (err != EPIPE)
		return -err;
	/* The engine shut the channel after a failure: its error comes
	 * first (no signal), EPIPE after (with SIGPIPE unless MSG_NOSIGNAL),
	 * as Linux's sk_stream_error. */
	e = take_error(fd);
	if (e != 0 && e != EPIPE)
		return -e;
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return -EPIPE;
}

int ts_shim_tcp_pre_read(int fd, struct ts_shim_sock *s, int flags)
{
	if (flags & MSG_OOB)
		return -EINVAL;	/* no urgent data (Linux tcp_recv_urg) */
	switch (s->tcp) {
	case TS_SHIM_TCP_CONNECTED:
		if (s->saved_sndbuf > 0)
			restore_sndbuf(fd, s);
		return (s->shut & 1) ? 1 : 0;	/* shut down for reading */
	case TS_SHIM_TCP_CONNECTING:
		if (a_writable(fd, 0))
			return finish_connect(fd, s);
		return 0;	/* natively: blocks for data, or EAGAIN */
	case TS_SHIM_TCP_FRESH:
		return (s->shut & 1) ? 1 : -ENOTCONN;
	default:
		return -ENOTCONN;
	}
}

ssize_t ts_shim_tcp_post_read(int fd, struct ts_shim_sock *s, ssize_t r, int err, size_t len)
{
	int e;

	if (r < 0)
		return -err;
	if (r > 0 || len == 0)
		return r;
	/* EOF: after a reset or a timeout Linux returns the error once.  An
	 * RST after the peer's FIN (EPIPE, CLOSE-WAIT) reads as EOF: Linux's
	 * tcp_recvmsg checks SOCK_DONE before sk_err. */
	e = take_error(fd);
	return e != 0 && e != EPIPE ? -e : 0;
}

/* --- names and options -------------------------------------------------- */

int ts_shim_tcp_getname(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
			int peer)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	socklen_t ulen;
	int r = ts_shim_copy_in(&ulen, len, sizeof(ulen));

	if (r < 0)
		return r;
	if (peer && s->tcp == TS_SHIM_TCP_CONNECTING && a_writable(fd, 0))
		finish_connect(fd, s);
	memset(&m, 0, sizeof(m));
	m.flag = peer ? 1 : 0;
	r = ts_shim_call(TS_CTL_OP_TCP_NAME, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	return ts_shim_put_name(sa, len, ulen, rep.addr, rep.port);
}

static int put_int(void *val, socklen_t *len, socklen_t ulen, int v)
{
	if (ulen > sizeof(int))
		ulen = sizeof(int);
	if (ts_shim_copy_out(val, &v, ulen) < 0)
		return -EFAULT;
	return ts_shim_copy_out(len, &ulen, sizeof(ulen));
}

int ts_shim_tcp_getsockopt(int fd, struct ts_shim_sock *s, int level, int name, void *val,
			   socklen_t *len)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	socklen_t ulen;
	int r;

	if (ts_shim_opt_on_real_fd(level, name))
		return ts_real.getsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
	r = ts_shim_copy_in(&ulen, len, sizeof(ulen));
	if (r < 0)
		return r;
	if ((int)ulen < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_TYPE:
			return put_int(val, len, ulen, SOCK_STREAM);
		case SO_DOMAIN:
			return put_int(val, len, ulen, AF_INET);
		case SO_PROTOCOL:
			return put_int(val, len, ulen, IPPROTO_TCP);
		case SO_ACCEPTCONN:
			return put_int(val, len, ulen, s->tcp == TS_SHIM_TCP_LISTEN);
		case SO_ERROR:
			if (s->tcp == TS_SHIM_TCP_CONNECTING && a_writable(fd, 0)) {
				r = finish_connect(fd, s);
				return put_int(val, len, ulen, -r);
			}
			restore_sndbuf(fd, s);
			break;
		default:
			break;
		}
	}
	memset(&m, 0, sizeof(m));
	m.level = level;
	m.name = name;
	m.optlen = ulen > TS_CHAN_MAX_OPT ? TS_CHAN_MAX_OPT : ulen;
	r = ts_shim_call(TS_CTL_OP_TCP_GETOPT, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	if (ts_shim_copy_out(val, rep.opt, rep.n) < 0)
		return -EFAULT;
	ulen = rep.n;
	return ts_shim_copy_out(len, &ulen, sizeof(ulen));
}

int ts_shim_tcp_setsockopt(int fd, struct ts_shim_sock *s, int level, int name,
			   const void *val, socklen_t len)
{
	struct ts_ctl_sock_req m;
	int r;

	if (ts_shim_opt_on_real_fd(level, name))
		return ts_real.setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
	if ((int)len < 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.level = level;
	m.name = name;
	m.n = (uint16_t)(len > TS_CHAN_MAX_OPT ? TS_CHAN_MAX_OPT : len);
	if (ts_shim_copy_in(m.opt, val, m.n) < 0)
		return -EFAULT;
	r = ts_shim_call(TS_CTL_OP_TCP_SETOPT, &m, fd, NULL, NULL);
	if (r == 0 && level == SOL_SOCKET && name == SO_LINGER && m.n >= sizeof(struct linger)) {
		struct linger lg;

		memcpy(&lg, m.opt, sizeof(lg));
		s->linger = lg.l_onoff && lg.l_linger > 0;
	}
	return r;
}

/* --- close with SO_LINGER ------------------------------------------------ */

int ts_shim_tcp_linger_begin(int fd, struct ts_shim_sock *s, int *ms)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int lfd = -1, secs = 0;

	/* Linux inet_release: only a connected socket has anything to wait
	 * for (a listener or a connecting socket goes to CLOSE at once).  A
	 * non-blocking connect may have completed unseen. */
	if (s->tcp == TS_SHIM_TCP_CONNECTING && a_writable(fd, 0))
		finish_connect(fd, s);
	if (s->tcp != TS_SHIM_TCP_CONNECTED)
		return -1;
	memset(&m, 0, sizeof(m));
	if (ts_shim_call(TS_CTL_OP_TCP_LINGER, &m, fd, &rep, &lfd) < 0 || lfd < 0)
		return -1;
	if (rep.n < sizeof(int32_t)) {
		ts_real.close(lfd);
		return -1;
	}
	memcpy(&secs, rep.opt, sizeof(secs));
	/* sk_lingertime is l_linger seconds; poll takes int milliseconds. */
	*ms = secs > INT_MAX / 1000 ? -1 : secs * 1000;
	return lfd;
}

void ts_shim_tcp_linger_wait(int lfd, int ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	/* Linux sk_stream_wait_close waits even on a non-blocking socket
	 * (measured on 6.18: close() of an O_NONBLOCK socket with linger
	 * took as long as a blocking one), and a signal ends the wait;
	 * close(2) returns 0 either way. */
	(void)poll(&p, 1, ms);
	ts_real.close(lfd);
}

/* After exec: is fd (an AF_UNIX stream socket) one of the engine's TCP
 * sockets?  Registers it if so. */
void ts_shim_tcp_adopt(int fd)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	struct ts_shim_sock *s;

	memset(&m, 0, sizeof(m));
	if (ts_shim_call(TS_CTL_OP_TCP_QUERY, &m, fd, &rep, NULL) < 0 || rep.n < 1)
		return;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	s->type = SOCK_STREAM;
	s->tcp = rep.opt[0] == 2 ? TS_SHIM_TCP_LISTEN :
		 rep.opt[0] == 1 ? TS_SHIM_TCP_CONNECTED : TS_SHIM_TCP_FRESH;
	s->connected = s->tcp == TS_SHIM_TCP_CONNECTED;
	s->connect_reported = 1;
	s->linger = 1;	/* not known here: the daemon is asked at close */
	s->peer_addr = rep.addr;
	s->peer_port = rep.port;
	ts_shim_register(fd, s);
}
