/* tapsockd's socket layer: engine sockets and their data channels
 * (chan_uv.c), and the socket control ops the shim calls (ctl_sock.c).
 *
 * Each engine socket has one channel: end B of a SOCK_SEQPACKET
 * socketpair, watched with a uv_poll.  The program holds end A; requests
 * name a socket by passing A (SCM_RIGHTS) and the daemon finds the channel
 * by A's inode, so any process that holds the fd (created, inherited
 * through fork or exec, received over a UNIX socket) may use it, and no
 * other can. */
#ifndef TS_SOCKD_H
#define TS_SOCKD_H

#include <stdint.h>
#include <sys/types.h>
#include <uthash.h>
#include <uv.h>

#include "daemon.h"
#include "sock.h"
#include "udp.h"

struct ts_chan {
	struct ts_daemon *d;
	ino_t ino;			/* A's inode: the hash key */
	int fd;				/* B */
	uv_poll_t poll;
	int events;			/* what the poll watches now */
	struct ts_udp_sock *us;
	int closing;
	uint64_t tx_drops;		/* datagrams B could not take */
	UT_hash_handle hh;
};

/* A UDP socket and its channel; *afd gets end A (the caller sends it and
 * closes it).  0 or a negative errno. */
int ts_chan_udp_create(struct ts_daemon *d, const struct ts_cred *cred, struct ts_chan **out,
		       int *afd);
/* The channel whose end A is fd (a descriptor received from a client), or
 * NULL. */
struct ts_chan *ts_chan_find_fd(struct ts_daemon *d, int fd);
/* Tells the channel that the engine queued datagrams or an error. */
void ts_chan_flush(struct ts_chan *c);
/* Re-applies the socket's receive buffer size to B. */
void ts_chan_sync_bufs(struct ts_chan *c);
/* Sends what the program already wrote to c, so a socket op sees the
 * socket after its earlier sends, in program order. */
void ts_chan_pump(struct ts_chan *c);
/* Reads what is pending on the channels of sockets bound to port (0: all),
 * so a close(2) the program already made (EOF on B) takes effect now.
 * close is synchronous on Linux: a bind right after it must not see the
 * old socket. */
void ts_chan_settle(struct ts_daemon *d, uint16_t port);
/* Closes every channel and its engine socket (daemon shutdown). */
void ts_chan_shutdown_all(struct ts_daemon *d);
int ts_chan_count(void);

/* chan_tcp.c: TCP sockets and their SOCK_STREAM data channels, and the
 * TS_CTL_OP_TCP_* handlers.  attach registers TCP in the engine (after
 * ts_engine_init); shutdown closes every TCP socket and the TCP layer. */
void ts_ctl_tcp_register(void);
int ts_chan_tcp_attach(struct ts_daemon *d);
void ts_chan_tcp_shutdown(struct ts_daemon *d);
int ts_chan_tcp_count(void);

/* ctl_sock.c: registers the TS_CTL_OP_SOCK_* handlers. */
void ts_ctl_sock_register(void);
/* Registers UDP in the engine (right after ts_engine_init).  0 or -errno. */
int ts_ctl_sock_attach(struct ts_daemon *d);
/* Closes every socket; call before ts_engine_destroy. */
void ts_ctl_sock_shutdown(struct ts_daemon *d);

#endif
