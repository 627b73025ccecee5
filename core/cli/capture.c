/* `tapsock capture` and `tapsock trace`: live streams from the daemon.
 * Each subscribes on its own control connection (CAPTURE / TRACE) and
 * then reads what the daemon pushes (CAPTURE_DATA: pcap records;
 * TRACE_DATA: events) until Ctrl-C, -c COUNT or --duration S.  The
 * daemon never waits for us: what we are too slow for is dropped there
 * and reported here at the end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "trace.h"

static uint8_t buf[TS_CTL_MAX_MSG];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGINT/SIGTERM end the stream cleanly (no SA_RESTART: poll returns). */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int parse_count(const char *opt, const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL)
		cli_die("%s needs a value", opt);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max)
		cli_die("bad %s '%s': expected 1 to %ld", opt, s, max);
	return (int)v;
}

/* Waits for the next pushed message of op: its body length, 0 when the
 * stream should end (signal, deadline), or exits on a closed stream. */
static int next_msg(int fd, const struct cli_target *t, unsigned op, uint64_t deadline,
		    struct ts_ctl_hdr *h)
{
	while (!stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int timeout = 1000, n;

		if (deadline != 0) {
			uint64_t now = mono_ms();

			if (now >= deadline)
				return 0;
			if (deadline - now < 1000)
				timeout = (int)(deadline - now);
		}
		n = poll(&p, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		n = ts_ctl_recv(fd, buf, sizeof(buf), NULL, NULL);
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0) {
			cli_err("the daemon at %s closed the stream (%s)", t->sock,
				n == -ECONNRESET ? "it stopped" : strerror(-n));
			return -1;
		}
		if (ts_ctl_hdr_decode(buf, (size_t)n, h) < 0 || h->op != op)
			continue; /* not ours: ignore */
		return 1;
	}
	return 0;
}

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One pcap record as a line: time, what the frame is, its length. */
static void print_record(const uint8_t *rec, size_t len)
{
	uint32_t sec = rd_le32(rec), usec = rd_le32(rec + 4), caplen = rd_le32(rec + 8);
	struct ts_frame_info fi;
	char when[32], sum[160];
	time_t t = (time_t)sec;
	struct tm tm;

	if (caplen > len - TS_PCAP_REC_HDR_LEN)
		caplen = (uint32_t)(len - TS_PCAP_REC_HDR_LEN);
	ts_frame_parse(rec + TS_PCAP_REC_HDR_LEN, caplen, 1, &fi);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%06u %s, length %u\n", when, (unsigned)usec,
	       ts_frame_summary(&fi, sum, sizeof(sum)), (unsigned)rd_le32(rec + 12));
}

static void capture_usage(FILE *f)
{
	fprintf(f, "usage: tapsock capture [--lab NAME | --sock PATH] [-w FILE] [-c COUNT]\n"
		   "                       [--duration S] [-s SNAPLEN] [--lo] [FILTER]\n"
		   "  Streams the engine's frames as pcap to FILE (-w -: stdout; on a terminal\n"
		   "  without -w, one line per frame) until Ctrl-C,\n"
		   "  COUNT frames or S seconds.  FILTER: host A.B.C.D, port N, proto\n"
		   "  tcp|udp|icmp|arp (or just tcp, udp, ...), joined by 'and'.  --lo adds\n"
		   "  loopback packets (zero-MAC Ethernet header, as Linux's lo shows them).\n"
		   "  e.g. tapsock capture -c 4 -w ping.pcap icmp; tcpdump -r ping.pcap\n");
}

int cli_capture(int argc, char **argv)
{
	struct cli_target t = {0};
	char filter[TS_CTL_MAX_STR + 1] = "", err[256];
	const char *path = NULL;
	int count = 0, duration = 0, lo = 0, snaplen = 0, fd, res;
	uint64_t got = 0, dropped = 0, deadline = 0;
	uint8_t body[TS_CTL_MAX_STR + 16], hdr[TS_PCAP_HDR_LEN];
	struct ts_capture_filter f;
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	size_t off = 0;
	FILE *out;
	int text = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(a, "-w") == 0) {
			if (++i >= argc)
				cli_die("-w needs a file name (- for stdout)");
			path = argv[i];
		} else if (strcmp(a, "-c") == 0) {
			count = parse_count("-c", i + 1 < argc ? argv[++i] : NULL, 1000000000);
		} else if (strcmp(a, "--duration") == 0) {
			duration =
			    parse_count("--duration", i + 1 < argc ? argv[++i] : NULL, 86400);
		} else if (strcmp(a, "-s") == 0) {
			snaplen = parse_count("-s", i + 1 < argc ? argv[++i] : NULL, 65535);
		} else if (strcmp(a, "--lo") == 0) {
			lo = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			capture_usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			capture_usage(stderr);
			return 2;
		} else {
			int k =
			    snprintf(filter + off, sizeof(filter) - off, "%s%s", off ? " " : "", a);

			if (k < 0 || (size_t)k >= sizeof(filter) - off)
				cli_die("capture: filter too long");
			off += (size_t)k;
		}
	}
	if (ts_capture_filter_parse(filter, &f, err, sizeof(err)) < 0) {
		cli_err("capture: %s", err);
		return 2;
	}
	if (path == NULL && isatty(STDOUT_FILENO)) {
		/* No pcap on a terminal: one summary line per frame instead. */
		text = 1;
		out = stdout;
		setvbuf(stdout, NULL, _IOLBF, 0);
	} else if (path == NULL || strcmp(path, "-") == 0) {
		out = stdout;
	} else {
		out = fopen(path, "we");
		if (out == NULL)
			cli_die("capture: %s: %s", path, strerror(errno));
	}
	cli_target_resolve(&t);
	fd = cli_connect(&t);
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, filter);
	ts_ctl_put_u8(&w, (uint8_t)lo);
	ts_ctl_put_u32(&w, (uint32_t)snaplen);
	catch_signals();
	res = cli_call(fd, &t, TS_CTL_OP_CAPTURE, body, w.len, &rep, buf, sizeof(buf));
	if (res < 0)
		cli_die("capture: %s", strerror(-res));
	/* The header goes out once the daemon listens: a file that has one
	 * means the capture is running. */
	if (!text) {
		ts_pcap_file_header(hdr, snaplen ? (uint32_t)snaplen : TS_PCAP_SNAPLEN);
		fwrite(hdr, 1, sizeof(hdr), out);
		fflush(out);
	}
	if (duration > 0)
		deadline = mono_ms() + (uint64_t)duration * 1000u;
	while (count == 0 || got < (uint64_t)count) {
		struct ts_ctl_rd r;
		int n = next_msg(fd, &t, TS_CTL_OP_CAPTURE_DATA, deadline, &rep);

		if (n <= 0)
			break;
		ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
		dropped = ts_ctl_get_u64(&r);
		if (r.err || rep.len < 8 + TS_PCAP_REC_HDR_LEN)
			continue;
		if (text) {
			print_record(buf + TS_CTL_HDR_LEN + 8, rep.len - 8);
			got++;
			continue;
		}
		if (fwrite(buf + TS_CTL_HDR_LEN + 8, 1, rep.len - 8, out) != rep.len - 8 ||
		    fflush(out) != 0) {
			cli_err("capture: write: %s", strerror(errno));
			break;
		}
		got++;
	}
	close(fd);
	if (out != stdout)
		fclose(out);
	fprintf(stderr, "%" PRIu64 " packets captured\n%" PRIu64 " packets dropped by tapsockd\n",
		got, dropped);
	return 0;
}

static void trace_usage(FILE *f)
{
	fprintf(f, "usage: tapsock trace [--lab NAME | --sock PATH] [--json] [-c COUNT]\n"
		   "                     [--duration S] [KIND]...\n"
		   "  Streams engine events, one line each, until Ctrl-C, COUNT events or S\n"
		   "  seconds.  KINDs: state timer retrans drop fault info (default: all).\n"
		   "  e.g. tapsock trace fault drop\n");
}

static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned)(unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

int cli_trace(int argc, char **argv)
{
	struct cli_target t = {0};
	char kinds[TS_CTL_MAX_STR + 1] = "";
	uint8_t body[TS_CTL_MAX_STR + 8];
	int json = 0, count = 0, duration = 0, fd, res;
	uint64_t got = 0, lost = 0, deadline = 0;
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	size_t off = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "-c") == 0) {
			count = parse_count("-c", i + 1 < argc ? argv[++i] : NULL, 1000000000);
		} else if (strcmp(a, "--duration") == 0) {
			duration =
			    parse_count("--duration", i + 1 < argc ? argv[++i] : NULL, 86400);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			trace_usage(stdout);
			return 0;
		} else if (a[0] == '-') {
			trace_usage(stderr);
			return 2;
		} else {
			int k;

			if (ts_trace_kind_find(a) < 0) {
				cli_err("trace: unknown kind '%s' (state timer retrans drop fault "
					"info)",
					a);
				return 2;
			}
			k = snprintf(kinds + off, sizeof(kinds) - off, "%s%s", off ? " " : "", a);
			if (k < 0 || (size_t)k >= sizeof(kinds) - off)
				cli_die("trace: too many kinds");
			off += (size_t)k;
		}
	}
	cli_target_resolve(&t);
	fd = cli_connect(&t);
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, kinds);
	catch_signals();
	res = cli_call(fd, &t, TS_CTL_OP_TRACE, body, w.len, &rep, buf, sizeof(buf));
	if (res < 0)
		cli_die("trace: %s", strerror(-res));
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (duration > 0)
		deadline = mono_ms() + (uint64_t)duration * 1000u;
	while (count == 0 || got < (uint64_t)count) {
		struct ts_ctl_rd r;
		uint64_t l;
		uint32_t n;
		int m = next_msg(fd, &t, TS_CTL_OP_TRACE_DATA, deadline, &rep);

		if (m <= 0)
			break;
		ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
		l = ts_ctl_get_u64(&r);
		if (l > lost) {
			fprintf(stderr, "tapsock: trace: %" PRIu64 " events lost (too slow)\n",
				l - lost);
			lost = l;
		}
		n = ts_ctl_get_u32(&r);
		for (uint32_t i = 0; i < n && !r.err && (count == 0 || got < (uint64_t)count);
		     i++) {
			char text[TS_TRACE_MSG + 1], when[32];
			uint64_t seq = ts_ctl_get_u64(&r), us = ts_ctl_get_u64(&r);
			unsigned kind = ts_ctl_get_u16(&r);
			time_t sec = (time_t)(us / 1000000u);
			struct tm tm;

			ts_ctl_get_str(&r, text, sizeof(text));
			if (r.err)
				break;
			localtime_r(&sec, &tm);
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
			if (json) {
				printf("{\"seq\":%" PRIu64 ",\"time_us\":%" PRIu64
				       ",\"kind\":\"%s\","
				       "\"msg\":",
				       seq, us, ts_trace_kind_name(kind));
				print_json_str(text);
				printf("}\n");
			} else {
				printf("%s.%06u %-7s %s\n", when, (unsigned)(us % 1000000u),
				       ts_trace_kind_name(kind), text);
			}
			got++;
		}
	}
	close(fd);
	return 0;
}
