/* TCP: TCB lifecycle, the connection and listener tables, and the user
 * calls (socket, bind, listen, connect, accept, send, recv, shutdown,
 * close, abort, options, info).  Called by the daemon's socket layer and
 * the tests; segments come in through tcp_in.c, go out through tcp_out.c.
 * Read first: RFC 9293 3.9 (user calls), 3.10.1-3.10.6; RFC 6528 (ISN);
 * RFC 7323 2.2 (window scale choice). */
#include "tcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ipv4.h"
#include "tcp_trace.h"
#include "wire.h"

const char *const ts_tcp_timer_names[TCPT_NTIMERS] = {
	"on", "persist", "delack", "keepalive", "timewait", "probe",
};

static long tcb_live;

long ts_tcp_live(void)
{
	return tcb_live;
}

struct ts_tcp *ts_tcp_of(struct ts_engine *eng)
{
	return eng->l4[TS_IPPROTO_TCP].state;
}

/* --- ISN (RFC 6528 3): ISN = M + F(4-tuple, secret) (tcp_isn.c) ------ */

static uint32_t default_isn(struct ts_tcp *tcp, const struct ts_tcp_key *k, uint64_t now)
{
	return ts_tcp_isn(&tcp->secrets, k->laddr, k->lport, k->raddr, k->rport, now);
}

uint32_t ts_tcb_isn(struct ts_tcp *tcp, const struct ts_tcp_key *k, uint64_t now)
{
	return tcp->isn(tcp, k, now);
}

/* --- tables ------------------------------------------------------------ */

struct ts_tcb *ts_tcb_lookup(struct ts_tcp *tcp, const struct ts_tcp_key *k)
{
	struct ts_tcb *tcb;

	HASH_FIND(hh, tcp->conns, k, sizeof(*k), tcb);
	return tcb;
}

/* Linux reuseport_select_sock: reciprocal_scale(hash, num_socks). */
static struct ts_tcb *reuseport_select(struct ts_tcp *tcp, struct ts_tcb *head,
				       uint32_t laddr, uint16_t lport, uint32_t raddr,
				       uint16_t rport)
{
	uint32_t n = 0, i;
	struct ts_tcb *t;

	if (head->rp_next == NULL)
		return head;
	for (t = head; t != NULL; t = t->rp_next)
		n++;
	i = (uint32_t)(((uint64_t)ts_tcp_flow_hash(&tcp->secrets, laddr, lport, raddr, rport) *
			n) >> 32);
	for (t = head; i > 0; i--)
		t = t->rp_next;
	return t;
}

struct ts_tcb *ts_tcb_lookup_listener(struct ts_tcp *tcp, uint32_t laddr, uint16_t lport,
				      uint32_t raddr, uint16_t rport)
{
	struct ts_tcb *tcb;
	uint64_t key = (uint64_t)laddr << 16 | lport;

	/* Linux compute_score: a listener on the exact address scores above
	 * one on INADDR_ANY. */
	HASH_FIND(lh, tcp->listeners, &key, sizeof(key), tcb);
	if (tcb == NULL) {
		key = lport; /* INADDR_ANY */
		HASH_FIND(lh, tcp->listeners, &key, sizeof(key), tcb);
	}
	return tcb != NULL ? reuseport_select(tcp, tcb, laddr, lport, raddr, rport) : NULL;
}

int ts_tcb_hash(struct ts_tcb *tcb)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);

	if (tcb->hashed)
		return 0;
	if (ts_tcb_lookup(tcp, &tcb->key) != NULL)
		return -EADDRINUSE;
	HASH_ADD(hh, tcp->conns, key, sizeof(tcb->key), tcb);
	tcb->hashed = 1;
	return 0;
}

/* Takes a listener out of the listening hash, or out of its SO_REUSEPORT
 * group: the rest of the group keeps serving (Linux
 * reuseport_detach_sock). */
static void listener_unhash(struct ts_tcp *tcp, struct ts_tcb *tcb)
{
	struct ts_tcb *head;

	HASH_FIND(lh, tcp->listeners, &tcb->lkey, sizeof(tcb->lkey), head);
	if (head == tcb) {
		HASH_DELETE(lh, tcp->listeners, tcb);
		if (tcb->rp_next != NULL)
			HASH_ADD(lh, tcp->listeners, lkey, sizeof(tcb->rp_next->lkey), tcb->rp_next);
	} else if (head != NULL) {
		struct ts_tcb **pp = &head->rp_next;

		while (*pp != NULL && *pp != tcb)
			pp = &(*pp)->rp_next;
		if (*pp == tcb)
			*pp = tcb->rp_next;
	}
	tcb->rp_next = NULL;
	tcb->listen_hashed = 0;
}

static void tcb_unhash(struct ts_tcb *tcb)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);

	if (tcb->hashed) {
		HASH_DELETE(hh, tcp->conns, tcb);
		tcb->hashed = 0;
	}
	if (tcb->listen_hashed)
		listener_unhash(tcp, tcb);
}

/* --- bind buckets (Linux inet_bind_bucket, inet_csk_get_port) ---------- */

static struct ts_tcp_bucket *bucket_find(struct ts_tcp *tcp, uint16_t port)
{
	struct ts_tcp_bucket *b;

	HASH_FIND(hh, tcp->bhash, &port, sizeof(port), b);
	return b;
}

/* tcb becomes an owner of port (the bucket made if needed). */
static int bucket_add(struct ts_tcp *tcp, struct ts_tcb *tcb, uint16_t port, int fastreuse)
{
	struct ts_tcp_bucket *b = bucket_find(tcp, port);

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		b->port = port;
		b->fastreuse = (int8_t)fastreuse;
		HASH_ADD(hh, tcp->bhash, port, sizeof(b->port), b);
	} else if (fastreuse == 0) {
		/* Linux inet_csk_update_fastreuse: a bind without
		 * SO_REUSEADDR joining owners ends the fast path (and makes
		 * a connect-made port private); connects leave it as is. */
		b->fastreuse = 0;
	}
	tcb->bnext = b->owners;
	b->owners = tcb;
	b->n++;
	tcb->bucket = b;
	tcb->key.lport = port;
	tcb->flags |= TF_BOUND;
	return 0;
}

/* Linux inet_put_port: tcb lets go of its local port. */
static void tcb_unbind(struct ts_tcb *tcb)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);
	struct ts_tcp_bucket *b = tcb->bucket;
	struct ts_tcb **pp;

	tcb->flags &= ~(TF_BOUND | TF_PORT_LOCK);
	if (b == NULL)
		return;
	for (pp = &b->owners; *pp != NULL && *pp != tcb; pp = &(*pp)->bnext)
		;
	if (*pp == tcb) {
		*pp = tcb->bnext;
		b->n--;
	}
	tcb->bnext = NULL;
	tcb->bucket = NULL;
	if (b->owners == NULL) {
		HASH_DELETE(hh, tcp->bhash, b);
		free(b);
	}
}

void ts_tcb_inherit_port(struct ts_tcb *child, struct ts_tcb *l)
{
	struct ts_tcp_bucket *b = l->bucket;

	if (b == NULL)
		return;
	child->bnext = b->owners;
	b->owners = child;
	b->n++;
	child->bucket = b;
	child->flags |= TF_BOUND;
}

/* Linux inet_rcv_saddr_equal(sk, sk2, match_wildcard = true). */
static int addr_overlap(uint32_t a, uint32_t b)
{
	return a == b || a == 0 || b == 0;
}

/* Linux 6.1 inet_csk_bind_conflict: would tcb, on addr, conflict with an
 * owner of b?  relax: two SO_REUSEADDR sockets may share (not listening
 * owners only); reuseport_ok: SO_REUSEPORT sockets of one uid may share
 * (a TIME-WAIT one whatever its uid).  A TIME-WAIT owner keeps the flags
 * of the socket it was (Linux inet_twsk_alloc copies sk_reuse), so it
 * yields to SO_REUSEADDR only if it had it too. */
static int bind_conflict(const struct ts_tcb *tcb, const struct ts_tcp_bucket *b,
			 uint32_t addr, int relax, int reuseport_ok)
{
	int reuse = !!(tcb->flags & TF_REUSEADDR);
	int reuseport = reuseport_ok && tcb->flags & TF_REUSEPORT;

	for (const struct ts_tcb *o = b->owners; o != NULL; o = o->bnext) {
		int o_reuse = reuse && o->flags & TF_REUSEADDR && o->state != TCPS_LISTEN;

		if (o == tcb || !addr_overlap(addr, o->key.laddr))
			continue;
		if (!o_reuse && !(reuseport && o->flags & TF_REUSEPORT &&
				  (o->state == TCPS_TIME_WAIT || o->uid == tcb->uid)))
			return 1;
		if (!relax && o_reuse)
			return 1;
	}
	return 0;
}

/* Linux inet_csk_find_open_port, for bind(port 0) and listen() on an
 * unbound socket: a random start, odd offsets first (connect() favours
 * the other parity), the lower half of the range first for SO_REUSEADDR
 * sockets; a port is free when no owner conflicts even without the
 * relaxations.  0 when the range is full. */
static uint16_t find_open_port(struct ts_tcp *tcp, const struct ts_tcb *tcb, uint32_t addr)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	int attempt_half = tcb->flags & TF_REUSEADDR ? 1 : 0;

	for (;;) {
		uint32_t low = (uint32_t)sc->ip_local_port_range[0];
		uint32_t high = (uint32_t)sc->ip_local_port_range[1] + 1;
		uint32_t remaining, offset;

		if (high <= low)
			high = low + 1;
		if (high - low < 4)
			attempt_half = 0;
		if (attempt_half) {
			uint32_t half = low + (((high - low) >> 2) << 1);

			if (attempt_half == 1)
				high = half;
			else
				low = half;
		}
		remaining = high - low;
		if (remaining > 1)
			remaining &= ~1u;
		offset = ts_engine_rand(tcb->eng) % remaining;
		offset |= 1u;
		for (int parity = 0; parity < 2; parity++, offset--) {
			uint32_t port = low + offset;

			for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
				struct ts_tcp_bucket *b;

				if (port >= high)
					port -= remaining;
				b = bucket_find(tcp, (uint16_t)port);
				if (b == NULL || !bind_conflict(tcb, b, addr, 0, 0))
					return (uint16_t)port;
			}
			if (remaining <= 1)
				break;
		}
		if (attempt_half != 1)
			return 0;
		attempt_half = 2; /* the upper half */
	}
}

/* Linux inet_csk_get_port: 0, or -EADDRINUSE. */
static int get_port(struct ts_tcp *tcp, struct ts_tcb *tcb, uint32_t addr, uint16_t port)
{
	struct ts_tcp_bucket *b;
	int reuse = tcb->flags & TF_REUSEADDR && tcb->state != TCPS_LISTEN;

	if (port == 0) {
		port = find_open_port(tcp, tcb, addr);
		if (port == 0)
			return -EADDRINUSE;
	} else if ((b = bucket_find(tcp, port)) != NULL &&
		   bind_conflict(tcb, b, addr, 1, 1)) {
		return -EADDRINUSE;
	}
	return bucket_add(tcp, tcb, port, reuse);
}

/* --- TCB lifecycle ----------------------------------------------------- */

struct ts_tcb *ts_tcb_alloc(struct ts_engine *eng)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	struct ts_tcb *tcb = calloc(1, sizeof(*tcb));

	if (tcb == NULL)
		return NULL;
	tcb->eng = eng;
	tcb->state = TCPS_CLOSED;
	for (int i = 0; i < TCPT_NTIMERS; i++)
		tcb->timer[i] = TS_NEVER;
	tcb->heap_idx = -1;
	tcb->rto = (uint64_t)eng->sysctl.tcp_rto_initial[0] * TS_USEC_PER_MSEC;
	tcb->linger_secs = -1;
	tcb->bind_priv = 1; /* the daemon clears it per credentials */
	tcb->cc_algo = (int)eng->sysctl.tcp_congestion_control[0];
	tcb->peer_mss = 536;
	tcb->mss = 536;
	tcb->rcv_mss = 536;
	tcb->quickack = 16; /* Linux TCP_MAX_QUICKACKS */
	ts_asm_init(&tcb->ooo);
	ts_sack_init(&tcb->sb);
	tcb->all_next = tcp->all;
	if (tcp->all != NULL)
		tcp->all->all_prev = tcb;
	tcp->all = tcb;
	tcp->ntcb++;
	tcb_live++;
	return tcb;
}

void ts_tcb_free(struct ts_tcb *tcb)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);

	/* A listener closed, a half-open child dropped: the end of it. */
	if (tcb->eng->trace.ring != NULL && tcb->state != TCPS_CLOSED && !tcb->zombie)
		ts_tcp_trace_state(tcb, TCPS_CLOSED, "freed", tcb->eng->now);
	tcb_unhash(tcb);
	tcb_unbind(tcb);
	ts_tcp_orphan_uncount(tcb);
	ts_tcp_timers_stop(tcb);
	if (tcb->listener != NULL) {
		struct ts_tcb *l = tcb->listener;

		if (tcb->flags & TF_ACCEPTQ) {
			struct ts_tcb **pp = &l->acc_head;

			while (*pp != NULL && *pp != tcb)
				pp = &(*pp)->acc_next;
			if (*pp == tcb)
				*pp = tcb->acc_next;
			l->acc_tail = NULL;
			for (struct ts_tcb *c = l->acc_head; c != NULL; c = c->acc_next)
				l->acc_tail = c;
			l->accept_qlen--;
		} else {
			l->syn_qlen--;
		}
		tcb->listener = NULL;
	}
	if (tcp->busy > 0) {
		/* Inside an entry point: keep the memory until it returns. */
		if (!tcb->zombie) {
			tcb->zombie = 1;
			tcb->cb = NULL;
			tcb->state = TCPS_CLOSED;
			ts_tcp_timers_stop(tcb);
			tcb->zombie_next = tcp->zombies;
			tcp->zombies = tcb;
		}
		return;
	}
	if (tcb->all_prev != NULL)
		tcb->all_prev->all_next = tcb->all_next;
	else
		tcp->all = tcb->all_next;
	if (tcb->all_next != NULL)
		tcb->all_next->all_prev = tcb->all_prev;
	ts_ringbuf_free(&tcb->snd);
	ts_ringbuf_free(&tcb->rcv);
	free(tcb->xl);
	tcp->ntcb--;
	tcb_live--;
	free(tcb);
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t p = 4096;

	while (p < v && p < TS_RINGBUF_MAX)
		p <<= 1;
	return p;
}

int ts_tcp_init_buffers(struct ts_tcb *tcb)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	int r;

	if (tcb->snd.size == 0) {
		r = ts_ringbuf_init(&tcb->snd, tcb->snd_want ? tcb->snd_want
							     : pow2_at_least((uint64_t)sc->tcp_wmem[1]));
		if (r < 0)
			return r;
	}
	if (tcb->rcv.size == 0) {
		r = ts_ringbuf_init(&tcb->rcv, tcb->rcv_want ? tcb->rcv_want
							     : pow2_at_least((uint64_t)sc->tcp_rmem[1]));
		if (r < 0)
			return r;
	}
	return 0;
}

void ts_tcp_sndbuf_expand(struct ts_tcb *tcb)
{
	uint64_t segs = tcb->cc.cwnd > 10 ? tcb->cc.cwnd : 10;
	uint64_t want = 2 * segs * ts_tcb_eff_mss(tcb);
	uint64_t max = (uint64_t)tcb->eng->sysctl.tcp_wmem[2];

	if (tcb->flags & TF_SNDBUF_LOCK || tcb->snd.size == 0)
		return;
	if (want > max)
		want = max;
	if (want > tcb->snd.size)
		ts_ringbuf_resize(&tcb->snd, pow2_at_least(want)); /* kept on -ENOMEM */
}

/* Linux tcp_rcv_space_adjust, simplified: once per RTT, a program that
 * read more than a quarter of the buffer gets it doubled (up to
 * tcp_rmem[2]), so the window can follow the bandwidth-delay product. */
static void rcvbuf_adjust(struct ts_tcb *tcb, uint64_t now)
{
	uint64_t rtt = tcb->srtt ? tcb->srtt : TS_USEC_PER_MSEC;
	uint64_t max = (uint64_t)tcb->eng->sysctl.tcp_rmem[2];

	if (now - tcb->rcv_space_stamp < rtt)
		return;
	if (!(tcb->flags & TF_RCVBUF_LOCK) && tcb->rcv.size && tcb->rcv_copied > tcb->rcv.size / 4 &&
	    (uint64_t)tcb->rcv.size * 2 <= max && ts_asm_empty(&tcb->ooo) &&
	    (65535ull << tcb->rcv_wscale) >= (uint64_t)tcb->rcv.size * 2)
		ts_ringbuf_resize(&tcb->rcv, tcb->rcv.size * 2);
	tcb->rcv_copied = 0;
	tcb->rcv_space_stamp = now;
}

uint32_t ts_tcb_rcvbuf(const struct ts_tcb *tcb)
{
	if (tcb->rcv.size)
		return tcb->rcv.size;
	if (tcb->rcv_want)
		return tcb->rcv_want;
	return pow2_at_least((uint64_t)tcb->eng->sysctl.tcp_rmem[1]);
}

void ts_tcp_set_state(struct ts_tcb *tcb, int state)
{
	ts_tcp_state_set(tcb, state, NULL, tcb->eng->now);
}

/* --- trace (tcp_trace.h) ----------------------------------------------- */

/* "A.B.C.D:P A.B.C.D:P": local end first. */
static void tuple_str(char *buf, size_t len, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
	char a[16], b[16];

	snprintf(buf, len, "%s:%u %s:%u", ts_ip4_str(la, a), lp, ts_ip4_str(ra, b), rp);
}

void ts_tcp_trace_emit(const struct ts_tcb *tcb, uint64_t now, unsigned kind, const char *fmt,
		       ...)
{
	char t[48], msg[TS_TRACE_MSG];
	va_list ap;

	if (tcb->eng->trace.ring == NULL)
		return;
	tuple_str(t, sizeof(t), tcb->key.laddr, tcb->key.lport, tcb->key.raddr, tcb->key.rport);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ts_trace_emit(&tcb->eng->trace, now, kind, "%s %s", t, msg);
}

/* Linux's names (ss), except CLOSED: ss says UNCONN for a socket never
 * connected, Linux's tcp_set_state (and its sock:inet_sock_set_state
 * tracepoint) says CLOSE for a connection that ended. */
static const char *trace_state_name(int s)
{
	return s == TCPS_CLOSED ? "CLOSE" : ts_tcp_state_name(s);
}

void ts_tcp_trace_state(const struct ts_tcb *tcb, int state, const char *why, uint64_t now)
{
	TS_TCP_TRACE(tcb, now, TS_TRACE_STATE, "%s -> %s%s%s%s", trace_state_name(tcb->state),
		     trace_state_name(state), why != NULL ? " (" : "", why != NULL ? why : "",
		     why != NULL ? ")" : "");
}

void ts_tcp_trace_rxt(const struct ts_tcb *tcb, uint64_t now, uint8_t flags, uint32_t seq,
		      uint32_t len, const char *why)
{
	uint32_t rel = seq - tcb->iss;
	uint32_t end = rel + len + !!(flags & TH_SYN) + !!(flags & TH_FIN);

	TS_TCP_TRACE(tcb, now, TS_TRACE_RETRANS, "retrans seq=%u..%u len=%u reason=%s abs=%u", rel,
		     end, len, why, seq);
}

void ts_tcp_trace_drop(const struct ts_tcb *tcb, uint64_t now, const char *counter,
		       const char *why)
{
	TS_TCP_TRACE(tcb, now, TS_TRACE_DROP, "drop %s%s%s%s", counter, *why ? " (" : "", why,
		     *why ? ")" : "");
}

void ts_tcp_trace_seg_drop(struct ts_engine *eng, const struct tcp_seg *seg, const char *counter,
			   const char *why)
{
	char t[48];

	if (eng->trace.ring == NULL)
		return;
	tuple_str(t, sizeof(t), seg->dst, seg->th.dport, seg->src, seg->th.sport);
	ts_trace_emit(&eng->trace, seg->now, TS_TRACE_DROP, "%s drop %s%s%s%s", t, counter,
		      *why ? " (" : "", why, *why ? ")" : "");
}

uint16_t ts_tcp_mss_for(struct ts_engine *eng, uint32_t raddr)
{
	unsigned mtu = eng->mtu ? eng->mtu : 1500;

	/* Linux's loopback MTU is 65536: MSS 65483 after IP+TCP+TS.  The
	 * in-engine loopback carries any size; keep Linux's number. */
	if (ts_engine_is_local(eng, raddr))
		mtu = 65535;
	/* RFC 9293 3.7.1: MSS = MTU - 20 (IP) - 20 (TCP). */
	return (uint16_t)(mtu - TS_IP_HLEN - TS_TCP_HLEN);
}

/* RFC 7323 2.2 / Linux tcp_select_initial_window: the smallest shift that
 * lets the largest receive buffer be advertised. */
uint8_t ts_tcp_choose_wscale(struct ts_engine *eng, uint32_t bufsize)
{
	int64_t space = eng->sysctl.tcp_rmem[2];
	uint8_t ws = 0;

	if (eng->sysctl.rmem_max[0] > space)
		space = eng->sysctl.rmem_max[0];
	/* tapsock lets SO_RCVBUF exceed rmem_max: make sure it fits. */
	if ((int64_t)bufsize > space)
		space = bufsize;
	while (ws < TS_TCP_MAX_WSCALE && (space >> ws) > 65535)
		ws++;
	return ws;
}

/* Why a connection ended, for the trace. */
static const char *err_why(int err)
{
	switch (err) {
	case 0:
		return NULL;
	case ETIMEDOUT:
		return "timeout";
	case ECONNRESET:
		return "rst";
	case ECONNREFUSED:
		return "refused";
	case EPIPE:
		return "epipe";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	default:
		return "error";
	}
}

void ts_tcp_done(struct ts_tcb *tcb, int err)
{
	const struct ts_tcp_callbacks *cb = tcb->cb;

	ts_tcp_timers_stop(tcb);
	ts_tcp_state_set(tcb, TCPS_CLOSED, err_why(err), tcb->eng->now);
	tcb_unhash(tcb);
	/* Linux tcp_set_state(TCP_CLOSE): the port goes back unless bind()
	 * chose it (SOCK_BINDPORT_LOCK).  Unlike Linux the TCB keeps
	 * key.lport, which getsockname and ss still show. */
	if (!(tcb->flags & TF_PORT_LOCK))
		tcb_unbind(tcb);
	if (tcb->flags & TF_ORPHAN || tcb->listener != NULL) {
		/* Nobody holds it: an orphan, or a child never accepted
		 * (Linux drops a reset child from the accept queue too). */
		ts_tcb_free(tcb);
		return;
	}
	if (err) {
		tcb->so_error = err;
		if (cb != NULL && cb->on_error != NULL)
			cb->on_error(tcb, err, tcb->user);
	} else if (cb != NULL && cb->on_closed != NULL) {
		cb->on_closed(tcb, tcb->user);
	}
}

void ts_tcp_enter(struct ts_tcp *tcp)
{
	tcp->busy++;
}

void ts_tcp_leave(struct ts_tcp *tcp)
{
	if (--tcp->busy > 0)
		return;
	while (tcp->zombies != NULL) {
		struct ts_tcb *z = tcp->zombies;

		tcp->zombies = z->zombie_next;
		ts_tcb_free(z);
	}
}

/* --- layer setup ------------------------------------------------------- */

static uint64_t l4_poll(struct ts_engine *eng, uint64_t now)
{
	return ts_tcp_poll(eng, now);
}

int ts_tcp_init(struct ts_engine *eng)
{
	struct ts_tcp *tcp = calloc(1, sizeof(*tcp));

	if (tcp == NULL)
		return -ENOMEM;
	tcp->eng = eng;
	tcp->output = ts_ip_output;
	tcp->isn = default_isn;
	if (ts_tcp_secrets_init(&tcp->secrets) < 0)
		ts_tcp_secrets_set(&tcp->secrets,
				   (uint64_t)ts_engine_rand(eng) << 32 | ts_engine_rand(eng));
	tcp->next_port = (uint16_t)ts_engine_rand(eng);
	for (int i = 0; i < 256; i++)
		tcp->perturb[i] = ts_engine_rand(eng);
	eng->l4[TS_IPPROTO_TCP].input = ts_tcp_input;
	eng->l4[TS_IPPROTO_TCP].icmp_error = ts_tcp_icmp_error;
	eng->l4[TS_IPPROTO_TCP].poll = l4_poll;
	eng->l4[TS_IPPROTO_TCP].state = tcp;
	return 0;
}

void ts_tcp_destroy(struct ts_engine *eng)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);

	if (tcp == NULL)
		return;
	tcp->busy = 0;
	tcp->zombies = NULL;
	while (tcp->all != NULL) {
		tcp->all->listener = NULL;
		ts_tcb_free(tcp->all);
	}
	free(tcp->heap);
	free(tcp);
	memset(&eng->l4[TS_IPPROTO_TCP], 0, sizeof(eng->l4[TS_IPPROTO_TCP]));
}

/* --- user calls -------------------------------------------------------- */

struct ts_tcb *ts_tcp_socket(struct ts_engine *eng, const struct ts_tcp_callbacks *cb,
			     void *user)
{
	struct ts_tcb *tcb = ts_tcb_alloc(eng);

	if (tcb == NULL)
		return NULL;
	tcb->cb = cb;
	tcb->user = user;
	return tcb;
}

/* Linux inet_bind: EINVAL (bound already), EADDRNOTAVAIL (not a local
 * address), EACCES (privileged port), then inet_csk_get_port's
 * EADDRINUSE (a conflict, or no free port for port 0). */
int ts_tcp_bind(struct ts_tcb *tcb, uint32_t addr, uint16_t port)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);
	int r;

	if (tcb->state != TCPS_CLOSED || tcb->flags & TF_BOUND)
		return -EINVAL;
	if (addr != 0 && !ts_engine_is_local(tcb->eng, addr))
		return -EADDRNOTAVAIL;
	/* Linux inet_bind: privileged ports need CAP_NET_BIND_SERVICE. */
	if (port != 0 && port < tcb->eng->sysctl.ip_unprivileged_port_start[0] && !tcb->bind_priv)
		return -EACCES;
	tcb->key.laddr = addr;
	if ((r = get_port(tcp, tcb, addr, port)) < 0) {
		tcb->key.laddr = 0;
		return r;
	}
	if (port != 0)
		tcb->flags |= TF_PORT_LOCK;
	return 0;
}

/* Linux inet_csk_listen_start: the port is checked again as a listener
 * (inet_csk_get_port with the state already LISTEN), then the socket
 * joins the listening hash, in the SO_REUSEPORT group of a listener with
 * the same address, port and uid if there is one (inet_reuseport_add_sock). */
int ts_tcp_listen(struct ts_tcb *tcb, int backlog)
{
	struct ts_tcp *tcp = ts_tcp_of(tcb->eng);
	int64_t somax = tcb->eng->sysctl.somaxconn[0];
	struct ts_tcb *head;
	int r;

	if (tcb->state == TCPS_LISTEN) {
		/* Linux: listen() again only changes the backlog. */
		tcb->backlog = backlog < 0 || backlog > somax ? (int)somax : backlog;
		return 0;
	}
	if (tcb->state != TCPS_CLOSED)
		return -EINVAL;
	ts_tcp_state_set(tcb, TCPS_LISTEN, NULL, tcb->eng->now);
	if (!(tcb->flags & TF_BOUND))
		r = get_port(tcp, tcb, tcb->key.laddr, 0);
	else
		r = bind_conflict(tcb, tcb->bucket, tcb->key.laddr, 1, 1) ? -EADDRINUSE : 0;
	if (r < 0) {
		ts_tcp_state_set(tcb, TCPS_CLOSED, "eaddrinuse", tcb->eng->now);
		return r;
	}
	/* Linux: the backlog is clamped by net.core.somaxconn. */
	tcb->backlog = backlog < 0 || backlog > somax ? (int)somax : backlog;
	tcb->lkey = (uint64_t)tcb->key.laddr << 16 | tcb->key.lport;
	HASH_FIND(lh, tcp->listeners, &tcb->lkey, sizeof(tcb->lkey), head);
	if (head != NULL) {
		/* Only a SO_REUSEPORT group of the same uid gets past the
		 * conflict check: join it, last. */
		struct ts_tcb *t = head;

		while (t->rp_next != NULL)
			t = t->rp_next;
		t->rp_next = tcb;
	} else {
		HASH_ADD(lh, tcp->listeners, lkey, sizeof(tcb->lkey), tcb);
	}
	tcb->rp_next = NULL;
	tcb->listen_hashed = 1;
	return 0;
}

uint32_t ts_tcb_eff_mss(const struct ts_tcb *tcb)
{
	uint32_t m = tcb->mss;

	if (tcb->flags & TF_TS)
		m -= 12;
	return m ? m : 1;
}

void ts_tcb_cc_start(struct ts_tcb *tcb, uint64_t now)
{
	const struct ts_tcp_cc_ops *ops = ts_tcp_cc_by_index(tcb->cc_algo);

	if (ops == NULL)
		ops = &ts_tcp_cubic_ops;
	/* RFC 6928 / Linux: IW = tcp_initial_cwnd (10) segments; ssthresh
	 * starts "arbitrarily high" (RFC 5681 3.1). */
	ts_tcp_cc_init(&tcb->cc, ops, ts_tcb_eff_mss(tcb),
		       (uint32_t)tcb->eng->sysctl.tcp_initial_cwnd[0], now);
}

uint32_t ts_tcb_cwnd(const struct ts_tcb *tcb)
{
	uint64_t c = ts_tcp_cc_cwnd_bytes(&tcb->cc);

	return c > 0x7fffffff ? 0x7fffffff : (uint32_t)c;
}

/* Linux __inet_hash_connect: an ephemeral port for connect() on an
 * unbound socket.  The search starts at a keyed hash of (saddr, daddr,
 * dport) plus a per-hash perturbation, even offsets first; a port bound by
 * bind()/listen() is never taken, one that only connect() uses is shared
 * when the 4-tuple is new (so many connections to different peers may
 * share a local port).  -EADDRNOTAVAIL when no port is left. */
static int hash_connect(struct ts_tcp *tcp, struct ts_tcb *tcb)
{
	struct ts_sysctl *sc = &tcb->eng->sysctl;
	uint32_t low = (uint32_t)sc->ip_local_port_range[0];
	uint32_t high = (uint32_t)sc->ip_local_port_range[1] + 1;
	uint64_t port_offset = ts_siphash_3u32(&tcp->secrets.flow, tcb->key.laddr,
					       tcb->key.raddr, tcb->key.rport);
	uint32_t idx = (uint32_t)port_offset & 255u;
	uint32_t remaining, offset, i = 0;

	if (high <= low)
		high = low + 1;
	remaining = high - low;
	if (remaining > 1)
		remaining &= ~1u;
	offset = (tcp->perturb[idx] + (uint32_t)(port_offset >> 32)) % remaining;
	offset &= ~1u;
	for (int parity = 0; parity < 2; parity++, offset++) {
		uint32_t port = low + offset;

		for (i = 0; i < remaining; i += 2, port += 2) {
			struct ts_tcp_bucket *b;

			if (port >= high)
				port -= remaining;
			b = bucket_find(tcp, (uint16_t)port);
			tcb->key.lport = (uint16_t)port;
			if (b != NULL && (b->fastreuse >= 0 || ts_tcb_lookup(tcp, &tcb->key) != NULL))
				continue;
			if (bucket_add(tcp, tcb, (uint16_t)port, -1) < 0 || ts_tcb_hash(tcb) < 0) {
				tcb_unbind(tcb);
				tcb->key.lport = 0;
				return -ENOMEM;
			}
			/* Linux: a little randomness for the next search. */
			{
				uint32_t rnd = (ts_engine_rand(tcb->eng) % 8) * 2;

				tcp->perturb[idx] += (i > rnd ? i : rnd) + 2;
			}
			return 0;
		}
		if (remaining <= 1)
			break;
	}
	tcb->key.lport = 0;
	return -EADDRNOTAVAIL;
}

int ts_tcp_connect(struct ts_tcb *tcb, uint32_t addr, uint16_t port, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;
	struct ts_tcp *tcp = ts_tcp_of(eng);
	int r;

	switch (tcb->state) {
	case TCPS_CLOSED:
		break;
	case TCPS_SYN_SENT:
		return -EALREADY;
	case TCPS_LISTEN:
		return -EINVAL;
	default:
		return -EISCONN;
	}
	if (tcb->so_error != 0 || (tcb->flags & TF_FIN_QUEUED))
		return -EISCONN; /* a used socket stays used (simplified) */
	if (port == 0 || addr == 0)
		return -ECONNREFUSED; /* Linux: connect to port 0 is refused */
	tcb->key.raddr = addr;
	tcb->key.rport = port;
	if (tcb->key.laddr == 0)
		tcb->key.laddr = ts_ip_select_src(eng, addr);
	if (!(tcb->flags & TF_BOUND))
		r = hash_connect(tcp, tcb);
	else
		r = ts_tcb_hash(tcb) < 0 ? -EADDRNOTAVAIL : 0; /* __inet_check_established */
	if (r < 0) {
		/* Linux tcp_v4_connect's failure path forgets the peer. */
		tcb->key.raddr = 0;
		tcb->key.rport = 0;
		if (!(tcb->flags & TF_BOUND))
			tcb->key.laddr = 0;
		return r;
	}
	if ((r = ts_tcp_init_buffers(tcb)) < 0)
		return r;
	tcb->adv_mss = ts_tcp_mss_for(eng, addr);
	if (tcb->user_mss && tcb->user_mss < tcb->adv_mss)
		tcb->adv_mss = tcb->user_mss;
	tcb->rcv_wscale = eng->sysctl.tcp_window_scaling[0] ? ts_tcp_choose_wscale(eng, ts_tcb_rcvbuf(tcb)) : 0;
	tcb->iss = ts_tcb_isn(tcp, &tcb->key, now);
	tcb->snd_una = tcb->iss;
	tcb->snd_nxt = tcb->iss;
	tcb->snd_max = tcb->iss;
	tcb->snd_buf_seq = tcb->iss + 1;
	tcb->snd_sml = tcb->iss;
	tcb->ts_offset = ts_tcp_ts_off(&tcp->secrets, tcb->key.laddr, tcb->key.raddr);
	tcb->created = now;
	tcb->mss = tcb->adv_mss;
	ts_tcb_cc_start(tcb, now);
	ts_tcp_state_set(tcb, TCPS_SYN_SENT, NULL, now);
	eng->stats.TcpActiveOpens++;
	/* RFC 9293 3.10.1: send SYN, enter SYN-SENT. */
	ts_tcp_output(tcb, now);
	return 0;
}

struct ts_tcb *ts_tcp_accept(struct ts_tcb *listener, const struct ts_tcp_callbacks *cb,
			     void *user, int *err)
{
	struct ts_tcb *c;

	if (listener->state != TCPS_LISTEN) {
		*err = -EINVAL;
		return NULL;
	}
	c = listener->acc_head;
	if (c == NULL) {
		*err = -EAGAIN;
		return NULL;
	}
	listener->acc_head = c->acc_next;
	if (listener->acc_head == NULL)
		listener->acc_tail = NULL;
	listener->accept_qlen--;
	c->acc_next = NULL;
	c->listener = NULL;
	c->flags &= ~TF_ACCEPTQ;
	c->cb = cb;
	c->user = user;
	*err = 0;
	return c;
}

int ts_tcp_take_error(struct ts_tcb *tcb)
{
	int e = tcb->so_error;

	tcb->so_error = 0;
	return e;
}

size_t ts_tcp_readable(const struct ts_tcb *tcb)
{
	return ts_ringbuf_len(&tcb->rcv);
}

size_t ts_tcp_writable(const struct ts_tcb *tcb)
{
	if (tcb->state != TCPS_ESTABLISHED && tcb->state != TCPS_CLOSE_WAIT)
		return 0;
	if (tcb->flags & TF_FIN_QUEUED)
		return 0;
	return ts_ringbuf_space(&tcb->snd);
}

ssize_t ts_tcp_send(struct ts_tcb *tcb, const void *data, size_t len, uint64_t now)
{
	size_t n;

	if (tcb->so_error) {
		int e = tcb->so_error;

		tcb->so_error = 0;
		return -e;
	}
	if (tcb->flags & TF_FIN_QUEUED)
		return -EPIPE;
	switch (tcb->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EAGAIN;
	case TCPS_CLOSED:
		/* Linux: after a reset or a completed close, EPIPE. */
		return tcb->key.raddr != 0 ? -EPIPE : -ENOTCONN;
	case TCPS_LISTEN:
		return -ENOTCONN;
	default:
		return -EPIPE;
	}
	n = ts_ringbuf_write(&tcb->snd, data, len);
	if (n > 0)
		ts_tcp_output(tcb, now);
	return n == 0 && len > 0 ? -EAGAIN : (ssize_t)n;
}

ssize_t ts_tcp_recv(struct ts_tcb *tcb, void *buf, size_t len, uint64_t now)
{
	uint32_t before, after;
	size_t n;

	if (ts_ringbuf_len(&tcb->rcv) == 0) {
		if (tcb->so_error) {
			int e = tcb->so_error;

			tcb->so_error = 0;
			return -e;
		}
		if (tcb->flags & (TF_RCVD_FIN | TF_SHUT_RD))
			return 0;
		if (tcb->state == TCPS_CLOSED || tcb->state == TCPS_LISTEN)
			return tcb->state == TCPS_LISTEN ? -ENOTCONN : 0;
		return -EAGAIN;
	}
	before = ts_tcp_select_window(tcb);
	n = buf != NULL ? ts_ringbuf_read(&tcb->rcv, buf, len) : ts_ringbuf_consume(&tcb->rcv, len);
	tcb->rcv_copied += (uint32_t)n;
	if (TCPS_HAVEESTABLISHED(tcb->state))
		rcvbuf_adjust(tcb, now);
	after = ts_tcp_select_window(tcb);
	/* RFC 9293 3.8.6.2.2 / Linux tcp_cleanup_rbuf: announce a window that
	 * reopened by at least an MSS and doubled, so the sender is not stuck
	 * behind a window it last saw nearly closed. */
	if (TCPS_HAVEESTABLISHED(tcb->state) && !(tcb->flags & TF_RCVD_FIN) &&
	    after >= before + tcb->rcv_mss && after >= 2 * before) {
		tcb->flags |= TF_ACKNOW;
		ts_tcp_output(tcb, now);
	}
	return (ssize_t)n;
}

static void listener_stop(struct ts_tcb *l, uint64_t now);

int ts_tcp_shutdown(struct ts_tcb *tcb, int how, uint64_t now)
{
	if (how < 0 || how > 2)
		return -EINVAL;
	if (tcb->state == TCPS_LISTEN && how != 1) {
		/* Linux inet_shutdown: RCV_SHUTDOWN on a listener disconnects
		 * it (tcp_disconnect -> inet_csk_listen_stop): the children
		 * not accepted are reset, the socket is CLOSED (accept() says
		 * EINVAL, listen() may be called again) and keeps its port
		 * only if bind() chose it. */
		listener_stop(tcb, now);
		tcb_unhash(tcb);
		if (!(tcb->flags & TF_PORT_LOCK))
			tcb_unbind(tcb);
		ts_tcp_state_set(tcb, TCPS_CLOSED, "shutdown", now);
		return 0;
	}
	switch (tcb->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		/* Linux: shutdown on an unconnected socket is ENOTCONN; on a
		 * connecting one it closes it. */
		if (tcb->state == TCPS_SYN_SENT) {
			tcb_unhash(tcb);
			if (!(tcb->flags & TF_PORT_LOCK))
				tcb_unbind(tcb); /* Linux tcp_disconnect */
			ts_tcp_timers_stop(tcb);
			ts_tcp_state_set(tcb, TCPS_CLOSED, "shutdown", now);
			return 0;
		}
		return -ENOTCONN;
	default:
		break;
	}
	if (how == 0 || how == 2)
		tcb->flags |= TF_SHUT_RD;
	if ((how == 1 || how == 2) && !(tcb->flags & TF_FIN_QUEUED)) {
		/* RFC 9293 3.10.4: CLOSE in ESTABLISHED queues a FIN after
		 * the data and enters FIN-WAIT-1; in CLOSE-WAIT, LAST-ACK. */
		if (tcb->state == TCPS_ESTABLISHED || tcb->state == TCPS_SYN_RECEIVED) {
			tcb->flags |= TF_FIN_QUEUED;
			ts_tcp_state_set(tcb, TCPS_FIN_WAIT_1, NULL, now);
		} else if (tcb->state == TCPS_CLOSE_WAIT) {
			tcb->flags |= TF_FIN_QUEUED;
			ts_tcp_state_set(tcb, TCPS_LAST_ACK, NULL, now);
		}
		ts_tcp_output(tcb, now);
	}
	return 0;
}

static void listener_stop(struct ts_tcb *l, uint64_t now)
{
	struct ts_tcp *tcp = ts_tcp_of(l->eng);
	struct ts_tcb *t, *next;

	/* Linux inet_csk_listen_stop: children not yet accepted are
	 * disconnected, which resets the synchronized ones. */
	for (t = tcp->all; t != NULL; t = next) {
		next = t->all_next;
		if (t->listener != l)
			continue;
		if (t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT)
			ts_tcp_send_rst_tcb(t, now);
		if (next == l)
			next = l->all_next;
		ts_tcb_free(t);
	}
}

static void listener_close(struct ts_tcb *l, uint64_t now)
{
	listener_stop(l, now);
	ts_tcb_free(l);
}

void ts_tcp_abort(struct ts_tcb *tcb, uint64_t now)
{
	switch (tcb->state) {
	case TCPS_LISTEN:
		listener_close(tcb, now);
		return;
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
	case TCPS_CLOSE_WAIT:
		/* RFC 9293 3.10.5: ABORT sends a reset. */
		ts_tcp_send_rst_tcb(tcb, now);
		break;
	default:
		break;
	}
	ts_tcp_state_set(tcb, TCPS_CLOSED, "abort", now);
	ts_tcb_free(tcb);
}

int ts_tcp_close(struct ts_tcb *tcb, uint64_t now)
{
	struct ts_engine *eng = tcb->eng;

	tcb->cb = NULL;
	tcb->user = NULL;
	switch (tcb->state) {
	case TCPS_LISTEN:
		listener_close(tcb, now);
		return 0;
	case TCPS_CLOSED:
	case TCPS_SYN_SENT:
		ts_tcp_state_set(tcb, TCPS_CLOSED, "close", now);
		ts_tcb_free(tcb);
		return 0;
	default:
		break;
	}
	if (ts_ringbuf_len(&tcb->rcv) > 0) {
		/* Linux tcp_close: unread data means the peer's data was
		 * lost: reset instead of a FIN (RFC 2525 2.17). */
		eng->stats.TcpExtTCPAbortOnClose++;
		ts_tcp_abort(tcb, now);
		return 0;
	}
	if (tcb->flags & TF_LINGER && tcb->linger_secs == 0) {
		/* SO_LINGER with zero time: abortive close (Linux counts it
		 * as TCPAbortOnData). */
		eng->stats.TcpExtTCPAbortOnData++;
		ts_tcp_abort(tcb, now);
		return 0;
	}
	ts_tcp_orphan(tcb);
	if (tcb->state != TCPS_TIME_WAIT && ts_tcp_too_many_orphans(ts_tcp_of(eng), 0)) {
		/* Linux __tcp_close / tcp_check_oom: "too many orphaned
		 * sockets": the one being orphaned is reset and freed. */
		eng->stats.TcpExtTCPAbortOnMemory++;
		ts_tcp_abort(tcb, now);
		return 0;
	}
	switch (tcb->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		ts_tcp_shutdown(tcb, 2, now);
		break;
	case TCPS_FIN_WAIT_2:
		/* Linux: an orphaned FIN-WAIT-2 lasts tcp_fin_timeout. */
		ts_tcp_timer_set(tcb, TCPT_2MSL,
				 now + (uint64_t)eng->sysctl.tcp_fin_timeout[0] *
					       TS_USEC_PER_SEC);
		break;
	default:
		break;
	}
	return 0;
}

void ts_tcp_orphan(struct ts_tcb *tcb)
{
	tcb->flags |= TF_ORPHAN;
	if (!(tcb->flags & TF_ORPHAN_CNT) && tcb->state != TCPS_TIME_WAIT) {
		tcb->flags |= TF_ORPHAN_CNT;
		ts_tcp_of(tcb->eng)->orphans++;
	}
}

void ts_tcp_orphan_uncount(struct ts_tcb *tcb)
{
	if (tcb->flags & TF_ORPHAN_CNT) {
		tcb->flags &= ~TF_ORPHAN_CNT;
		ts_tcp_of(tcb->eng)->orphans--;
	}
}

int ts_tcp_too_many_orphans(struct ts_tcp *tcp, int shift)
{
	return ((int64_t)tcp->orphans << shift) > tcp->eng->sysctl.tcp_max_orphans[0];
}

int ts_tcp_setopt(struct ts_tcb *tcb, enum ts_tcp_opt opt, int value)
{
	switch (opt) {
	case TS_TCP_REUSEPORT:
		if (value)
			tcb->flags |= TF_REUSEPORT;
		else
			tcb->flags &= ~TF_REUSEPORT;
		return 0;
	case TS_TCP_UID:
		tcb->uid = (uint32_t)value;
		return 0;
	case TS_TCP_USER_TIMEOUT:
		/* Linux do_tcp_setsockopt: negative values are EINVAL. */
		if (value < 0)
			return -EINVAL;
		tcb->user_timeout = (uint32_t)value;
		return 0;
	case TS_TCP_NODELAY:
		if (value)
			tcb->flags |= TF_NODELAY;
		else
			tcb->flags &= ~TF_NODELAY;
		if (value && TCPS_HAVEESTABLISHED(tcb->state))
			ts_tcp_output(tcb, tcb->eng->now);
		return 0;
	case TS_TCP_CORK:
		if (value) {
			tcb->flags |= TF_CORK;
		} else {
			/* Linux: uncorking pushes what is queued. */
			tcb->flags &= ~TF_CORK;
			if (TCPS_HAVEESTABLISHED(tcb->state))
				ts_tcp_output(tcb, tcb->eng->now);
		}
		return 0;
	case TS_TCP_KEEPALIVE:
		if (value)
			tcb->flags |= TF_KEEPALIVE;
		else
			tcb->flags &= ~TF_KEEPALIVE;
		ts_tcp_keepalive_reset(tcb, tcb->eng->now);
		return 0;
	case TS_TCP_KEEPIDLE:
		if (value < 1 || value > 32767)
			return -EINVAL;
		tcb->keep_idle = value;
		ts_tcp_keepalive_reset(tcb, tcb->eng->now);
		return 0;
	case TS_TCP_KEEPINTVL:
		if (value < 1 || value > 32767)
			return -EINVAL;
		tcb->keep_intvl = value;
		return 0;
	case TS_TCP_KEEPCNT:
		if (value < 1 || value > 127)
			return -EINVAL;
		tcb->keep_cnt = value;
		return 0;
	case TS_TCP_LINGER:
		if (value < 0) {
			tcb->flags &= ~TF_LINGER;
		} else {
			tcb->flags |= TF_LINGER;
			tcb->linger_secs = value;
		}
		return 0;
	case TS_TCP_MAXSEG:
		/* Linux: 88 .. 65535 (TCP_MIN_MSS .. MAX_TCP_WINDOW). */
		if (value < 88 || value > 65535)
			return -EINVAL;
		tcb->user_mss = (uint16_t)value;
		return 0;
	case TS_TCP_SNDBUF:
	case TS_TCP_RCVBUF: {
		struct ts_ringbuf *rb = opt == TS_TCP_SNDBUF ? &tcb->snd : &tcb->rcv;
		uint32_t sz = pow2_at_least(value < 0 ? 0 : (uint64_t)value);

		tcb->flags |= opt == TS_TCP_SNDBUF ? TF_SNDBUF_LOCK : TF_RCVBUF_LOCK;
		if (rb->size == 0) {
			/* Allocated at connect / when the handshake completes. */
			if (opt == TS_TCP_SNDBUF)
				tcb->snd_want = sz;
			else
				tcb->rcv_want = sz;
			return 0;
		}
		if (sz < ts_ringbuf_len(rb) || !ts_asm_empty(&tcb->ooo))
			return 0; /* keep the current ring */
		return ts_ringbuf_resize(rb, sz);
	}
	case TS_TCP_SYNCNT:
		if (value < 0 || value > 127)
			return -EINVAL;
		tcb->syn_retries = value;
		return 0;
	case TS_TCP_REUSEADDR:
		if (value)
			tcb->flags |= TF_REUSEADDR;
		else
			tcb->flags &= ~TF_REUSEADDR;
		return 0;
	case TS_TCP_QUICKACK:
		if (value) {
			tcb->quickack = 16;
			if (tcb->flags & TF_DELACK) {
				tcb->flags |= TF_ACKNOW;
				if (TCPS_HAVEESTABLISHED(tcb->state))
					ts_tcp_output(tcb, tcb->eng->now);
			}
		}
		return 0;
	case TS_TCP_TTL:
		/* Linux IP_TTL: 1..255, or -1 for the default. */
		if (value != -1 && (value < 1 || value > 255))
			return -EINVAL;
		tcb->ttl = value < 0 ? 0 : value;
		return 0;
	case TS_TCP_TOS:
		tcb->tos = (uint8_t)value;
		return 0;
	case TS_TCP_BIND_PRIV:
		tcb->bind_priv = value != 0;
		return 0;
	case TS_TCP_CONGESTION:
		if (value < 0 || value > 1)
			return -ENOENT;
		tcb->cc_algo = value;
		if (tcb->cc.ops != NULL) {
			/* Linux tcp_reinit_congestion_control: keep cwnd. */
			uint32_t cw = tcb->cc.cwnd, ss = tcb->cc.ssthresh;

			ts_tcp_cc_init(&tcb->cc, ts_tcp_cc_by_index(value), tcb->cc.mss,
				       tcb->cc.init_cwnd, tcb->eng->now);
			tcb->cc.cwnd = cw;
			tcb->cc.ssthresh = ss;
		}
		return 0;
	}
	return -ENOPROTOOPT;
}

int ts_tcp_getopt(struct ts_tcb *tcb, enum ts_tcp_opt opt, int *value)
{
	switch (opt) {
	case TS_TCP_REUSEPORT:
		*value = !!(tcb->flags & TF_REUSEPORT);
		return 0;
	case TS_TCP_UID:
		*value = (int)tcb->uid;
		return 0;
	case TS_TCP_USER_TIMEOUT:
		*value = (int)tcb->user_timeout;
		return 0;
	case TS_TCP_NODELAY:
		*value = !!(tcb->flags & TF_NODELAY);
		return 0;
	case TS_TCP_CORK:
		*value = !!(tcb->flags & TF_CORK);
		return 0;
	case TS_TCP_KEEPALIVE:
		*value = !!(tcb->flags & TF_KEEPALIVE);
		return 0;
	case TS_TCP_KEEPIDLE:
		*value = tcb->keep_idle ? tcb->keep_idle
					: (int)tcb->eng->sysctl.tcp_keepalive_time[0];
		return 0;
	case TS_TCP_KEEPINTVL:
		*value = tcb->keep_intvl ? tcb->keep_intvl
					 : (int)tcb->eng->sysctl.tcp_keepalive_intvl[0];
		return 0;
	case TS_TCP_KEEPCNT:
		*value = tcb->keep_cnt ? tcb->keep_cnt
				       : (int)tcb->eng->sysctl.tcp_keepalive_probes[0];
		return 0;
	case TS_TCP_LINGER:
		*value = tcb->flags & TF_LINGER ? tcb->linger_secs : -1;
		return 0;
	case TS_TCP_MAXSEG:
		/* Linux: before the connection, the user's value or 536. */
		*value = TCPS_HAVEESTABLISHED(tcb->state) ? tcb->mss
			 : tcb->user_mss			 ? tcb->user_mss
								 : 536;
		return 0;
	case TS_TCP_SNDBUF:
		*value = tcb->snd.size	  ? (int)tcb->snd.size
			 : tcb->snd_want ? (int)tcb->snd_want
					 : (int)pow2_at_least((uint64_t)tcb->eng->sysctl.tcp_wmem[1]);
		return 0;
	case TS_TCP_RCVBUF:
		*value = (int)ts_tcb_rcvbuf(tcb);
		return 0;
	case TS_TCP_SYNCNT:
		*value = tcb->syn_retries ? tcb->syn_retries
					  : (int)tcb->eng->sysctl.tcp_syn_retries[0];
		return 0;
	case TS_TCP_REUSEADDR:
		*value = !!(tcb->flags & TF_REUSEADDR);
		return 0;
	case TS_TCP_QUICKACK:
		*value = tcb->quickack > 0;
		return 0;
	case TS_TCP_CONGESTION:
		*value = tcb->cc_algo;
		return 0;
	case TS_TCP_TTL:
		*value = tcb->ttl ? tcb->ttl : (int)tcb->eng->sysctl.ip_default_ttl[0];
		return 0;
	case TS_TCP_TOS:
		*value = tcb->tos;
		return 0;
	case TS_TCP_BIND_PRIV:
		*value = tcb->bind_priv;
		return 0;
	}
	return -ENOPROTOOPT;
}

int ts_tcp_foreach(struct ts_engine *eng, void (*fn)(const struct ts_tcb *tcb, void *arg),
		   void *arg)
{
	struct ts_tcp *tcp = ts_tcp_of(eng);
	int n = 0;

	if (tcp == NULL)
		return 0;
	for (const struct ts_tcb *t = tcp->all; t != NULL; t = t->all_next) {
		if (t->zombie)
			continue;
		fn(t, arg);
		n++;
	}
	return n;
}

void ts_tcp_get_info(const struct ts_tcb *tcb, struct ts_tcp_info *in, uint64_t now)
{
	memset(in, 0, sizeof(*in));
	in->state = tcb->state;
	in->laddr = tcb->key.laddr;
	in->raddr = tcb->key.raddr;
	in->lport = tcb->key.lport;
	in->rport = tcb->key.rport;
	in->snd_una = tcb->snd_una;
	in->snd_nxt = tcb->snd_nxt;
	in->snd_max = tcb->snd_max;
	in->snd_wnd = tcb->snd_wnd;
	in->iss = tcb->iss;
	in->rcv_nxt = tcb->rcv_nxt;
	in->rcv_wnd = tcb->rcv_adv - tcb->rcv_nxt;
	in->irs = tcb->irs;
	in->snd_wscale = tcb->snd_wscale;
	in->rcv_wscale = tcb->rcv_wscale;
	in->mss = tcb->mss;
	in->rcv_mss = tcb->rcv_mss;
	in->options = tcb->flags & (TF_TS | TF_WS | TF_SACK);
	in->srtt = tcb->srtt;
	in->rttvar = tcb->rttvar;
	in->rto = tcb->rto;
	in->cwnd = tcb->cc.cwnd;
	in->ssthresh = tcb->cc.ssthresh;
	in->ca_state = tcb->cc.ca_state;
	in->retransmits = tcb->retransmits;
	in->backoff = tcb->backoff;
	in->probes = tcb->probes_out;
	in->total_retrans = tcb->total_retrans;
	in->unacked = tcb->snd_max - tcb->snd_una;
	in->sacked = ts_sack_bytes(&tcb->sb);
	in->rqueue = (uint32_t)ts_ringbuf_len(&tcb->rcv);
	in->wqueue = (uint32_t)ts_ringbuf_len(&tcb->snd);
	in->timer_deadline = ts_tcp_tcb_next_timer(tcb, &in->timer);
	in->cc = tcb->cc_algo == 0 ? "reno" : "cubic";
	in->syn_qlen = tcb->syn_qlen;
	in->accept_qlen = tcb->accept_qlen;
	in->backlog = tcb->backlog;
	(void)now;
}
