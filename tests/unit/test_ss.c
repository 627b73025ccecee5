/* `tapsock ss`: records, ss(8)'s formatting (iproute2 misc/ss.c), state
 * filters, the wire encoding, and snapshots of real TCBs and UDP sockets
 * on the TCP harness's fake clock. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_proto.h"
#include "pktbuf.h"
#include "ss.h"
#include "tcp_harness.h"
#include "udp.h"

/* --- formatting, no engine ---------------------------------------------- */

static void expect_timer(uint32_t ms, const char *want)
{
	char b[32];

	ts_ss_ms_timer(ms, b, sizeof(b));
	assert_string_equal(b, want);
}

static void test_ss_ms_timer_formats_as_iproute2(void **state)
{
	long pkts = ts_pkt_live();

	(void)state;
	expect_timer(816, "816ms");
	expect_timer(5, "005ms");
	expect_timer(41000, "41sec");
	expect_timer(41999, "41sec");		/* >= 10 s: no milliseconds */
	expect_timer(1200, "1.200sec");		/* upstream's fixed unit */
	expect_timer(9501, "9.501sec");
	expect_timer(62000, "1min2sec");
	expect_timer(62500, "1min2sec");	/* minutes: no milliseconds */
	expect_timer(600000, "10min");		/* >= 10 min: no seconds */
	expect_timer(659000, "10min");
	expect_timer(120000, "2min");
	expect_timer(0, "");			/* as ss: an empty field */
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_timer_str_off_prints_nothing_on_prints_triple(void **state)
{
	struct ts_ss_sock s = {.proto = 6, .state = TCPS_SYN_SENT};
	char b[64];
	long pkts = ts_pkt_live();

	(void)state;
	ts_ss_timer_str(&s, b, sizeof(b));
	assert_string_equal(b, "");
	s.timer = TS_SS_TIMER_ON;
	s.timer_ms = 1200;
	s.timer_retrans = 3;
	ts_ss_timer_str(&s, b, sizeof(b));
	assert_string_equal(b, "timer:(on,1.200sec,3)");
	s.timer = TS_SS_TIMER_TIMEWAIT;
	s.timer_ms = 41000;
	s.timer_retrans = 0;
	ts_ss_timer_str(&s, b, sizeof(b));
	assert_string_equal(b, "timer:(timewait,41sec,0)");
	s.timer = TS_SS_TIMER_KEEPALIVE;
	s.timer_ms = 7200000;
	ts_ss_timer_str(&s, b, sizeof(b));
	assert_string_equal(b, "timer:(keepalive,120min,0)");
	s.timer = TS_SS_TIMER_PERSIST;
	s.timer_ms = 200;
	s.timer_retrans = 2;
	ts_ss_timer_str(&s, b, sizeof(b));
	assert_string_equal(b, "timer:(persist,200ms,2)");
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_state_names_are_linux_spelling(void **state)
{
	static const char *const want[TCPS_NSTATES] = {
		"UNCONN", "LISTEN", "SYN-SENT", "SYN-RECV", "ESTAB", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
	};
	struct ts_ss_sock s = {.proto = 6};
	long pkts = ts_pkt_live();

	(void)state;
	for (int i = 0; i < TCPS_NSTATES; i++) {
		s.state = (uint8_t)i;
		assert_string_equal(ts_ss_state_name(&s), want[i]);
		assert_string_equal(ts_ss_netid(&s), "tcp");
	}
	s.proto = 17;
	s.state = TCPS_CLOSED;
	assert_string_equal(ts_ss_state_name(&s), "UNCONN");
	s.state = TCPS_ESTABLISHED;
	assert_string_equal(ts_ss_state_name(&s), "ESTAB");
	assert_string_equal(ts_ss_netid(&s), "udp");
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_state_parse_names_groups_and_bad_words(void **state)
{
	uint32_t m = 0;
	long pkts = ts_pkt_live();

	(void)state;
	assert_int_equal(ts_ss_state_parse("time-wait", &m), 0);
	assert_int_equal(m, TS_SS_ST(TCPS_TIME_WAIT));
	assert_int_equal(ts_ss_state_parse("listening", &m), 0);
	assert_int_equal(m, TS_SS_ST(TCPS_LISTEN));
	assert_int_equal(ts_ss_state_parse("ESTAB", &m), 0);
	assert_int_equal(m, TS_SS_ST(TCPS_ESTABLISHED));
	assert_int_equal(ts_ss_state_parse("syn-recv", &m), 0);
	assert_int_equal(m, TS_SS_ST(TCPS_SYN_RECEIVED));
	assert_int_equal(ts_ss_state_parse("all", &m), 0);
	assert_int_equal(m, ts_ss_states_all());
	assert_int_equal(ts_ss_state_parse("connected", &m), 0);
	assert_false(m & TS_SS_ST(TCPS_LISTEN));
	assert_false(m & TS_SS_ST(TCPS_CLOSED));
	assert_true(m & TS_SS_ST(TCPS_TIME_WAIT));
	assert_true(m & TS_SS_ST(TCPS_SYN_SENT));
	assert_int_equal(ts_ss_state_parse("synchronized", &m), 0);
	assert_false(m & TS_SS_ST(TCPS_SYN_SENT));
	assert_true(m & TS_SS_ST(TCPS_ESTABLISHED));
	assert_int_equal(ts_ss_state_parse("bucket", &m), 0);
	assert_int_equal(m, TS_SS_ST(TCPS_SYN_RECEIVED) | TS_SS_ST(TCPS_TIME_WAIT));
	assert_int_equal(ts_ss_state_parse("big", &m), 0);
	assert_false(m & TS_SS_ST(TCPS_TIME_WAIT));
	assert_true(m & TS_SS_ST(TCPS_LISTEN));
	m = 12345;
	assert_int_equal(ts_ss_state_parse("estabished", &m), -EINVAL);
	assert_int_equal(ts_ss_state_parse("", &m), -EINVAL);
	assert_int_equal(m, 12345);
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_filter_default_listening_all_as_ss(void **state)
{
	struct ts_ss_filter f = {TS_SS_PROTO_TCP | TS_SS_PROTO_UDP, ts_ss_states_default()};
	struct ts_ss_sock s = {.proto = 6};
	long pkts = ts_pkt_live();

	(void)state;
	s.state = TCPS_ESTABLISHED;
	assert_true(ts_ss_match(&s, &f));
	s.state = TCPS_FIN_WAIT_2;
	assert_true(ts_ss_match(&s, &f));
	s.state = TCPS_SYN_SENT;
	assert_true(ts_ss_match(&s, &f));
	s.state = TCPS_LISTEN;
	assert_false(ts_ss_match(&s, &f));
	s.state = TCPS_TIME_WAIT;
	assert_false(ts_ss_match(&s, &f));
	s.state = TCPS_SYN_RECEIVED;
	assert_false(ts_ss_match(&s, &f));
	s.proto = 17;
	s.state = TCPS_CLOSED;
	assert_false(ts_ss_match(&s, &f));	/* UNCONN needs -l or -a */
	s.state = TCPS_ESTABLISHED;
	assert_true(ts_ss_match(&s, &f));
	f.protos = TS_SS_PROTO_TCP;		/* -t */
	assert_false(ts_ss_match(&s, &f));
	f.protos = TS_SS_PROTO_UDP;		/* -ul */
	f.states = ts_ss_states_listening();
	s.state = TCPS_CLOSED;
	assert_true(ts_ss_match(&s, &f));
	f.protos = TS_SS_PROTO_TCP | TS_SS_PROTO_UDP;	/* -a */
	f.states = ts_ss_states_all();
	s.proto = 6;
	s.state = TCPS_TIME_WAIT;
	assert_true(ts_ss_match(&s, &f));
	/* A fresh or failed TCP socket is in no inet_diag table. */
	s.state = TCPS_CLOSED;
	assert_false(ts_ss_match(&s, &f));
	assert_int_equal(ts_pkt_live(), pkts);
}

static void fill_sample(struct ts_ss_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = 6;
	s->state = TCPS_ESTABLISHED;
	s->laddr = TS_IP4(198, 18, 0, 2);
	s->lport = 5000;
	s->raddr = TS_IP4(198, 18, 0, 1);
	s->rport = 40000;
	s->rq = 7;
	s->wq = 9;
	s->ino = 0x123456789ull;
	s->timer = TS_SS_TIMER_ON;
	s->timer_ms = 204;
	s->timer_retrans = 1;
	s->has_info = 1;
	strcpy(s->info.cc, "cubic");
	s->info.ts = 1;
	s->info.sack = 1;
	s->info.wscale = 1;
	s->info.snd_wscale = 7;
	s->info.rcv_wscale = 9;
	s->info.rto_us = 204000;
	s->info.rtt_us = 33;
	s->info.rttvar_us = 16;
	s->info.mss = 1448;
	s->info.rcv_mss = 536;
	s->info.cwnd = 10;
	s->info.ssthresh = 0x7fffffff;
	s->info.bytes_acked = 4;
	s->info.bytes_received = 3;
	s->info.unacked = 1;
	s->info.total_retrans = 2;
}

static void test_ss_record_encodes_and_decodes_back(void **state)
{
	uint8_t body[TS_SS_MAX_ENCODED * 2];
	struct ts_ss_sock a, b, u = {.proto = 17, .state = TCPS_CLOSED, .lport = 53};
	struct ts_ctl_wr w;
	struct ts_ctl_rd r;
	long pkts = ts_pkt_live();
	size_t one;

	(void)state;
	fill_sample(&a);
	ts_ctl_wr_init(&w, body, sizeof(body));
	ts_ss_encode(&w, &a);
	one = w.len;
	assert_true(one <= TS_SS_MAX_ENCODED);
	ts_ss_encode(&w, &u);
	assert_int_equal(w.err, 0);
	ts_ctl_rd_init(&r, body, w.len);
	assert_int_equal(ts_ss_decode(&r, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(ts_ss_decode(&r, &b), 0);
	assert_int_equal(b.proto, 17);
	assert_int_equal(b.lport, 53);
	assert_int_equal(b.has_info, 0);
	assert_int_equal(ts_ctl_rd_end(&r), 0);
	/* Truncated: refused. */
	ts_ctl_rd_init(&r, body, one - 1);
	assert_int_equal(ts_ss_decode(&r, &b), -EBADMSG);
	/* A protocol or a state out of range: refused, not trusted. */
	body[0] = 99;
	ts_ctl_rd_init(&r, body, one);
	assert_int_equal(ts_ss_decode(&r, &b), -EBADMSG);
	body[0] = 6;
	body[1] = TCPS_NSTATES;
	ts_ctl_rd_init(&r, body, one);
	assert_int_equal(ts_ss_decode(&r, &b), -EBADMSG);
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_info_str_in_ss_order_zero_fields_left_out(void **state)
{
	struct ts_ss_sock s;
	char b[512];
	long pkts = ts_pkt_live();

	(void)state;
	fill_sample(&s);
	ts_ss_info_str(&s, b, sizeof(b));
	assert_string_equal(b, "ts sack cubic wscale:7,9 rto:204 rtt:0.033/0.016 mss:1448 "
			       "rcvmss:536 cwnd:10 bytes_acked:4 bytes_received:3 unacked:1 "
			       "retrans:0/2");
	s.info.ssthresh = 7;
	s.info.ts = 0;
	s.info.sack = 0;
	s.info.wscale = 0;
	s.info.backoff = 2;
	s.info.unacked = 0;
	s.info.total_retrans = 0;
	s.info.bytes_received = 0;
	ts_ss_info_str(&s, b, sizeof(b));
	assert_string_equal(b, "cubic rto:204 backoff:2 rtt:0.033/0.016 mss:1448 rcvmss:536 "
			       "cwnd:10 ssthresh:7 bytes_acked:4");
	/* Never past the buffer. */
	ts_ss_info_str(&s, b, 10);
	assert_true(strlen(b) < 10);
	s.has_info = 0;
	ts_ss_info_str(&s, b, sizeof(b));
	assert_string_equal(b, "");
	assert_int_equal(ts_pkt_live(), pkts);
}

static void test_ss_addr_str_port_zero_is_star(void **state)
{
	char b[32];
	long pkts = ts_pkt_live();

	(void)state;
	ts_ss_addr_str(0, 0, b, sizeof(b));
	assert_string_equal(b, "0.0.0.0:*");
	ts_ss_addr_str(TS_IP4(198, 18, 0, 2), 5000, b, sizeof(b));
	assert_string_equal(b, "198.18.0.2:5000");
	assert_int_equal(ts_pkt_live(), pkts);
}

static int expr_matches(const char *text, const struct ts_ss_sock *s)
{
	char buf[256], err[160], *words[1] = {buf};
	struct ts_ss_expr *e;
	int m;

	snprintf(buf, sizeof(buf), "%s", text);
	assert_int_equal(ts_ss_expr_parse(words, 1, &e, err, sizeof(err)), 0);
	assert_non_null(e);
	m = ts_ss_expr_match(e, s);
	ts_ss_expr_free(e);
	return m;
}

static void test_ss_expr_ports_addresses_and_logic_as_ss(void **state)
{
	struct ts_ss_sock s;
	char err[160], *bad[] = {"sport", "=", ":99999"};
	char *two[] = {"sport", "= :5000"};
	struct ts_ss_expr *e = (struct ts_ss_expr *)1;
	long pkts = ts_pkt_live();

	(void)state;
	fill_sample(&s);	/* 198.18.0.2:5000 -> 198.18.0.1:40000 */
	assert_true(expr_matches("sport = :5000", &s));
	assert_true(expr_matches("sport == 5000", &s));
	assert_false(expr_matches("sport = :5001", &s));
	assert_true(expr_matches("( sport = :8000 or dport = :40000 )", &s));
	assert_true(expr_matches("(sport = :5000)", &s));
	assert_false(expr_matches("sport = :5000 and dport = :1", &s));
	assert_false(expr_matches("sport = :5000 dport = :1", &s));	/* implicit and */
	assert_true(expr_matches("not dport = :1", &s));
	assert_true(expr_matches("! ( dport = :1 )", &s));
	assert_true(expr_matches("dport > :1024 and sport <= :5000", &s));
	assert_false(expr_matches("dport lt :1024", &s));
	assert_true(expr_matches("src 198.18.0.2", &s));
	assert_true(expr_matches("src 198.18.0.0/24:5000", &s));
	assert_false(expr_matches("src 198.18.0.0/24:5001", &s));
	assert_true(expr_matches("dst 198.18.0.1:40000", &s));
	assert_true(expr_matches("dst :40000", &s));
	assert_false(expr_matches("dst 10.0.0.0/8", &s));
	assert_true(expr_matches("src 0.0.0.0/0", &s));
	/* Several argv words make one expression. */
	assert_int_equal(ts_ss_expr_parse(two, 2, &e, err, sizeof(err)), 0);
	assert_true(ts_ss_expr_match(e, &s));
	ts_ss_expr_free(e);
	/* No words: no filter, everything matches. */
	assert_int_equal(ts_ss_expr_parse(two, 0, &e, err, sizeof(err)), 0);
	assert_null(e);
	assert_true(ts_ss_expr_match(NULL, &s));
	/* Refused with a reason. */
	assert_int_equal(ts_ss_expr_parse(bad, 3, &e, err, sizeof(err)), -EINVAL);
	assert_null(e);
	assert_non_null(strstr(err, "port"));
	bad[0] = "(";
	bad[1] = "sport = :1";
	assert_int_equal(ts_ss_expr_parse(bad, 2, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "')'"));
	bad[0] = "uid";
	assert_int_equal(ts_ss_expr_parse(bad, 1, &e, err, sizeof(err)), -EINVAL);
	bad[0] = "src";
	bad[1] = "198.18.0.300";
	assert_int_equal(ts_ss_expr_parse(bad, 2, &e, err, sizeof(err)), -EINVAL);
	bad[0] = "sport = :1 )";
	assert_int_equal(ts_ss_expr_parse(bad, 1, &e, err, sizeof(err)), -EINVAL);
	assert_null(e);
	assert_int_equal(ts_pkt_live(), pkts);
}

/* --- snapshots of the engine (TCP harness) -------------------------------- */

struct found {
	struct ts_ss_sock v[16];
	int n;
};

static void grab(struct ts_ss_sock *s, const void *obj, void *arg)
{
	struct found *f = arg;

	(void)obj;
	if (f->n < 16)
		f->v[f->n++] = *s;
}

/* The one TCP record in state st, or fails. */
static struct ts_ss_sock tcp_rec(struct th *h, int st)
{
	struct found f = {.n = 0};

	ts_ss_collect(&h->eng, h->now, grab, &f);
	for (int i = 0; i < f.n; i++)
		if (f.v[i].proto == 6 && f.v[i].state == st)
			return f.v[i];
	fail_msg("no TCP socket in %s", ts_tcp_state_name(st));
	return f.v[0];
}

static void test_ss_syn_sent_timer_on_falls_and_sendq_counts_syn(void **state)
{
	struct th *h = *state;
	struct ts_ss_sock a, b;

	tcb_syn_sent(h);
	a = tcp_rec(h, TCPS_SYN_SENT);
	assert_int_equal(a.timer, TS_SS_TIMER_ON);
	assert_int_equal(a.timer_retrans, 0);
	assert_int_equal(a.wq, 1);	/* Linux: the SYN in write_seq */
	assert_int_equal(a.rq, 0);
	assert_int_equal(a.info.unacked, 1);
	assert_int_equal(a.raddr, TH_PEER);
	assert_int_equal(a.rport, TH_PPORT);
	th_advance(h, 300000);
	b = tcp_rec(h, TCPS_SYN_SENT);
	assert_int_equal(b.timer, TS_SS_TIMER_ON);
	assert_true(b.timer_ms < a.timer_ms);
	assert_int_equal(a.timer_ms - b.timer_ms, 300);
}

static void test_ss_established_queues_and_internals(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_ss_sock s;
	char info[512];

	assert_int_equal(ts_tcp_send(t, "abc", 3, h->now), 3);
	seg_flush(h);
	seg_in(h, TH_ACK | TH_PSH, PEER_ISS + 1, h->iss + 1, 65535, NULL, "hello", 5);
	seg_flush(h);
	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.rq, 5);		/* unread by the program */
	assert_int_equal(s.wq, 3);		/* written, not acked */
	assert_int_equal(s.timer, TS_SS_TIMER_ON);
	assert_int_equal(s.has_info, 1);
	assert_int_equal(s.info.bytes_received, 5);
	assert_int_equal(s.info.bytes_acked, 1);	/* the SYN, as Linux */
	assert_int_equal(s.info.unacked, 1);
	assert_true(s.info.mss > 0);
	assert_true(s.info.cwnd > 0);
	assert_true(s.info.rto_us > 0);
	ts_ss_info_str(&s, info, sizeof(info));
	assert_non_null(strstr(info, "bytes_received:5"));
	assert_non_null(strstr(info, "unacked:1"));
	/* The peer acks: nothing in flight, the retransmission timer off. */
	seg_in(h, TH_ACK, PEER_ISS + 6, h->iss + 4, 65535, NULL, NULL, 0);
	seg_flush(h);
	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.wq, 0);
	assert_int_equal(s.info.bytes_acked, 4);
	assert_int_equal(s.info.unacked, 0);
	assert_int_not_equal(s.timer, TS_SS_TIMER_ON);
	assert_int_equal(ts_tcp_recv(t, info, sizeof(info), h->now), 5);
	seg_flush(h);
	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.rq, 0);
}

static void test_ss_time_wait_timer_counts_down(void **state)
{
	struct th *h = *state;
	struct ts_ss_sock a, b;
	char tm[64];

	tcb_time_wait(h);
	a = tcp_rec(h, TCPS_TIME_WAIT);
	assert_int_equal(a.timer, TS_SS_TIMER_TIMEWAIT);
	assert_int_equal(a.timer_retrans, 0);
	assert_int_equal(a.rq, 0);
	assert_int_equal(a.wq, 0);
	/* 2 MSL = 60 s (Linux's TCP_TIMEWAIT_LEN). */
	assert_true(a.timer_ms > 59000 && a.timer_ms <= 60000);
	th_advance(h, 19000000);
	b = tcp_rec(h, TCPS_TIME_WAIT);
	assert_int_equal(a.timer_ms - b.timer_ms, 19000);
	ts_ss_timer_str(&b, tm, sizeof(tm));
	assert_string_equal(tm, "timer:(timewait,41sec,0)");
	/* The test owns the TCB still; let it go. */
	th_advance(h, 42000000);
}

static void test_ss_keepalive_timer_shows_keepalive(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_established(h);
	struct ts_ss_sock s;
	char tm[64];

	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.timer, TS_SS_TIMER_OFF);	/* idle: ss prints no timer */
	assert_int_equal(ts_tcp_setopt(t, TS_TCP_KEEPALIVE, 1), 0);
	th_advance(h, 1000);
	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.timer, TS_SS_TIMER_KEEPALIVE);
	assert_int_equal(s.timer_retrans, 0);
	/* tcp_keepalive_time 7200 s, 1 ms later: ss truncates to "119min". */
	ts_ss_timer_str(&s, tm, sizeof(tm));
	assert_string_equal(tm, "timer:(keepalive,119min,0)");
}

static void test_ss_orphaned_fin_wait_2_shows_timewait_timer(void **state)
{
	struct th *h = *state;
	struct ts_tcb *t = tcb_fin_wait_2(h);
	struct ts_ss_sock s;

	assert_int_equal(ts_tcp_close(t, h->now), 0);
	h->tcb = NULL;
	seg_flush(h);
	s = tcp_rec(h, TCPS_FIN_WAIT_2);
	/* Linux keeps an orphaned FIN-WAIT-2 as a timewait socket for
	 * tcp_fin_timeout: ss shows timer:(timewait,...). */
	assert_int_equal(s.orphan, 1);
	assert_int_equal(s.timer, TS_SS_TIMER_TIMEWAIT);
	assert_true(s.timer_ms > 0 && s.timer_ms <= 60000);
	th_advance(h, 61000000);
}

static void test_ss_listener_queues_are_accept_queue_and_backlog(void **state)
{
	struct th *h = *state;
	struct ts_ss_sock s;
	struct ts_tcp_opts o = {0};

	tcb_listen(h, 5);
	s = tcp_rec(h, TCPS_LISTEN);
	assert_int_equal(s.rq, 0);
	assert_int_equal(s.wq, 5);
	assert_int_equal(s.raddr, 0);
	assert_int_equal(s.rport, 0);
	assert_int_equal(s.lport, TH_LPORT);
	o.has = TS_TCPO_MSS;
	o.mss = 1460;
	seg_in(h, TH_SYN, PEER_ISS, 0, 65535, &o, NULL, 0);
	assert_true(seg_pop(h));
	s = tcp_rec(h, TCPS_SYN_RECEIVED);
	assert_int_equal(s.timer, TS_SS_TIMER_ON);	/* SYN-ACK retransmission */
	seg_in(h, TH_ACK, PEER_ISS + 1, h->last.th.seq + 1, 65535, NULL, NULL, 0);
	seg_flush(h);
	s = tcp_rec(h, TCPS_LISTEN);
	assert_int_equal(s.rq, 1);	/* one connection not accepted yet */
	assert_int_equal(s.wq, 5);
	s = tcp_rec(h, TCPS_ESTABLISHED);
	assert_int_equal(s.rport, TH_PPORT);
	assert_int_equal(s.info.bytes_acked, 0);	/* a child: SYN not counted */
}

static void test_ss_udp_unconnected_and_connected(void **state)
{
	struct th *h = *state;
	struct ts_cred cred = {.uid = 0, .net_bind_service = 1, .net_admin = 1};
	struct ts_udp_sock *a, *b;
	struct found f = {.n = 0};
	int unconn = 0, estab = 0;

	assert_null(ts_udp_of(&h->eng));	/* the TCP harness has no UDP */
	assert_int_equal(ts_udp_init(&h->eng), 0);
	a = ts_udp_open(&h->eng, &cred);
	b = ts_udp_open(&h->eng, &cred);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(ts_udp_bind(&h->eng, a, 0, 5353, &cred), 0);
	assert_int_equal(ts_udp_connect(&h->eng, b, TS_IP4(127, 0, 0, 1), 53), 0);
	ts_ss_collect(&h->eng, h->now, grab, &f);
	for (int i = 0; i < f.n; i++) {
		if (f.v[i].proto != 17)
			continue;
		if (f.v[i].state == TCPS_CLOSED) {
			unconn++;
			assert_int_equal(f.v[i].lport, 5353);
			assert_int_equal(f.v[i].raddr, 0);
			assert_string_equal(ts_ss_state_name(&f.v[i]), "UNCONN");
		} else {
			estab++;
			assert_int_equal(f.v[i].raddr, TS_IP4(127, 0, 0, 1));
			assert_int_equal(f.v[i].rport, 53);
			assert_int_equal(f.v[i].laddr, TS_IP4(127, 0, 0, 1));
			assert_true(f.v[i].lport != 0);
			assert_string_equal(ts_ss_state_name(&f.v[i]), "ESTAB");
		}
		assert_int_equal(f.v[i].has_info, 0);
		assert_int_equal(f.v[i].timer, TS_SS_TIMER_OFF);
	}
	assert_int_equal(unconn, 1);
	assert_int_equal(estab, 1);
	ts_udp_close(&h->eng, a);
	ts_udp_close(&h->eng, b);
	ts_udp_destroy(&h->eng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ss_ms_timer_formats_as_iproute2),
		cmocka_unit_test(test_ss_timer_str_off_prints_nothing_on_prints_triple),
		cmocka_unit_test(test_ss_state_names_are_linux_spelling),
		cmocka_unit_test(test_ss_state_parse_names_groups_and_bad_words),
		cmocka_unit_test(test_ss_filter_default_listening_all_as_ss),
		cmocka_unit_test(test_ss_record_encodes_and_decodes_back),
		cmocka_unit_test(test_ss_info_str_in_ss_order_zero_fields_left_out),
		cmocka_unit_test(test_ss_addr_str_port_zero_is_star),
		cmocka_unit_test(test_ss_expr_ports_addresses_and_logic_as_ss),
		cmocka_unit_test_setup_teardown(test_ss_syn_sent_timer_on_falls_and_sendq_counts_syn,
						th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_established_queues_and_internals,
						th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_time_wait_timer_counts_down, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_keepalive_timer_shows_keepalive, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_orphaned_fin_wait_2_shows_timewait_timer,
						th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_listener_queues_are_accept_queue_and_backlog,
						th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_ss_udp_unconnected_and_connected, th_setup,
						th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
