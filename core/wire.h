/* Big-endian field access for the wire_* parsers and builders.
 * Packets are never read by casting a struct onto raw bytes: every field
 * goes through these, after the caller has checked the length. */
#ifndef TS_WIRE_H
#define TS_WIRE_H

#include <stdint.h>

static inline uint16_t ts_get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ts_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void ts_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ts_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* IPv4 addresses are kept in host byte order inside the engine. */
#define TS_IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Formats a host-order IPv4 address into buf (at least 16 bytes). */
const char *ts_ip4_str(uint32_t addr, char *buf);

#endif
