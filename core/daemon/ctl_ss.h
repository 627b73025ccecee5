/* tapsockd's TS_CTL_OP_SS handler (ctl_ss.c): every engine socket as
 * `tapsock ss` lists it (core/ss.h), with what only the daemon knows: the
 * inode of the program's end A of each socket's channel (the CLI finds the
 * processes holding it in /proc, as ss -p does) and what still waits in
 * the channel for the program (added to Recv-Q). */
#ifndef TS_CTL_SS_H
#define TS_CTL_SS_H

#include <stdint.h>

struct ts_tcb;

/* What a socket layer knows of one socket's channel. */
struct ts_ss_chan {
	uint64_t ino;		/* inode of end A (0: none) */
	uint32_t rq;		/* bytes (a listener: connections) in the
				 * channel the program has not read yet */
};

/* Set by the TCP socket layer (chan_tcp.c) at registration: fills *out for
 * the channel of tcb (tcb->user) and returns 0, or -ENOENT (no channel:
 * an orphan).  NULL until then: TCP rows have no owner. */
extern int (*ts_ss_tcp_chan)(const struct ts_tcb *tcb, struct ts_ss_chan *out);

void ts_ctl_ss_register(void);

#endif
