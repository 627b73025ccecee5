/* tapsockd's libuv glue: the TAP fd watched with uv_poll (frames read in
 * bounded batches), one uv_timer that follows the engine's next deadline,
 * and SIGINT/SIGTERM for a clean stop.  Called by tapsockd.c; the engine
 * only ever sees `now` in microseconds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "daemon.h"

/* Frames read per TAP wakeup: bounded so control connections and timers
 * get their turn under a flood; uv_poll is level-triggered, so what is
 * left wakes the loop again at once. */
#define TAP_FRAMES_PER_WAKEUP 64

void ts_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tapsockd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void ts_debug(const struct ts_daemon *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->verbose)
		return;
	va_start(ap, fmt);
	fputs("tapsockd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t ts_daemon_now(void)
{
	return uv_hrtime() / 1000;
}

static void timer_cb(uv_timer_t *t)
{
	ts_daemon_kick(t->data);
}

void ts_daemon_kick(struct ts_daemon *d)
{
	uint64_t now, deadline, ms;

	if (!d->engine_up || d->stopping)
		return;
	now = ts_daemon_now();
	deadline = ts_engine_poll(&d->eng, now);
	if (d->after_kick != NULL)
		d->after_kick(d);	/* streams: push what the engine just did */
	if (deadline == TS_NEVER) {
		uv_timer_stop(&d->timer);
		return;
	}
	/* uv timers count whole milliseconds from the loop's cached time:
	 * refresh it, and round up so the engine is never woken early. */
	ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
	uv_update_time(d->loop);
	uv_timer_start(&d->timer, timer_cb, ms, 0);
}

static void tap_cb(uv_poll_t *h, int status, int events)
{
	struct ts_daemon *d = h->data;

	if (status < 0) {
		/* The device was deleted under us (`ip link del`): stop
		 * watching it rather than spin; control and loopback go on. */
		ts_log("%s: the device is gone or unusable (%s); the engine has no link now",
		       d->tap.name, uv_strerror(status));
		uv_poll_stop(h);
		return;
	}
	for (int i = 0; i < TAP_FRAMES_PER_WAKEUP; i++) {
		struct pktbuf *pkt = NULL;
		int r = ts_tap_read(&d->tap, &pkt);

		if (r == 0)
			break;
		if (r == -EBADFD || r == -EBADF || r == -EIO || r == -ENXIO || r == -ENODEV) {
			ts_log("%s: the device is gone or unusable (read: %s); the engine has no "
			       "link now",
			       d->tap.name, strerror(-r));
			uv_poll_stop(h);
			break;
		}
		if (r < 0) {
			/* Transient (EINTR, ENOBUFS...): logged, never in a
			 * loop: the next wakeup retries. */
			if (r != -EAGAIN && r != -EINTR)
				ts_log("%s: read: %s", d->tap.name, strerror(-r));
			break;
		}
		ts_engine_input(&d->eng, &d->tap, pkt, ts_daemon_now());
	}
	ts_daemon_kick(d);
}

static void signal_cb(uv_signal_t *s, int signum)
{
	struct ts_daemon *d = s->data;

	ts_log("%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	d->stopping = 1;
	uv_stop(d->loop);
}

int ts_daemon_loop_init(struct ts_daemon *d)
{
	struct rlimit rl;
	int r;

	/* Every engine socket costs the daemon a descriptor (its data
	 * channel) and every client a control connection: take the whole
	 * hard limit, as servers do. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	uv_timer_init(d->loop, &d->timer);
	d->timer.data = d;
	uv_signal_init(d->loop, &d->sig_int);
	uv_signal_init(d->loop, &d->sig_term);
	d->sig_int.data = d;
	d->sig_term.data = d;
	uv_signal_start(&d->sig_int, signal_cb, SIGINT);
	uv_signal_start(&d->sig_term, signal_cb, SIGTERM);
	r = uv_poll_init(d->loop, &d->tap_poll, d->tap.fd);
	if (r < 0)
		return r;
	d->tap_poll.data = d;
	return uv_poll_start(&d->tap_poll, UV_READABLE, tap_cb);
}

static void close_one(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void ts_daemon_loop_close(struct ts_daemon *d)
{
	/* Whatever is left (the control server closed its own first). */
	uv_walk(d->loop, close_one, NULL);
}
