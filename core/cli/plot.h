/* `tapsock plot`: time-sequence diagrams of one TCP connection, read from
 * a pcap file (what `tapsock capture` or tcpdump writes) and, optionally,
 * from `tapsock trace --json fault` output, which names the frames fault
 * rules dropped.  Pure C over libc and core/capture.c (the frame parser),
 * so tests/unit/test_plot.c links it without the rest of the CLI.
 *
 *   ts_plot_pcap_parse    pcap bytes -> frames (every length checked)
 *   ts_plot_flow_build    frames -> the segments of one TCP connection
 *   ts_plot_trace_line    + one trace event (a fault drop)
 *   ts_plot_flow_finish   sort, relative numbers, retransmissions, dup ACKs
 *   ts_plot_text / _svg   the ladder as text or as an SVG picture */
#ifndef TS_CLI_PLOT_H
#define TS_CLI_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"

/* One frame of the capture, parsed. */
struct ts_plot_pkt {
	uint64_t t_us; /* capture timestamp, µs since the epoch */
	struct ts_frame_info fi;
};

/* Segment marks. */
#define TS_PLOT_RETRANS 0x01   /* its sequence range was sent before */
#define TS_PLOT_LOST 0x02      /* a fault rule dropped it (the trace says so) */
#define TS_PLOT_NOCAP 0x04     /* not in the capture: known from the trace only */
#define TS_PLOT_DUPACK 0x08    /* a pure ACK repeating the last one, data outstanding */
#define TS_PLOT_CHALLENGE 0x10 /* a pure ACK answering a SYN (RFC 5961 4) */
#define TS_PLOT_CHALRST 0x20   /* an RST at a challenge ACK's number */

struct ts_plot_seg {
	uint64_t t_us;	   /* absolute; the flow's t0 is the first one */
	int dir;	   /* 0: end 0 -> end 1, 1: end 1 -> end 0 */
	uint8_t flags;	   /* TCP flags byte */
	uint32_t seq, ack; /* as on the wire */
	uint32_t rseq;	   /* relative to the sender's ISN (after finish) */
	uint32_t rack;	   /* relative to the receiver's ISN (after finish) */
	uint32_t len;	   /* payload bytes */
	unsigned mark;	   /* TS_PLOT_* */
};

/* One TCP connection.  End 0 is the side that sent the first SYN (else the
 * sender of the first segment seen). */
struct ts_plot_flow {
	uint32_t ip[2]; /* host order */
	uint16_t port[2];
	uint64_t t0_us; /* the first segment's time (after finish) */
	uint32_t isn[2];
	struct ts_plot_seg *seg;
	size_t n, cap;
	int unset;	    /* ts_plot_flow_empty: endpoints not known yet */
	uint16_t want_port; /* ... and the port they must have */
};

/* Parses a whole pcap file (microsecond or nanosecond magic, either byte
 * order; LINKTYPE_ETHERNET, including the zero-MAC frames of a loopback
 * capture, or raw IPv4).  A truncated last record ends the list.  On
 * success *out (malloc'd, free() it) holds *n frames.  0, -EINVAL (not a
 * pcap file), -EPROTONOSUPPORT (another link type) or -ENOMEM. */
int ts_plot_pcap_parse(const uint8_t *buf, size_t len, struct ts_plot_pkt **out, size_t *n);

/* The TCP connection of the first TCP frame with port as source or
 * destination (port 0: any) — and, when that frame is not a SYN, a later
 * SYN of the same port pair starts over, so a capture's last connection
 * attempt does not mix with an earlier one on another port.  Fills f
 * (free with ts_plot_flow_free).  0, -ENOENT (no such TCP frame), -ENOMEM. */
int ts_plot_flow_build(const struct ts_plot_pkt *p, size_t n, uint16_t port,
		       struct ts_plot_flow *f);

/* An empty flow that the first fault drop of a trace with port (0: any)
 * defines: for captures that hold nothing of it because every segment was
 * dropped on the way out. */
void ts_plot_flow_empty(struct ts_plot_flow *f, uint16_t port);

/* Takes one line of `tapsock trace --json` output.  A fault "drop" of a
 * segment of this flow marks it: dropped on the way in, the captured frame
 * (captures see incoming frames before the rules) gets TS_PLOT_LOST;
 * dropped on the way out (never captured), a segment marked
 * TS_PLOT_LOST | TS_PLOT_NOCAP is added.  Returns 1 if it marked or added
 * one, 0 if the line is about something else, -ENOMEM.  Call before
 * ts_plot_flow_finish. */
int ts_plot_trace_line(struct ts_plot_flow *f, const char *line);

/* Orders the segments by time and computes relative numbers and marks. */
void ts_plot_flow_finish(struct ts_plot_flow *f);

/* "SYN seq=0", "SYN-ACK seq=0 ack=1", "ACK 1", "seq=1:101 ack=1",
 * "FIN seq=101 ack=1", "RST seq=1", "challenge ACK", then " (retrans)",
 * " (dup)", " (lost)" as marked.  Returns buf. */
const char *ts_plot_label(const struct ts_plot_seg *s, char *buf, size_t len);

/* The ladder as text: one line per segment, time relative to the first
 * (and times scale in a second column when scale > 1). */
void ts_plot_text(const struct ts_plot_flow *f, FILE *out, double scale);

/* The ladder as an SVG picture (title may be NULL). */
void ts_plot_svg(const struct ts_plot_flow *f, FILE *out, const char *title, double scale);

void ts_plot_flow_free(struct ts_plot_flow *f);

/* `tapsock plot`. */
int cli_plot(int argc, char **argv);

#endif
