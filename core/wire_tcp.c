/* TCP header and option parsing and building.  Called by tcp_in.c and
 * tcp_out.c (and the test harness); never touches engine state.
 * Read first: RFC 9293 3.1-3.2, RFC 7323 2-3, RFC 2018 2-3. */
#include "wire_tcp.h"

#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "ipv4.h"
#include "wire.h"

static void parse_options(const uint8_t *p, size_t len, struct ts_tcp_opts *o)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];
		uint8_t olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = p[i + 1];
		/* RFC 9293 3.2: a length below 2 or past the header ends
		 * parsing; what came before stays valid (Linux). */
		if (olen < 2 || i + olen > len)
			break;
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == 4) {
				o->has |= TS_TCPO_MSS;
				o->mss = ts_get16(p + i + 2);
			}
			break;
		case TCPOPT_WSCALE:
			if (olen == 3) {
				o->has |= TS_TCPO_WSCALE;
				o->wscale = p[i + 2];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == 2)
				o->has |= TS_TCPO_SACK_PERM;
			break;
		case TCPOPT_TIMESTAMP:
			if (olen == 10) {
				o->has |= TS_TCPO_TS;
				o->ts_val = ts_get32(p + i + 2);
				o->ts_ecr = ts_get32(p + i + 6);
			}
			break;
		case TCPOPT_SACK:
			if (olen >= 10 && (olen - 2) % 8 == 0) {
				int n = (olen - 2) / 8;

				o->has |= TS_TCPO_SACK;
				o->nsack = 0;
				for (int k = 0; k < n && k < TS_TCP_MAX_SACK; k++) {
					const uint8_t *b = p + i + 2 + 8 * k;

					o->sack[k].start = ts_get32(b);
					o->sack[k].end = ts_get32(b + 4);
					o->nsack++;
				}
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

int ts_tcp_parse(const uint8_t *p, size_t len, struct ts_tcp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len < TS_TCP_HLEN)
		return -EINVAL;
	h->sport = ts_get16(p);
	h->dport = ts_get16(p + 2);
	h->seq = ts_get32(p + 4);
	h->ack = ts_get32(p + 8);
	h->doff = (uint8_t)((p[12] >> 4) * 4);
	h->flags = p[13];
	h->win = ts_get16(p + 14);
	h->csum = ts_get16(p + 16);
	h->urp = ts_get16(p + 18);
	if (h->doff < TS_TCP_HLEN || h->doff > len)
		return -EINVAL;
	parse_options(p + TS_TCP_HLEN, h->doff - TS_TCP_HLEN, &h->opt);
	return 0;
}

/* Options in Linux's order and padding, so captures look like Linux's:
 * MSS, SACK_PERM+TS (or NOP NOP TS), NOP WSCALE, NOP NOP SACK. */
static size_t build_options(uint8_t *p, const struct ts_tcp_opts *o)
{
	size_t i = 0;

	if (o->has & TS_TCPO_MSS) {
		p[i++] = TCPOPT_MSS;
		p[i++] = 4;
		ts_put16(p + i, o->mss);
		i += 2;
	}
	if (o->has & TS_TCPO_TS) {
		if (o->has & TS_TCPO_SACK_PERM) {
			p[i++] = TCPOPT_SACK_PERM;
			p[i++] = 2;
		} else {
			p[i++] = TCPOPT_NOP;
			p[i++] = TCPOPT_NOP;
		}
		p[i++] = TCPOPT_TIMESTAMP;
		p[i++] = 10;
		ts_put32(p + i, o->ts_val);
		ts_put32(p + i + 4, o->ts_ecr);
		i += 8;
	} else if (o->has & TS_TCPO_SACK_PERM) {
		p[i++] = TCPOPT_NOP;
		p[i++] = TCPOPT_NOP;
		p[i++] = TCPOPT_SACK_PERM;
		p[i++] = 2;
	}
	if (o->has & TS_TCPO_WSCALE) {
		p[i++] = TCPOPT_NOP;
		p[i++] = TCPOPT_WSCALE;
		p[i++] = 3;
		p[i++] = o->wscale;
	}
	if (o->has & TS_TCPO_SACK && o->nsack > 0 && i + 12 <= TS_TCP_MAX_OPTLEN) {
		int k = o->nsack;

		if (k > TS_TCP_MAX_SACK)
			k = TS_TCP_MAX_SACK;
		/* RFC 2018 3: as many blocks as fit in 40 bytes of options. */
		while (k > 0 && i + 4 + 8 * (size_t)k > TS_TCP_MAX_OPTLEN)
			k--;
		p[i++] = TCPOPT_NOP;
		p[i++] = TCPOPT_NOP;
		p[i++] = TCPOPT_SACK;
		p[i++] = (uint8_t)(2 + 8 * k);
		for (int b = 0; b < k; b++) {
			ts_put32(p + i, o->sack[b].start);
			ts_put32(p + i + 4, o->sack[b].end);
			i += 8;
		}
	}
	while (i & 3)
		p[i++] = TCPOPT_EOL;
	return i;
}

size_t ts_tcp_opts_len(const struct ts_tcp_opts *o)
{
	uint8_t scratch[2 * TS_TCP_MAX_OPTLEN];

	/* The same layout as written, so the two can never disagree. */
	return build_options(scratch, o);
}

size_t ts_tcp_build(uint8_t *p, struct ts_tcp_hdr *h)
{
	size_t olen = build_options(p + TS_TCP_HLEN, &h->opt);

	h->doff = (uint8_t)(TS_TCP_HLEN + olen);
	ts_put16(p, h->sport);
	ts_put16(p + 2, h->dport);
	ts_put32(p + 4, h->seq);
	ts_put32(p + 8, h->ack);
	p[12] = (uint8_t)((h->doff / 4) << 4);
	p[13] = h->flags;
	ts_put16(p + 14, h->win);
	ts_put16(p + 16, h->csum);
	ts_put16(p + 18, h->urp);
	return h->doff;
}

uint16_t ts_tcp_csum(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	uint32_t sum = ts_csum_pseudo(src, dst, TS_IPPROTO_TCP, (uint16_t)len);

	sum = ts_csum_add(sum, seg, len, 0);
	return ts_csum_fold(sum);
}
