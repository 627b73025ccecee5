/* Ethernet II framing. */
#ifndef TS_ETH_H
#define TS_ETH_H

#include <stdint.h>

#include "pktbuf.h"

#define TS_ETH_HLEN 14
#define TS_ETH_P_IP 0x0800
#define TS_ETH_P_ARP 0x0806

struct ts_engine;
struct ts_netdev;

extern const uint8_t ts_eth_bcast[6];

struct ts_eth_hdr {
	uint8_t dst[6], src[6];
	uint16_t type;
};

/* Parses the header at pkt->data; 0 or -EINVAL if too short. */
int ts_eth_parse(const struct pktbuf *pkt, struct ts_eth_hdr *h);
/* Prepends a header; 0 or -ENOBUFS. */
int ts_eth_push(struct pktbuf *pkt, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type);
/* Input path: validates, counts, and hands to arp or ipv4. */
void ts_eth_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt);

#endif
