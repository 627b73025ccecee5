/* libFuzzer target for the engine's packet input path: every input is a
 * script of frames and clock steps fed to one engine (198.18.0.2/24 on a
 * memwire, UDP and TCP registered) that holds, before the first record, a
 * UDP socket bound to port 7, a TCP listener on port 80, an established
 * connection it opened (40000 -> 198.18.0.1:8080) and one it accepted
 * (198.18.0.1:5555 -> 80).  Nothing a frame says may crash, trip a
 * sanitizer or leak: after each input the engine is destroyed and
 * ts_pkt_live()/ts_tcp_live() must be back where they were (abort if not).
 *
 * Input: byte 0 picks a setup variant (fault rule, trace, sysctls), then
 * records of [op][dt][len lo][len hi][len bytes]: dt moves the fake clock
 * (and runs the engine's timers) before the record; op & 7 says what the
 * bytes are (see the switch in LLVMFuzzerTestOneInput).  Records that
 * build headers themselves (relative TCP segments, UDP datagrams and
 * fragments, ICMP errors quoting a live connection, ARP) let the fuzzer
 * reach deep states without guessing checksums or sequence numbers.
 *
 * Built two ways (tests/fuzz/README in docs/design.md "Fuzzing"): with
 * clang -fsanitize=fuzzer (--enable-fuzzers, tests/fuzz/run), and with
 * tests/fuzz/replay.c as a plain program `make check` runs. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "checksum.h"
#include "engine.h"
#include "eth.h"
#include "fault.h"
#include "tcp.h"
#include "udp.h"
#include "wire.h"

#define F_LOCAL TS_IP4(198, 18, 0, 2)
#define F_PEER TS_IP4(198, 18, 0, 1)
#define F_T0 1000000ull
#define F_PEER_ISS 0x10000000u
#define F_MAX_REC 9000
#define F_MAX_ACC 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t eng_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Clock steps (µs) a record's dt byte picks from (dt & 15). */
static const uint64_t dt_table[16] = {
	0, 0, 0, 100, 1000, 10000, 40000, 200000, 1000000, 3000000, 10000000,
	30000000, 120000000, 600000000, 3600000000ull, 5,
};

/* Fault rules a setup variant may install (byte 0 & 7; 0-3: none). */
static const char *const fault_rules[8] = {
	NULL, NULL, NULL, NULL,
	"reorder 5 dir in",
	"duplicate dir both every 3",
	"corrupt dir in every 5",
	"delay 20 dir out prob 0.5 seed 3",
};

struct fz {
	struct ts_memwire wire;
	struct ts_engine eng;
	uint64_t now;
	struct ts_udp_sock *us;
	struct ts_tcb *listener;
	struct ts_tcb *conn[2];		/* 0: active open, 1: accepted */
	struct ts_tcb *acc[F_MAX_ACC];	/* more accepted connections */
	struct ts_tcb *self;		/* a connection to our own listener */
	int nacc;
	int setup;			/* still building the fixed state */
};

static void on_accept(struct ts_tcb *l, void *u)
{
	struct fz *z = u;
	struct ts_tcb *t;
	int err;

	if (z->setup) {
		if (z->conn[1] == NULL)
			z->conn[1] = ts_tcp_accept(l, NULL, NULL, &err);
		return;
	}
	/* Accept up to F_MAX_ACC; the rest stay queued (backlog). */
	if (z->nacc < F_MAX_ACC && (t = ts_tcp_accept(l, NULL, NULL, &err)) != NULL)
		z->acc[z->nacc++] = t;
}

static const struct ts_tcp_callbacks lcb = {.on_accept = on_accept};

/* What the engine sent: parsed as a capture would (the parser is fuzzed
 * on every frame out too), then freed.  Returns the last TCP header seen
 * into *th if th is not NULL. */
static int drain(struct fz *z, struct ts_tcp_hdr *th)
{
	struct pktbuf *f;
	int got = 0;

	while ((f = ts_memwire_pop(&z->wire, 0)) != NULL) {
		struct ts_frame_info fi;
		char line[256];

		ts_frame_parse(f->data, f->len, 1, &fi);
		ts_frame_summary(&fi, line, sizeof(line));
		if (th != NULL && fi.ip && fi.l4 && fi.proto == TS_IPPROTO_TCP &&
		    ts_tcp_parse(f->data + fi.l4_off, fi.ip_end - fi.l4_off, th) == 0)
			got = 1;
		ts_pkt_free(f);
	}
	return got;
}

/* Runs every timer due by now.  An engine that keeps answering "wake me
 * now" at the same time would make tapsockd spin on its uv_timer: after
 * 64 polls (the loopback queue drains in 16 at TS_LO_BUDGET a poll) that
 * is a bug, reported as a crash. */
static void run(struct fz *z)
{
	for (int i = 0; i < 64; i++) {
		uint64_t next = ts_engine_poll(&z->eng, z->now);

		drain(z, NULL);
		if (next > z->now)
			return;
	}
	fprintf(stderr, "fuzz_frames: ts_engine_poll keeps returning a deadline <= now\n");
	abort();
}

static void input(struct fz *z, struct pktbuf *f)
{
	if (f != NULL)
		ts_engine_input(&z->eng, &z->wire.end[0].dev, f, z->now);
}

/* An Ethernet frame around payload (type, to the engine or broadcast). */
static struct pktbuf *eth_frame(const uint8_t dst[6], uint16_t type, const uint8_t *p,
				size_t n)
{
	struct pktbuf *f = ts_pkt_alloc(TS_ETH_HLEN + n);
	uint8_t *q;

	if (f == NULL)
		return NULL;
	q = ts_pkt_put(f, TS_ETH_HLEN + n);
	memcpy(q, dst, 6);
	memcpy(q + 6, peer_mac, 6);
	ts_put16(q + 12, type);
	if (n > 0)
		memcpy(q + TS_ETH_HLEN, p, n);
	return f;
}

/* Fills in the IPv4 header checksum and, for an unfragmented TCP, UDP or
 * ICMP datagram, the transport checksum. */
static void fix_csums(uint8_t *ip, size_t n)
{
	size_t ihl, tot;
	uint16_t frag;

	if (n < TS_IP_HLEN)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = ts_get16(ip + 2);
	if (ihl < TS_IP_HLEN || ihl > n)
		return;
	if (tot > n || tot < ihl)
		tot = n;
	frag = ts_get16(ip + 6);
	if ((frag & (TS_IP_MF | TS_IP_OFFMASK)) == 0) {
		uint8_t *l4 = ip + ihl;
		size_t len = tot - ihl;
		uint32_t src = ts_get32(ip + 12), dst = ts_get32(ip + 16);

		if (ip[9] == TS_IPPROTO_TCP && len >= TS_TCP_HLEN) {
			ts_put16(l4 + 16, 0);
			ts_put16(l4 + 16, ts_tcp_csum(src, dst, l4, len));
		} else if (ip[9] == TS_IPPROTO_UDP && len >= TS_UDP_HLEN) {
			ts_put16(l4 + 6, 0);
			ts_put16(l4 + 6, ts_csum_fold(ts_csum_add(
						 ts_csum_pseudo(src, dst, TS_IPPROTO_UDP, (uint16_t)len),
						 l4, len, 0)));
		} else if (ip[9] == TS_IPPROTO_ICMP && len >= 4) {
			ts_put16(l4 + 2, 0);
			ts_put16(l4 + 2, ts_csum(l4, len));
		}
	}
	ts_put16(ip + 10, 0);
	ts_put16(ip + 10, ts_csum(ip, ihl));
}

/* An IPv4 datagram from src to the engine around l4 (n bytes), with the
 * fragment field given, checksums right, in an Ethernet frame. */
static struct pktbuf *ip_frame(uint32_t src, uint8_t proto, uint16_t id, uint16_t frag,
			       const uint8_t *l4, size_t n, int csum_l4)
{
	uint8_t buf[TS_IP_HLEN + F_MAX_REC + 64];
	struct pktbuf *f;

	if (n > sizeof(buf) - TS_IP_HLEN)
		n = sizeof(buf) - TS_IP_HLEN;
	memset(buf, 0, TS_IP_HLEN);
	buf[0] = 0x45;
	ts_put16(buf + 2, (uint16_t)(TS_IP_HLEN + n));
	ts_put16(buf + 4, id);
	ts_put16(buf + 6, frag);
	buf[8] = 64;
	buf[9] = proto;
	ts_put32(buf + 12, src);
	ts_put32(buf + 16, F_LOCAL);
	if (n > 0)
		memcpy(buf + TS_IP_HLEN, l4, n);
	if (csum_l4)
		fix_csums(buf, TS_IP_HLEN + n);
	else {
		ts_put16(buf + 10, ts_csum(buf, TS_IP_HLEN));
	}
	f = eth_frame(eng_mac, TS_ETH_P_IP, buf, TS_IP_HLEN + n);
	return f;
}

/* A TCP segment from the peer built from fields (setup only). */
static void tcp_in(struct fz *z, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		   uint8_t flags, const struct ts_tcp_opts *o)
{
	uint8_t seg[TS_TCP_MAX_HLEN];
	struct ts_tcp_hdr h;
	size_t n;

	memset(&h, 0, sizeof(h));
	h.sport = sport;
	h.dport = dport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	h.win = 65535;
	if (o != NULL)
		h.opt = *o;
	n = ts_tcp_build(seg, &h);
	input(z, ip_frame(F_PEER, TS_IPPROTO_TCP, 1, 0, seg, n, 1));
}

static void syn_opts(struct ts_tcp_opts *o, uint32_t ecr)
{
	memset(o, 0, sizeof(*o));
	o->has = TS_TCPO_MSS | TS_TCPO_WSCALE | TS_TCPO_SACK_PERM | TS_TCPO_TS;
	o->mss = 1460;
	o->wscale = 7;
	o->ts_val = 5000;
	o->ts_ecr = ecr;
}

/* The fixed state every input starts from.  0, or if the engine did not
 * answer as expected: minus the line that failed (then the harness itself
 * is broken: abort). */
static int fz_setup(struct fz *z, uint8_t variant)
{
	struct ts_engine_config cfg;
	struct ts_cred root = {0, 1, 1};
	struct ts_tcp_hdr th;
	struct ts_tcp_opts o;

	memset(z, 0, sizeof(*z));
	z->setup = 1;
	ts_memwire_init(&z->wire, 1500);
	memset(&cfg, 0, sizeof(cfg));
	cfg.addr = F_LOCAL;
	cfg.prefix_len = 24;
	memcpy(cfg.mac, eng_mac, 6);
	cfg.seed = 0x5eed;
	if (ts_engine_init(&z->eng, &z->wire.end[0].dev, &cfg) < 0 || ts_udp_init(&z->eng) < 0 ||
	    ts_tcp_init(&z->eng) < 0)
		return -__LINE__;
	/* Fixed secrets: the same ISNs and cookies on every run. */
	ts_tcp_secrets_set(&ts_tcp_of(&z->eng)->secrets, 0x0123456789abcdefull);
	z->now = F_T0;
	ts_engine_start(&z->eng, z->now);
	drain(z, NULL);
	if (ts_arp_add(&z->eng, F_PEER, peer_mac, 1) < 0)
		return -__LINE__;
	if (variant & 0x08)
		ts_trace_enable(&z->eng.trace, 64);
	if (variant & 0x10)
		ts_sysctl_set(&z->eng.sysctl, "net.ipv4.tcp_syncookies", "2");
	if (variant & 0x20)
		ts_sysctl_set(&z->eng.sysctl, "net.ipv4.tcp_timestamps", "0");
	if (variant & 0x40)
		ts_sysctl_set(&z->eng.sysctl, "net.ipv4.tcp_sack", "0");

	z->us = ts_udp_open(&z->eng, &root);
	if (z->us == NULL || ts_udp_bind(&z->eng, z->us, 0, 7, &root) < 0)
		return -__LINE__;
	z->listener = ts_tcp_socket(&z->eng, &lcb, z);
	if (z->listener == NULL || ts_tcp_bind(z->listener, 0, 80) < 0 ||
	    ts_tcp_listen(z->listener, 8) < 0)
		return -__LINE__;

	/* Active open: SYN out, SYN-ACK in, ACK out. */
	z->conn[0] = ts_tcp_socket(&z->eng, NULL, NULL);
	if (z->conn[0] == NULL || ts_tcp_bind(z->conn[0], F_LOCAL, 40000) < 0 ||
	    ts_tcp_connect(z->conn[0], F_PEER, 8080, z->now) < 0 || !drain(z, &th))
		return -__LINE__;
	syn_opts(&o, th.opt.ts_val);
	tcp_in(z, 8080, 40000, F_PEER_ISS, th.seq + 1, TH_SYN | TH_ACK, &o);
	drain(z, NULL);

	/* Passive open: SYN in, SYN-ACK out, ACK in, accepted. */
	syn_opts(&o, 0);
	tcp_in(z, 5555, 80, F_PEER_ISS, 0, TH_SYN, &o);
	if (!drain(z, &th))
		return -__LINE__;
	/* Timestamps only if the SYN-ACK had them: with SYN cookies and
	 * timestamps off, Linux (cookie_timestamp_decode) drops an ACK that
	 * carries one, and so does tapsock. */
	memset(&o, 0, sizeof(o));
	o.has = th.opt.has & TS_TCPO_TS;
	o.ts_val = 5001;
	o.ts_ecr = th.opt.ts_val;
	tcp_in(z, 5555, 80, F_PEER_ISS + 1, th.seq + 1, TH_ACK, &o);
	drain(z, NULL);
	if (z->conn[0]->state != TCPS_ESTABLISHED || z->conn[1] == NULL ||
	    z->conn[1]->state != TCPS_ESTABLISHED)
		return -__LINE__;

	if (fault_rules[variant & 7] != NULL) {
		struct ts_fault_spec s;
		char err[128];

		if (ts_fault_parse(fault_rules[variant & 7], &s, err, sizeof(err)) < 0 ||
		    ts_fault_add(&z->eng, &s) < 0)
			return -__LINE__;
	}
	z->setup = 0;
	return 0;
}

static void fz_teardown(struct fz *z)
{
	/* FUZZ_FRAMES_STATS=1: the counters an input moved (for writing
	 * seeds that reach a given path). */
	if (getenv("FUZZ_FRAMES_STATS") != NULL)
		for (int i = 0; i < TS_STAT_COUNT; i++)
			if (ts_stat_get(&z->eng.stats, i) != 0)
				fprintf(stderr, "%s %llu\n", ts_stat_name(i),
					(unsigned long long)ts_stat_get(&z->eng.stats, i));
	for (int i = 0; i < 2; i++)
		if (z->conn[i] != NULL)
			ts_tcp_close(z->conn[i], z->now);
	for (int i = 0; i < z->nacc; i++)
		ts_tcp_close(z->acc[i], z->now);
	if (z->self != NULL)
		ts_tcp_close(z->self, z->now);
	if (z->listener != NULL)
		ts_tcp_close(z->listener, z->now);
	if (z->us != NULL)
		ts_udp_close(&z->eng, z->us);
	run(z);
	/* Everything orphaned runs out its timers (TIME-WAIT, FIN-WAIT-2,
	 * retransmissions) before the engine goes. */
	z->now += 3600ull * TS_USEC_PER_SEC;
	run(z);
	ts_tcp_destroy(&z->eng);
	ts_udp_destroy(&z->eng);
	ts_engine_destroy(&z->eng);
	ts_memwire_clear(&z->wire);
}

/* Options of a relative segment: SACK edges are taken relative to
 * SND.UNA and timestamps relative to TS.Recent and to our clock, so the
 * fuzzer reaches the scoreboard, recovery and PAWS without guessing
 * sequence numbers.  Walks the options as a parser would, every length
 * checked. */
static void rel_opts(const struct ts_tcb *t, uint64_t now, uint8_t *seg, size_t n)
{
	size_t hlen = (size_t)(seg[12] >> 4) * 4, i = TS_TCP_HLEN;

	if (hlen > n)
		hlen = n;
	while (i < hlen) {
		uint8_t kind = seg[i], len;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || (len = seg[i + 1]) < 2 || i + len > hlen)
			break;
		if (kind == TCPOPT_SACK) {
			for (size_t k = i + 2; k + 4 <= i + len; k += 4)
				ts_put32(seg + k, ts_get32(seg + k) + t->snd_una);
		} else if (kind == TCPOPT_TIMESTAMP && len == 10) {
			ts_put32(seg + i + 2, ts_get32(seg + i + 2) + t->ts_recent);
			ts_put32(seg + i + 6, ts_get32(seg + i + 6) + ts_tcp_tsval(t, now));
		}
		i += len;
	}
}

/* A TCP segment whose header the input gives, aimed at a connection:
 * ports set, seq/ack taken relative to where the connection is. */
static void rec_tcp(struct fz *z, uint8_t sel, const uint8_t *p, size_t n)
{
	uint8_t seg[F_MAX_REC];
	struct ts_tcb *t = NULL;
	uint16_t sport, dport;

	if (n > sizeof(seg))
		n = sizeof(seg);
	memcpy(seg, p, n);
	switch (sel & 3) {
	case 0:
		t = z->conn[0];
		sport = 8080;
		dport = 40000;
		break;
	case 1:
		t = z->conn[1] != NULL ? z->conn[1] : z->nacc > 0 ? z->acc[0] : NULL;
		sport = t != NULL ? t->key.rport : 5555;
		dport = 80;
		break;
	case 2:
		/* To the listener from a port the input picks. */
		sport = n >= 2 ? (uint16_t)(1024 + (ts_get16(seg) & 0xff)) : 1024;
		dport = 80;
		for (int i = 0; i < z->nacc; i++)
			if (z->acc[i]->key.rport == sport)
				t = z->acc[i];
		break;
	default:
		/* To a port nobody listens on (RST answers), ports as given. */
		sport = n >= 2 ? ts_get16(seg) : 1;
		dport = 81;
		break;
	}
	if (n >= 4) {
		ts_put16(seg, sport);
		ts_put16(seg + 2, dport);
	}
	if (t != NULL && n >= 12) {
		ts_put32(seg + 4, ts_get32(seg + 4) + t->rcv_nxt);
		ts_put32(seg + 8, ts_get32(seg + 8) + t->snd_una);
	}
	if (t != NULL && n >= TS_TCP_HLEN)
		rel_opts(t, z->now, seg, n);
	input(z, ip_frame(F_PEER, TS_IPPROTO_TCP, 7, 0, seg, n, 1));
}

/* A UDP datagram to port 7 with the payload given; with frag set, split
 * into fragments of (p[0] % 8 + 1) * 8 bytes, delivered in an order and
 * with overlaps the input picks. */
static void rec_udp(struct fz *z, int frag, const uint8_t *p, size_t n)
{
	uint8_t dg[TS_UDP_HLEN + F_MAX_REC];
	size_t len, unit, off;
	uint8_t order;
	uint16_t id;

	if (n > F_MAX_REC)
		n = F_MAX_REC;
	len = TS_UDP_HLEN + n;
	ts_put16(dg, 9);
	ts_put16(dg + 2, 7);
	ts_put16(dg + 4, (uint16_t)len);
	ts_put16(dg + 6, 0);
	memcpy(dg + TS_UDP_HLEN, p, n);
	ts_put16(dg + 6, ts_csum_fold(ts_csum_add(
				  ts_csum_pseudo(F_PEER, F_LOCAL, TS_IPPROTO_UDP, (uint16_t)len), dg,
				  len, 0)));
	if (!frag || n < 2) {
		input(z, ip_frame(F_PEER, TS_IPPROTO_UDP, 3, 0, dg, len, 0));
		return;
	}
	unit = (size_t)(p[0] % 8 + 1) * 8;
	order = p[1];
	id = (uint16_t)(0x100 + p[0]);
	/* First pass in order except the fragments order's bits hold back,
	 * then those, last first; bit 7 resends the first as an overlap. */
	for (int pass = 0; pass < 2; pass++) {
		size_t nfrag = (len + unit - 1) / unit;

		for (size_t k = 0; k < nfrag; k++) {
			size_t i = pass ? nfrag - 1 - k : k;
			int held = i < 7 && (order >> i & 1);
			size_t m;
			uint16_t fl;

			if (held != pass)
				continue;
			off = i * unit;
			m = len - off < unit ? len - off : unit;
			fl = (uint16_t)(off / 8) | (off + m < len ? TS_IP_MF : 0);
			input(z, ip_frame(F_PEER, TS_IPPROTO_UDP, id, fl, dg + off, m, 0));
		}
	}
	if (order & 0x80)
		input(z, ip_frame(F_PEER, TS_IPPROTO_UDP, id, TS_IP_MF, dg, unit, 0));
}

/* ICMP: an error quoting one of our connections (type, code, the next
 * word and a sequence offset from the input), or an echo request. */
static void rec_icmp(struct fz *z, int err, const uint8_t *p, size_t n)
{
	uint8_t m[8 + 60 + 8 + F_MAX_REC];
	struct ts_tcb *t = z->conn[n > 0 ? p[0] & 1 : 0];
	size_t len;

	if (n > F_MAX_REC)
		n = F_MAX_REC;
	memset(m, 0, 8 + TS_IP_HLEN + 8);
	if (!err || t == NULL || n < 8) {
		m[0] = 8;
		memcpy(m + 8, p, n);
		len = 8 + n;
	} else {
		uint8_t *q = m + 8, *l4 = m + 8 + TS_IP_HLEN;

		m[0] = p[1];
		m[1] = p[2];
		memcpy(m + 4, p + 3, 4);
		q[0] = 0x45;
		ts_put16(q + 2, (uint16_t)(TS_IP_HLEN + 40));
		q[8] = 64;
		q[9] = TS_IPPROTO_TCP;
		ts_put32(q + 12, F_LOCAL);
		ts_put32(q + 16, t->key.raddr);
		ts_put16(q + 10, ts_csum(q, TS_IP_HLEN));
		ts_put16(l4, t->key.lport);
		ts_put16(l4 + 2, t->key.rport);
		ts_put32(l4 + 4, t->snd_una + (uint32_t)(int8_t)p[7]);
		len = 8 + TS_IP_HLEN + 8;
	}
	input(z, ip_frame(F_PEER, TS_IPPROTO_ICMP, 5, 0, m, len, 1));
}

/* ARP with the fields given: op, sender MAC/IP low bytes, target IP. */
static void rec_arp(struct fz *z, const uint8_t *p, size_t n)
{
	uint8_t a[28];
	uint8_t b[8] = {0};

	memcpy(b, p, n < sizeof(b) ? n : sizeof(b));
	ts_put16(a, 1);
	ts_put16(a + 2, TS_ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	ts_put16(a + 6, (uint16_t)(b[0] % 3 + 1));
	memcpy(a + 8, peer_mac, 6);
	a[13] = b[1];
	ts_put32(a + 14, TS_IP4(198, 18, 0, b[2]));
	memset(a + 18, 0, 6);
	ts_put32(a + 24, b[3] & 1 ? F_LOCAL : TS_IP4(198, 18, b[4], b[5]));
	input(z, eth_frame(b[6] & 1 ? bcast_mac : eng_mac, TS_ETH_P_ARP, a, sizeof(a)));
}

/* Through the in-engine loopback: UDP to our own socket (127.0.0.1 or
 * the engine's address), a TCP connection to our own listener, data on
 * it, its close. */
static void rec_loop(struct fz *z, const uint8_t *p, size_t n)
{
	static const uint8_t msg[512];
	uint8_t b[2] = {0};

	memcpy(b, p, n < sizeof(b) ? n : sizeof(b));
	switch (b[0] & 3) {
	case 0:
	case 1:
		ts_udp_sendto(&z->eng, z->us, 1, b[0] & 1 ? F_LOCAL : TS_IP4(127, 0, 0, 1), 7, msg,
			      (size_t)b[1] * 2, z->now);
		break;
	case 2:
		if (z->self == NULL) {
			z->self = ts_tcp_socket(&z->eng, NULL, NULL);
			if (z->self != NULL)
				ts_tcp_connect(z->self, b[1] & 1 ? F_LOCAL : TS_IP4(127, 0, 0, 1),
					       80, z->now);
		} else {
			ts_tcp_send(z->self, msg, (size_t)b[1] * 2, z->now);
		}
		break;
	default:
		if (z->self != NULL)
			ts_tcp_close(z->self, z->now);
		z->self = NULL;
		break;
	}
	run(z);
}

/* Invariants of a connection that no segment may break (RFC 9293 3.3.1:
 * SND.UNA <= SND.NXT <= the highest sequence sent). */
static void tcb_check(const struct ts_tcb *t)
{
	if (t == NULL || t->state == TCPS_CLOSED || t->state == TCPS_LISTEN)
		return;
	if (!SEQ_LEQ(t->snd_una, t->snd_max) || !SEQ_LEQ(t->snd_nxt, t->snd_max) ||
	    !SEQ_LEQ(t->snd_una, t->snd_nxt))
		abort();
	if (ts_ringbuf_len(&t->snd) > ts_ringbuf_size(&t->snd) ||
	    ts_ringbuf_len(&t->rcv) > ts_ringbuf_size(&t->rcv))
		abort();
}

/* What a program would do with its sockets. */
static void rec_user(struct fz *z, const uint8_t *p, size_t n)
{
	static uint8_t buf[65536];
	uint8_t b[4] = {0};
	struct ts_tcb **slot;
	size_t len;

	memcpy(b, p, n < sizeof(b) ? n : sizeof(b));
	slot = (b[0] & 8) ? (z->nacc > 0 ? &z->acc[b[3] % z->nacc] : &z->conn[1])
			  : &z->conn[b[0] >> 4 & 1];
	len = (size_t)b[1] * b[2] * 4;
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (*slot == NULL && (b[0] & 7) < 6)
		return;
	switch (b[0] & 7) {
	case 0:
		memset(buf, b[1], len);
		ts_tcp_send(*slot, buf, len, z->now);
		break;
	case 1:
		ts_tcp_recv(*slot, buf, len, z->now);
		break;
	case 2:
		ts_tcp_shutdown(*slot, b[1] % 3, z->now);
		break;
	case 3:
		/* close(2): the slot's owner lets go (accepted slots keep
		 * their place, emptied, so indexes stay stable). */
		ts_tcp_close(*slot, z->now);
		if (slot >= z->acc && slot < z->acc + F_MAX_ACC) {
			*slot = z->acc[--z->nacc];
			z->acc[z->nacc] = NULL;
		} else {
			*slot = NULL;
		}
		break;
	case 4:
		ts_tcp_setopt(*slot, (enum ts_tcp_opt)(b[1] % 24), (int)(int8_t)b[2]);
		break;
	case 5: {
		struct ts_tcp_info info;

		ts_tcp_get_info(*slot, &info, z->now);
		ts_tcp_take_error(*slot);
		break;
	}
	case 6:
		if (len > TS_UDP_MAX_PAYLOAD)
			len = TS_UDP_MAX_PAYLOAD;
		memset(buf, b[1], len);
		ts_udp_sendto(&z->eng, z->us, 1, b[3] & 1 ? F_PEER : TS_IP4(198, 18, 0, b[3]),
			      9, buf, len, z->now);
		break;
	default: {
		struct pktbuf *d;
		uint32_t from;
		uint16_t fport;

		while ((d = ts_udp_recv(&z->eng, z->us, &from, &fport)) != NULL)
			ts_pkt_free(d);
		break;
	}
	}
	run(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;
	long pkt0 = ts_pkt_live(), tcb0 = ts_tcp_live();
	size_t off = 1;
	int r;

	if (size < 1)
		return 0;
	if ((r = fz_setup(&z, data[0])) < 0) {
		/* The harness is broken, not the engine: say where. */
		fprintf(stderr, "fuzz_frames: setup failed at line %d\n", -r);
		abort();
	}
	/* Records: op, dt, length (LE), bytes. */
	while (off + 4 <= size) {
		uint8_t op = data[off], dt = data[off + 1];
		size_t n = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;
		const uint8_t *p = data + off + 4;

		off += 4;
		if (n > size - off)
			n = size - off;
		if (n > F_MAX_REC)
			n = F_MAX_REC;
		off += n;
		if (dt_table[dt & 15] > 0) {
			z.now += dt_table[dt & 15];
			run(&z);
		}
		z.eng.now = z.now;
		switch (op & 7) {
		case 0:
			/* A raw Ethernet frame, as given. */
			input(&z, ts_pkt_from(p, n));
			break;
		case 1: {
			/* A raw IPv4 datagram in an Ethernet frame; op & 8:
			 * checksums made right; op & 16: to broadcast. */
			uint8_t ip[F_MAX_REC];

			memcpy(ip, p, n);
			if (op & 8)
				fix_csums(ip, n);
			input(&z, eth_frame(op & 16 ? bcast_mac : eng_mac, TS_ETH_P_IP, ip, n));
			break;
		}
		case 2:
			rec_tcp(&z, op >> 3, p, n);
			break;
		case 3:
			rec_udp(&z, op & 8, p, n);
			break;
		case 4:
			rec_icmp(&z, op & 8, p, n);
			break;
		case 5:
			rec_user(&z, p, n);
			break;
		case 6:
			rec_arp(&z, p, n);
			break;
		default:
			/* Time only; op & 8: something through the loopback. */
			if (op & 8)
				rec_loop(&z, p, n);
			break;
		}
		run(&z);
		tcb_check(z.conn[0]);
		tcb_check(z.conn[1]);
		tcb_check(z.self);
		for (int i = 0; i < z.nacc; i++)
			tcb_check(z.acc[i]);
	}
	fz_teardown(&z);
	/* A packet or a TCB the engine still holds is a leak. */
	if (ts_pkt_live() != pkt0 || ts_tcp_live() != tcb0)
		abort();
	return 0;
}
