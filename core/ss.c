/* `tapsock ss` records: the TS_CTL_OP_SS encoding, ss(8)'s names, timer
 * and -i formatting, and its state filters.  Called by the daemon's SS op
 * (core/daemon/ctl_ss.c), the CLI (core/cli/ss.c) and tests/unit/test_ss.c.
 * Reference: iproute2 misc/ss.c (6.x) for every string printed here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl_proto.h"
#include "ss.h"
#include "tcp_fsm.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

void ts_ss_encode(struct ts_ctl_wr *w, const struct ts_ss_sock *s)
{
	const struct ts_ss_info *in = &s->info;

	ts_ctl_put_u8(w, s->proto);
	ts_ctl_put_u8(w, s->state);
	ts_ctl_put_u8(w, s->orphan);
	ts_ctl_put_u32(w, s->laddr);
	ts_ctl_put_u16(w, s->lport);
	ts_ctl_put_u32(w, s->raddr);
	ts_ctl_put_u16(w, s->rport);
	ts_ctl_put_u32(w, s->rq);
	ts_ctl_put_u32(w, s->wq);
	ts_ctl_put_u64(w, s->ino);
	ts_ctl_put_u8(w, s->timer);
	ts_ctl_put_u32(w, s->timer_ms);
	ts_ctl_put_u32(w, s->timer_retrans);
	ts_ctl_put_u8(w, s->has_info);
	if (!s->has_info)
		return;
	ts_ctl_put_str(w, in->cc);
	ts_ctl_put_u8(w, in->ts);
	ts_ctl_put_u8(w, in->sack);
	ts_ctl_put_u8(w, in->wscale);
	ts_ctl_put_u8(w, in->snd_wscale);
	ts_ctl_put_u8(w, in->rcv_wscale);
	ts_ctl_put_u32(w, in->rto_us);
	ts_ctl_put_u32(w, in->rtt_us);
	ts_ctl_put_u32(w, in->rttvar_us);
	ts_ctl_put_u32(w, in->backoff);
	ts_ctl_put_u32(w, in->mss);
	ts_ctl_put_u32(w, in->rcv_mss);
	ts_ctl_put_u32(w, in->cwnd);
	ts_ctl_put_u32(w, in->ssthresh);
	ts_ctl_put_u64(w, in->bytes_acked);
	ts_ctl_put_u64(w, in->bytes_received);
	ts_ctl_put_u32(w, in->unacked);
	ts_ctl_put_u32(w, in->sacked);
	ts_ctl_put_u32(w, in->retrans);
	ts_ctl_put_u32(w, in->total_retrans);
}

int ts_ss_decode(struct ts_ctl_rd *r, struct ts_ss_sock *s)
{
	struct ts_ss_info *in = &s->info;

	memset(s, 0, sizeof(*s));
	s->proto = ts_ctl_get_u8(r);
	s->state = ts_ctl_get_u8(r);
	s->orphan = ts_ctl_get_u8(r);
	s->laddr = ts_ctl_get_u32(r);
	s->lport = ts_ctl_get_u16(r);
	s->raddr = ts_ctl_get_u32(r);
	s->rport = ts_ctl_get_u16(r);
	s->rq = ts_ctl_get_u32(r);
	s->wq = ts_ctl_get_u32(r);
	s->ino = ts_ctl_get_u64(r);
	s->timer = ts_ctl_get_u8(r);
	s->timer_ms = ts_ctl_get_u32(r);
	s->timer_retrans = ts_ctl_get_u32(r);
	s->has_info = ts_ctl_get_u8(r);
	if (s->has_info) {
		ts_ctl_get_str(r, in->cc, sizeof(in->cc));
		in->ts = ts_ctl_get_u8(r);
		in->sack = ts_ctl_get_u8(r);
		in->wscale = ts_ctl_get_u8(r);
		in->snd_wscale = ts_ctl_get_u8(r);
		in->rcv_wscale = ts_ctl_get_u8(r);
		in->rto_us = ts_ctl_get_u32(r);
		in->rtt_us = ts_ctl_get_u32(r);
		in->rttvar_us = ts_ctl_get_u32(r);
		in->backoff = ts_ctl_get_u32(r);
		in->mss = ts_ctl_get_u32(r);
		in->rcv_mss = ts_ctl_get_u32(r);
		in->cwnd = ts_ctl_get_u32(r);
		in->ssthresh = ts_ctl_get_u32(r);
		in->bytes_acked = ts_ctl_get_u64(r);
		in->bytes_received = ts_ctl_get_u64(r);
		in->unacked = ts_ctl_get_u32(r);
		in->sacked = ts_ctl_get_u32(r);
		in->retrans = ts_ctl_get_u32(r);
		in->total_retrans = ts_ctl_get_u32(r);
	}
	/* Anything a peer sent is checked, never trusted. */
	if (r->err || (s->proto != IPPROTO_TCP_NUM && s->proto != IPPROTO_UDP_NUM) ||
	    s->state >= TCPS_NSTATES || s->timer > TS_SS_TIMER_PERSIST || s->has_info > 1) {
		r->err = 1;
		return -EBADMSG;
	}
	return 0;
}

const char *ts_ss_state_name(const struct ts_ss_sock *s)
{
	/* ss prints a UDP socket as UNCONN (TCP_CLOSE) or ESTAB (connected). */
	if (s->proto == IPPROTO_UDP_NUM)
		return s->state == TCPS_ESTABLISHED ? "ESTAB" : "UNCONN";
	return ts_tcp_state_name(s->state);
}

const char *ts_ss_netid(const struct ts_ss_sock *s)
{
	return s->proto == IPPROTO_UDP_NUM ? "udp" : "tcp";
}

/* Appends to buf (len bytes), never past it. */
static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void ts_ss_ms_timer(uint32_t ms, char *buf, size_t len)
{
	/* iproute2 print_ms_timer: minutes drop the milliseconds, ten
	 * minutes or more drop the seconds, ten seconds or more drop the
	 * milliseconds; milliseconds print with three digits. */
	uint32_t minutes = ms / 60000, secs = ms / 1000 % 60, msecs = ms % 1000;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (minutes) {
		msecs = 0;
		cat(buf, len, "%umin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		cat(buf, len, "%u%s", secs, msecs ? "." : "sec");
	}
	/* iproute2 <= 6.x wrote "ms" here even after seconds ("1.200ms"
	 * for 1200 ms); upstream fixed it to "1.200sec", which we follow. */
	if (msecs)
		cat(buf, len, "%03u%s", msecs, secs ? "sec" : "ms");
}

void ts_ss_timer_str(const struct ts_ss_sock *s, char *buf, size_t len)
{
	static const char *const names[] = {"off", "on", "keepalive", "timewait", "persist"};
	char t[32];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (s->timer == TS_SS_TIMER_OFF || s->timer > TS_SS_TIMER_PERSIST)
		return;
	ts_ss_ms_timer(s->timer_ms, t, sizeof(t));
	snprintf(buf, len, "timer:(%s,%s,%u)", names[s->timer], t, s->timer_retrans);
}

void ts_ss_addr_str(uint32_t addr, uint16_t port, char *buf, size_t len)
{
	if (port == 0)
		snprintf(buf, len, "%u.%u.%u.%u:*", addr >> 24, addr >> 16 & 255, addr >> 8 & 255,
			 addr & 255);
	else
		snprintf(buf, len, "%u.%u.%u.%u:%u", addr >> 24, addr >> 16 & 255,
			 addr >> 8 & 255, addr & 255, port);
}

void ts_ss_info_str(const struct ts_ss_sock *s, char *buf, size_t len)
{
	const struct ts_ss_info *in = &s->info;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (!s->has_info)
		return;
	/* The order and the "print only if non-zero" rules of ss's
	 * tcp_stats_print. */
	if (in->ts)
		cat(buf, len, " ts");
	if (in->sack)
		cat(buf, len, " sack");
	if (in->cc[0])
		cat(buf, len, " %s", in->cc);
	if (in->wscale)
		cat(buf, len, " wscale:%u,%u", in->snd_wscale, in->rcv_wscale);
	if (in->rto_us)
		cat(buf, len, " rto:%g", in->rto_us / 1000.0);
	if (in->backoff)
		cat(buf, len, " backoff:%u", in->backoff);
	if (in->rtt_us)
		cat(buf, len, " rtt:%g/%g", in->rtt_us / 1000.0, in->rttvar_us / 1000.0);
	if (in->mss)
		cat(buf, len, " mss:%u", in->mss);
	if (in->rcv_mss)
		cat(buf, len, " rcvmss:%u", in->rcv_mss);
	if (in->cwnd)
		cat(buf, len, " cwnd:%u", in->cwnd);
	if (in->ssthresh && in->ssthresh < 0xffff)
		cat(buf, len, " ssthresh:%u", in->ssthresh);
	if (in->bytes_acked)
		cat(buf, len, " bytes_acked:%llu", (unsigned long long)in->bytes_acked);
	if (in->bytes_received)
		cat(buf, len, " bytes_received:%llu", (unsigned long long)in->bytes_received);
	if (in->unacked)
		cat(buf, len, " unacked:%u", in->unacked);
	if (in->retrans || in->total_retrans)
		cat(buf, len, " retrans:%u/%u", in->retrans, in->total_retrans);
	if (in->sacked && s->state != TCPS_LISTEN)
		cat(buf, len, " sacked:%u", in->sacked);
	/* ss starts the line with a tab, not a space. */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

uint32_t ts_ss_states_all(void)
{
	return (1u << TCPS_NSTATES) - 1;
}

uint32_t ts_ss_states_default(void)
{
	return ts_ss_states_all() & ~(TS_SS_ST(TCPS_LISTEN) | TS_SS_ST(TCPS_CLOSED) |
				      TS_SS_ST(TCPS_TIME_WAIT) | TS_SS_ST(TCPS_SYN_RECEIVED));
}

uint32_t ts_ss_states_listening(void)
{
	return TS_SS_ST(TCPS_LISTEN) | TS_SS_ST(TCPS_CLOSED);
}

int ts_ss_state_parse(const char *word, uint32_t *mask)
{
	/* ss(8) STATE-FILTER names, then its display names. */
	static const struct {
		const char *name;
		int state;
	} names[] = {
		{"established", TCPS_ESTABLISHED}, {"syn-sent", TCPS_SYN_SENT},
		{"syn-recv", TCPS_SYN_RECEIVED},   {"fin-wait-1", TCPS_FIN_WAIT_1},
		{"fin-wait-2", TCPS_FIN_WAIT_2},   {"time-wait", TCPS_TIME_WAIT},
		{"closed", TCPS_CLOSED},           {"close-wait", TCPS_CLOSE_WAIT},
		{"last-ack", TCPS_LAST_ACK},       {"listening", TCPS_LISTEN},
		{"listen", TCPS_LISTEN},           {"closing", TCPS_CLOSING},
		{"estab", TCPS_ESTABLISHED},       {"unconn", TCPS_CLOSED},
	};
	uint32_t all = ts_ss_states_all();
	uint32_t connected = all & ~(TS_SS_ST(TCPS_LISTEN) | TS_SS_ST(TCPS_CLOSED));
	uint32_t bucket = TS_SS_ST(TCPS_SYN_RECEIVED) | TS_SS_ST(TCPS_TIME_WAIT);

	if (strcasecmp(word, "all") == 0)
		*mask = all;
	else if (strcasecmp(word, "connected") == 0)
		*mask = connected;
	else if (strcasecmp(word, "synchronized") == 0)
		*mask = connected & ~TS_SS_ST(TCPS_SYN_SENT);
	else if (strcasecmp(word, "bucket") == 0)
		*mask = bucket;
	else if (strcasecmp(word, "big") == 0)
		*mask = all & ~bucket;
	else {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(word, names[i].name) == 0) {
				*mask = TS_SS_ST(names[i].state);
				return 0;
			}
		return -EINVAL;
	}
	return 0;
}

int ts_ss_match(const struct ts_ss_sock *s, const struct ts_ss_filter *f)
{
	uint32_t p = s->proto == IPPROTO_UDP_NUM ? TS_SS_PROTO_UDP : TS_SS_PROTO_TCP;

	/* Linux's inet_diag lists TCP sockets from the established and
	 * listening hashes only: a fresh, bound or failed (CLOSE) TCP socket
	 * never shows. */
	if (p == TS_SS_PROTO_TCP && s->state == TCPS_CLOSED)
		return 0;
	return (f->protos & p) != 0 && (f->states & TS_SS_ST(s->state)) != 0;
}

/* --- filter expressions ------------------------------------------------- */

#define SS_MAX_TOKENS 128

struct expr_parser {
	char *tok[SS_MAX_TOKENS];
	int n, i;
	char *err;
	size_t errlen;
	int bad;
};

static const char *peek(const struct expr_parser *p)
{
	return p->i < p->n ? p->tok[p->i] : NULL;
}

static int is(const char *t, const char *a)
{
	return t != NULL && strcasecmp(t, a) == 0;
}

static struct ts_ss_expr *expr_fail(struct expr_parser *p, const char *what)
{
	if (!p->bad)
		snprintf(p->err, p->errlen, "%s%s%s", what, peek(p) ? " at " : " at the end",
			 peek(p) ? peek(p) : "");
	p->bad = 1;
	return NULL;
}

static struct ts_ss_expr *node(int kind)
{
	struct ts_ss_expr *e = calloc(1, sizeof(*e));

	if (e != NULL)
		e->kind = kind;
	return e;
}

static int parse_port(const char *t, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (t[0] == ':')
		t++;
	if (t[0] < '0' || t[0] > '9')
		return -1;
	v = strtoul(t, &end, 10);
	if (*end != '\0' || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* A.B.C.D[/LEN][:PORT], :PORT, or *[:PORT]. */
static int parse_host(const char *t, struct ts_ss_expr *e)
{
	unsigned a, b, c, d, len = 32;
	char rest[64] = "";
	const char *colon = strrchr(t, ':');

	e->mask = 0;
	e->addr = 0;
	if (colon != NULL && parse_port(colon, &e->port) < 0)
		return -1;
	if (t[0] == ':' || (t[0] == '*' && (t[1] == '\0' || t[1] == ':')))
		return 0;
	if (sscanf(t, "%u.%u.%u.%u%63s", &a, &b, &c, &d, rest) < 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -1;
	if (rest[0] == '/') {
		char *end;

		len = (unsigned)strtoul(rest + 1, &end, 10);
		if (end == rest + 1 || len > 32 || (*end != '\0' && *end != ':'))
			return -1;
	} else if (rest[0] != '\0' && rest[0] != ':') {
		return -1;
	}
	e->mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	e->addr = (a << 24 | b << 16 | c << 8 | d) & e->mask;
	return 0;
}

static int parse_op(const char *t)
{
	static const struct {
		const char *s;
		int op;
	} ops[] = {
		{"=", '='},  {"==", '='}, {"eq", '='}, {"!=", '!'}, {"ne", '!'}, {"neq", '!'},
		{"<", '<'},  {"lt", '<'}, {">", '>'},  {"gt", '>'}, {"<=", 'l'}, {"le", 'l'},
		{"leq", 'l'}, {">=", 'g'}, {"ge", 'g'}, {"geq", 'g'},
	};

	for (size_t i = 0; t != NULL && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcasecmp(t, ops[i].s) == 0)
			return ops[i].op;
	return 0;
}

static struct ts_ss_expr *parse_or(struct expr_parser *p, int depth);

static struct ts_ss_expr *parse_factor(struct expr_parser *p, int depth)
{
	const char *t = peek(p);
	struct ts_ss_expr *e;

	if (t == NULL)
		return expr_fail(p, "condition expected");
	if (depth > 32)
		return expr_fail(p, "expression nested too deeply");
	if (is(t, "not") || is(t, "!")) {
		p->i++;
		e = node(TS_SS_E_NOT);
		if (e == NULL)
			return expr_fail(p, "out of memory");
		e->a = parse_factor(p, depth + 1);
		if (e->a == NULL) {
			ts_ss_expr_free(e);
			return NULL;
		}
		return e;
	}
	if (is(t, "(")) {
		p->i++;
		e = parse_or(p, depth + 1);
		if (e == NULL)
			return NULL;
		if (!is(peek(p), ")")) {
			ts_ss_expr_free(e);
			return expr_fail(p, "')' expected");
		}
		p->i++;
		return e;
	}
	if (is(t, "sport") || is(t, "dport")) {
		e = node(is(t, "sport") ? TS_SS_E_SPORT : TS_SS_E_DPORT);
		if (e == NULL)
			return expr_fail(p, "out of memory");
		p->i++;
		e->op = parse_op(peek(p));
		if (e->op == 0) {
			ts_ss_expr_free(e);
			return expr_fail(p, "comparison (= != < > <= >=) expected");
		}
		p->i++;
		if (peek(p) == NULL || parse_port(peek(p), &e->port) < 0) {
			ts_ss_expr_free(e);
			return expr_fail(p, "port (:N) expected");
		}
		p->i++;
		return e;
	}
	if (is(t, "src") || is(t, "dst")) {
		e = node(is(t, "src") ? TS_SS_E_SRC : TS_SS_E_DST);
		if (e == NULL)
			return expr_fail(p, "out of memory");
		p->i++;
		if (is(peek(p), "=") || is(peek(p), "=="))
			p->i++;
		if (peek(p) == NULL || parse_host(peek(p), e) < 0) {
			ts_ss_expr_free(e);
			return expr_fail(p, "address (A.B.C.D[/LEN][:PORT]) expected");
		}
		p->i++;
		return e;
	}
	return expr_fail(p, "unknown condition");
}

static struct ts_ss_expr *parse_and(struct expr_parser *p, int depth)
{
	struct ts_ss_expr *l = parse_factor(p, depth), *e;

	while (l != NULL && peek(p) != NULL && !is(peek(p), ")") && !is(peek(p), "or") &&
	       !is(peek(p), "||")) {
		if (is(peek(p), "and") || is(peek(p), "&&"))
			p->i++;
		e = node(TS_SS_E_AND);
		if (e == NULL) {
			ts_ss_expr_free(l);
			return expr_fail(p, "out of memory");
		}
		e->a = l;
		e->b = parse_factor(p, depth);
		if (e->b == NULL) {
			ts_ss_expr_free(e);
			return NULL;
		}
		l = e;
	}
	return l;
}

static struct ts_ss_expr *parse_or(struct expr_parser *p, int depth)
{
	struct ts_ss_expr *l = parse_and(p, depth), *e;

	while (l != NULL && (is(peek(p), "or") || is(peek(p), "||"))) {
		p->i++;
		e = node(TS_SS_E_OR);
		if (e == NULL) {
			ts_ss_expr_free(l);
			return expr_fail(p, "out of memory");
		}
		e->a = l;
		e->b = parse_and(p, depth);
		if (e->b == NULL) {
			ts_ss_expr_free(e);
			return NULL;
		}
		l = e;
	}
	return l;
}

int ts_ss_expr_parse(char *const *words, int n, struct ts_ss_expr **out, char *err,
		     size_t errlen)
{
	struct expr_parser p = {.err = err, .errlen = errlen};
	size_t total = 1;
	char *text, *w, *save = NULL;
	int r = 0;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (n <= 0)
		return 0;
	/* Tokens: words split at blanks, with parentheses on their own. */
	for (int i = 0; i < n; i++)
		total += 3 * strlen(words[i]) + 1;
	text = malloc(total);
	if (text == NULL)
		return -ENOMEM;
	text[0] = '\0';
	for (int i = 0; i < n; i++) {
		char *d = text + strlen(text);

		for (const char *c = words[i]; *c != '\0'; c++) {
			if (*c == '(' || *c == ')') {
				*d++ = ' ';
				*d++ = *c;
				*d++ = ' ';
			} else {
				*d++ = *c;
			}
		}
		*d++ = ' ';
		*d = '\0';
	}
	for (w = strtok_r(text, " \t\n", &save); w != NULL; w = strtok_r(NULL, " \t\n", &save)) {
		if (p.n == SS_MAX_TOKENS) {
			snprintf(err, errlen, "expression too long");
			r = -EINVAL;
			goto out;
		}
		p.tok[p.n++] = w;
	}
	*out = parse_or(&p, 0);
	if (*out != NULL && p.i < p.n) {
		expr_fail(&p, "unexpected word");
		ts_ss_expr_free(*out);
		*out = NULL;
	}
	if (*out == NULL)
		r = -EINVAL;
out:
	free(text);
	return r;
}

static int port_cmp(int op, uint16_t have, uint16_t want)
{
	switch (op) {
	case '=': return have == want;
	case '!': return have != want;
	case '<': return have < want;
	case '>': return have > want;
	case 'l': return have <= want;
	case 'g': return have >= want;
	}
	return 0;
}

int ts_ss_expr_match(const struct ts_ss_expr *e, const struct ts_ss_sock *s)
{
	if (e == NULL)
		return 1;
	switch (e->kind) {
	case TS_SS_E_AND: return ts_ss_expr_match(e->a, s) && ts_ss_expr_match(e->b, s);
	case TS_SS_E_OR: return ts_ss_expr_match(e->a, s) || ts_ss_expr_match(e->b, s);
	case TS_SS_E_NOT: return !ts_ss_expr_match(e->a, s);
	case TS_SS_E_SPORT: return port_cmp(e->op, s->lport, e->port);
	case TS_SS_E_DPORT: return port_cmp(e->op, s->rport, e->port);
	case TS_SS_E_SRC:
		return (s->laddr & e->mask) == e->addr && (e->port == 0 || s->lport == e->port);
	case TS_SS_E_DST:
		return (s->raddr & e->mask) == e->addr && (e->port == 0 || s->rport == e->port);
	}
	return 0;
}

void ts_ss_expr_free(struct ts_ss_expr *e)
{
	if (e == NULL)
		return;
	ts_ss_expr_free(e->a);
	ts_ss_expr_free(e->b);
	free(e);
}
