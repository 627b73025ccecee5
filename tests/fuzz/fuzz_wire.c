/* libFuzzer target for the wire parsers on their own: the TCP header and
 * options (core/wire_tcp.c), IPv4 and Ethernet headers, the UDP header,
 * and the capture parser (core/capture.c), each given the raw input.
 * Besides "no crash, no out-of-bounds read", it checks the TCP options
 * round trip: what ts_tcp_parse read, ts_tcp_build writes back so that
 * parsing it again gives the same options (SACK blocks that do not fit
 * beside the others may be left out, RFC 2018 3, but never changed) and a
 * header length ts_tcp_opts_len predicted.  Any difference aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "eth.h"
#include "ipv4.h"
#include "pktbuf.h"
#include "udp.h"
#include "wire_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tcp_round_trip(const uint8_t *data, size_t size)
{
	struct ts_tcp_hdr h, h2;
	uint8_t out[TS_TCP_MAX_HLEN];
	size_t n, predicted;

	if (ts_tcp_parse(data, size, &h) < 0)
		return;
	if (h.doff < TS_TCP_HLEN || h.doff > size || h.opt.nsack < 0 ||
	    h.opt.nsack > TS_TCP_MAX_SACK)
		abort();
	predicted = TS_TCP_HLEN + ts_tcp_opts_len(&h.opt);
	n = ts_tcp_build(out, &h);
	if (n != predicted || n > TS_TCP_MAX_HLEN || n % 4 != 0)
		abort();
	if (ts_tcp_parse(out, n, &h2) < 0)
		abort();
	if (h2.sport != h.sport || h2.dport != h.dport || h2.seq != h.seq || h2.ack != h.ack ||
	    h2.flags != h.flags || h2.win != h.win || h2.urp != h.urp)
		abort();
	if ((h2.opt.has & ~TS_TCPO_SACK) != (h.opt.has & ~TS_TCPO_SACK))
		abort();
	if ((h.opt.has & TS_TCPO_MSS && h2.opt.mss != h.opt.mss) ||
	    (h.opt.has & TS_TCPO_WSCALE && h2.opt.wscale != h.opt.wscale) ||
	    (h.opt.has & TS_TCPO_TS &&
	     (h2.opt.ts_val != h.opt.ts_val || h2.opt.ts_ecr != h.opt.ts_ecr)))
		abort();
	if (h2.opt.has & TS_TCPO_SACK) {
		if (!(h.opt.has & TS_TCPO_SACK) || h2.opt.nsack > h.opt.nsack)
			abort();
		for (int k = 0; k < h2.opt.nsack; k++)
			if (h2.opt.sack[k].start != h.opt.sack[k].start ||
			    h2.opt.sack[k].end != h.opt.sack[k].end)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_frame_info fi;
	struct ts_udp_hdr uh;
	struct pktbuf *pkt;

	tcp_round_trip(data, size);
	ts_udp_parse(data, size, &uh);
	for (int l2 = 0; l2 < 2; l2++) {
		char line[256];

		ts_frame_parse(data, size, l2, &fi);
		ts_frame_summary(&fi, line, sizeof(line));
		if (fi.l3_off > size || fi.ip_end > size || fi.l4_off > size ||
		    (fi.l4 && fi.l4_off > fi.ip_end))
			abort();
		/* A TCP header the capture parser found parses the same way. */
		if (fi.l4 && fi.proto == 6)
			tcp_round_trip(data + fi.l4_off, fi.ip_end - fi.l4_off);
	}
	pkt = ts_pkt_from(data, size);
	if (pkt != NULL) {
		struct ts_eth_hdr eh;
		struct ts_ip_hdr ih;
		int why = -1;

		ts_eth_parse(pkt, &eh);
		if (ts_ip_parse(pkt, &ih, &why) == 0) {
			if (ih.ihl < 20 || ih.ihl > ih.tot_len || ih.tot_len > size ||
			    ih.options_len != (size_t)ih.ihl - 20)
				abort();
		}
		ts_pkt_free(pkt);
	}
	return 0;
}
