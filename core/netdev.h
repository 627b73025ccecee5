/* Network devices the engine transmits on: a TAP device (the real link),
 * the in-engine loopback (127.0.0.0/8 and the engine's own address) and an
 * in-memory wire that links an engine to a test or to another engine.
 * The engine hands a device a complete frame (with an Ethernet header when
 * dev->l2 is set, a bare IPv4 packet otherwise); xmit takes ownership. */
#ifndef TS_NETDEV_H
#define TS_NETDEV_H

#include <stddef.h>
#include <stdint.h>

#include "pktbuf.h"

enum ts_netdev_kind {
	TS_NETDEV_TAP,
	TS_NETDEV_LOOPBACK,
	TS_NETDEV_MEMWIRE,
};

struct ts_netdev;
typedef int (*ts_xmit_fn)(struct ts_netdev *dev, struct pktbuf *pkt);

struct ts_netdev {
	char name[16];
	enum ts_netdev_kind kind;
	int l2;			/* frames carry an Ethernet header */
	uint8_t mac[6];
	unsigned mtu;		/* largest IPv4 packet, without L2 header */
	ts_xmit_fn xmit;	/* consumes pkt; 0 or a negative errno */
	void *priv;
	int fd;			/* TAP only, else -1 */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes, tx_errors;
};

/* TAP: opens /dev/net/tun as IFF_TAP|IFF_NO_PI, attaching to the device
 * called name or creating it, non-blocking.  On failure returns a negative
 * errno and writes a one-line reason (naming the fix) into err. */
int ts_tap_open(struct ts_netdev *dev, const char *name, char *err, size_t errlen);
/* Reads one frame; returns 1 with *out set, 0 when nothing is waiting,
 * or a negative errno. */
int ts_tap_read(struct ts_netdev *dev, struct pktbuf **out);
void ts_tap_close(struct ts_netdev *dev);

/* In-memory wire: two ends, each a netdev with L2 framing.  A frame sent on
 * one end is queued for the other; whoever drives the wire pops it. */
struct ts_memwire_end {
	struct ts_netdev dev;
	struct pktbuf *head, *tail;	/* frames sent by this end */
	size_t queued;
};

struct ts_memwire {
	struct ts_memwire_end end[2];
};

void ts_memwire_init(struct ts_memwire *w, unsigned mtu);
/* Pops the oldest frame sent from end `side` (0 or 1), or NULL. */
struct pktbuf *ts_memwire_pop(struct ts_memwire *w, int side);
/* Frees every queued frame. */
void ts_memwire_clear(struct ts_memwire *w);

#endif
