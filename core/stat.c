/* Counter names for `tapsock stat`; the counters themselves are plain
 * fields of struct ts_stats that each layer increments. */
#include "stat.h"

#include <string.h>

static const char *const stat_names[TS_STAT_COUNT] = {
#define TS_STAT_NAME(name) #name,
	TS_STATS(TS_STAT_NAME)
#undef TS_STAT_NAME
};

const char *ts_stat_name(int i)
{
	if (i < 0 || i >= TS_STAT_COUNT)
		return NULL;
	return stat_names[i];
}

uint64_t ts_stat_get(const struct ts_stats *st, int i)
{
	const uint64_t *v = (const uint64_t *)st;

	if (i < 0 || i >= TS_STAT_COUNT)
		return 0;
	return v[i];
}

int ts_stat_find(const char *name)
{
	for (int i = 0; i < TS_STAT_COUNT; i++)
		if (strcmp(stat_names[i], name) == 0)
			return i;
	return -1;
}
