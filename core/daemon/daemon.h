/* tapsockd's state and its libuv glue: one loop, one engine, one TAP.
 * Only the files in core/daemon/ include uv.h; the engine never sees it. */
#ifndef TS_DAEMON_H
#define TS_DAEMON_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "engine.h"
#include "netdev.h"

struct ts_ctl_server;

struct ts_daemon {
	uv_loop_t *loop;
	struct ts_engine eng;
	struct ts_netdev tap;
	int tap_open;
	int engine_up;
	int prefix_len;			/* of the engine's address */
	uv_poll_t tap_poll;		/* readable TAP fd */
	uv_timer_t timer;		/* follows the engine's next deadline */
	uv_signal_t sig_int, sig_term;
	struct ts_ctl_server *ctl;	/* the control listener (ctl.c) */
	FILE *pcap;			/* --pcap, or NULL */
	/* Live capture and trace streams (ctl_stream.c): frames seen by the
	 * engine's tap_hook go to capture_hook too; after_kick runs at the
	 * end of every ts_daemon_kick (pushes new trace events). */
	void (*capture_hook)(struct ts_daemon *d, int dir, const struct pktbuf *frame, int l2);
	void (*after_kick)(struct ts_daemon *d);
	int verbose;
	int stopping;
};

/* The daemon's clock: uv_hrtime() in microseconds (monotonic).  Nothing
 * below the loop glue reads a clock; this value is passed in as `now`. */
uint64_t ts_daemon_now(void);
/* Runs the engine's due work and re-arms the timer to its next deadline.
 * Called after every input batch, every timer expiry, and by control op
 * handlers that changed engine state (a socket op that queued a segment). */
void ts_daemon_kick(struct ts_daemon *d);
/* Starts the TAP poll, the timer and the signal handlers. 0 or -errno. */
int ts_daemon_loop_init(struct ts_daemon *d);
/* Stops everything and closes every handle (run the loop once more to let
 * the close callbacks fire). */
void ts_daemon_loop_close(struct ts_daemon *d);

/* One-line log messages on stderr, prefixed "tapsockd: ". */
void ts_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only with -v. */
void ts_debug(const struct ts_daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --pcap FILE: every frame in and out of the TAP, Ethernet link type. */
int ts_pcap_open(struct ts_daemon *d, const char *path, char *err, size_t errlen);
void ts_pcap_close(struct ts_daemon *d);
/* The engine's tap_hook (arg: the daemon): --pcap file, then capture_hook. */
void ts_daemon_tap_hook(struct ts_engine *eng, int dir, const struct pktbuf *frame, int l2,
			void *arg);
/* Maps the daemon's monotonic clock (µs, the engine's `now`) to wall-clock
 * µs since the epoch, with one offset taken at the first call. */
uint64_t ts_daemon_wall_us(uint64_t mono_us);

/* Fault rules over the control socket (ctl_fault.c: FAULT_ADD, _LIST,
 * _DEL, _CLEAR) and the capture/trace streams (ctl_stream.c: CAPTURE,
 * TRACE). */
void ts_ctl_fault_register(void);
void ts_ctl_stream_register(void);

#endif
