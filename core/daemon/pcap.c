/* --pcap FILE: writes every frame the engine reads from or sends to the
 * TAP in libpcap format (core/capture.c: microsecond timestamps,
 * LINKTYPE_ETHERNET), via the engine's tap_hook, which also feeds live
 * `tapsock capture` streams (ctl_stream.c).  Frames in are written as they
 * arrive (before fault rules), frames out as they leave (after them).
 * Packets through the in-engine loopback are not written to the file (a
 * live capture may ask for them). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "daemon.h"

uint64_t ts_daemon_wall_us(uint64_t mono_us)
{
	static int64_t offset;
	static int have;

	if (!have) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		offset = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
			 (int64_t)ts_daemon_now();
		have = 1;
	}
	return (uint64_t)((int64_t)mono_us + offset);
}

void ts_daemon_tap_hook(struct ts_engine *eng, int dir, const struct pktbuf *frame, int l2,
			void *arg)
{
	static uint8_t rec[TS_PCAP_REC_HDR_LEN + TS_PCAP_SNAPLEN];
	struct ts_daemon *d = arg;

	if (d->pcap != NULL && l2) {
		/* The daemon's clock, not eng->now: a frame a program sends
		 * between engine entry points carries the time it left. */
		int n = ts_pcap_record(rec, sizeof(rec), ts_daemon_wall_us(ts_daemon_now()),
				       frame->data, frame->len, l2, TS_PCAP_SNAPLEN);

		if (n > 0) {
			fwrite(rec, 1, (size_t)n, d->pcap);
			fflush(d->pcap);
		}
	}
	if (d->capture_hook != NULL)
		d->capture_hook(d, dir, frame, l2);
}

int ts_pcap_open(struct ts_daemon *d, const char *path, char *err, size_t errlen)
{
	uint8_t hdr[TS_PCAP_HDR_LEN];
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		int r = -errno;

		snprintf(err, errlen, "--pcap %s: %s", path, strerror(errno));
		return r;
	}
	ts_pcap_file_header(hdr, TS_PCAP_SNAPLEN);
	fwrite(hdr, 1, sizeof(hdr), f);
	fflush(f);
	d->pcap = f;
	d->eng.tap_hook = ts_daemon_tap_hook;
	d->eng.tap_hook_arg = d;
	return 0;
}

void ts_pcap_close(struct ts_daemon *d)
{
	if (d->pcap == NULL)
		return;
	if (d->capture_hook == NULL)
		d->eng.tap_hook = NULL;
	fclose(d->pcap);
	d->pcap = NULL;
}
