/* The SS control op: a snapshot of every engine socket (TCP, then UDP) as
 * core/ss.h records, in pages of what fits one reply.  Registered from
 * tapsockd.c; the CLI side is core/cli/ss.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ctl.h"
#include "ctl_ss.h"
#include "sockd.h"
#include "ss.h"

int (*ts_ss_tcp_chan)(const struct ts_tcb *tcb, struct ts_ss_chan *out);

struct snap {
	struct ts_ss_sock *v;
	size_t n, cap;
	int err;
};

/* What the program has not read from a UDP channel yet: the kernel's
 * queue on B (SIOCOUTQ: truesize not yet consumed by A's reader), which
 * Linux would count in sk_rmem_alloc. */
static uint32_t chan_outq(int fd)
{
	int v = 0;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &v) < 0 || v < 0)
		return 0;
	return (uint32_t)v;
}

static void add(struct ts_ss_sock *s, const void *obj, void *arg)
{
	struct snap *sn = arg;

	if (s->proto == 17) {
		const struct ts_udp_sock *us = obj;

		/* Every UDP socket of the daemon is a channel's
		 * (ts_chan_udp_create sets the event and its argument). */
		if (us->event != NULL && us->event_arg != NULL) {
			const struct ts_chan *c = us->event_arg;

			s->ino = (uint64_t)c->ino;
			s->rq += chan_outq(c->fd);
		}
	} else if (ts_ss_tcp_chan != NULL) {
		struct ts_ss_chan ch = {0};

		if (ts_ss_tcp_chan(obj, &ch) == 0) {
			s->ino = ch.ino;
			s->rq += ch.rq;
		}
	}
	if (sn->err)
		return;
	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? 2 * sn->cap : 64;
		struct ts_ss_sock *v = realloc(sn->v, cap * sizeof(*v));

		if (v == NULL) {
			sn->err = -ENOMEM;
			return;
		}
		sn->v = v;
		sn->cap = cap;
	}
	sn->v[sn->n++] = *s;
}

static int op_ss(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct snap sn = {0};
	struct ts_ctl_rd r;
	size_t room, i, n;
	uint32_t skip;

	ts_ctl_rd_init(&r, req->body, req->len);
	skip = ts_ctl_get_u32(&r);
	if (ts_ctl_rd_end(&r) < 0)
		return -EINVAL;
	ts_ss_collect(&d->eng, ts_daemon_now(), add, &sn);
	if (sn.err) {
		free(sn.v);
		return sn.err;
	}
	room = (rep->body.cap - 8) / TS_SS_MAX_ENCODED;
	n = skip < sn.n ? sn.n - skip : 0;
	if (n > room)
		n = room;
	ts_ctl_put_u32(&rep->body, (uint32_t)sn.n);
	ts_ctl_put_u32(&rep->body, (uint32_t)n);
	for (i = 0; i < n; i++)
		ts_ss_encode(&rep->body, &sn.v[skip + i]);
	free(sn.v);
	return rep->body.err ? -EMSGSIZE : 0;
}

void ts_ctl_ss_register(void)
{
	ts_ctl_register(TS_CTL_OP_SS, op_ss);
}
