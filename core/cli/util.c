/* tapsock CLI helpers: messages, the control connection with one-line
 * errors that name the fix, finding tapsockd and libtapsock.so, and
 * fork/exec of helper programs (iproute2) without a shell. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tapsock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tapsock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

int cli_lab_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32 || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

void cli_lab_paths(const char *name, char *sock, char *pid, char *log, size_t len)
{
	if (sock != NULL)
		snprintf(sock, len, "%s/%s.sock", TS_RUN_DIR, name);
	if (pid != NULL)
		snprintf(pid, len, "%s/%s.pid", TS_RUN_DIR, name);
	if (log != NULL)
		snprintf(log, len, "%s/%s.log", TS_RUN_DIR, name);
}

int cli_target_opt(struct cli_target *t, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v = NULL;
	int lab;

	if (strncmp(a, "--lab=", 6) == 0 || strncmp(a, "--sock=", 7) == 0) {
		lab = a[2] == 'l';
		v = strchr(a, '=') + 1;
	} else if (strcmp(a, "--lab") == 0 || strcmp(a, "--sock") == 0) {
		lab = a[2] == 'l';
		if (*i + 1 >= argc)
			cli_die("%s needs an argument", a);
		v = argv[++*i];
	} else {
		return 0;
	}
	if (lab) {
		if (!cli_lab_name_ok(v))
			cli_die("bad lab name '%s' (1-32 of A-Z a-z 0-9 _ . -)", v);
		t->lab = v;
		t->sock[0] = '\0';
	} else {
		if (strlen(v) == 0 || strlen(v) >= sizeof(t->sock))
			cli_die("bad --sock '%s'", v);
		t->lab = NULL;
		strcpy(t->sock, v);
	}
	return 1;
}

void cli_target_resolve(struct cli_target *t)
{
	const char *env = getenv("TAPSOCK_SOCK");

	if (t->sock[0] != '\0')
		return;
	if (t->lab == NULL && env != NULL && env[0] != '\0' && strlen(env) < sizeof(t->sock)) {
		strcpy(t->sock, env);
		return;
	}
	if (t->lab == NULL)
		t->lab = TS_DEFAULT_LAB;
	cli_lab_paths(t->lab, t->sock, NULL, NULL, sizeof(t->sock));
}

static void no_daemon(const struct cli_target *t, int err)
{
	if (err == -EACCES || err == -EPERM)
		cli_die("%s: permission denied (the control socket is mode 0660: run as root, "
			"e.g. with sudo, or as a member of its group)",
			t->sock);
	if (t->lab != NULL)
		cli_die("no tapsock daemon at %s (%s): start it with `sudo tapsock lab up%s%s`, "
			"or point --sock / TAPSOCK_SOCK at a running tapsockd",
			t->sock, strerror(-err), strcmp(t->lab, TS_DEFAULT_LAB) ? " " : "",
			strcmp(t->lab, TS_DEFAULT_LAB) ? t->lab : "");
	cli_die("no tapsock daemon at %s (%s): start one with `sudo tapsock lab up`, or point "
		"--sock / TAPSOCK_SOCK at a running tapsockd",
		t->sock, strerror(-err));
}

int cli_connect(const struct cli_target *t)
{
	int fd = ts_ctl_connect(t->sock, 5000);

	if (fd < 0)
		no_daemon(t, fd);
	return fd;
}

int cli_call(int fd, const struct cli_target *t, unsigned op, const void *body, size_t len,
	     struct ts_ctl_hdr *rep, uint8_t *buf, size_t cap)
{
	static uint32_t next_id = 1;
	int r = ts_ctl_call(fd, op, next_id++, body, len, rep, buf, cap);

	if (r == -EPROTO)
		cli_die("control protocol version mismatch: this tapsock speaks version %d, "
			"the daemon at %s speaks %u; use a tapsock and tapsockd from the same build",
			TS_CTL_VERSION, t->sock, (unsigned)rep->version);
	if (r == -EAGAIN)
		cli_die("the daemon at %s did not answer %s in time", t->sock,
			ts_ctl_op_name(op));
	if (r < 0)
		cli_die("control socket %s: %s: %s", t->sock, ts_ctl_op_name(op), strerror(-r));
	return rep->result;
}

int cli_hello(const char *sock, struct ts_ctl_hello_rep *out)
{
	static uint8_t buf[TS_CTL_MAX_MSG];
	struct ts_ctl_hello_req req = {.client = "tapsock", .pid = (uint32_t)getpid()};
	uint8_t body[128];
	struct ts_ctl_wr w;
	struct ts_ctl_hdr rep;
	int fd, r;

	fd = ts_ctl_connect(sock, 2000);
	if (fd < 0)
		return fd;
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ctl_hello_req_encode(&w, &req);
	r = ts_ctl_call(fd, TS_CTL_OP_HELLO, 1, body, w.len, &rep, buf, sizeof(buf));
	close(fd);
	if (r < 0)
		return r;
	if (rep.result < 0)
		return rep.result;
	return ts_ctl_hello_rep_decode(buf + TS_CTL_HDR_LEN, rep.len, out);
}

void cli_mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void cli_ip_str(uint32_t a, char *buf)
{
	struct in_addr ia = {.s_addr = htonl(a)};

	inet_ntop(AF_INET, &ia, buf, INET_ADDRSTRLEN);
}

/* The directory holding this executable. */
static const char *self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0] != '\0')
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		dir[0] = '\0';
		return NULL;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		dir[0] = '\0';
		return NULL;
	}
	*slash = '\0';
	return dir;
}

static const char *find_beside(const char *env, const char *file, const char *installed,
			       int mode)
{
	static char paths[2][PATH_MAX];
	static int which;
	const char *dir = self_dir(), *e = getenv(env);
	char *p = paths[which++ & 1];

	if (e != NULL && e[0] != '\0')
		return e;
	if (dir != NULL) {
		snprintf(p, PATH_MAX, "%s/%s", dir, file);
		if (access(p, mode) == 0)
			return p;
	}
	snprintf(p, PATH_MAX, "%s/%s", installed, file);
	return p;
}

const char *cli_daemon_path(void)
{
	return find_beside("TAPSOCKD", "tapsockd", TS_BINDIR, X_OK);
}

const char *cli_lib_path(void)
{
	return find_beside("TAPSOCK_LIB", "libtapsock.so", TS_PKGLIBDIR, R_OK);
}

int cli_run(char *const argv[], int quiet)
{
	int pfd[2] = {-1, -1}, status;
	char out[4096];
	size_t got = 0;
	pid_t pid;

	if (quiet && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (quiet) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "tapsock: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (quiet) {
		ssize_t n;

		close(pfd[1]);
		while ((n = read(pfd[0], out + got, sizeof(out) - 1 - got)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			got += (size_t)n;
			if (got == sizeof(out) - 1) {
				char sink[512];

				while (read(pfd[0], sink, sizeof(sink)) > 0)
					;
				break;
			}
		}
		close(pfd[0]);
		out[got] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (quiet && status != 0 && got > 0) {
		fputs(out, stderr);
		if (out[got - 1] != '\n')
			fputc('\n', stderr);
	}
	return status;
}

int cli_pid_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int alive;

	if (pid <= 0)
		return 0;
	(void)waitpid(pid, NULL, WNOHANG);	/* our child (demo): reap it */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	alive = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	/* "pid (comm) S ...": the state follows the last ')'. */
	p = alive ? strrchr(buf, ')') : NULL;
	if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	return 1;
}

int cli_netns_exists(const char *lab)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", TS_NETNS_DIR, lab);
	return access(path, F_OK) == 0;
}

void cli_enter_netns(const char *lab)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TS_NETNS_DIR, lab);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cli_die("no lab '%s' (%s: %s): start it with `sudo tapsock lab up %s`", lab, path,
			strerror(errno), lab);
	if (setns(fd, CLONE_NEWNET) < 0)
		cli_die("cannot enter lab '%s' namespace: %s%s", lab, strerror(errno),
			errno == EPERM ? " (run as root, e.g. with sudo)" : "");
	close(fd);
}
