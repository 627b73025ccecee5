/* SYN cookies as Linux makes them (net/ipv4/syncookies.c): when the SYN
 * queue of a listener overflows (net.ipv4.tcp_syncookies=1) or always
 * (=2), the SYN-ACK's ISN encodes what the listener must remember, and the
 * returning ACK is validated statelessly.
 *
 * Cookie (32 bits), with count = minutes of the engine clock:
 *   H(secret0, 4-tuple, 0) + client ISN + (count << 24)
 *     + ((H(secret1, 4-tuple, count) + mss_index) mod 2^24)
 * mss_index picks from Linux's msstab {536, 1300, 1440, 1460}.  A cookie
 * is accepted if its count is at most 1 minute old (Linux
 * MAX_SYNCOOKIE_AGE = 2 counter values) and the decoded index is valid.
 *
 * With timestamps, the low 6 bits of the SYN-ACK's TSval carry the
 * options that the cookie cannot (Linux cookie_init_timestamp): the
 * client's window scale (0-14, 15 = none), SACK-permitted (bit 4) and ECN
 * (bit 5); the ACK's TSecr gives them back. */
#ifndef TS_TCP_SYNCOOKIE_H
#define TS_TCP_SYNCOOKIE_H

#include <stdint.h>

#include "tcp_isn.h"

/* Linux: the counter advances every 60 s; cookies live for two values. */
#define TS_SYNCOOKIE_PERIOD_US (60ull * 1000000ull)
#define TS_SYNCOOKIE_MAX_AGE 2

/* Linux's msstab[] (IPv4). */
#define TS_SYNCOOKIE_NMSS 4
extern const uint16_t ts_syncookie_msstab[TS_SYNCOOKIE_NMSS];

/* Encodes a cookie for the SYN from raddr:rport to laddr:lport whose ISN
 * is client_isn, advertising MSS mss.  *mss_out gets the MSS the cookie
 * remembers (the largest table entry <= mss, at least 536): the SYN-ACK
 * should use it.  Returns the ISN to send in the SYN-ACK. */
uint32_t ts_syncookie_make(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport, uint32_t client_isn,
			   uint16_t mss, uint64_t now, uint16_t *mss_out);

/* Validates the ACK that completes a cookie handshake: seg_seq and
 * seg_ack are the ACK's SEQ and ACK fields (client ISN + 1, cookie + 1).
 * Returns the MSS the cookie encodes, or -EINVAL (forged, wrong tuple or
 * expired: older than TS_SYNCOOKIE_MAX_AGE counter values). */
int ts_syncookie_check(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport, uint32_t seg_seq, uint32_t seg_ack,
		       uint64_t now);

/* Options a cookie SYN-ACK agreed to, recovered from the TSecr. */
struct ts_syncookie_opts {
	uint8_t wscale_ok;	/* the client sent window scale */
	uint8_t snd_wscale;	/* its shift (0-14) */
	uint8_t sack_ok;
	uint8_t ecn_ok;
};

/* Linux TSBITS / option bits in the low bits of the TSval. */
#define TS_SYNCOOKIE_TSBITS 6
#define TS_SYNCOOKIE_TS_WSCALE_MASK 0xfu
#define TS_SYNCOOKIE_TS_SACK 0x10u
#define TS_SYNCOOKIE_TS_ECN 0x20u

/* The TSval for a cookie SYN-ACK (before adding the per-pair ts_off):
 * ts_now with its low 6 bits replaced by the options, made not greater
 * than ts_now (Linux cookie_init_timestamp), so later TSvals never go
 * backwards. */
uint32_t ts_syncookie_ts_make(uint32_t ts_now, const struct ts_syncookie_opts *o);
/* Decodes the options from the ACK's TSecr (minus ts_off).  saw_ts: the
 * ACK carried a timestamp (if not, options are all off and 0 is returned).
 * sysctl_* are net.ipv4.tcp_timestamps / tcp_sack / tcp_window_scaling.
 * Returns 0, or -EINVAL when the echoed options are not allowed by the
 * sysctls (Linux cookie_timestamp_decode: then the ACK is dropped). */
int ts_syncookie_ts_decode(uint32_t tsecr, int saw_ts, int sysctl_ts, int sysctl_sack,
			   int sysctl_wscale, struct ts_syncookie_opts *o);

#endif
