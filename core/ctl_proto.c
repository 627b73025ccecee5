/* Control protocol encoding and decoding (see ctl_proto.h for the wire
 * format).  Called by tapsockd's control server, the tapsock CLI and the
 * shim.  Every length is checked before a byte is read: a malformed message
 * is an error code, never a crash. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ctl_proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const op_names[] = {
	[TS_CTL_OP_NONE] = "NONE",
	[TS_CTL_OP_HELLO] = "HELLO",
	[TS_CTL_OP_STAT] = "STAT",
	[TS_CTL_OP_STAT_RESET] = "STAT_RESET",
	[TS_CTL_OP_SYSCTL_GET] = "SYSCTL_GET",
	[TS_CTL_OP_SYSCTL_SET] = "SYSCTL_SET",
	[TS_CTL_OP_FAULT_ADD] = "FAULT_ADD",
	[TS_CTL_OP_FAULT_LIST] = "FAULT_LIST",
	[TS_CTL_OP_FAULT_DEL] = "FAULT_DEL",
	[TS_CTL_OP_FAULT_CLEAR] = "FAULT_CLEAR",
	[TS_CTL_OP_CAPTURE] = "CAPTURE",
	[TS_CTL_OP_CAPTURE_DATA] = "CAPTURE_DATA",
	[TS_CTL_OP_TRACE] = "TRACE",
	[TS_CTL_OP_TRACE_DATA] = "TRACE_DATA",
	[TS_CTL_OP_SS] = "SS",
};

const char *ts_ctl_op_name(unsigned op)
{
	if (op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op] != NULL)
		return op_names[op];
	return "?";
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void ts_ctl_hdr_encode(const struct ts_ctl_hdr *h, uint8_t *buf)
{
	le32(buf, h->magic);
	le16(buf + 4, h->version);
	le16(buf + 6, h->op);
	le32(buf + 8, h->id);
	le32(buf + 12, (uint32_t)h->result);
	le32(buf + 16, h->len);
}

int ts_ctl_hdr_decode(const uint8_t *buf, size_t n, struct ts_ctl_hdr *h)
{
	if (buf == NULL || n < TS_CTL_HDR_LEN)
		return -EBADMSG;
	h->magic = rd32(buf);
	h->version = rd16(buf + 4);
	h->op = rd16(buf + 6);
	h->id = rd32(buf + 8);
	h->result = (int32_t)rd32(buf + 12);
	h->len = rd32(buf + 16);
	if (h->magic != TS_CTL_MAGIC)
		return -EBADMSG;
	/* The version is checked before the length: a future version may
	 * frame its bodies differently, and deserves a version error. */
	if (h->version != TS_CTL_VERSION)
		return -EPROTO;
	if (h->len > TS_CTL_MAX_BODY || h->len != n - TS_CTL_HDR_LEN)
		return -EBADMSG;
	/* Results are 0 or a negative errno; nothing else is meaningful. */
	if (h->result > 0 || h->result < -4095)
		return -EBADMSG;
	return 0;
}

void ts_ctl_wr_init(struct ts_ctl_wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static uint8_t *wr_room(struct ts_ctl_wr *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void ts_ctl_put_u8(struct ts_ctl_wr *w, uint8_t v)
{
	uint8_t *p = wr_room(w, 1);

	if (p != NULL)
		p[0] = v;
}

void ts_ctl_put_u16(struct ts_ctl_wr *w, uint16_t v)
{
	uint8_t *p = wr_room(w, 2);

	if (p != NULL)
		le16(p, v);
}

void ts_ctl_put_u32(struct ts_ctl_wr *w, uint32_t v)
{
	uint8_t *p = wr_room(w, 4);

	if (p != NULL)
		le32(p, v);
}

void ts_ctl_put_u64(struct ts_ctl_wr *w, uint64_t v)
{
	ts_ctl_put_u32(w, (uint32_t)v);
	ts_ctl_put_u32(w, (uint32_t)(v >> 32));
}

void ts_ctl_put_bytes(struct ts_ctl_wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_room(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void ts_ctl_put_str(struct ts_ctl_wr *w, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > TS_CTL_MAX_STR) {
		w->err = 1;
		return;
	}
	ts_ctl_put_u16(w, (uint16_t)n);
	ts_ctl_put_bytes(w, s, n);
}

void ts_ctl_rd_init(struct ts_ctl_rd *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf != NULL ? len : 0;
	r->off = 0;
	r->err = 0;
}

static const uint8_t *rd_take(struct ts_ctl_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

uint8_t ts_ctl_get_u8(struct ts_ctl_rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p != NULL ? p[0] : 0;
}

uint16_t ts_ctl_get_u16(struct ts_ctl_rd *r)
{
	const uint8_t *p = rd_take(r, 2);

	return p != NULL ? rd16(p) : 0;
}

uint32_t ts_ctl_get_u32(struct ts_ctl_rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	return p != NULL ? rd32(p) : 0;
}

uint64_t ts_ctl_get_u64(struct ts_ctl_rd *r)
{
	uint64_t lo = ts_ctl_get_u32(r);
	uint64_t hi = ts_ctl_get_u32(r);

	return lo | hi << 32;
}

void ts_ctl_get_bytes(struct ts_ctl_rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (p != NULL && n > 0)
		memcpy(dst, p, n);
	else if (n > 0)
		memset(dst, 0, n);
}

void ts_ctl_get_str(struct ts_ctl_rd *r, char *s, size_t cap)
{
	uint16_t n = ts_ctl_get_u16(r);
	const uint8_t *p;

	if (cap > 0)
		s[0] = '\0';
	if (r->err)
		return;
	if (n > TS_CTL_MAX_STR || (size_t)n >= cap) {
		r->err = 1;
		return;
	}
	p = rd_take(r, n);
	if (p == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->err = 1;
		return;
	}
	memcpy(s, p, n);
	s[n] = '\0';
}

int ts_ctl_rd_end(const struct ts_ctl_rd *r)
{
	if (r->err || r->off != r->len)
		return -EBADMSG;
	return 0;
}

int ts_ctl_msg_build(uint8_t *buf, size_t cap, unsigned op, uint32_t id, int32_t result,
		     const void *body, size_t body_len)
{
	struct ts_ctl_hdr h = {
		.magic = TS_CTL_MAGIC,
		.version = TS_CTL_VERSION,
		.op = (uint16_t)op,
		.id = id,
		.result = result,
		.len = (uint32_t)body_len,
	};

	if (op > UINT16_MAX || body_len > TS_CTL_MAX_BODY || cap < TS_CTL_HDR_LEN ||
	    body_len > cap - TS_CTL_HDR_LEN)
		return -EMSGSIZE;
	ts_ctl_hdr_encode(&h, buf);
	/* body may already sit at buf + TS_CTL_HDR_LEN (built in place). */
	if (body_len > 0 && body != buf + TS_CTL_HDR_LEN)
		memmove(buf + TS_CTL_HDR_LEN, body, body_len);
	return (int)(TS_CTL_HDR_LEN + body_len);
}

int ts_ctl_version_error(uint8_t *buf, const struct ts_ctl_hdr *req)
{
	struct ts_ctl_hdr h = {
		.magic = TS_CTL_MAGIC,
		.version = TS_CTL_VERSION,
		.op = req->op,
		.id = req->id,
		.result = -EPROTO,
		.len = 0,
	};

	ts_ctl_hdr_encode(&h, buf);
	return TS_CTL_HDR_LEN;
}

int ts_ctl_hello_req_encode(struct ts_ctl_wr *w, const struct ts_ctl_hello_req *m)
{
	ts_ctl_put_str(w, m->client);
	ts_ctl_put_u32(w, m->pid);
	return w->err ? -EMSGSIZE : 0;
}

int ts_ctl_hello_req_decode(const uint8_t *body, size_t len, struct ts_ctl_hello_req *m)
{
	struct ts_ctl_rd r;

	memset(m, 0, sizeof(*m));
	ts_ctl_rd_init(&r, body, len);
	ts_ctl_get_str(&r, m->client, sizeof(m->client));
	m->pid = ts_ctl_get_u32(&r);
	return ts_ctl_rd_end(&r);
}

int ts_ctl_hello_rep_encode(struct ts_ctl_wr *w, const struct ts_ctl_hello_rep *m)
{
	ts_ctl_put_u32(w, m->addr);
	ts_ctl_put_u8(w, m->prefix_len);
	ts_ctl_put_u32(w, m->gw);
	ts_ctl_put_bytes(w, m->mac, sizeof(m->mac));
	ts_ctl_put_u32(w, m->mtu);
	ts_ctl_put_str(w, m->ifname);
	ts_ctl_put_u32(w, m->daemon_pid);
	return w->err ? -EMSGSIZE : 0;
}

int ts_ctl_hello_rep_decode(const uint8_t *body, size_t len, struct ts_ctl_hello_rep *m)
{
	struct ts_ctl_rd r;

	memset(m, 0, sizeof(*m));
	ts_ctl_rd_init(&r, body, len);
	m->addr = ts_ctl_get_u32(&r);
	m->prefix_len = ts_ctl_get_u8(&r);
	m->gw = ts_ctl_get_u32(&r);
	ts_ctl_get_bytes(&r, m->mac, sizeof(m->mac));
	m->mtu = ts_ctl_get_u32(&r);
	ts_ctl_get_str(&r, m->ifname, sizeof(m->ifname));
	m->daemon_pid = ts_ctl_get_u32(&r);
	if (ts_ctl_rd_end(&r) < 0 || m->prefix_len > 32)
		return -EBADMSG;
	return 0;
}

int ts_ctl_stat_next(struct ts_ctl_rd *r, char *name, size_t cap, uint64_t *value)
{
	ts_ctl_get_str(r, name, cap);
	*value = ts_ctl_get_u64(r);
	return r->err ? -EBADMSG : 0;
}

int ts_ctl_sysctl_next(struct ts_ctl_rd *r, char *key, size_t kcap, char *val, size_t vcap)
{
	ts_ctl_get_str(r, key, kcap);
	ts_ctl_get_str(r, val, vcap);
	return r->err ? -EBADMSG : 0;
}

/* --- client side ------------------------------------------------------------ */

int ts_ctl_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms > 0) {
		struct timeval tv = {
			.tv_sec = timeout_ms / 1000,
			.tv_usec = (timeout_ms % 1000) * 1000,
		};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ts_ctl_send(int fd, const void *msg, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * TS_CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds < 0 || nfds > TS_CTL_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Takes the fds out of a received message: up to max into fds, the rest
 * closed.  Returns how many were kept. */
static int take_fds(struct msghdr *mh, int *fds, int max)
{
	int kept = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fds != NULL && kept < max)
				fds[kept++] = f;
			else
				close(f);
		}
	}
	return kept;
}

int ts_ctl_recv(int fd, void *buf, size_t cap, int *fds, int *nfds)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	union {
		char buf[CMSG_SPACE(sizeof(int) * TS_CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	ssize_t n;
	int kept;

	if (nfds != NULL)
		*nfds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	kept = take_fds(&mh, fds, TS_CTL_MAX_FDS);
	if (nfds != NULL)
		*nfds = kept;
	if (n == 0)
		return -ECONNRESET;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (int i = 0; i < kept; i++)
			close(fds[i]);
		if (nfds != NULL)
			*nfds = 0;
		return -EMSGSIZE;
	}
	return (int)n;
}

int ts_ctl_call(int fd, unsigned op, uint32_t id, const void *body, size_t body_len,
		struct ts_ctl_hdr *rep, uint8_t *buf, size_t cap)
{
	int n, r;

	n = ts_ctl_msg_build(buf, cap, op, id, 0, body, body_len);
	if (n < 0)
		return n;
	r = ts_ctl_send(fd, buf, (size_t)n, NULL, 0);
	if (r < 0)
		return r;
	for (;;) {
		n = ts_ctl_recv(fd, buf, cap, NULL, NULL);
		if (n < 0)
			return n;
		r = ts_ctl_hdr_decode(buf, (size_t)n, rep);
		if (r == -EPROTO)
			return r;
		if (r < 0)
			return r;
		/* A reply to an earlier, abandoned request: skip it. */
		if (rep->id == id && rep->op == op)
			return 0;
	}
}
