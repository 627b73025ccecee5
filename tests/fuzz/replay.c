/* Deterministic replay for the libFuzzer targets, built with any C
 * compiler and run by `make check` (and under ASan/UBSan in the sanitizer
 * pass): feeds every file of a seed corpus, then a fixed number of
 * mutations of them from a fixed-seed PRNG, through the same
 * LLVMFuzzerTestOneInput libFuzzer calls.  Same seed, same inputs, same
 * result on every run: a failure here is a bug to fix, not noise.
 *
 *   replay_frames [CORPUS_DIR [MUTATIONS [SEED]]]
 *   FUZZ_REPLAY_N=20000 replay_frames        (more mutations)
 *   replay_frames FILE...                      (files, e.g. a crash)
 *
 * On a crash (abort, SIGSEGV, a sanitizer report) the input that caused
 * it is written to ./replay-crash-<pid> so it can be added to the corpus
 * once fixed. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* replay_ctld links tapsockd.c with -Dmain=ts_tapsockd_main: this main
 * stays main. */
#undef main

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "."
#endif
#ifndef FUZZ_N
#define FUZZ_N 3000			/* mutations when not told */
#endif
#define REPLAY_MAX (64 * 1024)
#define MAX_FILES 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

/* Sanitizer reports end in abort(), so the handler below saves the input. */
const char *__asan_default_options(void)
{
	return "abort_on_error=1:detect_leaks=1";
}

const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:print_stacktrace=1";
}

static const uint8_t *cur;
static size_t cur_len;

static void on_crash(int sig)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "replay-crash-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, cur, cur_len) < 0) {
			/* nothing more to do in a signal handler */
		}
		close(fd);
	}
	if (write(2, "replay: crashing input saved to ", 32) < 0 ||
	    write(2, path, strlen(path)) < 0 || write(2, "\n", 1) < 0) {
		/* ignore */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run_one(const uint8_t *p, size_t n)
{
	cur = p;
	cur_len = n;
	LLVMFuzzerTestOneInput(p, n);
}

struct input {
	uint8_t *p;
	size_t n;
};

static int read_file(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	in->p = malloc(REPLAY_MAX);
	if (in->p == NULL) {
		fclose(f);
		return -1;
	}
	in->n = fread(in->p, 1, REPLAY_MAX, f);
	fclose(f);
	return 0;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* libFuzzer-like mutations: flip, set, add, interesting values, insert,
 * erase, copy inside, splice from another input. */
static size_t mutate(uint8_t *b, size_t n, size_t cap, const struct input *all, int nall)
{
	static const uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, 0x10, 0x02, 0x40};
	int k = 1 + (int)below(6);

	for (int i = 0; i < k; i++) {
		size_t at = below(n), len;

		switch (below(8)) {
		case 0:
			if (n)
				b[at] ^= (uint8_t)(1u << below(8));
			break;
		case 1:
			if (n)
				b[at] = (uint8_t)rnd();
			break;
		case 2:
			if (n)
				b[at] = (uint8_t)(b[at] + 1 + below(8) - 4);
			break;
		case 3:
			if (n)
				b[at] = interesting[below(sizeof(interesting))];
			break;
		case 4:
			len = 1 + below(16);
			if (n + len <= cap) {
				memmove(b + at + len, b + at, n - at);
				for (size_t j = 0; j < len; j++)
					b[at + j] = (uint8_t)rnd();
				n += len;
			}
			break;
		case 5:
			len = below(n - at + 1);
			if (len > 32)
				len = 32;
			memmove(b + at, b + at + len, n - at - len);
			n -= len;
			break;
		case 6:
			if (n > 1) {
				size_t from = below(n);

				len = below(n - (at > from ? at : from)) + 1;
				memmove(b + at, b + from, len);
			}
			break;
		default: {
			const struct input *o = &all[below((size_t)nall)];
			size_t from = below(o->n);

			len = below(o->n - from + 1);
			if (at + len > cap)
				len = cap - at;
			memcpy(b + at, o->p + from, len);
			if (at + len > n)
				n = at + len;
			break;
		}
		}
	}
	return n;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	static struct input all[MAX_FILES];
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	const char *env = getenv("FUZZ_REPLAY_N");
	long nmut = argc > 2 ? atol(argv[2]) : env != NULL ? atol(env) : FUZZ_N;
	struct dirent **names;
	uint8_t *buf;
	int nall = 0, n;

	rng = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x7a9507c0ffee1234ull;
	if (rng == 0)
		rng = 1;
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);

	if (argc > 1 && !is_dir(argv[1])) {
		/* Files named on the command line, as they are. */
		for (int i = 1; i < argc; i++) {
			struct input in;

			if (read_file(argv[i], &in) < 0) {
				fprintf(stderr, "replay: cannot read %s\n", argv[i]);
				return 1;
			}
			run_one(in.p, in.n);
			free(in.p);
		}
		printf("replay: %d file(s) ok\n", argc - 1);
		return 0;
	}
	n = scandir(dir, &names, only_files, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot read corpus %s\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (nall < MAX_FILES && !is_dir(path) && read_file(path, &all[nall]) == 0)
			nall++;
		free(names[i]);
	}
	free(names);
	if (nall == 0) {
		fprintf(stderr, "replay: empty corpus %s\n", dir);
		return 1;
	}
	for (int i = 0; i < nall; i++)
		run_one(all[i].p, all[i].n);
	buf = malloc(REPLAY_MAX);
	if (buf == NULL)
		return 1;
	for (long i = 0; i < nmut; i++) {
		const struct input *in = &all[below((size_t)nall)];
		size_t len;

		memcpy(buf, in->p, in->n);
		len = mutate(buf, in->n, REPLAY_MAX, all, nall);
		run_one(buf, len);
	}
	printf("replay %s: %d corpus files, %ld mutations: ok\n", dir, nall, nmut);
	for (int i = 0; i < nall; i++)
		free(all[i].p);
	free(buf);
	return 0;
}
