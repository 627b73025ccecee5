/* The framework's control ops: HELLO, STAT, STAT_RESET, SYSCTL_GET,
 * SYSCTL_SET.  Registered by tapsockd.c through ts_ctl_core_register();
 * bodies as described in ctl_proto.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "daemon.h"

static int op_hello(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_hello_req in;
	struct ts_ctl_hello_rep out = {
		.addr = d->eng.addr,
		.prefix_len = (uint8_t)d->prefix_len,
		.gw = d->eng.gw,
		.mtu = d->eng.mtu,
		.daemon_pid = (uint32_t)getpid(),
	};
	int r = ts_ctl_hello_req_decode(req->body, req->len, &in);

	if (r < 0)
		return r;
	memcpy(req->conn->client, in.client, sizeof(req->conn->client));
	memcpy(out.mac, d->eng.mac, sizeof(out.mac));
	memcpy(out.ifname, d->tap.name, sizeof(out.ifname) - 1);
	return ts_ctl_hello_rep_encode(&rep->body, &out);
}

static int op_stat(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	if (req->len != 0)
		return -EINVAL;
	ts_ctl_put_u32(&rep->body, TS_STAT_COUNT);
	for (int i = 0; i < TS_STAT_COUNT; i++) {
		ts_ctl_put_str(&rep->body, ts_stat_name(i));
		ts_ctl_put_u64(&rep->body, ts_stat_get(&d->eng.stats, i));
	}
	return 0;
}

static int op_stat_reset(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	if (req->len != 0)
		return -EINVAL;
	memset(&d->eng.stats, 0, sizeof(d->eng.stats));
	ts_log("counters reset (pid %d)", (int)req->conn->cred.pid);
	return 0;
}

static void put_sysctl(struct ts_daemon *d, struct ts_ctl_wr *w, int i)
{
	char val[256];

	if (ts_sysctl_format(&d->eng.sysctl, i, val, sizeof(val)) < 0)
		strcpy(val, "?");
	ts_ctl_put_str(w, ts_sysctl_key(i));
	ts_ctl_put_str(w, val);
}

static int op_sysctl_get(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char key[TS_CTL_MAX_STR + 1];
	struct ts_ctl_rd r;
	int i;

	ts_ctl_rd_init(&r, req->body, req->len);
	ts_ctl_get_str(&r, key, sizeof(key));
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	if (key[0] == '\0') {
		ts_ctl_put_u32(&rep->body, TS_SYSCTL_COUNT);
		for (i = 0; i < TS_SYSCTL_COUNT; i++)
			put_sysctl(d, &rep->body, i);
		return 0;
	}
	i = ts_sysctl_find(key);
	if (i < 0)
		return -ENOENT;
	ts_ctl_put_u32(&rep->body, 1);
	put_sysctl(d, &rep->body, i);
	return 0;
}

static int op_sysctl_set(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char key[TS_CTL_MAX_STR + 1], val[TS_CTL_MAX_STR + 1];
	struct ts_ctl_rd r;
	int i, err;

	ts_ctl_rd_init(&r, req->body, req->len);
	ts_ctl_get_str(&r, key, sizeof(key));
	ts_ctl_get_str(&r, val, sizeof(val));
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	i = ts_sysctl_find(key);
	if (i < 0)
		return -ENOENT;
	err = ts_sysctl_set(&d->eng.sysctl, key, val);
	if (err < 0)
		return err;
	ts_log("sysctl %s = %s (pid %d)", ts_sysctl_key(i), val, (int)req->conn->cred.pid);
	put_sysctl(d, &rep->body, i);
	return 0;
}

void ts_ctl_core_register(void)
{
	ts_ctl_register(TS_CTL_OP_HELLO, op_hello);
	ts_ctl_register(TS_CTL_OP_STAT, op_stat);
	ts_ctl_register(TS_CTL_OP_STAT_RESET, op_stat_reset);
	ts_ctl_register(TS_CTL_OP_SYSCTL_GET, op_sysctl_get);
	ts_ctl_register(TS_CTL_OP_SYSCTL_SET, op_sysctl_set);
}
