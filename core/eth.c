/* Ethernet II: header parsing and building, and the input dispatch to ARP
 * and IPv4.  Called by ts_engine_input for frames from an L2 device. */
#include "eth.h"

#include <errno.h>
#include <string.h>

#include "engine.h"
#include "wire.h"

const uint8_t ts_eth_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int ts_eth_parse(const struct pktbuf *pkt, struct ts_eth_hdr *h)
{
	if (pkt->len < TS_ETH_HLEN)
		return -EINVAL;
	memcpy(h->dst, pkt->data, 6);
	memcpy(h->src, pkt->data + 6, 6);
	h->type = ts_get16(pkt->data + 12);
	return 0;
}

int ts_eth_push(struct pktbuf *pkt, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type)
{
	uint8_t *p = ts_pkt_push(pkt, TS_ETH_HLEN);

	if (p == NULL)
		return -ENOBUFS;
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	ts_put16(p + 12, type);
	return 0;
}

void ts_eth_input(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *pkt)
{
	struct ts_eth_hdr h;

	if (ts_eth_parse(pkt, &h) < 0) {
		eng->stats.TsExtEthInShort++;
		goto drop;
	}
	/* Ours or broadcast.  The engine joins no multicast group, so other
	 * group addresses are filtered as a NIC would. */
	if (memcmp(h.dst, ts_eth_bcast, 6) == 0) {
		pkt->l2_bcast = 1;
	} else if (memcmp(h.dst, eng->mac, 6) != 0) {
		eng->stats.TsExtEthInNotForUs++;
		goto drop;
	}
	ts_pkt_pull(pkt, TS_ETH_HLEN);
	switch (h.type) {
	case TS_ETH_P_IP:
		ts_ip_input(eng, dev, pkt);
		return;
	case TS_ETH_P_ARP:
		ts_arp_input(eng, dev, pkt);
		return;
	default:
		/* IPv6, VLAN tags, LLDP...: not spoken here. */
		eng->stats.TsExtEthInUnknownType++;
		goto drop;
	}
drop:
	ts_pkt_free(pkt);
}
