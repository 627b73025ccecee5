/* Secrets and keyed hashes for TCP: initial sequence numbers (RFC 6528),
 * timestamp offsets, SYN cookies (tcp_syncookie.h) and flow hashing
 * (SO_REUSEPORT).  The hash is SipHash-2-4 (Aumasson & Bernstein), as
 * Linux uses for secure_tcp_seq: a PRF with a 128-bit key, fast on short
 * inputs, so an off-path attacker cannot predict ISNs or forge cookies.
 *
 * One struct ts_tcp_secrets per engine, filled once from getrandom();
 * tests set it to fixed values. */
#ifndef TS_TCP_ISN_H
#define TS_TCP_ISN_H

#include <stddef.h>
#include <stdint.h>

struct ts_siphash_key {
	uint64_t k0, k1;	/* the key's bytes 0-7 and 8-15, little-endian */
};

/* SipHash-2-4 of len bytes. */
uint64_t ts_siphash(const struct ts_siphash_key *key, const void *data, size_t len);
/* SipHash-2-4 of up to four 32-bit words (hashed as their little-endian
 * bytes, so ts_siphash_4u32(k, a, b, c, d) equals ts_siphash over those 16
 * bytes). */
uint64_t ts_siphash_2u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b);
uint64_t ts_siphash_3u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b,
			 uint32_t c);
uint64_t ts_siphash_4u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b,
			 uint32_t c, uint32_t d);

struct ts_tcp_secrets {
	struct ts_siphash_key isn;	/* RFC 6528 F() (Linux net_secret) */
	struct ts_siphash_key ts;	/* timestamp offsets (Linux ts_secret) */
	struct ts_siphash_key cookie[2]; /* SYN cookies (Linux syncookie_secret) */
	struct ts_siphash_key flow;	/* flow hashing (reuseport, tables) */
};

/* Fills all keys from getrandom().  Returns 0 or -errno. */
int ts_tcp_secrets_init(struct ts_tcp_secrets *s);
/* Derives all keys from one seed (tests, reproducible runs). */
void ts_tcp_secrets_set(struct ts_tcp_secrets *s, uint64_t seed);

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey).  F is SipHash; M is a clock of 64 ns period as Linux's
 * seq_scale() (RFC 793 suggested 4 µs; Linux's faster clock wraps in 274 s,
 * still more than 2 MSL).  now is the engine's µs clock.  Addresses and
 * ports in host order. */
uint32_t ts_tcp_isn(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport, uint64_t now);
/* Per-address-pair offset added to TCP timestamp values (Linux
 * secure_tcp_ts_off, net.ipv4.tcp_timestamps=1): hides the host's uptime
 * and keeps PAWS per pair. */
uint32_t ts_tcp_ts_off(const struct ts_tcp_secrets *s, uint32_t laddr, uint32_t raddr);
/* A keyed hash of the 4-tuple (SO_REUSEPORT selection, hash tables). */
uint32_t ts_tcp_flow_hash(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport);

#endif
