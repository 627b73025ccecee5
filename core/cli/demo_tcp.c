/* `tapsock demo`'s TCP step (called from cli_demo in lab.c): unmodified nc
 * and curl through the shim to kernel-side nc listeners, which see the
 * engine's address, then `tapsock ss` listing the engine's connections
 * (the engine closed first, so they wait in TIME-WAIT).  fork/exec only,
 * every wait bounded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEMO_NC_PORT "7777"
#define DEMO_NC_PORT_HEX ":1E61 "
#define DEMO_HTTP_PORT "8080"
#define DEMO_HTTP_PORT_HEX ":1F90 "

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Is a TCP socket listening on the port (":HEX ") in pid's namespace? */
static int tcp_listening(pid_t pid, const char *porthex)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	/* "sl local rem st": the local address field, then state 0A. */
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, porthex);

		found = p != NULL && p < line + 30 && strstr(line, " 0A ") != NULL;
	}
	fclose(f);
	return found;
}

/* Starts argv with stdin from fd in (or /dev/null), stdout and stderr on
 * ours.  Returns the pid or -1. */
static pid_t spawn(char *const argv[], int in)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);	/* the demo ignores them; its children not */
		signal(SIGTERM, SIG_DFL);
		if (in < 0)
			in = open("/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(1, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* A pipe holding text, its read end returned (-1 on failure). */
static int text_pipe(const char *text)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (write(p[1], text, strlen(text)) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

static int wait_ok(pid_t pid)
{
	int st = -1;

	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A kernel-side listener (argv, stdin from text) and, once it listens, an
 * engine-side client.  1 if both ended well. */
static int pair(char *const server[], const char *text, const char *porthex,
		char *const client[], const char *client_in)
{
	int in = text != NULL ? text_pipe(text) : -1, cin, ok;
	pid_t sp, cp;
	uint64_t end;

	sp = spawn(server, in);
	if (in >= 0)
		close(in);
	if (sp < 0)
		return 0;
	end = now_ms() + 3000;
	while (!tcp_listening(sp, porthex) && cli_pid_alive(sp) && now_ms() < end) {
		struct timespec ts = {0, 20 * 1000000L};

		nanosleep(&ts, NULL);
	}
	cin = client_in != NULL ? text_pipe(client_in) : -1;
	cp = spawn(client, cin);
	if (cin >= 0)
		close(cin);
	ok = wait_ok(cp);
	return wait_ok(sp) && ok;
}

int cli_demo_tcp(const char *name, const char *self)
{
	char *nc_l[] = {"ip", "netns", "exec", (char *)name, "timeout", "5", "nc", "-n", "-v", "-l",
			TS_LAB_KERNEL_ADDR, DEMO_NC_PORT, NULL};
	char *nc[] = {(char *)self, "run", "--lab", (char *)name, "--", "timeout", "5", "nc",
		      "-N", TS_LAB_KERNEL_ADDR, DEMO_NC_PORT, NULL};
	char *http_l[] = {"ip", "netns", "exec", (char *)name, "timeout", "5", "nc", "-n", "-l",
			  TS_LAB_KERNEL_ADDR, DEMO_HTTP_PORT, NULL};
	char *curl[] = {(char *)self, "run", "--lab", (char *)name, "--", "timeout", "5", "curl",
			"-sS", "http://" TS_LAB_KERNEL_ADDR ":" DEMO_HTTP_PORT "/hello", NULL};
	char *ss[] = {(char *)self, "ss", "--lab", (char *)name, "-tan", NULL};
	static const char body[] = "hello over HTTP, served by the kernel side\n";
	char resp[256];
	int ok_nc, ok_curl;

	printf("\n== TCP: tapsock run -- nc -N %s %s (engine) -> nc -l %s (kernel side)\n",
	       TS_LAB_KERNEL_ADDR, DEMO_NC_PORT, DEMO_NC_PORT);
	ok_nc = pair(nc_l, NULL, DEMO_NC_PORT_HEX, nc, "hello over TCP from the engine\n");
	printf("\n== TCP: tapsock run -- curl http://%s:%s/hello (engine) -> a kernel-side "
	       "nc -l answering HTTP\n",
	       TS_LAB_KERNEL_ADDR, DEMO_HTTP_PORT);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		 sizeof(body) - 1, body);
	ok_curl = pair(http_l, resp, DEMO_HTTP_PORT_HEX, curl, NULL);
	printf("\n== tapsock ss --lab %s -tan: the engine's TCP sockets (it closed first: "
	       "TIME-WAIT)\n",
	       name);
	cli_run(ss, 0);
	if (!ok_nc)
		cli_err("demo: the TCP line did not arrive");
	if (!ok_curl)
		cli_err("demo: curl did not get its page");
	return ok_nc && ok_curl ? 0 : -1;
}
