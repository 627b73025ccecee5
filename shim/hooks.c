/* libtapsock.so's exported hooks: thin wrappers that route calls on
 * engine sockets to the shim logic (shim.c) and everything else to the
 * real libc function.  errno is set here, once, from the logic's negative
 * return.  A thread-local guard sends any call made while the shim itself
 * is running straight to libc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#include "real.h"
#include "shim.h"

#define TS_EXPORT __attribute__((visibility("default")))

static __thread int in_shim;

/* The sock for fd, or NULL for fds the shim does not own (or while the
 * shim is already running in this thread). */
static struct ts_shim_sock *ours(int fd)
{
	ts_real_init();
	if (in_shim)
		return NULL;
	return ts_shim_lookup(fd);
}

static long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define SHIM(expr)                                                                  \
	({                                                                          \
		long r_;                                                            \
		in_shim = 1;                                                        \
		r_ = (long)(expr);                                                  \
		in_shim = 0;                                                        \
		r_;                                                                 \
	})

void ts_shim_adopt_inherited(void);

/* TCP sockets (shim/tcp.c) move their data natively through A: the real
 * call runs between the shim's checks, outside the in_shim guard, with
 * errno carried across. */
static int is_tcp(const struct ts_shim_sock *s)
{
	return s->type == SOCK_STREAM;
}

static ssize_t tcp_send(int fd, struct ts_shim_sock *s, const void *buf, size_t n, int flags)
{
	long r = SHIM(ts_shim_tcp_pre_write(fd, s, flags));
	ssize_t k;

	if (r != 0)
		return ret(r < 0 ? r : 0);
	k = ts_real.send(fd, buf, n, flags | MSG_NOSIGNAL);
	return ret(SHIM(ts_shim_tcp_post_write(fd, s, k, errno, flags)));
}

static ssize_t tcp_sendmsg(int fd, struct ts_shim_sock *s, const struct msghdr *m, int flags)
{
	long r = SHIM(ts_shim_tcp_pre_write(fd, s, flags));
	ssize_t k;

	if (r != 0)
		return ret(r < 0 ? r : 0);
	k = ts_real.sendmsg(fd, m, flags | MSG_NOSIGNAL);
	return ret(SHIM(ts_shim_tcp_post_write(fd, s, k, errno, flags)));
}

static ssize_t tcp_recv(int fd, struct ts_shim_sock *s, void *buf, size_t n, int flags)
{
	long r = SHIM(ts_shim_tcp_pre_read(fd, s, flags));
	ssize_t k;

	/* Linux tcp_recvmsg: nothing asked, nothing read (a unix stream
	 * socket would wait for data). */
	if (r != 0 || n == 0)
		return ret(r < 0 ? r : 0);
	k = ts_real.recv(fd, buf, n, flags);
	return ret(SHIM(ts_shim_tcp_post_read(fd, s, k, errno, n)));
}

static ssize_t tcp_recvmsg(int fd, struct ts_shim_sock *s, struct msghdr *m, int flags)
{
	long r = SHIM(ts_shim_tcp_pre_read(fd, s, flags));
	struct msghdr um;
	size_t total = 0;
	ssize_t k;

	if (r != 0)
		return ret(r < 0 ? r : 0);
	if (SHIM(ts_shim_copy_in(&um, m, sizeof(um))) < 0)
		return ret(-EFAULT);
	if (um.msg_iovlen > UIO_MAXIOV)
		return ret(-EMSGSIZE);
	for (size_t i = 0; i < um.msg_iovlen; i++) {
		struct iovec v;

		if (SHIM(ts_shim_copy_in(&v, &um.msg_iov[i], sizeof(v))) < 0)
			return ret(-EFAULT);
		total += v.iov_len;
	}
	if (total == 0) {
		/* As tcp_recv: a read of nothing returns 0 at once. */
		m->msg_flags = 0;
		return 0;
	}
	k = ts_real.recvmsg(fd, m, flags);
	return ret(SHIM(ts_shim_tcp_post_read(fd, s, k, errno, total)));
}

static ssize_t tcp_iov(int fd, struct ts_shim_sock *s, const struct iovec *iov, int cnt,
		       int wr)
{
	struct msghdr m = {.msg_iov = (struct iovec *)iov};

	/* Linux import_iovec for readv/writev: EINVAL outside 0..UIO_MAXIOV. */
	if (cnt < 0 || cnt > UIO_MAXIOV) {
		errno = EINVAL;
		return -1;
	}
	m.msg_iovlen = (size_t)cnt;
	return wr ? tcp_sendmsg(fd, s, &m, 0) : tcp_recvmsg(fd, s, &m, 0);
}

__attribute__((constructor)) static void shim_init(void)
{
	ts_real_init();
	in_shim = 1;
	ts_shim_adopt_inherited();
	in_shim = 0;
}

TS_EXPORT int socket(int domain, int type, int protocol)
{
	long r;

	ts_real_init();
	if (in_shim || (domain != AF_INET && domain != AF_INET6))
		return ts_real.socket(domain, type, protocol);
	r = SHIM(ts_shim_socket(domain, type, protocol));
	if (r == -ENOSYS)	/* TAPSOCK_FALLBACK=kernel */
		return ts_real.socket(domain, type, protocol);
	return (int)ret(r);
}

TS_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	ts_real_init();
	/* Linux: AF_INET has no socketpair. */
	if (!in_shim && domain == AF_INET) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return ts_real.socketpair(domain, type, protocol, sv);
}

TS_EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.bind(fd, sa, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_bind(fd, s, sa, len)));
	return (int)ret(SHIM(ts_shim_bind(fd, s, sa, len)));
}

TS_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.connect(fd, sa, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_connect(fd, s, sa, len)));
	return (int)ret(SHIM(ts_shim_connect(fd, s, sa, len)));
}

TS_EXPORT int listen(int fd, int backlog)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.listen(fd, backlog);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_listen(fd, s, backlog)));
	errno = EOPNOTSUPP;	/* Linux: listen on a UDP socket */
	return -1;
}

TS_EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.accept(fd, sa, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_accept(fd, s, sa, len, 0)));
	errno = EOPNOTSUPP;
	return -1;
}

TS_EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.accept4(fd, sa, len, flags);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_accept(fd, s, sa, len, flags)));
	errno = EOPNOTSUPP;
	return -1;
}

TS_EXPORT int shutdown(int fd, int how)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.shutdown(fd, how);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_shutdown(fd, s, how)));
	/* Linux inet_shutdown: how is checked first; an unconnected
	 * datagram socket is ENOTCONN.  (The data channel itself stays open:
	 * shutting A would close the engine socket.) */
	if (how < SHUT_RD || how > SHUT_RDWR) {
		errno = EINVAL;
		return -1;
	}
	if (!s->connected) {
		errno = ENOTCONN;
		return -1;
	}
	return 0;
}

static ssize_t send_common(int fd, struct ts_shim_sock *s, const void *buf, size_t n,
			   int flags, const struct sockaddr *sa, socklen_t len, int named)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	if (named) {
		/* Linux __sys_sendto: move_addr_to_kernel first. */
		if ((int)len < 0 || len > sizeof(struct sockaddr_storage))
			return -EINVAL;
		m.msg_name = (void *)sa;
		m.msg_namelen = len;
		if (sa != NULL && len == 0)
			return -EINVAL;
	}
	return ts_shim_sendmsg(fd, s, &m, flags);
}

TS_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.send(fd, buf, n, flags);
	if (is_tcp(s))
		return tcp_send(fd, s, buf, n, flags);
	return ret(SHIM(send_common(fd, s, buf, n, flags, NULL, 0, 0)));
}

TS_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *sa, socklen_t len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.sendto(fd, buf, n, flags, sa, len);
	if (is_tcp(s))	/* Linux TCP ignores the address when connected */
		return tcp_send(fd, s, buf, n, flags);
	return ret(SHIM(send_common(fd, s, buf, n, flags, sa, len, sa != NULL)));
}

/* Runs fn on a msghdr whose iovec array came from the program: copied
 * first (EFAULT for a bad pointer, EMSGSIZE above UIO_MAXIOV, as Linux's
 * import_iovec for sendmsg/recvmsg). */
static ssize_t with_user_iov(int fd, struct ts_shim_sock *s, struct msghdr *m, int flags,
			     ssize_t (*fn)(int, struct ts_shim_sock *, const struct msghdr *, int))
{
	struct iovec iov[UIO_MAXIOV];

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (m->msg_iovlen > 0) {
		if (ts_shim_copy_in(iov, m->msg_iov, m->msg_iovlen * sizeof(iov[0])) < 0)
			return -EFAULT;
		m->msg_iov = iov;
	}
	return fn(fd, s, m, flags);
}

static ssize_t recvmsg_fn(int fd, struct ts_shim_sock *s, const struct msghdr *m, int flags)
{
	return ts_shim_recvmsg(fd, s, (struct msghdr *)m, flags);
}

static ssize_t sendmsg_common(int fd, struct ts_shim_sock *s, const struct msghdr *um,
			      int flags)
{
	struct msghdr m;
	int r = ts_shim_copy_in(&m, um, sizeof(m));

	if (r < 0)
		return r;
	/* Linux __copy_msghdr: a name with length 0 is no name; a longer
	 * one than sockaddr_storage is cut. */
	if (m.msg_name == NULL || m.msg_namelen == 0) {
		m.msg_name = NULL;
		m.msg_namelen = 0;
	}
	if ((int)m.msg_namelen < 0)
		return -EINVAL;
	if (m.msg_namelen > sizeof(struct sockaddr_storage))
		m.msg_namelen = sizeof(struct sockaddr_storage);
	return with_user_iov(fd, s, &m, flags, ts_shim_sendmsg);
}

TS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.sendmsg(fd, msg, flags);
	if (is_tcp(s))
		return tcp_sendmsg(fd, s, msg, flags);
	return ret(SHIM(sendmsg_common(fd, s, msg, flags)));
}

static int sendmmsg_common(int fd, struct ts_shim_sock *s, struct mmsghdr *v, unsigned n,
			   int flags)
{
	unsigned i;

	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	for (i = 0; i < n; i++) {
		ssize_t r = sendmsg_common(fd, s, &v[i].msg_hdr, flags);

		if (r < 0)
			return i > 0 ? (int)i : (int)r;
		v[i].msg_len = (unsigned)r;
	}
	return (int)i;
}

TS_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL || is_tcp(s))
		return ts_real.sendmmsg(fd, v, n, flags);
	return (int)ret(SHIM(sendmmsg_common(fd, s, v, n, flags)));
}

TS_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.write(fd, buf, n);
	if (is_tcp(s))
		return tcp_send(fd, s, buf, n, 0);
	return ret(SHIM(send_common(fd, s, buf, n, 0, NULL, 0, 0)));
}

static ssize_t writev_common(int fd, struct ts_shim_sock *s, const struct iovec *iov, int cnt)
{
	struct msghdr m = {.msg_iov = (struct iovec *)iov};

	/* Linux import_iovec for readv/writev: EINVAL outside 0..UIO_MAXIOV. */
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	m.msg_iovlen = (size_t)cnt;
	return with_user_iov(fd, s, &m, 0, ts_shim_sendmsg);
}

TS_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.writev(fd, iov, cnt);
	if (is_tcp(s))
		return tcp_iov(fd, s, iov, cnt, 1);
	return ret(SHIM(writev_common(fd, s, iov, cnt)));
}

static ssize_t recv_common(int fd, struct ts_shim_sock *s, void *buf, size_t n, int flags,
			   struct sockaddr *sa, socklen_t *len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct sockaddr_in sin;
	socklen_t ulen = 0, klen;
	ssize_t r;

	if (sa != NULL) {
		/* Linux reads *len only after the datagram (EFAULT then), but
		 * it must be readable: check it now so a bad pointer does not
		 * crash the shim. */
		if (ts_shim_copy_in(&ulen, len, sizeof(ulen)) < 0)
			return -EFAULT;
		if ((int)ulen < 0)
			return -EINVAL;
	}
	/* The name comes into our own sin; it goes out below with its
	 * length in one process_vm_writev (two before). */
	r = ts_shim_recvmsg_from(fd, s, &m, flags, sa != NULL ? &sin : NULL);
	if (r < 0)
		return r;
	if (sa != NULL) {
		/* Linux move_addr_to_user: the name cut to ulen, then the
		 * full length. */
		klen = m.msg_namelen;
		if (ts_shim_copy_out2(sa, &sin, ulen < klen ? ulen : klen, len, &klen,
				      sizeof(klen)) < 0)
			return -EFAULT;
	}
	return r;
}

TS_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.recv(fd, buf, n, flags);
	if (is_tcp(s))
		return tcp_recv(fd, s, buf, n, flags);
	return ret(SHIM(recv_common(fd, s, buf, n, flags, NULL, NULL)));
}

TS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *sa,
			   socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.recvfrom(fd, buf, n, flags, sa, len);
	if (is_tcp(s)) {
		ssize_t k = tcp_recv(fd, s, buf, n, flags);

		/* Linux TCP reports no source address. */
		if (k >= 0 && sa != NULL && len != NULL)
			*len = 0;
		return k;
	}
	return ret(SHIM(recv_common(fd, s, buf, n, flags, sa, len)));
}

static ssize_t recvmsg_common(int fd, struct ts_shim_sock *s, struct msghdr *um, int flags)
{
	struct msghdr m;
	ssize_t r;

	if (ts_shim_copy_in(&m, um, sizeof(m)) < 0)
		return -EFAULT;
	if (m.msg_name == NULL)
		m.msg_namelen = 0;
	r = with_user_iov(fd, s, &m, flags, recvmsg_fn);
	if (r < 0)
		return r;
	um->msg_namelen = m.msg_namelen;
	um->msg_flags = m.msg_flags;
	um->msg_controllen = m.msg_controllen;
	return r;
}

static void adopt_received(const struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			ts_shim_adopt_fd(f);
		}
	}
}

TS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL) {
		ssize_t r = ts_real.recvmsg(fd, msg, flags);

		/* Engine sockets passed over a UNIX socket (SCM_RIGHTS) are
		 * recognised like inherited ones. */
		if (r >= 0 && !in_shim && msg->msg_controllen > 0) {
			int e = errno;

			in_shim = 1;
			adopt_received(msg);
			in_shim = 0;
			errno = e;
		}
		return r;
	}
	if (is_tcp(s))
		return tcp_recvmsg(fd, s, msg, flags);
	return ret(SHIM(recvmsg_common(fd, s, msg, flags)));
}

static int recvmmsg_common(int fd, struct ts_shim_sock *s, struct mmsghdr *v, unsigned n,
			   int flags)
{
	unsigned i;

	if (n > UIO_MAXIOV)
		n = UIO_MAXIOV;
	for (i = 0; i < n; i++) {
		int f = flags & ~MSG_WAITFORONE;
		ssize_t r;

		/* Linux: MSG_WAITFORONE makes every receive after the first
		 * non-blocking.  (The timeout argument is not honoured.) */
		if (i > 0 && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		r = recvmsg_common(fd, s, &v[i].msg_hdr, f);
		if (r < 0)
			return i > 0 ? (int)i : (int)r;
		v[i].msg_len = (unsigned)r;
	}
	return (int)i;
}

TS_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
		       struct timespec *tmo)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL || is_tcp(s))
		return ts_real.recvmmsg(fd, v, n, flags, tmo);
	return (int)ret(SHIM(recvmmsg_common(fd, s, v, n, flags)));
}

TS_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.read(fd, buf, n);
	if (is_tcp(s))
		return tcp_recv(fd, s, buf, n, 0);
	if (n == 0)
		return 0;	/* Linux sock_read_iter: nothing read, nothing taken */
	return ret(SHIM(recv_common(fd, s, buf, n, 0, NULL, NULL)));
}

static ssize_t readv_common(int fd, struct ts_shim_sock *s, const struct iovec *iov, int cnt)
{
	struct msghdr m = {.msg_iov = (struct iovec *)iov};

	struct iovec kiov[UIO_MAXIOV];
	size_t total = 0;

	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	if (cnt > 0 && ts_shim_copy_in(kiov, m.msg_iov, (size_t)cnt * sizeof(kiov[0])) < 0)
		return -EFAULT;
	for (int i = 0; i < cnt; i++)
		total += kiov[i].iov_len;
	/* Linux sock_read_iter: a read of nothing returns 0 and leaves the
	 * queue alone (recv of 0 bytes does consume a datagram). */
	if (total == 0)
		return 0;
	m.msg_iov = kiov;
	m.msg_iovlen = (size_t)cnt;
	return ts_shim_recvmsg(fd, s, &m, 0);
}

TS_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.readv(fd, iov, cnt);
	if (is_tcp(s))
		return tcp_iov(fd, s, iov, cnt, 0);
	return ret(SHIM(readv_common(fd, s, iov, cnt)));
}

/* _FORTIFY_SOURCE variants: the buffer-size check stays glibc's. */
TS_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL || n > buflen)
		return ts_real.__read_chk(fd, buf, n, buflen);
	if (is_tcp(s))
		return tcp_recv(fd, s, buf, n, 0);
	if (n == 0)
		return 0;
	return ret(SHIM(recv_common(fd, s, buf, n, 0, NULL, NULL)));
}

TS_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL || n > buflen)
		return ts_real.__recv_chk(fd, buf, n, buflen, flags);
	if (is_tcp(s))
		return tcp_recv(fd, s, buf, n, flags);
	return ret(SHIM(recv_common(fd, s, buf, n, flags, NULL, NULL)));
}

TS_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
				 struct sockaddr *sa, socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL || n > buflen)
		return ts_real.__recvfrom_chk(fd, buf, n, buflen, flags, sa, len);
	if (is_tcp(s))
		return recvfrom(fd, buf, n, flags, sa, len);
	return ret(SHIM(recv_common(fd, s, buf, n, flags, sa, len)));
}

TS_EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.getsockname(fd, sa, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_getname(fd, s, sa, len, 0)));
	return (int)ret(SHIM(ts_shim_getname(fd, s, sa, len, 0)));
}

TS_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.getpeername(fd, sa, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_getname(fd, s, sa, len, 1)));
	return (int)ret(SHIM(ts_shim_getname(fd, s, sa, len, 1)));
}

TS_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.getsockopt(fd, level, name, val, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_getsockopt(fd, s, level, name, val, len)));
	return (int)ret(SHIM(ts_shim_getsockopt(fd, s, level, name, val, len)));
}

TS_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct ts_shim_sock *s = ours(fd);

	if (s == NULL)
		return ts_real.setsockopt(fd, level, name, val, len);
	if (is_tcp(s))
		return (int)ret(SHIM(ts_shim_tcp_setsockopt(fd, s, level, name, val, len)));
	return (int)ret(SHIM(ts_shim_setsockopt(fd, s, level, name, val, len)));
}

TS_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct ts_shim_sock *s = ours(fd);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (s != NULL && is_tcp(s) && s->tcp == TS_SHIM_TCP_LISTEN &&
	    (req == FIONREAD || req == TIOCOUTQ)) {
		errno = EINVAL;	/* Linux tcp_ioctl on a listener */
		return -1;
	}
	if (s != NULL && !is_tcp(s) && req == FIONREAD) {
		int v = 0;
		long r = SHIM(ts_shim_fionread(fd, s, &v));

		if (r < 0)
			return (int)ret(r);
		return (int)ret(SHIM(ts_shim_copy_out(arg, &v, sizeof(v))));
	}
	return ts_real.ioctl(fd, req, arg);
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int r;

	ts_real_init();
	if (in_shim)
		return real(fd, cmd, arg);
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && ts_shim_is_ctl_fd(fd)) {
		errno = EBADF;
		return -1;
	}
	r = real(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		ts_shim_dup_done(fd, r);
	return r;
}

TS_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	ts_real_init();
	return fcntl_common(ts_real.fcntl, fd, cmd, arg);
}

TS_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	ts_real_init();
	return fcntl_common(ts_real.fcntl64, fd, cmd, arg);
}

TS_EXPORT int close(int fd)
{
	ts_real_init();
	if (in_shim)
		return ts_real.close(fd);
	/* The control connection is the shim's: to the program it does not
	 * exist. */
	if (ts_shim_is_ctl_fd(fd)) {
		errno = EBADF;
		return -1;
	}
	return (int)ret(SHIM(ts_shim_close(fd)));
}

TS_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	ts_real_init();
	if (in_shim)
		return ts_real.close_range(first, last, flags);
	return (int)ret(SHIM(ts_shim_close_range(first, last, flags)));
}

TS_EXPORT void closefrom(int lowfd)
{
	ts_real_init();
	if (lowfd < 0)
		lowfd = 0;
	/* glibc's closefrom calls close_range internally, past our hook. */
	in_shim = 1;
	ts_shim_close_range((unsigned)lowfd, ~0u, 0);
	in_shim = 0;
}

TS_EXPORT int dup(int fd)
{
	int r;

	ts_real_init();
	if (!in_shim && ts_shim_is_ctl_fd(fd)) {
		errno = EBADF;
		return -1;
	}
	r = ts_real.dup(fd);
	if (r >= 0 && !in_shim)
		ts_shim_dup_done(fd, r);
	return r;
}

static int dup23(int oldfd, int newfd, int flags, int three)
{
	int r;

	ts_real_init();
	if (in_shim)
		return three ? ts_real.dup3(oldfd, newfd, flags) : ts_real.dup2(oldfd, newfd);
	if (ts_shim_is_ctl_fd(oldfd)) {
		errno = EBADF;
		return -1;
	}
	if (oldfd != newfd) {
		r = (int)SHIM(ts_shim_dup_prepare(newfd));
		if (r < 0)
			return (int)ret(r);
	}
	r = three ? ts_real.dup3(oldfd, newfd, flags) : ts_real.dup2(oldfd, newfd);
	if (r >= 0)
		ts_shim_dup_done(oldfd, newfd);
	return r;
}

TS_EXPORT int dup2(int oldfd, int newfd)
{
	return dup23(oldfd, newfd, 0, 0);
}

TS_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup23(oldfd, newfd, flags, 1);
}
