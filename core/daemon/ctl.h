/* tapsockd's control server: a SOCK_SEQPACKET listener on a UNIX path,
 * one uv_poll per connection, and a dispatch table from op to handler.
 *
 * libuv's uv_pipe_t is SOCK_STREAM only, so the listener and each
 * connection are plain AF_UNIX SOCK_SEQPACKET sockets watched with
 * uv_poll_t: message boundaries and SCM_RIGHTS come from the kernel, and a
 * request is always exactly one recvmsg.
 *
 * Ops are registered, not hard-wired: each group of ops lives in its own
 * file and exposes one registration function, called from tapsockd.c's
 * register_ops() (ctl_core.c: HELLO, STAT, STAT_RESET, SYSCTL_GET,
 * SYSCTL_SET).  A handler decodes req->body, does its work, writes its
 * reply body into rep->body and returns the result for the reply header (0
 * or a negative errno).  It may take ownership of a received fd by copying
 * it and setting req->fds[i] = -1 (the server closes the rest), and may
 * send fds back in rep->fds (the server closes its copies after sending,
 * unless rep->keep_fds is set). */
#ifndef TS_CTL_H
#define TS_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "ctl_proto.h"

struct ts_daemon;

/* One client connection (one process: the shim re-opens after fork). */
struct ts_ctl_conn {
	struct ts_ctl_server *srv;
	int fd;
	uv_poll_t poll;
	uint64_t serial;		/* connection number, for logs */
	struct ucred cred;		/* SO_PEERCRED at accept: ownership checks */
	char client[64];		/* name sent in HELLO */
	void *priv;			/* per-connection state of the socket layer */
	int closing;
	struct ts_ctl_conn *prev, *next;
};

struct ts_ctl_req {
	struct ts_ctl_conn *conn;
	struct ts_ctl_hdr hdr;
	const uint8_t *body;
	size_t len;
	int fds[TS_CTL_MAX_FDS];	/* received with the request */
	int nfds;
};

struct ts_ctl_rep {
	struct ts_ctl_wr body;		/* reply body (TS_CTL_MAX_BODY room) */
	int fds[TS_CTL_MAX_FDS];	/* sent with the reply */
	int nfds;
	int keep_fds;			/* do not close fds after sending */
};

typedef int (*ts_ctl_handler)(struct ts_daemon *d, struct ts_ctl_req *req,
			      struct ts_ctl_rep *rep);
/* Called when a connection goes away (EOF, error, shutdown), before its
 * memory is freed: release what conn->priv holds. */
typedef void (*ts_ctl_close_hook)(struct ts_daemon *d, struct ts_ctl_conn *conn);

/* Registers the handler for op.  0, -EINVAL (op out of range, NULL), or
 * -EEXIST (op already taken). */
int ts_ctl_register(unsigned op, ts_ctl_handler fn);
/* Adds a connection close hook (up to 8).  0 or -ENOSPC. */
int ts_ctl_on_close(ts_ctl_close_hook fn);

/* Before anything else is set up: is path free?  0 (free, or a stale
 * socket file that ts_ctl_listen will replace), or -EADDRINUSE (a live
 * daemon answers there), -EEXIST (not a socket) or another negative errno,
 * with a one-line reason in err. */
int ts_ctl_probe(const char *path, char *err, size_t errlen);
/* Binds and listens on path (mode 0660) and starts accepting. */
int ts_ctl_listen(struct ts_daemon *d, const char *path, char *err, size_t errlen);
/* Closes every connection and the listener; removes the socket file. */
void ts_ctl_shutdown(struct ts_daemon *d);
/* Number of open connections. */
int ts_ctl_conn_count(const struct ts_daemon *d);
/* Is the listener accepting (not paused after EMFILE)? */
int ts_ctl_accepting(const struct ts_daemon *d);

/* ctl_core.c */
void ts_ctl_core_register(void);

#endif
