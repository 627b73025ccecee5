/* --pcap FILE: writes every frame the engine reads from or sends to the
 * TAP in libpcap format (microsecond timestamps, LINKTYPE_ETHERNET), via
 * the engine's tap_hook.  Packets through the in-engine loopback carry no
 * Ethernet header and are not written. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/time.h>

#include "daemon.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_SNAPLEN 65535u
#define LINKTYPE_ETHERNET 1u

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);	/* pcap files are in the writer's byte order */
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void pcap_hook(struct ts_engine *eng, int dir, const struct pktbuf *frame, int l2,
		      void *arg)
{
	struct ts_daemon *d = arg;
	struct timeval tv;
	uint32_t caplen;

	if (d->pcap == NULL || !l2)
		return;
	gettimeofday(&tv, NULL);
	caplen = frame->len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)frame->len;
	put32(d->pcap, (uint32_t)tv.tv_sec);
	put32(d->pcap, (uint32_t)tv.tv_usec);
	put32(d->pcap, caplen);
	put32(d->pcap, (uint32_t)frame->len);
	fwrite(frame->data, 1, caplen, d->pcap);
	fflush(d->pcap);
}

int ts_pcap_open(struct ts_daemon *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		int r = -errno;

		snprintf(err, errlen, "--pcap %s: %s", path, strerror(errno));
		return r;
	}
	put32(f, PCAP_MAGIC);
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);		/* thiszone */
	put32(f, 0);		/* sigfigs */
	put32(f, PCAP_SNAPLEN);
	put32(f, LINKTYPE_ETHERNET);
	fflush(f);
	d->pcap = f;
	d->eng.tap_hook = pcap_hook;
	d->eng.tap_hook_arg = d;
	return 0;
}

void ts_pcap_close(struct ts_daemon *d)
{
	if (d->pcap == NULL)
		return;
	d->eng.tap_hook = NULL;
	fclose(d->pcap);
	d->pcap = NULL;
}
