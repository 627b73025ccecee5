/* Fault rules over the control socket: FAULT_ADD, FAULT_LIST, FAULT_DEL,
 * FAULT_CLEAR (bodies in ctl_proto.h).  The rule text is parsed here by
 * core/fault.c, so the daemon never trusts the client's parse.
 * Registered by tapsockd.c through ts_ctl_fault_register(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>

#include "ctl.h"
#include "daemon.h"
#include "fault.h"

static int op_fault_add(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char text[TS_CTL_MAX_STR + 1], err[256], canon[512];
	struct ts_fault_spec s;
	struct ts_ctl_rd r;
	int id;

	ts_ctl_rd_init(&r, req->body, req->len);
	ts_ctl_get_str(&r, text, sizeof(text));
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	if (ts_fault_parse(text, &s, err, sizeof(err)) < 0)
		return -EINVAL;
	id = ts_fault_add(&d->eng, &s);
	if (id < 0)
		return id;
	ts_fault_format(&s, canon, sizeof(canon));
	ts_log("fault rule %d: %s (pid %d)", id, canon, (int)req->conn->cred.pid);
	ts_ctl_put_u32(&rep->body, (uint32_t)id);
	ts_ctl_put_str(&rep->body, canon);
	return 0;
}

static int op_fault_list(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	char canon[512];

	if (req->len != 0)
		return -EINVAL;
	ts_ctl_put_u32(&rep->body, d->eng.fault.nrules);
	for (const struct ts_fault_rule *r = d->eng.fault.rules; r != NULL; r = r->next) {
		ts_fault_format(&r->spec, canon, sizeof(canon));
		ts_ctl_put_u32(&rep->body, r->id);
		ts_ctl_put_str(&rep->body, canon);
		ts_ctl_put_u64(&rep->body, r->matched);
		ts_ctl_put_u64(&rep->body, r->acted);
	}
	return 0;
}

static int op_fault_del(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_rd r;
	uint32_t id;
	int err;

	ts_ctl_rd_init(&r, req->body, req->len);
	id = ts_ctl_get_u32(&r);
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	err = ts_fault_del(&d->eng, id);
	if (err == 0)
		ts_log("fault rule %u deleted (pid %d)", (unsigned)id, (int)req->conn->cred.pid);
	return err;
}

static int op_fault_clear(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	if (req->len != 0)
		return -EINVAL;
	ts_fault_clear(&d->eng);
	ts_log("fault rules cleared (pid %d)", (int)req->conn->cred.pid);
	return 0;
}

void ts_ctl_fault_register(void)
{
	ts_ctl_register(TS_CTL_OP_FAULT_ADD, op_fault_add);
	ts_ctl_register(TS_CTL_OP_FAULT_LIST, op_fault_list);
	ts_ctl_register(TS_CTL_OP_FAULT_DEL, op_fault_del);
	ts_ctl_register(TS_CTL_OP_FAULT_CLEAR, op_fault_clear);
}
