/* ICMPv4 (RFC 792, RFC 1122 3.2.2): echo replies, error generation rate
 * limited as Linux does (icmp_ratelimit per destination for the types in
 * icmp_ratemask, plus the global icmp_msgs_per_sec token bucket), and
 * incoming errors parsed and handed to UDP/TCP. */
#ifndef TS_ICMP_H
#define TS_ICMP_H

#include <stdint.h>

#include <uthash.h>

#include "pktbuf.h"

#define TS_ICMP_HLEN 8

#define TS_ICMP_ECHOREPLY 0
#define TS_ICMP_DEST_UNREACH 3
#define TS_ICMP_SOURCE_QUENCH 4
#define TS_ICMP_REDIRECT 5
#define TS_ICMP_ECHO 8
#define TS_ICMP_TIME_EXCEEDED 11
#define TS_ICMP_PARAMETERPROB 12
#define TS_ICMP_NR_TYPES 18		/* Linux's NR_ICMP_TYPES */

/* Destination unreachable codes. */
#define TS_ICMP_NET_UNREACH 0
#define TS_ICMP_HOST_UNREACH 1
#define TS_ICMP_PROT_UNREACH 2
#define TS_ICMP_PORT_UNREACH 3
#define TS_ICMP_FRAG_NEEDED 4
#define TS_ICMP_NR_UNREACH 15		/* Linux's NR_ICMP_UNREACH */

/* Time exceeded codes. */
#define TS_ICMP_EXC_TTL 0
#define TS_ICMP_EXC_FRAGTIME 1

/* Linux never lets an ICMP error grow past 576 bytes (RFC 1812 4.3.2.3). */
#define TS_ICMP_ERR_MAXLEN 576

struct ts_engine;

/* Per-destination rate limit state (Linux's inet_peer rate_tokens). */
struct ts_icmp_peer {
	uint32_t addr;
	uint64_t last;		/* µs */
	uint64_t tokens;	/* µs of credit, capped at 6 * icmp_ratelimit */
	UT_hash_handle hh;
};

struct ts_icmp {
	int global_init;		/* the bucket was filled once */
	int64_t global_credit;		/* messages */
	uint64_t global_stamp;		/* last refill (µs) */
	struct ts_icmp_peer *peers;	/* uthash by addr, bounded */
	int npeers;
};

/* Input: data points at the ICMP header; ip_* metadata filled. */
void ts_icmp_input(struct ts_engine *eng, struct pktbuf *pkt);
/* Sends an ICMP error about orig (data = its IPv4 header, as the packet
 * arrived at the IP layer).  Applies RFC 1122 3.2.2 (never about ICMP
 * errors, broadcasts, fragments other than the first) and the rate
 * limits.  info: the MTU for frag-needed, the pointer for parameter
 * problem.  Does not consume orig.  Returns 0 if sent, else a negative
 * errno (-EPERM when a rule forbids it, -EAGAIN when rate limited). */
int ts_icmp_send_error(struct ts_engine *eng, const struct pktbuf *orig,
		       uint8_t type, uint8_t code, uint32_t info);
/* Tells the upper protocol of an outgoing packet (data = its IPv4 header)
 * that it could not be delivered, as Linux's ip_link_failure does when
 * ARP fails (ICMP host unreachable to itself). */
void ts_icmp_local_error(struct ts_engine *eng, const struct pktbuf *out,
			 uint8_t type, uint8_t code);
void ts_icmp_destroy(struct ts_icmp *icmp);

/* The errno Linux reports for an ICMP type/code (icmp_err_convert), and
 * whether Linux treats it as fatal (hard) for a connection. */
int ts_icmp_errno(uint8_t type, uint8_t code);
int ts_icmp_fatal(uint8_t type, uint8_t code);

#endif
