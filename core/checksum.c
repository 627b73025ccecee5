/* RFC 1071 Internet checksum, used by ipv4, icmp, udp and tcp. */
#include "checksum.h"

uint32_t ts_csum_add(uint32_t sum, const void *data, size_t len, size_t offset)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	size_t i = 0;

	/* A chunk that starts at an odd offset of the whole message pairs its
	 * first byte with the previous chunk's last: it is the low byte of a
	 * 16-bit word. */
	if ((offset & 1) && len > 0) {
		acc += p[0];
		i = 1;
	}
	for (; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	/* Keep the sum below 2^31 so callers can keep adding. */
	while (acc >> 16 && acc > 0x7fffffffu)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t ts_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t ts_csum(const void *data, size_t len)
{
	return ts_csum_fold(ts_csum_add(0, data, len, 0));
}

uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint32_t sum = 0;

	sum += src >> 16;
	sum += src & 0xffff;
	sum += dst >> 16;
	sum += dst & 0xffff;
	sum += proto;
	sum += len;
	return sum;
}
