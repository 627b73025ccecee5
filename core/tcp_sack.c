/* The sender's SACK scoreboard: which bytes of the retransmission queue
 * the peer holds, what is lost, what to retransmit next, and how much is
 * in the network.  Called by tcp_in (ACK processing, entering recovery)
 * and tcp_out (sending during recovery).  Read first: RFC 6675 (loss
 * recovery), RFC 2018 (the option), RFC 2883 (D-SACK). */
#include <string.h>

#include "tcp_sack.h"
#include "tcp_seq.h"

void ts_sack_init(struct ts_sack_scoreboard *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->dupthresh = TS_SACK_DUPTHRESH;
}

void ts_sack_on_rto(struct ts_sack_scoreboard *sb)
{
	sb->in_recovery = 0;
	sb->high_rxt_valid = 0;
	sb->rescue_valid = 0;
	sb->pending_rescue = 0;
}

void ts_sack_reset(struct ts_sack_scoreboard *sb)
{
	ts_sack_on_rto(sb);
	sb->n = 0;
}

static void remove_ranges(struct ts_sack_scoreboard *sb, unsigned i, unsigned j)
{
	memmove(&sb->r[i], &sb->r[j], (sb->n - j) * sizeof(sb->r[0]));
	sb->n -= j - i;
}

int ts_sack_ack(struct ts_sack_scoreboard *sb, uint32_t una)
{
	unsigned i;

	for (i = 0; i < sb->n && SEQ_LEQ(sb->r[i].end, una); i++)
		;
	remove_ranges(sb, 0, i);
	if (sb->n && SEQ_LT(sb->r[0].start, una))
		sb->r[0].start = una;
	if (sb->high_rxt_valid && SEQ_LT(sb->high_rxt, una))
		sb->high_rxt = una;
	/* RFC 6675 5 (2): a cumulative ACK at or beyond RecoveryPoint ends
	 * loss recovery. */
	if (sb->in_recovery && SEQ_GEQ(una, sb->recovery_point)) {
		sb->in_recovery = 0;
		sb->high_rxt_valid = 0;
		sb->rescue_valid = 0;
		sb->pending_rescue = 0;
		return 1;
	}
	return 0;
}

/* Adds [s, e) to the sorted ranges; returns the bytes not covered before,
 * or -1 if a new range was needed and there is no room. */
static long insert_range(struct ts_sack_scoreboard *sb, uint32_t s, uint32_t e)
{
	unsigned i, j;
	uint32_t covered = 0;

	for (i = 0; i < sb->n && SEQ_LT(sb->r[i].end, s); i++)
		;
	for (j = i; j < sb->n && SEQ_LEQ(sb->r[j].start, e); j++) {
		uint32_t os = SEQ_MAX(sb->r[j].start, s), oe = SEQ_MIN(sb->r[j].end, e);

		if (SEQ_LT(os, oe))
			covered += oe - os;
	}
	if (i == j) {
		if (sb->n == TS_SACK_MAX_RANGES)
			return -1;
		memmove(&sb->r[i + 1], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
		sb->n++;
		sb->r[i].start = s;
		sb->r[i].end = e;
		return e - s;
	}
	sb->r[i].start = SEQ_MIN(sb->r[i].start, s);
	sb->r[i].end = SEQ_MAX(sb->r[j - 1].end, e);
	remove_ranges(sb, i + 1, j);
	return (long)(e - s) - covered;
}

void ts_sack_update(struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt,
		    const struct ts_sack_block *blk, int nblk, struct ts_sack_result *res)
{
	memset(res, 0, sizeof(*res));
	for (int k = 0; k < nblk; k++) {
		uint32_t s = blk[k].start, e = blk[k].end;
		long got;

		/* RFC 2883 4: a first block below the cumulative ACK, or
		 * inside the second block, reports a duplicate (Linux
		 * tcp_check_dsack).  It says nothing new about the queue. */
		if (k == 0 && (SEQ_LT(s, una) ||
			       (nblk > 1 && SEQ_GEQ(s, blk[1].start) &&
				SEQ_LEQ(e, blk[1].end)))) {
			res->dsack = 1;
			continue;
		}
		/* Linux tcp_is_sackblock_valid: within (snd_una, snd_nxt],
		 * not empty or reversed.  Anything else is ignored, never
		 * trusted (it could be forged or from an old connection). */
		if (!SEQ_LT(s, e) || !SEQ_GT(s, una) || SEQ_GT(e, nxt)) {
			res->discarded++;
			continue;
		}
		got = insert_range(sb, s, e);
		if (got < 0)
			res->discarded++;
		else
			res->newly_sacked += (uint32_t)got;
	}
}

uint32_t ts_sack_high(const struct ts_sack_scoreboard *sb, uint32_t una)
{
	return sb->n ? sb->r[sb->n - 1].end : una;
}

uint32_t ts_sack_bytes(const struct ts_sack_scoreboard *sb)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < sb->n; i++)
		sum += sb->r[i].end - sb->r[i].start;
	return sum;
}

int ts_sack_is_sacked(const struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t len)
{
	for (unsigned i = 0; i < sb->n; i++)
		if (SEQ_LEQ(sb->r[i].start, seq) && SEQ_GEQ(sb->r[i].end, seq + len))
			return 1;
	return 0;
}

uint32_t ts_sack_next_unsacked(const struct ts_sack_scoreboard *sb, uint32_t seq)
{
	for (unsigned i = 0; i < sb->n; i++)
		if (SEQ_LEQ(sb->r[i].start, seq) && SEQ_LT(seq, sb->r[i].end))
			seq = sb->r[i].end;	/* ranges are sorted: keep going */
	return seq;
}

/* Unsacked bytes below this sequence number are lost (RFC 6675 IsLost);
 * una when nothing is.  Because SACKed bytes above a point only grow as
 * the point moves down, the lost set is everything unsacked below the
 * start of the highest range at which the DupThresh test first holds. */
static uint32_t dupthresh(const struct ts_sack_scoreboard *sb)
{
	return sb->dupthresh ? sb->dupthresh : TS_SACK_DUPTHRESH;
}

static uint32_t lost_limit(const struct ts_sack_scoreboard *sb, uint32_t una, uint32_t mss)
{
	uint64_t bytes = 0, limit = (uint64_t)(dupthresh(sb) - 1) * mss;
	uint32_t ranges = 0;

	for (unsigned i = sb->n; i-- > 0;) {
		bytes += sb->r[i].end - sb->r[i].start;
		ranges++;
		if (bytes > limit || ranges >= dupthresh(sb))
			return sb->r[i].start;
	}
	return una;
}

int ts_sack_is_lost(const struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t mss)
{
	uint64_t bytes = 0, limit = (uint64_t)(dupthresh(sb) - 1) * mss;
	uint32_t ranges = 0;

	for (unsigned i = 0; i < sb->n; i++) {
		if (SEQ_GT(sb->r[i].start, seq)) {
			bytes += sb->r[i].end - sb->r[i].start;
			ranges++;
		} else if (SEQ_GT(sb->r[i].end, seq + 1)) {
			bytes += sb->r[i].end - (seq + 1);	/* above seq */
		}
	}
	return bytes > limit || ranges >= dupthresh(sb);
}

int ts_sack_should_recover(const struct ts_sack_scoreboard *sb, uint32_t una, uint32_t mss)
{
	/* RFC 6675 5: IsLost(HighACK + 1), the first unacknowledged byte. */
	return ts_sack_is_lost(sb, una, mss);
}

void ts_sack_enter_recovery(struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt)
{
	sb->in_recovery = 1;
	sb->recovery_point = nxt;
	sb->high_rxt = una;
	sb->high_rxt_valid = 1;
	sb->rescue_valid = 0;
	sb->pending_rescue = 0;
}

/* Bytes in [a, b) not covered by a SACKed range. */
static uint32_t unsacked_between(const struct ts_sack_scoreboard *sb, uint32_t a, uint32_t b)
{
	uint32_t n;

	if (!SEQ_LT(a, b))
		return 0;
	n = b - a;
	for (unsigned i = 0; i < sb->n; i++) {
		uint32_t os = SEQ_MAX(sb->r[i].start, a), oe = SEQ_MIN(sb->r[i].end, b);

		if (SEQ_LT(os, oe))
			n -= oe - os;
	}
	return n;
}

uint32_t ts_sack_pipe(const struct ts_sack_scoreboard *sb, uint32_t una, uint32_t nxt,
		      uint32_t mss)
{
	uint32_t lost = lost_limit(sb, una, mss);
	uint32_t pipe;

	/* RFC 6675 SetPipe (a): every unSACKed byte not lost. */
	pipe = unsacked_between(sb, SEQ_MAX(lost, una), nxt);
	/* (b): every unSACKed byte retransmitted (at or below HighRxt). */
	if (sb->high_rxt_valid)
		pipe += unsacked_between(sb, una, SEQ_MIN(sb->high_rxt, nxt));
	return pipe;
}

/* The hole starting at seq (unsacked): up to mss bytes, not past the next
 * SACKed range or lim. */
static uint32_t hole_len(const struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t lim,
			 uint32_t mss)
{
	uint32_t end = lim;

	for (unsigned i = 0; i < sb->n; i++)
		if (SEQ_GT(sb->r[i].start, seq)) {
			end = SEQ_MIN(end, sb->r[i].start);
			break;
		}
	return end - seq < mss ? end - seq : mss;
}

enum ts_sack_next ts_sack_next_seg(struct ts_sack_scoreboard *sb, uint32_t una,
				   uint32_t nxt, uint32_t mss, int new_data,
				   uint32_t *seq, uint32_t *len)
{
	uint32_t from = una, s2, high = ts_sack_high(sb, una);

	sb->pending_rescue = 0;
	/* For rules (2) and (5): new data starts at nxt; nothing to resend. */
	*seq = nxt;
	*len = 0;
	if (sb->high_rxt_valid && SEQ_GT(sb->high_rxt, una))
		from = sb->high_rxt;
	/* The smallest unSACKed byte above HighRxt.  IsLost only grows
	 * toward lower sequence numbers, so if it is not lost, none above
	 * it is. */
	s2 = ts_sack_next_unsacked(sb, from);
	/* (1) lost, below HighSACK: retransmit it. */
	if (SEQ_LT(s2, high) && SEQ_LT(s2, nxt) && ts_sack_is_lost(sb, s2, mss)) {
		*seq = s2;
		*len = hole_len(sb, s2, high, mss);
		return TS_SACK_NEXT_RXT;
	}
	/* (2) new data, if any may go. */
	if (new_data)
		return TS_SACK_NEXT_NEW;
	/* (3) not (yet) lost, but below HighSACK: SHOULD retransmit. */
	if (SEQ_LT(s2, high) && SEQ_LT(s2, nxt)) {
		*seq = s2;
		*len = hole_len(sb, s2, high, mss);
		return TS_SACK_NEXT_RXT;
	}
	/* (4) one rescue retransmission per recovery, of the highest
	 * outstanding unSACKed data, while HighACK > RescueRxt. */
	if (sb->in_recovery && (!sb->rescue_valid || SEQ_GT(una, sb->rescue_rxt))) {
		uint32_t top = nxt, floor = una, start;

		/* The highest unSACKed byte is top - 1; the segment ends
		 * there and does not reach back into a SACKed range. */
		if (sb->n && sb->r[sb->n - 1].end == nxt)
			top = sb->r[sb->n - 1].start;
		for (unsigned i = 0; i < sb->n; i++)
			if (SEQ_LEQ(sb->r[i].end, top))
				floor = SEQ_MAX(floor, sb->r[i].end);
		if (SEQ_GT(top, floor)) {
			start = top - floor > mss ? top - mss : floor;
			*seq = start;
			*len = top - start;
			sb->rescue_rxt = sb->recovery_point;
			sb->rescue_valid = 1;
			sb->pending_rescue = 1;
			return TS_SACK_NEXT_RXT;
		}
	}
	/* (5) nothing. */
	return TS_SACK_NEXT_NONE;
}

void ts_sack_sent_rxt(struct ts_sack_scoreboard *sb, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;

	/* Rule (4): HighRxt MUST NOT be updated by the rescue. */
	if (sb->pending_rescue) {
		sb->pending_rescue = 0;
		return;
	}
	if (!sb->high_rxt_valid || SEQ_GT(end, sb->high_rxt)) {
		sb->high_rxt = end;
		sb->high_rxt_valid = 1;
	}
	/* RFC 6675 5 (4.3): the first retransmission of an episode also
	 * sets RescueRxt, so no rescue happens before HighACK passes it. */
	if (sb->in_recovery && !sb->rescue_valid) {
		sb->rescue_rxt = end;
		sb->rescue_valid = 1;
	}
}

int ts_sack_ranges(const struct ts_sack_scoreboard *sb, struct ts_sack_block *out, int max)
{
	int k;

	for (k = 0; k < max && k < (int)sb->n; k++)
		out[k] = sb->r[k];
	return k;
}
