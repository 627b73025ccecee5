/* Fault injection at the engine's link boundary: rules that drop, delay,
 * duplicate, reorder or corrupt frames going in (from the TAP/memwire,
 * before ts_eth_input) or out (in ts_engine_xmit, before the device).
 * Rules match on direction, protocol, port, TCP segment class, and choose
 * which matches to act on (the Nth, every Nth, with a seeded probability,
 * up to a count).  Held frames (delay, reorder) are released by
 * ts_engine_poll, whose deadline includes theirs.
 *
 * Rule text (`tapsock fault add ...`, ts_fault_parse):
 *   ACTION [match]... [selection]...
 *   ACTION:    drop | delay MS | duplicate | reorder [MS] | corrupt
 *   match:     dir in|out|both   proto tcp|udp|icmp|arp|any   port N
 *              flags syn,syn-ack,fin,rst,ack,data   lo
 *   selection: nth N | every N | prob P [seed S] | limit N
 * e.g. "drop dir out proto tcp flags syn-ack nth 1". */
#ifndef TS_FAULT_H
#define TS_FAULT_H

#include <stddef.h>
#include <stdint.h>

struct ts_engine;
struct ts_netdev;
struct pktbuf;

enum ts_fault_action {
	TS_FAULT_DROP = 1,
	TS_FAULT_DELAY,
	TS_FAULT_DUP,
	TS_FAULT_REORDER,
	TS_FAULT_CORRUPT,
};

#define TS_FAULT_IN 1
#define TS_FAULT_OUT 2
#define TS_FAULT_BOTH 3

enum { TS_FAULT_P_ANY = 0, TS_FAULT_P_TCP, TS_FAULT_P_UDP, TS_FAULT_P_ICMP, TS_FAULT_P_ARP };

#define TS_FAULT_PPM 1000000u /* probability 1 */
#define TS_FAULT_MAX_RULES 64
#define TS_FAULT_MAX_HELD 8192	/* frames delayed or held at once */
#define TS_FAULT_REORDER_MS 100 /* default bound on a reorder hold */

/* What a rule does and matches: what the user wrote, parsed. */
struct ts_fault_spec {
	uint8_t action;	   /* TS_FAULT_DROP ... */
	uint8_t dir;	   /* TS_FAULT_IN/OUT/BOTH */
	uint8_t proto;	   /* TS_FAULT_P_* */
	uint8_t tcp_class; /* TS_TCPC_* bits (capture.h); 0: any */
	uint16_t port;	   /* src or dst; 0: any */
	uint8_t lo;	   /* also loopback packets (out only) */
	uint32_t ms;	   /* delay, or reorder bound */
	uint32_t nth;	   /* act on the Nth match only; 0: off */
	uint32_t every;	   /* act on every Nth match; 0: off */
	uint32_t prob_ppm; /* chance per match, of TS_FAULT_PPM */
	uint64_t seed;	   /* PRNG seed for prob */
	uint32_t limit;	   /* act at most this often; 0: no limit */
};

struct ts_fault_rule {
	struct ts_fault_rule *next;
	uint32_t id;
	struct ts_fault_spec spec;
	uint64_t prng; /* splitmix64 state from spec.seed */
	uint64_t matched, acted;
};

struct ts_fault_held;

struct ts_fault {
	struct ts_fault_rule *rules; /* in the order they were added */
	unsigned nrules;
	uint32_t next_id;
	struct ts_fault_held *held; /* by release time, FIFO for equal times */
	unsigned nheld;
	unsigned nreorder; /* held by reorder rules */
};

/* Parses rule text into s (defaults: dir both, proto any, prob 1, seed 1).
 * 0, or -EINVAL with a one-line reason in err. */
int ts_fault_parse(const char *text, struct ts_fault_spec *s, char *err, size_t errlen);
/* Writes the canonical text of s (what parses back to it) into buf. */
void ts_fault_format(const struct ts_fault_spec *s, char *buf, size_t len);

/* Adds a rule after the others; returns its id (> 0), -ENOSPC (too many
 * rules) or -ENOMEM. */
int ts_fault_add(struct ts_engine *eng, const struct ts_fault_spec *s);
/* 0 or -ENOENT.  Frames the rule holds are still released on time. */
int ts_fault_del(struct ts_engine *eng, uint32_t id);
/* Removes every rule; held frames are released on time. */
void ts_fault_clear(struct ts_engine *eng);
const struct ts_fault_rule *ts_fault_find(const struct ts_engine *eng, uint32_t id);

/* Engine hooks (engine.c).  Each takes ownership of frame. */
int ts_fault_out(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame);
void ts_fault_in(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame);
/* Releases held frames that are due; returns the next release time or
 * TS_NEVER. */
uint64_t ts_fault_poll(struct ts_engine *eng, uint64_t now);
/* Frees rules and held frames (engine destroy). */
void ts_fault_destroy(struct ts_fault *f);

#endif
