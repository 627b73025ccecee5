/* `tapsock plot`: the classic time-sequence (ladder) diagram of one TCP
 * connection, from a pcap file and optionally the fault events of a trace.
 * Called by core/cli/tapsock.c (the command) and by the experiments
 * (experiments/lib.sh); tests/unit/test_plot.c tests the parts.
 *
 * Retransmissions are found the way tcptrace and Wireshark find them: a
 * segment that occupies sequence space (data, SYN or FIN) starting below
 * the highest sequence number already sent in its direction.  A frame a
 * fault rule dropped on the way out never reaches the capture (captures
 * sit on the wire side of the rules, docs/design.md), so only the trace
 * can tell it existed: its "rule N drop out ..." event becomes a lost
 * segment of its own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "plot.h"
#include "tcp_seq.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* --- pcap --------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p, int swap)
{
	if (swap)
		return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[0] << 24;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int ts_plot_pcap_parse(const uint8_t *buf, size_t len, struct ts_plot_pkt **out, size_t *n)
{
	uint32_t magic, link;
	int swap, nano, l2;
	size_t off = TS_PCAP_HDR_LEN, cap = 0, cnt = 0;
	struct ts_plot_pkt *v = NULL;

	*out = NULL;
	*n = 0;
	if (len < TS_PCAP_HDR_LEN)
		return -EINVAL;
	magic = rd32(buf, 0);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
		swap = 0;
	} else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
		swap = 1;
	} else {
		return -EINVAL;
	}
	nano = rd32(buf, swap) == 0xa1b23c4du;
	link = rd32(buf + 20, swap) & 0x0fffffffu; /* upper bits: FCS info */
	if (link == TS_LINKTYPE_ETHERNET)
		l2 = 1;
	else if (link == 101u || link == 228u) /* LINKTYPE_RAW, LINKTYPE_IPV4 */
		l2 = 0;
	else
		return -EPROTONOSUPPORT;
	while (len - off >= TS_PCAP_REC_HDR_LEN) {
		const uint8_t *r = buf + off;
		uint32_t sec = rd32(r, swap), frac = rd32(r + 4, swap), incl = rd32(r + 8, swap);

		if (incl > len - off - TS_PCAP_REC_HDR_LEN)
			break; /* truncated last record */
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct ts_plot_pkt *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].t_us = (uint64_t)sec * 1000000u + (nano ? frac / 1000u : frac);
		ts_frame_parse(r + TS_PCAP_REC_HDR_LEN, incl, l2, &v[cnt].fi);
		cnt++;
		off += TS_PCAP_REC_HDR_LEN + incl;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* --- the flow ------------------------------------------------------------- */

static int is_tcp(const struct ts_frame_info *fi)
{
	return fi->ip && fi->l4 && fi->proto == 6;
}

/* 0 or 1: the direction of a segment from src:sport, -1 if not this flow. */
static int flow_dir(const struct ts_plot_flow *f, uint32_t src, uint16_t sport, uint32_t dst,
		    uint16_t dport)
{
	if (src == f->ip[0] && sport == f->port[0] && dst == f->ip[1] && dport == f->port[1])
		return 0;
	if (src == f->ip[1] && sport == f->port[1] && dst == f->ip[0] && dport == f->port[0])
		return 1;
	return -1;
}

static struct ts_plot_seg *seg_add(struct ts_plot_flow *f)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		struct ts_plot_seg *nv = realloc(f->seg, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		f->seg = nv;
		f->cap = ncap;
	}
	memset(&f->seg[f->n], 0, sizeof(f->seg[0]));
	return &f->seg[f->n++];
}

int ts_plot_flow_build(const struct ts_plot_pkt *p, size_t n, uint16_t port, struct ts_plot_flow *f)
{
	size_t i, first = n;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		const struct ts_frame_info *fi = &p[i].fi;

		if (is_tcp(fi) && (port == 0 || fi->sport == port || fi->dport == port)) {
			first = i;
			break;
		}
	}
	if (first == n)
		return -ENOENT;
	f->ip[0] = p[first].fi.src;
	f->port[0] = p[first].fi.sport;
	f->ip[1] = p[first].fi.dst;
	f->port[1] = p[first].fi.dport;
	/* End 0 is whoever sent the first SYN (the active opener). */
	for (i = first; i < n; i++) {
		const struct ts_frame_info *fi = &p[i].fi;
		int d;

		if (!is_tcp(fi))
			continue;
		d = flow_dir(f, fi->src, fi->sport, fi->dst, fi->dport);
		if (d >= 0 && (fi->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
			if (d == 1) {
				f->ip[1] = f->ip[0];
				f->port[1] = f->port[0];
				f->ip[0] = fi->src;
				f->port[0] = fi->sport;
			}
			break;
		}
	}
	for (i = first; i < n; i++) {
		const struct ts_frame_info *fi = &p[i].fi;
		struct ts_plot_seg *s;
		int d;

		if (!is_tcp(fi))
			continue;
		d = flow_dir(f, fi->src, fi->sport, fi->dst, fi->dport);
		if (d < 0)
			continue;
		s = seg_add(f);
		if (s == NULL) {
			ts_plot_flow_free(f);
			return -ENOMEM;
		}
		s->t_us = p[i].t_us;
		s->dir = d;
		s->flags = fi->tcp_flags;
		s->seq = fi->tcp_seq;
		s->ack = fi->tcp_ack;
		s->len = (uint32_t)fi->payload;
	}
	return 0;
}

void ts_plot_flow_empty(struct ts_plot_flow *f, uint16_t port)
{
	memset(f, 0, sizeof(*f));
	f->unset = 1;
	f->want_port = port;
}

void ts_plot_flow_free(struct ts_plot_flow *f)
{
	free(f->seg);
	memset(f, 0, sizeof(*f));
}

/* tcpdump's flag letters back to the flags byte (ts_tcp_flags_str). */
static int flags_parse(const char *s, uint8_t *out)
{
	static const char names[] = "FSRP.UEW";
	uint8_t v = 0;

	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	for (; *s != '\0'; s++) {
		const char *c = strchr(names, *s);

		if (c == NULL)
			return -EINVAL;
		v |= (uint8_t)(1u << (c - names));
	}
	*out = v;
	return 0;
}

static int ip_parse(const char *s, uint32_t *out)
{
	unsigned a, b, c, d;
	char extra;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -EINVAL;
	*out = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

int ts_plot_trace_line(struct ts_plot_flow *f, const char *line)
{
	const char *k = strstr(line, "\"kind\":\"fault\""), *t = strstr(line, "\"time_us\":"),
		   *m = strstr(line, "\"msg\":\"");
	char act[16], dirs[8], a[20], b[20], fl[12];
	unsigned id, sport, dport, seq, ack, len;
	unsigned long long us;
	uint32_t src, dst;
	uint8_t flags;
	struct ts_plot_seg *s, *best = NULL;
	uint64_t bestd = 0;
	int d;

	if (k == NULL || t == NULL || m == NULL)
		return 0;
	if (sscanf(t + 10, "%llu", &us) != 1)
		return 0;
	if (sscanf(
		m + 7,
		"rule %u %15s %7s tcp %19[0-9.]:%u > %19[0-9.]:%u [%11[^]]] seq %u ack %u len %u",
		&id, act, dirs, a, &sport, b, &dport, fl, &seq, &ack, &len) != 11)
		return 0;
	if (strcmp(act, "drop") != 0 || ip_parse(a, &src) < 0 || ip_parse(b, &dst) < 0 ||
	    flags_parse(fl, &flags) < 0 || sport > 65535 || dport > 65535)
		return 0;
	if (f->unset) {
		if (f->want_port != 0 && sport != f->want_port && dport != f->want_port)
			return 0;
		f->ip[0] = src;
		f->port[0] = (uint16_t)sport;
		f->ip[1] = dst;
		f->port[1] = (uint16_t)dport;
		f->unset = 0;
	}
	d = flow_dir(f, src, (uint16_t)sport, dst, (uint16_t)dport);
	if (d < 0)
		return 0;
	if (strcmp(dirs, "in") == 0) {
		/* Captured before the rule dropped it: the nearest identical frame. */
		for (size_t i = 0; i < f->n; i++) {
			uint64_t dist;

			s = &f->seg[i];
			if (s->dir != d || s->seq != seq || s->ack != ack || s->len != len ||
			    s->flags != flags || (s->mark & TS_PLOT_LOST))
				continue;
			dist = s->t_us > us ? s->t_us - us : us - s->t_us;
			if (best == NULL || dist < bestd) {
				best = s;
				bestd = dist;
			}
		}
		if (best != NULL) {
			best->mark |= TS_PLOT_LOST;
			return 1;
		}
	}
	s = seg_add(f);
	if (s == NULL)
		return -ENOMEM;
	s->t_us = us;
	s->dir = d;
	s->flags = flags;
	s->seq = seq;
	s->ack = ack;
	s->len = len;
	s->mark = TS_PLOT_LOST | TS_PLOT_NOCAP;
	return 1;
}

static int seg_cmp(const void *x, const void *y)
{
	const struct ts_plot_seg *a = x, *b = y;

	if (a->t_us != b->t_us)
		return a->t_us < b->t_us ? -1 : 1;
	return 0;
}

static uint32_t seg_occ(const struct ts_plot_seg *s)
{
	return s->len + ((s->flags & TH_SYN) ? 1u : 0u) + ((s->flags & TH_FIN) ? 1u : 0u);
}

/* Trace events carry the engine's time of the run that handled a frame,
 * captures the time the frame was seen, a few microseconds later: a reply
 * dropped on the way out can look older than the segment it answers.  A
 * segment known only from the trace that acknowledges a captured segment
 * seen within 1 ms after it is moved just behind that segment. */
static void fix_trace_order(struct ts_plot_flow *f)
{
	/* The first transmission of a range, dropped on the way out, stamped
	 * before its captured predecessor in sequence space or after its
	 * captured successor: the trace's time is the engine run's, not the
	 * send's.  It goes right behind its predecessor. */
	for (size_t i = 0; i < f->n; i++) {
		struct ts_plot_seg *s = &f->seg[i];
		const struct ts_plot_seg *p = NULL, *q = NULL;
		int first = 1;

		if (!(s->mark & TS_PLOT_NOCAP) || seg_occ(s) == 0)
			continue;
		for (size_t j = 0; j < f->n; j++) {
			const struct ts_plot_seg *o = &f->seg[j];

			if (j == i || o->dir != s->dir)
				continue;
			if (o->seq == s->seq && o->t_us < s->t_us)
				first = 0;
			if (o->mark & TS_PLOT_NOCAP)
				continue;
			if (o->seq + seg_occ(o) == s->seq && (p == NULL || o->t_us < p->t_us))
				p = o;
			if (o->seq == s->seq + seg_occ(s) && (q == NULL || o->t_us < q->t_us))
				q = o;
		}
		if (first && p != NULL &&
		    (s->t_us < p->t_us || (q != NULL && p->t_us < q->t_us && q->t_us < s->t_us)))
			s->t_us = p->t_us + 1;
	}
	for (size_t i = 0; i < f->n; i++) {
		struct ts_plot_seg *s = &f->seg[i];

		if (!(s->mark & TS_PLOT_NOCAP) || !(s->flags & TH_ACK))
			continue;
		for (size_t j = 0; j < f->n; j++) {
			const struct ts_plot_seg *o = &f->seg[j];

			if (o->dir == s->dir || (o->mark & TS_PLOT_NOCAP) || seg_occ(o) == 0 ||
			    o->t_us < s->t_us || o->t_us - s->t_us > 1000 ||
			    o->seq + seg_occ(o) != s->ack)
				continue;
			s->t_us = o->t_us + 1;
			break;
		}
	}
}

void ts_plot_flow_finish(struct ts_plot_flow *f)
{
	uint32_t snd_max[2] = {0, 0}, last_ack[2] = {0, 0};
	int have_isn[2] = {0, 0}, have_max[2] = {0, 0}, have_ack[2] = {0, 0};
	int last_syn[2] = {0, 0};  /* the side's last segment was a bare SYN */
	int last_chal[2] = {0, 0}; /* ... a challenge ACK */
	uint32_t chal_ack[2] = {0, 0};

	fix_trace_order(f);
	/* Each side's ISN: its first SYN, else the first sequence number it
	 * sent; a later SYN with another number restarts it below. */
	for (int d = 0; d < 2; d++) {
		for (size_t i = 0; i < f->n && !have_isn[d]; i++)
			if (f->seg[i].dir == d && (f->seg[i].flags & TH_SYN)) {
				f->isn[d] = f->seg[i].seq;
				have_isn[d] = 1;
			}
		for (size_t i = 0; i < f->n && !have_isn[d]; i++)
			if (f->seg[i].dir == d) {
				f->isn[d] = f->seg[i].seq;
				have_isn[d] = 1;
			}
	}

	/* Stable enough: equal times keep capture order with a merge-free
	 * insertion sort (captures are nearly sorted already). */
	for (size_t i = 1; i < f->n; i++) {
		struct ts_plot_seg tmp = f->seg[i];
		size_t j = i;

		while (j > 0 && seg_cmp(&f->seg[j - 1], &tmp) > 0) {
			f->seg[j] = f->seg[j - 1];
			j--;
		}
		f->seg[j] = tmp;
	}
	f->t0_us = f->n ? f->seg[0].t_us : 0;
	for (size_t i = 0; i < f->n; i++) {
		struct ts_plot_seg *s = &f->seg[i];
		int d = s->dir, o = !d;
		uint32_t occ = seg_occ(s);

		/* A SYN with a new sequence number is a new incarnation of
		 * the 4-tuple (RFC 9293 3.4.1): numbers restart from it. */
		if ((s->flags & TH_SYN) && (!have_isn[d] || s->seq != f->isn[d])) {
			f->isn[d] = s->seq;
			have_isn[d] = 1;
			have_max[d] = 0;
			have_ack[d] = 0;
		}
		if (!have_isn[d]) {
			f->isn[d] = s->seq;
			have_isn[d] = 1;
		}
		if (occ == 0 && (s->flags & (TH_ACK | TH_RST)) == TH_ACK && last_syn[o]) {
			/* RFC 5961 4, RFC 9293 3.10.7.4: a synchronized
			 * connection answers a SYN with its current ACK. */
			s->mark |= TS_PLOT_CHALLENGE;
		} else if (occ > 0 && !(s->flags & TH_RST)) {
			if (have_max[d] && SEQ_LT(s->seq, snd_max[d]))
				s->mark |= TS_PLOT_RETRANS;
			if (!have_max[d] || SEQ_GT(s->seq + occ, snd_max[d]))
				snd_max[d] = s->seq + occ;
			have_max[d] = 1;
		} else if ((s->flags & TH_ACK) && !(s->flags & TH_RST) && have_ack[d] &&
			   s->ack == last_ack[d] && have_max[o] && SEQ_LT(s->ack, snd_max[o])) {
			/* RFC 5681 2: a duplicate ACK carries no data, and
			 * data is outstanding. */
			s->mark |= TS_PLOT_DUPACK;
		}
		if (s->flags & TH_ACK) {
			last_ack[d] = s->ack;
			have_ack[d] = 1;
		}
		/* RFC 9293 3.10.7.3: SYN-SENT answers an unacceptable ACK
		 * with <SEQ=SEG.ACK><CTL=RST>. */
		if ((s->flags & TH_RST) && last_chal[o] && s->seq == chal_ack[o])
			s->mark |= TS_PLOT_CHALRST;
		last_syn[d] = (s->flags & (TH_SYN | TH_ACK)) == TH_SYN;
		last_chal[d] = (s->mark & TS_PLOT_CHALLENGE) != 0;
		chal_ack[d] = s->ack;
		s->rseq = s->seq - f->isn[d];
		s->rack = have_isn[o] ? s->ack - f->isn[o] : s->ack;
	}
}

const char *ts_plot_label(const struct ts_plot_seg *s, char *buf, size_t len)
{
	int n;

	if ((s->flags & (TH_SYN | TH_ACK)) == TH_SYN)
		n = snprintf(buf, len, "SYN seq=%u", s->rseq);
	else if (s->flags & TH_SYN)
		n = snprintf(buf, len, "SYN-ACK seq=%u ack=%u", s->rseq, s->rack);
	else if (s->mark & TS_PLOT_CHALRST)
		n = snprintf(buf, len, "RST (seq = the challenge's ack)");
	else if (s->flags & TH_RST)
		n = (s->flags & TH_ACK) ? snprintf(buf, len, "RST seq=%u ack=%u", s->rseq, s->rack)
					: snprintf(buf, len, "RST seq=%u", s->rseq);
	else if ((s->flags & TH_FIN) && s->len > 0)
		n = snprintf(buf, len, "FIN seq=%u:%u ack=%u", s->rseq, s->rseq + s->len, s->rack);
	else if (s->flags & TH_FIN)
		n = snprintf(buf, len, "FIN seq=%u ack=%u", s->rseq, s->rack);
	else if (s->len > 0)
		n = snprintf(buf, len, "seq=%u:%u ack=%u", s->rseq, s->rseq + s->len, s->rack);
	else if (s->mark & TS_PLOT_CHALLENGE)
		n = snprintf(buf, len, "challenge ACK");
	else
		n = snprintf(buf, len, "ACK %u", s->rack);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (s->mark & TS_PLOT_RETRANS)
		n += snprintf(buf + n, len - (size_t)n, " (retrans)");
	if ((s->mark & TS_PLOT_DUPACK) && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " (dup)");
	if ((s->mark & TS_PLOT_LOST) && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (lost)");
	return buf;
}

/* --- text ------------------------------------------------------------------ */

static void end_name(const struct ts_plot_flow *f, int e, char *buf, size_t len)
{
	uint32_t a = f->ip[e];

	snprintf(buf, len, "%u.%u.%u.%u:%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 0xff),
		 (unsigned)(a >> 8 & 0xff), (unsigned)(a & 0xff), (unsigned)f->port[e]);
}

static void fmt_time(double sec, char *buf, size_t len)
{
	if (sec < 10)
		snprintf(buf, len, "%.6f", sec);
	else
		snprintf(buf, len, "%.3f", sec);
}

void ts_plot_text(const struct ts_plot_flow *f, FILE *out, double scale)
{
	char a[32], b[32], lab[96], arrow[160], t1[32], t2[32];
	size_t w = 44;

	for (size_t i = 0; i < f->n; i++) {
		size_t l = strlen(ts_plot_label(&f->seg[i], lab, sizeof(lab))) + 10;

		if (l > w)
			w = l;
	}
	if (w > sizeof(arrow) - 2)
		w = sizeof(arrow) - 2;
	end_name(f, 0, a, sizeof(a));
	end_name(f, 1, b, sizeof(b));
	if (scale > 1)
		fprintf(out, "%10s %10s  %-*s%s\n", "time (s)", "unscaled", (int)w + 2, a, b);
	else
		fprintf(out, "%10s  %-*s%s\n", "time (s)", (int)w + 2, a, b);
	for (size_t i = 0; i < f->n; i++) {
		const struct ts_plot_seg *s = &f->seg[i];
		double sec = (double)(s->t_us - f->t0_us) / 1e6;
		size_t l, start;

		ts_plot_label(s, lab, sizeof(lab));
		l = strlen(lab);
		memset(arrow, '-', w);
		arrow[w] = '\0';
		start = (w - l - 2) / 2;
		arrow[start] = ' ';
		memcpy(arrow + start + 1, lab, l);
		arrow[start + 1 + l] = ' ';
		if (s->dir == 0) {
			arrow[w - 1] = '>';
			if (s->mark & TS_PLOT_LOST) {
				/* The arrow stops short with an X: it never arrived. */
				arrow[w - 1] = ' ';
				arrow[w - 2] = ' ';
				arrow[w - 3] = 'X';
			}
		} else {
			arrow[0] = '<';
			if (s->mark & TS_PLOT_LOST) {
				arrow[0] = ' ';
				arrow[1] = ' ';
				arrow[2] = 'X';
			}
		}
		fmt_time(sec, t1, sizeof(t1));
		if (scale > 1) {
			fmt_time(sec * scale, t2, sizeof(t2));
			fprintf(out, "%10s %10s  |%s|\n", t1, t2, arrow);
		} else {
			fprintf(out, "%10s  |%s|\n", t1, arrow);
		}
	}
}

/* --- SVG ------------------------------------------------------------------- */

static void xml_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else if (*s == '"')
			fputs("&quot;", out);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
}

#define SVG_W 900
#define SVG_XA 260
#define SVG_XB 780
#define SVG_TOP 90
#define SVG_SLANT 24

/* Vertical position: every segment a fixed step below the previous one,
 * plus a logarithmic share of the time between them, so microsecond
 * bursts stay readable and a 1 s timeout still looks long. */
static double y_step(uint64_t dt_us)
{
	double ms = (double)dt_us / 1000.0;

	return 34.0 + 55.0 * log10(1.0 + ms / 5.0);
}

void ts_plot_svg(const struct ts_plot_flow *f, FILE *out, const char *title, double scale)
{
	char a[32], b[32], lab[96], t1[32], t2[32];
	double y = SVG_TOP, h;

	for (size_t i = 1; i < f->n; i++)
		y += y_step(f->seg[i].t_us - f->seg[i - 1].t_us);
	h = y + SVG_SLANT + 90;
	end_name(f, 0, a, sizeof(a));
	end_name(f, 1, b, sizeof(b));
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
		"<defs>\n",
		SVG_W, h, SVG_W, h);
	fprintf(out, "<marker id=\"ah\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" "
		     "refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#222\"/>"
		     "</marker>\n"
		     "<marker id=\"ahr\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" "
		     "refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#c00\"/>"
		     "</marker>\n"
		     "</defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	if (title != NULL) {
		fprintf(out,
			"<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\" "
			"text-anchor=\"middle\">",
			SVG_W / 2);
		xml_text(out, title);
		fputs("</text>\n", out);
	}
	fprintf(out,
		"<text x=\"%d\" y=\"56\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n"
		"<text x=\"%d\" y=\"56\" font-size=\"14\" text-anchor=\"middle\">%s</text>\n"
		"<text x=\"10\" y=\"56\" font-size=\"12\" fill=\"#555\">time (s)%s</text>\n",
		SVG_XA, a, SVG_XB, b, scale > 1 ? " [unscaled]" : "");
	fprintf(
	    out,
	    "<line x1=\"%d\" y1=\"66\" x2=\"%d\" y2=\"%.0f\" stroke=\"#888\" stroke-width=\"2\"/>\n"
	    "<line x1=\"%d\" y1=\"66\" x2=\"%d\" y2=\"%.0f\" stroke=\"#888\" "
	    "stroke-width=\"2\"/>\n",
	    SVG_XA, SVG_XA, h - 60, SVG_XB, SVG_XB, h - 60);
	y = SVG_TOP;
	for (size_t i = 0; i < f->n; i++) {
		const struct ts_plot_seg *s = &f->seg[i];
		double sec = (double)(s->t_us - f->t0_us) / 1e6;
		int red = (s->mark & (TS_PLOT_RETRANS | TS_PLOT_LOST)) != 0;
		double x1 = s->dir == 0 ? SVG_XA : SVG_XB, x2 = s->dir == 0 ? SVG_XB : SVG_XA;
		double y2, mx, my;
		const char *col = red ? "#c00" : (s->mark & TS_PLOT_DUPACK) ? "#c60" : "#222";

		if (i > 0)
			y += y_step(s->t_us - f->seg[i - 1].t_us);
		y2 = y + SVG_SLANT;
		fmt_time(sec, t1, sizeof(t1));
		fprintf(out, "<text x=\"10\" y=\"%.1f\" font-size=\"12\" fill=\"#555\">%s", y + 4,
			t1);
		if (scale > 1) {
			fmt_time(sec * scale, t2, sizeof(t2));
			fprintf(out, " [%s]", t2);
		}
		fputs("</text>\n", out);
		fprintf(out,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\" "
			"stroke-dasharray=\"2,3\"/>\n",
			120, y, (int)x1, y);
		if (s->mark & TS_PLOT_LOST) {
			/* It left the sender and never arrived: the line stops
			 * at 60 % with a cross. */
			double xe = x1 + (x2 - x1) * 0.6, ye = y + (y2 - y) * 0.6;

			fprintf(
			    out,
			    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			    "stroke-width=\"1.6\" stroke-dasharray=\"6,4\"/>\n",
			    x1, y, xe, ye, col);
			fprintf(out,
				"<path d=\"M%.1f,%.1f l12,12 m0,-12 l-12,12\" stroke=\"#c00\" "
				"stroke-width=\"3\"/>\n",
				xe - 6, ye - 6);
		} else {
			fprintf(
			    out,
			    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			    "stroke-width=\"1.6\" marker-end=\"url(#%s)\"/>\n",
			    x1, y, x2, y2, col, red ? "ahr" : "ah");
		}
		/* The label sits over the middle of the drawn line. */
		mx = (s->mark & TS_PLOT_LOST) ? x1 + (x2 - x1) * 0.3 : (x1 + x2) / 2;
		my = (s->mark & TS_PLOT_LOST) ? y + (y2 - y) * 0.3 - 6 : (y + y2) / 2 - 6;
		fprintf(out,
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\" "
			"fill=\"%s\">",
			mx, my, col);
		xml_text(out, ts_plot_label(s, lab, sizeof(lab)));
		fputs("</text>\n", out);
	}
	fprintf(out,
		"<text x=\"10\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">Time flows down "
		"(compressed: gaps grow with the log of their length). Red: retransmission; "
		"dashed with a cross: lost (a fault rule dropped it);</text>\n"
		"<text x=\"10\" y=\"%.0f\" font-size=\"12\" fill=\"#555\">orange: duplicate ACK. "
		"Sequence numbers relative to each side's ISN.%s</text>\n"
		"</svg>\n",
		h - 36, h - 18,
		scale > 1 ? " [times]: as they would be with Linux's unscaled timers." : "");
}

/* --- the command ----------------------------------------------------------- */

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: tapsock plot FILE.pcap [-o OUT.svg] [--png] [--text] [--port N]\n"
		   "                    [--trace TRACE.json] [--title TEXT] [--scale N]\n"
		   "  Draws the time-sequence diagram of one TCP connection in FILE.pcap (the\n"
		   "  first one, or the first with port N): SVG to OUT.svg (default: FILE.svg),\n"
		   "  PNG beside it with --png (rsvg-convert or ImageMagick), or a text ladder on\n"
		   "  stdout with --text.  --trace: `tapsock trace --json fault` output, to mark\n"
		   "  the segments fault rules dropped.  --scale N: the run's timers were N times\n"
		   "  shorter than Linux's; times are shown both ways.\n");
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	size_t cap = 1 << 16, n = 0;
	uint8_t *b;

	if (f == NULL)
		return -errno;
	b = malloc(cap);
	while (b != NULL) {
		size_t k = fread(b + n, 1, cap - n, f);

		n += k;
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(b, cap);

		if (nb == NULL)
			free(b);
		b = nb;
	}
	fclose(f);
	if (b == NULL)
		return -ENOMEM;
	*buf = b;
	*len = n;
	return 0;
}

static int have_tool(const char *name)
{
	const char *path = getenv("PATH");
	char dir[4096], full[4200];

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t l = strcspn(path, ":");

		if (l > 0 && l < sizeof(dir)) {
			memcpy(dir, path, l);
			dir[l] = '\0';
			snprintf(full, sizeof(full), "%s/%s", dir, name);
			if (access(full, X_OK) == 0)
				return 1;
		}
		path += l;
		if (*path == ':')
			path++;
	}
	return 0;
}

/* SVG -> PNG with whatever converter is installed; 0 or -1. */
static int to_png(const char *svg, const char *png)
{
	char cmd[8400];
	int r;

	if (strchr(svg, '\'') != NULL || strchr(png, '\'') != NULL)
		return -1;
	if (have_tool("rsvg-convert"))
		snprintf(cmd, sizeof(cmd), "rsvg-convert -b white -o '%s' '%s'", png, svg);
	else if (have_tool("convert"))
		snprintf(cmd, sizeof(cmd), "convert '%s' '%s'", svg, png);
	else
		return -1;
	r = system(cmd);
	return r == 0 ? 0 : -1;
}

int cli_plot(int argc, char **argv)
{
	const char *in = NULL, *outp = NULL, *tracep = NULL, *title = NULL;
	int png = 0, text = 0, r;
	long port = 0;
	double scale = 1;
	uint8_t *buf = NULL;
	size_t len = 0, n;
	struct ts_plot_pkt *pk;
	struct ts_plot_flow f;
	char def[4096], pngp[4200];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			plot_usage(stdout);
			return 0;
		} else if (strcmp(a, "--png") == 0) {
			png = 1;
		} else if (strcmp(a, "--text") == 0) {
			text = 1;
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--port") == 0 ||
			    strcmp(a, "--trace") == 0 || strcmp(a, "--title") == 0 ||
			    strcmp(a, "--scale") == 0)) {
			if (v == NULL) {
				fprintf(stderr, "tapsock: plot: %s needs a value\n", a);
				return 2;
			}
			i++;
			if (strcmp(a, "-o") == 0) {
				outp = v;
			} else if (strcmp(a, "--trace") == 0) {
				tracep = v;
			} else if (strcmp(a, "--title") == 0) {
				title = v;
			} else if (strcmp(a, "--port") == 0) {
				char *end;

				port = strtol(v, &end, 10);
				if (*end != '\0' || port < 1 || port > 65535) {
					fprintf(stderr, "tapsock: plot: bad port '%s'\n", v);
					return 2;
				}
			} else {
				char *end;

				scale = strtod(v, &end);
				if (*end != '\0' || !(scale >= 1 && scale <= 1e6)) {
					fprintf(stderr,
						"tapsock: plot: bad scale '%s' (1 to 1e6)\n", v);
					return 2;
				}
			}
		} else if (a[0] == '-' || in != NULL) {
			plot_usage(stderr);
			return 2;
		} else {
			in = a;
		}
	}
	if (in == NULL) {
		plot_usage(stderr);
		return 2;
	}
	r = read_file(in, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "tapsock: plot: %s: %s\n", in, strerror(-r));
		return 1;
	}
	r = ts_plot_pcap_parse(buf, len, &pk, &n);
	free(buf);
	if (r < 0) {
		fprintf(stderr, "tapsock: plot: %s: %s\n", in,
			r == -EINVAL		? "not a pcap file"
			: r == -EPROTONOSUPPORT ? "link type not Ethernet or raw IPv4"
						: strerror(-r));
		return 1;
	}
	r = ts_plot_flow_build(pk, n, (uint16_t)port, &f);
	free(pk);
	if (r == -ENOENT && tracep != NULL) {
		/* Nothing captured: maybe every segment was dropped on the
		 * way out, which only the trace knows. */
		ts_plot_flow_empty(&f, (uint16_t)port);
		r = 0;
	}
	if (r < 0) {
		fprintf(stderr, "tapsock: plot: %s: %s\n", in,
			r == -ENOENT ? "no TCP segment (of that port) in it" : strerror(-r));
		return 1;
	}
	if (tracep != NULL) {
		FILE *tf = fopen(tracep, "re");
		char *line = NULL;
		size_t cap = 0;

		if (tf == NULL) {
			fprintf(stderr, "tapsock: plot: %s: %s\n", tracep, strerror(errno));
			ts_plot_flow_free(&f);
			return 1;
		}
		while (getline(&line, &cap, tf) > 0)
			if (ts_plot_trace_line(&f, line) < 0)
				break;
		free(line);
		fclose(tf);
	}
	if (f.unset) {
		fprintf(stderr, "tapsock: plot: %s: no TCP segment (of that port) in it or in %s\n",
			in, tracep);
		ts_plot_flow_free(&f);
		return 1;
	}
	ts_plot_flow_finish(&f);
	if (text) {
		ts_plot_text(&f, stdout, scale);
		if (outp == NULL && !png) {
			ts_plot_flow_free(&f);
			return 0;
		}
	}
	if (outp == NULL) {
		size_t l = strlen(in);

		if (l > 5 && strcmp(in + l - 5, ".pcap") == 0)
			l -= 5;
		snprintf(def, sizeof(def), "%.*s.svg", (int)l, in);
		outp = def;
	}
	{
		FILE *o = strcmp(outp, "-") == 0 ? stdout : fopen(outp, "we");

		if (o == NULL) {
			fprintf(stderr, "tapsock: plot: %s: %s\n", outp, strerror(errno));
			ts_plot_flow_free(&f);
			return 1;
		}
		ts_plot_svg(&f, o, title, scale);
		if (o != stdout && fclose(o) != 0) {
			fprintf(stderr, "tapsock: plot: %s: %s\n", outp, strerror(errno));
			ts_plot_flow_free(&f);
			return 1;
		}
	}
	ts_plot_flow_free(&f);
	if (png && strcmp(outp, "-") != 0) {
		size_t l = strlen(outp);

		if (l > 4 && strcmp(outp + l - 4, ".svg") == 0)
			l -= 4;
		snprintf(pngp, sizeof(pngp), "%.*s.png", (int)l, outp);
		if (to_png(outp, pngp) < 0)
			fprintf(stderr,
				"tapsock: plot: no PNG: install librsvg2-bin "
				"(rsvg-convert) for one; the SVG is %s\n",
				outp);
	}
	return 0;
}
