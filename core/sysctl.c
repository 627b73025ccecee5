/* The tunables table: defaults, lookup by Linux name, parsing and
 * printing.  Used by tapsockd (--sysctl, the control socket) and tests. */
#include "sysctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ts_cc_names[] = {"reno", "cubic", NULL};

struct sysctl_desc {
	const char *key;
	size_t offset;
	int n;
	int64_t def[3];
	int64_t lo, hi;
	const char *const *names;
};

static const struct sysctl_desc descs[TS_SYSCTL_COUNT] = {
#define TS_SYSCTL_DESC(field, k, cnt, d0, d1, d2, min, max, nm) \
	{k, offsetof(struct ts_sysctl, field), cnt, {d0, d1, d2}, min, max, nm},
	TS_SYSCTLS(TS_SYSCTL_DESC)
#undef TS_SYSCTL_DESC
};

static int64_t *field_of(struct ts_sysctl *sc, int i)
{
	return (int64_t *)((char *)sc + descs[i].offset);
}

void ts_sysctl_defaults(struct ts_sysctl *sc)
{
	memset(sc, 0, sizeof(*sc));
	for (int i = 0; i < TS_SYSCTL_COUNT; i++)
		memcpy(field_of(sc, i), descs[i].def, sizeof(descs[i].def));
}

const char *ts_sysctl_key(int i)
{
	if (i < 0 || i >= TS_SYSCTL_COUNT)
		return NULL;
	return descs[i].key;
}

int ts_sysctl_find(const char *key)
{
	char norm[128];
	size_t n = strlen(key);

	if (n == 0 || n >= sizeof(norm))
		return -1;
	for (size_t j = 0; j <= n; j++)
		norm[j] = key[j] == '/' ? '.' : key[j];
	for (int i = 0; i < TS_SYSCTL_COUNT; i++) {
		const char *k = descs[i].key;
		const char *last = strrchr(k, '.');

		if (strcmp(k, norm) == 0)
			return i;
		/* The short form: "tcp_syn_retries", or for the neighbour
		 * table the part after "neigh.default." */
		if (last != NULL && strcmp(last + 1, norm) == 0)
			return i;
	}
	return -1;
}

static int parse_word(const struct sysctl_desc *d, const char *w, int64_t *out)
{
	char *end;
	long long v;

	if (d->names != NULL) {
		for (int j = 0; d->names[j] != NULL; j++) {
			if (strcmp(d->names[j], w) == 0) {
				*out = j;
				return 0;
			}
		}
		return -EINVAL;
	}
	errno = 0;
	v = strtoll(w, &end, 0);
	if (errno != 0 || end == w || *end != '\0')
		return -EINVAL;
	if (v < d->lo || v > d->hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int ts_sysctl_set(struct ts_sysctl *sc, const char *key, const char *value)
{
	int i = ts_sysctl_find(key);
	const struct sysctl_desc *d;
	int64_t vals[3];
	char copy[256];
	char *save = NULL, *w;
	int n = 0;

	if (i < 0)
		return -ENOENT;
	d = &descs[i];
	if (strlen(value) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, value);
	for (w = strtok_r(copy, " \t,", &save); w != NULL;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (n >= d->n)
			return -EINVAL;
		if (parse_word(d, w, &vals[n]) < 0)
			return -EINVAL;
		n++;
	}
	if (n != d->n)
		return -EINVAL;
	/* Ranges must be ordered, as Linux insists for ip_local_port_range
	 * and the tcp_rmem/tcp_wmem triples. */
	for (int j = 1; j < n; j++)
		if (vals[j] < vals[j - 1])
			return -EINVAL;
	memcpy(field_of(sc, i), vals, sizeof(int64_t) * (size_t)n);
	return 0;
}

int ts_sysctl_format(const struct ts_sysctl *sc, int i, char *buf, size_t len)
{
	const int64_t *v;
	size_t off = 0;

	if (i < 0 || i >= TS_SYSCTL_COUNT || len == 0)
		return -EINVAL;
	v = field_of((struct ts_sysctl *)sc, i);
	buf[0] = '\0';
	for (int j = 0; j < descs[i].n; j++) {
		int r;

		if (descs[i].names != NULL)
			r = snprintf(buf + off, len - off, "%s%s", j ? "\t" : "",
				     descs[i].names[v[j]]);
		else
			r = snprintf(buf + off, len - off, "%s%" PRId64,
				     j ? "\t" : "", v[j]);
		if (r < 0 || (size_t)r >= len - off)
			return -EINVAL;
		off += (size_t)r;
	}
	return (int)off;
}
