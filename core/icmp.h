/* ICMPv4 (RFC 792, RFC 1122 3.2.2): echo replies, destination unreachable
 * generation rate limited as Linux does (icmp_ratelimit per destination
 * for the types in icmp_ratemask, plus the global icmp_msgs_per_sec token
 * bucket), and incoming errors parsed and handed to UDP/TCP. */
#ifndef TS_ICMP_H
#define TS_ICMP_H

#include <stdint.h>

#include "pktbuf.h"

#define TS_ICMP_ECHOREPLY 0
#define TS_ICMP_DEST_UNREACH 3
#define TS_ICMP_SOURCE_QUENCH 4
#define TS_ICMP_REDIRECT 5
#define TS_ICMP_ECHO 8
#define TS_ICMP_TIME_EXCEEDED 11
#define TS_ICMP_PARAMETERPROB 12

#define TS_ICMP_NET_UNREACH 0
#define TS_ICMP_HOST_UNREACH 1
#define TS_ICMP_PROT_UNREACH 2
#define TS_ICMP_PORT_UNREACH 3
#define TS_ICMP_FRAG_NEEDED 4

struct ts_engine;

/* Per-destination rate limit state (Linux's inet_peer token). */
struct ts_icmp_peer {
	uint32_t addr;
	uint64_t last;		/* µs */
	int64_t tokens;		/* µs of credit, capped at 6 * icmp_ratelimit */
	void *hh;
};

struct ts_icmp {
	int64_t global_tokens;		/* messages * 1000 (milli-messages) */
	uint64_t global_stamp;
	struct ts_icmp_peer *peers;	/* uthash by addr, bounded */
	int npeers;
};

/* Input: data points at the ICMP header; ip_* metadata filled. */
void ts_icmp_input(struct ts_engine *eng, struct pktbuf *pkt);
/* Sends an ICMP error about orig (data = its IPv4 header, which must still
 * be in front: callers pass the packet as it arrived at the IP layer).
 * Applies RFC 1122 rules (never about ICMP errors, broadcasts, fragments
 * other than the first) and the rate limits.  Does not consume orig. */
void ts_icmp_send_error(struct ts_engine *eng, const struct pktbuf *orig,
			uint8_t type, uint8_t code, uint32_t info);
void ts_icmp_destroy(struct ts_icmp *icmp);

/* The errno Linux reports for an ICMP type/code (icmp_err_convert). */
int ts_icmp_errno(uint8_t type, uint8_t code);

#endif
