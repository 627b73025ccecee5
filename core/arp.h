/* ARP (RFC 826) for IPv4 over Ethernet: a neighbour cache with Linux's
 * states and timeouts (net.ipv4.neigh.default.*), requests with retries,
 * a bounded queue of packets waiting for resolution, replies, and
 * gratuitous ARP at start. */
#ifndef TS_ARP_H
#define TS_ARP_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "pktbuf.h"

struct ts_engine;
struct ts_netdev;

#define TS_ARP_HLEN 28		/* Ethernet/IPv4 ARP payload */

/* Linux's NUD states (include/net/neighbour.h), the ones tapsock uses. */
enum ts_arp_state {
	TS_ARP_INCOMPLETE,	/* broadcast requests sent, waiting for a reply */
	TS_ARP_REACHABLE,	/* confirmed within base_reachable_time_ms */
	TS_ARP_STALE,		/* still used; the next use starts DELAY */
	TS_ARP_DELAY,		/* used while STALE; probe after delay_first_probe_time */
	TS_ARP_PROBE,		/* unicast requests, ucast_solicit of them */
	TS_ARP_FAILED,		/* no answer; the next use starts over */
	TS_ARP_PERMANENT,	/* static (ts_arp_add), never expires */
};

struct ts_arp_entry {
	uint32_t ip;			/* host order; hash key */
	uint8_t mac[6];
	enum ts_arp_state state;
	uint64_t updated;		/* last confirmation or state change (µs) */
	uint64_t used;			/* last packet sent through it (µs) */
	uint64_t next_retry;		/* INCOMPLETE/DELAY/PROBE: next timer */
	int probes;			/* requests sent in this state */
	struct pktbuf *q_head, *q_tail;	/* packets waiting (IPv4, no L2 hdr) */
	int q_len;
	UT_hash_handle hh;
};

struct ts_arp {
	struct ts_arp_entry *table;	/* uthash by ip */
	int entries;
	int max_entries;		/* gc_thresh3: 1024 */
};

/* Input: an ARP frame with the Ethernet header already pulled. */
void ts_arp_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt);
/* Output: sends IPv4 packet pkt (no L2 header) to next hop nh on dev,
 * resolving nh first if needed.  Takes ownership.  0 when sent or queued
 * (as Linux: a packet waiting for ARP is a successful send), -ENOBUFS when
 * the table is full. */
int ts_arp_output(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt,
		  uint32_t nh);
void ts_arp_gratuitous(struct ts_engine *eng, struct ts_netdev *dev);
/* Retries, timeouts; returns the next deadline or TS_NEVER. */
uint64_t ts_arp_poll(struct ts_engine *eng, uint64_t now);
/* Looks nh up; 1 and mac filled if usable, else 0. */
int ts_arp_lookup(struct ts_engine *eng, uint32_t nh, uint8_t mac[6]);
/* Adds or replaces an entry: permanent (as `ip neigh add ... nud
 * permanent`), or REACHABLE.  0 or -ENOBUFS. */
int ts_arp_add(struct ts_engine *eng, uint32_t ip, const uint8_t mac[6], int permanent);
/* Upper-layer proof that nh is alive (Linux's dst_confirm_neigh: TCP calls
 * it when an ACK advances snd_una), which keeps the entry REACHABLE. */
void ts_arp_confirm(struct ts_engine *eng, uint32_t nh);
/* The entry for ip, or NULL (for tests and `tapsock neigh`). */
const struct ts_arp_entry *ts_arp_find(struct ts_engine *eng, uint32_t ip);
/* Linux's name for a state ("REACHABLE"). */
const char *ts_arp_state_name(enum ts_arp_state s);
void ts_arp_destroy(struct ts_arp *arp);

#endif
