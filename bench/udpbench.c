/* udpbench: the UDP client and server of bench/run.  One binary, run
 * unchanged on the kernel and under libtapsock.so (LD_PRELOAD), so both
 * stacks see exactly the same system calls.  bench/run compiles it into the
 * build directory; it is not part of `make`.
 *
 *   udpbench server PORT [READYFILE]       echo / sink / blast server
 *   udpbench rr ADDR PORT SIZE COUNT SECS  request/response, one in flight
 *   udpbench tx ADDR PORT SIZE SECS RUN    bulk to the server (it counts)
 *   udpbench rx ADDR PORT SIZE SECS RUN    bulk from the server (we count)
 *   udpbench mem COUNT [tcp ADDR PORT]     hold COUNT UDP (bound) or TCP
 *                                          (connected) sockets
 *   udpbench tcphold PORT [READYFILE]      accept and hold TCP connections
 *
 * Client results are one line of KEY=VALUE pairs on stdout.  Every loop is
 * bounded in count and in time; no result is judged here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 65536
#define SERVER_LIFETIME_S 3600	/* a forgotten server dies by itself */
#define RR_WARMUP 20
#define RR_TIMEOUT_MS 200
#define QUERY_TRIES 25
#define QUERY_WAIT_MS 200
#define RX_IDLE_MS 1000
#define MEM_HOLD_S 300

/* Datagram kinds: first byte of every datagram. */
enum { K_ECHO = 'E', K_DATA = 'D', K_QUERY = 'Q', K_REPORT = 'R', K_BLAST = 'B', K_FIN = 'F' };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void die(const char *what)
{
	fprintf(stderr, "udpbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int parse_addr(const char *a, const char *port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, a, &sin->sin_addr) == 1 ? 0 : -1;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

/* Waits up to ms for fd to be readable: 1 readable, 0 timeout. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die("poll");
	return r > 0;
}

static long rss_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* --- server ---------------------------------------------------------------- */

/* The sink's count for the current run (a new run id resets it). */
struct sink {
	uint32_t run;
	uint64_t count, bytes, first_us, last_us;
};

static void blast(int fd, const struct sockaddr_in *to, uint32_t run, uint32_t size,
		  uint32_t ms)
{
	static unsigned char buf[MAX_DGRAM];
	uint64_t end = now_us() + (uint64_t)ms * 1000u, sent = 0;
	uint32_t seq = 0;

	if (size < 16 || size > MAX_DGRAM)
		size = 1400;
	memset(buf, 0x5a, size);
	buf[0] = K_DATA;
	put32(buf + 1, run);
	while (now_us() < end) {
		/* 64 datagrams between clock reads. */
		for (int i = 0; i < 64; i++) {
			put32(buf + 5, seq++);
			if (sendto(fd, buf, size, 0, (const struct sockaddr *)to, sizeof(*to)) ==
			    (ssize_t)size)
				sent++;
		}
	}
	/* The end marker carries what was sent; the client may miss some of
	 * them under loss, so several. */
	memset(buf, 0, 32);
	buf[0] = K_FIN;
	put32(buf + 1, run);
	put64(buf + 5, sent);
	for (int i = 0; i < 5; i++) {
		usleep(20000);
		sendto(fd, buf, 13, 0, (const struct sockaddr *)to, sizeof(*to));
	}
}

static int cmd_server(int argc, char **argv)
{
	static unsigned char buf[MAX_DGRAM];
	struct sockaddr_in me, from;
	struct sink sk = {0};
	int fd, one = 1;

	if (argc < 1)
		return 2;
	alarm(SERVER_LIFETIME_S);
	if (parse_addr("0.0.0.0", argv[0], &me) < 0)
		return 2;
	fd = udp_socket();
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind");
	if (argc > 1) {
		FILE *f = fopen(argv[1], "we");

		if (f != NULL)
			fclose(f);
	}
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		uint64_t t;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		if (n < 1)
			continue;
		switch (buf[0]) {
		case K_ECHO:
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
			break;
		case K_DATA:
			if (n < 9)
				break;
			t = now_us();
			if (get32(buf + 1) != sk.run || sk.count == 0) {
				sk.run = get32(buf + 1);
				sk.count = 0;
				sk.bytes = 0;
				sk.first_us = t;
			}
			sk.count++;
			sk.bytes += (uint64_t)n;
			sk.last_us = t;
			break;
		case K_QUERY: {
			unsigned char rep[32];

			if (n < 5)
				break;
			memset(rep, 0, sizeof(rep));
			rep[0] = K_REPORT;
			put32(rep + 1, get32(buf + 1));
			if (get32(buf + 1) == sk.run) {
				put64(rep + 5, sk.count);
				put64(rep + 13, sk.bytes);
				put64(rep + 21, sk.last_us - sk.first_us);
			}
			sendto(fd, rep, 29, 0, (struct sockaddr *)&from, fl);
			break;
		}
		case K_BLAST:
			if (n >= 13)
				blast(fd, &from, get32(buf + 1), get32(buf + 5), get32(buf + 9));
			break;
		default:
			break;
		}
	}
	return 0;
}

/* --- clients ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One request in flight: send, wait for the echo of this sequence number
 * (late echoes of earlier ones are skipped), time it. */
static int cmd_rr(int argc, char **argv)
{
	static unsigned char buf[MAX_DGRAM], in[MAX_DGRAM];
	struct sockaddr_in to;
	uint64_t *rtt, start, end, deadline;
	long size, count, done = 0, lost = 0;
	int fd;

	if (argc < 5 || parse_addr(argv[0], argv[1], &to) < 0)
		return 2;
	size = atol(argv[2]);
	count = atol(argv[3]);
	if (size < 8 || size > 65507 || count < 1 || count > 10000000)
		return 2;
	rtt = calloc((size_t)count, sizeof(*rtt));
	if (rtt == NULL)
		die("calloc");
	fd = udp_socket();
	memset(buf, 0x33, (size_t)size);
	buf[0] = K_ECHO;
	deadline = now_us() + (uint64_t)atol(argv[4]) * 1000000u;
	start = 0;
	for (long i = -RR_WARMUP; i < count && now_us() < deadline; i++) {
		uint64_t t0;
		int got = 0;

		if (i == 0)
			start = now_us();
		put32(buf + 1, (uint32_t)i);
		t0 = now_us();
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			die("sendto");
		while (!got && wait_readable(fd, RR_TIMEOUT_MS)) {
			ssize_t n = recvfrom(fd, in, sizeof(in), 0, NULL, NULL);

			if (n < 0)
				die("recvfrom");
			got = n >= 5 && in[0] == K_ECHO && get32(in + 1) == (uint32_t)i;
		}
		if (i < 0)
			continue;
		if (got)
			rtt[done++] = now_us() - t0;
		else
			lost++;
	}
	end = now_us();
	if (done == 0) {
		printf("rr n=0 lost=%ld\n", lost);
		return 1;
	}
	qsort(rtt, (size_t)done, sizeof(*rtt), cmp_u64);
	printf("rr n=%ld lost=%ld secs=%.3f rate=%.1f p50_us=%llu p90_us=%llu p99_us=%llu\n", done,
	       lost, (double)(end - start) / 1e6, (double)done * 1e6 / (double)(end - start),
	       (unsigned long long)rtt[done / 2], (unsigned long long)rtt[done * 9 / 10],
	       (unsigned long long)rtt[done * 99 / 100]);
	free(rtt);
	return 0;
}

/* Bulk to the server for SECS, then ask it what arrived (bounded retries). */
static int cmd_tx(int argc, char **argv)
{
	static unsigned char buf[MAX_DGRAM], in[64];
	struct sockaddr_in to;
	uint64_t sent = 0, errs = 0, end, t0;
	uint32_t run, seq = 0;
	long size;
	int fd;

	if (argc < 5 || parse_addr(argv[0], argv[1], &to) < 0)
		return 2;
	size = atol(argv[2]);
	run = (uint32_t)strtoul(argv[4], NULL, 10);
	if (size < 16 || size > 65507)
		return 2;
	fd = udp_socket();
	memset(buf, 0xa5, (size_t)size);
	buf[0] = K_DATA;
	put32(buf + 1, run);
	t0 = now_us();
	end = t0 + (uint64_t)atol(argv[3]) * 1000000u;
	while (now_us() < end) {
		for (int i = 0; i < 64; i++) {
			put32(buf + 5, seq++);
			if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) ==
			    size)
				sent++;
			else
				errs++;
		}
	}
	t0 = now_us() - t0;
	usleep(100000);	/* let the tail drain before asking */
	memset(buf, 0, 16);
	buf[0] = K_QUERY;
	put32(buf + 1, run);
	for (int i = 0; i < QUERY_TRIES; i++) {
		sendto(fd, buf, 5, 0, (struct sockaddr *)&to, sizeof(to));
		while (wait_readable(fd, QUERY_WAIT_MS)) {
			ssize_t n = recv(fd, in, sizeof(in), 0);
			uint64_t cnt, bytes, us;

			if (n < 29 || in[0] != K_REPORT || get32(in + 1) != run)
				continue;
			cnt = get64(in + 5);
			bytes = get64(in + 13);
			us = get64(in + 21);
			printf("tx sent=%llu senderr=%llu recv=%llu lost=%llu bytes=%llu "
			       "send_us=%llu recv_us=%llu mbps=%.2f\n",
			       (unsigned long long)sent, (unsigned long long)errs,
			       (unsigned long long)cnt,
			       (unsigned long long)(sent > cnt ? sent - cnt : 0),
			       (unsigned long long)bytes, (unsigned long long)t0,
			       (unsigned long long)us, us ? (double)bytes / (double)us : 0.0);
			return 0;
		}
	}
	printf("tx sent=%llu noreport=1\n", (unsigned long long)sent);
	return 1;
}

/* Ask the server to send to us for SECS; count what arrives. */
static int cmd_rx(int argc, char **argv)
{
	static unsigned char buf[MAX_DGRAM];
	struct sockaddr_in to;
	uint64_t cnt = 0, bytes = 0, first = 0, last = 0, sent = 0, limit;
	uint32_t run;
	long size, secs;
	int fd, fin = 0;

	if (argc < 5 || parse_addr(argv[0], argv[1], &to) < 0)
		return 2;
	size = atol(argv[2]);
	secs = atol(argv[3]);
	run = (uint32_t)strtoul(argv[4], NULL, 10);
	if (size < 16 || size > 65507 || secs < 1 || secs > 600)
		return 2;
	fd = udp_socket();
	memset(buf, 0, 16);
	buf[0] = K_BLAST;
	put32(buf + 1, run);
	put32(buf + 5, (uint32_t)size);
	put32(buf + 9, (uint32_t)(secs * 1000));
	/* Ask until data arrives (the request itself may be lost). */
	for (int i = 0; i < QUERY_TRIES && cnt == 0 && !fin; i++) {
		sendto(fd, buf, 13, 0, (struct sockaddr *)&to, sizeof(to));
		if (wait_readable(fd, QUERY_WAIT_MS))
			break;
	}
	limit = now_us() + (uint64_t)(secs + 10) * 1000000u;
	while (!fin && now_us() < limit && wait_readable(fd, RX_IDLE_MS)) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 9 || get32(buf + 1) != run)
			continue;
		if (buf[0] == K_DATA) {
			last = now_us();
			if (cnt++ == 0)
				first = last;
			bytes += (uint64_t)n;
		} else if (buf[0] == K_FIN && n >= 13) {
			sent = get64(buf + 5);
			fin = 1;
		}
	}
	printf("rx sent=%llu fin=%d recv=%llu lost=%llu bytes=%llu recv_us=%llu mbps=%.2f\n",
	       (unsigned long long)sent, fin, (unsigned long long)cnt,
	       (unsigned long long)(sent > cnt ? sent - cnt : 0), (unsigned long long)bytes,
	       (unsigned long long)(last - first),
	       last > first ? (double)bytes / (double)(last - first) : 0.0);
	return cnt > 0 ? 0 : 1;
}

/* Opens COUNT sockets: UDP bound to ephemeral ports, or TCP connected to
 * ADDR PORT (blocking connects); reports its own RSS before and after,
 * then holds them until stdin reaches EOF (bounded). */
static int cmd_mem(int argc, char **argv)
{
	struct sockaddr_in dst;
	struct rlimit rl;
	long count, before, after;
	int *fds, tcp;
	char line[64];

	if (argc < 1)
		return 2;
	count = atol(argv[0]);
	tcp = argc >= 4 && strcmp(argv[1], "tcp") == 0;
	if (count < 1 || count > 100000 || (tcp && parse_addr(argv[2], argv[3], &dst) < 0))
		return 2;
	alarm(MEM_HOLD_S);
	rl.rlim_cur = rl.rlim_max = (rlim_t)count + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	fds = calloc((size_t)count, sizeof(*fds));
	if (fds == NULL)
		die("calloc");
	before = rss_kb();
	for (long i = 0; i < count; i++) {
		struct sockaddr_in any;

		if (tcp) {
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (fds[i] < 0)
				die("socket(SOCK_STREAM)");
			if (connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) < 0)
				die("connect");
			continue;
		}
		parse_addr("0.0.0.0", "0", &any);
		fds[i] = udp_socket();
		if (bind(fds[i], (struct sockaddr *)&any, sizeof(any)) < 0)
			die("bind");
	}
	after = rss_kb();
	printf("mem count=%ld rss_before_kb=%ld rss_after_kb=%ld\n", count, before, after);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	for (long i = 0; i < count; i++) {
		/* TCP: abortive close (RST), so no TIME-WAIT outlives the run
		 * and changes the next measurement. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		if (tcp)
			setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
	free(fds);
	return 0;
}

/* TCP listener that accepts and holds connections until their peer closes
 * them (no data is expected); for the TCP memory measurement. */
static int cmd_tcphold(int argc, char **argv)
{
	struct sockaddr_in me;
	struct rlimit rl;
	struct pollfd *p;
	int lfd, one = 1;
	nfds_t n = 1, max = 100000;

	if (argc < 1 || parse_addr("0.0.0.0", argv[0], &me) < 0)
		return 2;
	alarm(SERVER_LIFETIME_S);
	rl.rlim_cur = rl.rlim_max = (rlim_t)max + 64;
	setrlimit(RLIMIT_NOFILE, &rl);
	p = calloc(max, sizeof(*p));
	if (p == NULL)
		die("calloc");
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&me, sizeof(me)) < 0 || listen(lfd, 4096) < 0)
		die("bind/listen");
	if (argc > 1) {
		FILE *f = fopen(argv[1], "we");

		if (f != NULL)
			fclose(f);
	}
	p[0].fd = lfd;
	p[0].events = POLLIN;
	for (;;) {
		int r = poll(p, n, -1);

		if (r < 0 && errno != EINTR)
			die("poll");
		if (r <= 0)
			continue;
		/* Closed connections first (swap-remove), then new ones. */
		for (nfds_t i = n - 1; i >= 1; i--) {
			char b[4096];

			if (p[i].revents && read(p[i].fd, b, sizeof(b)) <= 0) {
				close(p[i].fd);
				p[i] = p[--n];
			}
		}
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0 && n < max) {
				p[n].fd = fd;
				p[n].events = POLLIN;
				p[n].revents = 0;
				n++;
			} else if (fd >= 0) {
				close(fd);
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2) {
		if (strcmp(argv[1], "server") == 0)
			return cmd_server(argc - 2, argv + 2);
		if (strcmp(argv[1], "rr") == 0)
			return cmd_rr(argc - 2, argv + 2);
		if (strcmp(argv[1], "tx") == 0)
			return cmd_tx(argc - 2, argv + 2);
		if (strcmp(argv[1], "rx") == 0)
			return cmd_rx(argc - 2, argv + 2);
		if (strcmp(argv[1], "mem") == 0)
			return cmd_mem(argc - 2, argv + 2);
		if (strcmp(argv[1], "tcphold") == 0)
			return cmd_tcphold(argc - 2, argv + 2);
	}
	fprintf(stderr, "usage: udpbench server PORT [READYFILE] | rr ADDR PORT SIZE COUNT SECS |\n"
			"       tx ADDR PORT SIZE SECS RUN | rx ADDR PORT SIZE SECS RUN |\n"
			"       mem COUNT [tcp ADDR PORT] | tcphold PORT [READYFILE]\n");
	return 2;
}
