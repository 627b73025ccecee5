/* TCP congestion control: a small state (cwnd, ssthresh, recovery
 * bookkeeping) and an ops table per algorithm, as Linux's
 * tcp_congestion_ops.  "reno" (RFC 5681 + RFC 6582 NewReno) and "cubic"
 * (RFC 9438, following Linux's tcp_cubic.c, with Linux's HyStart: ACK
 * train and delay increase end slow start early).  HyStart needs to know
 * snd_nxt, so it runs only once the sender reports transmissions with
 * ts_tcp_cc_on_send.
 *
 * Units, as Linux: cwnd and ssthresh are in SEGMENTS (of cc->mss bytes);
 * the framework turns acknowledged bytes into segments (remainders carry
 * over), so a 1-byte ACK never grows cwnd by a segment.  Time is µs.
 *
 * The TCP engine calls the ts_tcp_cc_* functions below, never the ops
 * directly; they implement the RFC 5681/6582 framework (slow start vs
 * congestion avoidance, fast recovery, RTO) and call the ops for what
 * differs between algorithms (growth, ssthresh on loss). */
#ifndef TS_TCP_CC_H
#define TS_TCP_CC_H

#include <stddef.h>
#include <stdint.h>

/* Linux TCP_INFINITE_SSTHRESH. */
#define TS_TCP_INFINITE_SSTHRESH 0x7fffffffu
/* RFC 6928: IW = 10 segments (Linux TCP_INIT_CWND). */
#define TS_TCP_INIT_CWND 10u

/* Linux's congestion-avoidance states (tcp_ca_state), shown by `ss -i`. */
enum ts_tcp_ca_state {
	TS_CA_OPEN = 0,
	TS_CA_DISORDER = 1,	/* dupacks/SACKs seen, no loss decided yet */
	TS_CA_CWR = 2,		/* ECN/local congestion window reduction */
	TS_CA_RECOVERY = 3,	/* fast recovery (RFC 6582 / RFC 6675) */
	TS_CA_LOSS = 4,		/* after an RTO */
};

enum ts_tcp_ca_event {
	TS_CA_EVENT_TX_START,	/* first transmission with nothing in flight */
	TS_CA_EVENT_CWND_RESTART, /* cwnd reset after idle (RFC 5681 4.1) */
	TS_CA_EVENT_COMPLETE_CWR, /* recovery finished */
	TS_CA_EVENT_LOSS,	/* RTO */
};

struct ts_tcp_cc_ops;

struct ts_tcp_cc_state {
	const struct ts_tcp_cc_ops *ops;
	uint32_t cwnd;		/* segments (Linux snd_cwnd) */
	uint32_t ssthresh;	/* segments (Linux snd_ssthresh) */
	uint32_t cwnd_cnt;	/* CA: segments acked toward the next +1 */
	uint32_t cwnd_clamp;	/* upper bound of cwnd, segments */
	uint32_t mss;		/* bytes per segment */
	uint32_t acked_frac;	/* acked bytes not yet a whole segment */
	uint32_t init_cwnd;	/* initial / restart window, segments */
	uint32_t recover;	/* RFC 6582 "recover": snd_nxt at entry */
	uint32_t prior_cwnd;	/* cwnd before the last reduction */
	uint8_t ca_state;	/* enum ts_tcp_ca_state */
	uint8_t sack;		/* enum ts_tcp_recovery_mode of this recovery */
	uint8_t cwnd_limited;	/* set by the sender: was cwnd the limit?
				 * (Linux tcp_is_cwnd_limited); 1 at init */
	uint64_t last_send;	/* time of the last data transmission */
	uint32_t prr_delivered;	/* RFC 6937 prr_delivered, segments */
	uint32_t prr_out;	/* RFC 6937 prr_out, segments */
	uint32_t snd_una;	/* the last ACK given to ts_tcp_cc_on_ack */
	uint32_t snd_nxt;	/* end of the last data given to on_send */
	uint8_t snd_nxt_valid;	/* on_send was called: HyStart may run */
	uint64_t priv[16];	/* algorithm private area (CUBIC) */
};

struct ts_tcp_cc_ops {
	const char *name;
	/* Sets up the private area. */
	void (*init)(struct ts_tcp_cc_state *cc, uint64_t now);
	/* Returns the new ssthresh after a loss (segments); may update
	 * private state (CUBIC's W_max). */
	uint32_t (*ssthresh)(struct ts_tcp_cc_state *cc);
	/* Grows cwnd for acked segments outside recovery (slow start and
	 * congestion avoidance), only called when cwnd_limited. */
	void (*cong_avoid)(struct ts_tcp_cc_state *cc, uint32_t acked, uint64_t now);
	/* Every ACK that acknowledges new data: acked segments, RTT sample
	 * in µs (0: none).  Optional. */
	void (*pkts_acked)(struct ts_tcp_cc_state *cc, uint32_t acked,
			   uint64_t rtt_us, uint64_t now);
	/* ca_state is about to change.  Optional. */
	void (*set_state)(struct ts_tcp_cc_state *cc, uint8_t new_state);
	/* Optional.  arg: idle time in µs for TX_START. */
	void (*cwnd_event)(struct ts_tcp_cc_state *cc, enum ts_tcp_ca_event ev,
			   uint64_t arg, uint64_t now);
};

extern const struct ts_tcp_cc_ops ts_tcp_reno_ops;
extern const struct ts_tcp_cc_ops ts_tcp_cubic_ops;

/* Ops by name ("reno", "cubic"), or NULL. */
const struct ts_tcp_cc_ops *ts_tcp_cc_find(const char *name);
/* Ops by the index of net.ipv4.tcp_congestion_control (ts_cc_names[]),
 * or NULL. */
const struct ts_tcp_cc_ops *ts_tcp_cc_by_index(int64_t i);

/* Starts a connection's congestion control: cwnd = init_cwnd (0: RFC 6928
 * IW 10), ssthresh infinite, state Open. */
void ts_tcp_cc_init(struct ts_tcp_cc_state *cc, const struct ts_tcp_cc_ops *ops,
		    uint32_t mss, uint32_t init_cwnd, uint64_t now);
/* MSS changed (PMTU, options): later byte counts use it. */
void ts_tcp_cc_set_mss(struct ts_tcp_cc_state *cc, uint32_t mss);
/* cwnd in bytes (cwnd * mss, saturating). */
uint64_t ts_tcp_cc_cwnd_bytes(const struct ts_tcp_cc_state *cc);
static inline int ts_tcp_cc_in_slow_start(const struct ts_tcp_cc_state *cc)
{
	return cc->cwnd < cc->ssthresh;
}

/* What an ACK means for recovery. */
enum ts_tcp_cc_ack {
	TS_CC_ACK_NORMAL = 0,	/* outside recovery */
	TS_CC_ACK_PARTIAL = 1,	/* RFC 6582 3.2 (5): retransmit the first
				 * unacknowledged segment now */
	TS_CC_ACK_FULL = 2,	/* recovery (or loss state) ended */
};

/* An ACK advanced snd_una to ack, acknowledging acked_bytes new bytes.
 * Outside recovery cwnd grows (if cwnd_limited); in recovery, RFC 6582:
 * a full ACK (ack >= recover) deflates cwnd to ssthresh and ends recovery,
 * a partial ACK deflates cwnd by the acked segments and adds one back
 * (NEWRENO mode only: with SACK pipe governs, with PRR ts_tcp_cc_prr_ack).  In Loss state cwnd slow-starts and
 * the state returns to Open when ack reaches recover. */
enum ts_tcp_cc_ack ts_tcp_cc_on_ack(struct ts_tcp_cc_state *cc, uint32_t ack,
				    uint32_t acked_bytes, uint64_t rtt_us, uint64_t now);
/* A duplicate ACK (RFC 5681 2).  Returns 1 when this one is the dupack
 * that starts fast retransmit (dupacks == 3: the caller retransmits and
 * calls ts_tcp_cc_enter_recovery), else 0; in recovery without SACK it
 * inflates cwnd by one segment (RFC 6582 3.2 (4)).  The caller counts
 * dupacks (and applies RFC 6582 4.1 / recover checks before entering). */
int ts_tcp_cc_on_dupack(struct ts_tcp_cc_state *cc, uint32_t dupacks);
/* How cwnd behaves during fast recovery. */
enum ts_tcp_recovery_mode {
	TS_RECOVERY_NEWRENO = 0, /* RFC 6582: ssthresh + 3, inflate, deflate */
	TS_RECOVERY_SACK = 1,	/* RFC 6675: cwnd = ssthresh, pipe decides */
	TS_RECOVERY_PRR = 2,	/* RFC 6937 PRR, as Linux: the caller calls
				 * ts_tcp_cc_prr_ack on every ACK in recovery
				 * and ts_tcp_cc_prr_sent for what it sends */
};
/* Fast retransmit / fast recovery (RFC 5681 3.2 (2)-(3), RFC 6582 3.2 (2),
 * RFC 6675 5 (4), RFC 6937 3): recover = snd_nxt, ssthresh from the
 * algorithm; cwnd = ssthresh + 3 (NEWRENO), ssthresh (SACK), or left to
 * PRR.  mode is an enum ts_tcp_recovery_mode (0/1 keep their old meaning
 * "without/with SACK"). */
void ts_tcp_cc_enter_recovery(struct ts_tcp_cc_state *cc, uint32_t snd_nxt,
			      int mode, uint64_t now);
/* RFC 6937 (Linux tcp_cwnd_reduction), in recovery with mode PRR, on every
 * ACK: delivered = segments newly acked or SACKed by it, in_flight =
 * segments in the network after it (pipe / mss), una_advanced = it moved
 * snd_una, newly_lost = it marked segments lost.  Sets cwnd = in_flight +
 * the segments that may be sent now, and returns that count. */
uint32_t ts_tcp_cc_prr_ack(struct ts_tcp_cc_state *cc, uint32_t delivered,
			   uint32_t in_flight, int una_advanced, int newly_lost);
/* Segments sent (new or retransmitted) while in recovery (prr_out). */
void ts_tcp_cc_prr_sent(struct ts_tcp_cc_state *cc, uint32_t segs);
/* Retransmission timeout (RFC 5681 3.1 eq. 4, Linux tcp_enter_loss):
 * ssthresh reduced unless already in Recovery/Loss for this window,
 * cwnd = 1, state Loss until snd_nxt is acknowledged. */
void ts_tcp_cc_on_rto(struct ts_tcp_cc_state *cc, uint32_t snd_nxt, uint64_t now);
/* Data is about to be sent; end_seq is one past its last byte (the new
 * snd_nxt, for HyStart's rounds).  in_flight: bytes outstanding before it.
 * After an idle period longer than rto_us (0: never), cwnd is cut back
 * toward the restart window as Linux's tcp_cwnd_restart (RFC 5681 4.1,
 * tcp_slow_start_after_idle=1), and the algorithm hears TX_START. */
void ts_tcp_cc_on_send(struct ts_tcp_cc_state *cc, uint32_t end_seq, uint32_t in_flight,
		       uint64_t rto_us, uint64_t now);

/* Helpers the algorithms share (Linux tcp_slow_start, tcp_cong_avoid_ai).
 * Slow start: cwnd += acked, capped at ssthresh; returns the acked
 * segments left over for congestion avoidance. */
uint32_t ts_tcp_slow_start(struct ts_tcp_cc_state *cc, uint32_t acked);
/* Additive increase: cwnd += 1 per w segments acked. */
void ts_tcp_cong_avoid_ai(struct ts_tcp_cc_state *cc, uint32_t w, uint32_t acked);

/* CUBIC internals exposed for tests and `ss -i` (all read-only). */
struct ts_tcp_cubic_info {
	uint32_t last_max_cwnd;	/* W_max, segments */
	uint32_t origin_point;	/* W at the curve's plateau, segments */
	uint32_t k;		/* K in 1/1024 s */
	uint32_t cnt;		/* acked segments per +1 of cwnd */
	uint32_t tcp_cwnd;	/* Reno-friendly estimate W_est, segments */
	uint32_t delay_min_us;
	uint8_t epoch_valid;
	uint8_t hystart_found;	/* 0, TS_HYSTART_ACK_TRAIN or _DELAY */
};
#define TS_HYSTART_ACK_TRAIN 1
#define TS_HYSTART_DELAY 2
int ts_tcp_cubic_get_info(const struct ts_tcp_cc_state *cc, struct ts_tcp_cubic_info *info);

#endif
