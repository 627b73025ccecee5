/* Fault injection rules (see fault.h): parsing and formatting the rule
 * text, and the engine hooks ts_engine_xmit / ts_engine_input call for
 * every frame crossing the link.  Frames are matched from their bytes
 * (capture.c's parser, lengths checked), never through another layer's
 * structs.  Held frames live in one list ordered by release time. */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "engine.h"
#include "eth.h"
#include "trace.h"

struct ts_fault_held {
	struct ts_fault_held *next;
	struct pktbuf *pkt;
	struct ts_netdev *dev;
	uint64_t release; /* µs */
	uint8_t dir;	  /* TS_FAULT_IN or TS_FAULT_OUT */
	uint8_t reorder;  /* also released by the next frame */
};

/* --- rule text ---------------------------------------------------------- */

static const char *const action_names[] = {
    [TS_FAULT_DROP] = "drop",	    [TS_FAULT_DELAY] = "delay",	    [TS_FAULT_DUP] = "duplicate",
    [TS_FAULT_REORDER] = "reorder", [TS_FAULT_CORRUPT] = "corrupt",
};
static const char *const proto_names[] = {"any", "tcp", "udp", "icmp", "arp"};
static const char *const dir_names[] = {"", "in", "out", "both"};
static const struct {
	const char *name;
	unsigned bit;
} class_names[] = {
    {"syn", TS_TCPC_SYN}, {"syn-ack", TS_TCPC_SYNACK}, {"fin", TS_TCPC_FIN},
    {"rst", TS_TCPC_RST}, {"ack", TS_TCPC_ACK},	       {"data", TS_TCPC_DATA},
};
#define NCLASSES (sizeof(class_names) / sizeof(class_names[0]))

static int num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int prob(const char *s, uint32_t *ppm)
{
	char *end;
	double p;

	if (s == NULL || ((*s < '0' || *s > '9') && *s != '.'))
		return -EINVAL;
	p = strtod(s, &end);
	if (*end == '%') {
		p /= 100.0;
		end++;
	}
	if (*end != '\0' || !(p >= 0.0 && p <= 1.0))
		return -EINVAL;
	*ppm = (uint32_t)(p * TS_FAULT_PPM + 0.5);
	return 0;
}

static int classes(char *s, uint8_t *mask)
{
	char *save = NULL;

	*mask = 0;
	for (char *w = strtok_r(s, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < NCLASSES; i++)
			if (strcmp(w, class_names[i].name) == 0)
				break;
		if (i == NCLASSES)
			return -EINVAL;
		*mask |= (uint8_t)class_names[i].bit;
	}
	return *mask != 0 ? 0 : -EINVAL;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -EINVAL;                                                                    \
	} while (0)

int ts_fault_parse(const char *text, struct ts_fault_spec *s, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *w, *words[64];
	int n = 0, i = 0, seeded = 0;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	s->dir = TS_FAULT_BOTH;
	s->prob_ppm = TS_FAULT_PPM;
	s->seed = 1;
	if (text == NULL || strlen(text) >= sizeof(buf))
		BAD("rule text missing or too long");
	strcpy(buf, text);
	for (w = strtok_r(buf, " \t", &save); w != NULL && n < 64; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	if (n == 0)
		BAD("empty rule: expected drop, delay MS, duplicate, reorder [MS] or corrupt");
	if (n == 64)
		BAD("rule too long");
	for (int a = TS_FAULT_DROP; a <= TS_FAULT_CORRUPT; a++)
		if (strcmp(words[0], action_names[a]) == 0)
			s->action = (uint8_t)a;
	if (strcmp(words[0], "dup") == 0)
		s->action = TS_FAULT_DUP;
	if (s->action == 0)
		BAD("unknown action '%s' (drop, delay MS, duplicate, reorder [MS], corrupt)",
		    words[0]);
	i = 1;
	if (s->action == TS_FAULT_DELAY) {
		if (i >= n || num(words[i], 3600000, &v) < 0)
			BAD("delay needs a time in milliseconds (0 to 3600000)");
		s->ms = (uint32_t)v;
		i++;
	} else if (s->action == TS_FAULT_REORDER) {
		s->ms = TS_FAULT_REORDER_MS;
		if (i < n && num(words[i], 3600000, &v) == 0) {
			s->ms = (uint32_t)v;
			i++;
		}
	}
	while (i < n) {
		const char *k = words[i], *arg = i + 1 < n ? words[i + 1] : NULL;

		if (strcmp(k, "lo") == 0) {
			s->lo = 1;
			i++;
			continue;
		}
		if (arg == NULL)
			BAD("'%s' needs a value", k);
		if (strcmp(k, "dir") == 0) {
			if (strcmp(arg, "in") == 0)
				s->dir = TS_FAULT_IN;
			else if (strcmp(arg, "out") == 0)
				s->dir = TS_FAULT_OUT;
			else if (strcmp(arg, "both") == 0)
				s->dir = TS_FAULT_BOTH;
			else
				BAD("dir: expected in, out or both, not '%s'", arg);
		} else if (strcmp(k, "proto") == 0) {
			size_t p;

			for (p = 0; p < 5; p++)
				if (strcmp(arg, proto_names[p]) == 0)
					break;
			if (p == 5)
				BAD("proto: expected tcp, udp, icmp, arp or any, not '%s'", arg);
			s->proto = (uint8_t)p;
		} else if (strcmp(k, "port") == 0) {
			if (num(arg, 65535, &v) < 0 || v == 0)
				BAD("port: expected 1 to 65535, not '%s'", arg);
			s->port = (uint16_t)v;
		} else if (strcmp(k, "flags") == 0) {
			char tmp[128];

			snprintf(tmp, sizeof(tmp), "%s", arg);
			if (classes(tmp, &s->tcp_class) < 0)
				BAD("flags: expected a comma list of syn, syn-ack, fin, rst, ack, "
				    "data, not '%s'",
				    arg);
		} else if (strcmp(k, "nth") == 0) {
			if (num(arg, UINT32_MAX, &v) < 0 || v == 0)
				BAD("nth: expected a count from 1, not '%s'", arg);
			s->nth = (uint32_t)v;
		} else if (strcmp(k, "every") == 0) {
			if (num(arg, UINT32_MAX, &v) < 0 || v == 0)
				BAD("every: expected a count from 1, not '%s'", arg);
			s->every = (uint32_t)v;
		} else if (strcmp(k, "prob") == 0) {
			if (prob(arg, &s->prob_ppm) < 0)
				BAD("prob: expected 0 to 1 or a percentage, not '%s'", arg);
		} else if (strcmp(k, "seed") == 0) {
			if (num(arg, UINT64_MAX, &v) < 0)
				BAD("seed: expected a number, not '%s'", arg);
			s->seed = v;
			seeded = 1;
		} else if (strcmp(k, "limit") == 0 || strcmp(k, "count") == 0) {
			if (num(arg, UINT32_MAX, &v) < 0 || v == 0)
				BAD("limit: expected a count from 1, not '%s'", arg);
			s->limit = (uint32_t)v;
		} else {
			BAD("unknown word '%s' (dir, proto, port, flags, lo, nth, every, prob, "
			    "seed, limit)",
			    k);
		}
		i += 2;
	}
	if (s->tcp_class != 0 && s->proto == TS_FAULT_P_ANY)
		s->proto = TS_FAULT_P_TCP;
	if (s->tcp_class != 0 && s->proto != TS_FAULT_P_TCP)
		BAD("flags match TCP only");
	if (s->port != 0 && s->proto != TS_FAULT_P_ANY && s->proto != TS_FAULT_P_TCP &&
	    s->proto != TS_FAULT_P_UDP)
		BAD("port matches TCP or UDP only");
	if (seeded && s->prob_ppm == TS_FAULT_PPM)
		BAD("seed goes with prob");
	return 0;
}

#define APPEND(...)                                                                                \
	do {                                                                                       \
		if (off < len)                                                                     \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                \
	} while (0)

void ts_fault_format(const struct ts_fault_spec *s, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (s->action < TS_FAULT_DROP || s->action > TS_FAULT_CORRUPT)
		return;
	APPEND("%s", action_names[s->action]);
	if (s->action == TS_FAULT_DELAY || s->action == TS_FAULT_REORDER)
		APPEND(" %u", (unsigned)s->ms);
	if (s->dir != TS_FAULT_BOTH && s->dir <= TS_FAULT_BOTH)
		APPEND(" dir %s", dir_names[s->dir]);
	if (s->proto != TS_FAULT_P_ANY && s->proto < 5)
		APPEND(" proto %s", proto_names[s->proto]);
	if (s->port != 0)
		APPEND(" port %u", (unsigned)s->port);
	if (s->tcp_class != 0) {
		const char *sep = " flags ";

		for (size_t i = 0; i < NCLASSES; i++)
			if (s->tcp_class & class_names[i].bit) {
				APPEND("%s%s", sep, class_names[i].name);
				sep = ",";
			}
	}
	if (s->lo)
		APPEND(" lo");
	if (s->nth != 0)
		APPEND(" nth %u", (unsigned)s->nth);
	if (s->every != 0)
		APPEND(" every %u", (unsigned)s->every);
	if (s->prob_ppm < TS_FAULT_PPM)
		APPEND(" prob %.6g seed %llu", s->prob_ppm / (double)TS_FAULT_PPM,
		       (unsigned long long)s->seed);
	if (s->limit != 0)
		APPEND(" limit %u", (unsigned)s->limit);
}

/* --- rule table ------------------------------------------------------------ */

int ts_fault_add(struct ts_engine *eng, const struct ts_fault_spec *s)
{
	struct ts_fault *f = &eng->fault;
	struct ts_fault_rule *r, **pp;

	if (f->nrules >= TS_FAULT_MAX_RULES)
		return -ENOSPC;
	if (s->action < TS_FAULT_DROP || s->action > TS_FAULT_CORRUPT ||
	    (s->dir & TS_FAULT_BOTH) == 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->spec = *s;
	r->prng = s->seed;
	r->id = ++f->next_id;
	for (pp = &f->rules; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = r;
	f->nrules++;
	return (int)r->id;
}

int ts_fault_del(struct ts_engine *eng, uint32_t id)
{
	struct ts_fault *f = &eng->fault;

	for (struct ts_fault_rule **pp = &f->rules; *pp != NULL; pp = &(*pp)->next) {
		struct ts_fault_rule *r = *pp;

		if (r->id == id) {
			*pp = r->next;
			free(r);
			f->nrules--;
			return 0;
		}
	}
	return -ENOENT;
}

void ts_fault_clear(struct ts_engine *eng)
{
	struct ts_fault *f = &eng->fault;

	while (f->rules != NULL) {
		struct ts_fault_rule *r = f->rules;

		f->rules = r->next;
		free(r);
	}
	f->nrules = 0;
}

const struct ts_fault_rule *ts_fault_find(const struct ts_engine *eng, uint32_t id)
{
	for (const struct ts_fault_rule *r = eng->fault.rules; r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

void ts_fault_destroy(struct ts_fault *f)
{
	while (f->rules != NULL) {
		struct ts_fault_rule *r = f->rules;

		f->rules = r->next;
		free(r);
	}
	while (f->held != NULL) {
		struct ts_fault_held *h = f->held;

		f->held = h->next;
		ts_pkt_free(h->pkt);
		free(h);
	}
	f->nrules = f->nheld = f->nreorder = 0;
}

/* --- matching -------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
	/* Vigna's splitmix64: every seed (0 too) gives a good sequence, and
	 * the same seed the same one, so a lossy run can be replayed. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int proto_match(uint8_t p, const struct ts_frame_info *fi)
{
	switch (p) {
	case TS_FAULT_P_ANY:
		return 1;
	case TS_FAULT_P_TCP:
		return fi->ip && fi->proto == 6;
	case TS_FAULT_P_UDP:
		return fi->ip && fi->proto == 17;
	case TS_FAULT_P_ICMP:
		return fi->ip && fi->proto == 1;
	case TS_FAULT_P_ARP:
		return fi->ethertype == TS_ETH_P_ARP;
	default:
		return 0;
	}
}

static int rule_match(const struct ts_fault_spec *s, const struct ts_frame_info *fi)
{
	if (!proto_match(s->proto, fi))
		return 0;
	if (s->port != 0 && !(fi->l4 && (fi->proto == 6 || fi->proto == 17) &&
			      (fi->sport == s->port || fi->dport == s->port)))
		return 0;
	if (s->tcp_class != 0 && !(fi->l4 && (fi->tcp_class & s->tcp_class)))
		return 0;
	return 1;
}

/* The first rule that matches and whose selection says "this one" acts;
 * every matching rule before it counts the match. */
static struct ts_fault_rule *select_rule(struct ts_fault *f, int dir, int lo,
					 const struct ts_frame_info *fi)
{
	for (struct ts_fault_rule *r = f->rules; r != NULL; r = r->next) {
		const struct ts_fault_spec *s = &r->spec;

		if (!(s->dir & dir) || (lo && !s->lo) || !rule_match(s, fi))
			continue;
		r->matched++;
		if (s->limit != 0 && r->acted >= s->limit)
			continue;
		if (s->nth != 0 && r->matched != s->nth)
			continue;
		if (s->every != 0 && r->matched % s->every != 0)
			continue;
		if (s->prob_ppm < TS_FAULT_PPM &&
		    splitmix64(&r->prng) % TS_FAULT_PPM >= s->prob_ppm)
			continue;
		r->acted++;
		return r;
	}
	return NULL;
}

/* --- actions ---------------------------------------------------------------- */

static int deliver(struct ts_engine *eng, int dir, struct ts_netdev *dev, struct pktbuf *pkt)
{
	if (dir == TS_FAULT_OUT)
		return ts_engine_link_out(eng, dev, pkt);
	ts_engine_link_in(eng, dev, pkt);
	return 0;
}

static int hold(struct ts_engine *eng, int dir, struct ts_netdev *dev, struct pktbuf *pkt,
		uint64_t release, int reorder)
{
	struct ts_fault *f = &eng->fault;
	struct ts_fault_held *h, **pp;

	if (f->nheld >= TS_FAULT_MAX_HELD || (h = calloc(1, sizeof(*h))) == NULL) {
		/* As netem over its limit: the frame is lost, and counted. */
		TS_DROP(eng, TsExtFaultHeldOverflow);
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	h->pkt = pkt;
	h->dev = dev;
	h->release = release;
	h->dir = (uint8_t)dir;
	h->reorder = (uint8_t)reorder;
	/* Ordered by release time; equal times keep arrival order. */
	for (pp = &f->held; *pp != NULL && (*pp)->release <= release; pp = &(*pp)->next)
		;
	h->next = *pp;
	*pp = h;
	f->nheld++;
	f->nreorder += (unsigned)reorder;
	return 0;
}

/* Delivers the frames in chain (detached from the held list first, so
 * delivering may hold new frames safely), in order. */
static void deliver_chain(struct ts_engine *eng, struct ts_fault_held *chain)
{
	while (chain != NULL) {
		struct ts_fault_held *h = chain;

		chain = h->next;
		deliver(eng, h->dir, h->dev, h->pkt);
		free(h);
	}
}

/* A frame went through in direction dir: frames reordered behind it go
 * now. */
static void release_reordered(struct ts_engine *eng, int dir)
{
	struct ts_fault *f = &eng->fault;
	struct ts_fault_held *chain = NULL, **tail = &chain;

	if (f->nreorder == 0)
		return;
	for (struct ts_fault_held **pp = &f->held; *pp != NULL;) {
		struct ts_fault_held *h = *pp;

		if (h->reorder && h->dir == dir) {
			*pp = h->next;
			h->next = NULL;
			*tail = h;
			tail = &h->next;
			f->nheld--;
			f->nreorder--;
		} else {
			pp = &h->next;
		}
	}
	deliver_chain(eng, chain);
}

/* Flips the last byte of the datagram's payload (the transport checksum,
 * which covers it, then fails: a one's-complement sum always changes when
 * one byte is inverted).  ARP has no checksum: its target address is
 * flipped.  A bare IPv4 header gets its header checksum flipped. */
static void corrupt(struct pktbuf *pkt, const struct ts_frame_info *fi)
{
	size_t at;

	if (fi->ip && fi->ip_end > fi->l3_off + 20 &&
	    fi->ip_end > fi->l3_off + (size_t)(pkt->data[fi->l3_off] & 0x0f) * 4)
		at = fi->ip_end - 1;
	else if (fi->ip)
		at = fi->l3_off + 10;
	else if (fi->ethertype == TS_ETH_P_ARP)
		at = fi->l3_off + 27;
	else if (pkt->len > 0)
		at = pkt->len - 1;
	else
		return;
	pkt->data[at] ^= 0xff;
}

static int apply(struct ts_engine *eng, int dir, struct ts_netdev *dev, struct pktbuf *pkt)
{
	char sum[96];
	struct ts_frame_info fi;
	struct ts_fault_rule *r;
	struct pktbuf *copy;
	int ret;

	ts_frame_parse(pkt->data, pkt->len, dev->l2, &fi);
	r = select_rule(&eng->fault, dir, dev == &eng->lo, &fi);
	if (r == NULL) {
		ret = deliver(eng, dir, dev, pkt);
		release_reordered(eng, dir);
		return ret;
	}
	if (eng->trace.ring != NULL) {
		ts_frame_summary(&fi, sum, sizeof(sum));
		ts_trace_emit(&eng->trace, eng->now, TS_TRACE_FAULT, "rule %u %s %s %s",
			      (unsigned)r->id, action_names[r->spec.action],
			      dir == TS_FAULT_IN ? "in" : "out", sum);
	}
	switch (r->spec.action) {
	case TS_FAULT_DROP:
		eng->stats.TsExtFaultDrops++;
		ts_pkt_free(pkt);
		return 0;
	case TS_FAULT_DELAY:
		eng->stats.TsExtFaultDelays++;
		hold(eng, dir, dev, pkt, eng->now + (uint64_t)r->spec.ms * 1000u, 0);
		return 0;
	case TS_FAULT_REORDER:
		eng->stats.TsExtFaultReorders++;
		hold(eng, dir, dev, pkt, eng->now + (uint64_t)r->spec.ms * 1000u, 1);
		return 0;
	case TS_FAULT_DUP:
		eng->stats.TsExtFaultDups++;
		copy = ts_pkt_clone(pkt);
		ret = deliver(eng, dir, dev, pkt);
		if (copy != NULL)
			deliver(eng, dir, dev, copy);
		release_reordered(eng, dir);
		return ret;
	case TS_FAULT_CORRUPT:
	default:
		eng->stats.TsExtFaultCorrupts++;
		corrupt(pkt, &fi);
		ret = deliver(eng, dir, dev, pkt);
		release_reordered(eng, dir);
		return ret;
	}
}

int ts_fault_out(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame)
{
	if (eng->fault.rules == NULL && eng->fault.nreorder == 0)
		return ts_engine_link_out(eng, dev, frame);
	/* Loopback packets cross no wire: only rules marked "lo" see them,
	 * once, on the way out. */
	if (dev == &eng->lo) {
		const struct ts_fault_rule *r;

		for (r = eng->fault.rules; r != NULL && !r->spec.lo; r = r->next)
			;
		if (r == NULL)
			return ts_engine_link_out(eng, dev, frame);
	}
	return apply(eng, TS_FAULT_OUT, dev, frame);
}

void ts_fault_in(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame)
{
	if (eng->fault.rules == NULL && eng->fault.nreorder == 0) {
		ts_engine_link_in(eng, dev, frame);
		return;
	}
	apply(eng, TS_FAULT_IN, dev, frame);
}

uint64_t ts_fault_poll(struct ts_engine *eng, uint64_t now)
{
	struct ts_fault *f = &eng->fault;
	struct ts_fault_held *chain = NULL, **tail = &chain;

	while (f->held != NULL && f->held->release <= now) {
		struct ts_fault_held *h = f->held;

		f->held = h->next;
		h->next = NULL;
		*tail = h;
		tail = &h->next;
		f->nheld--;
		f->nreorder -= h->reorder;
	}
	deliver_chain(eng, chain);
	return f->held != NULL ? f->held->release : TS_NEVER;
}
