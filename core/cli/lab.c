/* `tapsock lab up|down|exec|list` and `tapsock demo`: a throwaway network
 * namespace with a TAP device (kernel side 198.18.0.1/24) and a tapsockd
 * owning it (engine 198.18.0.2/24).  iproute2 does the namespace and
 * device work, run with fork/exec (never a shell).  Files per lab:
 * /run/tapsock/NAME.{sock,pid,log}; the namespace is /run/netns/NAME. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define LAB_UP_WAIT_MS 10000	/* for the daemon's first HELLO */
#define LAB_TERM_WAIT_MS 3000	/* SIGTERM, then SIGKILL */
#define MAX_DAEMON_ARGS 64

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void need_root(const char *what)
{
	if (geteuid() != 0)
		cli_die("%s needs root (network namespaces and TAP devices): run it with sudo",
			what);
}

static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v > 0 && v < INT32_MAX ? (pid_t)v : 0;
}

/* Prints the last lines of the daemon's log, for a failed start. */
static void log_tail(const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	long size;
	size_t n;

	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n > 0) {
		fprintf(stderr, "--- %s (last lines) ---\n%s", path, buf);
		if (buf[n - 1] != '\n')
			fputc('\n', stderr);
	}
}

/* Sends sig to every process in the lab's network namespace except
 * ourselves; returns how many it signalled.  Catches the daemon even
 * when its pid file is gone, and programs `tapsock run` left behind. */
static int signal_netns(const char *name, int sig)
{
	char path[PATH_MAX];
	struct stat ns, st;
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", TS_NETNS_DIR, name);
	if (stat(path, &ns) < 0)
		return 0;
	dir = opendir("/proc");
	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) < 0 || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev)
			continue;
		if (!cli_pid_alive((pid_t)pid))
			continue;
		if (kill((pid_t)pid, sig) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

static int wait_gone(pid_t pid, const char *name, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		int left = pid > 0 && cli_pid_alive(pid);

		if (!left && name != NULL)
			left = signal_netns(name, 0) > 0;
		if (!left)
			return 1;
		if (mono_ms() >= end)
			return 0;
		sleep_ms(20);
	}
}

int cli_lab_down(const char *name, int quiet)
{
	char sock[PATH_MAX], pidf[PATH_MAX], log[PATH_MAX];
	char *del[] = {"ip", "netns", "del", (char *)name, NULL};
	pid_t pid;
	int found = 0, ok = 1;

	cli_lab_paths(name, sock, pidf, log, sizeof(sock));
	pid = read_pid(pidf);
	/* The daemon first, by SIGTERM: it closes its clients and removes
	 * its socket.  Then whatever else runs in the namespace. */
	if (pid > 0 && cli_pid_alive(pid)) {
		found = 1;
		kill(pid, SIGTERM);
		if (!wait_gone(pid, NULL, LAB_TERM_WAIT_MS)) {
			cli_err("lab %s: tapsockd (pid %d) ignored SIGTERM; killing it", name,
				(int)pid);
			kill(pid, SIGKILL);
			wait_gone(pid, NULL, LAB_TERM_WAIT_MS);
		}
	}
	if (signal_netns(name, SIGTERM) > 0) {
		found = 1;
		if (!wait_gone(0, name, LAB_TERM_WAIT_MS)) {
			signal_netns(name, SIGKILL);
			wait_gone(0, name, LAB_TERM_WAIT_MS);
		}
	}
	if (cli_netns_exists(name)) {
		found = 1;
		if (cli_run(del, 1) != 0) {
			cli_err("lab %s: could not delete network namespace %s", name, name);
			ok = 0;
		}
	}
	if (unlink(sock) == 0)
		found = 1;
	if (unlink(pidf) == 0)
		found = 1;
	if (unlink(log) == 0)
		found = 1;
	if (!found && !quiet)
		fprintf(stderr, "tapsock: lab %s is not up (nothing to do)\n", name);
	return ok ? 0 : 1;
}

/* The daemon, started in the lab's namespace as a session leader with its
 * output in the log and no other descriptor of ours.  Returns its pid. */
static pid_t spawn_daemon(const char *name, const char *log, char **argv)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		cli_enter_netns(name);
		setsid();
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		for (int i = 3; i < 1024; i++)
			close(i);
		execv(argv[0], argv);
		fprintf(stderr, "tapsock: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Writes val to a /proc/sys file as seen from inside the lab's network
 * namespace (net.* sysctls are per namespace, resolved at open).  Best
 * effort: returns 0 or -1. */
static int netns_sysctl(const char *name, const char *path, const char *val)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		cli_enter_netns(name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int cli_lab_up(const char *name, char **extra, int nextra)
{
	char sock[PATH_MAX], pidf[PATH_MAX], log[PATH_MAX];
	char *add[] = {"ip", "netns", "add", (char *)name, NULL};
	char *lo[] = {"ip", "-n", (char *)name, "link", "set", "lo", "up", NULL};
	char *tap[] = {"ip", "-n", (char *)name, "tuntap", "add", "dev", TS_LAB_TAP, "mode", "tap",
		       NULL};
	char *addr[] = {"ip", "-n", (char *)name, "addr", "add",
			TS_LAB_KERNEL_ADDR "/" TS_LAB_PREFIX, "dev", TS_LAB_TAP, NULL};
	char *up[] = {"ip", "-n", (char *)name, "link", "set", TS_LAB_TAP, "up", NULL};
	char *mtu[] = {"ip", "-n", (char *)name, "link", "set", TS_LAB_TAP, "mtu", NULL, NULL};
	char **steps[] = {lo, tap, addr, mtu, up};
	char *argv[MAX_DAEMON_ARGS + 16];
	struct ts_ctl_hello_rep hello;
	const char *daemon = cli_daemon_path();
	uint64_t deadline;
	pid_t pid = 0;
	FILE *f;
	int n = 0, r = -1;

	need_root("tapsock lab up");
	if (!cli_lab_name_ok(name)) {
		cli_err("bad lab name '%s' (1-32 of A-Z a-z 0-9 _ . -)", name);
		return 1;
	}
	cli_lab_paths(name, sock, pidf, log, sizeof(sock));
	pid = read_pid(pidf);
	if (cli_netns_exists(name) || (pid > 0 && cli_pid_alive(pid))) {
		cli_err("lab %s is already up (namespace %s/%s exists%s); "
			"`tapsock lab down %s` first, or pick another name",
			name, TS_NETNS_DIR, name,
			pid > 0 && cli_pid_alive(pid) ? ", tapsockd running" : "", name);
		return 1;
	}
	if (access(daemon, X_OK) < 0) {
		cli_err("cannot find tapsockd (%s: %s): build it (`./tapsock` at the repository "
			"root builds what is missing) or set TAPSOCKD",
			daemon, strerror(errno));
		return 1;
	}
	if (mkdir(TS_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		cli_err("cannot create %s: %s", TS_RUN_DIR, strerror(errno));
		return 1;
	}
	/* Leftovers of a lab that died without `lab down`. */
	unlink(sock);
	unlink(pidf);

	if (cli_run(add, 1) != 0) {
		cli_err("lab %s: `ip netns add %s` failed", name, name);
		return 1;
	}
	/* The engine speaks IPv4 only: without IPv6 on the kernel side, no
	 * router solicitations or MLD reports reach it, and its counters
	 * show only what the lab's users send.  Best effort (a kernel
	 * without IPv6 has nothing to turn off). */
	netns_sysctl(name, "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	netns_sysctl(name, "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	/* The kernel side gets the MTU the engine is given. */
	for (int i = 0; i + 1 < nextra; i++)
		if (strcmp(extra[i], "--mtu") == 0)
			mtu[7] = extra[i + 1];
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i] == mtu && mtu[7] == NULL)
			continue;
		if (cli_run(steps[i], 1) != 0) {
			cli_err("lab %s: `ip %s %s` failed", name, steps[i][3], steps[i][4]);
			goto fail;
		}
	}

	argv[n++] = (char *)daemon;
	argv[n++] = "--tap";
	argv[n++] = TS_LAB_TAP;
	argv[n++] = "--addr";
	argv[n++] = TS_LAB_ENGINE_ADDR "/" TS_LAB_PREFIX;
	argv[n++] = "--gw";
	argv[n++] = TS_LAB_KERNEL_ADDR;
	argv[n++] = "--sock";
	argv[n++] = sock;
	for (int i = 0; i < nextra && i < MAX_DAEMON_ARGS; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = spawn_daemon(name, log, argv);
	if (pid < 0) {
		cli_err("lab %s: fork: %s", name, strerror(errno));
		goto fail;
	}
	f = fopen(pidf, "we");
	if (f != NULL) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}

	/* Up means the engine answers HELLO on its control socket. */
	deadline = mono_ms() + LAB_UP_WAIT_MS;
	for (;;) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			cli_err("lab %s: tapsockd exited during start (%s %d)", name,
				WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			pid = 0;
			break;
		}
		r = cli_hello(sock, &hello);
		if (r == 0)
			return 0;
		if (r == -EPROTO) {
			cli_err("lab %s: tapsockd speaks another control protocol version", name);
			break;
		}
		if (mono_ms() >= deadline) {
			cli_err("lab %s: tapsockd did not answer on %s within %d ms", name, sock,
				LAB_UP_WAIT_MS);
			break;
		}
		sleep_ms(20);
	}
	log_tail(log);
fail:
	cli_lab_down(name, 1);
	return 1;
}

static void lab_usage(FILE *f)
{
	fprintf(f, "usage: tapsock lab up [NAME] [--sysctl KEY=VALUE]... [--pcap FILE] [-v]\n"
		   "       tapsock lab down NAME\n"
		   "       tapsock lab exec NAME -- CMD [ARG]...\n"
		   "       tapsock lab list\n"
		   "NAME defaults to '" TS_DEFAULT_LAB "'.\n");
}

static int lab_list(void)
{
	DIR *dir = opendir(TS_RUN_DIR);
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		char name[256], pidf[PATH_MAX], sock[PATH_MAX];
		size_t len = strlen(e->d_name);
		pid_t pid;

		if (len < 5 || strcmp(e->d_name + len - 4, ".pid") != 0 || len - 4 >= sizeof(name))
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		cli_lab_paths(name, sock, pidf, NULL, sizeof(sock));
		pid = read_pid(pidf);
		if (n++ == 0)
			printf("%-20s %-8s %-8s %s\n", "NAME", "PID", "STATE", "SOCKET");
		printf("%-20s %-8d %-8s %s\n", name, (int)pid,
		       cli_pid_alive(pid) ? "running" : "dead", sock);
	}
	closedir(dir);
	return 0;
}

int cli_lab(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		lab_usage(sub == NULL ? stderr : stdout);
		return sub == NULL ? 2 : 0;
	}
	if (strcmp(sub, "up") == 0) {
		char *extra[MAX_DAEMON_ARGS];
		const char *name = TS_DEFAULT_LAB;
		int n = 0;

		for (int i = 2; i < argc; i++) {
			const char *a = argv[i];

			if (strcmp(a, "--sysctl") == 0 || strcmp(a, "--pcap") == 0 ||
			    strcmp(a, "--mtu") == 0) {
				if (i + 1 >= argc)
					cli_die("%s needs an argument", a);
				if (n + 2 > MAX_DAEMON_ARGS)
					cli_die("too many options");
				extra[n++] = argv[i++];
				extra[n++] = argv[i];
			} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
				if (n + 1 > MAX_DAEMON_ARGS)
					cli_die("too many options");
				extra[n++] = "--verbose";
			} else if (a[0] == '-') {
				lab_usage(stderr);
				return 2;
			} else {
				name = a;
			}
		}
		if (cli_lab_up(name, extra, n) != 0)
			return 1;
		printf("lab %s up: kernel side %s/%s on %s, engine %s (tapsockd), "
		       "control socket %s/%s.sock\n",
		       name, TS_LAB_KERNEL_ADDR, TS_LAB_PREFIX, TS_LAB_TAP, TS_LAB_ENGINE_ADDR,
		       TS_RUN_DIR, name);
		return 0;
	}
	if (strcmp(sub, "down") == 0) {
		const char *name = argc > 2 ? argv[2] : TS_DEFAULT_LAB;

		if (argc > 3) {
			lab_usage(stderr);
			return 2;
		}
		if (!cli_lab_name_ok(name))
			cli_die("bad lab name '%s'", name);
		need_root("tapsock lab down");
		return cli_lab_down(name, 0);
	}
	if (strcmp(sub, "exec") == 0) {
		int i = 3;

		if (argc < 4) {
			lab_usage(stderr);
			return 2;
		}
		if (!cli_lab_name_ok(argv[2]))
			cli_die("bad lab name '%s'", argv[2]);
		if (strcmp(argv[i], "--") == 0)
			i++;
		if (i >= argc) {
			lab_usage(stderr);
			return 2;
		}
		need_root("tapsock lab exec");
		if (!cli_netns_exists(argv[2]))
			cli_die("no lab '%s': start it with `sudo tapsock lab up %s`", argv[2],
				argv[2]);
		{
			char **cmd = calloc((size_t)(argc - i + 5), sizeof(char *));
			int n = 0;

			if (cmd == NULL)
				cli_die("out of memory");
			cmd[n++] = "ip";
			cmd[n++] = "netns";
			cmd[n++] = "exec";
			cmd[n++] = argv[2];
			while (i < argc)
				cmd[n++] = argv[i++];
			cmd[n] = NULL;
			execvp("ip", cmd);
			cli_die("cannot run ip: %s", strerror(errno));
		}
	}
	if (strcmp(sub, "list") == 0)
		return lab_list();
	lab_usage(stderr);
	return 2;
}

#define DEMO_UDP_PORT "9999"
#define DEMO_UDP_PORT_HEX ":270F "

/* Is a UDP socket bound to DEMO_UDP_PORT in pid's network namespace? */
static int udp_port_bound(pid_t pid)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/udp", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, DEMO_UDP_PORT_HEX) != NULL;
	fclose(f);
	return found;
}

/* The demo's UDP step, fork/exec only: a kernel-side `nc -u -l` that
 * exits after one datagram, and once it is bound (bounded wait), an
 * engine-side `nc -u` through the shim sending one line.  0 if the line
 * was sent and received. */
static int demo_udp(const char *name, const char *self)
{
	char *listen[] = {"ip", "netns", "exec", (char *)name, "timeout", "5", "nc", "-n", "-v",
			  "-u", "-l", "-W", "1", DEMO_UDP_PORT, NULL};
	char *send[] = {(char *)self, "run", "--lab", (char *)name, "--", "timeout", "5", "nc",
			"-u", "-w1", TS_LAB_KERNEL_ADDR, DEMO_UDP_PORT, NULL};
	static const char line[] = "hello over UDP from the engine\n";
	int p[2], st_l = -1, st_s = -1;
	pid_t lp, sp;
	uint64_t end;

	fflush(stdout);
	lp = fork();
	if (lp < 0)
		return -1;
	if (lp == 0) {
		signal(SIGINT, SIG_DFL);	/* the demo ignores them; nc must not */
		signal(SIGTERM, SIG_DFL);
		dup2(1, 2);	/* nc -v says who sent, on stderr */
		execvp(listen[0], listen);
		_exit(127);
	}
	end = mono_ms() + 3000;
	while (!udp_port_bound(lp) && cli_pid_alive(lp) && mono_ms() < end)
		sleep_ms(20);
	if (pipe(p) == 0) {
		if (write(p[1], line, sizeof(line) - 1) < 0)
			st_s = -1;
		close(p[1]);
		sp = fork();
		if (sp == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			dup2(p[0], 0);
			close(p[0]);
			execv(send[0], send);
			_exit(127);
		}
		close(p[0]);
		if (sp > 0 && waitpid(sp, &st_s, 0) != sp)
			st_s = -1;
	}
	/* The listener ends after one datagram, or by its timeout. */
	if (waitpid(lp, &st_l, 0) != lp)
		st_l = -1;
	return st_s == 0 && st_l == 0 ? 0 : -1;
}

/* `tapsock demo`: a lab of its own, the kernel pinging the engine, the
 * kernel's neighbour entry for the engine, the engine's counters; the lab
 * is always removed, Ctrl-C included. */
int cli_demo(int argc, char **argv)
{
	char name[64], sock[PATH_MAX], mac[18];
	char *ping[] = {"ip", "netns", "exec", name, "ping", "-c", "3", "-i", "0.2", "-W", "2",
			TS_LAB_ENGINE_ADDR, NULL};
	char *neigh[] = {"ip", "-n", name, "neigh", "show", "dev", TS_LAB_TAP, NULL};
	char self[PATH_MAX];
	struct ts_ctl_hello_rep hello;
	ssize_t sl;
	int rc, st, udp_ok = 0, tcp_ok = 0;

	need_root("tapsock demo");
	snprintf(name, sizeof(name), "demo-%d", (int)getpid());
	/* Ctrl-C reaches ping (our child) and ends it; we clean up. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	printf("== tapsock lab up %s: namespace %s, %s (kernel %s/%s) <-> tapsockd (engine %s)\n",
	       name, name, TS_LAB_TAP, TS_LAB_KERNEL_ADDR, TS_LAB_PREFIX, TS_LAB_ENGINE_ADDR);
	if (cli_lab_up(name, NULL, 0) != 0)
		return 1;
	cli_lab_paths(name, sock, NULL, NULL, sizeof(sock));
	if (cli_hello(sock, &hello) == 0) {
		cli_mac_str(hello.mac, mac);
		printf("   engine MAC %s, MTU %u\n", mac, (unsigned)hello.mtu);
	}
	printf("\n== kernel side: ping -c 3 %s (the engine answers)\n", TS_LAB_ENGINE_ADDR);
	rc = cli_run(ping, 0);
	printf("\n== kernel neighbour table: the engine's MAC, learnt by ARP\n");
	cli_run(neigh, 0);
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl > 0) {
		char *stat[] = {self, "stat", "--lab", name, "Ip*", "Icmp*", "TsExtArp*", "Udp*",
				"Tcp*", NULL};

		self[sl] = '\0';
		/* UDP: unmodified nc through the shim to a kernel-side nc,
		 * which sees the engine's address as the source. */
		printf("\n== UDP: tapsock run -- nc -u %s %s (engine) -> nc -u -l %s (kernel side)\n",
		       TS_LAB_KERNEL_ADDR, DEMO_UDP_PORT, DEMO_UDP_PORT);
		fflush(stdout);
		udp_ok = demo_udp(name, self) == 0;
		/* TCP: nc and curl through the shim, then `tapsock ss`. */
		tcp_ok = cli_demo_tcp(name, self) == 0;
		printf("\n== engine counters: tapsock stat --lab %s Ip* Icmp* TsExtArp* Udp* "
		       "Tcp*\n",
		       name);
		fflush(stdout);
		cli_run(stat, 0);
	}
	printf("\n== tapsock lab down %s\n", name);
	st = cli_lab_down(name, 1);
	if (rc != 0)
		cli_err("demo: ping did not get its replies (exit %d)", rc);
	if (!udp_ok)
		cli_err("demo: the UDP line did not arrive");
	return rc != 0 || !udp_ok || !tcp_ok || st != 0;
}
