/* TCP sockets in tapsockd: each engine TCB has a data channel, end B of an
 * AF_UNIX SOCK_STREAM socketpair whose end A the program holds, pumped on
 * the libuv loop with back-pressure both ways; and the TCP socket control
 * ops (TS_CTL_OP_TCP_*) the shim sends (shim/tcp.c).  Called from the
 * uv_poll callbacks, the engine's TCB callbacks and the control server.
 *
 * Mapping (docs/design.md "TCP through the shim"):
 *   program writes A      -> read from B only as the send ring has room
 *   engine receives data  -> written to B only as B takes it
 *   peer FIN              -> shutdown(B, SHUT_WR): the program reads EOF
 *   EOF on B              -> shutdown(SHUT_WR) (FIN after the data), or the
 *                            last close of A: ts_tcp_close (FIN, or RST with
 *                            unread data, as Linux tcp_close)
 *   ECONNRESET on B       -> A closed with unread data: RST (Linux)
 *   connection failure    -> remaining data to B, then shutdown(B, RDWR):
 *                            reads see EOF and writes EPIPE, which the shim
 *                            turns into the pending error (ECONNRESET...)
 * A listening socket's channel carries one token byte per connection in
 * the engine's accept queue; accept(2) is a token read plus the ACCEPT op,
 * whose reply carries the new connection's A. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"
#include "ctl.h"
#include "ctl_ss.h"
#include "sockd.h"
#include "tcp.h"

/* Bytes per read from B, and reads per wakeup (one busy socket cannot
 * starve the loop). */
#define TX_CHUNK 65536
#define TX_READS_PER_WAKEUP 16
/* The socketpair's own buffers: small, so data is not buffered twice
 * without limit (the engine's rings are the socket buffers). */
#define CHAN_BUF 65536
/* How often channels whose A may be gone without B noticing are checked. */
#define SWEEP_MS 250

struct tchan {
	struct ts_daemon *d;
	ino_t ino;			/* A's inode: the hash key */
	int fd;				/* B */
	uv_poll_t poll;
	int events;
	struct ts_tcb *tcb;		/* NULL once handed back to the engine */
	int listening;
	int filler;			/* connect filler bytes still in B */
	unsigned a_eof : 1;		/* read EOF from B: A shut down writing */
	unsigned b_shut_wr : 1;		/* we shut B for writing (peer FIN) */
	unsigned dead : 1;		/* failed: B shut both ways */
	unsigned watch : 1;		/* A's last close is found by the sweep */
	unsigned closing : 1;
	unsigned reuseport : 1;
	unsigned established : 1;
	int sndbuf_val, rcvbuf_val;	/* SO_SNDBUF/SO_RCVBUF as Linux reports them */
	int user_timeout;		/* TCP_USER_TIMEOUT, stored */
	int rcvlowat;
	int tokens;			/* listener: token bytes not yet ACCEPTed */
	/* SO_LINGER close (op LINGER): the pipe whose read end the shim
	 * polls; both ends closed when the close is over. */
	int linger_rd, linger_wr;
	unsigned lingering : 1;
	UT_hash_handle hh;
};

/* A closed socket whose program waits in close(2) (positive SO_LINGER):
 * the orphan is found again by its 4-tuple (and pointer and birth, so a
 * new connection on the same tuple is not taken for it). */
struct lingerer {
	struct ts_tcp_key key;
	const struct ts_tcb *tcb;
	uint64_t created, deadline;	/* µs */
	int rd, wr;
	struct lingerer *next;
};

static struct tchan *tchans;
static int ntchans;
static uv_timer_t sweep_timer;
static int sweep_init, sweep_on;
static uint8_t tx_buf[TX_CHUNK];
static struct lingerer *lingerers;
static uv_timer_t linger_timer;
static int linger_init, linger_on;

static void tchan_update(struct tchan *c);
static void tchan_poll_cb(uv_poll_t *h, int status, int events);

int ts_chan_tcp_count(void)
{
	return ntchans;
}

/* --- lifetime ---------------------------------------------------------- */

static void tchan_free_cb(uv_handle_t *h)
{
	free(h->data);
}

/* --- SO_LINGER ------------------------------------------------------- */

/* Linux sk_stream_wait_close: the closer waits while the orphan is in
 * FIN-WAIT-1, CLOSING or LAST-ACK (our FIN not yet acked).  ESTABLISHED,
 * SYN-RECEIVED and CLOSE-WAIT only until the engine has queued the FIN. */
static int linger_waits(const struct ts_tcb *t)
{
	switch (t->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		return 1;
	default:
		return 0;
	}
}

static void linger_release_fds(int rd, int wr)
{
	/* The shim sees EOF on its copy of rd: close(2) returns. */
	if (wr >= 0)
		close(wr);
	if (rd >= 0)
		close(rd);
}

/* Ends the waits that are over: the orphan gone or past the states
 * above, or the linger time passed (the shim stopped waiting). */
static void linger_check(struct ts_daemon *d)
{
	struct ts_tcp *tcp = ts_tcp_of(&d->eng);
	struct lingerer **pp = &lingerers;
	uint64_t now = ts_daemon_now();

	while (*pp != NULL) {
		struct lingerer *l = *pp;
		const struct ts_tcb *t = tcp != NULL ? ts_tcb_lookup(tcp, &l->key) : NULL;

		if (t != NULL && t == l->tcb && t->created == l->created && linger_waits(t) &&
		    now < l->deadline) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		linger_release_fds(l->rd, l->wr);
		free(l);
	}
	if (lingerers == NULL && linger_on) {
		uv_timer_stop(&linger_timer);
		linger_on = 0;
	}
}

static void linger_timer_cb(uv_timer_t *h)
{
	linger_check(h->data);
}

/* Polled: the engine tells an orphan's owner nothing, and the loop glue
 * has no hook per input batch; 5 ms is well inside an RTT's noise. */
#define LINGER_CHECK_MS 5

/* c's TCB is about to be closed: keep the wait going on the orphan. */
static void linger_hand_over(struct tchan *c, const struct ts_tcb *t, int secs)
{
	struct lingerer *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		linger_release_fds(c->linger_rd, c->linger_wr);
		c->lingering = 0;
		return;
	}
	l->key = t->key;
	l->tcb = t;
	l->created = t->created;
	l->deadline = ts_daemon_now() + ((uint64_t)(secs > 0 ? secs : 0) + 1) * 1000000u;
	l->rd = c->linger_rd;
	l->wr = c->linger_wr;
	c->lingering = 0;
	l->next = lingerers;
	lingerers = l;
	if (!linger_init) {
		uv_timer_init(c->d->loop, &linger_timer);
		linger_timer.data = c->d;
		linger_init = 1;
	}
	if (!linger_on) {
		linger_on = 1;
		uv_timer_start(&linger_timer, linger_timer_cb, LINGER_CHECK_MS, LINGER_CHECK_MS);
	}
}

static void tchan_close(struct tchan *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	HASH_DELETE(hh, tchans, c);
	ntchans--;
	if (c->tcb != NULL) {
		struct ts_tcb *t = c->tcb;
		int secs = -1;

		c->tcb = NULL;
		t->user = NULL;
		if (c->lingering) {
			ts_tcp_getopt(t, TS_TCP_LINGER, &secs);
			linger_hand_over(c, t, secs);
		}
		ts_tcp_close(t, ts_daemon_now());
		if (lingerers != NULL)
			linger_check(c->d);	/* freed or reset at once: no wait */
	}
	if (c->lingering) {
		/* The TCB went before (an abort): nothing to wait for. */
		linger_release_fds(c->linger_rd, c->linger_wr);
		c->lingering = 0;
	}
	uv_poll_stop(&c->poll);
	close(c->fd);
	c->fd = -1;
	c->poll.data = c;
	uv_close((uv_handle_t *)&c->poll, tchan_free_cb);
}

/* A closed while data it never read was queued to it: Linux resets
 * (tcp_close with unread data; here the data sat in the channel). */
static void tchan_abort(struct tchan *c)
{
	if (c->tcb != NULL) {
		struct ts_tcb *t = c->tcb;

		c->tcb = NULL;
		t->user = NULL;
		t->cb = NULL;
		if (TCPS_HAVEESTABLISHED(t->state) && t->state != TCPS_TIME_WAIT)
			c->d->eng.stats.TcpExtTCPAbortOnClose++;
		ts_tcp_abort(t, ts_daemon_now());
	}
	tchan_close(c);
}

/* Is the inode of A still a live socket?  unix_diag looks it up exactly;
 * if diag is unavailable we cannot tell, and say yes. */
static int a_alive(ino_t ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req;
	union {
		struct nlmsghdr nlh;
		uint8_t buf[1024];
	} rep;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ssize_t n;
	int alive = 1;

	if (fd < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)ino;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u;
	if (send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req)) {
		n = recv(fd, &rep, sizeof(rep), 0);
		if (n >= (ssize_t)sizeof(struct nlmsghdr) && rep.nlh.nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(&rep.nlh);

			if (e->error == -ENOENT)
				alive = 0;
		}
	}
	close(fd);
	return alive;
}

static void sweep_cb(uv_timer_t *t)
{
	struct tchan *c, *tmp;
	int left = 0;

	HASH_ITER(hh, tchans, c, tmp) {
		struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
		int gone;

		if (!c->watch || c->closing)
			continue;
		/* B not shut by us: A's last close shows as POLLHUP. */
		if (!c->b_shut_wr && !c->dead)
			gone = poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
		else
			gone = !a_alive(c->ino);
		if (gone)
			tchan_close(c);
		else
			left++;
	}
	ts_daemon_kick(t->data);
	if (left == 0) {
		uv_timer_stop(&sweep_timer);
		sweep_on = 0;
	}
}

static void watch(struct tchan *c)
{
	c->watch = 1;
	if (!sweep_init) {
		uv_timer_init(c->d->loop, &sweep_timer);
		sweep_timer.data = c->d;
		sweep_init = 1;
	}
	if (!sweep_on) {
		sweep_on = 1;
		uv_timer_start(&sweep_timer, sweep_cb, SWEEP_MS, SWEEP_MS);
	}
}

static struct tchan *tchan_new(struct ts_daemon *d, int *afd)
{
	struct tchan *c = calloc(1, sizeof(*c));
	struct stat st;
	int sv[2], v = CHAN_BUF;

	if (c == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(c);
		return NULL;
	}
	if (fstat(sv[0], &st) < 0 || fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0 ||
	    uv_poll_init(d->loop, &c->poll, sv[1]) < 0) {
		close(sv[0]);
		close(sv[1]);
		free(c);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	c->d = d;
	c->ino = st.st_ino;
	c->fd = sv[1];
	c->poll.data = c;
	HASH_ADD(hh, tchans, ino, sizeof(c->ino), c);
	ntchans++;
	*afd = sv[0];
	return c;
}

/* --- the pump ------------------------------------------------------------ */

/* Engine -> B: in-order data, as much as B takes; then the peer's FIN. */
static void pump_rx(struct tchan *c)
{
	struct ts_tcb *t = c->tcb;
	uint64_t now = ts_daemon_now();

	if (t == NULL || c->listening || c->closing)
		return;
	for (int i = 0; i < 64; i++) {
		size_t len = ts_tcp_readable(t);
		struct iovec iov[2];
		struct msghdr mh = {.msg_iov = iov};
		ssize_t n;

		if (len == 0)
			break;
		mh.msg_iovlen = (size_t)ts_ringbuf_iov_data(&t->rcv, 0, len, iov);
		if (c->b_shut_wr || c->dead) {
			n = (ssize_t)len;	/* nobody can read it: dropped */
			c->d->eng.stats.TsExtTcpChanRxDiscard += len;
		} else {
			n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
				break;
			if (n < 0) {
				n = (ssize_t)len;	/* A shut down reading, or gone */
				c->d->eng.stats.TsExtTcpChanRxDiscard += len;
			}
		}
		ts_tcp_recv(t, NULL, (size_t)n, now);
	}
	if (ts_tcp_readable(t) == 0 && (t->flags & TF_RCVD_FIN) && !c->b_shut_wr) {
		/* The peer's FIN, after its data: EOF for the program. */
		shutdown(c->fd, SHUT_WR);
		c->b_shut_wr = 1;
		if (c->a_eof)
			watch(c);
	}
}

/* The program's last close of A (EOF with POLLHUP, B not shut by us). */
static int a_closed(struct tchan *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};

	return !c->b_shut_wr && poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* B -> engine: as much as the send ring has room for.  Returns -1 if the
 * channel was closed. */
static int pump_tx(struct tchan *c)
{
	uint64_t now = ts_daemon_now();

	for (int i = 0; i < TX_READS_PER_WAKEUP && !c->a_eof; i++) {
		struct ts_tcb *t = c->tcb;
		size_t room;
		ssize_t n;

		if (t == NULL)
			return 0;
		if (c->filler > 0)
			room = (size_t)c->filler;
		else if (c->dead)
			room = sizeof(tx_buf);	/* failed: drained and dropped */
		else
			room = ts_tcp_writable(t);
		if (room == 0)
			break;
		if (room > sizeof(tx_buf))
			room = sizeof(tx_buf);
		n = recv(c->fd, tx_buf, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* ECONNRESET: A was closed with data it never read. */
			tchan_abort(c);
			return -1;
		}
		if (n == 0) {
			if (c->filler > 0 || a_closed(c)) {
				tchan_close(c);
				return -1;
			}
			/* shutdown(A, SHUT_WR): FIN after the queued data. */
			c->a_eof = 1;
			if (!c->dead)
				ts_tcp_shutdown(t, SHUT_WR, now);
			watch(c);
			break;
		}
		if (c->filler > 0) {
			c->filler -= (int)n;
			continue;
		}
		if (!c->dead)
			ts_tcp_send(t, tx_buf, (size_t)n, now);
		else
			c->d->eng.stats.TsExtTcpChanTxDiscard += (uint64_t)n;
	}
	return 0;
}

static void tchan_set_events(struct tchan *c, int ev)
{
	if (c->closing || c->events == ev)
		return;
	c->events = ev;
	uv_poll_start(&c->poll, ev, tchan_poll_cb);
}

/* What B's poll watches, from the state of the socket. */
static void tchan_update(struct tchan *c)
{
	struct ts_tcb *t = c->tcb;
	int ev = UV_DISCONNECT;

	if (c->closing)
		return;
	if (c->listening) {
		if (t != NULL && t->accept_qlen > c->tokens)
			ev |= UV_WRITABLE;
	} else if (t != NULL && (c->established || c->dead)) {
		if (!c->a_eof && (c->filler > 0 || c->dead || ts_tcp_writable(t) > 0))
			ev |= UV_READABLE;
		if (!c->b_shut_wr && !c->dead && ts_tcp_readable(t) > 0)
			ev |= UV_WRITABLE;
		if (c->a_eof)
			ev = c->b_shut_wr ? 0 : UV_WRITABLE & ev;
	}
	if (ev == 0) {
		if (c->events != 0) {
			uv_poll_stop(&c->poll);
			c->events = 0;
		}
		return;
	}
	tchan_set_events(c, ev);
}

/* --- listeners ------------------------------------------------------------ */

/* One token byte on the listener's channel per connection waiting in the
 * engine's accept queue: A is readable exactly when accept(2) has
 * something, natively (poll, select, epoll, blocking accept in many
 * threads).  The connections themselves stay in the engine's accept queue
 * until the program takes one (the ACCEPT op), so listen()'s backlog is
 * the engine's, as Linux's, and closing the listener resets those not
 * accepted. */
static void pump_tokens(struct tchan *l)
{
	while (l->tcb != NULL && l->tcb->accept_qlen > l->tokens) {
		ssize_t n = send(l->fd, "a", 1, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			break;	/* full (UV_WRITABLE follows), or the program is gone */
		l->tokens++;
	}
	tchan_update(l);
}

static const struct ts_tcp_callbacks tcp_cbs;

static void on_accept(struct ts_tcb *lt, void *user)
{
	struct tchan *l = user;

	if (l != NULL)
		pump_tokens(l);
}

/* --- engine callbacks --------------------------------------------------- */

static void on_established(struct ts_tcb *t, void *user)
{
	struct tchan *c = user;

	if (c == NULL)
		return;
	c->established = 1;
	/* The filler is read away now: A turns writable, which is how a
	 * non-blocking connect's poll/select/epoll wake. */
	if (pump_tx(c) < 0)
		return;
	tchan_update(c);
}

static void on_readable(struct ts_tcb *t, void *user)
{
	struct tchan *c = user;

	if (c == NULL)
		return;
	pump_rx(c);
	tchan_update(c);
}

static void on_writable(struct ts_tcb *t, void *user)
{
	struct tchan *c = user;

	if (c == NULL || c->closing)
		return;
	tchan_update(c);
}

static void on_error(struct ts_tcb *t, int err, void *user)
{
	struct tchan *c = user;

	if (c == NULL)
		return;
	if (!c->established) {
		/* A connect that failed: the socket may connect again (Linux).
		 * Reading the filler away wakes the program; SO_ERROR has the
		 * error. */
		if (pump_tx(c) < 0)
			return;
		tchan_update(c);
		return;
	}
	/* What arrived before the reset stays readable (Linux tcp_reset does
	 * not purge the receive queue), then EOF/EPIPE, which the shim turns
	 * into the error. */
	pump_rx(c);
	shutdown(c->fd, SHUT_RDWR);
	c->b_shut_wr = 1;
	c->dead = 1;
	watch(c);
	tchan_update(c);
}

static void on_closed(struct ts_tcb *t, void *user)
{
	struct tchan *c = user;

	if (c == NULL)
		return;
	pump_rx(c);
	tchan_update(c);
}

static const struct ts_tcp_callbacks tcp_cbs = {
	.on_established = on_established,
	.on_readable = on_readable,
	.on_writable = on_writable,
	.on_accept = on_accept,
	.on_error = on_error,
	.on_closed = on_closed,
};

static void tchan_poll_cb(uv_poll_t *h, int status, int events)
{
	struct tchan *c = h->data;
	struct ts_daemon *d = c->d;

	if (c->closing)
		return;
	if (status < 0) {
		/* POLLERR on B: A was closed while holding bytes it never
		 * read (the kernel sets ECONNRESET on B): Linux resets. */
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err == ECONNRESET && !c->listening)
			tchan_abort(c);
		else
			tchan_close(c);
		ts_daemon_kick(d);
		return;
	}
	if (c->listening) {
		if (events & UV_DISCONNECT) {
			struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};

			if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP))) {
				tchan_close(c);
				ts_daemon_kick(d);
				return;
			}
		}
		pump_tokens(c);
		ts_daemon_kick(d);
		return;
	}
	if (!c->established && !c->dead) {
		/* Fresh or connecting: only A's close matters (the connect
		 * filler must stay in B). */
		if (events & UV_DISCONNECT) {
			tchan_close(c);
			ts_daemon_kick(d);
		}
		return;
	}
	if (events & UV_WRITABLE)
		pump_rx(c);
	if (!c->closing && (events & (UV_READABLE | UV_DISCONNECT)))
		if (pump_tx(c) < 0) {
			ts_daemon_kick(d);
			return;
		}
	if (!c->closing && c->tcb != NULL)
		pump_rx(c);
	tchan_update(c);
	ts_daemon_kick(d);
}

/* --- control ops ---------------------------------------------------------- */

static struct tchan *find_fd(int fd)
{
	struct tchan *c;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	HASH_FIND(hh, tchans, &st.st_ino, sizeof(st.st_ino), c);
	return c == NULL || c->closing ? NULL : c;
}

static int tcp_req(struct ts_ctl_req *req, struct ts_ctl_sock_req *m, struct tchan **c)
{
	if (ts_ctl_sock_req_decode(req->body, req->len, m) < 0)
		return -EINVAL;
	if (req->nfds != 1)
		return -EBADF;
	*c = find_fd(req->fds[0]);
	if (*c == NULL)
		return -ENOTSOCK;
	/* Bytes the program wrote before this call go first. */
	if ((*c)->established && pump_tx(*c) < 0)
		return -ENOTSOCK;
	if ((*c)->tcb == NULL)
		return -EBADF;
	return 0;
}

static int reply_name(struct ts_ctl_rep *rep, const struct tchan *c, int peer)
{
	struct ts_ctl_sock_rep out;
	const struct ts_tcb *t = c->tcb;

	memset(&out, 0, sizeof(out));
	out.id = (uint64_t)c->ino;
	out.addr = peer ? t->key.raddr : t->key.laddr;
	out.port = peer ? t->key.rport : t->key.lport;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

#define CAP_BIT_NET_BIND_SERVICE 10

static int may_bind_priv(const struct ts_ctl_conn *conn)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	FILE *f;

	if (conn->cred.uid == 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)conn->cred.pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return (caps >> CAP_BIT_NET_BIND_SERVICE) & 1;
}

static int op_socket(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int afd;

	if (ts_ctl_sock_req_decode(req->body, req->len, &m) < 0)
		return -EINVAL;
	c = tchan_new(d, &afd);
	if (c == NULL)
		return -ENOMEM;
	c->tcb = ts_tcp_socket(&d->eng, &tcp_cbs, c);
	if (c->tcb == NULL) {
		close(afd);
		tchan_close(c);
		return -ENOMEM;
	}
	ts_tcp_setopt(c->tcb, TS_TCP_BIND_PRIV, may_bind_priv(req->conn));
	ts_tcp_setopt(c->tcb, TS_TCP_UID, (int)req->conn->cred.uid); /* SO_REUSEPORT groups */
	tchan_update(c);
	rep->fds[0] = afd;
	rep->nfds = 1;
	return reply_name(rep, c, 0);
}

/* close(2) is synchronous on Linux: a bind right after the close of the
 * holder must not see it.  Reads what is pending on every channel, so
 * EOFs already there take effect. */
static void settle(void)
{
	struct tchan *c, *tmp;

	HASH_ITER(hh, tchans, c, tmp) {
		if (c->closing)
			continue;
		if (c->listening || (!c->established && !c->dead)) {
			struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};

			if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)))
				tchan_close(c);
		} else if (c->established) {
			pump_tx(c);
		}
	}
}

static int op_bind(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	if (r < 0)
		return r;
	r = ts_tcp_bind(c->tcb, m.addr, m.port);
	if (r == -EADDRINUSE && m.port != 0) {
		settle();
		r = ts_tcp_bind(c->tcb, m.addr, m.port);
	}
	if (r < 0)
		return r;
	return reply_name(rep, c, 0);
}

static int op_listen(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	if (r < 0)
		return r;
	if (c->established || c->dead || c->tcb->state == TCPS_SYN_SENT)
		return -EINVAL;
	if (c->b_shut_wr)
		return -EINVAL;	/* a listener shut down: see op_shutdown */
	r = ts_tcp_listen(c->tcb, (int)m.optlen);
	if (r == -EADDRINUSE) {
		settle();
		r = ts_tcp_listen(c->tcb, (int)m.optlen);
	}
	if (r < 0)
		return r;
	c->listening = 1;
	tchan_update(c);
	return reply_name(rep, c, 0);
}

/* The connect failed at once: the filler written for it is read away. */
static void drain_filler(struct tchan *c)
{
	while (c->filler > 0) {
		ssize_t n = recv(c->fd, tx_buf, (size_t)c->filler, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		c->filler -= (int)n;
	}
	c->filler = 0;
}

static int op_connect(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	if (r < 0)
		return r;
	if (c->listening)
		return -EINVAL;
	if (c->established || c->dead)
		return -EISCONN;	/* the shim knows: no filler was written */
	if (c->b_shut_wr)
		return -EINVAL;	/* a listener shut down: see op_shutdown */
	/* The filler is in B already (written before this request); set
	 * before connecting, since a loopback handshake may complete inside
	 * ts_tcp_connect. */
	c->filler = m.optlen > 4096 ? 4096 : (int)m.optlen;
	/* A connect to the engine itself meets its listeners at once: a
	 * listener this program closed a moment ago (its EOF not read yet)
	 * must already be gone, as after a synchronous close on Linux, or
	 * an SO_REUSEPORT group could still route the SYN to it. */
	if (ts_engine_is_local(&d->eng, m.addr))
		settle();
	r = ts_tcp_connect(c->tcb, m.addr, m.port, ts_daemon_now());
	if (r == -EADDRNOTAVAIL) {
		settle();
		r = ts_tcp_connect(c->tcb, m.addr, m.port, ts_daemon_now());
	}
	if (r < 0 || c->closing) {
		if (!c->closing)
			drain_filler(c);
		return r < 0 ? r : -EBADF;
	}
	ts_daemon_kick(d);
	if (c->closing || c->tcb == NULL)
		return -EBADF;
	return reply_name(rep, c, 0);
}

static int op_name(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	if (r < 0)
		return r;
	/* Linux inet_getname: ENOTCONN for the peer while SYN-SENT or
	 * CLOSED (after a reset too). */
	if (m.flag == 1 && (c->tcb->key.rport == 0 || c->tcb->state == TCPS_SYN_SENT ||
			    c->tcb->state == TCPS_CLOSED))
		return -ENOTCONN;
	return reply_name(rep, c, m.flag == 1);
}

static int put_int(struct ts_ctl_sock_rep *out, uint32_t cap, int v)
{
	/* Linux: an int option read into less than an int gives what fits
	 * (do_tcp_getsockopt: len = min(len, sizeof(int))). */
	out->n = (uint16_t)(cap < sizeof(int) ? cap : sizeof(int));
	memcpy(out->opt, &v, out->n);
	return 0;
}

static uint8_t linux_state(int s)
{
	static const uint8_t map[TCPS_NSTATES] = {
		[TCPS_CLOSED] = TCP_CLOSE,	   [TCPS_LISTEN] = TCP_LISTEN,
		[TCPS_SYN_SENT] = TCP_SYN_SENT,	   [TCPS_SYN_RECEIVED] = TCP_SYN_RECV,
		[TCPS_ESTABLISHED] = TCP_ESTABLISHED, [TCPS_FIN_WAIT_1] = TCP_FIN_WAIT1,
		[TCPS_FIN_WAIT_2] = TCP_FIN_WAIT2, [TCPS_CLOSE_WAIT] = TCP_CLOSE_WAIT,
		[TCPS_CLOSING] = TCP_CLOSING,	   [TCPS_LAST_ACK] = TCP_LAST_ACK,
		[TCPS_TIME_WAIT] = TCP_TIME_WAIT,
	};

	return s >= 0 && s < TCPS_NSTATES ? map[s] : TCP_CLOSE;
}

/* struct tcp_info from the engine's view, as Linux's tcp_get_info. */
static void fill_info(struct tchan *c, struct ts_ctl_sock_rep *out, uint32_t cap)
{
	struct ts_tcp_info in;
	struct tcp_info ti;
	uint64_t now = ts_daemon_now();

	ts_tcp_get_info(c->tcb, &in, now);
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = linux_state(in.state);
	ti.tcpi_ca_state = (uint8_t)in.ca_state;
	ti.tcpi_retransmits = (uint8_t)in.retransmits;
	ti.tcpi_probes = (uint8_t)in.probes;
	ti.tcpi_backoff = (uint8_t)in.backoff;
	if (in.options & TF_TS)
		ti.tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (in.options & TF_SACK)
		ti.tcpi_options |= TCPI_OPT_SACK;
	if (in.options & TF_WS) {
		ti.tcpi_options |= TCPI_OPT_WSCALE;
		ti.tcpi_snd_wscale = in.snd_wscale & 0xf;
		ti.tcpi_rcv_wscale = in.rcv_wscale & 0xf;
	}
	ti.tcpi_rto = (uint32_t)in.rto;
	ti.tcpi_ato = 40000;
	ti.tcpi_snd_mss = in.mss;
	ti.tcpi_rcv_mss = in.rcv_mss;
	ti.tcpi_unacked = in.mss ? (in.unacked + in.mss - 1) / in.mss : 0;
	ti.tcpi_sacked = in.mss ? in.sacked / in.mss : 0;
	ti.tcpi_pmtu = c->d->eng.mtu;
	ti.tcpi_rcv_ssthresh = in.rcv_wnd;
	ti.tcpi_rtt = (uint32_t)in.srtt;
	ti.tcpi_rttvar = (uint32_t)in.rttvar;
	ti.tcpi_snd_ssthresh = in.ssthresh;
	ti.tcpi_snd_cwnd = in.cwnd;
	ti.tcpi_advmss = c->tcb->adv_mss;
	ti.tcpi_reordering = 3;
	ti.tcpi_rcv_space = ts_tcb_rcvbuf(c->tcb);
	ti.tcpi_total_retrans = in.total_retrans;
	out->n = (uint16_t)(cap < sizeof(ti) ? cap : sizeof(ti));
	memcpy(out->opt, &ti, out->n);
}

static int int_arg(const struct ts_ctl_sock_req *m, int *v)
{
	/* Linux: an int option needs at least an int (some take less, as
	 * do_tcp_setsockopt's `if (optlen < sizeof(int)) return -EINVAL`). */
	if (m->n < sizeof(int))
		return -EINVAL;
	memcpy(v, m->opt, sizeof(*v));
	return 0;
}

/* (level, name) -> engine option, or -1. */
static int map_opt(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: return TS_TCP_REUSEADDR;
		case SO_KEEPALIVE: return TS_TCP_KEEPALIVE;
		case SO_SNDBUF: case SO_SNDBUFFORCE: return TS_TCP_SNDBUF;
		case SO_RCVBUF: case SO_RCVBUFFORCE: return TS_TCP_RCVBUF;
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return TS_TCP_NODELAY;
		case TCP_CORK: return TS_TCP_CORK;
		case TCP_KEEPIDLE: return TS_TCP_KEEPIDLE;
		case TCP_KEEPINTVL: return TS_TCP_KEEPINTVL;
		case TCP_KEEPCNT: return TS_TCP_KEEPCNT;
		case TCP_MAXSEG: return TS_TCP_MAXSEG;
		case TCP_SYNCNT: return TS_TCP_SYNCNT;
		case TCP_QUICKACK: return TS_TCP_QUICKACK;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: return TS_TCP_TTL;
		case IP_TOS: return TS_TCP_TOS;
		}
	}
	return -1;
}

static int op_setopt(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c), v = 0, o;

	if (r < 0)
		return r;
	if (m.level == SOL_SOCKET && m.name == SO_LINGER) {
		struct linger lg;

		if (m.n < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, m.opt, sizeof(lg));
		return ts_tcp_setopt(c->tcb, TS_TCP_LINGER, lg.l_onoff ? lg.l_linger : -1);
	}
	if (m.level == IPPROTO_TCP && m.name == TCP_CONGESTION) {
		char name[32];
		size_t n = m.n < sizeof(name) - 1 ? m.n : sizeof(name) - 1;

		memcpy(name, m.opt, n);
		name[n] = '\0';
		if (strcmp(name, "reno") == 0)
			v = 0;
		else if (strcmp(name, "cubic") == 0)
			v = 1;
		else
			return -ENOENT;
		return ts_tcp_setopt(c->tcb, TS_TCP_CONGESTION, v);
	}
	if ((r = int_arg(&m, &v)) < 0 && !(m.level == IPPROTO_IP && m.n >= 1))
		return r;
	if (r < 0)
		v = m.opt[0];	/* IP_TTL/IP_TOS may be one byte (do_ip_setsockopt) */
	if (m.level == SOL_SOCKET && m.name == SO_REUSEPORT) {
		c->reuseport = v != 0;
		return ts_tcp_setopt(c->tcb, TS_TCP_REUSEPORT, v != 0);
	}
	if (m.level == SOL_SOCKET && (m.name == SO_SNDBUFFORCE || m.name == SO_RCVBUFFORCE) &&
	    req->conn->cred.uid != 0)
		return -EPERM;
	if (m.level == IPPROTO_TCP && m.name == TCP_USER_TIMEOUT) {
		if (v < 0)
			return -EINVAL;
		c->user_timeout = v;
		return ts_tcp_setopt(c->tcb, TS_TCP_USER_TIMEOUT, v);
	}
	if (m.level == SOL_SOCKET && (m.name == SO_PRIORITY || m.name == SO_OOBINLINE ||
				      m.name == SO_DONTROUTE || m.name == SO_BROADCAST))
		return 0;	/* accepted, no effect on the engine */
	o = map_opt(m.level, m.name);
	if (o < 0)
		return -ENOPROTOOPT;
	if (o == TS_TCP_SNDBUF || o == TS_TCP_RCVBUF) {
		/* Linux sock_setsockopt: min(val, wmem_max/rmem_max) (as u32;
		 * the FORCE variants skip it, negative is 0), doubled, at
		 * least SOCK_MIN_SNDBUF 4608 / SOCK_MIN_RCVBUF 2304.  The
		 * engine rounds its ring up to a power of two; getsockopt
		 * reports Linux's figure. */
		int snd = o == TS_TCP_SNDBUF;
		int force = m.name == SO_SNDBUFFORCE || m.name == SO_RCVBUFFORCE;
		uint64_t max = (uint64_t)(snd ? d->eng.sysctl.wmem_max[0] : d->eng.sysctl.rmem_max[0]);
		uint64_t val = force ? (uint64_t)(v < 0 ? 0 : v) : (uint32_t)v;
		int min = snd ? 4608 : 2304;

		if (!force && val > max)
			val = max;
		val *= 2;
		if (val > 0x7fffffff)
			val = 0x7fffffff;
		v = (int)val < min ? min : (int)val;
		r = ts_tcp_setopt(c->tcb, (enum ts_tcp_opt)o, v);
		if (r == 0) {
			if (snd)
				c->sndbuf_val = v;
			else
				c->rcvbuf_val = v;
		}
		return r;
	}
	return ts_tcp_setopt(c->tcb, (enum ts_tcp_opt)o, v);
}

static int op_getopt(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep out;
	struct tchan *c;
	int r = tcp_req(req, &m, &c), v = 0, o;

	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	out.id = (uint64_t)c->ino;
	if (m.level == SOL_SOCKET && m.name == SO_ERROR) {
		put_int(&out, m.optlen, ts_tcp_take_error(c->tcb));
	} else if (m.level == SOL_SOCKET && m.name == SO_LINGER) {
		struct linger lg = {0, 0};

		ts_tcp_getopt(c->tcb, TS_TCP_LINGER, &v);
		if (v >= 0) {
			lg.l_onoff = 1;
			lg.l_linger = v;
		}
		out.n = (uint16_t)(m.optlen < sizeof(lg) ? m.optlen : sizeof(lg));
		memcpy(out.opt, &lg, out.n);
	} else if (m.level == SOL_SOCKET && m.name == SO_REUSEPORT) {
		ts_tcp_getopt(c->tcb, TS_TCP_REUSEPORT, &v); /* accepted: the listener's */
		put_int(&out, m.optlen, v);
	} else if (m.level == SOL_SOCKET && m.name == SO_ACCEPTCONN) {
		put_int(&out, m.optlen, c->tcb->state == TCPS_LISTEN);
	} else if (m.level == IPPROTO_TCP && m.name == TCP_INFO) {
		fill_info(c, &out, m.optlen);
	} else if (m.level == IPPROTO_TCP && m.name == TCP_USER_TIMEOUT) {
		ts_tcp_getopt(c->tcb, TS_TCP_USER_TIMEOUT, &v); /* accepted: the listener's */
		put_int(&out, m.optlen, v);
	} else if (m.level == IPPROTO_TCP && m.name == TCP_CONGESTION) {
		char name[16];

		memset(name, 0, sizeof(name));
		strcpy(name, c->tcb->cc_algo == 0 ? "reno" : "cubic");
		out.n = (uint16_t)(m.optlen < sizeof(name) ? m.optlen : sizeof(name));
		memcpy(out.opt, name, out.n);
	} else {
		o = map_opt(m.level, m.name);
		if (o < 0)
			return -ENOPROTOOPT;
		r = ts_tcp_getopt(c->tcb, (enum ts_tcp_opt)o, &v);
		if (r < 0)
			return r;
		if (o == TS_TCP_SNDBUF && c->sndbuf_val != 0)
			v = c->sndbuf_val;
		if (o == TS_TCP_RCVBUF && c->rcvbuf_val != 0)
			v = c->rcvbuf_val;
		put_int(&out, m.optlen, v);
	}
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

/* accept(2), after the shim took a token from the listener's channel: the
 * oldest established connection, its A in the reply, the peer in
 * addr/port.  -EAGAIN if the engine dropped it meanwhile (a reset child),
 * -EINVAL if not listening. */
static int op_accept(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep out;
	struct ts_tcb *t;
	struct tchan *l, *c;
	int r = tcp_req(req, &m, &l), afd;

	if (r < 0)
		return r;
	if (!l->listening || l->tcb->state != TCPS_LISTEN)
		return -EINVAL;
	if (l->tokens > 0)
		l->tokens--;
	t = ts_tcp_accept(l->tcb, &tcp_cbs, NULL, &r);
	if (t == NULL)
		return r;
	c = tchan_new(d, &afd);
	if (c == NULL) {
		d->eng.stats.TsExtTcpChanAcceptFail++;
		ts_tcp_abort(t, ts_daemon_now());
		return -ENOMEM;
	}
	c->tcb = t;
	t->user = c;
	c->established = 1;
	pump_rx(c);
	tchan_update(c);
	pump_tokens(l);
	ts_daemon_kick(d);
	rep->fds[0] = afd;
	rep->nfds = 1;
	memset(&out, 0, sizeof(out));
	out.id = (uint64_t)c->ino;
	out.addr = t->key.raddr;
	out.port = t->key.rport;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

/* close(2) of a socket with a positive SO_LINGER, asked by the shim
 * before it closes A: a pipe whose read end it polls for at most the
 * linger time.  The write end closes when the orphan's FIN is acked
 * (Linux tcp_close -> sk_stream_wait_close), the engine frees or resets
 * it, or the time is up; the daemon never waits. */
static int op_linger(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep out;
	struct tchan *c;
	int r = tcp_req(req, &m, &c), secs = -1, p[2];

	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	out.id = (uint64_t)c->ino;
	ts_tcp_getopt(c->tcb, TS_TCP_LINGER, &secs);
	/* Linux: a listener or an unconnected socket closes at once (state
	 * CLOSE), as does SO_LINGER with zero time (a reset). */
	if (secs <= 0 || c->listening || !(c->established || c->dead) ||
	    !linger_waits(c->tcb))
		return ts_ctl_sock_rep_encode(&rep->body, &out);
	if (!c->lingering) {
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
			return -errno;
		c->linger_rd = p[0];
		c->linger_wr = p[1];
		c->lingering = 1;
	}
	out.n = sizeof(int32_t);
	memcpy(out.opt, &secs, sizeof(int32_t));
	rep->fds[0] = c->linger_rd;
	rep->nfds = 1;
	rep->keep_fds = 1;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

/* shutdown(2) of a listener (optlen = how).  SHUT_RD and SHUT_RDWR
 * disconnect it as Linux's inet_shutdown does (the engine resets the
 * connections not accepted, the socket is CLOSED), and every accept(2)
 * blocked on A, in any process, must return EINVAL: B is shut for
 * writing, so they read EOF.  That cannot be undone, so unlike Linux
 * this socket cannot listen or connect again (EINVAL). */
static int op_shutdown(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	(void)rep;
	if (r < 0)
		return r;
	if (m.optlen > 2)
		return -EINVAL;
	if (!c->listening)
		return -ENOTCONN;
	if (m.optlen == 1)
		return 0;	/* Linux: SHUT_WR leaves a listener as it is */
	r = ts_tcp_shutdown(c->tcb, (int)m.optlen, ts_daemon_now());
	if (r < 0)
		return r;
	c->listening = 0;
	c->tokens = 0;
	shutdown(c->fd, SHUT_WR);
	c->b_shut_wr = 1;
	tchan_update(c);
	ts_daemon_kick(d);
	return 0;
}

/* Is this fd one of our TCP sockets (a program after exec asks)?  opt:
 * u8 kind (0 fresh, 1 connected or connecting, 2 listening). */
static int op_query(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep out;
	struct tchan *c;
	int r = tcp_req(req, &m, &c);

	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	out.id = (uint64_t)c->ino;
	out.addr = c->tcb->key.raddr;
	out.port = c->tcb->key.rport;
	out.n = 1;
	out.opt[0] = c->listening ? 2 : (c->established || c->dead || c->tcb->state == TCPS_SYN_SENT) ? 1 : 0;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

/* `tapsock ss` (ctl_ss.c): the channel of tcb, for -p and Recv-Q. */
static int tchan_ss(const struct ts_tcb *t, struct ts_ss_chan *o)
{
	const struct tchan *c = t->user;

	if (c == NULL || c->closing)
		return -ENOENT;
	o->ino = (uint64_t)c->ino;
	/* A listener's channel holds tokens for connections the engine
	 * still queues (and counts): nothing to add. */
	o->acc_rec = 0;
	return 0;
}

void ts_ctl_tcp_register(void)
{
	ts_ss_tcp_chan = tchan_ss;
	ts_ctl_register(TS_CTL_OP_TCP_SOCKET, op_socket);
	ts_ctl_register(TS_CTL_OP_TCP_BIND, op_bind);
	ts_ctl_register(TS_CTL_OP_TCP_LISTEN, op_listen);
	ts_ctl_register(TS_CTL_OP_TCP_CONNECT, op_connect);
	ts_ctl_register(TS_CTL_OP_TCP_NAME, op_name);
	ts_ctl_register(TS_CTL_OP_TCP_SETOPT, op_setopt);
	ts_ctl_register(TS_CTL_OP_TCP_GETOPT, op_getopt);
	ts_ctl_register(TS_CTL_OP_TCP_QUERY, op_query);
	ts_ctl_register(TS_CTL_OP_TCP_ACCEPT, op_accept);
	ts_ctl_register(TS_CTL_OP_TCP_LINGER, op_linger);
	ts_ctl_register(TS_CTL_OP_TCP_SHUTDOWN, op_shutdown);
}

int ts_chan_tcp_attach(struct ts_daemon *d)
{
	int r = ts_tcp_of(&d->eng) != NULL ? 0 : ts_tcp_init(&d->eng);

	return r;
}

void ts_chan_tcp_shutdown(struct ts_daemon *d)
{
	struct tchan *c, *tmp;

	HASH_ITER(hh, tchans, c, tmp)
		tchan_close(c);
	while (lingerers != NULL) {
		struct lingerer *l = lingerers;

		lingerers = l->next;
		linger_release_fds(l->rd, l->wr);
		free(l);
	}
	if (linger_init) {
		uv_timer_stop(&linger_timer);
		uv_close((uv_handle_t *)&linger_timer, NULL);
		linger_init = 0;
	}
	linger_on = 0;
	if (sweep_init) {
		uv_timer_stop(&sweep_timer);
		uv_close((uv_handle_t *)&sweep_timer, NULL);
		sweep_init = 0;
	}
	sweep_on = 0;
	ts_tcp_destroy(&d->eng);
}
