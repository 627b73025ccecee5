/* tapsock: the command line.  Dispatches subcommands (lab, run, stat,
 * sysctl, info, demo) and implements `run`: exec a program with
 * libtapsock.so preloaded and TAPSOCK_SOCK set, inside the lab's network
 * namespace so nothing it does can reach the host's interfaces. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tapsock COMMAND [ARGS]\n"
		"  demo                          lab up, kernel pings the engine, counters, lab down\n"
		"  lab up [NAME] [--sysctl K=V]... [--mtu N] [--pcap FILE] [-v]\n"
		"                                namespace NAME + tap0 + tapsockd (default NAME: lab)\n"
		"  lab down NAME                 stop the daemon, delete the namespace\n"
		"  lab exec NAME -- CMD...       run CMD on the kernel side of the lab\n"
		"  lab list                      labs and their daemons\n"
		"  run [--lab NAME | --sock PATH] -- CMD...\n"
		"                                run CMD on the engine (LD_PRELOAD libtapsock.so)\n"
		"  stat [--lab NAME | --sock PATH] [-z] [--reset] [PATTERN]...\n"
		"                                engine counters (nstat names)\n"
		"  sysctl [--lab NAME | --sock PATH] [-a] [-n] [-w] [KEY[=VALUE]]...\n"
		"                                engine tunables (Linux names)\n"
		"  info [--lab NAME | --sock PATH] [--json]\n"
		"                                engine address, MAC, MTU, daemon pid\n"
		"  ss [--lab NAME | --sock PATH] [-tulanpioH] [--json] [state STATE]\n"
		"                                engine sockets, as ss(8)\n"
		"  fault add|list|del|clear [--lab NAME | --sock PATH] [--json] ...\n"
		"                                drop/delay/duplicate/reorder/corrupt rules\n"
		"  capture [--lab NAME | --sock PATH] [-w FILE] [-c N] [--duration S] [FILTER]\n"
		"                                live pcap of the engine's frames\n"
		"  trace [--lab NAME | --sock PATH] [--json] [-c N] [KIND]...\n"
		"                                live engine events, one line each\n"
		"  experiment --list | NAME [--check] [--pcap DIR] [--svg | --png] [--lab-keep]\n"
		"                                the classic TCP experiments, one command each\n"
		"  plot FILE.pcap [-o OUT.svg] [--png] [--text] [--port N] [--trace FILE]\n"
		"                                time-sequence diagram of a TCP connection\n"
		"Without --lab/--sock, commands use $TAPSOCK_SOCK, else the lab named 'lab'.\n");
}

static int cmd_run(int argc, char **argv)
{
	struct cli_target t = {0};
	struct ts_ctl_hello_rep h;
	const char *lib = cli_lib_path(), *old;
	char *preload;
	int i, r, join;

	for (i = 1; i < argc; i++) {
		if (cli_target_opt(&t, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "usage: tapsock run [--lab NAME | --sock PATH] -- CMD [ARG]...\n");
			return 2;
		}
		break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: tapsock run [--lab NAME | --sock PATH] -- CMD [ARG]...\n");
		return 2;
	}
	/* With a lab (given, or the default one) the program joins its
	 * namespace; with a bare socket path it stays where it is. */
	join = t.sock[0] == '\0' && (t.lab != NULL || getenv("TAPSOCK_SOCK") == NULL ||
				     getenv("TAPSOCK_SOCK")[0] == '\0');
	cli_target_resolve(&t);
	if (access(lib, R_OK) < 0)
		cli_die("cannot find libtapsock.so (%s: %s): build it (`./tapsock` at the "
			"repository root builds what is missing) or set TAPSOCK_LIB",
			lib, strerror(errno));
	r = cli_hello(t.sock, &h);
	if (r == -EPROTO)
		cli_die("control protocol version mismatch with the daemon at %s; use a "
			"tapsock and tapsockd from the same build",
			t.sock);
	if (r < 0) {
		int fd = cli_connect(&t);	/* exits naming the fix */

		close(fd);
		cli_die("the daemon at %s did not answer HELLO: %s", t.sock, strerror(-r));
	}
	if (join)
		cli_enter_netns(t.lab);
	old = getenv("LD_PRELOAD");
	if (old != NULL && old[0] != '\0') {
		size_t n = strlen(lib) + strlen(old) + 2;

		preload = malloc(n);
		if (preload == NULL)
			cli_die("out of memory");
		snprintf(preload, n, "%s:%s", lib, old);
	} else {
		preload = (char *)lib;
	}
	if (setenv("LD_PRELOAD", preload, 1) < 0 || setenv("TAPSOCK_SOCK", t.sock, 1) < 0)
		cli_die("setenv: %s", strerror(errno));
	execvp(argv[i], argv + i);
	fprintf(stderr, "tapsock: run: cannot run %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "lab") == 0)
		return cli_lab(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "stat") == 0)
		return cli_stat(argc - 1, argv + 1);
	if (strcmp(cmd, "sysctl") == 0)
		return cli_sysctl(argc - 1, argv + 1);
	if (strcmp(cmd, "info") == 0)
		return cli_info(argc - 1, argv + 1);
	if (strcmp(cmd, "ss") == 0)
		return cli_ss(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cli_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "fault") == 0)
		return cli_fault(argc - 1, argv + 1);
	if (strcmp(cmd, "capture") == 0)
		return cli_capture(argc - 1, argv + 1);
	if (strcmp(cmd, "trace") == 0)
		return cli_trace(argc - 1, argv + 1);
	if (strcmp(cmd, "experiment") == 0)
		return cli_experiment(argc - 1, argv + 1);
	if (strcmp(cmd, "plot") == 0)
		return cli_plot(argc - 1, argv + 1);
	fprintf(stderr, "tapsock: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
