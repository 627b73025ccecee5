/* The libuv glue of the UDP data channels: datagrams the program writes to
 * end A are read from B and sent by the engine; datagrams the engine
 * queues on a socket are written to B (one message each, behind the
 * chan.h header).  EOF on B is the program's last close.  Called from the
 * uv_poll callbacks and from the engine's socket events. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"
#include "sockd.h"

/* Bounded work per wakeup, so one busy socket cannot starve the loop. */
#define CHAN_MSGS_PER_WAKEUP 64

static struct ts_chan *chans;	/* uthash by ino */
static int nchans;
static uint8_t rx_buf[TS_CHAN_MAX_MSG];

int ts_chan_count(void)
{
	return nchans;
}

static void chan_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void chan_close(struct ts_chan *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	HASH_DELETE(hh, chans, c);
	nchans--;
	if (c->us != NULL) {
		c->us->event = NULL;
		ts_udp_close(&c->d->eng, c->us);
		c->us = NULL;
	}
	uv_poll_stop(&c->poll);
	close(c->fd);
	c->fd = -1;
	c->poll.data = c;
	uv_close((uv_handle_t *)&c->poll, chan_free_cb);
}

static void chan_set_events(struct ts_chan *c, int events);

/* One message from the program: a datagram to send. */
static void chan_tx_one(struct ts_chan *c, size_t n)
{
	struct ts_chan_hdr h;
	long r;

	if (ts_chan_hdr_decode(rx_buf, n, &h) < 0 || h.kind != TS_CHAN_DATA) {
		c->d->eng.stats.TsExtUdpChanBadMsgs++;
		return;
	}
	/* The shim checked what Linux checks before queueing (EMSGSIZE,
	 * EDESTADDRREQ, EACCES, ENETUNREACH), so what fails here is what a
	 * Linux send could only lose on the way: it is counted. */
	r = ts_udp_sendto(&c->d->eng, c->us, (h.flags & TS_CHAN_F_DST) != 0, h.addr, h.port,
			  rx_buf + TS_CHAN_HDR_LEN, n - TS_CHAN_HDR_LEN, ts_daemon_now());
	if (r < 0) {
		c->d->eng.stats.TsExtUdpSendFailed++;
		ts_debug(c->d, "udp socket %llu: send: %s", (unsigned long long)c->us->sk.id,
			 strerror((int)-r));
	}
}

static void chan_read(struct ts_chan *c)
{
	for (int i = 0; i < CHAN_MSGS_PER_WAKEUP && !c->closing; i++) {
		ssize_t n = recv(c->fd, rx_buf, sizeof(rx_buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				chan_close(c);
			return;
		}
		if (n == 0) {
			/* The last copy of A is closed: close(2) of the socket. */
			chan_close(c);
			return;
		}
		chan_tx_one(c, (size_t)n);
	}
}

/* Writes queued datagrams to B until it is full. */
void ts_chan_flush(struct ts_chan *c)
{
	struct ts_engine *eng = &c->d->eng;

	if (c->closing || c->us == NULL)
		return;
	for (;;) {
		const struct pktbuf *head = ts_udp_peek(c->us);
		uint8_t hb[TS_CHAN_HDR_LEN];
		struct ts_chan_hdr h = {.kind = TS_CHAN_DATA};
		struct iovec iov[2];
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n;

		if (head == NULL)
			break;
		h.addr = head->ip_src;
		h.port = (uint16_t)(head->data[0] << 8 | head->data[1]);
		h.dst = head->ip_dst;
		h.ttl = head->ip_ttl;
		h.tos = head->ip_tos;
		ts_chan_hdr_encode(&h, hb);
		iov[0].iov_base = hb;
		iov[0].iov_len = sizeof(hb);
		iov[1].iov_base = head->data + TS_UDP_HLEN;
		iov[1].iov_len = head->len - TS_UDP_HLEN;
		n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			chan_set_events(c, UV_READABLE | UV_WRITABLE);
			return;
		}
		/* Sent, or the program is gone (EPIPE: EOF follows). */
		ts_pkt_free(ts_udp_recv(eng, c->us, NULL, NULL));
		if (n < 0) {
			c->tx_drops++;
			eng->stats.TsExtUdpChanDrops++;
		}
	}
	chan_set_events(c, UV_READABLE);
}

static void chan_send_error(struct ts_chan *c, int err)
{
	uint8_t hb[TS_CHAN_HDR_LEN];
	struct ts_chan_hdr h = {.kind = TS_CHAN_ERROR, .err = (uint32_t)err};

	/* An in-band marker wakes a reader (poll, select, epoll) and takes
	 * the error to the program's next recv.  The error itself stays in
	 * sk.err, so SO_ERROR reads (and clears) it first if asked. */
	ts_chan_hdr_encode(&h, hb);
	if (send(c->fd, hb, sizeof(hb), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		c->tx_drops++;
}

static void chan_event(struct ts_engine *eng, struct ts_udp_sock *us, int ev, void *arg)
{
	struct ts_chan *c = arg;

	if (ev == TS_UDP_EV_READABLE)
		ts_chan_flush(c);
	else if (ev == TS_UDP_EV_ERROR && us->sk.err != 0)
		chan_send_error(c, us->sk.err);
}

static void chan_poll_cb(uv_poll_t *h, int status, int events)
{
	struct ts_chan *c = h->data;

	if (c->closing)
		return;
	if (status < 0) {
		chan_close(c);
		return;
	}
	if (events & UV_WRITABLE)
		ts_chan_flush(c);
	if (!c->closing && (events & (UV_READABLE | UV_DISCONNECT)))
		chan_read(c);
	ts_daemon_kick(c->d);
}

static void chan_set_events(struct ts_chan *c, int events)
{
	if (c->closing || c->events == events)
		return;
	c->events = events;
	uv_poll_start(&c->poll, events, chan_poll_cb);
}

void ts_chan_sync_bufs(struct ts_chan *c)
{
	/* B's send buffer holds what the program has not read yet, on top of
	 * the engine's queue (bounded by SO_RCVBUF).  It must take the
	 * largest datagram (the kernel refuses a message above sndbuf - 32);
	 * the kernel doubles the value. */
	int v = c->us->sk.rcvbuf / 2;

	if (v < TS_CHAN_MAX_MSG)
		v = TS_CHAN_MAX_MSG;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

int ts_chan_udp_create(struct ts_daemon *d, const struct ts_cred *cred, struct ts_chan **out,
		       int *afd)
{
	struct ts_chan *c;
	struct stat st;
	int sv[2], r;

	if (ts_udp_of(&d->eng) == NULL && (r = ts_udp_init(&d->eng)) < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		free(c);
		return r;
	}
	if (fstat(sv[0], &st) < 0 || fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	c->us = ts_udp_open(&d->eng, cred);
	if (c->us == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	c->d = d;
	c->ino = st.st_ino;
	c->fd = sv[1];
	c->us->event = chan_event;
	c->us->event_arg = c;
	r = uv_poll_init(d->loop, &c->poll, c->fd);
	if (r < 0) {
		ts_udp_close(&d->eng, c->us);
		r = -ENOMEM;
		goto fail;
	}
	c->poll.data = c;
	c->events = UV_READABLE;
	uv_poll_start(&c->poll, UV_READABLE, chan_poll_cb);
	ts_chan_sync_bufs(c);
	HASH_ADD(hh, chans, ino, sizeof(c->ino), c);
	nchans++;
	*out = c;
	*afd = sv[0];
	return 0;
fail:
	close(sv[0]);
	close(sv[1]);
	free(c);
	return r;
}

struct ts_chan *ts_chan_find_fd(struct ts_daemon *d, int fd)
{
	struct ts_chan *c;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	HASH_FIND(hh, chans, &st.st_ino, sizeof(st.st_ino), c);
	if (c == NULL || c->closing || c->d != d)
		return NULL;
	return c;
}

void ts_chan_pump(struct ts_chan *c)
{
	if (!c->closing)
		chan_read(c);
}

void ts_chan_settle(struct ts_daemon *d, uint16_t port)
{
	struct ts_chan *c, *tmp;

	HASH_ITER(hh, chans, c, tmp) {
		if (c->d != d || c->closing || c->us == NULL)
			continue;
		if (port == 0 || c->us->sk.t.lport == port)
			chan_read(c);
	}
}

void ts_chan_shutdown_all(struct ts_daemon *d)
{
	struct ts_chan *c, *tmp;

	HASH_ITER(hh, chans, c, tmp)
		chan_close(c);
}
