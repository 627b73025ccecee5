/* IPv4 (RFC 791, RFC 1122): header validation, local delivery to
 * registered protocols, on-link routing plus a default gateway,
 * fragmentation on output and reassembly on input (RFC 815 style holes,
 * overlap handling as Linux: an overlapping fragment drops the datagram,
 * RFC 5722 spirit), with ipfrag_time and ipfrag_high_thresh. */
#ifndef TS_IPV4_H
#define TS_IPV4_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "pktbuf.h"

#define TS_IP_HLEN 20
#define TS_IPPROTO_ICMP 1
#define TS_IPPROTO_TCP 6
#define TS_IPPROTO_UDP 17

#define TS_IP_DF 0x4000
#define TS_IP_MF 0x2000
#define TS_IP_OFFMASK 0x1fff

struct ts_engine;
struct ts_netdev;

/* A parsed IPv4 header.  Addresses in host order. */
struct ts_ip_hdr {
	uint8_t version, ihl;		/* ihl in bytes */
	uint8_t tos, ttl, proto;
	uint16_t tot_len, id, frag;	/* frag: flags and offset field */
	uint16_t csum;
	uint32_t src, dst;
	const uint8_t *options;
	size_t options_len;
};

/* Which datagram a fragment belongs to (RFC 791: source, destination,
 * protocol, identification).  pad must be zero: the key is hashed as bytes. */
struct ts_ip_reasm_key {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto, pad;
};

/* One datagram being reassembled (Linux's struct ipq). */
struct ts_ip_reasm {
	struct ts_ip_reasm_key key;
	UT_hash_handle hh;		/* ts_ipv4.reasm_hash */
	struct ts_ip_reasm *next, *prev; /* ts_ipv4.reasm list, oldest first */
	uint64_t expires;		/* µs: created + ipfrag_time */
	struct pktbuf *frags;		/* sorted by offset; data = IPv4 header */
	size_t len;			/* highest end seen; the length once last_in */
	size_t meat;			/* payload bytes held */
	size_t mem;			/* bytes charged to ipfrag_high_thresh */
	int last_in;			/* the MF=0 fragment arrived */
	struct pktbuf *first;		/* the offset-0 fragment, in frags */
};

struct ts_ipv4 {
	uint16_t next_id;
	struct ts_ip_reasm *reasm;	/* datagrams in progress, oldest first */
	struct ts_ip_reasm *reasm_tail;
	struct ts_ip_reasm *reasm_hash;	/* the same, by key */
	size_t reasm_mem;		/* sum of their mem */
	int reasm_count;
};

/* Parses and validates the header at pkt->data against pkt->len (checksum
 * included).  0, or a negative errno with *why set to the counter to bump
 * (an index from stat.h's TS_STAT_* enum). */
int ts_ip_parse(const struct pktbuf *pkt, struct ts_ip_hdr *h, int *why);
/* Input: a packet whose data is the IPv4 header. */
void ts_ip_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt);

/* Output parameters for ts_ip_output. */
struct ts_ip_out {
	uint32_t src, dst;		/* host order; src 0: the engine's */
	uint8_t proto, ttl, tos;	/* ttl 0: ip_default_ttl */
	int df;				/* set DF; refuse to fragment */
};

/* Sends pkt (data = transport header and payload) to o->dst: routes it
 * (loopback, on-link, gateway), prepends the IPv4 header, fragments above
 * the MTU, and hands it to ARP or the loopback.  Takes ownership.  Returns
 * 0 or a negative errno (-ENETUNREACH without a route, -EMSGSIZE with DF
 * above the MTU). */
int ts_ip_output(struct ts_engine *eng, struct pktbuf *pkt, const struct ts_ip_out *o);
/* Is there a route to dst?  0 (and *nh, if not NULL, the next hop: dst
 * itself when local or on-link, the gateway otherwise) or -ENETUNREACH,
 * as connect() and sendto() report it.  Does not count anything. */
int ts_ip_route_check(const struct ts_engine *eng, uint32_t dst, uint32_t *nh);
/* The source address the engine uses toward dst. */
uint32_t ts_ip_select_src(const struct ts_engine *eng, uint32_t dst);
/* Reassembly timeouts; returns the next deadline or TS_NEVER. */
uint64_t ts_ip_poll(struct ts_engine *eng, uint64_t now);
void ts_ip_destroy(struct ts_engine *eng);

/* Internal to ipv4.c / ip_frag.c. */
struct pktbuf *ts_ip_reasm_input(struct ts_engine *eng, struct pktbuf *pkt,
				 const struct ts_ip_hdr *h);
int ts_ip_fragment_output(struct ts_engine *eng, struct pktbuf *pkt,
			  const struct ts_ip_hdr *h, unsigned mtu,
			  int (*emit)(struct ts_engine *, struct pktbuf *, void *),
			  void *arg);

#endif
