/* The fake-wire test harness: an engine on one end of a memwire, a fake
 * peer on the other, a fake clock, builders for the peer's frames and
 * parsers for what the engine sends.  Used by every engine test (eth, arp,
 * ipv4, icmp, udp, tcp).
 *
 *   static const struct CMUnitTest tests[] = {
 *       cmocka_unit_test_setup_teardown(test_x, h_setup, h_teardown), ...
 *   };
 *   static void test_x(void **state) {
 *       struct h_env *e = *state;
 *       h_input(e, h_ip_frame(&(struct h_ip){.proto = 17}, buf, n));
 *       struct h_frame f;
 *       assert_true(h_pop(e, &f));  ... h_frame_free(&f);
 *       h_expect_none(e);
 *   }
 *
 * h_teardown destroys the engine and fails the test if a packet leaked. */
#ifndef TS_TEST_HARNESS_H
#define TS_TEST_HARNESS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define H_ENG_IP TS_IP4(198, 18, 0, 2)
#define H_PEER_IP TS_IP4(198, 18, 0, 1)
#define H_OTHER_IP TS_IP4(198, 18, 0, 3)	/* on-link, not the peer */
#define H_FAR_IP TS_IP4(198, 19, 7, 7)		/* off-link */
#define H_PREFIX 24
#define H_MTU 1500
#define H_T0 1000000ull				/* the clock starts at 1 s */

extern const uint8_t h_eng_mac[6];
extern const uint8_t h_peer_mac[6];
extern const uint8_t h_other_mac[6];

struct h_env {
	struct ts_memwire wire;		/* end 0: the engine; end 1: the peer */
	struct ts_engine eng;
	uint64_t now;			/* the fake clock, µs */
	long live_start;		/* ts_pkt_live() before setup */
	/* h_fake_l4: what the fake upper protocol saw */
	int l4_inputs;
	struct pktbuf *l4_last;		/* the last packet it was given (owned) */
	int l4_refuse;			/* make input return -ECONNREFUSED */
	int l4_errors;
	struct ts_icmp_err l4_err;	/* the last ICMP error (l4 pointer cleared) */
	uint8_t l4_err_quote[64];	/* its first transport bytes */
	uint64_t l4_deadline;		/* what its poll returns */
	int l4_polls;
};

/* Setups for cmocka_unit_test_setup_teardown.  h_setup: engine
 * 198.18.0.2/24 with MAC h_eng_mac on the wire, started (the gratuitous
 * ARP popped), a PERMANENT ARP entry for the peer so tests see IP traffic
 * without ARP.  h_setup_cold: the same without the ARP entry, with the
 * gratuitous ARP still on the wire.  h_setup_gw: h_setup with gateway
 * 198.18.0.1. */
int h_setup(void **state);
int h_setup_cold(void **state);
int h_setup_gw(void **state);
int h_teardown(void **state);

/* Clock.  h_advance moves it and runs ts_engine_poll; h_run_until polls at
 * each deadline until t (bounded). */
uint64_t h_poll(struct h_env *e);
void h_advance(struct h_env *e, uint64_t usec);
void h_run_until(struct h_env *e, uint64_t t);

/* A frame from the peer into the engine at the current time (consumed). */
void h_input(struct h_env *e, struct pktbuf *frame);

/* Sends len bytes as protocol proto to dst through ts_ip_output at the
 * current time, as the daemon does for a program (loopback packets then
 * wait for the next h_poll).  Returns what ts_ip_output returned. */
int h_send(struct h_env *e, uint32_t dst, uint8_t proto, const void *data, size_t len,
	   int df);

/* --- builders (all return a frame with an Ethernet header) --------------- */
struct pktbuf *h_eth_frame(const uint8_t dst[6], const uint8_t src[6], uint16_t type,
			   const void *payload, size_t len);
/* ARP from sha/sip; Ethernet destination: broadcast for requests, tha for
 * replies. */
struct pktbuf *h_arp_frame(uint16_t op, const uint8_t sha[6], uint32_t sip,
			   const uint8_t tha[6], uint32_t tip);

/* IPv4 header fields for h_ip_frame; zero means the default given. */
struct h_ip {
	uint32_t src;		/* 0: H_PEER_IP */
	uint32_t dst;		/* 0: H_ENG_IP */
	uint8_t proto;		/* required */
	uint8_t ttl;		/* 0: 64 (use ttl0 for a real zero) */
	int ttl0;
	uint8_t tos;
	uint16_t id;
	uint16_t frag;		/* flags and offset field as on the wire */
	int ihl;		/* bytes; 0: 20 (options zero-filled: EOL) */
	int tot_len_delta;	/* added to the correct total length */
	int bad_csum;		/* corrupt the header checksum */
	int version;		/* 0: 4 */
	const uint8_t *dst_mac;	/* 0: h_eng_mac */
	size_t pad;		/* Ethernet padding bytes after the datagram */
};
struct pktbuf *h_ip_frame(const struct h_ip *ip, const void *l4, size_t len);
/* An ICMP message (header fields given, checksum computed) as IPv4 from
 * the peer. */
struct pktbuf *h_icmp_frame(const struct h_ip *ip, uint8_t type, uint8_t code,
			    uint32_t rest, const void *data, size_t len);
/* A UDP datagram from the peer (checksum computed unless csum0). */
struct pktbuf *h_udp_frame(const struct h_ip *ip, uint16_t sport, uint16_t dport,
			   const void *data, size_t len);
/* The transport checksum over pseudo header + segment (for TCP/UDP
 * builders elsewhere). */
uint16_t h_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const void *seg, size_t len);

/* --- what the engine sent ------------------------------------------------ */
struct h_frame {
	struct pktbuf *pkt;		/* owned; h_frame_free */
	uint8_t dst[6], src[6];
	uint16_t type;
	/* ARP */
	uint16_t arp_op;
	uint8_t arp_sha[6], arp_tha[6];
	uint32_t arp_sip, arp_tip;
	/* IPv4 (header checksum verified by h_pop) */
	struct ts_ip_hdr ip;
	const uint8_t *iph;		/* the IPv4 header bytes */
	const uint8_t *l4;		/* after the IPv4 header */
	size_t l4_len;
};
/* Pops the next frame the engine sent on the wire and parses it: 1, or 0
 * if there is none.  Fails the test on a malformed frame. */
int h_pop(struct h_env *e, struct h_frame *f);
/* Pops the next frame and checks it is IPv4 with protocol proto. */
void h_pop_ip(struct h_env *e, struct h_frame *f, uint8_t proto);
void h_frame_free(struct h_frame *f);
/* Fails the test if the engine sent anything. */
void h_expect_none(struct h_env *e);
/* Frames waiting on the wire from the engine. */
size_t h_pending(struct h_env *e);
/* Drops every frame the engine sent. */
void h_drain(struct h_env *e);

/* --- a fake upper protocol ----------------------------------------------- */
/* Registers a protocol at eng->l4[proto] that records into e. */
void h_fake_l4(struct h_env *e, uint8_t proto);

/* A counter by name, for readable asserts: h_stat(e, "IpInHdrErrors"). */
uint64_t h_stat(struct h_env *e, const char *name);

#endif
