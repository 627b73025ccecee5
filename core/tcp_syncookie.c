/* SYN cookies, encoded and checked as Linux does (net/ipv4/syncookies.c).
 * Called by tcp_in: on a SYN to a listener whose queue is full (or always
 * with tcp_syncookies=2), and on an ACK to a listener that matches no
 * pending connection.  Read first: RFC 4987 3.6 (SYN cookies), RFC 9293
 * 3.10.7.2 (LISTEN state), tcp_syncookie.h for the layout. */
#include <errno.h>

#include "tcp_syncookie.h"

/* Linux COOKIEBITS: the top 8 bits carry the minute counter. */
#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)

const uint16_t ts_syncookie_msstab[TS_SYNCOOKIE_NMSS] = {536, 1300, 1440, 1460};

static uint32_t cookie_hash(const struct ts_tcp_secrets *s, uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport, uint32_t count, int c)
{
	return (uint32_t)ts_siphash_4u32(&s->cookie[c], saddr, daddr,
					 (uint32_t)sport << 16 | dport, count);
}

/* Linux tcp_cookie_time(): minutes of the clock. */
static uint32_t cookie_time(uint64_t now)
{
	return (uint32_t)(now / TS_SYNCOOKIE_PERIOD_US);
}

/* The tuple is hashed from the client's side (saddr = client), as Linux
 * hashes the incoming SYN's addresses. */
uint32_t ts_syncookie_make(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport, uint32_t client_isn,
			   uint16_t mss, uint64_t now, uint16_t *mss_out)
{
	uint32_t count = cookie_time(now);
	unsigned idx;

	/* Linux __cookie_v4_init_sequence: the largest entry <= mss, the
	 * smallest (536) otherwise. */
	for (idx = TS_SYNCOOKIE_NMSS - 1; idx > 0; idx--)
		if (mss >= ts_syncookie_msstab[idx])
			break;
	if (mss_out)
		*mss_out = ts_syncookie_msstab[idx];
	/* Linux secure_tcp_syn_cookie. */
	return cookie_hash(s, raddr, laddr, rport, lport, 0, 0) + client_isn +
	       (count << COOKIEBITS) +
	       ((cookie_hash(s, raddr, laddr, rport, lport, count, 1) + idx) & COOKIEMASK);
}

int ts_syncookie_check(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport, uint32_t seg_seq, uint32_t seg_ack,
		       uint64_t now)
{
	uint32_t count = cookie_time(now);
	uint32_t cookie = seg_ack - 1, sseq = seg_seq - 1;
	uint32_t diff, idx;

	/* Linux check_tcp_syn_cookie: strip the first hash and the client's
	 * ISN; what is left is (count << 24) + ((hash2 + idx) mod 2^24). */
	cookie -= cookie_hash(s, raddr, laddr, rport, lport, 0, 0) + sseq;
	diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
	if (diff >= TS_SYNCOOKIE_MAX_AGE)
		return -EINVAL;
	idx = (cookie - cookie_hash(s, raddr, laddr, rport, lport, count - diff, 1)) &
	      COOKIEMASK;
	if (idx >= TS_SYNCOOKIE_NMSS)
		return -EINVAL;
	return ts_syncookie_msstab[idx];
}

uint32_t ts_syncookie_ts_make(uint32_t ts_now, const struct ts_syncookie_opts *o)
{
	uint32_t options, ts;

	/* Linux cookie_init_timestamp. */
	options = o->wscale_ok ? (o->snd_wscale & TS_SYNCOOKIE_TS_WSCALE_MASK)
			       : TS_SYNCOOKIE_TS_WSCALE_MASK;
	if (o->sack_ok)
		options |= TS_SYNCOOKIE_TS_SACK;
	if (o->ecn_ok)
		options |= TS_SYNCOOKIE_TS_ECN;
	ts = (ts_now >> TS_SYNCOOKIE_TSBITS) << TS_SYNCOOKIE_TSBITS;
	ts |= options;
	/* Never ahead of the clock: the next TSval is ts_now or later, and
	 * must not look older to the peer's PAWS.  (Linux compares as plain
	 * integers on a 64-bit clock; on this 32-bit value compare
	 * wrap-safely.) */
	if ((int32_t)(ts - ts_now) > 0)
		ts -= 1u << TS_SYNCOOKIE_TSBITS;
	return ts;
}

int ts_syncookie_ts_decode(uint32_t tsecr, int saw_ts, int sysctl_ts, int sysctl_sack,
			   int sysctl_wscale, struct ts_syncookie_opts *o)
{
	o->wscale_ok = o->snd_wscale = o->sack_ok = o->ecn_ok = 0;
	/* Linux cookie_timestamp_decode: without a timestamp the cookie
	 * carried no options (the SYN-ACK offered none). */
	if (!saw_ts)
		return 0;
	if (!sysctl_ts)
		return -EINVAL;
	o->sack_ok = (tsecr & TS_SYNCOOKIE_TS_SACK) != 0;
	if (o->sack_ok && !sysctl_sack)
		return -EINVAL;
	/* Linux cookie_ecn_ok: ECN only if the echoed bit says so. */
	o->ecn_ok = (tsecr & TS_SYNCOOKIE_TS_ECN) != 0;
	if ((tsecr & TS_SYNCOOKIE_TS_WSCALE_MASK) == TS_SYNCOOKIE_TS_WSCALE_MASK)
		return 0;	/* no window scaling */
	o->wscale_ok = 1;
	o->snd_wscale = tsecr & TS_SYNCOOKIE_TS_WSCALE_MASK;
	/* A scale above 14 is not valid (RFC 7323 2.3); Linux clamps it in
	 * the option parser; 15 means "none" here, so 0-14 remain. */
	return sysctl_wscale ? 0 : -EINVAL;
}
