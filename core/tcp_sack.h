/* The sender's SACK scoreboard (RFC 6675, conservative SACK-based loss
 * recovery), kept apart from the TCB: it knows only sequence ranges.
 *
 * The caller owns snd_una (HighACK in RFC 6675) and snd_nxt (HighData+1)
 * and passes them in; the scoreboard keeps the SACKed ranges inside
 * [snd_una, snd_nxt), HighRxt, RescueRxt and the recovery point.  All
 * arithmetic is wrap-safe (tcp_seq.h); all quantities are bytes.
 *
 * Typical use by tcp_in / tcp_out:
 *   on every ACK:  ts_sack_ack(sb, ack) then ts_sack_update(sb, ...)
 *   loss detected: ts_sack_enter_recovery(sb, snd_nxt)
 *   sending:       while (pipe < cwnd) ts_sack_next_seg() -> retransmit,
 *                  then ts_sack_sent_rxt(); or send new data
 *   RTO:           ts_sack_on_rto(sb)
 * RFC 6675 counts in segments where it says "segment"; here IsLost and
 * NextSeg take the SMSS to turn DupThresh into bytes. */
#ifndef TS_TCP_SACK_H
#define TS_TCP_SACK_H

#include <stddef.h>
#include <stdint.h>

/* One SACK block as carried in the option (RFC 2018 3): [start, end). */
struct ts_sack_block {
	uint32_t start, end;
};

/* Ranges the scoreboard can hold; more SACKed islands than this are not
 * recorded (that only makes IsLost more conservative). */
#define TS_SACK_MAX_RANGES 64
/* RFC 6675 2 DupThresh; Linux: net.ipv4.tcp_reordering = 3. */
#define TS_SACK_DUPTHRESH 3

struct ts_sack_scoreboard {
	unsigned n;			/* SACKed ranges, sorted, disjoint */
	struct ts_sack_block r[TS_SACK_MAX_RANGES];
	uint32_t dupthresh;		/* TS_SACK_DUPTHRESH unless set */
	uint32_t high_rxt;		/* RFC 6675 HighRxt (one past) */
	uint32_t rescue_rxt;		/* RFC 6675 RescueRxt */
	uint32_t recovery_point;	/* RFC 6675 RecoveryPoint */
	uint8_t in_recovery;
	uint8_t rescue_valid;
	uint8_t high_rxt_valid;
	uint8_t pending_rescue;		/* NextSeg returned rule (4) */
};

/* What one ACK's SACK blocks did. */
struct ts_sack_result {
	uint32_t newly_sacked;	/* bytes SACKed for the first time */
	uint8_t dsack;		/* first block was a D-SACK (RFC 2883) */
	uint8_t discarded;	/* blocks ignored: outside (snd_una, snd_nxt],
				 * empty, or no room (Linux: TCPSACKDiscard) */
};

void ts_sack_init(struct ts_sack_scoreboard *sb);
/* Forgets everything (RFC 6675 5.1 on RTO; also on SACK reneging). */
void ts_sack_reset(struct ts_sack_scoreboard *sb);
/* RTO as Linux does it (tcp_enter_loss): SACKed ranges are kept, so
 * go-back-N retransmission skips them; recovery state and HighRxt are
 * cleared.  RFC 6675 5.1 allows either; use ts_sack_reset to discard. */
void ts_sack_on_rto(struct ts_sack_scoreboard *sb);

/* Cumulative ACK: drops everything below una.  Returns 1 if this ACK
 * ended loss recovery (una reached RecoveryPoint, RFC 6675 5 (2)), else 0. */
int ts_sack_ack(struct ts_sack_scoreboard *sb, uint32_t una);
/* Records the SACK blocks of one ACK (in option order).  Blocks are
 * validated against [una, nxt] (RFC 2018; a first block below una or
 * inside the second is a D-SACK, RFC 2883 4) and never trusted otherwise.
 * Call after ts_sack_ack with the same una. */
void ts_sack_update(struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt,
		    const struct ts_sack_block *blk, int nblk,
		    struct ts_sack_result *res);

/* Is any data SACKed? */
static inline int ts_sack_any(const struct ts_sack_scoreboard *sb)
{
	return sb->n != 0;
}
/* One past the highest SACKed byte (RFC 6675 HighSACK + 1); una if none. */
uint32_t ts_sack_high(const struct ts_sack_scoreboard *sb, uint32_t una);
/* Total bytes SACKed. */
uint32_t ts_sack_bytes(const struct ts_sack_scoreboard *sb);
/* Is every byte of [seq, seq + len) SACKed? */
int ts_sack_is_sacked(const struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t len);
/* First byte at or after seq that is not SACKed. */
uint32_t ts_sack_next_unsacked(const struct ts_sack_scoreboard *sb, uint32_t seq);

/* RFC 6675 IsLost(seq): DupThresh discontiguous SACKed ranges lie above
 * seq, or more than (DupThresh - 1) * mss bytes above it are SACKed. */
int ts_sack_is_lost(const struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t mss);
/* RFC 6675 Update(): should loss recovery start?  True when snd_una itself
 * IsLost (the caller also counts DupThresh duplicate ACKs, RFC 6675 5). */
int ts_sack_should_recover(const struct ts_sack_scoreboard *sb, uint32_t una,
			   uint32_t mss);

/* RFC 6675 5 step (4.1): RecoveryPoint = HighData, nothing retransmitted
 * yet.  The caller then retransmits the first segment (4.3, from una) and
 * reports it with ts_sack_sent_rxt. */
void ts_sack_enter_recovery(struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt);
static inline int ts_sack_in_recovery(const struct ts_sack_scoreboard *sb)
{
	return sb->in_recovery;
}

/* RFC 6675 SetPipe(): bytes in [una, nxt) not SACKed and not lost, plus
 * bytes retransmitted (below HighRxt) and not SACKed. */
uint32_t ts_sack_pipe(const struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt,
		      uint32_t mss);

enum ts_sack_next {
	TS_SACK_NEXT_NONE = 0,	/* rule (5): nothing to send */
	TS_SACK_NEXT_RXT = 1,	/* retransmit [*seq, *seq + *len) */
	TS_SACK_NEXT_NEW = 2,	/* rule (2): send new data from nxt */
};
/* (For NEW and NONE, *seq is set to nxt and *len to 0.) */
/* RFC 6675 4 NextSeg().  new_data: unsent data exists and the peer's
 * window allows it.  Retransmissions are at most mss bytes and never cross
 * into a SACKed range. */
enum ts_sack_next ts_sack_next_seg(struct ts_sack_scoreboard *sb, uint32_t una,
				   uint32_t nxt, uint32_t mss, int new_data,
				   uint32_t *seq, uint32_t *len);
/* Records that [seq, seq + len) was retransmitted as NextSeg told:
 * HighRxt moves to seq + len, except for the rescue retransmission of rule
 * (4), which NextSeg already recorded. */
void ts_sack_sent_rxt(struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t len);

/* Writes the ranges (sorted by sequence) into out; returns the count. */
int ts_sack_ranges(const struct ts_sack_scoreboard *sb, struct ts_sack_block *out, int max);

#endif
