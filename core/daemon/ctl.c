/* The control server: accepts SOCK_SEQPACKET connections on the daemon's
 * UNIX socket, reads one request per message, dispatches it by op to the
 * registered handler and sends the reply.  Called from the libuv loop
 * (uv_poll callbacks); see ctl.h for how ops are added.  A client that
 * sends garbage loses its connection; the daemon carries on. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

#define CTL_BACKLOG 64
#define CTL_MAX_CONNS 1024
#define CTL_ACCEPTS_PER_WAKEUP 32	/* bounded work per loop iteration */
#define CTL_MSGS_PER_WAKEUP 16
#define CTL_MAX_CLOSE_HOOKS 8
#define CTL_BACKOFF_MS 100		/* accept paused after EMFILE */

struct ts_ctl_server {
	struct ts_daemon *d;
	int fd;
	uv_poll_t poll;
	uv_timer_t backoff;		/* accept paused: out of descriptors */
	int handles;			/* open while shutting down */
	char path[108];
	struct ts_ctl_conn *conns;
	int nconns;
	uint64_t next_serial;
};

static ts_ctl_handler handlers[TS_CTL_OP_MAX];
static ts_ctl_close_hook close_hooks[CTL_MAX_CLOSE_HOOKS];
static int nclose_hooks;

/* One request and one reply in flight at a time (one thread). */
static uint8_t rx_buf[TS_CTL_MAX_MSG];
static uint8_t tx_buf[TS_CTL_MAX_MSG];

int ts_ctl_register(unsigned op, ts_ctl_handler fn)
{
	if (op == TS_CTL_OP_NONE || op >= TS_CTL_OP_MAX || fn == NULL)
		return -EINVAL;
	if (handlers[op] != NULL)
		return -EEXIST;
	handlers[op] = fn;
	return 0;
}

int ts_ctl_on_close(ts_ctl_close_hook fn)
{
	if (nclose_hooks >= CTL_MAX_CLOSE_HOOKS)
		return -ENOSPC;
	close_hooks[nclose_hooks++] = fn;
	return 0;
}

int ts_ctl_conn_count(const struct ts_daemon *d)
{
	return d->ctl != NULL ? d->ctl->nconns : 0;
}

int ts_ctl_accepting(const struct ts_daemon *d)
{
	return d->ctl != NULL && uv_is_active((const uv_handle_t *)&d->ctl->poll);
}

int ts_ctl_probe(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long (max %zu bytes): %s",
			 sizeof(sun.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; pick another --sock", path);
		return -EEXIST;
	}
	fd = ts_ctl_connect(path, 1000);
	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen,
			 "%s is in use: a daemon is already listening there "
			 "(stop it, e.g. `tapsock lab down`, or pick another --sock)",
			 path);
		return -EADDRINUSE;
	}
	if (fd == -ECONNREFUSED)
		return 0;	/* a stale socket file: replaced at bind */
	snprintf(err, errlen, "%s: %s", path, strerror(-fd));
	return fd;
}

static void conn_free_cb(uv_handle_t *h)
{
	struct ts_ctl_conn *c = h->data;

	close(c->fd);
	free(c);
}

static void conn_close(struct ts_ctl_conn *c, const char *why)
{
	struct ts_ctl_server *s = c->srv;

	if (c->closing)
		return;
	c->closing = 1;
	if (why != NULL)
		ts_log("ctl: connection %llu (pid %d, %s) closed: %s",
		       (unsigned long long)c->serial, (int)c->cred.pid,
		       c->client[0] ? c->client : "no HELLO", why);
	for (int i = 0; i < nclose_hooks; i++)
		close_hooks[i](s->d, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, conn_free_cb);
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Handles one received message.  Returns 0, or -1 when the connection
 * must be closed (malformed message, client not reading replies). */
static int conn_dispatch(struct ts_ctl_conn *c, size_t n, int *fds, int nfds)
{
	struct ts_daemon *d = c->srv->d;
	struct ts_ctl_req req = {.conn = c, .nfds = nfds};
	struct ts_ctl_rep rep = {.nfds = 0};
	int r, len;

	memcpy(req.fds, fds, sizeof(int) * (size_t)nfds);
	r = ts_ctl_hdr_decode(rx_buf, n, &req.hdr);
	if (r == -EPROTO) {
		/* Tell the client which version we speak; it reports it. */
		ts_log("ctl: connection %llu (pid %d) speaks protocol version %u, "
		       "this daemon %u",
		       (unsigned long long)c->serial, (int)c->cred.pid,
		       (unsigned)req.hdr.version, (unsigned)TS_CTL_VERSION);
		close_fds(req.fds, req.nfds);
		len = ts_ctl_version_error(tx_buf, &req.hdr);
		return ts_ctl_send(c->fd, tx_buf, (size_t)len, NULL, 0) < 0 ? -1 : 0;
	}
	if (r < 0) {
		close_fds(req.fds, req.nfds);
		conn_close(c, "malformed message");
		return -1;
	}
	req.body = rx_buf + TS_CTL_HDR_LEN;
	req.len = req.hdr.len;
	ts_ctl_wr_init(&rep.body, tx_buf + TS_CTL_HDR_LEN, TS_CTL_MAX_BODY);
	/* op is a u16 on the wire; the table is TS_CTL_OP_MAX long. */
	if (req.hdr.op >= TS_CTL_OP_MAX || handlers[req.hdr.op] == NULL) {
		r = -EOPNOTSUPP;
	} else {
		r = handlers[req.hdr.op](d, &req, &rep);
		if (rep.body.err) {
			/* The reply did not fit: report it, send no body. */
			close_fds(rep.fds, rep.nfds);
			rep.nfds = 0;
			r = -EMSGSIZE;
		}
	}
	ts_debug(d, "ctl: connection %llu: %s id %u -> %d", (unsigned long long)c->serial,
		 ts_ctl_op_name(req.hdr.op), (unsigned)req.hdr.id, r);
	close_fds(req.fds, req.nfds);
	if (r > 0)
		r = 0;
	if (r < -4095)
		r = -EIO;
	len = ts_ctl_msg_build(tx_buf, sizeof(tx_buf), req.hdr.op, req.hdr.id, r,
			       tx_buf + TS_CTL_HDR_LEN, r < 0 ? 0 : rep.body.len);
	if (r < 0) {
		close_fds(rep.fds, rep.nfds);
		rep.nfds = 0;
	}
	if (len < 0) {
		close_fds(rep.fds, rep.nfds);
		conn_close(c, "reply too large");
		return -1;
	}
	r = ts_ctl_send(c->fd, tx_buf, (size_t)len, rep.fds, rep.nfds);
	if (!rep.keep_fds)
		close_fds(rep.fds, rep.nfds);
	if (r < 0) {
		/* -EAGAIN: the client does not read its replies; the loop
		 * never blocks on one client. */
		conn_close(c, r == -EAGAIN ? "client not reading replies" : strerror(-r));
		return -1;
	}
	/* A handler may have changed what the engine wants to do next. */
	ts_daemon_kick(d);
	return 0;
}

static void conn_cb(uv_poll_t *h, int status, int events)
{
	struct ts_ctl_conn *c = h->data;

	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c, uv_strerror(status));
		return;
	}
	for (int i = 0; i < CTL_MSGS_PER_WAKEUP; i++) {
		int fds[TS_CTL_MAX_FDS], nfds = 0;
		int n = ts_ctl_recv(c->fd, rx_buf, sizeof(rx_buf), fds, &nfds);

		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n == -ECONNRESET) {
			conn_close(c, NULL);	/* a normal EOF */
			return;
		}
		if (n < 0) {
			conn_close(c, n == -EMSGSIZE ? "oversized message" : strerror(-n));
			return;
		}
		if (conn_dispatch(c, (size_t)n, fds, nfds) < 0)
			return;
	}
}

static void accept_cb(uv_poll_t *h, int status, int events);

static void backoff_cb(uv_timer_t *t)
{
	struct ts_ctl_server *s = t->data;

	uv_poll_start(&s->poll, UV_READABLE, accept_cb);
}

static void accept_cb(uv_poll_t *h, int status, int events)
{
	struct ts_ctl_server *s = h->data;

	if (status < 0) {
		ts_log("ctl: listener: %s", uv_strerror(status));
		return;
	}
	for (int i = 0; i < CTL_ACCEPTS_PER_WAKEUP; i++) {
		struct ts_ctl_conn *c;
		socklen_t sl;
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The pending connection keeps the listener
				 * readable: pause accepting for a moment
				 * rather than spin on the error. */
				ts_log("ctl: accept: %s; pausing new connections for %d ms",
				       strerror(errno), CTL_BACKOFF_MS);
				uv_poll_stop(&s->poll);
				uv_timer_start(&s->backoff, backoff_cb, CTL_BACKOFF_MS, 0);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				ts_log("ctl: accept: %s", strerror(errno));
			}
			return;
		}
		if (s->nconns >= CTL_MAX_CONNS) {
			ts_log("ctl: too many connections (%d); refusing one", s->nconns);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->serial = ++s->next_serial;
		sl = sizeof(c->cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl) < 0) {
			c->cred.pid = 0;
			c->cred.uid = (uid_t)-1;
			c->cred.gid = (gid_t)-1;
		}
		if (uv_poll_init(s->d->loop, &c->poll, fd) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->poll.data = c;
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_cb);
		ts_debug(s->d, "ctl: connection %llu from pid %d uid %d",
			 (unsigned long long)c->serial, (int)c->cred.pid, (int)c->cred.uid);
	}
}

int ts_ctl_listen(struct ts_daemon *d, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ts_ctl_server *s;
	int r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->d = d;
	strcpy(s->path, path);
	strcpy(sun.sun_path, path);
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		free(s);
		return r;
	}
	/* ts_ctl_probe found no live daemon here: a socket file left is
	 * stale (a daemon that was killed). */
	(void)unlink(path);
	if (bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot bind: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (does its directory exist?)" : "");
		goto fail;
	}
	/* Who may use the stack is decided by the file mode: owner and group
	 * read/write (0660), like the architecture says. */
	if (chmod(path, 0660) < 0 || listen(s->fd, CTL_BACKLOG) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	r = uv_poll_init(d->loop, &s->poll, s->fd);
	if (r < 0) {
		snprintf(err, errlen, "control socket: %s", uv_strerror(r));
		unlink(path);
		goto fail;
	}
	s->poll.data = s;
	uv_timer_init(d->loop, &s->backoff);
	s->backoff.data = s;
	uv_poll_start(&s->poll, UV_READABLE, accept_cb);
	d->ctl = s;
	return 0;
fail:
	close(s->fd);
	free(s);
	return r;
}

/* The listener has two handles; whichever close callback runs last
 * (libuv does not promise an order) frees the server. */
static void server_free_cb(uv_handle_t *h)
{
	struct ts_ctl_server *s = h->data;

	if (--s->handles > 0)
		return;
	close(s->fd);
	free(s);
}

void ts_ctl_shutdown(struct ts_daemon *d)
{
	struct ts_ctl_server *s = d->ctl;

	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_close(s->conns, NULL);
	unlink(s->path);
	s->handles = 2;
	uv_timer_stop(&s->backoff);
	uv_close((uv_handle_t *)&s->backoff, server_free_cb);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, server_free_cb);
	d->ctl = NULL;
}
