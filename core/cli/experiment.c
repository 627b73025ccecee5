/* `tapsock experiment`: the classic TCP experiments, one command each.
 * Each experiment is a bash script, experiments/NAME.sh, sourcing
 * experiments/lib.sh; its metadata sits in lines starting with "#%"
 * ("#% summary: ...", "#% needs: ...").  This file lists them and runs one
 * with the options turned into environment variables that lib.sh reads:
 *
 *   TAPSOCK       this executable (the scripts call it for lab, run, ...)
 *   TS_EXP_DIR    the experiments directory
 *   TS_EXP_CHECK  1: --check (terse; exit status is the verdict)
 *   TS_EXP_KEEP   1: --lab-keep (leave the lab up afterwards)
 *   TS_EXP_PCAP   DIR: --pcap (keep captures, traces and pictures there)
 *   TS_EXP_SVG    1: --svg, 2: --png (draw the exchange)
 *
 * Exit status: 0 the verdict holds, 1 it does not, 77 skipped (a part of
 * the stack the experiment needs is missing), 2 usage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef TS_EXP_SRCDIR
#define TS_EXP_SRCDIR ""
#endif
#ifndef TS_PKGDATADIR
#define TS_PKGDATADIR "/usr/local/share/tapsock"
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $TAPSOCK_EXPERIMENTS, the source tree this was built from, the install. */
static const char *exp_dir(void)
{
	static char buf[PATH_MAX];
	const char *e = getenv("TAPSOCK_EXPERIMENTS");

	if (e != NULL && e[0] != '\0')
		return e;
	if (TS_EXP_SRCDIR[0] != '\0' && is_dir(TS_EXP_SRCDIR))
		return TS_EXP_SRCDIR;
	snprintf(buf, sizeof(buf), "%s/experiments", TS_PKGDATADIR);
	return buf;
}

static int name_ok(const char *n)
{
	size_t l = strlen(n);

	if (l == 0 || l > 40 || strcmp(n, "lib") == 0)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '-'))
			return 0;
	return 1;
}

/* The value of "#% key: value" in the script, or "" . */
static void meta(const char *path, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];
	size_t kl = strlen(key);

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "#% ", 3) != 0 || strncmp(line + 3, key, kl) != 0 ||
		    line[3 + kl] != ':')
			continue;
		snprintf(out, len, "%s", line + 4 + kl + (line[4 + kl] == ' '));
		out[strcspn(out, "\n")] = '\0';
		break;
	}
	fclose(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[128], path[PATH_MAX], summary[256], order[16];
	int n = 0;

	if (d == NULL)
		cli_die("experiment: no experiments in %s: %s (set TAPSOCK_EXPERIMENTS)", dir,
			strerror(errno));
	while ((e = readdir(d)) != NULL && n < 128) {
		size_t l = strlen(e->d_name);

		if (l < 4 || strcmp(e->d_name + l - 3, ".sh") != 0 ||
		    strcmp(e->d_name, "lib.sh") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		meta(path, "order", order, sizeof(order));
		/* Sorted by their "order" line, then name: the order. */
		if (asprintf(&names[n], "%04d %.*s", atoi(order), (int)(l - 3), e->d_name) < 0)
			cli_die("out of memory");
		n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	printf("Experiments (run one: sudo tapsock experiment NAME; in %s):\n", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i] + 5;

		if (snprintf(path, sizeof(path), "%s/%s.sh", dir, name) >= (int)sizeof(path))
			summary[0] = '\0';
		else
			meta(path, "summary", summary, sizeof(summary));
		printf("  %-20s %s\n", name, summary);
		free(names[i]);
	}
	printf("Options: --check (for tests; exit status 0: the verdict holds, 1: it does\n"
	       "not, 77: skipped), --pcap DIR (keep the capture, trace and pictures),\n"
	       "--svg / --png (draw the exchange), --lab-keep (leave the lab up).\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tapsock experiment --list\n"
		   "       tapsock experiment NAME [--check] [--pcap DIR] [--svg | --png] "
		   "[--lab-keep]\n");
}

int cli_experiment(int argc, char **argv)
{
	const char *dir = exp_dir(), *name = NULL, *pcap = NULL;
	int check = 0, keep = 0, svg = 0;
	char path[PATH_MAX], self[PATH_MAX], pdir[PATH_MAX];
	ssize_t l;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--list") == 0 || strcmp(a, "-l") == 0) {
			return list(dir);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--check") == 0) {
			check = 1;
		} else if (strcmp(a, "--lab-keep") == 0) {
			keep = 1;
		} else if (strcmp(a, "--svg") == 0) {
			svg = svg < 1 ? 1 : svg;
		} else if (strcmp(a, "--png") == 0) {
			svg = 2;
		} else if (strcmp(a, "--pcap") == 0) {
			if (++i >= argc)
				cli_die("experiment: --pcap needs a directory");
			pcap = argv[i];
		} else if (a[0] == '-' || name != NULL) {
			usage(stderr);
			return 2;
		} else {
			name = a;
		}
	}
	if (name == NULL) {
		usage(stderr);
		return 2;
	}
	if (!name_ok(name))
		cli_die("experiment: bad name '%s' (tapsock experiment --list shows them)", name);
	if (snprintf(path, sizeof(path), "%s/%s.sh", dir, name) >= (int)sizeof(path))
		cli_die("experiment: path too long");
	if (access(path, R_OK) < 0)
		cli_die("experiment: no experiment '%s' in %s (tapsock experiment --list)", name,
			dir);
	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l < 0)
		cli_die("experiment: /proc/self/exe: %s", strerror(errno));
	self[l] = '\0';
	if (pcap != NULL) {
		if (mkdir(pcap, 0755) < 0 && errno != EEXIST)
			cli_die("experiment: %s: %s", pcap, strerror(errno));
		if (realpath(pcap, pdir) == NULL)
			cli_die("experiment: %s: %s", pcap, strerror(errno));
	}
	/* The scripts take their options from the environment (lib.sh). */
	if (setenv("TAPSOCK", self, 1) < 0 || setenv("TS_EXP_DIR", dir, 1) < 0 ||
	    setenv("TS_EXP_NAME", name, 1) < 0 ||
	    setenv("TS_EXP_CHECK", check ? "1" : "0", 1) < 0 ||
	    setenv("TS_EXP_KEEP", keep ? "1" : "0", 1) < 0 ||
	    setenv("TS_EXP_SVG",
		   svg == 2 ? "2"
		   : svg    ? "1"
			    : "0",
		   1) < 0 ||
	    setenv("TS_EXP_PCAP", pcap != NULL ? pdir : "", 1) < 0)
		cli_die("setenv: %s", strerror(errno));
	if (geteuid() != 0)
		cli_die("experiment: needs root (each experiment makes its own lab: a network "
			"namespace and a TAP device); try sudo");
	execlp("bash", "bash", path, (char *)NULL);
	cli_die("experiment: cannot run bash: %s", strerror(errno));
}
