/* ARP (RFC 826) for IPv4 over Ethernet: a cache with Linux-like timeouts
 * (net.ipv4.neigh.default.*), requests with retries, a bounded queue of
 * packets waiting for resolution, replies, and gratuitous ARP at start. */
#ifndef TS_ARP_H
#define TS_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "pktbuf.h"

struct ts_engine;
struct ts_netdev;

enum ts_arp_state {
	TS_ARP_INCOMPLETE,	/* request sent, waiting for a reply */
	TS_ARP_REACHABLE,
	TS_ARP_STALE,		/* still used; refreshed by the next reply */
	TS_ARP_FAILED,
};

struct ts_arp_entry {
	uint32_t ip;			/* host order; hash key */
	uint8_t mac[6];
	enum ts_arp_state state;
	uint64_t updated;		/* last confirmation (µs) */
	uint64_t next_retry;		/* INCOMPLETE: when to ask again */
	int probes;			/* requests sent */
	struct pktbuf *q_head, *q_tail;	/* packets waiting (IPv4, no L2 hdr) */
	int q_len;
	void *hh;			/* uthash handle storage, see arp.c */
};

struct ts_arp {
	struct ts_arp_entry *table;	/* uthash by ip */
	int entries;
	int max_entries;		/* 0: 1024 */
};

/* Input: an ARP frame with the Ethernet header already pulled. */
void ts_arp_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt);
/* Output: sends IPv4 packet pkt (no L2 header) to next hop nh on dev,
 * resolving nh first if needed.  Takes ownership. */
int ts_arp_output(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt,
		  uint32_t nh);
void ts_arp_gratuitous(struct ts_engine *eng, struct ts_netdev *dev);
/* Retries, timeouts; returns the next deadline or TS_NEVER. */
uint64_t ts_arp_poll(struct ts_engine *eng, uint64_t now);
/* Looks nh up; 1 and mac filled if usable, else 0. */
int ts_arp_lookup(struct ts_engine *eng, uint32_t nh, uint8_t mac[6]);
void ts_arp_destroy(struct ts_arp *arp);

#endif
