/* TCP sequence-number arithmetic (RFC 9293 3.4): sequence numbers live in
 * a 2^32 circle, so every comparison goes through these wrap-safe macros
 * (the OpenBSD tcp_seq.h idiom), never a plain `<`. */
#ifndef TS_TCP_SEQ_H
#define TS_TCP_SEQ_H

#include <stdint.h>

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
/* lo <= x < hi on the circle. */
#define SEQ_IN(x, lo, hi) (SEQ_GEQ(x, lo) && SEQ_LT(x, hi))

/* RFC 7323 timestamps compare the same way (5.3, PAWS). */
#define TSTMP_LT(a, b) SEQ_LT(a, b)
#define TSTMP_GEQ(a, b) SEQ_GEQ(a, b)

#endif
