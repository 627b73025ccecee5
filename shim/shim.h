/* The shim's logic, apart from the exported hooks (hooks.c) so unit tests
 * can link it without LD_PRELOAD.  Every ts_shim_* function returns a
 * value >= 0 or a negative errno and never touches errno; the hooks set
 * errno once, at the boundary.
 *
 * State: a table from fd number to struct ts_shim_sock (shared by dup'ed
 * fds), the control connection (one per process, re-opened in a forked
 * child), and what HELLO told us about the engine. */
#ifndef TS_SHIM_H
#define TS_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define TS_SHIM_MAX_FD 65536

/* What the shim knows about one engine socket. */
struct ts_shim_sock {
	int refs;		/* fds naming it in this process */
	int type;		/* SOCK_DGRAM */
	int bound;		/* has a local port (so sends need no autobind) */
	uint32_t laddr;		/* local address as the engine last said */
	int connected;
	uint32_t peer_addr;	/* host order */
	uint16_t peer_port;
	int broadcast;		/* SO_BROADCAST */
	/* Ancillary data recvmsg adds (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS). */
	int pktinfo, recvttl, recvtos;
	/* TCP (shim/tcp.c): TS_SHIM_TCP_*, A's SO_SNDBUF to restore after a
	 * connect's filler (0: nothing to restore), and whether the program
	 * has been told that its connect completed. */
	int tcp;
	int shut;		/* shutdown() bits (1 RD, 2 WR) of an unconnected socket */
	int saved_sndbuf;
	int connect_reported;
	int linger;		/* SO_LINGER with a positive time may be on: ask at close */
};

enum {
	TS_SHIM_TCP_FRESH = 0,	/* not connected, not listening */
	TS_SHIM_TCP_CONNECTING,
	TS_SHIM_TCP_CONNECTED,
	TS_SHIM_TCP_LISTEN,
};

/* The engine's address as HELLO reported it (host order). */
struct ts_shim_engine {
	uint32_t addr, mask, gw;
	int have_dev;
};

/* --- pure checks (check.c): Linux's order of errors, no I/O ----------- */

/* A sockaddr the caller passed in (already copied), as bind/connect/
 * sendto see it.  Returns 0 with *addr and *port (host order) set, or the
 * negative errno Linux gives for this call: op is 'b' (bind), 'c'
 * (connect), 's' (sendto/sendmsg). */
int ts_shim_parse_addr(int op, const void *sa, size_t len, uint32_t *addr, uint16_t *port);
/* udp_sendmsg's checks after the address: a destination for an
 * unconnected socket, a route, SO_BROADCAST, the size.  has_dst says an
 * address was given.  0 or a negative errno. */
int ts_shim_check_send(const struct ts_shim_engine *e, const struct ts_shim_sock *s,
		       int has_dst, uint32_t daddr, uint16_t dport, size_t len, int flags);
/* Is daddr a broadcast address for the engine? */
int ts_shim_is_bcast(const struct ts_shim_engine *e, uint32_t daddr);

/* --- the fd table (shim.c) ------------------------------------------- */

struct ts_shim_sock *ts_shim_lookup(int fd);
/* Is fd the shim's own control connection? */
int ts_shim_is_ctl_fd(int fd);

/* --- socket calls (shim.c): the hooks' logic ------------------------- */

/* Called for AF_INET sockets only. */
int ts_shim_socket(int domain, int type, int protocol);
int ts_shim_bind(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len);
int ts_shim_connect(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len);
ssize_t ts_shim_sendmsg(int fd, struct ts_shim_sock *s, const struct msghdr *msg, int flags);
ssize_t ts_shim_recvmsg(int fd, struct ts_shim_sock *s, struct msghdr *msg, int flags);
/* The same, with the sender's address put in *from (the shim's own
 * memory, not the program's: no safe copy) instead of msg->msg_name. */
ssize_t ts_shim_recvmsg_from(int fd, struct ts_shim_sock *s, struct msghdr *msg, int flags,
			     struct sockaddr_in *from);
int ts_shim_getname(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
		    int peer);
int ts_shim_getsockopt(int fd, struct ts_shim_sock *s, int level, int name, void *val,
		       socklen_t *len);
int ts_shim_setsockopt(int fd, struct ts_shim_sock *s, int level, int name, const void *val,
		       socklen_t len);
int ts_shim_fionread(int fd, struct ts_shim_sock *s, int *out);
int ts_shim_close(int fd);
/* close_range(2) that spares the control connection and forgets the
 * engine sockets it closes.  flags as close_range. */
int ts_shim_close_range(unsigned first, unsigned last, int flags);
/* After a successful dup of oldfd to newfd (dup, dup2, dup3, F_DUPFD):
 * newfd now names the same socket (and no longer whatever it named). */
void ts_shim_dup_done(int oldfd, int newfd);
/* Before dup2/dup3 onto newfd: moves the control fd out of the way if
 * newfd is it.  0 or a negative errno. */
int ts_shim_dup_prepare(int newfd);

/* A socket op on the control connection (shim.c): request m, the socket
 * named by fd (or -1), reply into rep (may be NULL), a received fd into
 * *rfd (may be NULL).  0 or a negative errno. */
struct ts_ctl_sock_req;
struct ts_ctl_sock_rep;
int ts_shim_call(unsigned op, const struct ts_ctl_sock_req *m, int fd,
		 struct ts_ctl_sock_rep *rep, int *rfd);
/* fd now names s (takes a reference). */
void ts_shim_register(int fd, struct ts_shim_sock *s);

/* --- TCP (tcp.c): SOCK_STREAM sockets on a stream data channel ---------- */
int ts_shim_tcp_socket(int type);
int ts_shim_tcp_bind(int fd, struct ts_shim_sock *s, const struct sockaddr *sa, socklen_t len);
int ts_shim_tcp_listen(int fd, struct ts_shim_sock *s, int backlog);
int ts_shim_tcp_accept(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
		       int flags);
int ts_shim_tcp_connect(int fd, struct ts_shim_sock *s, const struct sockaddr *sa,
			socklen_t len);
int ts_shim_tcp_shutdown(int fd, struct ts_shim_sock *s, int how);
/* Data goes natively through A; these run before and after the real call:
 * pre returns 0 to go on, 1 for a call that returns 0 at once, or a
 * negative errno; post
 * gets the real call's result and errno and returns the call's result. */
int ts_shim_tcp_pre_write(int fd, struct ts_shim_sock *s, int flags);
ssize_t ts_shim_tcp_post_write(int fd, struct ts_shim_sock *s, ssize_t r, int err, int flags);
int ts_shim_tcp_pre_read(int fd, struct ts_shim_sock *s, int flags);
ssize_t ts_shim_tcp_post_read(int fd, struct ts_shim_sock *s, ssize_t r, int err, size_t len);
int ts_shim_tcp_getname(int fd, struct ts_shim_sock *s, struct sockaddr *sa, socklen_t *len,
			int peer);
int ts_shim_tcp_getsockopt(int fd, struct ts_shim_sock *s, int level, int name, void *val,
			   socklen_t *len);
int ts_shim_tcp_setsockopt(int fd, struct ts_shim_sock *s, int level, int name,
			   const void *val, socklen_t len);
void ts_shim_tcp_adopt(int fd);
/* Before the last close of fd in this process: with a positive SO_LINGER
 * the daemon gives an fd that turns readable when the close is over;
 * returns it (and *ms, the linger time), or -1 for no wait. */
int ts_shim_tcp_linger_begin(int fd, struct ts_shim_sock *s, int *ms);
/* After A is closed: waits on lfd at most ms (Linux
 * sk_stream_wait_close; a signal ends the wait), then closes lfd. */
void ts_shim_tcp_linger_wait(int lfd, int ms);
/* shim.c: fd came from elsewhere (inherited, or SCM_RIGHTS): if it is an
 * engine socket (the daemon says), the shim takes it over. */
void ts_shim_adopt_fd(int fd);

/* Safe copies to and from the program's memory: -EFAULT for a bad
 * pointer instead of a crash (process_vm_readv/writev on ourselves). */
int ts_shim_copy_in(void *dst, const void *user, size_t n);
int ts_shim_copy_out(void *user, const void *src, size_t n);
/* Two copies out in one system call, in order (Linux move_addr_to_user:
 * the name, then its length); 0 or -EFAULT. */
int ts_shim_copy_out2(void *user1, const void *src1, size_t n1, void *user2, const void *src2,
		      size_t n2);
/* A new engine socket through control op `op`: the daemon's end A set up
 * with type's SOCK_CLOEXEC/SOCK_NONBLOCK and registered; fd or -errno. */
int ts_shim_new_socket(unsigned op, int base, int proto, int type);
/* Copies a program's sockaddr of len bytes in: -EINVAL for a length no
 * sockaddr has, -EFAULT for a bad pointer. */
int ts_shim_copy_addr_in(struct sockaddr_storage *ss, const struct sockaddr *sa, socklen_t len);
/* bind(2) through control op `op` (UDP or TCP): 0 or -errno. */
int ts_shim_bind_op(unsigned op, int fd, struct ts_shim_sock *s, const struct sockaddr *sa,
		    socklen_t len);
/* Linux move_addr_to_user for getsockname/getpeername: 0 or -errno. */
int ts_shim_put_name(struct sockaddr *sa, socklen_t *len, socklen_t ulen, uint32_t addr,
		     uint16_t port);
/* Is this option kept on the program's own fd A (timeouts, low-water
 * marks), where the kernel applies it to the program's blocking calls? */
int ts_shim_opt_on_real_fd(int level, int name);

#endif
