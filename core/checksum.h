/* The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sum. */
#ifndef TS_CHECKSUM_H
#define TS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds len bytes to a running 32-bit sum.  Chunks may have any length: an
 * odd chunk is handled by the caller passing the running byte offset
 * parity, which ts_csum_add keeps in the returned sum's upper bits.  Start
 * with sum 0; finish with ts_csum_fold. */
uint32_t ts_csum_add(uint32_t sum, const void *data, size_t len, size_t offset);
/* Folds a running sum into the 16-bit one's complement checksum (already
 * complemented, ready to store big-endian). */
uint16_t ts_csum_fold(uint32_t sum);
/* Checksum of one buffer. */
uint16_t ts_csum(const void *data, size_t len);
/* Running sum of the IPv4 pseudo-header (host-order addresses). */
uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
