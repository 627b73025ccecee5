/* tapsockd: the engine daemon.  Parses options, opens the TAP, starts the
 * engine and the control socket, then runs one libuv loop until SIGINT or
 * SIGTERM.  Every startup failure is one line on stderr and exit status 1
 * (2 for a usage error).  Started by hand or by `tapsock lab up`. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_ss.h"
#include "daemon.h"
#include "sockd.h"

#define DEFAULT_SOCK "/run/tapsock/lab.sock"
#define MAX_SYSCTL_OPTS 64

/* Every group of control ops registers itself here, one line each. */
static void register_ops(void)
{
	ts_ctl_core_register();
	ts_ctl_sock_register();
	ts_ctl_tcp_register();
	ts_ctl_fault_register();
	ts_ctl_stream_register();
	ts_ctl_ss_register();
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tapsockd [options]\n"
		"  --tap NAME          TAP device to attach to or create (default tap0)\n"
		"  --addr A.B.C.D/LEN  the engine's address (default 198.18.0.2/24)\n"
		"  --gw A.B.C.D        default gateway (default: none)\n"
		"  --mtu N             link MTU (default: the device's)\n"
		"  --sock PATH         control socket (default $TAPSOCK_SOCK or %s)\n"
		"  --sysctl KEY=VALUE  set a tunable at start (repeatable)\n"
		"  --pcap FILE         write every TAP frame to FILE (pcap)\n"
		"  -v, --verbose       log every control request\n"
		"Runs in the foreground; SIGINT or SIGTERM stops it cleanly.\n",
		DEFAULT_SOCK);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tapsockd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_cidr(const char *s, uint32_t *addr, int *prefix)
{
	char buf[64], *slash, *end;
	long p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (errno != 0 || end == slash + 1 || *end != '\0' || p < 1 || p > 32)
		return -EINVAL;
	if (parse_ip(buf, addr) < 0 || *addr == 0)
		return -EINVAL;
	*prefix = (int)p;
	return 0;
}

static const char *mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tap", required_argument, NULL, 't'},
		{"addr", required_argument, NULL, 'a'},
		{"gw", required_argument, NULL, 'g'},
		{"mtu", required_argument, NULL, 'm'},
		{"sock", required_argument, NULL, 's'},
		{"sysctl", required_argument, NULL, 'S'},
		{"pcap", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct ts_daemon dd;
	struct ts_daemon *d = &dd;
	struct ts_engine_config cfg = {0};
	const char *tap = "tap0", *addr = "198.18.0.2/24", *gw = NULL;
	const char *sock = getenv("TAPSOCK_SOCK"), *pcap = NULL;
	const char *sysctls[MAX_SYSCTL_OPTS];
	struct ts_sysctl check;
	int nsysctls = 0, c, r;
	char err[512], a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN], m[18];
	uv_loop_t loop;

	if (sock == NULL || sock[0] == '\0')
		sock = DEFAULT_SOCK;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tap = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'g':
			gw = optarg;
			break;
		case 'm': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 576 || v > 65535)
				die("bad --mtu '%s': expected a number from 576 to 65535", optarg);
			cfg.mtu = (unsigned)v;
			break;
		}
		case 's':
			sock = optarg;
			break;
		case 'S':
			if (nsysctls == MAX_SYSCTL_OPTS)
				die("too many --sysctl options (max %d)", MAX_SYSCTL_OPTS);
			sysctls[nsysctls++] = optarg;
			break;
		case 'p':
			pcap = optarg;
			break;
		case 'v':
			d->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tapsockd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* Everything the command line says is checked before anything is
	 * opened, so a typo costs nothing. */
	if (strlen(tap) == 0 || strlen(tap) >= sizeof(d->tap.name))
		die("bad --tap '%s': a device name is 1 to %zu characters", tap,
		    sizeof(d->tap.name) - 1);
	if (parse_cidr(addr, &cfg.addr, &d->prefix_len) < 0)
		die("bad --addr '%s': expected A.B.C.D/LEN, e.g. 198.18.0.2/24", addr);
	cfg.prefix_len = d->prefix_len;
	if (gw != NULL && parse_ip(gw, &cfg.gw) < 0)
		die("bad --gw '%s': expected an IPv4 address, e.g. 198.18.0.1", gw);
	ts_sysctl_defaults(&check);
	for (int i = 0; i < nsysctls; i++) {
		char kv[256], *eq;

		if (strlen(sysctls[i]) >= sizeof(kv) || (eq = strchr(sysctls[i], '=')) == NULL)
			die("bad --sysctl '%s': expected KEY=VALUE", sysctls[i]);
		strcpy(kv, sysctls[i]);
		kv[eq - sysctls[i]] = '\0';
		r = ts_sysctl_set(&check, kv, kv + (eq - sysctls[i]) + 1);
		if (r == -ENOENT)
			die("bad --sysctl '%s': unknown key '%s'", sysctls[i], kv);
		if (r < 0)
			die("bad --sysctl '%s': invalid value for %s", sysctls[i], kv);
	}
	r = ts_ctl_probe(sock, err, sizeof(err));
	if (r < 0)
		die("%s", err);

	signal(SIGPIPE, SIG_IGN);
	r = ts_tap_open(&d->tap, tap, err, sizeof(err));
	if (r < 0)
		die("%s", err[0] ? err : strerror(-r));
	d->tap_open = 1;
	r = ts_engine_init(&d->eng, &d->tap, &cfg);
	if (r < 0) {
		ts_tap_close(&d->tap);
		die("cannot start the engine: %s", strerror(-r));
	}
	d->engine_up = 1;
	/* UDP answers from the start (port unreachable, not protocol
	 * unreachable, before the first socket). */
	r = ts_ctl_sock_attach(d);
	if (r < 0) {
		ts_engine_destroy(&d->eng);
		ts_tap_close(&d->tap);
		die("cannot start UDP: %s", strerror(-r));
	}
	r = ts_chan_tcp_attach(d);
	if (r < 0) {
		ts_engine_destroy(&d->eng);
		ts_tap_close(&d->tap);
		die("cannot start TCP: %s", strerror(-r));
	}
	for (int i = 0; i < nsysctls; i++) {
		char kv[256], *eq;

		strcpy(kv, sysctls[i]);
		eq = strchr(kv, '=');
		*eq = '\0';
		ts_sysctl_set(&d->eng.sysctl, kv, eq + 1);
	}

	uv_loop_init(&loop);
	d->loop = &loop;
	r = ts_ctl_listen(d, sock, err, sizeof(err));
	if (r < 0) {
		ts_engine_destroy(&d->eng);
		ts_tap_close(&d->tap);
		die("%s", err);
	}
	if (pcap != NULL && ts_pcap_open(d, pcap, err, sizeof(err)) < 0) {
		ts_ctl_shutdown(d);
		ts_engine_destroy(&d->eng);
		ts_tap_close(&d->tap);
		die("%s", err);
	}
	register_ops();
	r = ts_daemon_loop_init(d);
	if (r < 0) {
		ts_ctl_shutdown(d);
		ts_engine_destroy(&d->eng);
		ts_tap_close(&d->tap);
		die("event loop: %s", uv_strerror(r));
	}

	ts_engine_start(&d->eng, ts_daemon_now());
	ts_daemon_kick(d);
	{
		struct in_addr ia = {.s_addr = htonl(d->eng.addr)};
		struct in_addr ig = {.s_addr = htonl(d->eng.gw)};

		inet_ntop(AF_INET, &ia, a1, sizeof(a1));
		inet_ntop(AF_INET, &ig, a2, sizeof(a2));
	}
	ts_log("engine %s/%d gw %s mac %s mtu %u on %s; control socket %s (pid %d)", a1,
	       d->prefix_len, d->eng.gw ? a2 : "none", mac_str(d->eng.mac, m), d->eng.mtu,
	       d->tap.name, sock, (int)getpid());

	uv_run(&loop, UV_RUN_DEFAULT);

	/* Clean stop: connections closed, socket file removed, handles
	 * closed, engine and TAP released. */
	d->stopping = 1;
	ts_ctl_shutdown(d);
	ts_chan_tcp_shutdown(d);
	ts_ctl_sock_shutdown(d);
	ts_daemon_loop_close(d);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ts_pcap_close(d);
	ts_engine_destroy(&d->eng);
	ts_tap_close(&d->tap);
	ts_log("stopped");
	return 0;
}
