/* `tapsock fault add|list|del|clear`: the engine's fault injection rules
 * over the control socket (FAULT_ADD, FAULT_LIST, FAULT_DEL, FAULT_CLEAR).
 * Rule text is checked here with core/fault.c first, so a typo gets the
 * parser's explanation; the daemon parses it again. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fault.h"

static uint8_t buf[TS_CTL_MAX_MSG];

static void fault_usage(FILE *f)
{
	fprintf(f, "usage: tapsock fault add [--lab NAME | --sock PATH] [--json] RULE...\n"
		   "       tapsock fault list [--lab NAME | --sock PATH] [--json]\n"
		   "       tapsock fault del [--lab NAME | --sock PATH] ID...\n"
		   "       tapsock fault clear [--lab NAME | --sock PATH]\n"
		   "  RULE: ACTION [match]... [selection]...\n"
		   "    ACTION     drop | delay MS | duplicate | reorder [MS] | corrupt\n"
		   "    match      dir in|out|both  proto tcp|udp|icmp|arp|any  port N\n"
		   "               flags syn,syn-ack,fin,rst,ack,data  lo (loopback too)\n"
		   "    selection  nth N | every N | prob P [seed S] | limit N\n"
		   "  e.g. tapsock fault add drop dir out proto tcp flags syn-ack nth 1\n");
}

/* A JSON string with the characters that need it escaped. */
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

static int fault_add(int fd, const struct cli_target *t, char **words, int n, int json)
{
	char text[TS_CTL_MAX_STR + 1] = "", err[256], canon[512];
	uint8_t body[TS_CTL_MAX_STR + 8];
	struct ts_fault_spec s;
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	size_t off = 0;
	uint32_t id;
	int res;

	for (int i = 0; i < n; i++) {
		int k = snprintf(text + off, sizeof(text) - off, "%s%s", i ? " " : "", words[i]);

		if (k < 0 || (size_t)k >= sizeof(text) - off)
			cli_die("fault add: rule too long");
		off += (size_t)k;
	}
	if (ts_fault_parse(text, &s, err, sizeof(err)) < 0) {
		cli_err("fault add: %s", err);
		return 2;
	}
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_put_str(&w, text);
	res = cli_call(fd, t, TS_CTL_OP_FAULT_ADD, body, w.len, &rep, buf, sizeof(buf));
	if (res == -ENOSPC) {
		cli_err("fault add: too many rules (%d); delete some first", TS_FAULT_MAX_RULES);
		return 1;
	}
	if (res < 0) {
		cli_err("fault add: %s", strerror(-res));
		return 1;
	}
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	id = ts_ctl_get_u32(&r);
	ts_ctl_get_str(&r, canon, sizeof(canon));
	if (ts_ctl_rd_end(&r) < 0)
		cli_die("fault add: malformed reply from the daemon at %s", t->sock);
	if (json) {
		printf("{\"id\":%u,\"rule\":", (unsigned)id);
		json_str(canon);
		printf("}\n");
	} else {
		printf("rule %u: %s\n", (unsigned)id, canon);
	}
	return 0;
}

static int fault_list(int fd, const struct cli_target *t, int json)
{
	struct ts_ctl_hdr rep;
	struct ts_ctl_rd r;
	uint32_t n;
	int res = cli_call(fd, t, TS_CTL_OP_FAULT_LIST, NULL, 0, &rep, buf, sizeof(buf));

	if (res < 0) {
		cli_err("fault list: %s", strerror(-res));
		return 1;
	}
	ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
	n = ts_ctl_get_u32(&r);
	if (json)
		printf("[");
	else if (n > 0)
		printf("%-4s %10s %10s  %s\n", "ID", "MATCHED", "ACTED", "RULE");
	for (uint32_t i = 0; i < n && !r.err; i++) {
		char canon[512];
		uint32_t id = ts_ctl_get_u32(&r);
		uint64_t matched, acted;

		ts_ctl_get_str(&r, canon, sizeof(canon));
		matched = ts_ctl_get_u64(&r);
		acted = ts_ctl_get_u64(&r);
		if (r.err)
			break;
		if (json) {
			printf("%s{\"id\":%u,\"rule\":", i ? "," : "", (unsigned)id);
			json_str(canon);
			printf(",\"matched\":%" PRIu64 ",\"acted\":%" PRIu64 "}", matched, acted);
		} else {
			printf("%-4u %10" PRIu64 " %10" PRIu64 "  %s\n", (unsigned)id, matched,
			       acted, canon);
		}
	}
	if (json)
		printf("]\n");
	if (ts_ctl_rd_end(&r) < 0)
		cli_die("fault list: malformed reply from the daemon at %s", t->sock);
	return 0;
}

static int fault_del(int fd, const struct cli_target *t, char **ids, int n)
{
	int rc = 0;

	if (n == 0) {
		fault_usage(stderr);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		uint8_t body[8];
		struct ts_ctl_wr w;
		struct ts_ctl_hdr rep;
		char *end;
		unsigned long id = strtoul(ids[i], &end, 10);
		int res;

		if (end == ids[i] || *end != '\0' || id == 0 || id > UINT32_MAX) {
			cli_err(
			    "fault del: '%s' is not a rule id (`tapsock fault list` shows them)",
			    ids[i]);
			rc = 2;
			continue;
		}
		ts_ctl_wr_init(&w, body, sizeof(body));
		ts_ctl_put_u32(&w, (uint32_t)id);
		res = cli_call(fd, t, TS_CTL_OP_FAULT_DEL, body, w.len, &rep, buf, sizeof(buf));
		if (res == -ENOENT) {
			cli_err("fault del: no rule %lu", id);
			rc = 1;
		} else if (res < 0) {
			cli_err("fault del: %s", strerror(-res));
			rc = 1;
		}
	}
	return rc;
}

int cli_fault(int argc, char **argv)
{
	struct cli_target t = {0};
	const char *sub = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	struct ts_ctl_hdr rep;
	int nrest = 0, json = 0, fd, rc = 0;

	if (rest == NULL)
		cli_die("out of memory");
	for (int i = 1; i < argc; i++) {
		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fault_usage(stdout);
			free(rest);
			return 0;
		} else if (sub == NULL) {
			sub = argv[i];
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (sub == NULL ||
	    (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "del") != 0 &&
	     strcmp(sub, "clear") != 0) ||
	    (strcmp(sub, "add") == 0 && nrest == 0) ||
	    ((strcmp(sub, "list") == 0 || strcmp(sub, "clear") == 0) && nrest > 0)) {
		fault_usage(stderr);
		free(rest);
		return 2;
	}
	cli_target_resolve(&t);
	fd = cli_connect(&t);
	if (strcmp(sub, "add") == 0) {
		rc = fault_add(fd, &t, rest, nrest, json);
	} else if (strcmp(sub, "list") == 0) {
		rc = fault_list(fd, &t, json);
	} else if (strcmp(sub, "del") == 0) {
		rc = fault_del(fd, &t, rest, nrest);
	} else {
		int res = cli_call(fd, &t, TS_CTL_OP_FAULT_CLEAR, NULL, 0, &rep, buf, sizeof(buf));

		if (res < 0) {
			cli_err("fault clear: %s", strerror(-res));
			rc = 1;
		}
	}
	close(fd);
	free(rest);
	return rc;
}
