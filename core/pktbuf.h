/* Packet buffers: one contiguous allocation with room in front for headers,
 * so each layer prepends its header on output and strips it on input without
 * copying.  Every allocation is counted, and tests assert ts_pkt_live() is
 * back to its starting value when they end. */
#ifndef TS_PKTBUF_H
#define TS_PKTBUF_H

#include <stddef.h>
#include <stdint.h>

/* Ethernet 14 + IPv4 60 + TCP 60, rounded up. */
#define TS_PKT_HEADROOM 160

struct ts_netdev;

struct pktbuf {
	struct pktbuf *next;	/* for queues owned by whoever holds the packet */
	uint8_t *data;		/* first byte of the current layer */
	size_t len;		/* bytes from data */
	size_t size;		/* bytes allocated in buf[] */
	/* Filled on input by the layers below, for the layers above. */
	struct ts_netdev *dev;
	uint32_t ip_src, ip_dst;	/* host order */
	uint8_t ip_proto, ip_ttl, ip_tos;
	uint8_t l2_bcast;	/* arrived as a link-layer broadcast */
	uint64_t stamp;		/* arrival time (µs), or when queued */
	uint8_t buf[];
};

/* A packet with TS_PKT_HEADROOM in front and room for len bytes after. */
struct pktbuf *ts_pkt_alloc(size_t len);
/* A packet holding a copy of n bytes, with TS_PKT_HEADROOM in front. */
struct pktbuf *ts_pkt_from(const void *p, size_t n);
/* A deep copy (same headroom, data and metadata; next is NULL). */
struct pktbuf *ts_pkt_clone(const struct pktbuf *pkt);
void ts_pkt_free(struct pktbuf *pkt);
/* Frees a whole ->next chain. */
void ts_pkt_free_chain(struct pktbuf *pkt);

/* Appends n bytes at the tail; returns where to write them, or NULL if the
 * allocation has no room. */
uint8_t *ts_pkt_put(struct pktbuf *pkt, size_t n);
/* Prepends n bytes; returns the new data pointer, or NULL without headroom. */
uint8_t *ts_pkt_push(struct pktbuf *pkt, size_t n);
/* Strips n bytes from the front; returns the new data pointer, or NULL if
 * the packet is shorter than n (and then leaves it unchanged). */
uint8_t *ts_pkt_pull(struct pktbuf *pkt, size_t n);
/* Cuts the packet to len bytes if it is longer. */
void ts_pkt_trim(struct pktbuf *pkt, size_t len);
/* Bytes free in front of data. */
size_t ts_pkt_headroom(const struct pktbuf *pkt);
size_t ts_pkt_tailroom(const struct pktbuf *pkt);

/* Packets allocated and not yet freed, in this process. */
long ts_pkt_live(void);

#endif
