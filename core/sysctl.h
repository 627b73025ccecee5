/* Tunables, with Linux's names and defaults (net.ipv4.tcp_syn_retries,
 * net.core.somaxconn, ...), plus the constants Linux hard-codes, which
 * tapsock makes tunable under the same prefix (net.ipv4.tcp_msl,
 * net.ipv4.tcp_rto_initial, ... in milliseconds).  `tapsock sysctl` and
 * `tapsockd --sysctl` read and write this table.
 *
 * To add one: one X(...) line: field, key, number of values (1..3), the
 * defaults, the allowed range of each value, and a NULL-terminated list of
 * names for keys whose value is a word (tcp_congestion_control).
 * Fields are arrays: eng->sysctl.tcp_syn_retries[0]. */
#ifndef TS_SYSCTL_H
#define TS_SYSCTL_H

#include <stddef.h>
#include <stdint.h>

extern const char *const ts_cc_names[];

#define TS_SYSCTLS(X)                                                                 \
	/* IPv4 and ICMP */                                                           \
	X(ip_default_ttl, "net.ipv4.ip_default_ttl", 1, 64, 0, 0, 1, 255, NULL)           \
	X(ip_local_port_range, "net.ipv4.ip_local_port_range", 2, 32768, 60999, 0, 1, 65535, NULL) \
	X(ip_unprivileged_port_start, "net.ipv4.ip_unprivileged_port_start", 1, 1024, 0, 0, 0, 65535, NULL) \
	X(ipfrag_high_thresh, "net.ipv4.ipfrag_high_thresh", 1, 4194304, 0, 0, 0, 1073741824, NULL) \
	X(ipfrag_time, "net.ipv4.ipfrag_time", 1, 30, 0, 0, 1, 3600, NULL)               \
	X(icmp_ratelimit, "net.ipv4.icmp_ratelimit", 1, 1000, 0, 0, 0, 3600000, NULL)     \
	X(icmp_ratemask, "net.ipv4.icmp_ratemask", 1, 6168, 0, 0, 0, 0x7ffffff, NULL)     \
	X(icmp_msgs_per_sec, "net.ipv4.icmp_msgs_per_sec", 1, 1000, 0, 0, 0, 1000000, NULL) \
	X(icmp_msgs_burst, "net.ipv4.icmp_msgs_burst", 1, 50, 0, 0, 0, 1000000, NULL)     \
	X(icmp_echo_ignore_all, "net.ipv4.icmp_echo_ignore_all", 1, 0, 0, 0, 0, 1, NULL)  \
	X(icmp_echo_ignore_broadcasts, "net.ipv4.icmp_echo_ignore_broadcasts", 1, 1, 0, 0, 0, 1, NULL) \
	/* ARP (net.ipv4.neigh.default.*) */                                          \
	X(neigh_base_reachable_time_ms, "net.ipv4.neigh.default.base_reachable_time_ms", 1, 30000, 0, 0, 1000, 86400000, NULL) \
	X(neigh_retrans_time_ms, "net.ipv4.neigh.default.retrans_time_ms", 1, 1000, 0, 0, 10, 3600000, NULL) \
	X(neigh_mcast_solicit, "net.ipv4.neigh.default.mcast_solicit", 1, 3, 0, 0, 1, 100, NULL) \
	X(neigh_unres_qlen, "net.ipv4.neigh.default.unres_qlen", 1, 101, 0, 0, 1, 100000, NULL) \
	X(neigh_gc_stale_time, "net.ipv4.neigh.default.gc_stale_time", 1, 60, 0, 0, 1, 86400, NULL) \
	X(neigh_delay_first_probe_time, "net.ipv4.neigh.default.delay_first_probe_time", 1, 5, 0, 0, 1, 3600, NULL) \
	X(neigh_ucast_solicit, "net.ipv4.neigh.default.ucast_solicit", 1, 3, 0, 0, 1, 100, NULL) \
	/* Sockets */                                                                 \
	X(somaxconn, "net.core.somaxconn", 1, 4096, 0, 0, 1, 65535, NULL)                 \
	X(rmem_default, "net.core.rmem_default", 1, 212992, 0, 0, 2304, 2147483647, NULL) \
	X(rmem_max, "net.core.rmem_max", 1, 212992, 0, 0, 2304, 2147483647, NULL)         \
	X(wmem_default, "net.core.wmem_default", 1, 212992, 0, 0, 4608, 2147483647, NULL) \
	X(wmem_max, "net.core.wmem_max", 1, 212992, 0, 0, 4608, 2147483647, NULL)         \
	X(udp_rmem_min, "net.ipv4.udp_rmem_min", 1, 4096, 0, 0, 1, 2147483647, NULL)      \
	X(udp_wmem_min, "net.ipv4.udp_wmem_min", 1, 4096, 0, 0, 1, 2147483647, NULL)      \
	/* TCP, Linux's names and defaults */                                         \
	X(tcp_syn_retries, "net.ipv4.tcp_syn_retries", 1, 6, 0, 0, 1, 127, NULL)          \
	X(tcp_synack_retries, "net.ipv4.tcp_synack_retries", 1, 5, 0, 0, 0, 255, NULL)    \
	X(tcp_retries1, "net.ipv4.tcp_retries1", 1, 3, 0, 0, 0, 255, NULL)                \
	X(tcp_retries2, "net.ipv4.tcp_retries2", 1, 15, 0, 0, 0, 255, NULL)               \
	X(tcp_orphan_retries, "net.ipv4.tcp_orphan_retries", 1, 0, 0, 0, 0, 255, NULL)    \
	X(tcp_fin_timeout, "net.ipv4.tcp_fin_timeout", 1, 60, 0, 0, 1, 86400, NULL)       \
	/* tcp_max_orphans: Linux sets ehash entries / 2, 131072 with 24 GB */ \
	X(tcp_max_orphans, "net.ipv4.tcp_max_orphans", 1, 131072, 0, 0, 0, 2147483647, NULL) \
	X(tcp_rfc1337, "net.ipv4.tcp_rfc1337", 1, 0, 0, 0, 0, 1, NULL)                    \
	X(tcp_syncookies, "net.ipv4.tcp_syncookies", 1, 1, 0, 0, 0, 2, NULL)              \
	X(tcp_max_syn_backlog, "net.ipv4.tcp_max_syn_backlog", 1, 4096, 0, 0, 1, 1000000, NULL) \
	X(tcp_abort_on_overflow, "net.ipv4.tcp_abort_on_overflow", 1, 0, 0, 0, 0, 1, NULL) \
	X(tcp_timestamps, "net.ipv4.tcp_timestamps", 1, 1, 0, 0, 0, 2, NULL)              \
	X(tcp_window_scaling, "net.ipv4.tcp_window_scaling", 1, 1, 0, 0, 0, 1, NULL)      \
	X(tcp_sack, "net.ipv4.tcp_sack", 1, 1, 0, 0, 0, 1, NULL)                          \
	X(tcp_dsack, "net.ipv4.tcp_dsack", 1, 1, 0, 0, 0, 1, NULL)                        \
	X(tcp_keepalive_time, "net.ipv4.tcp_keepalive_time", 1, 7200, 0, 0, 1, 32767, NULL) \
	X(tcp_keepalive_intvl, "net.ipv4.tcp_keepalive_intvl", 1, 75, 0, 0, 1, 32767, NULL) \
	X(tcp_keepalive_probes, "net.ipv4.tcp_keepalive_probes", 1, 9, 0, 0, 1, 127, NULL) \
	X(tcp_challenge_ack_limit, "net.ipv4.tcp_challenge_ack_limit", 1, 2147483647, 0, 0, 0, 2147483647, NULL) \
	X(tcp_invalid_ratelimit, "net.ipv4.tcp_invalid_ratelimit", 1, 500, 0, 0, 0, 3600000, NULL) \
	X(tcp_rmem, "net.ipv4.tcp_rmem", 3, 4096, 131072, 6291456, 1, 2147483647, NULL)   \
	X(tcp_wmem, "net.ipv4.tcp_wmem", 3, 4096, 16384, 4194304, 1, 2147483647, NULL)    \
	X(tcp_congestion_control, "net.ipv4.tcp_congestion_control", 1, 1, 0, 0, 0, 1, ts_cc_names) \
	X(tcp_initial_cwnd, "net.ipv4.tcp_initial_cwnd", 1, 10, 0, 0, 1, 1000, NULL)      \
	X(tcp_early_retrans, "net.ipv4.tcp_early_retrans", 1, 3, 0, 0, 0, 4, NULL)        \
	X(tcp_recovery, "net.ipv4.tcp_recovery", 1, 1, 0, 0, 0, 7, NULL)                  \
	/* TCP constants Linux hard-codes, tunable here (milliseconds) */             \
	X(tcp_msl, "net.ipv4.tcp_msl", 1, 30000, 0, 0, 1, 3600000, NULL)                  \
	X(tcp_rto_initial, "net.ipv4.tcp_rto_initial", 1, 1000, 0, 0, 1, 120000, NULL)    \
	X(tcp_rto_min, "net.ipv4.tcp_rto_min", 1, 200, 0, 0, 1, 120000, NULL)             \
	X(tcp_rto_max, "net.ipv4.tcp_rto_max", 1, 120000, 0, 0, 1, 3600000, NULL)         \
	X(tcp_delack_min, "net.ipv4.tcp_delack_min", 1, 40, 0, 0, 1, 10000, NULL)         \
	X(tcp_delack_max, "net.ipv4.tcp_delack_max", 1, 200, 0, 0, 1, 10000, NULL)

struct ts_sysctl {
#define TS_SYSCTL_FIELD(field, key, n, d0, d1, d2, lo, hi, names) int64_t field[3];
	TS_SYSCTLS(TS_SYSCTL_FIELD)
#undef TS_SYSCTL_FIELD
};

enum {
#define TS_SYSCTL_ENUM(field, key, n, d0, d1, d2, lo, hi, names) TS_SC_##field,
	TS_SYSCTLS(TS_SYSCTL_ENUM)
#undef TS_SYSCTL_ENUM
	TS_SYSCTL_COUNT
};

/* Fills every tunable with its default. */
void ts_sysctl_defaults(struct ts_sysctl *sc);
/* Key of tunable i, or NULL past the end. */
const char *ts_sysctl_key(int i);
/* Index of key: the full name ("net.ipv4.tcp_syn_retries"), the same with
 * '/' separators, or the last component ("tcp_syn_retries"); -1 if none. */
int ts_sysctl_find(const char *key);
/* Sets key from text as sysctl(8) takes it ("32768 60999", "cubic").
 * Returns 0, -ENOENT for an unknown key, -EINVAL for a bad value. */
int ts_sysctl_set(struct ts_sysctl *sc, const char *key, const char *value);
/* Writes the value of tunable i as sysctl(8) prints it (values separated by
 * tabs).  Returns the length, or -EINVAL. */
int ts_sysctl_format(const struct ts_sysctl *sc, int i, char *buf, size_t len);

#endif
