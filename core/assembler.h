/* Out-of-order range assembler for TCP's receive side.
 *
 * Records which byte ranges beyond rcv_nxt have arrived (the bytes
 * themselves sit in the receive ring, stored with ts_ringbuf_write_at).
 * Ranges are offsets relative to the assembler's base, which is rcv_nxt:
 * when ts_asm_add reports n contiguous bytes, the caller advances rcv_nxt
 * (and commits n bytes of the ring) and the assembler rebases itself.
 *
 * At most TS_ASM_MAX_RANGES disjoint ranges (holes) are kept: a segment
 * that would need one more is refused (-ENOSPC) and the caller drops it,
 * as Linux prunes its out-of-order queue when it grows too fragmented.
 *
 * Each range remembers when it was last touched, so the SACK blocks come
 * out most recent first (RFC 2018 4: the first block reports the most
 * recently received segment, then the most recently reported others). */
#ifndef TS_ASSEMBLER_H
#define TS_ASSEMBLER_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_sack.h"	/* struct ts_sack_block */

#define TS_ASM_MAX_RANGES 32

struct ts_asm_range {
	uint32_t start, end;	/* [start, end) offsets from the base */
	uint32_t stamp;		/* when last extended (larger is newer) */
};

struct ts_assembler {
	unsigned n;		/* ranges in use, sorted by start, disjoint */
	uint32_t clock;		/* bumped on every add */
	struct ts_asm_range r[TS_ASM_MAX_RANGES];
};

void ts_asm_init(struct ts_assembler *a);
/* Forgets every range (connection reset, receive buffer dropped). */
void ts_asm_clear(struct ts_assembler *a);

/* Records bytes [off, off + len) relative to the base.  Overlaps and
 * duplicates merge.  Returns the number of bytes contiguous from the base
 * that became available (0 if a hole remains at the base), after which the
 * base has moved by that many bytes; or -EINVAL (len 0, or off + len beyond
 * 2^31), or -ENOSPC (would need more than TS_ASM_MAX_RANGES ranges;
 * nothing recorded). */
int ts_asm_add(struct ts_assembler *a, uint32_t off, uint32_t len);

/* Moves the base forward by n bytes that arrived in order by another path
 * (ranges wholly below the new base are dropped, a range straddling it is
 * trimmed).  Returns the bytes now contiguous from the new base (which are
 * then consumed too, as in ts_asm_add). */
int ts_asm_advance(struct ts_assembler *a, uint32_t n);

static inline int ts_asm_empty(const struct ts_assembler *a)
{
	return a->n == 0;
}

static inline unsigned ts_asm_count(const struct ts_assembler *a)
{
	return a->n;
}

/* Bytes held out of order (sum of range lengths). */
size_t ts_asm_bytes(const struct ts_assembler *a);
/* Is [off, off + len) entirely recorded?  (D-SACK, RFC 2883, for a
 * duplicate out-of-order segment.) */
int ts_asm_contains(const struct ts_assembler *a, uint32_t off, uint32_t len);
/* Offset one past the highest byte recorded, 0 if empty. */
uint32_t ts_asm_high(const struct ts_assembler *a);

/* Writes up to max SACK blocks in sequence space (base_seq is the current
 * rcv_nxt), most recently touched first.  Returns the count. */
int ts_asm_sack_blocks(const struct ts_assembler *a, uint32_t base_seq,
		       struct ts_sack_block *out, int max);
/* The same with a D-SACK block first (RFC 2883 4, Linux tcp_dsack=1):
 * dsack reports a duplicate segment just received (below rcv_nxt, or
 * already held out of order); if it lies inside a held range, that range
 * comes second (4 (2)); the others follow most recent first.  dsack NULL:
 * as ts_asm_sack_blocks.  Returns the count. */
int ts_asm_sack_blocks_dsack(const struct ts_assembler *a, uint32_t base_seq,
			     const struct ts_sack_block *dsack, struct ts_sack_block *out,
			     int max);

#endif
