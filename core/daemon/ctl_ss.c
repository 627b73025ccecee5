/* The SS control op: a snapshot of every engine socket (TCP, then UDP) as
 * core/ss.h records, in pages of what fits one reply.  Registered from
 * tapsockd.c; the CLI side is core/cli/ss.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_ss.h"
#include "sockd.h"
#include "ss.h"
#include "tcp_fsm.h"

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

/* Bytes queued for reading on the UNIX socket with inode ino (end A: what
 * the program has not read yet), from unix_diag's UDIAG_SHOW_RQLEN (for a
 * stream or seqpacket socket, unix_inq_len: the bytes of every message
 * queued).  0 or a negative errno. */
static int unix_rqueue(uint64_t ino, uint32_t *bytes)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req;
	union {
		struct nlmsghdr nlh;
		uint8_t buf[1024];
	} rep;
	const struct unix_diag_msg *m;
	const struct rtattr *a;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	ssize_t n;
	int len, r = -ENOENT;

	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)ino;
	req.r.udiag_show = UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto out;
	n = recv(fd, &rep, sizeof(rep), 0);
	/* The reply is the kernel's, still checked before it is read. */
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*m)) || rep.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    rep.nlh.nlmsg_len > (size_t)n)
		goto out;
	m = NLMSG_DATA(&rep.nlh);
	len = (int)(rep.nlh.nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_RQLEN &&
		    RTA_PAYLOAD(a) >= (int)sizeof(struct unix_diag_rqlen)) {
			struct unix_diag_rqlen q;

			memcpy(&q, RTA_DATA(a), sizeof(q));
			*bytes = q.udiag_rqueue;
			r = 0;
			break;
		}
	}
out:
	close(fd);
	return r;
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
		uint32_t q = 0;

		if (ts_ss_tcp_chan(obj, &ch) == 0 && ch.ino != 0) {
			s->ino = ch.ino;
			/* Linux: a connection's Recv-Q is every byte the
			 * program has not read, a listener's the connections
			 * it has not accepted. */
			if (unix_rqueue(ch.ino, &q) == 0) {
				if (s->state == TCPS_LISTEN)
					s->rq += ch.acc_rec ? q / ch.acc_rec : 0;
				else if (s->state != TCPS_TIME_WAIT)
					s->rq += q;
			}
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
