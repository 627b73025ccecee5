/* Power-of-two byte rings: the storage behind TCP's send and receive
 * buffers.  Called by tcp (snd/rcv buffers) and chan (data channel I/O).
 * Free-running uint32_t indices; see ringbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringbuf.h"

static uint32_t round_pow2(size_t size)
{
	uint32_t n = 1;

	while (n < size)
		n <<= 1;
	return n;
}

int ts_ringbuf_init(struct ts_ringbuf *rb, size_t size)
{
	uint8_t *buf;
	uint32_t n;

	if (size == 0 || size > TS_RINGBUF_MAX)
		return -EINVAL;
	n = round_pow2(size);
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	rb->buf = buf;
	rb->size = n;
	rb->head = rb->tail = 0;
	return 0;
}

void ts_ringbuf_free(struct ts_ringbuf *rb)
{
	free(rb->buf);
	rb->buf = NULL;
	rb->size = 0;
	rb->head = rb->tail = 0;
}

void ts_ringbuf_clear(struct ts_ringbuf *rb)
{
	rb->head = rb->tail;
}

/* Copies n bytes into the ring at free-running index idx (wrapping). */
static void copy_in(struct ts_ringbuf *rb, uint32_t idx, const uint8_t *p, size_t n)
{
	uint32_t at = idx & (rb->size - 1);
	size_t first = rb->size - at;

	if (first > n)
		first = n;
	memcpy(rb->buf + at, p, first);
	if (n > first)
		memcpy(rb->buf, p + first, n - first);
}

static void copy_out(const struct ts_ringbuf *rb, uint32_t idx, uint8_t *p, size_t n)
{
	uint32_t at = idx & (rb->size - 1);
	size_t first = rb->size - at;

	if (first > n)
		first = n;
	memcpy(p, rb->buf + at, first);
	if (n > first)
		memcpy(p + first, rb->buf, n - first);
}

size_t ts_ringbuf_write(struct ts_ringbuf *rb, const void *p, size_t n)
{
	size_t space = ts_ringbuf_space(rb);

	if (n > space)
		n = space;
	if (n == 0)
		return 0;
	copy_in(rb, rb->tail, p, n);
	rb->tail += (uint32_t)n;
	return n;
}

size_t ts_ringbuf_write_at(struct ts_ringbuf *rb, size_t off, const void *p, size_t n)
{
	size_t space = ts_ringbuf_space(rb);

	if (off >= space)
		return 0;
	if (n > space - off)
		n = space - off;
	if (n == 0)
		return 0;
	copy_in(rb, rb->tail + (uint32_t)off, p, n);
	return n;
}

size_t ts_ringbuf_commit(struct ts_ringbuf *rb, size_t n)
{
	size_t space = ts_ringbuf_space(rb);

	if (n > space)
		n = space;
	rb->tail += (uint32_t)n;
	return n;
}

size_t ts_ringbuf_peek(const struct ts_ringbuf *rb, size_t off, void *p, size_t n)
{
	size_t len = ts_ringbuf_len(rb);

	if (off >= len)
		return 0;
	if (n > len - off)
		n = len - off;
	if (n == 0)
		return 0;
	copy_out(rb, rb->head + (uint32_t)off, p, n);
	return n;
}

size_t ts_ringbuf_read(struct ts_ringbuf *rb, void *p, size_t n)
{
	n = ts_ringbuf_peek(rb, 0, p, n);
	rb->head += (uint32_t)n;
	return n;
}

size_t ts_ringbuf_consume(struct ts_ringbuf *rb, size_t n)
{
	size_t len = ts_ringbuf_len(rb);

	if (n > len)
		n = len;
	rb->head += (uint32_t)n;
	return n;
}

/* Up to two iovecs for n bytes starting at free-running index idx. */
static int iov_range(const struct ts_ringbuf *rb, uint32_t idx, size_t n, struct iovec iov[2])
{
	uint32_t at;
	size_t first;

	if (n == 0)
		return 0;
	at = idx & (rb->size - 1);
	first = rb->size - at;
	iov[0].iov_base = rb->buf + at;
	if (first >= n) {
		iov[0].iov_len = n;
		return 1;
	}
	iov[0].iov_len = first;
	iov[1].iov_base = rb->buf;
	iov[1].iov_len = n - first;
	return 2;
}

int ts_ringbuf_iov_data(const struct ts_ringbuf *rb, size_t off, size_t n, struct iovec iov[2])
{
	size_t len = ts_ringbuf_len(rb);

	if (off >= len)
		return 0;
	if (n > len - off)
		n = len - off;
	return iov_range(rb, rb->head + (uint32_t)off, n, iov);
}

int ts_ringbuf_iov_space(const struct ts_ringbuf *rb, struct iovec iov[2])
{
	return iov_range(rb, rb->tail, ts_ringbuf_space(rb), iov);
}

int ts_ringbuf_resize(struct ts_ringbuf *rb, size_t size)
{
	size_t len = ts_ringbuf_len(rb);
	uint8_t *buf;
	uint32_t n;

	if (size == 0 || size > TS_RINGBUF_MAX)
		return -EINVAL;
	if (size < len)
		return -ENOSPC;
	n = round_pow2(size);
	if (n == rb->size)
		return 0;
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	if (len)
		copy_out(rb, rb->head, buf, len);
	free(rb->buf);
	rb->buf = buf;
	rb->size = n;
	/* The bytes now start at storage offset 0.  Callers see only
	 * len, space and offsets from head, never the indices. */
	rb->head = 0;
	rb->tail = (uint32_t)len;
	return 0;
}
