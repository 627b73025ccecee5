/* SipHash-2-4 and the TCP values built on it: initial sequence numbers,
 * timestamp offsets, flow hashes.  Called by tcp (connect, SYN-ACK),
 * tcp_syncookie, and sock (SO_REUSEPORT).  Read first: RFC 6528 (ISN
 * generation), RFC 7323 5.4 / Linux secure_tcp_ts_off (timestamp
 * offsets), and the SipHash paper (Aumasson & Bernstein, 2012). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "tcp_isn.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static void sip_init(struct sip *s, const struct ts_siphash_key *key)
{
	/* "somepseudorandomlygeneratedbytes" */
	s->v0 = 0x736f6d6570736575ull ^ key->k0;
	s->v1 = 0x646f72616e646f6dull ^ key->k1;
	s->v2 = 0x6c7967656e657261ull ^ key->k0;
	s->v3 = 0x7465646279746573ull ^ key->k1;
}

/* c = 2 compression rounds per message word. */
static void sip_compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/* d = 4 finalization rounds. */
static uint64_t sip_final(struct sip *s)
{
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t ts_siphash(const struct ts_siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	size_t full = len & ~(size_t)7;
	struct sip s;

	sip_init(&s, key);
	for (size_t i = 0; i < full; i += 8)
		sip_compress(&s, load_le64(p + i));
	/* The last word: remaining bytes, little-endian, length in the top
	 * byte. */
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[full + i] << (8 * i);
	sip_compress(&s, last);
	return sip_final(&s);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint64_t ts_siphash_2u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b)
{
	uint8_t m[8];

	put_le32(m, a);
	put_le32(m + 4, b);
	return ts_siphash(key, m, sizeof(m));
}

uint64_t ts_siphash_3u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b,
			 uint32_t c)
{
	uint8_t m[12];

	put_le32(m, a);
	put_le32(m + 4, b);
	put_le32(m + 8, c);
	return ts_siphash(key, m, sizeof(m));
}

uint64_t ts_siphash_4u32(const struct ts_siphash_key *key, uint32_t a, uint32_t b,
			 uint32_t c, uint32_t d)
{
	uint8_t m[16];

	put_le32(m, a);
	put_le32(m + 4, b);
	put_le32(m + 8, c);
	put_le32(m + 12, d);
	return ts_siphash(key, m, sizeof(m));
}

int ts_tcp_secrets_init(struct ts_tcp_secrets *s)
{
	uint8_t *p = (uint8_t *)s;
	size_t got = 0;

	/* Linux draws net_secret, ts_secret and syncookie_secret once
	 * (net_get_random_once); so does each engine. */
	while (got < sizeof(*s)) {
		ssize_t n = getrandom(p + got, sizeof(*s) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/* splitmix64: spreads one seed over all keys (tests only need them fixed
 * and distinct). */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void ts_tcp_secrets_set(struct ts_tcp_secrets *s, uint64_t seed)
{
	struct ts_siphash_key *k[] = {&s->isn, &s->ts, &s->cookie[0], &s->cookie[1], &s->flow};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		k[i]->k0 = splitmix64(&seed);
		k[i]->k1 = splitmix64(&seed);
	}
}

uint32_t ts_tcp_isn(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport, uint64_t now)
{
	/* RFC 6528 3: F() is a PRF over the connection-id and a secret.
	 * Linux secure_tcp_seq: siphash_3u32(saddr, daddr, sport << 16 | dport). */
	uint32_t f = (uint32_t)ts_siphash_3u32(&s->isn, laddr, raddr,
					       (uint32_t)lport << 16 | rport);
	/* M: Linux seq_scale() adds ktime_get_real_ns() >> 6, a 64 ns clock,
	 * where RFC 793 3.3 / RFC 6528 suggest 4 µs.  now is in µs:
	 * ns >> 6 = now * 1000 / 64 = now * 125 / 8. */
	uint32_t m = (uint32_t)(now * 125 / 8);

	return f + m;
}

uint32_t ts_tcp_ts_off(const struct ts_tcp_secrets *s, uint32_t laddr, uint32_t raddr)
{
	/* Linux secure_tcp_ts_off: siphash_2u32(saddr, daddr, &ts_secret). */
	return (uint32_t)ts_siphash_2u32(&s->ts, laddr, raddr);
}

uint32_t ts_tcp_flow_hash(const struct ts_tcp_secrets *s, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport)
{
	return (uint32_t)ts_siphash_3u32(&s->flow, laddr, raddr,
					 (uint32_t)lport << 16 | rport);
}
