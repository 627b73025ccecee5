/* Capture plumbing: the frame parser (also used by fault.c to match
 * rules), the capture filter, and libpcap headers and records.  Called by
 * tapsockd (core/daemon/pcap.c, ctl_stream.c), the CLI (tapsock capture)
 * and the engine's fault injection.  Parsing reads bytes through wire.h
 * after checking lengths; it never trusts a header field. */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "wire.h"

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static void parse_tcp(const uint8_t *p, size_t avail, struct ts_frame_info *fi)
{
	size_t doff;
	uint8_t f;

	if (avail < 20)
		return;
	doff = (size_t)(p[12] >> 4) * 4;
	if (doff < 20 || doff > avail)
		return;
	fi->l4 = 1;
	fi->sport = ts_get16(p);
	fi->dport = ts_get16(p + 2);
	fi->tcp_seq = ts_get32(p + 4);
	fi->tcp_ack = ts_get32(p + 8);
	f = p[13];
	fi->tcp_flags = f;
	fi->payload = avail - doff;
	/* FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10. */
	if ((f & 0x02) && !(f & 0x10))
		fi->tcp_class |= TS_TCPC_SYN;
	if ((f & 0x02) && (f & 0x10))
		fi->tcp_class |= TS_TCPC_SYNACK;
	if (f & 0x01)
		fi->tcp_class |= TS_TCPC_FIN;
	if (f & 0x04)
		fi->tcp_class |= TS_TCPC_RST;
	if (fi->payload > 0)
		fi->tcp_class |= TS_TCPC_DATA;
	else if ((f & 0x10) && !(f & 0x07))
		fi->tcp_class |= TS_TCPC_ACK;
}

static void parse_ip(const uint8_t *p, size_t len, struct ts_frame_info *fi)
{
	size_t ihl, tot, avail;
	const uint8_t *l4;

	if (len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = ts_get16(p + 2);
	if (ihl < 20 || ihl > len || tot < ihl)
		return;
	if (tot > len)
		tot = len; /* truncated (snaplen, or a bad length) */
	fi->ip = 1;
	fi->proto = p[9];
	fi->src = ts_get32(p + 12);
	fi->dst = ts_get32(p + 16);
	fi->ip_end = fi->l3_off + tot;
	/* Only the first fragment carries the transport header. */
	if ((ts_get16(p + 6) & 0x1fff) != 0)
		return;
	l4 = p + ihl;
	avail = tot - ihl;
	fi->l4_off = fi->l3_off + ihl;
	switch (fi->proto) {
	case IPPROTO_TCP_:
		parse_tcp(l4, avail, fi);
		break;
	case IPPROTO_UDP_:
		if (avail >= 8) {
			fi->l4 = 1;
			fi->sport = ts_get16(l4);
			fi->dport = ts_get16(l4 + 2);
			fi->payload = avail - 8;
		}
		break;
	case IPPROTO_ICMP_:
		fi->l4 = avail >= 4;
		break;
	default:
		break;
	}
	if (!fi->l4)
		fi->l4_off = 0;
}

void ts_frame_parse(const uint8_t *frame, size_t len, int l2, struct ts_frame_info *fi)
{
	memset(fi, 0, sizeof(*fi));
	if (l2) {
		if (len < TS_ETH_HLEN)
			return;
		fi->ethertype = ts_get16(frame + 12);
		fi->l3_off = TS_ETH_HLEN;
	} else {
		fi->ethertype = TS_ETH_P_IP;
	}
	if (fi->ethertype == TS_ETH_P_IP) {
		parse_ip(frame + fi->l3_off, len - fi->l3_off, fi);
	} else if (fi->ethertype == TS_ETH_P_ARP && len - fi->l3_off >= 28) {
		fi->src = ts_get32(frame + fi->l3_off + 14);
		fi->dst = ts_get32(frame + fi->l3_off + 24);
	}
}

const char *ts_tcp_flags_str(uint8_t f, char buf[12])
{
	/* tcpdump's letters, in its order (bit order): F S R P . U E W. */
	static const char names[] = "FSRP.UEW";
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			buf[n++] = names[i];
	if (n == 0) {
		strcpy(buf, "none");
		return buf;
	}
	buf[n] = '\0';
	return buf;
}

/* Dotted quad (own copy: the CLI links this file without the engine). */
static const char *ip_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 0xff),
		 (unsigned)(a >> 8 & 0xff), (unsigned)(a & 0xff));
	return buf;
}

const char *ts_frame_summary(const struct ts_frame_info *fi, char *buf, size_t len)
{
	char a[16], b[16], fl[12];

	ip_str(fi->src, a);
	ip_str(fi->dst, b);
	if (fi->ip && fi->l4 && fi->proto == IPPROTO_TCP_)
		snprintf(buf, len, "tcp %s:%u > %s:%u [%s] seq %u ack %u len %zu", a,
			 (unsigned)fi->sport, b, (unsigned)fi->dport,
			 ts_tcp_flags_str(fi->tcp_flags, fl), (unsigned)fi->tcp_seq,
			 (unsigned)fi->tcp_ack, fi->payload);
	else if (fi->ip && fi->l4 && fi->proto == IPPROTO_UDP_)
		snprintf(buf, len, "udp %s:%u > %s:%u len %zu", a, (unsigned)fi->sport, b,
			 (unsigned)fi->dport, fi->payload);
	else if (fi->ip && fi->proto == IPPROTO_ICMP_)
		snprintf(buf, len, "icmp %s > %s", a, b);
	else if (fi->ip)
		snprintf(buf, len, "ip proto %u %s > %s", (unsigned)fi->proto, a, b);
	else if (fi->ethertype == TS_ETH_P_ARP)
		snprintf(buf, len, "arp %s > %s", a, b);
	else
		snprintf(buf, len, "ethertype 0x%04x", (unsigned)fi->ethertype);
	return buf;
}

/* --- filter ---------------------------------------------------------------- */

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_ip4(const char *s, uint32_t *out)
{
	uint32_t a = 0;
	int parts = 0;

	while (parts < 4) {
		unsigned v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -EINVAL;
		a = a << 8 | v;
		parts++;
		if (parts < 4 && *s++ != '.')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = a;
	return 0;
}

static int proto_word(const char *w)
{
	if (strcmp(w, "tcp") == 0)
		return TS_CAP_P_TCP;
	if (strcmp(w, "udp") == 0)
		return TS_CAP_P_UDP;
	if (strcmp(w, "icmp") == 0)
		return TS_CAP_P_ICMP;
	if (strcmp(w, "arp") == 0)
		return TS_CAP_P_ARP;
	return 0;
}

int ts_capture_filter_parse(const char *text, struct ts_capture_filter *f, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *w;
	int want_term = 1;

	memset(f, 0, sizeof(*f));
	if (text == NULL)
		return 0;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "filter too long");
		return -EINVAL;
	}
	strcpy(buf, text);
	for (w = strtok_r(buf, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		int kind = 0, p;
		uint32_t v = 0;

		if (!want_term) {
			if (strcmp(w, "and") != 0 && strcmp(w, "&&") != 0) {
				snprintf(err, errlen, "filter: expected 'and' before '%s'", w);
				return -EINVAL;
			}
			want_term = 1;
			continue;
		}
		if ((p = proto_word(w)) != 0) {
			kind = TS_CAP_PROTO;
			v = (uint32_t)p;
		} else if (strcmp(w, "host") == 0 || strcmp(w, "port") == 0 ||
			   strcmp(w, "proto") == 0) {
			const char *arg = strtok_r(NULL, " \t", &save);

			if (arg == NULL) {
				snprintf(err, errlen, "filter: '%s' needs a value", w);
				return -EINVAL;
			}
			if (w[0] == 'h') {
				kind = TS_CAP_HOST;
				if (parse_ip4(arg, &v) < 0) {
					snprintf(err, errlen, "filter: bad address '%s'", arg);
					return -EINVAL;
				}
			} else if (w[0] == 'p' && w[1] == 'o') {
				kind = TS_CAP_PORT;
				if (parse_u32(arg, 65535, &v) < 0) {
					snprintf(err, errlen, "filter: bad port '%s'", arg);
					return -EINVAL;
				}
			} else {
				kind = TS_CAP_PROTO;
				v = (uint32_t)proto_word(arg);
				if (v == 0) {
					snprintf(
					    err, errlen,
					    "filter: unknown protocol '%s' (tcp, udp, icmp, arp)",
					    arg);
					return -EINVAL;
				}
			}
		} else {
			snprintf(err, errlen,
				 "filter: unknown word '%s' (host A.B.C.D, port N, proto P, "
				 "joined by and)",
				 w);
			return -EINVAL;
		}
		if (f->n == TS_CAP_MAX_TERMS) {
			snprintf(err, errlen, "filter: at most %d terms", TS_CAP_MAX_TERMS);
			return -EINVAL;
		}
		f->term[f->n].kind = kind;
		f->term[f->n].value = v;
		f->n++;
		want_term = 0;
	}
	if (want_term && f->n > 0) {
		snprintf(err, errlen, "filter: ends with 'and'");
		return -EINVAL;
	}
	return 0;
}

static int proto_matches(uint32_t p, const struct ts_frame_info *fi)
{
	switch (p) {
	case TS_CAP_P_TCP:
		return fi->ip && fi->proto == IPPROTO_TCP_;
	case TS_CAP_P_UDP:
		return fi->ip && fi->proto == IPPROTO_UDP_;
	case TS_CAP_P_ICMP:
		return fi->ip && fi->proto == IPPROTO_ICMP_;
	case TS_CAP_P_ARP:
		return fi->ethertype == TS_ETH_P_ARP;
	default:
		return 0;
	}
}

int ts_capture_filter_match(const struct ts_capture_filter *f, const struct ts_frame_info *fi)
{
	for (int i = 0; i < f->n; i++) {
		uint32_t v = f->term[i].value;
		int ok;

		switch (f->term[i].kind) {
		case TS_CAP_HOST:
			/* tcpdump's "host" matches ARP sender/target too. */
			ok = (fi->ip || fi->ethertype == TS_ETH_P_ARP) &&
			     (fi->src == v || fi->dst == v);
			break;
		case TS_CAP_PORT:
			ok = fi->l4 && (fi->proto == IPPROTO_TCP_ || fi->proto == IPPROTO_UDP_) &&
			     (fi->sport == v || fi->dport == v);
			break;
		case TS_CAP_PROTO:
			ok = proto_matches(v, fi);
			break;
		default:
			ok = 0;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* --- libpcap ---------------------------------------------------------------- */

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void ts_pcap_file_header(uint8_t out[TS_PCAP_HDR_LEN], uint32_t snaplen)
{
	/* pcap-savefile(5): magic, version 2.4, thiszone, sigfigs, snaplen,
	 * link type.  Written little-endian; readers detect the order from
	 * the magic. */
	le32(out, TS_PCAP_MAGIC);
	le16(out + 4, 2);
	le16(out + 6, 4);
	le32(out + 8, 0);
	le32(out + 12, 0);
	le32(out + 16, snaplen);
	le32(out + 20, TS_LINKTYPE_ETHERNET);
}

int ts_pcap_record(uint8_t *out, size_t cap, uint64_t ts_usec, const uint8_t *frame, size_t len,
		   int l2, uint32_t snaplen)
{
	size_t orig = len + (l2 ? 0 : TS_ETH_HLEN), caplen = orig, off = TS_PCAP_REC_HDR_LEN;

	if (snaplen == 0 || snaplen > TS_PCAP_SNAPLEN)
		snaplen = TS_PCAP_SNAPLEN;
	if (caplen > snaplen)
		caplen = snaplen;
	if (cap < TS_PCAP_REC_HDR_LEN + caplen)
		return -EMSGSIZE;
	le32(out, (uint32_t)(ts_usec / 1000000u));
	le32(out + 4, (uint32_t)(ts_usec % 1000000u));
	le32(out + 8, (uint32_t)caplen);
	le32(out + 12, (uint32_t)orig);
	if (!l2) {
		/* Linux's lo: zero MACs, EtherType IPv4. */
		uint8_t fake[TS_ETH_HLEN] = {0};
		size_t n = caplen < TS_ETH_HLEN ? caplen : TS_ETH_HLEN;

		fake[12] = 0x08;
		memcpy(out + off, fake, n);
		off += n;
		caplen -= n;
	}
	memcpy(out + off, frame, caplen);
	return (int)(off + caplen);
}
