/* `tapsock ss`: one socket as the daemon reports it (TS_CTL_OP_SS), its
 * wire encoding, how iproute2's ss(8) prints it, and ss's filters.
 *
 * ss.c (pure C, in libtsctl: the CLI and the daemon) encodes, decodes,
 * filters and formats; ss_collect.c (in libtscore: the engine) turns TCBs
 * and UDP sockets into records.  The daemon's handler (core/daemon/ctl_ss.c)
 * adds what only it knows (the channel's inode), the CLI (core/cli/ss.c)
 * adds the owning processes from /proc, as ss -p does. */
#ifndef TS_SS_H
#define TS_SS_H

#include <stddef.h>
#include <stdint.h>

struct ts_ctl_wr;
struct ts_ctl_rd;
struct ts_engine;
struct ts_tcb;
struct ts_udp_sock;

/* Linux's inet_diag idiag_timer values, and ss's names for them
 * (tmr_name[] in iproute2 misc/ss.c). */
enum ts_ss_timer {
	TS_SS_TIMER_OFF = 0,
	TS_SS_TIMER_ON = 1,		/* retransmission or loss probe */
	TS_SS_TIMER_KEEPALIVE = 2,
	TS_SS_TIMER_TIMEWAIT = 3,
	TS_SS_TIMER_PERSIST = 4,	/* zero-window probe */
};

/* TCP internals for ss -i (Linux struct tcp_info, in ss's units). */
struct ts_ss_info {
	char cc[16];			/* "cubic", "reno" */
	uint8_t ts, sack, wscale;	/* options negotiated */
	uint8_t snd_wscale, rcv_wscale;
	uint32_t rto_us, rtt_us, rttvar_us;
	uint32_t backoff;
	uint32_t mss, rcv_mss;
	uint32_t cwnd, ssthresh;	/* segments; ssthresh >= 0xffff: infinite */
	uint64_t bytes_acked, bytes_received;
	uint32_t unacked, sacked;	/* segments, as tcpi_unacked/tcpi_sacked */
	uint32_t retrans, total_retrans;
};

/* One socket.  Addresses and ports in host order. */
struct ts_ss_sock {
	uint8_t proto;			/* 6 TCP, 17 UDP */
	uint8_t state;			/* TCPS_*; UDP: TCPS_CLOSED (UNCONN) or
					 * TCPS_ESTABLISHED (connected) */
	uint8_t orphan;			/* closed by the program, engine finishing */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t rq, wq;		/* Recv-Q / Send-Q with ss's meaning */
	uint64_t ino;			/* inode of the program's end A, 0 unknown */
	uint8_t timer;			/* TS_SS_TIMER_* */
	uint32_t timer_ms;		/* until it fires */
	uint32_t timer_retrans;		/* third field of timer:(...) */
	uint8_t has_info;		/* TCP: info is filled */
	struct ts_ss_info info;
};

/* --- wire: TS_CTL_OP_SS (ctl_proto.h) ----------------------------------------
 * Request: u32 skip (records already received).  Reply: u32 total sockets,
 * u32 n, n records (ts_ss_encode).  The CLI asks again with skip += n
 * until it has total (a listing of many sockets spans several replies). */
#define TS_SS_MAX_ENCODED 160		/* bytes one record takes at most */
void ts_ss_encode(struct ts_ctl_wr *w, const struct ts_ss_sock *s);
/* 0, or -EBADMSG (r->err set). */
int ts_ss_decode(struct ts_ctl_rd *r, struct ts_ss_sock *s);

/* --- names and formatting, as ss prints them --------------------------- */
/* "ESTAB", "SYN-SENT", ...; UDP: "UNCONN" / "ESTAB". */
const char *ts_ss_state_name(const struct ts_ss_sock *s);
/* "tcp" / "udp". */
const char *ts_ss_netid(const struct ts_ss_sock *s);
/* ss's print_ms_timer: "816ms", "41sec", "1.200sec", "1min2sec", "12min".
 * Linux's iproute2 up to 6.x prints "1.200ms" for 1200 ms (a unit bug
 * fixed upstream); we print the fixed form. */
void ts_ss_ms_timer(uint32_t ms, char *buf, size_t len);
/* "timer:(on,816ms,1)", or "" when no timer runs (ss prints nothing). */
void ts_ss_timer_str(const struct ts_ss_sock *s, char *buf, size_t len);
/* "198.18.0.2:5000"; port 0 prints "*", as ss -n. */
void ts_ss_addr_str(uint32_t addr, uint16_t port, char *buf, size_t len);
/* ss -i's second line: "cubic wscale:7,7 rto:204 rtt:0.033/0.016 mss:1448
 * ...", fields in ss's order, zero fields left out as ss does. */
void ts_ss_info_str(const struct ts_ss_sock *s, char *buf, size_t len);

/* --- filters ------------------------------------------------------------ */
#define TS_SS_PROTO_TCP 1u
#define TS_SS_PROTO_UDP 2u
/* State masks: bit TCPS_* (UDP sockets use TCPS_CLOSED / ESTABLISHED). */
#define TS_SS_ST(s) (1u << (s))
uint32_t ts_ss_states_all(void);
/* ss with neither -l nor -a: everything but LISTEN, UNCONN, TIME-WAIT and
 * SYN-RECV (iproute2's SS_CONN). */
uint32_t ts_ss_states_default(void);
/* ss -l: LISTEN and UNCONN. */
uint32_t ts_ss_states_listening(void);
/* One word after `state`: a state in ss's spelling (established,
 * syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed,
 * close-wait, last-ack, listening, closing; the display names ESTAB,
 * TIME-WAIT, UNCONN... too) or a group (all, connected, synchronized,
 * bucket, big).  0 with *mask set, or -EINVAL. */
int ts_ss_state_parse(const char *word, uint32_t *mask);

struct ts_ss_filter {
	uint32_t protos;		/* TS_SS_PROTO_* */
	uint32_t states;		/* TS_SS_ST() bits */
};
int ts_ss_match(const struct ts_ss_sock *s, const struct ts_ss_filter *f);

/* ss(8)'s filter expressions, the words after the options and states:
 *   EXPR   := TERM { ("or" | "||") TERM }
 *   TERM   := FACTOR { ["and" | "&&"] FACTOR }
 *   FACTOR := ("not" | "!") FACTOR | "(" EXPR ")"
 *           | ("sport" | "dport") OP [":"]PORT
 *           | ("src" | "dst") A.B.C.D[/LEN][:PORT] | ("src" | "dst") :PORT
 *   OP     := = == eq != ne neq < lt > gt <= le leq >= ge geq
 * e.g. `( sport = :8000 or dport = :8000 )`, as the kernel side's ss. */
enum {
	TS_SS_E_AND = 1, TS_SS_E_OR, TS_SS_E_NOT,
	TS_SS_E_SPORT, TS_SS_E_DPORT, TS_SS_E_SRC, TS_SS_E_DST,
};
struct ts_ss_expr {
	int kind;			/* TS_SS_E_* */
	int op;				/* ports: '=', '!', '<', '>', 'l' (<=), 'g' (>=) */
	uint32_t addr, mask;		/* src/dst */
	uint16_t port;			/* sport/dport; src/dst: 0 any */
	struct ts_ss_expr *a, *b;
};
/* Parses words[0..n) (one word may hold several tokens: "( sport = :80 )").
 * 0 with *out (NULL when n == 0), or -EINVAL with a reason in err. */
int ts_ss_expr_parse(char *const *words, int n, struct ts_ss_expr **out, char *err,
		     size_t errlen);
int ts_ss_expr_match(const struct ts_ss_expr *e, const struct ts_ss_sock *s);
void ts_ss_expr_free(struct ts_ss_expr *e);

/* --- from the engine (ss_collect.c) -------------------------------------- */
void ts_ss_from_tcb(const struct ts_tcb *tcb, uint64_t now, struct ts_ss_sock *s);
void ts_ss_from_udp(const struct ts_udp_sock *us, struct ts_ss_sock *s);
/* Calls fn for every TCP then UDP socket with its record and the engine
 * object (a struct ts_tcb * or struct ts_udp_sock *, by s->proto), so the
 * caller can add what it knows.  Returns how many. */
int ts_ss_collect(struct ts_engine *eng, uint64_t now,
		  void (*fn)(struct ts_ss_sock *s, const void *obj, void *arg), void *arg);

#endif
