/* tapsockd's TS_CTL_OP_SS handler (ctl_ss.c): every engine socket as
 * `tapsock ss` lists it (core/ss.h), with what only the daemon knows: the
 * inode of the program's end A of each socket's channel (the CLI finds the
 * processes holding it in /proc, as ss -p does) and what still waits in
 * the channel for the program (added to Recv-Q, as Linux counts unread
 * data and unaccepted connections). */
#ifndef TS_CTL_SS_H
#define TS_CTL_SS_H

#include <stdint.h>

struct ts_tcb;

/* What a socket layer knows of one socket's channel. */
struct ts_ss_chan {
	uint64_t ino;		/* inode of end A (0: none) */
	uint32_t acc_rec;	/* a listener: bytes per accepted-connection
				 * record in its channel (0: a stream) */
};

/* Set by the TCP socket layer (chan_tcp.c) when it registers: fills *out
 * for the channel of tcb (tcb->user) and returns 0, or -ENOENT (no
 * channel: an orphan).  Until it is set, TCP rows have no owner (-p) and
 * their Recv-Q counts only the engine's receive ring.  With it, ctl_ss.c
 * asks unix_diag for A's receive queue (what the program has not read):
 * bytes for a connection, bytes / acc_rec connections for a listener,
 * added to Recv-Q as Linux counts them.  chan_tcp.c sets it (tchan_ss). */
extern int (*ts_ss_tcp_chan)(const struct ts_tcb *tcb, struct ts_ss_chan *out);

void ts_ctl_ss_register(void);

#endif
