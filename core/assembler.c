/* Out-of-order range assembler: which bytes past rcv_nxt have arrived.
 * Called by tcp_in when a segment lands beyond rcv_nxt, and by tcp_out to
 * build SACK blocks (RFC 2018).  Read first: RFC 9293 3.10.7.4 (segment
 * text beyond RCV.NXT is kept for later), RFC 2018 4 (block order). */
#include <errno.h>
#include <string.h>

#include "assembler.h"

/* Linux caps the receive window at 1 GiB; anything at or past 2^31 from
 * rcv_nxt is not a plausible offset and would overflow the int result. */
#define ASM_OFF_LIMIT 0x7fffffffu

void ts_asm_init(struct ts_assembler *a)
{
	memset(a, 0, sizeof(*a));
}

void ts_asm_clear(struct ts_assembler *a)
{
	a->n = 0;
}

/* Removes ranges [i, j) from the array. */
static void remove_ranges(struct ts_assembler *a, unsigned i, unsigned j)
{
	memmove(&a->r[i], &a->r[j], (a->n - j) * sizeof(a->r[0]));
	a->n -= j - i;
}

/* Moves the base forward by n bytes; every range must start past n. */
static void rebase(struct ts_assembler *a, uint32_t n)
{
	for (unsigned i = 0; i < a->n; i++) {
		a->r[i].start -= n;
		a->r[i].end -= n;
	}
}

/* If the first range starts at the base, it is contiguous with what the
 * caller already has: hand it over and rebase every other range. */
static uint32_t take_front(struct ts_assembler *a)
{
	uint32_t got;

	if (a->n == 0 || a->r[0].start != 0)
		return 0;
	got = a->r[0].end;
	remove_ranges(a, 0, 1);
	rebase(a, got);
	return got;
}

int ts_asm_add(struct ts_assembler *a, uint32_t off, uint32_t len)
{
	uint32_t end;
	unsigned i, j;

	if (len == 0 || off > ASM_OFF_LIMIT || len > ASM_OFF_LIMIT - off)
		return -EINVAL;
	end = off + len;
	/* First range that ends at or after off (touching ranges merge). */
	for (i = 0; i < a->n && a->r[i].end < off; i++)
		;
	/* One past the last range that starts at or before end. */
	for (j = i; j < a->n && a->r[j].start <= end; j++)
		;
	a->clock++;
	if (i == j) {
		/* A new island.  In-order data (off 0) needs no slot: it is
		 * handed straight back. */
		if (off == 0) {
			rebase(a, len);
			return (int)len;
		}
		if (a->n == TS_ASM_MAX_RANGES)
			return -ENOSPC;
		memmove(&a->r[i + 1], &a->r[i], (a->n - i) * sizeof(a->r[0]));
		a->n++;
		a->r[i].start = off;
		a->r[i].end = end;
		a->r[i].stamp = a->clock;
	} else {
		/* Merge ranges i..j-1 with the new bytes into range i. */
		if (a->r[i].start > off)
			a->r[i].start = off;
		if (a->r[j - 1].end > end)
			end = a->r[j - 1].end;
		a->r[i].end = end;
		a->r[i].stamp = a->clock;
		remove_ranges(a, i + 1, j);
	}
	return (int)take_front(a);
}

int ts_asm_advance(struct ts_assembler *a, uint32_t n)
{
	unsigned i;

	if (n > ASM_OFF_LIMIT)
		return -EINVAL;
	for (i = 0; i < a->n && a->r[i].end <= n; i++)
		;
	remove_ranges(a, 0, i);
	if (a->n && a->r[0].start < n)
		a->r[0].start = n;	/* straddles the new base */
	rebase(a, n);
	return (int)take_front(a);
}

size_t ts_asm_bytes(const struct ts_assembler *a)
{
	size_t sum = 0;

	for (unsigned i = 0; i < a->n; i++)
		sum += a->r[i].end - a->r[i].start;
	return sum;
}

int ts_asm_contains(const struct ts_assembler *a, uint32_t off, uint32_t len)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->r[i].start <= off && off + (uint64_t)len <= a->r[i].end)
			return 1;
	return 0;
}

uint32_t ts_asm_high(const struct ts_assembler *a)
{
	return a->n ? a->r[a->n - 1].end : 0;
}

/* Writes up to max blocks, most recently touched first, skipping range
 * index skip (-1: none). */
static int blocks_by_recency(const struct ts_assembler *a, uint32_t base_seq, int skip,
			     struct ts_sack_block *out, int max)
{
	uint8_t used[TS_ASM_MAX_RANGES] = {0};
	int k = 0, avail = (int)a->n;

	if (skip >= 0) {
		used[skip] = 1;
		avail--;
	}
	/* RFC 2018 4: the first block MUST hold the most recently received
	 * segment; the rest SHOULD repeat the most recently reported ones.
	 * Ordering by last touch gives both.  A selection sort: n <= 32 and
	 * max is at most 4 (3 with timestamps). */
	for (k = 0; k < max && k < avail; k++) {
		int best = -1;

		for (unsigned i = 0; i < a->n; i++)
			if (!used[i] && (best < 0 ||
					 (int32_t)(a->r[i].stamp - a->r[best].stamp) > 0))
				best = (int)i;
		used[best] = 1;
		out[k].start = base_seq + a->r[best].start;
		out[k].end = base_seq + a->r[best].end;
	}
	return k;
}

int ts_asm_sack_blocks(const struct ts_assembler *a, uint32_t base_seq,
		       struct ts_sack_block *out, int max)
{
	return blocks_by_recency(a, base_seq, -1, out, max);
}

int ts_asm_sack_blocks_dsack(const struct ts_assembler *a, uint32_t base_seq,
			     const struct ts_sack_block *dsack, struct ts_sack_block *out,
			     int max)
{
	int k = 0, holder = -1;

	if (!dsack || max <= 0)
		return blocks_by_recency(a, base_seq, -1, out, max);
	/* RFC 2883 4 (1): the first block reports the duplicate. */
	out[k++] = *dsack;
	/* (2): followed by the block that contains it, if any. */
	for (unsigned i = 0; i < a->n && k < max; i++) {
		uint32_t s = dsack->start - base_seq, e = dsack->end - base_seq;

		/* Offsets below the base wrap to huge values and match
		 * nothing (duplicates below rcv_nxt have no holder). */
		if (a->r[i].start <= s && e <= a->r[i].end && s < e) {
			out[k].start = base_seq + a->r[i].start;
			out[k].end = base_seq + a->r[i].end;
			k++;
			holder = (int)i;
			break;
		}
	}
	return k + blocks_by_recency(a, base_seq, holder, out + k, max - k);
}
