/* The shim's logic: the fd table, the control connection to tapsockd, and
 * the UDP socket calls on top of the data channel (chan.h).  Called by the
 * thin hooks in hooks.c; uses only ts_real for its own I/O.  Returns values
 * or negative errnos, never sets errno (the hooks do, once). */
#define _GNU_SOURCE
#include "shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "chan.h"
#include "ctl_proto.h"
#include "real.h"

/* The control fd is moved up here, away from the low numbers programs
 * expect to own (and dup2 onto). */
#define CTL_FD_FLOOR 800
#define CTL_TIMEOUT_SEC 10
#define CTL_BUF (TS_CTL_HDR_LEN + 1024)

static struct ts_shim_sock *fdtab[TS_SHIM_MAX_FD];
static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static int ctl_fd = -1;
static uint32_t ctl_next_id = 1;
static struct ts_shim_engine engine;
static int reported;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* --- safe user memory ------------------------------------------------------ */

/* Our pid for process_vm_readv/writev, cached: glibc's getpid() is a
 * system call (since 2.25), and each copy made one.  The pthread_atfork
 * child handler refreshes it, registered before the first value is
 * cached.  A vfork (or posix_spawn) child shares our memory, so the
 * parent's pid reads the same bytes; should that be refused (EPERM under
 * Yama, ESRCH), vm_xfer asks getpid() again for that one call, and never
 * stores it: the parent, resuming, must not inherit the child's pid.  A
 * raw clone() without CLONE_VM and without the atfork handlers would read
 * its parent's memory, but such a child shares the parent's control
 * connection too: the shim did not support it before either. */
static pid_t self_pid;

static void atfork_register(void);

static pid_t shim_pid(void)
{
	pid_t p = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

	if (p == 0) {
		pthread_once(&atfork_once, atfork_register);
		p = getpid();
		__atomic_store_n(&self_pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

/* One process_vm_readv (out == 0) or process_vm_writev (out == 1) of cnt
 * ranges of our own memory, in order, as one system call: all done (0),
 * or -EFAULT (a range before the bad one may have been copied, as a
 * kernel copy_to_user sequence leaves it).  A kernel without the calls
 * (ENOSYS) or that refuses them (EPERM) gets a plain memcpy. */
static int vm_xfer(int out, const struct iovec *l, const struct iovec *r, int cnt)
{
	size_t total = 0;
	ssize_t n = -1;
	pid_t p = shim_pid();

	for (int i = 0; i < cnt; i++) {
		if (r[i].iov_len > 0 && r[i].iov_base == NULL)
			return -EFAULT;
		total += r[i].iov_len;
	}
	if (total == 0)
		return 0;
	for (int tries = 0; tries < 2; tries++) {
		n = out ? process_vm_writev(p, l, (unsigned long)cnt, r, (unsigned long)cnt, 0)
			: process_vm_readv(p, l, (unsigned long)cnt, r, (unsigned long)cnt, 0);
		if (n == (ssize_t)total)
			return 0;
		if (n >= 0 || (errno != ESRCH && errno != EPERM))
			break;
		/* Perhaps a vfork child (see shim_pid): ask once more. */
		if (tries == 0 && getpid() != p)
			p = getpid();
		else
			break;
	}
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		for (int i = 0; i < cnt; i++)
			if (r[i].iov_len > 0)
				memcpy(out ? r[i].iov_base : l[i].iov_base,
				       out ? l[i].iov_base : r[i].iov_base, r[i].iov_len);
		return 0;
	}
	return -EFAULT;
}

int ts_shim_copy_in(void *dst, const void *user, size_t n)
{
	struct iovec l = {.iov_base = dst, .iov_len = n};
	struct iovec r = {.iov_base = (void *)user, .iov_len = n};

	return vm_xfer(0, &l, &r, 1);
}

int ts_shim_copy_out(void *user, const void *src, size_t n)
{
	struct iovec l = {.iov_base = (void *)src, .iov_len = n};
	struct iovec r = {.iov_base = user, .iov_len = n};

	return vm_xfer(1, &l, &r, 1);
}

int ts_shim_copy_out2(void *user1, const void *src1, size_t n1, void *user2, const void *src2,
		      size_t n2)
{
	struct iovec l[2] = {{.iov_base = (void *)src1, .iov_len = n1},
			     {.iov_base = (void *)src2, .iov_len = n2}};
	struct iovec r[2] = {{.iov_base = user1, .iov_len = n1},
			     {.iov_base = user2, .iov_len = n2}};

	return vm_xfer(1, l, r, 2);
}

/* --- fd table ------------------------------------------------------------ */

struct ts_shim_sock *ts_shim_lookup(int fd)
{
	if (fd < 0 || fd >= TS_SHIM_MAX_FD)
		return NULL;
	return __atomic_load_n(&fdtab[fd], __ATOMIC_ACQUIRE);
}

static void sock_unref_locked(struct ts_shim_sock *s)
{
	if (s != NULL && --s->refs == 0)
		free(s);
}

static void tab_set_locked(int fd, struct ts_shim_sock *s)
{
	struct ts_shim_sock *old = fdtab[fd];

	if (s != NULL)
		s->refs++;
	__atomic_store_n(&fdtab[fd], s, __ATOMIC_RELEASE);
	sock_unref_locked(old);
}

int ts_shim_is_ctl_fd(int fd)
{
	return fd >= 0 && fd == __atomic_load_n(&ctl_fd, __ATOMIC_RELAXED);
}

/* --- control connection ------------------------------------------------- */

static void say(const char *msg)
{
	ts_real.write(2, msg, strlen(msg));
}

static int fallback_kernel(void)
{
	const char *f = getenv("TAPSOCK_FALLBACK");

	return f != NULL && strcmp(f, "kernel") == 0;
}

static void report_unreachable(const char *path, int err)
{
	char line[512];

	/* TAPSOCK_FALLBACK=kernel: falling back is what was asked for. */
	if (fallback_kernel() || __atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
		return;
	if (err == -EPROTO)
		snprintf(line, sizeof(line),
			 "tapsock: the engine at %s speaks another control protocol version "
			 "(shim: %d); use the tapsock and tapsockd of the same build\n",
			 path, TS_CTL_VERSION);
	else
		snprintf(line, sizeof(line),
			 "tapsock: cannot reach the engine at %s (%s): start one with "
			 "`tapsock lab up NAME` and run under `tapsock run --lab NAME -- CMD`, "
			 "or set TAPSOCK_SOCK (TAPSOCK_FALLBACK=kernel allows kernel sockets)\n",
			 path != NULL && path[0] ? path : "$TAPSOCK_SOCK (unset)", strerror(-err));
	say(line);
}

static void ctl_close_locked(void)
{
	if (ctl_fd >= 0)
		ts_real.close(ctl_fd);
	__atomic_store_n(&ctl_fd, -1, __ATOMIC_RELAXED);
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&ctl_lock);
	pthread_mutex_lock(&tab_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&tab_lock);
	pthread_mutex_unlock(&ctl_lock);
}

/* The child shares the parent's control connection: it opens its own at
 * its next socket call, so replies never cross. */
static void atfork_child(void)
{
	__atomic_store_n(&self_pid, getpid(), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&tab_lock);
	ctl_close_locked();
	pthread_mutex_unlock(&ctl_lock);
}

static void atfork_register(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static int xfer(int fd, const uint8_t *msg, size_t len, int pass_fd)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do
		n = ts_real.sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EBADF ? -EBADF : -ENETDOWN;
	return 0;
}

/* One reply: returns its length, with *rfd set to a received fd or -1. */
static int recv_reply(int fd, uint8_t *buf, size_t cap, int *rfd)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	union {
		char buf[CMSG_SPACE(sizeof(int) * TS_CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	*rfd = -1;
	do
		n = ts_real.recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -ENETDOWN;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*rfd < 0)
				*rfd = f;
			else
				ts_real.close(f);
		}
	}
	return (int)n;
}

/* A request and its reply on the open connection.  Body in/out raw. */
static int call_locked(unsigned op, const uint8_t *body, size_t blen, int pass_fd,
		       uint8_t *rbody, size_t *rlen, int *rfd)
{
	uint8_t buf[CTL_BUF];
	struct ts_ctl_hdr h;
	uint32_t id = ctl_next_id++;
	int n, r, fd = -1;

	n = ts_ctl_msg_build(buf, sizeof(buf), op, id, 0, body, blen);
	if (n < 0)
		return n;
	r = xfer(ctl_fd, buf, (size_t)n, pass_fd);
	if (r < 0) {
		if (r == -ENETDOWN)
			ctl_close_locked();
		return r;
	}
	for (;;) {
		n = recv_reply(ctl_fd, buf, sizeof(buf), &fd);
		if (n < 0) {
			ctl_close_locked();
			return n;
		}
		r = ts_ctl_hdr_decode(buf, (size_t)n, &h);
		if (r == 0 && (h.id != id || h.op != op)) {
			/* A reply to an abandoned request: skip it. */
			if (fd >= 0)
				ts_real.close(fd);
			continue;
		}
		break;
	}
	if (r < 0) {
		if (fd >= 0)
			ts_real.close(fd);
		return r == -EPROTO ? -EPROTO : -EIO;
	}
	if (h.result < 0) {
		if (fd >= 0)
			ts_real.close(fd);
		return h.result;
	}
	if (rbody != NULL) {
		if (h.len > *rlen) {
			if (fd >= 0)
				ts_real.close(fd);
			return -EIO;
		}
		memcpy(rbody, buf + TS_CTL_HDR_LEN, h.len);
		*rlen = h.len;
	}
	if (rfd != NULL)
		*rfd = fd;
	else if (fd >= 0)
		ts_real.close(fd);
	return 0;
}

static int ctl_open_locked(void)
{
	const char *path = getenv("TAPSOCK_SOCK");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_SEC};
	struct ts_ctl_hello_req hreq;
	struct ts_ctl_hello_rep hrep;
	uint8_t body[256], rbody[512];
	struct ts_ctl_wr w;
	size_t rlen = sizeof(rbody);
	int fd, nfd, r;

	if (ctl_fd >= 0)
		return 0;
	pthread_once(&atfork_once, atfork_register);
	if (path == NULL || path[0] == '\0')
		return -ENOENT;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = ts_real.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ts_real.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ts_real.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (ts_real.connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		ts_real.close(fd);
		return r;
	}
	nfd = ts_real.fcntl(fd, F_DUPFD_CLOEXEC, CTL_FD_FLOOR);
	if (nfd >= 0) {
		ts_real.close(fd);
		fd = nfd;
	}
	__atomic_store_n(&ctl_fd, fd, __ATOMIC_RELAXED);
	memset(&hreq, 0, sizeof(hreq));
	strcpy(hreq.client, "shim");
	hreq.pid = (uint32_t)getpid();
	ts_ctl_wr_init(&w, body, sizeof(body));
	if (ts_ctl_hello_req_encode(&w, &hreq) < 0) {
		ctl_close_locked();
		return -EIO;
	}
	r = call_locked(TS_CTL_OP_HELLO, body, w.len, -1, rbody, &rlen, NULL);
	if (r == 0)
		r = ts_ctl_hello_rep_decode(rbody, rlen, &hrep);
	if (r < 0) {
		ctl_close_locked();
		return r == -EPROTO ? -EPROTO : r;
	}
	engine.addr = hrep.addr;
	engine.mask = hrep.prefix_len == 0 ? 0 : 0xffffffffu << (32 - hrep.prefix_len);
	engine.gw = hrep.gw;
	engine.have_dev = hrep.ifname[0] != '\0';
	return 0;
}

/* Is ctl_fd still our connection (an AF_UNIX SEQPACKET socket)? */
static int ctl_fd_alive(void)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (ctl_fd < 0 || ts_real.getsockopt(ctl_fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0)
		return 0;
	return v == SOCK_SEQPACKET;
}

/* A socket op: body from m, socket named by fd (or -1), reply into rep
 * (may be NULL), a received fd into *rfd (may be NULL). */
static int sock_call(unsigned op, const struct ts_ctl_sock_req *m, int fd,
		     struct ts_ctl_sock_rep *rep, int *rfd)
{
	uint8_t body[512], rbody[512];
	struct ts_ctl_wr w;
	size_t rlen = sizeof(rbody);
	int r, opened;

	ts_ctl_wr_init(&w, body, sizeof(body));
	if (ts_ctl_sock_req_encode(&w, m) < 0)
		return -EINVAL;
	pthread_mutex_lock(&ctl_lock);
	r = ctl_open_locked();
	opened = r == 0;
	if (r == 0)
		r = call_locked(op, body, w.len, fd, rbody, &rlen, rfd);
	if (r == -EBADF && !ctl_fd_alive()) {
		/* The program closed our connection behind our back (a raw
		 * close_range, say): forget the number, open a new one. */
		__atomic_store_n(&ctl_fd, -1, __ATOMIC_RELAXED);
		r = ctl_open_locked();
		opened = r == 0;
		if (r == 0)
			r = call_locked(op, body, w.len, fd, rbody, &rlen, rfd);
	}
	pthread_mutex_unlock(&ctl_lock);
	if (r == 0 && rep != NULL)
		r = ts_ctl_sock_rep_decode(rbody, rlen, rep) < 0 ? -EIO : 0;
	/* ENOENT and ECONNREFUSED are the daemon's answers too (TCP_CONGESTION
	 * with an unknown name, a TCP connect to port 0): only a connection
	 * that could not be opened is reported. */
	if (r == -EIO || r == -EPROTO || r == -ENETDOWN ||
	    (!opened && (r == -ENOENT || r == -ECONNREFUSED)))
		report_unreachable(getenv("TAPSOCK_SOCK"), r);
	return r;
}

int ts_shim_call(unsigned op, const struct ts_ctl_sock_req *m, int fd,
		 struct ts_ctl_sock_rep *rep, int *rfd)
{
	return sock_call(op, m, fd, rep, rfd);
}

void ts_shim_register(int fd, struct ts_shim_sock *s)
{
	pthread_mutex_lock(&tab_lock);
	tab_set_locked(fd, s);
	pthread_mutex_unlock(&tab_lock);
}

/* --- socket calls ----------------------------------------------------- */

int ts_shim_new_socket(unsigned op, int base, int proto, int type)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	struct ts_shim_sock *s;
	int fd = -1, r;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)base;
	m.proto = (uint8_t)proto;
	r = sock_call(op, &m, -1, &rep, &fd);
	if (r < 0)
		return r;
	if (fd < 0)
		return -ENETDOWN;
	if (fd >= TS_SHIM_MAX_FD) {
		ts_real.close(fd);
		return -EMFILE;
	}
	if (!(type & SOCK_CLOEXEC))
		ts_real.fcntl(fd, F_SETFD, 0);
	if (type & SOCK_NONBLOCK)
		ts_real.fcntl(fd, F_SETFL, O_NONBLOCK);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ts_real.close(fd);
		return -ENOMEM;
	}
	s->type = base;
	ts_shim_register(fd, s);
	return fd;
}

int ts_shim_socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int r;

	/* Linux __sock_create / inet_create, in order. */
	if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (base < SOCK_STREAM || base > SOCK_PACKET)
		return -EINVAL;
	if (domain == AF_INET6)
		return fallback_kernel() ? -ENOSYS : -EAFNOSUPPORT;
	if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) {
		/* TCP: shim/tcp.c, on a stream data channel. */
		r = ts_shim_tcp_socket(type);
	} else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) {
		r = ts_shim_new_socket(TS_CTL_OP_SOCK_SOCKET, SOCK_DGRAM, IPPROTO_UDP, type);
	} else {
		/* Raw and ping sockets are not the engine's.  Never a
		 * silent kernel socket. */
		if (fallback_kernel())
			return -ENOSYS;
		if (base == SOCK_DGRAM || base == SOCK_STREAM)
			return -EPROTONOSUPPORT;
		return -ESOCKTNOSUPPORT;
	}
	if (r >= 0)
		return r;
	/* No engine: the kernel only when asked (TAPSOCK_FALLBACK=kernel),
	 * else ENETDOWN; running out of fds or memory is reported as is. */
	if (fallback_kernel() && r != -EMFILE && r != -ENFILE && r != -ENOMEM)
		return -ENOSYS;
	if (r == -ENOENT || r == -ECONNREFUSED || r == -EIO || r == -EPROTO)
		r = -ENETDOWN;
	return r;
}

int ts_shim_copy_addr_in(struct sockaddr_storage *ss, const struct sockaddr *sa, socklen_t len)
{
	if ((int)len < 0 || len > sizeof(*ss))
		return -EINVAL;
	return ts_shim_copy_in(ss, sa, len);
}

int ts_shim_bind_op(unsigned op, int fd, struct ts_shim_sock *s, const struct sockaddr *sa,
		    socklen_t len)
{
	struct sockaddr_storage ss;
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int r = ts_shim_copy_addr_in(&ss, sa, len);

	if (r < 0)
		return r;
	memset(&m, 0, sizeof(m));
	r = ts_shim_parse_addr('b', &ss, len, &m.addr, &m.port);
	if (r < 0)
		return r;
	r = sock_call(op, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	s->bound = 1;
	s->laddr = rep.addr;
	return 0;
}

int ts_shim_bind(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len)
{
	return ts_shim_bind_op(TS_CTL_OP_SOCK_BIND, fd, s, sa, len);
}

static int autobind(int fd, struct ts_shim_sock *s)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int r;

	if (s->bound)
		return 0;
	memset(&m, 0, sizeof(m));
	r = sock_call(TS_CTL_OP_SOCK_AUTOBIND, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	s->bound = 1;
	return 0;
}

int ts_shim_connect(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss;
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	sa_family_t fam;
	int r = ts_shim_copy_addr_in(&ss, sa, len);

	if (r < 0)
		return r;
	/* Linux inet_dgram_connect. */
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&fam, &ss, sizeof(fam));
	memset(&m, 0, sizeof(m));
	if (fam == AF_UNSPEC) {
		m.flag = 1;
		r = sock_call(TS_CTL_OP_SOCK_CONNECT, &m, fd, &rep, NULL);
		if (r < 0)
			return r;
		s->connected = 0;
		s->bound = rep.port != 0;
		s->laddr = rep.addr;
		return 0;
	}
	r = autobind(fd, s);
	if (r < 0)
		return r;
	r = ts_shim_parse_addr('c', &ss, len, &m.addr, &m.port);
	if (r < 0)
		return r;
	r = sock_call(TS_CTL_OP_SOCK_CONNECT, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	s->connected = 1;
	s->laddr = rep.addr;
	s->peer_addr = m.addr == 0 ? 0x7f000001u : m.addr;
	s->peer_port = m.port;
	return 0;
}

/* Reads SO_ERROR from the engine (which clears it). */
static int take_so_error(int fd)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	int v = 0;

	memset(&m, 0, sizeof(m));
	m.level = SOL_SOCKET;
	m.name = SO_ERROR;
	m.optlen = sizeof(int);
	if (sock_call(TS_CTL_OP_SOCK_GETOPT, &m, fd, &rep, NULL) < 0 || rep.n != sizeof(int))
		return 0;
	memcpy(&v, rep.opt, sizeof(v));
	return v;
}

/* An error marker at the head of the queue: consume it and report the
 * pending error, if SO_ERROR has not taken it already.  1 if one was
 * consumed (with *err set, 0 if already taken), 0 if none. */
static int take_marker(int fd, int *err)
{
	uint8_t hb[TS_CHAN_HDR_LEN];
	struct ts_chan_hdr h;
	ssize_t n = ts_real.recv(fd, hb, sizeof(hb), MSG_PEEK | MSG_DONTWAIT);

	if (n < (ssize_t)sizeof(hb) || ts_chan_hdr_decode(hb, (size_t)n, &h) < 0 ||
	    h.kind != TS_CHAN_ERROR)
		return 0;
	ts_real.recv(fd, hb, sizeof(hb), MSG_DONTWAIT);
	*err = take_so_error(fd);
	return 1;
}

ssize_t ts_shim_sendmsg(int fd, struct ts_shim_sock *s, const struct msghdr *msg, int flags)
{
	struct sockaddr_storage ss;
	struct iovec iov[IOV_MAX + 1];
	uint8_t hb[TS_CHAN_HDR_LEN];
	struct ts_chan_hdr h = {.kind = TS_CHAN_DATA};
	struct msghdr m = {.msg_iov = iov};
	uint32_t daddr = 0;
	uint16_t dport = 0;
	size_t total = 0;
	int has_dst = msg->msg_name != NULL, r, err;
	ssize_t n;

	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (msg->msg_iovlen > 0 && msg->msg_iov == NULL)
		return -EFAULT;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		iov[i + 1] = msg->msg_iov[i];
		if (iov[i + 1].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i + 1].iov_len;
	}
	if (has_dst) {
		if (msg->msg_namelen > sizeof(ss))
			return -EINVAL;
		r = ts_shim_copy_in(&ss, msg->msg_name, msg->msg_namelen);
		if (r < 0)
			return r;
	}
	/* Linux inet_send_prepare: autobind first. */
	r = autobind(fd, s);
	if (r < 0)
		return r;
	if (total > 0xffff)
		return -EMSGSIZE;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (has_dst) {
		r = ts_shim_parse_addr('s', &ss, msg->msg_namelen, &daddr, &dport);
		if (r < 0)
			return r;
		if (daddr == 0)
			daddr = 0x7f000001u;
	}
	r = ts_shim_check_send(&engine, s, has_dst, daddr, dport, total, flags);
	if (r < 0)
		return r;
	/* A pending ICMP error (connected sockets only) is reported by the
	 * next send, as sock_alloc_send_skb does. */
	if (s->connected && take_marker(fd, &err) && err != 0)
		return -err;
	h.flags = has_dst ? TS_CHAN_F_DST : 0;
	h.addr = daddr;
	h.port = dport;
	ts_chan_hdr_encode(&h, hb);
	iov[0].iov_base = hb;
	iov[0].iov_len = sizeof(hb);
	m.msg_iovlen = msg->msg_iovlen + 1;
	n = ts_real.sendmsg(fd, &m, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED)
			return -ENETDOWN;
		return -errno;
	}
	return n >= (ssize_t)sizeof(hb) ? n - (ssize_t)sizeof(hb) : 0;
}

/* One control message into the program's buffer, as Linux's put_cmsg:
 * what does not fit is cut and flagged MSG_CTRUNC.  *off is where it
 * goes; returns 0 or -EFAULT. */
static int put_cmsg(struct msghdr *msg, size_t *off, int level, int type, const void *data,
		    size_t len)
{
	uint8_t tmp[CMSG_SPACE(64)];
	struct cmsghdr ch;
	size_t room = msg->msg_controllen - *off, cmlen = CMSG_LEN(len);

	if (room < sizeof(struct cmsghdr)) {
		msg->msg_flags |= MSG_CTRUNC;
		return 0;
	}
	if (room < cmlen) {
		msg->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	memset(tmp, 0, sizeof(tmp));
	ch.cmsg_level = level;
	ch.cmsg_type = type;
	ch.cmsg_len = cmlen;
	memcpy(tmp, &ch, sizeof(ch));
	memcpy(tmp + CMSG_LEN(0), data, len);
	if (ts_shim_copy_out((uint8_t *)msg->msg_control + *off, tmp, cmlen) < 0)
		return -EFAULT;
	*off += CMSG_SPACE(len) < room ? CMSG_SPACE(len) : room;
	return 0;
}

/* Linux ip_cmsg_recv: IP_PKTINFO, then IP_TTL, then IP_TOS, for the
 * options the program turned on.  Sets msg_controllen to what was used. */
static int put_cmsgs(const struct ts_shim_sock *s, const struct ts_chan_hdr *h,
		     struct msghdr *msg)
{
	size_t off = 0;
	int r = 0;

	if (msg->msg_control == NULL || msg->msg_controllen == 0) {
		/* put_cmsg with no buffer: MSG_CTRUNC when there was some. */
		if (s->pktinfo || s->recvttl || s->recvtos)
			msg->msg_flags |= MSG_CTRUNC;
		msg->msg_controllen = 0;
		return 0;
	}
	if (s->pktinfo) {
		struct in_pktinfo pi;
		int bc = ts_shim_is_bcast(&engine, h->dst) || (h->dst >> 28) == 0xe;

		memset(&pi, 0, sizeof(pi));
		/* No kernel device: 1 for loopback traffic, 2 for the link. */
		pi.ipi_ifindex = (h->dst >> 24) == 127 || h->addr == engine.addr ? 1 : 2;
		pi.ipi_spec_dst.s_addr = htonl(bc ? engine.addr : h->dst);
		pi.ipi_addr.s_addr = htonl(h->dst);
		r = put_cmsg(msg, &off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (r == 0 && s->recvttl) {
		int ttl = h->ttl;

		r = put_cmsg(msg, &off, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (r == 0 && s->recvtos)
		r = put_cmsg(msg, &off, IPPROTO_IP, IP_TOS, &h->tos, 1);
	msg->msg_controllen = off;
	return r;
}

ssize_t ts_shim_recvmsg(int fd, struct ts_shim_sock *s, struct msghdr *msg, int flags)
{
	return ts_shim_recvmsg_from(fd, s, msg, flags, NULL);
}

ssize_t ts_shim_recvmsg_from(int fd, struct ts_shim_sock *s, struct msghdr *msg, int flags,
			     struct sockaddr_in *from)
{
	struct iovec iov[IOV_MAX + 1];
	uint8_t hb[TS_CHAN_HDR_LEN];
	struct ts_chan_hdr h;
	struct msghdr m = {.msg_iov = iov};
	int kflags = (flags & (MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC)) | MSG_CMSG_CLOEXEC;
	ssize_t n;

	(void)s;
	/* Linux udp_recvmsg: MSG_ERRQUEUE reads the error queue, which
	 * tapsock does not keep: empty. */
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (msg->msg_iovlen > 0 && msg->msg_iov == NULL)
		return -EFAULT;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		iov[i + 1] = msg->msg_iov[i];
	iov[0].iov_base = hb;
	iov[0].iov_len = sizeof(hb);
	m.msg_iovlen = msg->msg_iovlen + 1;
	for (;;) {
		int err;

		m.msg_flags = 0;
		n = ts_real.recvmsg(fd, &m, kflags);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENETDOWN;	/* the daemon went away */
		if (n < (ssize_t)sizeof(hb) || ts_chan_hdr_decode(hb, sizeof(hb), &h) < 0)
			return -EIO;
		if (h.kind == TS_CHAN_DATA)
			break;
		/* An error marker: Linux's sock_error() clears the error even
		 * under MSG_PEEK, so it is consumed either way. */
		if (kflags & MSG_PEEK)
			ts_real.recv(fd, hb, sizeof(hb), MSG_DONTWAIT);
		err = take_so_error(fd);
		if (err != 0)
			return -err;
	}
	msg->msg_flags = m.msg_flags & MSG_TRUNC;
	if (put_cmsgs(s, &h, msg) < 0)
		return -EFAULT;
	if (from != NULL) {
		/* The caller's own buffer (recvfrom): no safe copy needed. */
		memset(from, 0, sizeof(*from));
		from->sin_family = AF_INET;
		from->sin_port = htons(h.port);
		from->sin_addr.s_addr = htonl(h.addr);
		msg->msg_namelen = sizeof(*from);
	} else if (msg->msg_name != NULL) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t ulen = msg->msg_namelen;

		sin.sin_port = htons(h.port);
		sin.sin_addr.s_addr = htonl(h.addr);
		if ((int)ulen < 0)
			return -EINVAL;
		if (ulen > sizeof(sin))
			ulen = sizeof(sin);
		if (ts_shim_copy_out(msg->msg_name, &sin, ulen) < 0)
			return -EFAULT;
		msg->msg_namelen = sizeof(sin);
	} else {
		msg->msg_namelen = 0;
	}
	return n - (ssize_t)sizeof(hb);
}

/* Linux move_addr_to_user: addr:port as a sockaddr_in into the program's
 * sa, cut to the ulen it offered, and the full length into *len. */
int ts_shim_put_name(struct sockaddr *sa, socklen_t *len, socklen_t ulen, uint32_t addr,
		     uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};

	if ((int)ulen < 0)
		return -EINVAL;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(addr);
	if (ulen > sizeof(sin))
		ulen = sizeof(sin);
	if (ts_shim_copy_out(sa, &sin, ulen) < 0)
		return -EFAULT;
	ulen = sizeof(sin);
	return ts_shim_copy_out(len, &ulen, sizeof(ulen));
}

int ts_shim_getname(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
		    int peer)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	socklen_t ulen;
	int r;

	(void)s;
	r = ts_shim_copy_in(&ulen, len, sizeof(ulen));
	if (r < 0)
		return r;
	memset(&m, 0, sizeof(m));
	m.flag = peer ? 1 : 0;
	r = sock_call(TS_CTL_OP_SOCK_NAME, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	return ts_shim_put_name(sa, len, ulen, rep.addr, rep.port);
}

/* Options that live on the real fd A (timeouts): the kernel applies them
 * to the program's own blocking calls. */
int ts_shim_opt_on_real_fd(int level, int name)
{
	if (level != SOL_SOCKET)
		return 0;
	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
#ifdef SO_RCVTIMEO_NEW
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
#endif
	case SO_RCVLOWAT:
	case SO_SNDLOWAT:
		return 1;
	default:
		return 0;
	}
}

int ts_shim_getsockopt(int fd, struct ts_shim_sock *s, int level, int name, void *val,
		       socklen_t *len)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	socklen_t ulen;
	int r;

	(void)s;
	if (ts_shim_opt_on_real_fd(level, name))
		return ts_real.getsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
	r = ts_shim_copy_in(&ulen, len, sizeof(ulen));
	if (r < 0)
		return r;
	if ((int)ulen < 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.level = level;
	m.name = name;
	m.optlen = ulen > TS_CHAN_MAX_OPT ? TS_CHAN_MAX_OPT : ulen;
	r = sock_call(TS_CTL_OP_SOCK_GETOPT, &m, fd, &rep, NULL);
	if (r < 0)
		return r;
	if (level == SOL_SOCKET && name == SO_ERROR) {
		/* The error is taken: its marker at the head of the queue
		 * must not wake poll() any more. */
		uint8_t hb[TS_CHAN_HDR_LEN];
		struct ts_chan_hdr h;
		ssize_t n = ts_real.recv(fd, hb, sizeof(hb), MSG_PEEK | MSG_DONTWAIT);

		if (n == (ssize_t)sizeof(hb) && ts_chan_hdr_decode(hb, sizeof(hb), &h) == 0 &&
		    h.kind == TS_CHAN_ERROR)
			ts_real.recv(fd, hb, sizeof(hb), MSG_DONTWAIT);
	}
	if (ts_shim_copy_out(val, rep.opt, rep.n) < 0)
		return -EFAULT;
	ulen = rep.n;
	return ts_shim_copy_out(len, &ulen, sizeof(ulen));
}

int ts_shim_setsockopt(int fd, struct ts_shim_sock *s, int level, int name, const void *val,
		       socklen_t len)
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
	/* A bad value pointer is EFAULT, as Linux's copy_from_sockptr.
	 * (Linux checks the option name first, so an unknown option with a
	 * bad pointer is ENOPROTOOPT there and EFAULT here.) */
	r = ts_shim_copy_in(m.opt, val, m.n);
	if (r < 0)
		return r;
	r = sock_call(TS_CTL_OP_SOCK_SETOPT, &m, fd, NULL, NULL);
	if (r < 0)
		return r;
	if (level == SOL_SOCKET && name == SO_BROADCAST && m.n >= sizeof(int)) {
		int v;

		memcpy(&v, m.opt, sizeof(v));
		s->broadcast = v != 0;
	}
	if (level == IPPROTO_IP && m.n >= 1 &&
	    (name == IP_PKTINFO || name == IP_RECVTTL || name == IP_RECVTOS)) {
		int v = 0;

		/* do_ip_setsockopt: an int, or one byte. */
		if (m.n >= sizeof(int))
			memcpy(&v, m.opt, sizeof(v));
		else
			v = m.opt[0];
		if (name == IP_PKTINFO)
			s->pktinfo = v != 0;
		else if (name == IP_RECVTTL)
			s->recvttl = v != 0;
		else
			s->recvtos = v != 0;
	}
	return 0;
}

int ts_shim_fionread(int fd, struct ts_shim_sock *s, int *out)
{
	uint8_t hb[TS_CHAN_HDR_LEN];
	struct ts_chan_hdr h;
	ssize_t n;

	(void)s;
	n = ts_real.recv(fd, hb, sizeof(hb), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			n = 0;
		else
			return -errno;
	}
	if (n >= (ssize_t)sizeof(hb) && ts_chan_hdr_decode(hb, sizeof(hb), &h) == 0 &&
	    h.kind == TS_CHAN_DATA)
		*out = (int)(n - (ssize_t)sizeof(hb));
	else
		*out = 0;
	return 0;
}

int ts_shim_close(int fd)
{
	int lfd = -1, ms = 0, r;

	if (fd >= 0 && fd < TS_SHIM_MAX_FD && fdtab[fd] != NULL) {
		struct ts_shim_sock *s = fdtab[fd];

		/* SO_LINGER (shim/tcp.c): the last close here waits. */
		if (s->type == SOCK_STREAM && s->linger && s->refs == 1)
			lfd = ts_shim_tcp_linger_begin(fd, s, &ms);
		pthread_mutex_lock(&tab_lock);
		tab_set_locked(fd, NULL);
		pthread_mutex_unlock(&tab_lock);
	}
	r = ts_real.close(fd) < 0 ? -errno : 0;
	if (lfd >= 0)
		ts_shim_tcp_linger_wait(lfd, ms);
	return r;
}

static int do_close_range(unsigned first, unsigned last, int flags)
{
	if (first > last)
		return 0;
	if (ts_real.close_range != NULL)
		return ts_real.close_range(first, last, flags) < 0 ? -errno : 0;
	if (flags != 0)
		return -ENOSYS;
	for (unsigned fd = first; fd <= last && fd < (unsigned)TS_SHIM_MAX_FD; fd++)
		ts_real.close((int)fd);
	return 0;
}

int ts_shim_close_range(unsigned first, unsigned last, int flags)
{
	int ctl = __atomic_load_n(&ctl_fd, __ATOMIC_RELAXED);
	int r;

	if (first > last)
		return -EINVAL;
	/* CLOSE_RANGE_CLOEXEC only marks fds: ours is CLOEXEC already. */
	if (!(flags & 4 /* CLOSE_RANGE_CLOEXEC */)) {
		pthread_mutex_lock(&tab_lock);
		for (unsigned fd = first; fd <= last && fd < (unsigned)TS_SHIM_MAX_FD; fd++)
			if (fdtab[fd] != NULL)
				tab_set_locked((int)fd, NULL);
		pthread_mutex_unlock(&tab_lock);
	}
	if (ctl < 0 || (unsigned)ctl < first || (unsigned)ctl > last)
		return do_close_range(first, last, flags);
	r = (unsigned)ctl > first ? do_close_range(first, (unsigned)ctl - 1, flags) : 0;
	if (r == 0 && (unsigned)ctl < last)
		r = do_close_range((unsigned)ctl + 1, last, flags);
	return r;
}

void ts_shim_dup_done(int oldfd, int newfd)
{
	if (newfd < 0 || newfd >= TS_SHIM_MAX_FD || oldfd == newfd)
		return;
	pthread_mutex_lock(&tab_lock);
	tab_set_locked(newfd, oldfd >= 0 && oldfd < TS_SHIM_MAX_FD ? fdtab[oldfd] : NULL);
	pthread_mutex_unlock(&tab_lock);
}

int ts_shim_dup_prepare(int newfd)
{
	int r = 0;

	pthread_mutex_lock(&ctl_lock);
	if (newfd >= 0 && newfd == ctl_fd) {
		int nfd = ts_real.fcntl(ctl_fd, F_DUPFD_CLOEXEC, ctl_fd + 1);

		if (nfd < 0) {
			r = -errno;
		} else {
			ts_real.close(ctl_fd);
			__atomic_store_n(&ctl_fd, nfd, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&ctl_lock);
	return r;
}

/* After exec, the new image's shim finds the engine sockets it inherited:
 * AF_UNIX SOCK_SEQPACKET fds the daemon recognises (QUERY).  Runs once at
 * load, and only talks to the daemon if such an fd exists. */
/* Is fd (inherited, or received over a UNIX socket) one of the engine's
 * sockets?  Only AF_UNIX stream (TCP) and SEQPACKET (UDP) fds are asked
 * about, and only when an engine is configured.  Registers it if so. */
void ts_shim_adopt_fd(int fd)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep rep;
	struct ts_shim_sock *s;
	socklen_t l = sizeof(int);
	int v = 0;
	struct stat st;

	if (fd < 0 || fd >= TS_SHIM_MAX_FD || getenv("TAPSOCK_SOCK") == NULL ||
	    ts_shim_lookup(fd) != NULL || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (ts_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_UNIX)
		return;
	l = sizeof(int);
	if (ts_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0)
		return;
	if (v == SOCK_STREAM) {
		ts_shim_tcp_adopt(fd);	/* TCP: shim/tcp.c */
		return;
	}
	if (v != SOCK_SEQPACKET)
		return;
	memset(&m, 0, sizeof(m));
	pthread_mutex_lock(&ctl_lock);
	v = ctl_open_locked();
	if (v == 0) {
		uint8_t body[512], rbody[512];
		struct ts_ctl_wr w;
		size_t rlen = sizeof(rbody);

		ts_ctl_wr_init(&w, body, sizeof(body));
		ts_ctl_sock_req_encode(&w, &m);
		v = call_locked(TS_CTL_OP_SOCK_QUERY, body, w.len, fd, rbody, &rlen, NULL);
		if (v == 0)
			v = ts_ctl_sock_rep_decode(rbody, rlen, &rep);
	}
	pthread_mutex_unlock(&ctl_lock);
	if (v < 0)
		return;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	s->type = SOCK_DGRAM;
	s->bound = rep.port != 0;
	s->laddr = rep.addr;
	pthread_mutex_lock(&tab_lock);
	tab_set_locked(fd, s);
	pthread_mutex_unlock(&tab_lock);
}

void ts_shim_adopt_inherited(void);
void ts_shim_adopt_inherited(void)
{
	DIR *dir;
	struct dirent *de;

	if (getenv("TAPSOCK_SOCK") == NULL)
		return;
	dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd != dirfd(dir))
			ts_shim_adopt_fd(fd);
	}
	closedir(dir);
}
