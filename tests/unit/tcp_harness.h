/* The TCP test harness, smoltcp style: an engine whose TCP output is
 * captured (no IP, no wire), a fake peer that injects one segment at a
 * time, a fake clock moved explicitly, and fixtures that build a
 * connection in each state.
 *
 *   struct th *h = *state;                       (th_setup / th_teardown)
 *   struct ts_tcb *t = tcb_established(h);
 *   seg_in(h, TH_ACK, PEER_ISS + 1, h->iss + 1, 65535, NULL, "abc", 3);
 *   seg_expect(h, TH_ACK, h->iss + 1, PEER_ISS + 4, 65535);
 *   seg_expect_none(h);
 *
 * th_teardown frees the engine and fails the test if a packet, a TCB or
 * a captured segment is left over.  The local ISN is injectable
 * (th->iss), so sequence tests run again just below 2^32. */
#ifndef TS_TCP_HARNESS_H
#define TS_TCP_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "tcp.h"
#include "wire.h"

#define TH_LOCAL TS_IP4(198, 18, 0, 2)
#define TH_PEER TS_IP4(198, 18, 0, 1)
#define TH_LPORT 40000
#define TH_PPORT 80
#define TH_T0 1000000ull	/* the clock starts at 1 s */
#define PEER_ISS 0x10000000u

struct th_seg {
	struct ts_tcp_hdr th;
	uint32_t src, dst;
	uint32_t len;
	uint8_t data[65536];
};

struct th {
	struct ts_engine eng;
	uint64_t now;
	uint32_t iss;			/* the local ISN the engine will use */
	uint32_t peer_iss;
	struct pktbuf *q_head, *q_tail;	/* captured segments */
	int qlen;
	long pkt0, tcb0;
	struct ts_tcb *tcb;		/* the user's TCB under test */
	struct ts_tcb *listener;
	/* events */
	int established, readable, writable, accepts, closed, errors, last_err;
	/* option handling of the fixtures' peer */
	int peer_opts;			/* send MSS/WS/SACK/TS in its SYN */
	uint32_t peer_tsval;		/* the peer's timestamp clock */
	uint16_t pport;			/* the peer's port for seg_in */
	struct th_seg last;		/* the last segment popped */
};

extern const struct ts_tcp_callbacks th_cb;

/* cmocka setups: th_setup leaves options (timestamps, SACK, window
 * scaling) off so segments are plain; th_setup_opts leaves them on.  The
 * prestate, if any, points at the uint32_t local ISN. */
int th_setup(void **state);
int th_setup_opts(void **state);
int th_teardown(void **state);

/* The clock: moves by usec and runs ts_engine_poll. */
void th_advance(struct th *h, uint64_t usec);
/* Moves the clock to the next TCP deadline (at most until limit);
 * returns the new time. */
uint64_t th_next(struct th *h, uint64_t limit);

/* A segment from the peer (opts may be NULL). */
void seg_in(struct th *h, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	    const struct ts_tcp_opts *opts, const void *data, size_t len);
/* Pops the next captured segment into h->last; 0 if none. */
int seg_pop(struct th *h);
/* Expects the next segment: flags, seq, ack (checked only with TH_ACK),
 * window (-1: any), no payload. */
void seg_expect_x(struct th *h, uint8_t flags, uint32_t seq, uint32_t ack, int win,
		  uint32_t len, const char *file, int line);
#define seg_expect(h, fl, seq, ack, win) seg_expect_x(h, fl, seq, ack, win, 0, __FILE__, __LINE__)
#define seg_expect_data(h, fl, seq, ack, win, len)                                \
	seg_expect_x(h, fl, seq, ack, win, len, __FILE__, __LINE__)
void seg_expect_none_x(struct th *h, const char *file, int line);
#define seg_expect_none(h) seg_expect_none_x(h, __FILE__, __LINE__)
/* Drops every captured segment. */
void seg_flush(struct th *h);

/* Fixtures: the user's TCB (h->tcb) in a given state, the peer at
 * PEER_ISS, nothing left on the wire.  Sequence numbers afterwards:
 * ours h->iss + 1 (+1 after our FIN), the peer's PEER_ISS + 1. */
struct ts_tcb *tcb_syn_sent(struct th *h);
struct ts_tcb *tcb_established(struct th *h);
/* A listener on TH_LPORT (h->listener) and an accepted connection from
 * the peer's port TH_PPORT (h->tcb). */
struct ts_tcb *tcb_listen(struct th *h, int backlog);
struct ts_tcb *tcb_accepted(struct th *h);
struct ts_tcb *tcb_fin_wait_1(struct th *h);	/* shutdown(SHUT_WR) */
struct ts_tcb *tcb_fin_wait_2(struct th *h);
struct ts_tcb *tcb_close_wait(struct th *h);
struct ts_tcb *tcb_last_ack(struct th *h);
struct ts_tcb *tcb_closing(struct th *h);
struct ts_tcb *tcb_time_wait(struct th *h);

#endif
