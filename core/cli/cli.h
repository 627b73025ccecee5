/* The tapsock command line: shared helpers between its files.
 *   tapsock.c  main, `run`, usage
 *   lab.c      `lab up|down|exec|list`, `demo`
 *   query.c    `stat`, `sysctl`, `info` (control socket clients)
 *   util.c     messages, fork/exec, paths, the control connection */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"

#define TS_RUN_DIR "/run/tapsock"
#define TS_NETNS_DIR "/run/netns"
#define TS_DEFAULT_LAB "lab"
#define TS_LAB_TAP "tap0"
#define TS_LAB_KERNEL_ADDR "198.18.0.1"
#define TS_LAB_ENGINE_ADDR "198.18.0.2"
#define TS_LAB_PREFIX "24"

/* Messages: "tapsock: ..." on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Where a subcommand talks to: --lab NAME, --sock PATH, $TAPSOCK_SOCK, or
 * the default lab.  lab is NULL when only a socket path is known. */
struct cli_target {
	const char *lab;
	char sock[108];
};

/* Parses --lab NAME / --sock PATH (and --lab=NAME) at argv[*i]; returns 1
 * if it consumed an option (advancing *i), 0 if argv[*i] is something else.
 * Exits on a missing argument. */
int cli_target_opt(struct cli_target *t, int argc, char **argv, int *i);
/* Fills the socket path once options are parsed. */
void cli_target_resolve(struct cli_target *t);

/* Lab names: 1-32 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int cli_lab_name_ok(const char *name);
void cli_lab_paths(const char *name, char *sock, char *pid, char *log, size_t len);

/* Connects to the daemon; on failure prints one line naming the fix and
 * exits 1. */
int cli_connect(const struct cli_target *t);
/* One request/reply; exits with a clear message on transport or version
 * errors.  Returns the daemon's result (0 or -errno); the reply body is at
 * buf + TS_CTL_HDR_LEN, rep->len bytes. */
int cli_call(int fd, const struct cli_target *t, unsigned op, const void *body, size_t len,
	     struct ts_ctl_hdr *rep, uint8_t *buf, size_t cap);
/* HELLO; 0 with *out filled, or a negative errno (no message printed). */
int cli_hello(const char *sock, struct ts_ctl_hello_rep *out);
void cli_mac_str(const uint8_t *mac, char *buf);
void cli_ip_str(uint32_t host_order, char *buf);

/* The daemon and the shim: next to this executable (the build tree), else
 * the installed paths.  $TAPSOCKD / $TAPSOCK_LIB override. */
const char *cli_daemon_path(void);
const char *cli_lib_path(void);

/* fork + execvp + wait.  Returns the exit status (128+signal when killed)
 * or -1 if it could not run.  With quiet, the command's output is
 * captured and printed only when it fails. */
int cli_run(char *const argv[], int quiet);
/* Is pid alive (not a zombie)?  Reaps it if it is our child. */
int cli_pid_alive(pid_t pid);
/* Enters the lab's network namespace.  0 or exits with a message. */
void cli_enter_netns(const char *lab);
int cli_netns_exists(const char *lab);

/* Subcommands. */
int cli_lab(int argc, char **argv);
int cli_demo(int argc, char **argv);
/* demo_tcp.c: the demo's TCP step (nc and curl through the shim, then
 * `tapsock ss`) in lab name, self = this tapsock.  0 if both worked. */
int cli_demo_tcp(const char *name, const char *self);
int cli_stat(int argc, char **argv);
int cli_sysctl(int argc, char **argv);
int cli_info(int argc, char **argv);
/* fault.c: `fault add|list|del|clear`; capture.c: `capture`, `trace`. */
int cli_fault(int argc, char **argv);
int cli_capture(int argc, char **argv);
int cli_trace(int argc, char **argv);
/* experiment.c: `experiment` (plot.c, `plot`, is declared in plot.h). */
int cli_experiment(int argc, char **argv);
/* ss.c: `ss`. */
int cli_ss(int argc, char **argv);

/* lab.c, for demo and tests: bring a lab up / down. 0 or 1 (message
 * printed). */
int cli_lab_up(const char *name, char **daemon_args, int ndaemon_args);
int cli_lab_down(const char *name, int quiet);

#endif
