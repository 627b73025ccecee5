/* Tunables (core/sysctl.c) and counter names (core/stat.c): defaults,
 * lookup by full, slash and short names, setting and printing as
 * sysctl(8) does, rejection of bad keys and values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "stat.h"
#include "sysctl.h"

static void fmt(const struct ts_sysctl *sc, const char *key, char *buf, size_t n)
{
	int i = ts_sysctl_find(key);

	assert_true(i >= 0);
	assert_true(ts_sysctl_format(sc, i, buf, n) > 0);
}

static void test_defaults_are_linux_defaults(void **state)
{
	struct ts_sysctl sc;
	char buf[128];

	ts_sysctl_defaults(&sc);
	assert_int_equal(sc.ip_default_ttl[0], 64);
	assert_int_equal(sc.ipfrag_time[0], 30);
	assert_int_equal(sc.ipfrag_high_thresh[0], 4194304);
	assert_int_equal(sc.icmp_ratelimit[0], 1000);
	assert_int_equal(sc.icmp_ratemask[0], 6168);
	assert_int_equal(sc.icmp_msgs_per_sec[0], 1000);
	assert_int_equal(sc.icmp_msgs_burst[0], 50);
	assert_int_equal(sc.icmp_echo_ignore_broadcasts[0], 1);
	assert_int_equal(sc.neigh_base_reachable_time_ms[0], 30000);
	assert_int_equal(sc.neigh_retrans_time_ms[0], 1000);
	assert_int_equal(sc.neigh_mcast_solicit[0], 3);
	assert_int_equal(sc.neigh_ucast_solicit[0], 3);
	assert_int_equal(sc.neigh_delay_first_probe_time[0], 5);
	assert_int_equal(sc.neigh_gc_stale_time[0], 60);
	assert_int_equal(sc.tcp_syn_retries[0], 6);
	fmt(&sc, "net.ipv4.ip_local_port_range", buf, sizeof(buf));
	assert_string_equal(buf, "32768\t60999");
	fmt(&sc, "tcp_rmem", buf, sizeof(buf));
	assert_string_equal(buf, "4096\t131072\t6291456");
	fmt(&sc, "tcp_congestion_control", buf, sizeof(buf));
	assert_string_equal(buf, "cubic");
}

static void test_find_accepts_full_slash_and_short_names(void **state)
{
	int i = ts_sysctl_find("net.ipv4.tcp_syn_retries");

	assert_true(i >= 0);
	assert_string_equal(ts_sysctl_key(i), "net.ipv4.tcp_syn_retries");
	assert_int_equal(ts_sysctl_find("net/ipv4/tcp_syn_retries"), i);
	assert_int_equal(ts_sysctl_find("tcp_syn_retries"), i);
	assert_int_equal(ts_sysctl_find("retrans_time_ms"),
			 ts_sysctl_find("net.ipv4.neigh.default.retrans_time_ms"));
	assert_int_equal(ts_sysctl_find("net.ipv4.nope"), -1);
	assert_int_equal(ts_sysctl_find(""), -1);
	assert_int_equal(ts_sysctl_find("syn_retries"), -1);
	assert_null(ts_sysctl_key(-1));
	assert_null(ts_sysctl_key(TS_SYSCTL_COUNT));
	/* Every key is found by its own name. */
	for (int k = 0; k < TS_SYSCTL_COUNT; k++)
		assert_int_equal(ts_sysctl_find(ts_sysctl_key(k)), k);
}

static void test_set_then_format_round_trips(void **state)
{
	struct ts_sysctl sc;
	char buf[64];

	ts_sysctl_defaults(&sc);
	assert_int_equal(ts_sysctl_set(&sc, "net.ipv4.ip_local_port_range", "1024 2048"), 0);
	assert_int_equal(sc.ip_local_port_range[0], 1024);
	assert_int_equal(sc.ip_local_port_range[1], 2048);
	fmt(&sc, "ip_local_port_range", buf, sizeof(buf));
	assert_string_equal(buf, "1024\t2048");
	/* Tabs, as sysctl(8) prints them, are accepted back. */
	assert_int_equal(ts_sysctl_set(&sc, "tcp_wmem", "1\t2\t3"), 0);
	assert_int_equal(sc.tcp_wmem[2], 3);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_congestion_control", "reno"), 0);
	assert_int_equal(sc.tcp_congestion_control[0], 0);
	fmt(&sc, "tcp_congestion_control", buf, sizeof(buf));
	assert_string_equal(buf, "reno");
	assert_int_equal(ts_sysctl_set(&sc, "icmp_ratemask", "0x1818"), 0);
	assert_int_equal(sc.icmp_ratemask[0], 6168);
}

static void test_bad_keys_and_values_are_rejected_unchanged(void **state)
{
	struct ts_sysctl sc, before;

	ts_sysctl_defaults(&sc);
	before = sc;
	assert_int_equal(ts_sysctl_set(&sc, "net.ipv4.no_such_thing", "1"), -ENOENT);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", ""), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", "abc"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", "5x"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", "0"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", "128"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_syn_retries", "3 4"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "ip_default_ttl", "256"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "ip_local_port_range", "2000"), -EINVAL);
	/* Ranges must be ordered, as Linux insists. */
	assert_int_equal(ts_sysctl_set(&sc, "ip_local_port_range", "3000 2000"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_rmem", "3 2 1"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "tcp_congestion_control", "bbr"), -EINVAL);
	assert_int_equal(ts_sysctl_set(&sc, "retrans_time_ms", "9"), -EINVAL);
	assert_memory_equal(&sc, &before, sizeof(sc));
}

static void test_format_rejects_bad_index_and_small_buffer(void **state)
{
	struct ts_sysctl sc;
	char buf[4];

	ts_sysctl_defaults(&sc);
	assert_int_equal(ts_sysctl_format(&sc, -1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ts_sysctl_format(&sc, TS_SYSCTL_COUNT, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ts_sysctl_format(&sc, ts_sysctl_find("tcp_rmem"), buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ts_sysctl_format(&sc, 0, buf, 0), -EINVAL);
	assert_int_equal(ts_sysctl_format(&sc, ts_sysctl_find("ip_default_ttl"), buf, 3), 2);
	assert_string_equal(buf, "64");
}

static void test_engine_reads_tunables_live(void **state)
{
	struct h_env *e = *state;

	/* The engine's table starts at the defaults and is the one the
	 * layers read. */
	assert_int_equal(e->eng.sysctl.ip_default_ttl[0], 64);
	assert_int_equal(ts_sysctl_set(&e->eng.sysctl, "net.ipv4.ipfrag_time", "1"), 0);
	assert_int_equal(e->eng.sysctl.ipfrag_time[0], 1);
}

static void test_stat_names_follow_nstat(void **state)
{
	struct ts_stats st;

	memset(&st, 0, sizeof(st));
	assert_string_equal(ts_stat_name(0), "TsExtLinkInFrames");
	assert_null(ts_stat_name(-1));
	assert_null(ts_stat_name(TS_STAT_COUNT));
	assert_int_equal(ts_stat_find("IpInHdrErrors"), TS_STAT_IpInHdrErrors);
	assert_int_equal(ts_stat_find("IcmpOutRateLimitHost"), TS_STAT_IcmpOutRateLimitHost);
	assert_int_equal(ts_stat_find("NoSuchCounter"), -1);
	/* Every name finds its own index, and names are unique. */
	for (int i = 0; i < TS_STAT_COUNT; i++) {
		assert_int_equal(ts_stat_find(ts_stat_name(i)), i);
		assert_true(strncmp(ts_stat_name(i), "Ip", 2) == 0 ||
			    strncmp(ts_stat_name(i), "Icmp", 4) == 0 ||
			    strncmp(ts_stat_name(i), "Udp", 3) == 0 ||
			    strncmp(ts_stat_name(i), "Tcp", 3) == 0 ||
			    strncmp(ts_stat_name(i), "TsExt", 5) == 0);
	}
	/* ts_stat_get reads the named field. */
	st.IpReasmOKs = 42;
	st.TsExtArpQueueDrops = 7;
	assert_int_equal(ts_stat_get(&st, TS_STAT_IpReasmOKs), 42);
	assert_int_equal(ts_stat_get(&st, ts_stat_find("TsExtArpQueueDrops")), 7);
	assert_int_equal(ts_stat_get(&st, -1), 0);
	assert_int_equal(ts_stat_get(&st, TS_STAT_COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_linux_defaults),
		cmocka_unit_test(test_find_accepts_full_slash_and_short_names),
		cmocka_unit_test(test_set_then_format_round_trips),
		cmocka_unit_test(test_bad_keys_and_values_are_rejected_unchanged),
		cmocka_unit_test(test_format_rejects_bad_index_and_small_buffer),
		cmocka_unit_test_setup_teardown(test_engine_reads_tunables_live, h_setup, h_teardown),
		cmocka_unit_test(test_stat_names_follow_nstat),
	};

	return cmocka_run_group_tests_name("sysctl", tests, NULL, NULL);
}
