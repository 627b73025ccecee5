/* TCP (RFC 9293) with Linux's timers, retry limits and close semantics.
 *
 * The engine owns every TCB.  A user (the daemon's socket layer, the tests)
 * holds a TCB from ts_tcp_socket()/ts_tcp_accept() until ts_tcp_close() or
 * ts_tcp_abort(), and learns about events through per-TCB callbacks.  After
 * close the TCB is an orphan: the engine finishes the close on its own and
 * frees it, with no more callbacks.  A connection that fails (RST, timeout)
 * while the user still holds it goes to CLOSED, reports on_error, and stays
 * allocated until the user closes it, like a socket fd.
 *
 * Files: tcp.c (TCB lifecycle, tables, user calls, options), tcp_in.c
 * (segment arrival, RFC 9293 3.10.7), tcp_out.c (what to send and building
 * segments), tcp_timer.c (retransmission, persist, delayed ACK, keepalive,
 * tail loss probe, FIN_WAIT_2 and TIME_WAIT, the timer heap).  All time is
 * in microseconds. */
#ifndef TS_TCP_H
#define TS_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uthash.h>

#include "assembler.h"
#include "ringbuf.h"
#include "tcp_cc.h"
#include "tcp_fsm.h"
#include "tcp_isn.h"
#include "tcp_sack.h"
#include "tcp_seq.h"
#include "wire_tcp.h"

struct ts_engine;
struct pktbuf;
struct ts_ip_out;
struct ts_icmp_err;
struct ts_tcb;

/* Timers, one deadline each (TS_NEVER when off). */
enum {
	TCPT_REXMT,	/* retransmission: SYN, SYN-ACK, data, FIN (RFC 6298) */
	TCPT_PERSIST,	/* zero-window probe (RFC 9293 3.8.6.1) */
	TCPT_DELACK,	/* delayed ACK (RFC 9293 3.8.6.3, Linux's ato) */
	TCPT_KEEP,	/* keepalive (RFC 1122 4.2.3.6) */
	TCPT_2MSL,	/* TIME_WAIT, and the orphaned FIN_WAIT_2 timeout */
	TCPT_PTO,	/* tail loss probe (RFC 8985 7, Linux tcp_early_retrans) */
	TCPT_NTIMERS
};

extern const char *const ts_tcp_timer_names[TCPT_NTIMERS];

/* Event hooks.  Any may be NULL.  They run inside engine calls and may
 * make any user call, including ts_tcp_close/abort on any TCB (the one
 * they are called for too): TCBs freed meanwhile are reaped when the
 * engine's entry point returns. */
struct ts_tcp_callbacks {
	/* The handshake completed (active open). */
	void (*on_established)(struct ts_tcb *tcb, void *user);
	/* Data, or the peer's FIN (recv will return 0), can be read. */
	void (*on_readable)(struct ts_tcb *tcb, void *user);
	/* Send buffer space was freed. */
	void (*on_writable)(struct ts_tcb *tcb, void *user);
	/* A listener's accept queue became non-empty. */
	void (*on_accept)(struct ts_tcb *listener, void *user);
	/* The connection failed: err is ECONNREFUSED, ECONNRESET,
	 * ETIMEDOUT, EHOSTUNREACH, ... (positive).  State is now CLOSED. */
	void (*on_error)(struct ts_tcb *tcb, int err, void *user);
	/* The connection reached CLOSED gracefully (both FINs done). */
	void (*on_closed)(struct ts_tcb *tcb, void *user);
};

/* Per-socket options (the shim maps setsockopt onto these). */
enum ts_tcp_opt {
	TS_TCP_NODELAY,		/* TCP_NODELAY */
	TS_TCP_CORK,		/* TCP_CORK */
	TS_TCP_KEEPALIVE,	/* SO_KEEPALIVE */
	TS_TCP_KEEPIDLE,	/* TCP_KEEPIDLE, seconds */
	TS_TCP_KEEPINTVL,	/* TCP_KEEPINTVL, seconds */
	TS_TCP_KEEPCNT,		/* TCP_KEEPCNT */
	TS_TCP_LINGER,		/* SO_LINGER: -1 off, else seconds */
	TS_TCP_MAXSEG,		/* TCP_MAXSEG (before connect) */
	TS_TCP_SNDBUF,		/* SO_SNDBUF, bytes (rounded up to 2^n) */
	TS_TCP_RCVBUF,		/* SO_RCVBUF, bytes (rounded up to 2^n) */
	TS_TCP_SYNCNT,		/* TCP_SYNCNT: 0 means tcp_syn_retries */
	TS_TCP_REUSEADDR,	/* SO_REUSEADDR */
	TS_TCP_QUICKACK,	/* TCP_QUICKACK */
	TS_TCP_CONGESTION,	/* TCP_CONGESTION: 0 reno, 1 cubic */
	TS_TCP_TTL,		/* IP_TTL: -1 = net.ipv4.ip_default_ttl */
	TS_TCP_TOS,		/* IP_TOS */
	TS_TCP_BIND_PRIV,	/* may bind below ip_unprivileged_port_start: 1 by
				 * default; the daemon clears it for a process
				 * without CAP_NET_BIND_SERVICE */
	TS_TCP_REUSEPORT,	/* SO_REUSEPORT */
	TS_TCP_UID,		/* the owner's uid (SO_REUSEPORT groups): set by
				 * the daemon from SO_PEERCRED, 0 by default */
	TS_TCP_USER_TIMEOUT,	/* TCP_USER_TIMEOUT, ms: 0 off */
};

/* Local/remote address and ports, host order: the connection table key. */
struct ts_tcp_key {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

/* One transmission of [start, end), for RACK (RFC 8985): when it was
 * last sent, whether that was a retransmission. */
struct ts_tcp_xrec {
	uint32_t start, end;
	uint64_t t;
	uint8_t rxt, lost, delivered;
};

/* Flags (tcb->flags). */
#define TF_ACKNOW 0x00000001u	/* send an ACK at the next output */
#define TF_DELACK 0x00000002u	/* an ACK is owed, delayed */
#define TF_NODELAY 0x00000004u
#define TF_CORK 0x00000008u
#define TF_FIN_QUEUED 0x00000010u /* user shut down writing */
#define TF_FIN_SENT 0x00000020u	/* our FIN has been sent at least once */
#define TF_SHUT_RD 0x00000040u
#define TF_ORPHAN 0x00000080u	/* user closed; engine owns it */
#define TF_RCVD_FIN 0x00000100u	/* peer's FIN consumed into rcv_nxt */
#define TF_TS 0x00000200u	/* timestamps negotiated */
#define TF_WS 0x00000400u	/* window scaling negotiated */
#define TF_SACK 0x00000800u	/* SACK negotiated */
#define TF_KEEPALIVE 0x00001000u
#define TF_IN_RECOVERY 0x00002000u /* fast recovery (RFC 6582 / 6675) */
#define TF_PASSIVE 0x00004000u	/* child of a listener */
#define TF_ACCEPTQ 0x00008000u	/* on its listener's accept queue */
#define TF_REUSEADDR 0x00010000u
#define TF_OOO_FIN 0x00020000u	/* a FIN arrived out of order */
#define TF_SYNCOOKIE 0x00040000u
#define TF_RTT_TIMING 0x00080000u /* rtt_seq is being timed (Karn) */
#define TF_LINGER 0x00100000u
#define TF_BOUND 0x00200000u
#define TF_LOSS_RECOVERY 0x00400000u /* after an RTO, until snd_max acked */
#define TF_SNDBUF_LOCK 0x00800000u /* SO_SNDBUF set: no autotuning (Linux) */
#define TF_RCVBUF_LOCK 0x01000000u /* SO_RCVBUF set: no autotuning (Linux) */
#define TF_REUSEPORT 0x02000000u /* SO_REUSEPORT */
#define TF_PORT_LOCK 0x04000000u /* bind() chose the port (Linux SOCK_BINDPORT_LOCK):
				  * kept when the connection closes */
#define TF_ORPHAN_CNT 0x08000000u /* counted in tcp->orphans */

/* Linux's inet_bind_bucket: every TCB using one local port (bound,
 * listening, connected, accepted children, TIME-WAIT), the bind conflict
 * rules' input. */
struct ts_tcp_bucket {
	uint16_t port;
	/* -1: made by connect()'s port search (Linux __inet_hash_connect's
	 * fastreuse = -1); only such a port is shared by later connects with
	 * other destinations.  Otherwise 0 / 1 as Linux's tb->fastreuse. */
	int8_t fastreuse;
	int n;
	struct ts_tcb *owners;		/* through tcb->bnext */
	UT_hash_handle hh;
};

struct ts_tcb {
	struct ts_engine *eng;
	struct ts_tcp_key key;
	UT_hash_handle hh;		/* tcp->conns, by key */
	UT_hash_handle lh;		/* tcp->listeners, by lkey */
	uint64_t lkey;			/* laddr << 16 | lport */
	/* SO_REUSEPORT group: the hashed listener heads a list of the others
	 * on the same address and port (Linux sock_reuseport). */
	struct ts_tcb *rp_next;
	struct ts_tcp_bucket *bucket;	/* the local port's bind bucket */
	struct ts_tcb *bnext;		/* next owner of bucket */
	uint32_t uid;			/* owner (SO_REUSEPORT, bind rules) */
	uint32_t user_timeout;		/* TCP_USER_TIMEOUT, ms; 0 off */
	uint64_t probes_stamp;		/* first zero-window probe (Linux icsk_probes_tstamp) */
	struct ts_tcb *all_next, *all_prev; /* every TCB */
	int hashed, listen_hashed;
	int zombie;			/* freed inside an entry point; reaped after */
	struct ts_tcb *zombie_next;
	int state;
	uint32_t flags;

	/* RFC 9293 3.3.1: send sequence variables. */
	uint32_t iss, snd_una, snd_nxt, snd_max; /* snd_max: highest sent */
	uint32_t snd_wl1, snd_wl2, snd_up;
	uint32_t snd_wnd, max_snd_wnd;	/* scaled, bytes */
	uint32_t snd_buf_seq;		/* sequence of the send ring's first byte */
	uint32_t snd_sml;		/* end of the last short segment (Minshall) */
	/* Receive sequence variables. */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv, rcv_up;
	uint8_t snd_wscale, rcv_wscale;	/* shift for their/our window */
	uint16_t mss;			/* what we send per segment, no options */
	uint16_t peer_mss;		/* the peer's MSS option (536 if none) */
	uint16_t adv_mss;		/* MSS we advertise */
	uint16_t user_mss;		/* TCP_MAXSEG, 0 if unset */
	uint16_t rcv_mss;		/* estimate of the peer's segment size */

	/* RFC 7323 timestamps. */
	uint32_t ts_recent, ts_offset;
	uint64_t ts_recent_stamp;	/* µs when ts_recent was set */
	uint32_t last_ack_sent;

	/* RFC 6298 round-trip estimation (µs). */
	uint64_t srtt, rttvar, rto;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	int backoff;			/* Linux icsk_backoff */
	int retransmits;		/* Linux icsk_retransmits */
	uint64_t retrans_stamp;		/* first RTO retransmission (SYN: first send) */
	uint32_t total_retrans;
	int syn_retries;		/* TCP_SYNCNT, 0: the sysctl */

	/* Congestion control (RFC 5681 / 6582 / 9438): tcp_cc.h, segments. */
	struct ts_tcp_cc_state cc;
	int dupacks;
	int cc_algo;			/* 0 reno, 1 cubic (ts_cc_names) */
	/* Linux tcp_cwnd_validate: did cwnd limit the sender in the current
	 * window of data (until SND.UNA reaches cwnd_usage_seq), and the
	 * most segments out in it (tcp_out.c, ts_tcp_is_cwnd_limited). */
	uint8_t is_cwnd_limited;
	uint32_t max_packets_out, cwnd_usage_seq;

	/* RFC 8985 RACK: the transmission log from SND.UNA, in sequence
	 * order (a ring), and the newest delivered transmission. */
	struct ts_tcp_xrec *xl;
	uint32_t xl_head, xl_n, xl_cap;
	uint64_t rack_ts, rack_rtt, min_rtt;
	uint32_t rack_end;
	int reord_seen;			/* a D-SACK showed reordering */
	uint32_t tlp_high_seq;		/* RFC 8985 TLPHighRxt: SND.MAX at the probe */
	/* Undo of spurious retransmissions (Linux tcp_init_undo,
	 * tcp_try_undo_dsack / _recovery / _loss; RFC 2883 4, RFC 3522):
	 * valid from a reduction (recovery, RTO) until undone or over;
	 * undo_retrans counts this episode's retransmitted segments not yet
	 * shown spurious by a D-SACK (-1: none yet); undo_tsval is our TSval
	 * at its first retransmission (Eifel: an ACK echoing an older one
	 * acknowledges an original). */
	int undo_valid, undo_retrans;
	uint32_t undo_marker, undo_tsval;
	uint32_t prior_cwnd, prior_ssthresh;
	/* A D-SACK (RFC 2883) to send with the next ACK. */
	int dsack;
	uint32_t dsack_start, dsack_end;
	int tlp_out;			/* a probe is outstanding (TLPRxtOut) */
	int tlp_rxt;			/* the probe was a retransmission */

	/* RFC 6675: the sender's view of what the peer SACKed. */
	struct ts_sack_scoreboard sb;

	/* Buffers: power-of-two rings (ringbuf.h); out-of-order ranges of
	 * the receive ring in the assembler (assembler.h). */
	struct ts_ringbuf snd, rcv;	/* snd head = snd_buf_seq */
	struct ts_assembler ooo;	/* base = rcv_nxt */
	/* Ring sizes to allocate when the connection is established (a
	 * half-open child keeps no buffers: SYN floods cost no memory). */
	uint32_t snd_want, rcv_want;
	/* Receive autotuning (Linux tcp_rcv_space_adjust): bytes the program
	 * read since rcv_space_stamp. */
	uint32_t rcv_copied;
	uint64_t rcv_space_stamp;
	uint32_t rcv_fin_seq;		/* TF_OOO_FIN: where the FIN is */

	/* Delayed ACK (Linux icsk_ack). */
	int quickack;			/* segments still acked at once */
	uint32_t unacked_bytes;		/* received since our last ACK */

	/* Persist and keepalive. */
	int probes_out;
	int keep_idle, keep_intvl, keep_cnt; /* seconds / count; 0: sysctl */
	uint64_t last_rcv;		/* µs of the last segment received */
	int linger_secs;

	/* RFC 5961 per-socket rate limit (Linux tcp_invalid_ratelimit). */
	uint64_t last_oow_ack;

	uint64_t timer[TCPT_NTIMERS];	/* write through ts_tcp_timer_set/stop */
	int heap_idx;			/* in tcp->heap, -1 if no timer runs */
	uint64_t heap_key;		/* earliest of timer[] */

	/* Listening. */
	int backlog;
	int syn_qlen, accept_qlen;
	struct ts_tcb *listener;	/* for children: who accepts them */
	struct ts_tcb *acc_head, *acc_tail, *acc_next; /* accept queue */
	uint64_t synq_overflow;		/* µs of the last SYN cookie sent */

	int so_error;			/* pending error (positive errno) */
	int ttl;			/* IP_TTL, 0 = default */
	uint8_t tos;			/* IP_TOS */
	uint8_t bind_priv;		/* CAP_NET_BIND_SERVICE (set by the daemon) */
	const struct ts_tcp_callbacks *cb;
	void *user;
	uint64_t created;
};

/* What `tapsock ss` and TCP_INFO show. */
struct ts_tcp_info {
	int state;			/* TCPS_* */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, iss;
	uint32_t rcv_nxt, rcv_wnd, irs;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss, rcv_mss;
	uint32_t options;		/* TF_TS | TF_WS | TF_SACK */
	uint64_t srtt, rttvar, rto;	/* µs */
	uint32_t cwnd, ssthresh;	/* segments, as Linux */
	int ca_state;			/* TS_CA_* */
	int retransmits, backoff, probes;
	uint32_t total_retrans;
	uint32_t unacked, sacked;	/* bytes in flight / sacked */
	uint32_t rqueue, wqueue;	/* bytes unread / unsent+unacked */
	int timer;			/* next TCPT_*, -1 none */
	uint64_t timer_deadline;	/* µs */
	const char *cc;			/* "reno" / "cubic" */
	int syn_qlen, accept_qlen, backlog;
};

/* The TCP layer's state in eng->l4[TS_IPPROTO_TCP].state. */
struct ts_tcp {
	struct ts_engine *eng;
	struct ts_tcb *conns;		/* uthash by 4-tuple */
	struct ts_tcb *listeners;	/* uthash by laddr/lport */
	struct ts_tcb *all;		/* every TCB */
	int ntcb;
	uint16_t next_port;
	struct ts_tcp_bucket *bhash;	/* bind buckets by port */
	int orphans;			/* TF_ORPHAN_CNT TCBs (tcp_max_orphans) */
	/* Linux table_perturb: where connect()'s port search starts per
	 * hash of (saddr, daddr, dport). */
	uint32_t perturb[256];
	struct ts_tcp_secrets secrets;	/* ISN, timestamp offsets, cookies */
	/* Linux's global challenge-ACK budget (RFC 5961 7). */
	uint64_t challenge_stamp;	/* second of the current budget */
	uint32_t challenge_count;
	/* Entry points (input, poll, ICMP) nest busy; a TCB freed while busy
	 * (a callback closing a socket) becomes a zombie, reaped when the
	 * outermost entry point returns, so no caller touches freed memory. */
	int busy;
	struct ts_tcb *zombies;
	/* TCBs with a running timer, a binary min-heap on their earliest
	 * deadline: poll is O(1) when nothing is due, O(log n) per timer. */
	struct ts_tcb **heap;
	int heap_n, heap_cap;
	/* Output: ts_ip_output; tests replace it to capture segments. */
	int (*output)(struct ts_engine *eng, struct pktbuf *pkt,
		      const struct ts_ip_out *o);
	/* ISN generator; tests replace it to pick the ISN. */
	uint32_t (*isn)(struct ts_tcp *tcp, const struct ts_tcp_key *k, uint64_t now);
	void *test_arg;
};

/* --- layer setup (engine) --- */
/* Registers TCP in eng->l4[6]; call after the engine is set up. */
int ts_tcp_init(struct ts_engine *eng);
/* Frees every TCB (no segments sent). */
void ts_tcp_destroy(struct ts_engine *eng);
struct ts_tcp *ts_tcp_of(struct ts_engine *eng);
/* TCBs allocated and not yet freed, in this process (for leak checks). */
long ts_tcp_live(void);

/* --- user calls: 0 / a count / a negative errno --- */
struct ts_tcb *ts_tcp_socket(struct ts_engine *eng, const struct ts_tcp_callbacks *cb,
			     void *user);
/* bind(2): 0, -EINVAL (bound already), -EADDRNOTAVAIL, -EACCES (a port
 * below ip_unprivileged_port_start without TS_TCP_BIND_PRIV),
 * -EADDRINUSE. */
int ts_tcp_bind(struct ts_tcb *tcb, uint32_t addr, uint16_t port);
int ts_tcp_listen(struct ts_tcb *tcb, int backlog);
int ts_tcp_connect(struct ts_tcb *tcb, uint32_t addr, uint16_t port, uint64_t now);
/* Takes the oldest connection from the accept queue: NULL with *err set to
 * -EAGAIN when empty (-EINVAL if not listening). */
struct ts_tcb *ts_tcp_accept(struct ts_tcb *listener, const struct ts_tcp_callbacks *cb,
			     void *user, int *err);
/* Queues data: returns the bytes accepted (0..len, limited by the send
 * buffer), -EAGAIN before the connection is established, -EPIPE after
 * shutdown(SHUT_WR), the pending error after a failure. */
ssize_t ts_tcp_send(struct ts_tcb *tcb, const void *data, size_t len, uint64_t now);
/* Reads in-order data: bytes, 0 at end of stream, -EAGAIN when nothing is
 * there yet, the pending error after a failure.
 * With buf NULL the bytes are consumed without a copy (a reader that
 * wrote them from ts_ringbuf_iov_data(&tcb->rcv, ...) itself: the daemon's
 * data channel). */
ssize_t ts_tcp_recv(struct ts_tcb *tcb, void *buf, size_t len, uint64_t now);
/* how: 0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR. */
int ts_tcp_shutdown(struct ts_tcb *tcb, int how, uint64_t now);
/* The user lets go of tcb (close(2)): a graceful FIN, an RST when unread
 * data is left or SO_LINGER is zero (Linux), or freed at once when there is
 * no connection.  tcb must not be used afterwards. */
int ts_tcp_close(struct ts_tcb *tcb, uint64_t now);
/* Sends an RST if synchronized and frees tcb at once. */
void ts_tcp_abort(struct ts_tcb *tcb, uint64_t now);
int ts_tcp_setopt(struct ts_tcb *tcb, enum ts_tcp_opt opt, int value);
int ts_tcp_getopt(struct ts_tcb *tcb, enum ts_tcp_opt opt, int *value);
/* getsockopt(SO_ERROR): the pending error (positive errno, 0 if none),
 * cleared by the call as in Linux. */
int ts_tcp_take_error(struct ts_tcb *tcb);
/* Bytes that can be read / queued without blocking. */
size_t ts_tcp_readable(const struct ts_tcb *tcb);
size_t ts_tcp_writable(const struct ts_tcb *tcb);
void ts_tcp_get_info(const struct ts_tcb *tcb, struct ts_tcp_info *info, uint64_t now);
/* Calls fn for every live TCB (listeners, connections, orphans in
 * FIN-WAIT/TIME-WAIT), as `ss -ta` lists them; fn must not close any.
 * Returns how many. */
int ts_tcp_foreach(struct ts_engine *eng, void (*fn)(const struct ts_tcb *tcb, void *arg),
		   void *arg);

/* --- engine hooks (eng->l4[6]) --- */
int ts_tcp_input(struct ts_engine *eng, struct pktbuf *pkt);
void ts_tcp_icmp_error(struct ts_engine *eng, const struct ts_icmp_err *e);
uint64_t ts_tcp_poll(struct ts_engine *eng, uint64_t now);

/* --- internal to tcp*.c --- */
/* A parsed incoming segment: travels as an argument (STYLE 9). */
struct tcp_seg {
	struct ts_tcp_hdr th;
	uint32_t src, dst;		/* host order */
	const uint8_t *data;		/* payload */
	uint32_t len;			/* payload bytes */
	uint64_t now;
	/* tcp_in.c: text was trimmed away (old, or beyond the window):
	 * not a duplicate ACK even at len 0 (Linux FLAG_DATA). */
	uint8_t trimmed;
};

/* tcp.c */
struct ts_tcb *ts_tcb_alloc(struct ts_engine *eng);
/* Unhashes tcb at once; frees it now, or after the current entry point. */
void ts_tcb_free(struct ts_tcb *tcb);
void ts_tcp_enter(struct ts_tcp *tcp);
void ts_tcp_leave(struct ts_tcp *tcp);
int ts_tcb_hash(struct ts_tcb *tcb);
struct ts_tcb *ts_tcb_lookup(struct ts_tcp *tcp, const struct ts_tcp_key *k);
/* The listener for a SYN to laddr:lport from raddr:rport: an exact
 * address before the wildcard, and within a SO_REUSEPORT group the member
 * the flow hash picks (Linux inet_lhash2_lookup / reuseport_select_sock). */
struct ts_tcb *ts_tcb_lookup_listener(struct ts_tcp *tcp, uint32_t laddr, uint16_t lport,
				      uint32_t raddr, uint16_t rport);
/* An accepted child joins its listener's bind bucket (Linux
 * __inet_inherit_port). */
void ts_tcb_inherit_port(struct ts_tcb *child, struct ts_tcb *listener);
/* Marks tcb orphaned (close(2)), counting it for tcp_max_orphans unless
 * it is in TIME-WAIT; leaving the count: ts_tcp_orphan_uncount. */
void ts_tcp_orphan(struct ts_tcb *tcb);
void ts_tcp_orphan_uncount(struct ts_tcb *tcb);
/* Linux tcp_too_many_orphans: orphans << shift > tcp_max_orphans. */
int ts_tcp_too_many_orphans(struct ts_tcp *tcp, int shift);
/* The connection is over: reports err (0: graceful) and frees an orphan or
 * a child nobody accepted; the user's TCB stays in CLOSED. */
void ts_tcp_done(struct ts_tcb *tcb, int err);
void ts_tcp_set_state(struct ts_tcb *tcb, int state);
int ts_tcp_init_buffers(struct ts_tcb *tcb);
/* Receive buffer size, allocated or to be allocated. */
uint32_t ts_tcb_rcvbuf(const struct ts_tcb *tcb);
/* Linux tcp_sndbuf_expand: room for two congestion windows. */
void ts_tcp_sndbuf_expand(struct ts_tcb *tcb);
uint32_t ts_tcb_isn(struct ts_tcp *tcp, const struct ts_tcp_key *k, uint64_t now);
uint16_t ts_tcp_mss_for(struct ts_engine *eng, uint32_t raddr);
/* Starts congestion control once the MSS is known. */
void ts_tcb_cc_start(struct ts_tcb *tcb, uint64_t now);
/* cwnd in bytes. */
uint32_t ts_tcb_cwnd(const struct ts_tcb *tcb);
/* Payload bytes per segment (MSS less the options every segment has). */
uint32_t ts_tcb_eff_mss(const struct ts_tcb *tcb);
/* The window scale for a receive buffer of bufsize bytes. */
uint8_t ts_tcp_choose_wscale(struct ts_engine *eng, uint32_t bufsize);

/* tcp_out.c */
/* Sends whatever the windows, Nagle and the flags allow. */
void ts_tcp_output(struct ts_tcb *tcb, uint64_t now);
/* Linux tcp_is_cwnd_limited: may an ACK grow cwnd (cc.cwnd_limited)? */
int ts_tcp_is_cwnd_limited(const struct ts_tcb *tcb);
/* Sends one segment: flags, seq, payload from the send ring at seq. */
int ts_tcp_xmit(struct ts_tcb *tcb, uint8_t flags, uint32_t seq, uint32_t len,
		uint64_t now);
void ts_tcp_send_ack(struct ts_tcb *tcb, uint64_t now);
/* Retransmits the first unacknowledged segment (with the FIN if it fits),
 * whatever the windows say. */
void ts_tcp_retransmit_head(struct ts_tcb *tcb, uint64_t now);
/* An RST in answer to seg, for which no TCB exists (RFC 9293 3.10.7.1). */
void ts_tcp_send_reset(struct ts_engine *eng, const struct tcp_seg *seg);
/* An RST from a TCB (abort). */
void ts_tcp_send_rst_tcb(struct ts_tcb *tcb, uint64_t now);
/* An RFC 5961 challenge ACK, rate limited; returns 1 if sent. */
int ts_tcp_challenge_ack(struct ts_tcb *tcb, uint64_t now);
/* The receive window to advertise now, unscaled bytes. */
uint32_t ts_tcp_select_window(struct ts_tcb *tcb);
uint32_t ts_tcp_tsval(const struct ts_tcb *tcb, uint64_t now);

/* tcp_timer.c */
void ts_tcp_timer_set(struct ts_tcb *tcb, int which, uint64_t when);
void ts_tcp_timer_stop(struct ts_tcb *tcb, int which);
void ts_tcp_timers_stop(struct ts_tcb *tcb);
/* Removes tcb from the timer heap (freeing). */
void ts_tcp_timer_unlink(struct ts_tcb *tcb);
/* Arms TCPT_REXMT at now + rto << backoff, capped at tcp_rto_max. */
void ts_tcp_rexmt_arm(struct ts_tcb *tcb, uint64_t now);
void ts_tcp_rtt_sample(struct ts_tcb *tcb, uint64_t rtt);
/* Arms the tail loss probe when RFC 8985 7.2 / Linux allow one. */
void ts_tcp_schedule_loss_probe(struct ts_tcb *tcb, uint64_t now);
void ts_tcp_keepalive_reset(struct ts_tcb *tcb, uint64_t now);
void ts_tcp_enter_time_wait(struct ts_tcb *tcb, uint64_t now);
uint64_t ts_tcp_tcb_next_timer(const struct ts_tcb *tcb, int *which);
void ts_tcp_run_timers(struct ts_tcb *tcb, uint64_t now);

/* tcp_in.c */
void ts_tcp_segment(struct ts_tcp *tcp, struct tcp_seg *seg);
/* A cwnd reduction begins (fast recovery, RTO): remember what to restore
 * should it prove spurious (Linux tcp_init_undo + prior_cwnd/ssthresh). */
void ts_tcp_undo_init(struct ts_tcb *tcb);
/* A segment [seq, seq + len) is being retransmitted (tcp_out.c). */
void ts_tcp_undo_rxt(struct ts_tcb *tcb, uint32_t len, uint64_t now);
/* RACK: a transmission of [seq, seq + len) left at now (tcp_out.c). */
void ts_tcp_rack_sent(struct ts_tcb *tcb, uint32_t seq, uint32_t len, uint64_t now);

#endif
