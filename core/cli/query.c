/* `tapsock stat`, `tapsock sysctl`, `tapsock info`: clients of the
 * daemon's control socket (STAT, STAT_RESET, SYSCTL_GET/SET, HELLO).
 * Output follows nstat(8) and sysctl(8). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sysctl.h"

static uint8_t buf[TS_CTL_MAX_MSG];

/* A JSON string (sysctl values may hold tabs). */
static void json_str(const char *s)
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

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: tapsock stat [--lab NAME | --sock PATH] [-z] [-r | --reset] [--json]\n"
		   "                    [PATTERN]...\n"
		   "  Engine counters as `Name  value` lines (nstat names).  Zero counters are\n"
		   "  hidden unless -z (nstat's --zeros).  PATTERNs are shell globs (IcmpIn*).\n"
		   "  -r/--reset zeroes the counters after printing them.  --json prints one\n"
		   "  object {\"Name\": value, ...}.\n");
}

static int match_any(const char *name, char **pats, int npats)
{
	if (npats == 0)
		return 1;
	for (int i = 0; i < npats; i++)
		if (fnmatch(pats[i], name, 0) == 0)
			return 1;
	return 0;
}

int cli_stat(int argc, char **argv)
{
	struct cli_target t = {0};
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	char **pats = calloc((size_t)argc + 1, sizeof(char *));
	int zeros = 0, reset = 0, npats = 0, json = 0, first = 1, fd, res;
	uint32_t n;

	if (pats == NULL)
		cli_die("out of memory");
	for (int i = 1; i < argc; i++) {
		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "-z") == 0 || strcmp(argv[i], "--zeros") == 0)
			zeros = 1;
		else if (strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "--reset") == 0)
			reset = 1;
		else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			json = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			stat_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			stat_usage(stderr);
			return 2;
		} else
			pats[npats++] = argv[i];
	}
	cli_target_resolve(&t);
	fd = cli_connect(&t);
	res = cli_call(fd, &t, TS_CTL_OP_STAT, NULL, 0, &rep, buf, sizeof(buf));
	if (res < 0)
		cli_die("stat: %s", strerror(-res));
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	n = ts_ctl_get_u32(&r);
	if (json)
		printf("{");
	for (uint32_t i = 0; i < n && !r.err; i++) {
		char name[128];
		uint64_t v;

		if (ts_ctl_stat_next(&r, name, sizeof(name), &v) < 0)
			break;
		if ((v == 0 && !zeros) || !match_any(name, pats, npats))
			continue;
		if (json) {
			printf("%s\n ", first ? "" : ",");
			json_str(name);
			printf(": %" PRIu64, v);
			first = 0;
		} else {
			printf("%-32s %" PRIu64 "\n", name, v);
		}
	}
	if (json)
		printf("%s}\n", first ? "" : "\n");
	if (ts_ctl_rd_end(&r) < 0)
		cli_die("stat: malformed reply from the daemon at %s", t.sock);
	if (reset) {
		res = cli_call(fd, &t, TS_CTL_OP_STAT_RESET, NULL, 0, &rep, buf, sizeof(buf));
		if (res < 0)
			cli_die("stat --reset: %s", strerror(-res));
	}
	close(fd);
	free(pats);
	return 0;
}

static void sysctl_usage(FILE *f)
{
	fprintf(f, "usage: tapsock sysctl [--lab NAME | --sock PATH] [-a] [-n] [-w] [--json] "
		   "[KEY[=VALUE]]...\n"
		   "  Without KEY (or with -a) prints every tunable.  KEY=VALUE (or -w) writes.\n"
		   "  Keys are Linux's (net.ipv4.tcp_syn_retries) or their last part "
		   "(tcp_syn_retries).\n"
		   "  --json prints one object {\"key\": \"value\", ...} (values as sysctl\n"
		   "  prints them, tab separated); writes print what was stored.\n");
}

/* --json: one object for the whole command. */
static int sysctl_json, sysctl_first = 1;

/* Prints one "key = value" pair from r, as sysctl(8) does. */
static int print_pair(struct ts_ctl_rd *r, int values_only)
{
	char key[256], val[TS_CTL_MAX_STR + 1];

	if (ts_ctl_sysctl_next(r, key, sizeof(key), val, sizeof(val)) < 0)
		return -1;
	if (sysctl_json) {
		printf("%s\n ", sysctl_first ? "" : ",");
		json_str(key);
		printf(": ");
		json_str(val);
		sysctl_first = 0;
	} else if (values_only)
		printf("%s\n", val);
	else
		printf("%s = %s\n", key, val);
	return 0;
}

static int sysctl_get(int fd, const struct cli_target *t, const char *key, int values_only)
{
	uint8_t body[TS_CTL_MAX_STR + 8];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	uint32_t n;
	int res;

	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, key);
	if (w.err) {
		cli_err("sysctl: key too long");
		return 1;
	}
	res = cli_call(fd, t, TS_CTL_OP_SYSCTL_GET, body, w.len, &rep, buf, sizeof(buf));
	if (res == -ENOENT) {
		cli_err("sysctl: unknown key '%s' (`tapsock sysctl -a` lists them)", key);
		return 1;
	}
	if (res < 0) {
		cli_err("sysctl: %s: %s", key, strerror(-res));
		return 1;
	}
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	n = ts_ctl_get_u32(&r);
	for (uint32_t i = 0; i < n && !r.err; i++)
		print_pair(&r, values_only);
	if (ts_ctl_rd_end(&r) < 0)
		cli_die("sysctl: malformed reply from the daemon at %s", t->sock);
	return 0;
}

/* What a tunable takes, from the engine's own table (sysctl.h): "an
 * integer from 1 to 127", "3 integers ...", "one of: reno cubic". */
static void sysctl_expects(const char *key, char *out, size_t len)
{
	static const struct {
		int n;
		long long lo, hi;
		const char *const *names;
	} tab[] = {
#define TS_SYSCTL_RANGE(field, k, n, d0, d1, d2, lo, hi, names) {n, lo, hi, names},
		TS_SYSCTLS(TS_SYSCTL_RANGE)
#undef TS_SYSCTL_RANGE
	};
	int i = ts_sysctl_find(key);

	out[0] = '\0';
	if (i < 0 || (size_t)i >= sizeof(tab) / sizeof(tab[0]))
		return;
	if (tab[i].names != NULL) {
		size_t used = (size_t)snprintf(out, len, "one of:");

		for (int k = 0; tab[i].names[k] != NULL && used < len; k++)
			used += (size_t)snprintf(out + used, len - used, " %s", tab[i].names[k]);
		return;
	}
	if (tab[i].n == 1)
		snprintf(out, len, "an integer from %lld to %lld", tab[i].lo, tab[i].hi);
	else
		snprintf(out, len, "%d integers from %lld to %lld", tab[i].n, tab[i].lo, tab[i].hi);
}

static int sysctl_set(int fd, const struct cli_target *t, const char *kv, int values_only)
{
	uint8_t body[2 * TS_CTL_MAX_STR + 8];
	char key[TS_CTL_MAX_STR + 1];
	const char *eq = strchr(kv, '='), *val;
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	size_t klen;
	int res;

	if (eq == NULL) {
		cli_err("sysctl: '%s': -w needs KEY=VALUE", kv);
		return 1;
	}
	klen = (size_t)(eq - kv);
	if (klen >= sizeof(key)) {
		cli_err("sysctl: key too long");
		return 1;
	}
	memcpy(key, kv, klen);
	key[klen] = '\0';
	/* sysctl(8) accepts spaces around '='. */
	while (klen > 0 && key[klen - 1] == ' ')
		key[--klen] = '\0';
	val = eq + 1;
	while (*val == ' ')
		val++;
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, key);
	ts_ctl_put_str(&w, val);
	if (w.err) {
		cli_err("sysctl: value too long");
		return 1;
	}
	res = cli_call(fd, t, TS_CTL_OP_SYSCTL_SET, body, w.len, &rep, buf, sizeof(buf));
	if (res == -ENOENT) {
		cli_err("sysctl: unknown key '%s' (`tapsock sysctl -a` lists them)", key);
		return 1;
	}
	if (res == -EINVAL) {
		char want[160];

		sysctl_expects(key, want, sizeof(want));
		if (want[0])
			cli_err("sysctl: invalid value '%s' for %s: expected %s", val, key, want);
		else
			cli_err("sysctl: invalid value '%s' for %s", val, key);
		return 1;
	}
	if (res < 0) {
		cli_err("sysctl: %s: %s", key, strerror(-res));
		return 1;
	}
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	if (print_pair(&r, values_only) < 0 || ts_ctl_rd_end(&r) < 0)
		cli_die("sysctl: malformed reply from the daemon at %s", t->sock);
	return 0;
}

int cli_sysctl(int argc, char **argv)
{
	struct cli_target t = {0};
	int write = 0, all = 0, values_only = 0, nkeys = 0, fd, rc = 0;
	char **keys = calloc((size_t)argc + 1, sizeof(char *));

	if (keys == NULL)
		cli_die("out of memory");
	for (int i = 1; i < argc; i++) {
		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "--write") == 0)
			write = 1;
		else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--values") == 0)
			values_only = 1;
		else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			sysctl_json = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			sysctl_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-') {
			sysctl_usage(stderr);
			return 2;
		} else
			keys[nkeys++] = argv[i];
	}
	if (write && nkeys == 0) {
		sysctl_usage(stderr);
		return 2;
	}
	cli_target_resolve(&t);
	fd = cli_connect(&t);
	if (sysctl_json)
		printf("{");
	if (nkeys == 0 || all)
		rc |= sysctl_get(fd, &t, "", values_only);
	for (int i = 0; i < nkeys; i++) {
		/* As sysctl(8): an argument with '=' is a write, -w or not. */
		if (write || strchr(keys[i], '=') != NULL)
			rc |= sysctl_set(fd, &t, keys[i], values_only);
		else
			rc |= sysctl_get(fd, &t, keys[i], values_only);
	}
	if (sysctl_json)
		printf("%s}\n", sysctl_first ? "" : "\n");
	close(fd);
	free(keys);
	return rc;
}

int cli_info(int argc, char **argv)
{
	struct cli_target t = {0};
	struct ts_ctl_hello_rep h;
	char a[16], g[16], m[18];
	int r, json = 0;

	for (int i = 1; i < argc; i++) {
		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			json = 1;
			continue;
		}
		fprintf(stderr, "usage: tapsock info [--lab NAME | --sock PATH] [--json]\n");
		return 2;
	}
	cli_target_resolve(&t);
	r = cli_hello(t.sock, &h);
	if (r == -EPROTO)
		cli_die("control protocol version mismatch with the daemon at %s "
			"(this tapsock speaks version %d); use a tapsock and tapsockd from "
			"the same build",
			t.sock, TS_CTL_VERSION);
	if (r < 0) {
		int fd = cli_connect(&t);	/* exits with the right message */

		close(fd);
		cli_die("HELLO to %s failed: %s", t.sock, strerror(-r));
	}
	cli_ip_str(h.addr, a);
	cli_ip_str(h.gw, g);
	cli_mac_str(h.mac, m);
	if (json) {
		printf("{\"address\": \"%s\", \"prefix_len\": %u, \"gateway\": ", a,
		       (unsigned)h.prefix_len);
		if (h.gw)
			printf("\"%s\"", g);
		else
			printf("null");
		printf(", \"mac\": \"%s\", \"mtu\": %u, \"device\": ", m, (unsigned)h.mtu);
		json_str(h.ifname);
		printf(", \"pid\": %u, \"socket\": ", (unsigned)h.daemon_pid);
		json_str(t.sock);
		printf(", \"protocol\": %d}\n", TS_CTL_VERSION);
		return 0;
	}
	printf("address  %s/%u\n", a, (unsigned)h.prefix_len);
	printf("gateway  %s\n", h.gw ? g : "none");
	printf("mac      %s\n", m);
	printf("mtu      %u\n", (unsigned)h.mtu);
	printf("device   %s\n", h.ifname);
	printf("pid      %u\n", (unsigned)h.daemon_pid);
	printf("socket   %s\n", t.sock);
	printf("protocol %d\n", TS_CTL_VERSION);
	return 0;
}
