/* TCP header and options on the wire (RFC 9293 3.1, RFC 7323, RFC 2018):
 * parse with every length checked, build into a caller's buffer.  Touches
 * no engine state. */
#ifndef TS_WIRE_TCP_H
#define TS_WIRE_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_sack.h" /* struct ts_sack_block */

#define TS_TCP_HLEN 20
#define TS_TCP_MAX_HLEN 60
#define TS_TCP_MAX_OPTLEN 40

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8

#define TS_TCP_MAX_WSCALE 14	/* RFC 7323 2.3 */
#define TS_TCP_MAX_SACK 4

/* Which options a segment carries (bits of ts_tcp_opts.has). */
#define TS_TCPO_MSS 0x01
#define TS_TCPO_WSCALE 0x02
#define TS_TCPO_SACK_PERM 0x04
#define TS_TCPO_TS 0x08
#define TS_TCPO_SACK 0x10

struct ts_tcp_opts {
	unsigned has;		/* TS_TCPO_* */
	uint16_t mss;
	uint8_t wscale;		/* as received (clamped to 14 by the user) */
	uint32_t ts_val, ts_ecr;
	int nsack;
	struct ts_sack_block sack[TS_TCP_MAX_SACK];
};

struct ts_tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff;		/* header length in bytes */
	uint8_t flags;		/* TH_* */
	uint16_t win;		/* raw, unscaled */
	uint16_t csum, urp;
	struct ts_tcp_opts opt;
};

/* Parses the header at p[0..len): returns 0, or -EINVAL (too short, bad
 * data offset, malformed option length).  Unknown options are skipped;
 * options with a wrong length for their kind are ignored as Linux does. */
int ts_tcp_parse(const uint8_t *p, size_t len, struct ts_tcp_hdr *h);
/* Length the options in o take on the wire, padded to 4 bytes. */
size_t ts_tcp_opts_len(const struct ts_tcp_opts *o);
/* Writes the header and options of h into p (room: TS_TCP_MAX_HLEN);
 * sets h->doff; checksum field written as h->csum (callers fill it in
 * afterwards).  Returns the header length. */
size_t ts_tcp_build(uint8_t *p, struct ts_tcp_hdr *h);
/* Checksum of a TCP segment (header + payload) with the pseudo-header. */
uint16_t ts_tcp_csum(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);

#endif
