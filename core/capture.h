/* Packet capture: a wire-level frame parser shared with fault injection, a
 * small capture filter (tcpdump-like words joined by "and"), and the
 * libpcap file format.  Pure C, no engine state: tapsockd's --pcap writer,
 * its live `tapsock capture` streams, the CLI and the unit tests use it.
 *
 * pcap files are LINKTYPE_ETHERNET with microsecond timestamps.  Packets
 * through the in-engine loopback have no Ethernet header; they are given
 * a fake one (both MACs zero, EtherType IPv4), exactly what a capture on
 * Linux's lo shows, so one file can hold both (see docs/design.md). */
#ifndef TS_CAPTURE_H
#define TS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* TCP segment classes, for fault rules ("flags syn-ack") and tracing.  A
 * segment may be in several (a FIN with data is FIN and DATA). */
#define TS_TCPC_SYN 0x01    /* SYN without ACK */
#define TS_TCPC_SYNACK 0x02 /* SYN with ACK */
#define TS_TCPC_FIN 0x04    /* FIN set */
#define TS_TCPC_RST 0x08    /* RST set */
#define TS_TCPC_ACK 0x10    /* pure ACK: ACK, no data, no SYN/FIN/RST */
#define TS_TCPC_DATA 0x20   /* carries payload */

/* What a frame is, read from its bytes with every length checked.  Fields
 * that the frame does not carry are zero. */
struct ts_frame_info {
	uint16_t ethertype;    /* TS_ETH_P_IP / TS_ETH_P_ARP / other; bare IP: IP */
	size_t l3_off;	       /* IPv4 or ARP header offset in the frame */
	int ip;		       /* a well-formed IPv4 header is there */
	uint32_t src, dst;     /* IPv4 addresses (ARP: sender, target), host order */
	uint8_t proto;	       /* IP protocol */
	size_t ip_end;	       /* end of the datagram (total length, clipped) */
	int l4;		       /* transport header present (first fragment) */
	size_t l4_off;	       /* its offset */
	uint16_t sport, dport; /* TCP/UDP ports */
	uint8_t tcp_flags;     /* raw flags byte (FIN 0x01 ... CWR 0x80) */
	uint32_t tcp_seq, tcp_ack;
	size_t payload;	    /* TCP/UDP payload bytes in this frame */
	unsigned tcp_class; /* TS_TCPC_* bits */
};

/* Parses frame (len bytes; l2: it starts with an Ethernet header, else it
 * is a bare IPv4 packet).  Never fails: unknown parts stay zero. */
void ts_frame_parse(const uint8_t *frame, size_t len, int l2, struct ts_frame_info *fi);

/* One line about the frame for traces: "tcp 198.18.0.2:80 > 198.18.0.1:40000
 * [S.] len 0", "icmp ...", "arp ...".  Returns buf. */
const char *ts_frame_summary(const struct ts_frame_info *fi, char *buf, size_t len);

/* The name of a TCP flags byte as tcpdump prints it ("S.", "F.", "R", "P."). */
const char *ts_tcp_flags_str(uint8_t flags, char buf[12]);

/* --- filter -------------------------------------------------------------- */

enum ts_cap_term_kind {
	TS_CAP_HOST = 1, /* either address equals */
	TS_CAP_PORT,	 /* either TCP/UDP port equals */
	TS_CAP_PROTO,	 /* TS_CAP_P_* */
};
enum { TS_CAP_P_TCP = 1, TS_CAP_P_UDP, TS_CAP_P_ICMP, TS_CAP_P_ARP };

#define TS_CAP_MAX_TERMS 8

struct ts_capture_filter {
	int n; /* 0: every frame */
	struct {
		int kind;
		uint32_t value;
	} term[TS_CAP_MAX_TERMS];
};

/* Parses "host A.B.C.D", "port N", "proto tcp|udp|icmp|arp" (or just
 * "tcp", "udp", "icmp", "arp") joined by "and"; empty matches all.
 * 0, or -EINVAL with a one-line reason in err. */
int ts_capture_filter_parse(const char *text, struct ts_capture_filter *f, char *err,
			    size_t errlen);
/* Does the parsed frame pass every term? */
int ts_capture_filter_match(const struct ts_capture_filter *f, const struct ts_frame_info *fi);

/* --- libpcap format ------------------------------------------------------ */

#define TS_PCAP_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define TS_PCAP_HDR_LEN 24
#define TS_PCAP_REC_HDR_LEN 16
#define TS_PCAP_SNAPLEN 65535u
#define TS_LINKTYPE_ETHERNET 1u

/* The 24-byte global header (little-endian, as the writer's machine). */
void ts_pcap_file_header(uint8_t out[TS_PCAP_HDR_LEN], uint32_t snaplen);
/* One record: 16-byte header (ts_usec: wall-clock µs since the epoch)
 * then at most snaplen bytes of the frame; a frame without an Ethernet
 * header (l2 = 0, loopback) gets the fake zero-MAC one first.  Returns the
 * record length, or -EMSGSIZE if cap is too small. */
int ts_pcap_record(uint8_t *out, size_t cap, uint64_t ts_usec, const uint8_t *frame, size_t len,
		   int l2, uint32_t snaplen);

#endif
