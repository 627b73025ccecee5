/* The socket control ops (TS_CTL_OP_SOCK_*): socket, bind, connect,
 * getsockname/getpeername, setsockopt/getsockopt, autobind, query.  The
 * shim sends them; each but SOCKET names its socket by passing the
 * program's fd, so a process can only use sockets it holds.  Credentials
 * (SO_PEERCRED, and the capabilities of that pid) decide privileged binds. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "ctl.h"
#include "sockd.h"

#define CAP_BIT_NET_BIND_SERVICE 10
#define CAP_BIT_NET_ADMIN 12

/* The caller's credentials: uid from SO_PEERCRED; capabilities from the
 * effective set of that pid (uid 0 has them all, as Linux without user
 * namespaces). */
static void conn_cred(const struct ts_ctl_conn *conn, struct ts_cred *cred)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	FILE *f;

	memset(cred, 0, sizeof(*cred));
	cred->uid = conn->cred.uid;
	if (conn->cred.uid == 0) {
		cred->net_bind_service = 1;
		cred->net_admin = 1;
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)conn->cred.pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	cred->net_bind_service = (caps >> CAP_BIT_NET_BIND_SERVICE) & 1;
	cred->net_admin = (caps >> CAP_BIT_NET_ADMIN) & 1;
}

/* Decodes the request and finds the socket named by its fd. */
static int sock_req(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_sock_req *m,
		    struct ts_chan **c)
{
	int r = ts_ctl_sock_req_decode(req->body, req->len, m);

	if (r < 0)
		return -EINVAL;
	if (req->nfds != 1)
		return -EBADF;
	*c = ts_chan_find_fd(d, req->fds[0]);
	if (*c == NULL || (*c)->us == NULL)
		return -ENOTSOCK;
	/* Datagrams written before this call go first (program order). */
	ts_chan_pump(*c);
	if ((*c)->us == NULL)
		return -ENOTSOCK;
	return 0;
}

static int reply_name(struct ts_ctl_rep *rep, const struct ts_sock *sk, int peer)
{
	struct ts_ctl_sock_rep out = {.id = sk->id};

	out.addr = peer ? sk->t.raddr : sk->t.laddr;
	out.port = peer ? sk->t.rport : sk->t.lport;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

static int op_socket(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_cred cred;
	struct ts_chan *c;
	int r, afd;

	if (ts_ctl_sock_req_decode(req->body, req->len, &m) < 0)
		return -EINVAL;
	if (m.type != SOCK_DGRAM || (m.proto != 0 && m.proto != IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	conn_cred(req->conn, &cred);
	r = ts_chan_udp_create(d, &cred, &c, &afd);
	if (r < 0)
		return r;
	rep->fds[0] = afd;
	rep->nfds = 1;
	ts_debug(d, "pid %d: udp socket %llu", (int)req->conn->cred.pid,
		 (unsigned long long)c->us->sk.id);
	return reply_name(rep, &c->us->sk, 0);
}

static int op_bind(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_cred cred;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	conn_cred(req->conn, &cred);
	r = ts_udp_bind(&d->eng, c->us, m.addr, m.port, &cred);
	if (r == -EADDRINUSE) {
		/* Maybe the holder was closed a moment ago: settle, retry. */
		ts_chan_settle(d, m.port);
		r = ts_udp_bind(&d->eng, c->us, m.addr, m.port, &cred);
	}
	if (r < 0)
		return r;
	return reply_name(rep, &c->us->sk, 0);
}

static int op_connect(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	if (m.flag == 1) {
		r = ts_udp_disconnect(&d->eng, c->us);
	} else {
		r = ts_udp_connect(&d->eng, c->us, m.addr, m.port);
		if (r == -EAGAIN) {
			ts_chan_settle(d, 0);
			r = ts_udp_connect(&d->eng, c->us, m.addr, m.port);
		}
	}
	if (r < 0)
		return r;
	return reply_name(rep, &c->us->sk, 0);
}

static int op_name(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	if (m.flag == 1 && c->us->sk.t.raddr == 0 && c->us->sk.t.rport == 0)
		return -ENOTCONN;
	return reply_name(rep, &c->us->sk, m.flag == 1);
}

static int op_autobind(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	r = ts_udp_autobind(&d->eng, c->us);
	if (r == -EAGAIN) {
		ts_chan_settle(d, 0);
		r = ts_udp_autobind(&d->eng, c->us);
	}
	if (r < 0)
		return r;
	return reply_name(rep, &c->us->sk, 0);
}

static int op_setopt(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_cred cred;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	conn_cred(req->conn, &cred);
	r = ts_sock_setopt(&d->eng, &c->us->sk, m.level, m.name, m.opt, m.n, &cred);
	if (r < 0)
		return r;
	if (m.level == SOL_SOCKET && (m.name == SO_RCVBUF || m.name == SO_RCVBUFFORCE))
		ts_chan_sync_bufs(c);
	return reply_name(rep, &c->us->sk, 0);
}

static int op_getopt(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_ctl_sock_rep out;
	struct ts_chan *c;
	size_t len;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	memset(&out, 0, sizeof(out));
	len = m.optlen > TS_CHAN_MAX_OPT ? TS_CHAN_MAX_OPT : m.optlen;
	r = ts_sock_getopt(&d->eng, &c->us->sk, m.level, m.name, out.opt, &len);
	if (r < 0)
		return r;
	out.n = (uint16_t)len;
	out.id = c->us->sk.id;
	return ts_ctl_sock_rep_encode(&rep->body, &out);
}

static int op_query(struct ts_daemon *d, struct ts_ctl_req *req, struct ts_ctl_rep *rep)
{
	struct ts_ctl_sock_req m;
	struct ts_chan *c;
	int r = sock_req(d, req, &m, &c);

	if (r < 0)
		return r;
	return reply_name(rep, &c->us->sk, 0);
}

void ts_ctl_sock_register(void)
{
	ts_ctl_register(TS_CTL_OP_SOCK_SOCKET, op_socket);
	ts_ctl_register(TS_CTL_OP_SOCK_BIND, op_bind);
	ts_ctl_register(TS_CTL_OP_SOCK_CONNECT, op_connect);
	ts_ctl_register(TS_CTL_OP_SOCK_NAME, op_name);
	ts_ctl_register(TS_CTL_OP_SOCK_SETOPT, op_setopt);
	ts_ctl_register(TS_CTL_OP_SOCK_GETOPT, op_getopt);
	ts_ctl_register(TS_CTL_OP_SOCK_AUTOBIND, op_autobind);
	ts_ctl_register(TS_CTL_OP_SOCK_QUERY, op_query);
}

int ts_ctl_sock_attach(struct ts_daemon *d)
{
	return ts_udp_of(&d->eng) != NULL ? 0 : ts_udp_init(&d->eng);
}

void ts_ctl_sock_shutdown(struct ts_daemon *d)
{
	ts_chan_shutdown_all(d);
	ts_udp_destroy(&d->eng);
}
