/* Power-of-two byte rings for TCP's send and receive buffers.
 *
 * Indices are free-running uint32_t counters (head: next byte to read,
 * tail: next byte to write); only `& (size - 1)` touches the storage, so
 * len = tail - head is right across wraparound and needs no flag for
 * "full".
 *
 *  - Send side: the program's bytes are written at the tail; the byte at
 *    head is snd_una.  Retransmissions peek at offsets relative to head
 *    (offset = seq - snd_una) without consuming; an ACK consumes.
 *  - Receive side: in-order bytes are written at the tail; out-of-order
 *    bytes are stored past the tail with ts_ringbuf_write_at (offset =
 *    seq - rcv_nxt), tracked by the assembler (assembler.h), and made
 *    readable with ts_ringbuf_commit once the hole before them is filled.
 *
 * Sizes are at most TS_RINGBUF_MAX.  Byte counts are size_t in and out, but
 * never exceed the ring's size.  Not thread-safe (one engine, one thread). */
#ifndef TS_RINGBUF_H
#define TS_RINGBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* 1 GiB: Linux's largest TCP window (65535 << 14) fits. */
#define TS_RINGBUF_MAX (1u << 30)

struct ts_ringbuf {
	uint8_t *buf;
	uint32_t size;		/* power of two, or 0 before init */
	uint32_t head;		/* free-running read index */
	uint32_t tail;		/* free-running write index */
};

/* Allocates a ring of at least size bytes (rounded up to a power of two).
 * Returns 0, -EINVAL for 0 or more than TS_RINGBUF_MAX, -ENOMEM. */
int ts_ringbuf_init(struct ts_ringbuf *rb, size_t size);
/* Frees the storage; the ring is then empty with size 0 (init may follow). */
void ts_ringbuf_free(struct ts_ringbuf *rb);

/* Bytes readable (tail - head). */
static inline size_t ts_ringbuf_len(const struct ts_ringbuf *rb)
{
	return (uint32_t)(rb->tail - rb->head);
}

/* Bytes that can still be written at the tail. */
static inline size_t ts_ringbuf_space(const struct ts_ringbuf *rb)
{
	return rb->size - (uint32_t)(rb->tail - rb->head);
}

static inline size_t ts_ringbuf_size(const struct ts_ringbuf *rb)
{
	return rb->size;
}

static inline int ts_ringbuf_empty(const struct ts_ringbuf *rb)
{
	return rb->tail == rb->head;
}

/* Appends up to n bytes; returns how many were written (min(n, space)). */
size_t ts_ringbuf_write(struct ts_ringbuf *rb, const void *p, size_t n);
/* Copies up to n bytes into the free space at offset off past the tail
 * without making them readable (out-of-order receive).  Returns the bytes
 * stored: 0 if off is beyond the space, fewer than n if they do not fit. */
size_t ts_ringbuf_write_at(struct ts_ringbuf *rb, size_t off, const void *p, size_t n);
/* Makes n bytes already stored past the tail readable (after
 * ts_ringbuf_write_at or ts_ringbuf_iov_space + a readv).  Returns the
 * bytes committed (min(n, space)). */
size_t ts_ringbuf_commit(struct ts_ringbuf *rb, size_t n);

/* Reads and consumes up to n bytes; returns how many. */
size_t ts_ringbuf_read(struct ts_ringbuf *rb, void *p, size_t n);
/* Copies up to n bytes starting off bytes past head, without consuming.
 * Returns how many (0 if off >= len). */
size_t ts_ringbuf_peek(const struct ts_ringbuf *rb, size_t off, void *p, size_t n);
/* Drops up to n bytes from the head; returns how many. */
size_t ts_ringbuf_consume(struct ts_ringbuf *rb, size_t n);
/* Empties the ring (keeps the storage). */
void ts_ringbuf_clear(struct ts_ringbuf *rb);

/* Zero-copy views, at most two pieces because of the wrap.  Return the
 * number of iovecs filled (0, 1 or 2).
 *  _data: up to n readable bytes starting off past head (for writev to the
 *         data channel, or for building a segment).
 *  _space: the whole free space (for readv from the data channel; follow
 *         with ts_ringbuf_commit(bytes read)). */
int ts_ringbuf_iov_data(const struct ts_ringbuf *rb, size_t off, size_t n,
			struct iovec iov[2]);
int ts_ringbuf_iov_space(const struct ts_ringbuf *rb, struct iovec iov[2]);

/* Changes the capacity to at least size (rounded up to a power of two),
 * keeping the readable bytes (copied when the ring is not empty).  Bytes
 * stored past the tail by write_at are NOT kept.  Returns 0, -EINVAL (bad
 * size), -ENOSPC (size below len), -ENOMEM (ring unchanged). */
int ts_ringbuf_resize(struct ts_ringbuf *rb, size_t size);

#endif
