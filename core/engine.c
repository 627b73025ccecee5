/* The engine's entry points: set-up and tear-down, frame input, the poll
 * that runs every layer's timers, and the in-engine loopback queue.
 * Called by tapsockd's loop glue (core/daemon) and by the unit tests. */
#include "engine.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "eth.h"
#include "wire.h"

/* Loopback (127.0.0.0/8 and the engine's own address): ts_ip_output hands
 * such packets to eng->lo, whose xmit only queues them.  They are input at
 * the end of the outermost entry point, never from inside the call that
 * sent them: a reply to a reply to ... cannot recurse, and every layer sees
 * a loopback packet exactly as it would see one from the link. */
static int lo_xmit(struct ts_netdev *dev, struct pktbuf *pkt)
{
	struct ts_engine *eng = dev->priv;

	if (eng->lo_len >= TS_LO_QLEN) {
		/* Linux: a full backlog drops (netdev_max_backlog). */
		eng->stats.IpOutDiscards++;
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	pkt->next = NULL;
	pkt->stamp = eng->now;
	if (eng->lo_tail != NULL)
		eng->lo_tail->next = pkt;
	else
		eng->lo_head = pkt;
	eng->lo_tail = pkt;
	eng->lo_len++;
	eng->stats.TsExtLoopbackFrames++;
	return 0;
}

/* Inputs up to budget queued loopback packets; returns how many. */
static unsigned lo_drain(struct ts_engine *eng, unsigned budget)
{
	unsigned n = 0;

	while (n < budget && eng->lo_head != NULL) {
		struct pktbuf *pkt = eng->lo_head;

		eng->lo_head = pkt->next;
		if (eng->lo_head == NULL)
			eng->lo_tail = NULL;
		eng->lo_len--;
		pkt->next = NULL;
		pkt->dev = &eng->lo;
		pkt->l2_bcast = 0;
		eng->lo.rx_frames++;
		eng->lo.rx_bytes += pkt->len;
		/* tap_hook saw the packet on the way out: once is enough, as
		 * a capture on Linux's lo shows each packet once. */
		ts_ip_input(eng, &eng->lo, pkt);
		n++;
	}
	return n;
}

static void enter(struct ts_engine *eng, uint64_t now)
{
	if (eng->depth++ == 0)
		eng->now = now;
}

/* Leaves an entry point; the outermost one inputs waiting loopback
 * packets.  Returns how many it input. */
static unsigned leave(struct ts_engine *eng)
{
	unsigned n = 0;

	if (eng->depth == 1)
		n = lo_drain(eng, TS_LO_BUDGET);
	eng->depth--;
	return n;
}

static uint64_t rand_next(uint64_t *s)
{
	/* xorshift64* (Vigna): fast, fine for IP ids and jitter, not for
	 * secrets. */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

uint32_t ts_engine_rand(struct ts_engine *eng)
{
	return (uint32_t)(rand_next(&eng->rand_state) >> 32);
}

int ts_engine_init(struct ts_engine *eng, struct ts_netdev *dev,
		   const struct ts_engine_config *cfg)
{
	static const uint8_t zero_mac[6];

	memset(eng, 0, sizeof(*eng));
	if (cfg == NULL || cfg->prefix_len < 0 || cfg->prefix_len > 32)
		return -EINVAL;
	eng->dev = dev;
	eng->addr = cfg->addr;
	eng->mask = cfg->prefix_len == 0 ? 0 : ~0u << (32 - cfg->prefix_len);
	eng->gw = cfg->gw;
	ts_sysctl_defaults(&eng->sysctl);

	eng->rand_state = cfg->seed;
	if (eng->rand_state == 0 &&
	    getrandom(&eng->rand_state, sizeof(eng->rand_state), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(eng->rand_state))
		eng->rand_state = 0x9e3779b97f4a7c15ull ^ cfg->addr;
	if (eng->rand_state == 0)
		eng->rand_state = 1;

	if (memcmp(cfg->mac, zero_mac, 6) != 0) {
		memcpy(eng->mac, cfg->mac, 6);
	} else {
		for (int i = 0; i < 6; i++)
			eng->mac[i] = (uint8_t)ts_engine_rand(eng);
		/* Unicast, locally administered. */
		eng->mac[0] = (uint8_t)((eng->mac[0] & 0xfe) | 0x02);
	}

	eng->mtu = cfg->mtu;
	if (eng->mtu == 0)
		eng->mtu = dev != NULL && dev->mtu != 0 ? dev->mtu : 1500;
	if (dev != NULL && dev->mtu != 0 && eng->mtu > dev->mtu)
		eng->mtu = dev->mtu;
	/* RFC 791: every host must take 68-byte datagrams unfragmented. */
	if (eng->mtu < 68)
		return -EINVAL;

	strcpy(eng->lo.name, "lo");
	eng->lo.kind = TS_NETDEV_LOOPBACK;
	eng->lo.l2 = 0;
	/* Linux's lo has MTU 65536; an IPv4 datagram is at most 65535. */
	eng->lo.mtu = 65535;
	eng->lo.xmit = lo_xmit;
	eng->lo.priv = eng;
	eng->lo.fd = -1;

	eng->ip.next_id = (uint16_t)ts_engine_rand(eng);
	eng->arp.max_entries = 1024;	/* Linux gc_thresh3 */
	return 0;
}

void ts_engine_start(struct ts_engine *eng, uint64_t now)
{
	enter(eng, now);
	eng->started = now;
	if (eng->dev != NULL && eng->dev->l2 && eng->addr != 0)
		ts_arp_gratuitous(eng, eng->dev);
	leave(eng);
}

void ts_engine_destroy(struct ts_engine *eng)
{
	ts_pkt_free_chain(eng->lo_head);
	eng->lo_head = eng->lo_tail = NULL;
	eng->lo_len = 0;
	ts_arp_destroy(&eng->arp);
	ts_ip_destroy(eng);
	ts_icmp_destroy(&eng->icmp);
	ts_fault_destroy(&eng->fault);
	ts_trace_disable(&eng->trace);
}

int ts_engine_xmit(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame)
{
	/* Every frame out passes here: fault rules first (fault.c), which
	 * hand what they let through to ts_engine_link_out. */
	return ts_fault_out(eng, dev, frame);
}

int ts_engine_link_out(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame)
{
	int r;

	if (eng->tap_hook != NULL)
		eng->tap_hook(eng, 1, frame, dev->l2, eng->tap_hook_arg);
	dev->tx_frames++;
	dev->tx_bytes += frame->len;
	if (dev != &eng->lo)
		eng->stats.TsExtLinkOutFrames++;
	r = dev->xmit(dev, frame);
	if (r < 0) {
		dev->tx_errors++;
		if (dev != &eng->lo)
			eng->stats.TsExtLinkOutErrors++;
	}
	return r;
}

void ts_engine_input(struct ts_engine *eng, struct ts_netdev *dev,
		     struct pktbuf *frame, uint64_t now)
{
	enter(eng, now);
	frame->next = NULL;
	frame->dev = dev;
	frame->stamp = eng->now;
	frame->l2_bcast = 0;
	dev->rx_frames++;
	dev->rx_bytes += frame->len;
	if (dev != &eng->lo)
		eng->stats.TsExtLinkInFrames++;
	/* Captures see frames as they arrive on the wire, before the fault
	 * rules (and see outgoing ones after them, as they leave). */
	if (eng->tap_hook != NULL)
		eng->tap_hook(eng, 0, frame, dev->l2, eng->tap_hook_arg);
	ts_fault_in(eng, dev, frame);
	leave(eng);
}

void ts_engine_link_in(struct ts_engine *eng, struct ts_netdev *dev, struct pktbuf *frame)
{
	frame->next = NULL;
	frame->dev = dev;
	frame->stamp = eng->now;	/* a delayed frame arrives when released */
	frame->l2_bcast = 0;
	if (dev->l2)
		ts_eth_input(eng, dev, frame);
	else
		ts_ip_input(eng, dev, frame);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t ts_engine_poll(struct ts_engine *eng, uint64_t now)
{
	uint64_t next = TS_NEVER;

	enter(eng, now);
	lo_drain(eng, TS_LO_BUDGET);
	/* Held frames first: what they bring may arm the timers below. */
	next = min64(next, ts_fault_poll(eng, eng->now));
	next = min64(next, ts_arp_poll(eng, eng->now));
	next = min64(next, ts_ip_poll(eng, eng->now));
	for (int p = 0; p < 256; p++)
		if (eng->l4[p].poll != NULL)
			next = min64(next, eng->l4[p].poll(eng, eng->now));
	/* Packets input now may have armed timers the deadlines above do
	 * not know about: ask to be polled again at once. */
	if (leave(eng) > 0 || eng->lo_head != NULL)
		next = eng->now;
	return next;
}

int ts_engine_is_local(const struct ts_engine *eng, uint32_t addr)
{
	if ((addr >> 24) == 127)
		return 1;
	return addr != 0 && addr == eng->addr;
}

const char *ts_ip4_str(uint32_t addr, char *buf)
{
	/* 16 bytes: "255.255.255.255" and its NUL. */
	int i = 0;

	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (addr >> shift) & 0xff;

		if (v >= 100)
			buf[i++] = (char)('0' + v / 100);
		if (v >= 10)
			buf[i++] = (char)('0' + v / 10 % 10);
		buf[i++] = (char)('0' + v % 10);
		if (shift > 0)
			buf[i++] = '.';
	}
	buf[i] = '\0';
	return buf;
}
