/* The engine: one IPv4 host's network stack, with no clock and no event
 * loop of its own.  Callers (tapsockd's libuv glue, the tests) pass the
 * time in microseconds into every entry point and ask ts_engine_poll when
 * the engine next wants to be woken.
 *
 *   ts_engine_input(eng, dev, frame, now)   a frame arrived on dev
 *   ts_engine_poll(eng, now) -> deadline    run what is due; next deadline
 *
 * Layers: netdev -> eth -> arp / ipv4 -> icmp, and upper protocols (udp,
 * tcp) registered in eng->l4[] so ipv4 does not depend on them. */
#ifndef TS_ENGINE_H
#define TS_ENGINE_H

#include <stdint.h>

#include "arp.h"
#include "icmp.h"
#include "ipv4.h"
#include "netdev.h"
#include "pktbuf.h"
#include "stat.h"
#include "sysctl.h"

#define TS_NEVER UINT64_MAX
#define TS_USEC_PER_MSEC 1000ull
#define TS_USEC_PER_SEC 1000000ull

struct ts_engine;

/* What ICMP learnt about a packet this host sent (RFC 1122 3.2.2): handed
 * to the upper protocol named in the quoted header. */
struct ts_icmp_err {
	uint8_t type, code;
	uint32_t from;			/* who sent the ICMP error */
	uint32_t src, dst;		/* quoted IPv4 header, host order */
	uint8_t proto;
	const uint8_t *l4;		/* the quoted transport header bytes */
	size_t l4_len;			/* at least 8 when delivered */
	uint16_t mtu;			/* next-hop MTU for frag-needed */
	int err;			/* the errno Linux maps it to */
};

/* An upper-layer protocol (UDP, TCP).  input takes ownership of pkt, whose
 * data points at the transport header with ip_src/ip_dst/... filled; it
 * returns 0, or -EPROTONOSUPPORT/-ECONNREFUSED style codes that ipv4 turns
 * into ICMP (-ECONNREFUSED: port unreachable, and then pkt is NOT
 * consumed: ipv4 quotes it and frees it). */
struct ts_l4_proto {
	int (*input)(struct ts_engine *eng, struct pktbuf *pkt);
	void (*icmp_error)(struct ts_engine *eng, const struct ts_icmp_err *e);
	/* Runs due timers; returns the next deadline or TS_NEVER. */
	uint64_t (*poll)(struct ts_engine *eng, uint64_t now);
	void *state;
};

struct ts_engine_config {
	uint32_t addr;		/* host order */
	int prefix_len;
	uint32_t gw;		/* 0: none */
	unsigned mtu;		/* 0: the device's */
	uint8_t mac[6];		/* all zero: a random locally administered MAC */
};

struct ts_engine {
	struct ts_netdev *dev;		/* the link (TAP or memwire); may be NULL */
	struct ts_netdev lo;		/* in-engine loopback */
	struct pktbuf *lo_head, *lo_tail; /* loopback packets not yet input */
	uint8_t mac[6];
	uint32_t addr, mask, gw;	/* host order */
	unsigned mtu;
	uint64_t now;			/* time of the current entry point */
	uint64_t started;		/* time of ts_engine_start */
	struct ts_arp arp;
	struct ts_ipv4 ip;
	struct ts_icmp icmp;
	struct ts_stats stats;
	struct ts_sysctl sysctl;
	struct ts_l4_proto l4[256];	/* by IP protocol number */
	/* Called for every frame in and out (pcap capture, tracing).
	 * dir: 0 in, 1 out.  l2 says whether frame has an Ethernet header. */
	void (*tap_hook)(struct ts_engine *eng, int dir, const struct pktbuf *frame,
			 int l2, void *arg);
	void *tap_hook_arg;
	uint64_t rand_state;		/* xorshift state for jitter, ids */
};

/* Sets up the engine on dev (may be NULL for loopback only).  Sysctls start
 * at their defaults. */
int ts_engine_init(struct ts_engine *eng, struct ts_netdev *dev,
		   const struct ts_engine_config *cfg);
/* Announces the engine (gratuitous ARP). */
void ts_engine_start(struct ts_engine *eng, uint64_t now);
/* Frees everything the engine holds (queues, caches, fragments). */
void ts_engine_destroy(struct ts_engine *eng);

/* A frame arrived on dev; takes ownership. */
void ts_engine_input(struct ts_engine *eng, struct ts_netdev *dev,
		     struct pktbuf *frame, uint64_t now);
/* Runs whatever is due at now (ARP retries, reassembly timeouts, upper
 * layer timers, queued loopback packets); returns the next deadline in µs
 * or TS_NEVER. */
uint64_t ts_engine_poll(struct ts_engine *eng, uint64_t now);

/* Is addr one of the engine's own (its address, or 127.0.0.0/8)? */
int ts_engine_is_local(const struct ts_engine *eng, uint32_t addr);

/* A pseudo-random 32-bit number (not for secrets). */
uint32_t ts_engine_rand(struct ts_engine *eng);

#endif
