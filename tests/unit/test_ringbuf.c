/* Power-of-two byte rings (core/ringbuf.c): write/read/peek/consume,
 * out-of-order stores, zero-copy views, resizing, and free-running indices
 * across 2^32. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pktbuf.h"
#include "ringbuf.h"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i + seed) * 131 + 7);
}

/* Starts a ring with its indices just below 2^32, so the tests cross the
 * wrap of the free-running counters. */
static void near_wrap(struct ts_ringbuf *rb, uint32_t below)
{
	rb->head = rb->tail = (uint32_t)0 - below;
}

static void test_init_rounds_up_to_power_of_two(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;

	assert_int_equal(ts_ringbuf_init(&rb, 1000), 0);
	assert_int_equal(ts_ringbuf_size(&rb), 1024);
	assert_int_equal(ts_ringbuf_space(&rb), 1024);
	assert_int_equal(ts_ringbuf_len(&rb), 0);
	assert_true(ts_ringbuf_empty(&rb));
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_ringbuf_size(&rb), 0);
	assert_int_equal(ts_ringbuf_init(&rb, 0), -EINVAL);
	assert_int_equal(ts_ringbuf_init(&rb, (size_t)TS_RINGBUF_MAX + 1), -EINVAL);
	assert_int_equal(ts_ringbuf_init(&rb, 1), 0);
	assert_int_equal(ts_ringbuf_size(&rb), 1);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_full_ring_write_is_short_then_zero(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t in[100], out[100];

	fill(in, sizeof(in), 1);
	assert_int_equal(ts_ringbuf_init(&rb, 64), 0);
	assert_int_equal(ts_ringbuf_write(&rb, in, 40), 40);
	assert_int_equal(ts_ringbuf_write(&rb, in + 40, 40), 24);
	assert_int_equal(ts_ringbuf_space(&rb), 0);
	assert_int_equal(ts_ringbuf_write(&rb, in, 1), 0);
	assert_int_equal(ts_ringbuf_read(&rb, out, sizeof(out)), 64);
	assert_memory_equal(out, in, 64);
	assert_true(ts_ringbuf_empty(&rb));
	assert_int_equal(ts_ringbuf_read(&rb, out, 1), 0);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

/* Byte-stream fidelity over many wraps of the storage and of the indices. */
static void test_stream_through_wrap_keeps_bytes_in_order(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t src[5000], dst[5000];
	size_t w = 0, r = 0, step = 0;

	fill(src, sizeof(src), 3);
	assert_int_equal(ts_ringbuf_init(&rb, 128), 0);
	near_wrap(&rb, 300);
	while (r < sizeof(src)) {
		size_t wn = (step * 7) % 61 + 1, rn = (step * 13) % 53 + 1;

		if (wn > sizeof(src) - w)
			wn = sizeof(src) - w;
		w += ts_ringbuf_write(&rb, src + w, wn);
		r += ts_ringbuf_read(&rb, dst + r, rn);
		assert_true(ts_ringbuf_len(&rb) <= 128);
		assert_int_equal(ts_ringbuf_len(&rb) + ts_ringbuf_space(&rb), 128);
		step++;
		assert_true(step < 100000);
	}
	assert_memory_equal(src, dst, sizeof(src));
	assert_int_equal(rb.head, 5000 - 300);	/* the indices wrapped */
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

/* The send buffer retransmits from offsets relative to snd_una (head). */
static void test_peek_at_offset_does_not_consume(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t in[200], out[200];

	fill(in, sizeof(in), 5);
	assert_int_equal(ts_ringbuf_init(&rb, 256), 0);
	near_wrap(&rb, 50);
	rb.head -= 100;	/* storage offset near the end: peeks wrap */
	rb.tail = rb.head;
	assert_int_equal(ts_ringbuf_write(&rb, in, 200), 200);
	assert_int_equal(ts_ringbuf_peek(&rb, 150, out, 100), 50);
	assert_memory_equal(out, in + 150, 50);
	assert_int_equal(ts_ringbuf_peek(&rb, 0, out, 200), 200);
	assert_memory_equal(out, in, 200);
	assert_int_equal(ts_ringbuf_peek(&rb, 200, out, 1), 0);
	assert_int_equal(ts_ringbuf_len(&rb), 200);
	/* An ACK for 120 bytes, then a retransmission from the new head. */
	assert_int_equal(ts_ringbuf_consume(&rb, 120), 120);
	assert_int_equal(ts_ringbuf_peek(&rb, 10, out, 20), 20);
	assert_memory_equal(out, in + 130, 20);
	assert_int_equal(ts_ringbuf_consume(&rb, 1000), 80);
	assert_true(ts_ringbuf_empty(&rb));
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

/* Receive side: out-of-order bytes stored past the tail become readable
 * only when committed. */
static void test_write_at_then_commit_makes_bytes_readable(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t in[64], out[64];

	fill(in, sizeof(in), 9);
	assert_int_equal(ts_ringbuf_init(&rb, 64), 0);
	near_wrap(&rb, 10);
	assert_int_equal(ts_ringbuf_write_at(&rb, 20, in + 20, 30), 30);
	assert_int_equal(ts_ringbuf_len(&rb), 0);
	assert_int_equal(ts_ringbuf_write_at(&rb, 60, in, 10), 4);
	assert_int_equal(ts_ringbuf_write_at(&rb, 64, in, 10), 0);
	assert_int_equal(ts_ringbuf_write(&rb, in, 20), 20);
	assert_int_equal(ts_ringbuf_commit(&rb, 30), 30);
	assert_int_equal(ts_ringbuf_read(&rb, out, 64), 50);
	assert_memory_equal(out, in, 50);
	assert_int_equal(ts_ringbuf_commit(&rb, 1000), 64);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_iov_views_cover_wrapped_data_and_space(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	struct iovec iov[2];
	uint8_t in[64], got[64];
	size_t n;
	int k;

	fill(in, sizeof(in), 11);
	assert_int_equal(ts_ringbuf_init(&rb, 64), 0);
	near_wrap(&rb, 20);
	rb.head = rb.tail = rb.head - 24;	/* storage offset 20 */
	assert_int_equal(ts_ringbuf_write(&rb, in, 60), 60);
	k = ts_ringbuf_iov_data(&rb, 10, 100, iov);
	assert_int_equal(k, 2);
	assert_int_equal(iov[0].iov_len + iov[1].iov_len, 50);
	memcpy(got, iov[0].iov_base, iov[0].iov_len);
	memcpy(got + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
	assert_memory_equal(got, in + 10, 50);
	assert_int_equal(ts_ringbuf_iov_data(&rb, 60, 1, iov), 0);
	/* Free space: 4 bytes, contiguous at storage offset 16. */
	k = ts_ringbuf_iov_space(&rb, iov);
	assert_int_equal(k, 1);
	assert_int_equal(iov[0].iov_len, 4);
	memcpy(iov[0].iov_base, "WXYZ", 4);
	assert_int_equal(ts_ringbuf_commit(&rb, 4), 4);
	assert_int_equal(ts_ringbuf_iov_space(&rb, iov), 0);
	assert_int_equal(ts_ringbuf_consume(&rb, 60), 60);
	n = ts_ringbuf_read(&rb, got, sizeof(got));
	assert_int_equal(n, 4);
	assert_memory_equal(got, "WXYZ", 4);
	/* Empty ring at offset 20: space wraps into two pieces. */
	k = ts_ringbuf_iov_space(&rb, iov);
	assert_int_equal(k, 2);
	assert_int_equal(iov[0].iov_len + iov[1].iov_len, 64);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_resize_keeps_wrapped_bytes(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t in[200], out[200];

	fill(in, sizeof(in), 13);
	assert_int_equal(ts_ringbuf_init(&rb, 64), 0);
	near_wrap(&rb, 30);
	assert_int_equal(ts_ringbuf_write(&rb, in, 50), 50);
	assert_int_equal(ts_ringbuf_consume(&rb, 40), 40);
	assert_int_equal(ts_ringbuf_write(&rb, in + 50, 50), 50);	/* wraps */
	assert_int_equal(ts_ringbuf_len(&rb), 60);
	assert_int_equal(ts_ringbuf_resize(&rb, 32), -ENOSPC);
	assert_int_equal(ts_ringbuf_resize(&rb, 0), -EINVAL);
	assert_int_equal(ts_ringbuf_resize(&rb, 200), 0);
	assert_int_equal(ts_ringbuf_size(&rb), 256);
	assert_int_equal(ts_ringbuf_len(&rb), 60);
	assert_int_equal(ts_ringbuf_write(&rb, in + 100, 100), 100);
	assert_int_equal(ts_ringbuf_read(&rb, out, 200), 160);
	assert_memory_equal(out, in + 40, 160);
	/* Shrink when empty. */
	assert_int_equal(ts_ringbuf_resize(&rb, 16), 0);
	assert_int_equal(ts_ringbuf_size(&rb), 16);
	assert_int_equal(ts_ringbuf_space(&rb), 16);
	ts_ringbuf_free(&rb);
	/* Resizing a freed ring allocates it. */
	assert_int_equal(ts_ringbuf_resize(&rb, 8), 0);
	assert_int_equal(ts_ringbuf_write(&rb, in, 10), 8);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

static void test_clear_empties_but_keeps_storage(void **state)
{
	long live = ts_pkt_live();
	struct ts_ringbuf rb;
	uint8_t in[32];

	fill(in, sizeof(in), 17);
	assert_int_equal(ts_ringbuf_init(&rb, 32), 0);
	assert_int_equal(ts_ringbuf_write(&rb, in, 32), 32);
	ts_ringbuf_clear(&rb);
	assert_true(ts_ringbuf_empty(&rb));
	assert_int_equal(ts_ringbuf_space(&rb), 32);
	assert_int_equal(ts_ringbuf_size(&rb), 32);
	ts_ringbuf_free(&rb);
	assert_int_equal(ts_pkt_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rounds_up_to_power_of_two),
		cmocka_unit_test(test_full_ring_write_is_short_then_zero),
		cmocka_unit_test(test_stream_through_wrap_keeps_bytes_in_order),
		cmocka_unit_test(test_peek_at_offset_does_not_consume),
		cmocka_unit_test(test_write_at_then_commit_makes_bytes_readable),
		cmocka_unit_test(test_iov_views_cover_wrapped_data_and_space),
		cmocka_unit_test(test_resize_keeps_wrapped_bytes),
		cmocka_unit_test(test_clear_empties_but_keeps_storage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
