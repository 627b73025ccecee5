/* `tapsock ss`: the engine's sockets as iproute2's ss(8) prints the
 * kernel's: the same options (-t -u -l -a -n -p -i -o, `state STATE`), the
 * same state names, Recv-Q/Send-Q meanings, timer and -i fields (core/ss.c
 * formats them).  -p finds the processes holding each socket's end A in
 * /proc/PID/fd, exactly as ss -p finds the holders of a kernel socket, so
 * it shows every holder (after fork, dup) with its fd, and needs the same
 * rights as ss -p.  --json prints one array of objects. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ss.h"
#include "tcp_fsm.h"

static uint8_t buf[TS_CTL_MAX_MSG];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tapsock ss [--lab NAME | --sock PATH] [-t] [-u] [-l] [-a] [-n] [-p] [-i] [-o] [-s]\n"
		"                  [-e] [-H] [--json] [state STATE]... [FILTER]\n"
		"  The engine's sockets, as ss(8).  Default: connections that are not\n"
		"  listening, TIME-WAIT or SYN-RECV; -l listening (and unconnected UDP);\n"
		"  -a all.  -t/-u: TCP/UDP only.  -p owning processes (from /proc, as ss),\n"
		"  -o timers, -i TCP internals, -H no header, -n accepted (never resolves).\n"
		"  STATE: established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait\n"
		"  closed close-wait last-ack listening closing, or all connected\n"
		"  synchronized bucket big.  FILTER: ss's expressions on ports and\n"
		"  addresses: sport = :80, dport != :22, src 198.18.0.2[:PORT], dst NET/LEN,\n"
		"  with and, or, not and parentheses.  -e adds the socket's inode.\n"
		"  -s prints the totals instead (like ss -s).\n");
}

/* --- owners: /proc/PID/fd links "socket:[INO]" -------------------------- */

struct holder {
	uint64_t ino;
	int pid, fd;
	char comm[32];
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

static int ino_wanted(const struct ts_ss_sock *socks, size_t n, uint64_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (socks[i].ino == ino)
			return 1;
	return 0;
}

static void read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(comm, (int)len, f) != NULL)
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* Every (pid, fd) whose link names one of the sockets' inodes. */
static void scan_proc(const struct ts_ss_sock *socks, size_t n, struct holders *h)
{
	DIR *proc = opendir("/proc");
	struct dirent *pe;

	if (proc == NULL)
		return;
	while ((pe = readdir(proc)) != NULL) {
		char dpath[300], comm[32] = "";
		DIR *fds;
		struct dirent *fe;
		int pid;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		pid = atoi(pe->d_name);
		snprintf(dpath, sizeof(dpath), "/proc/%s/fd", pe->d_name);
		fds = opendir(dpath);
		if (fds == NULL)
			continue;	/* gone, or not ours to see (as ss) */
		while ((fe = readdir(fds)) != NULL) {
			char lpath[600], link[64];
			unsigned long long ino;
			ssize_t k;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(lpath, sizeof(lpath), "%s/%s", dpath, fe->d_name);
			k = readlink(lpath, link, sizeof(link) - 1);
			if (k <= 0)
				continue;
			link[k] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) != 1 || !ino_wanted(socks, n, ino))
				continue;
			if (h->n == h->cap) {
				size_t cap = h->cap ? 2 * h->cap : 16;
				struct holder *v = realloc(h->v, cap * sizeof(*v));

				if (v == NULL)
					break;
				h->v = v;
				h->cap = cap;
			}
			if (comm[0] == '\0')
				read_comm(pid, comm, sizeof(comm));
			h->v[h->n].ino = ino;
			h->v[h->n].pid = pid;
			h->v[h->n].fd = atoi(fe->d_name);
			snprintf(h->v[h->n].comm, sizeof(h->v[h->n].comm), "%s", comm);
			h->n++;
		}
		closedir(fds);
	}
	closedir(proc);
}

/* users:(("nc",pid=123,fd=3),...) or "" when nobody holds it. */
static void users_str(const struct holders *h, uint64_t ino, char *out, size_t len)
{
	size_t used = 0;
	int first = 1;

	out[0] = '\0';
	if (ino == 0)
		return;
	for (size_t i = 0; i < h->n && used + 1 < len; i++) {
		if (h->v[i].ino != ino)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s(\"%s\",pid=%d,fd=%d)",
					 first ? "users:(" : ",", h->v[i].comm, h->v[i].pid,
					 h->v[i].fd);
		first = 0;
	}
	if (!first && used + 2 < len)
		snprintf(out + used, len - used, ")");
}

/* --- JSON ----------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			printf("\\u%04x", (unsigned)(unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_addr(const char *key, uint32_t addr, uint16_t port)
{
	printf("\"%s\": {\"addr\": \"%u.%u.%u.%u\", \"port\": %u}", key, addr >> 24,
	       addr >> 16 & 255, addr >> 8 & 255, addr & 255, port);
}

static void json_sock(const struct ts_ss_sock *s, const struct holders *h, int show_users)
{
	static const char *const tnames[] = {"off", "on", "keepalive", "timewait", "persist"};
	const struct ts_ss_info *in = &s->info;

	printf("{\"netid\": \"%s\", \"state\": \"%s\", \"recv_q\": %u, \"send_q\": %u, ",
	       ts_ss_netid(s), ts_ss_state_name(s), s->rq, s->wq);
	json_addr("local", s->laddr, s->lport);
	printf(", ");
	json_addr("peer", s->raddr, s->rport);
	printf(", \"orphan\": %s, \"ino\": %llu", s->orphan ? "true" : "false",
	       (unsigned long long)s->ino);
	if (show_users) {
		int first = 1;

		printf(", \"users\": [");
		for (size_t i = 0; s->ino != 0 && i < h->n; i++) {
			if (h->v[i].ino != s->ino)
				continue;
			printf("%s{\"name\": ", first ? "" : ", ");
			json_str(h->v[i].comm);
			printf(", \"pid\": %d, \"fd\": %d}", h->v[i].pid, h->v[i].fd);
			first = 0;
		}
		printf("]");
	}
	if (s->timer != TS_SS_TIMER_OFF)
		printf(", \"timer\": {\"name\": \"%s\", \"expires_ms\": %u, \"retrans\": %u}",
		       tnames[s->timer], s->timer_ms, s->timer_retrans);
	else
		printf(", \"timer\": null");
	if (s->has_info) {
		printf(", \"info\": {\"cc\": ");
		json_str(in->cc);
		printf(", \"ts\": %s, \"sack\": %s, \"wscale\": %s, \"snd_wscale\": %u, "
		       "\"rcv_wscale\": %u, \"rto_ms\": %g, \"backoff\": %u, \"rtt_ms\": %g, "
		       "\"rttvar_ms\": %g, \"mss\": %u, \"rcvmss\": %u, \"cwnd\": %u, ",
		       in->ts ? "true" : "false", in->sack ? "true" : "false",
		       in->wscale ? "true" : "false", in->snd_wscale, in->rcv_wscale,
		       in->rto_us / 1000.0, in->backoff, in->rtt_us / 1000.0, in->rttvar_us / 1000.0,
		       in->mss, in->rcv_mss, in->cwnd);
		if (in->ssthresh < 0xffff)
			printf("\"ssthresh\": %u, ", in->ssthresh);
		else
			printf("\"ssthresh\": null, ");
		printf("\"bytes_acked\": %llu, \"bytes_received\": %llu, \"unacked\": %u, "
		       "\"sacked\": %u, \"retrans\": %u, \"total_retrans\": %u}",
		       (unsigned long long)in->bytes_acked, (unsigned long long)in->bytes_received,
		       in->unacked, in->sacked, in->retrans, in->total_retrans);
	}
	printf("}");
}

/* --- fetching ------------------------------------------------------------- */

/* Every socket, in pages.  Returns the count; *out is malloc'ed. */
static size_t fetch(int fd, const struct cli_target *t, struct ts_ss_sock **out)
{
	struct ts_ss_sock *v = NULL;
	size_t n = 0, cap = 0;
	uint32_t total = 1;

	for (int page = 0; n < total && page < 100000; page++) {
		uint8_t body[4];
		struct ts_ctl_wr w;
		struct ts_ctl_rd r;
		struct ts_ctl_hdr rep;
		uint32_t got;
		int res;

		ts_ctl_wr_init(&w, body, sizeof(body));
		ts_ctl_put_u32(&w, (uint32_t)n);
		res = cli_call(fd, t, TS_CTL_OP_SS, body, w.len, &rep, buf, sizeof(buf));
		if (res == -EOPNOTSUPP || res == -ENOSYS)
			cli_die("ss: the daemon at %s does not know the SS op (older tapsockd?)",
				t->sock);
		if (res < 0)
			cli_die("ss: %s", strerror(-res));
		ts_ctl_rd_init(&r, buf + TS_CTL_HDR_LEN, rep.len);
		total = ts_ctl_get_u32(&r);
		got = ts_ctl_get_u32(&r);
		if (r.err)
			cli_die("ss: malformed reply from the daemon at %s", t->sock);
		if (got == 0)
			break;	/* sockets went away between pages */
		for (uint32_t i = 0; i < got; i++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = realloc(v, cap * sizeof(*v));
				if (v == NULL)
					cli_die("out of memory");
			}
			if (ts_ss_decode(&r, &v[n]) < 0)
				cli_die("ss: malformed reply from the daemon at %s", t->sock);
			n++;
		}
		if (ts_ctl_rd_end(&r) < 0)
			cli_die("ss: malformed reply from the daemon at %s", t->sock);
	}
	*out = v;
	return n;
}

/* --- the command ---------------------------------------------------------- */

/* ss -s: the totals of /proc/net/sockstat, as ss prints them (every
 * socket, whatever the filters; the engine has no IPv6, RAW or FRAG). */
static void summary(const struct ts_ss_sock *socks, size_t n, int json)
{
	unsigned tcp = 0, udp = 0, estab = 0, closed = 0, orphan = 0, tw = 0;

	for (size_t i = 0; i < n; i++) {
		if (socks[i].proto == 17) {
			udp++;
			continue;
		}
		tcp++;
		estab += socks[i].state == TCPS_ESTABLISHED;
		closed += socks[i].state == TCPS_CLOSED;
		orphan += socks[i].orphan && socks[i].state != TCPS_TIME_WAIT;
		tw += socks[i].state == TCPS_TIME_WAIT;
	}
	if (json) {
		printf("{\"total\": %u, \"tcp\": {\"total\": %u, \"estab\": %u, \"closed\": %u, "
		       "\"orphaned\": %u, \"timewait\": %u}, \"udp\": {\"total\": %u}}\n",
		       tcp + udp, tcp, estab, closed, orphan, tw, udp);
		return;
	}
	printf("Total: %u\n", tcp + udp);
	printf("TCP:   %u (estab %u, closed %u, orphaned %u, timewait %u)\n\n", tcp, estab, closed,
	       orphan, tw);
	printf("%-10s%-10s%-10s%-10s\n", "Transport", "Total", "IP", "IPv6");
	printf("%-10s%-10u%-10u%-10u\n", "RAW", 0u, 0u, 0u);
	printf("%-10s%-10u%-10u%-10u\n", "UDP", udp, udp, 0u);
	printf("%-10s%-10u%-10u%-10u\n", "TCP", tcp, tcp, 0u);
	printf("%-10s%-10u%-10u%-10u\n", "INET", tcp + udp, tcp + udp, 0u);
	printf("%-10s%-10u%-10u%-10u\n", "FRAG", 0u, 0u, 0u);
}

static int single_state(uint32_t mask)
{
	return mask != 0 && (mask & (mask - 1)) == 0;
}

int cli_ss(int argc, char **argv)
{
	struct cli_target t = {0};
	struct ts_ss_filter f = {0, 0};
	struct holders h = {0};
	struct ts_ss_sock *socks = NULL;
	uint32_t states = 0, user_states = 0;
	int listening = 0, all = 0, procs = 0, info = 0, timers = 0, json = 0, header = 1;
	int ext = 0, nwords = 0, sum = 0;
	char **words = calloc((size_t)argc + 1, sizeof(char *)), err[160];
	struct ts_ss_expr *expr = NULL;
	int w_state = 5, w_local = 17, w_peer = 17, first = 1, netid_col, state_col, fd;
	size_t n, shown = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			json = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "state") == 0) {
			uint32_t m;

			if (i + 1 >= argc || ts_ss_state_parse(argv[i + 1], &m) < 0) {
				cli_err("ss: wrong state name '%s'", i + 1 < argc ? argv[i + 1] : "");
				usage(stderr);
				return 2;
			}
			user_states |= m;
			i++;
		} else if (a[0] == '-' && a[1] != '-' && a[1] != '\0') {
			/* Bundled short options, as ss takes them (-tanp). */
			for (const char *c = a + 1; *c != '\0'; c++) {
				switch (*c) {
				case 't': f.protos |= TS_SS_PROTO_TCP; break;
				case 'u': f.protos |= TS_SS_PROTO_UDP; break;
				case 'l': listening = 1; break;
				case 'a': all = 1; break;
				case 'n': break;	/* never resolves anyway */
				case 'p': procs = 1; break;
				case 'i': info = 1; break;
				case 'o': timers = 1; break;
				case 'e': ext = 1; break;
				case 's': sum = 1; break;
				case 'H': header = 0; break;
				default:
					cli_err("ss: unknown option -%c", *c);
					usage(stderr);
					return 2;
				}
			}
		} else if (words != NULL) {
			words[nwords++] = argv[i];
		}
	}
	if (words == NULL)
		cli_die("out of memory");
	if (ts_ss_expr_parse(words, nwords, &expr, err, sizeof(err)) < 0) {
		cli_err("ss: bad filter: %s", err[0] ? err : "out of memory");
		return 2;
	}
	if (f.protos == 0)
		f.protos = TS_SS_PROTO_TCP | TS_SS_PROTO_UDP;
	/* ss: -a wins over -l; `state` replaces both. */
	states = all ? ts_ss_states_all()
		     : listening ? ts_ss_states_listening() : ts_ss_states_default();
	if (user_states)
		states = user_states;
	f.states = states;

	cli_target_resolve(&t);
	fd = cli_connect(&t);
	n = fetch(fd, &t, &socks);
	close(fd);
	if (sum) {
		summary(socks, n, json);
		ts_ss_expr_free(expr);
		free(words);
		free(socks);
		return 0;
	}
	if (procs || json)
		scan_proc(socks, n, &h);

	netid_col = f.protos == (TS_SS_PROTO_TCP | TS_SS_PROTO_UDP);
	state_col = !single_state(states);	/* ss drops it for one state */
	for (size_t i = 0; i < n; i++) {
		char a[32];

		if (!ts_ss_match(&socks[i], &f) || !ts_ss_expr_match(expr, &socks[i]))
			continue;
		if ((int)strlen(ts_ss_state_name(&socks[i])) > w_state)
			w_state = (int)strlen(ts_ss_state_name(&socks[i]));
		ts_ss_addr_str(socks[i].laddr, socks[i].lport, a, sizeof(a));
		if ((int)strlen(a) > w_local)
			w_local = (int)strlen(a);
		ts_ss_addr_str(socks[i].raddr, socks[i].rport, a, sizeof(a));
		if ((int)strlen(a) > w_peer)
			w_peer = (int)strlen(a);
	}
	if (json)
		printf("[");
	else if (header) {
		if (netid_col)
			printf("%-5s ", "Netid");
		if (state_col)
			printf("%-*s ", w_state, "State");
		printf("%-6s %-6s %-*s %-*s %s\n", "Recv-Q", "Send-Q", w_local,
		       "Local Address:Port", w_peer, "Peer Address:Port", "Process");
	}
	for (size_t i = 0; i < n; i++) {
		const struct ts_ss_sock *s = &socks[i];
		char la[32], pa[32], users[1024], tm[64], in[512];

		if (!ts_ss_match(s, &f) || !ts_ss_expr_match(expr, s))
			continue;
		shown++;
		if (json) {
			printf("%s\n ", first ? "" : ",");
			json_sock(s, &h, 1);
			first = 0;
			continue;
		}
		ts_ss_addr_str(s->laddr, s->lport, la, sizeof(la));
		ts_ss_addr_str(s->raddr, s->rport, pa, sizeof(pa));
		if (netid_col)
			printf("%-5s ", ts_ss_netid(s));
		if (state_col)
			printf("%-*s ", w_state, ts_ss_state_name(s));
		printf("%-6u %-6u %-*s %-*s", s->rq, s->wq, w_local, la, w_peer, pa);
		if (procs) {
			users_str(&h, s->ino, users, sizeof(users));
			if (users[0])
				printf(" %s", users);
		}
		if (timers) {
			ts_ss_timer_str(s, tm, sizeof(tm));
			if (tm[0])
				printf(" %s", tm);
		}
		if (ext && s->ino != 0)
			printf(" ino:%llu", (unsigned long long)s->ino);
		printf("\n");
		if (info && s->has_info) {
			ts_ss_info_str(s, in, sizeof(in));
			printf("\t %s\n", in);
		}
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
	(void)shown;
	ts_ss_expr_free(expr);
	free(words);
	free(h.v);
	free(socks);
	return 0;
}
