/* The protocol-generic socket table: port buckets and the 4-tuple hash,
 * ephemeral port allocation and Linux's bind conflict rules, and the
 * socket options every protocol shares.  Called by udp.c and tcp*.c, and by
 * the daemon's socket ops through them. */
#include "sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"

/* Linux's SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF on 64-bit: 2 * (2048 + skb
 * overhead) rounded as sock.h computes them. */
#define TS_SOCK_MIN_RCVBUF 2304
#define TS_SOCK_MIN_SNDBUF 4608

static uint64_t next_sock_id = 1;

/* IP-level options programs commonly set, which tapsock accepts and reads
 * back with Linux's defaults and ranges but does not act on yet (no
 * error queue, no ancillary data). */
static const struct {
	int name, def, lo, hi;
} stored_ipopts[8] = {
	{IP_RECVERR, 0, INT32_MIN, INT32_MAX},
	{IP_PKTINFO, 0, INT32_MIN, INT32_MAX},
	{IP_MTU_DISCOVER, IP_PMTUDISC_WANT, IP_PMTUDISC_DONT, IP_PMTUDISC_OMIT},
	{IP_RECVTTL, 0, INT32_MIN, INT32_MAX},
	{IP_RECVTOS, 0, INT32_MIN, INT32_MAX},
	{IP_MULTICAST_TTL, 1, -1, 255},
	{IP_MULTICAST_LOOP, 1, INT32_MIN, INT32_MAX},
	{IP_FREEBIND, 0, INT32_MIN, INT32_MAX},
};

static int stored_ipopt(int name)
{
	for (int i = 0; i < (int)(sizeof(stored_ipopts) / sizeof(stored_ipopts[0])); i++)
		if (stored_ipopts[i].name == name)
			return i;
	return -1;
}

void ts_sock_table_init(struct ts_sock_table *tab, uint8_t proto)
{
	memset(tab, 0, sizeof(*tab));
	tab->proto = proto;
}

void ts_sock_table_destroy(struct ts_sock_table *tab)
{
	struct ts_sock_port *p, *ptmp;
	struct ts_sock *sk, *stmp;

	HASH_ITER(hh, tab->conns, sk, stmp) {
		HASH_DELETE(hh, tab->conns, sk);
		sk->in_conn = 0;
	}
	HASH_ITER(hh, tab->ports, p, ptmp) {
		for (sk = p->socks; sk != NULL; sk = sk->pnext) {
			sk->in_port = 0;
			sk->port = NULL;
		}
		HASH_DELETE(hh, tab->ports, p);
		free(p);
	}
	tab->count = 0;
}

void ts_sock_init(struct ts_engine *eng, struct ts_sock *sk, uint8_t proto,
		  uint8_t type, const struct ts_cred *cred)
{
	memset(sk, 0, sizeof(*sk));
	sk->proto = proto;
	sk->type = type;
	sk->uid = cred != NULL ? cred->uid : 0;
	sk->id = next_sock_id++;
	sk->rcvbuf = (int)eng->sysctl.rmem_default[0];
	sk->sndbuf = (int)eng->sysctl.wmem_default[0];
	sk->ttl = -1;
	for (int i = 0; i < (int)(sizeof(stored_ipopts) / sizeof(stored_ipopts[0])); i++)
		sk->ipopt[i] = stored_ipopts[i].def;
}

int ts_sock_addr_is_bcast(const struct ts_engine *eng, uint32_t addr)
{
	if (addr == 0xffffffffu)
		return 1;
	/* The subnet's directed broadcast (not for /31 and /32). */
	if (eng->mask != 0 && eng->mask < 0xfffffffeu &&
	    addr == ((eng->addr & eng->mask) | ~eng->mask))
		return 1;
	return 0;
}

/* Linux inet_bind: RTN_LOCAL, RTN_MULTICAST and RTN_BROADCAST addresses
 * (and INADDR_ANY) may be bound; anything else is EADDRNOTAVAIL unless
 * ip_nonlocal_bind, which tapsock does not have. */
int ts_sock_addr_bindable(const struct ts_engine *eng, uint32_t addr)
{
	if (addr == 0 || (addr >> 24) == 127 || (eng->addr != 0 && addr == eng->addr))
		return 1;
	if ((addr >> 28) == 0xe)
		return 1;
	return ts_sock_addr_is_bcast(eng, addr);
}

static struct ts_sock_port *port_find(const struct ts_sock_table *tab, uint16_t port)
{
	struct ts_sock_port *p;

	HASH_FIND(hh, tab->ports, &port, sizeof(port), p);
	return p;
}

/* Linux inet_rcv_saddr_equal(match_wildcard = true). */
static int addr_overlap(uint32_t a, uint32_t b)
{
	return a == b || a == 0 || b == 0;
}

/* One pair, as Linux decides it: udp_lib_lport_inuse for UDP,
 * inet_csk_bind_conflict(relax = true, reuseport_ok = true) for TCP. */
static int pair_conflict(uint8_t proto, const struct ts_sock *sk, const struct ts_sock *sk2,
			 uint32_t addr)
{
	if (sk == sk2 || !addr_overlap(addr, sk2->t.laddr))
		return 0;
	/* SO_REUSEPORT on both, same owner (or the other in TIME_WAIT). */
	if (sk->reuseport && sk2->reuseport &&
	    (sk2->bstate == TS_SOCK_TIME_WAIT || sk2->uid == sk->uid))
		return 0;
	/* SO_REUSEADDR on both: UDP shares freely; TCP unless the other is
	 * listening (Linux: "sk2->sk_state != TCP_LISTEN"). */
	if (sk->reuseaddr && sk2->reuseaddr &&
	    (proto != IPPROTO_TCP || sk2->bstate != TS_SOCK_LISTEN))
		return 0;
	return 1;
}

int ts_sock_conflict(const struct ts_sock_table *tab, const struct ts_sock *sk,
		     uint32_t addr, uint16_t port)
{
	const struct ts_sock_port *p = port_find(tab, port);

	if (p == NULL)
		return 0;
	for (const struct ts_sock *sk2 = p->socks; sk2 != NULL; sk2 = sk2->pnext)
		if (pair_conflict(tab->proto, sk, sk2, addr))
			return 1;
	return 0;
}

static int port_insert(struct ts_sock_table *tab, struct ts_sock *sk, uint16_t port)
{
	struct ts_sock_port *p = port_find(tab, port);

	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		p->port = port;
		HASH_ADD(hh, tab->ports, port, sizeof(p->port), p);
	}
	sk->pnext = p->socks;
	p->socks = sk;
	p->n++;
	sk->port = p;
	sk->in_port = 1;
	sk->t.lport = port;
	tab->count++;
	return 0;
}

static void port_remove(struct ts_sock_table *tab, struct ts_sock *sk)
{
	struct ts_sock_port *p = sk->port;
	struct ts_sock **pp;

	if (!sk->in_port || p == NULL)
		return;
	for (pp = &p->socks; *pp != NULL; pp = &(*pp)->pnext) {
		if (*pp == sk) {
			*pp = sk->pnext;
			break;
		}
	}
	sk->pnext = NULL;
	sk->port = NULL;
	sk->in_port = 0;
	tab->count--;
	if (--p->n == 0) {
		HASH_DELETE(hh, tab->ports, p);
		free(p);
	}
}

static uint32_t table_rand(struct ts_engine *eng)
{
	/* xorshift64 on the engine's state, so tests can seed it. */
	uint64_t x = eng->rand_state ? eng->rand_state : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	eng->rand_state = x;
	return (uint32_t)(x >> 32);
}

/* An ephemeral port for sk on addr, from net.ipv4.ip_local_port_range.
 * Linux starts each search at a random offset; tapsock starts the first at
 * a random offset and each later one just past the previous choice, so
 * consecutive binds never try the same port twice.  The scan visits every
 * port of the range once, so a full range ends in -EADDRINUSE, never a
 * loop. */
static int pick_ephemeral(struct ts_engine *eng, struct ts_sock_table *tab,
			  struct ts_sock *sk, uint32_t addr)
{
	uint32_t lo = (uint32_t)eng->sysctl.ip_local_port_range[0];
	uint32_t hi = (uint32_t)eng->sysctl.ip_local_port_range[1];
	uint32_t n, off;

	if (lo == 0)
		lo = 1;
	if (hi > 65535)
		hi = 65535;
	if (hi < lo)
		return -EADDRINUSE;
	n = hi - lo + 1;
	if (!tab->hint_set) {
		tab->hint = table_rand(eng);
		tab->hint_set = 1;
	}
	off = tab->hint % n;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + (off + i) % n);

		if (!ts_sock_conflict(tab, sk, addr, port)) {
			tab->hint = off + i + 1;
			return port;
		}
	}
	return -EADDRINUSE;
}

int ts_sock_bind(struct ts_engine *eng, struct ts_sock_table *tab, struct ts_sock *sk,
		 uint32_t addr, uint16_t port, const struct ts_cred *cred)
{
	uint16_t asked = port;
	int r;

	if (!ts_sock_addr_bindable(eng, addr))
		return -EADDRNOTAVAIL;
	/* Linux inet_bind: the privilege check comes before "already bound". */
	if (port != 0 && port < eng->sysctl.ip_unprivileged_port_start[0] &&
	    (cred == NULL || !cred->net_bind_service))
		return -EACCES;
	if (sk->in_port || sk->t.lport != 0)
		return -EINVAL;
	if (port == 0) {
		r = pick_ephemeral(eng, tab, sk, addr);
		if (r < 0)
			return r;
		port = (uint16_t)r;
	} else if (ts_sock_conflict(tab, sk, addr, port)) {
		return -EADDRINUSE;
	}
	r = port_insert(tab, sk, port);
	if (r < 0)
		return r;
	sk->t.laddr = addr;
	/* Linux sets SOCK_BINDADDR_LOCK for a non-wildcard address and
	 * SOCK_BINDPORT_LOCK only for a non-zero port: disconnect unbinds
	 * what bind did not choose explicitly. */
	sk->addr_locked = addr != 0;
	sk->port_locked = asked != 0;
	return 0;
}

int ts_sock_autobind(struct ts_engine *eng, struct ts_sock_table *tab, struct ts_sock *sk)
{
	int r;

	if (sk->in_port)
		return 0;
	r = pick_ephemeral(eng, tab, sk, sk->t.laddr);
	if (r < 0)
		return -EAGAIN;
	return port_insert(tab, sk, (uint16_t)r);
}

static void conn_remove(struct ts_sock_table *tab, struct ts_sock *sk)
{
	if (sk->in_conn) {
		HASH_DELETE(hh, tab->conns, sk);
		sk->in_conn = 0;
	}
}

void ts_sock_set_peer(struct ts_sock_table *tab, struct ts_sock *sk, uint32_t laddr,
		      uint32_t raddr, uint16_t rport)
{
	conn_remove(tab, sk);
	if (raddr == 0 && rport == 0) {
		sk->t.raddr = 0;
		sk->t.rport = 0;
		/* Linux udp_disconnect: forget an address the user did not
		 * bind, and the port too when bind did not choose it. */
		if (!sk->addr_locked)
			sk->t.laddr = 0;
		if (!sk->port_locked) {
			port_remove(tab, sk);
			sk->t.lport = 0;
		}
		return;
	}
	if (sk->t.laddr == 0)
		sk->t.laddr = laddr;
	sk->t.raddr = raddr;
	sk->t.rport = rport;
	HASH_ADD(hh, tab->conns, t, sizeof(sk->t), sk);
	sk->in_conn = 1;
}

void ts_sock_unhash(struct ts_sock_table *tab, struct ts_sock *sk)
{
	conn_remove(tab, sk);
	port_remove(tab, sk);
}

uint32_t ts_sock_flow_hash(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	/* A small integer mix (murmur3 finaliser) of the 4-tuple. */
	uint32_t h = saddr * 0x9e3779b1u;

	h ^= daddr + 0x7f4a7c15u + (h << 6) + (h >> 2);
	h ^= ((uint32_t)sport << 16 | dport) + 0x85ebca6bu + (h << 6) + (h >> 2);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Can an unconnected bound socket take a datagram for laddr? */
static int bound_score(const struct ts_sock_table *tab, const struct ts_sock *sk, uint32_t laddr)
{
	if (sk->t.raddr != 0 || sk->t.rport != 0)
		return 0;
	if (tab->proto == IPPROTO_TCP && sk->bstate != TS_SOCK_LISTEN)
		return 0;
	if (sk->t.laddr == laddr)
		return 2;
	if (sk->t.laddr == 0)
		return 1;
	return 0;
}

struct ts_sock *ts_sock_lookup(const struct ts_sock_table *tab, uint32_t laddr,
			       uint16_t lport, uint32_t raddr, uint16_t rport,
			       uint32_t hash)
{
	struct ts_tuple key = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};
	const struct ts_sock_port *p;
	struct ts_sock *sk, *best = NULL;
	int best_score = 0, group = 0;

	HASH_FIND(hh, tab->conns, &key, sizeof(key), sk);
	if (sk != NULL)
		return sk;
	p = port_find(tab, lport);
	if (p == NULL)
		return NULL;
	for (sk = p->socks; sk != NULL; sk = sk->pnext) {
		int s = bound_score(tab, sk, laddr);

		/* Newest first: among equals without SO_REUSEPORT the socket
		 * bound last wins, as in Linux's UDP hash chains. */
		if (s > best_score) {
			best = sk;
			best_score = s;
		}
	}
	if (best == NULL || !best->reuseport)
		return best;
	/* Linux reuseport_select_sock: the group is the sockets with
	 * SO_REUSEPORT on the same address and port, same owner; one is
	 * chosen by the flow hash, so a flow always reaches the same one. */
	for (sk = p->socks; sk != NULL; sk = sk->pnext)
		if (sk->reuseport && sk->uid == best->uid && sk->t.laddr == best->t.laddr &&
		    bound_score(tab, sk, laddr) == best_score)
			group++;
	group = (int)(hash % (uint32_t)group);
	for (sk = p->socks; sk != NULL; sk = sk->pnext)
		if (sk->reuseport && sk->uid == best->uid && sk->t.laddr == best->t.laddr &&
		    bound_score(tab, sk, laddr) == best_score && group-- == 0)
			return sk;
	return best;
}

int ts_sock_foreach_match(const struct ts_sock_table *tab, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport,
			  void (*fn)(struct ts_sock *sk, void *arg), void *arg)
{
	const struct ts_sock_port *p = port_find(tab, lport);
	struct ts_sock *sk, *next;
	int n = 0;

	if (p == NULL)
		return 0;
	for (sk = p->socks; sk != NULL; sk = next) {
		next = sk->pnext;
		/* Linux __udp_is_mcast_sock: a bound address must match
		 * (or be the wildcard); a connected socket only hears its
		 * peer. */
		if (sk->t.laddr != 0 && sk->t.laddr != laddr)
			continue;
		if (sk->t.raddr != 0 && (sk->t.raddr != raddr || sk->t.rport != rport))
			continue;
		n++;
		if (fn != NULL)
			fn(sk, arg);
	}
	return n;
}

/* --- options ------------------------------------------------------------ */

static int get_int_opt(const void *val, size_t len, int *out)
{
	if (val == NULL || len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* Linux sock_setsockopt SO_RCVBUF: min(val, rmem_max) doubled, at least
 * SOCK_MIN_RCVBUF; the FORCE variants skip the max for CAP_NET_ADMIN. */
static int set_buf(int val, int64_t max, int min, int force)
{
	int64_t v = val;

	if (!force && v > max)
		v = max;
	if (v < 0)
		v = 0;
	v *= 2;
	if (v > 0x7fffffff)
		v = 0x7fffffff;
	if (v < min)
		v = min;
	return (int)v;
}

int ts_sock_setopt(struct ts_engine *eng, struct ts_sock *sk, int level, int name,
		   const void *val, size_t len, const struct ts_cred *cred)
{
	int v = 0, r;

	if (level == SOL_SOCKET) {
		/* Linux sock_setsockopt: every option here takes an int. */
		r = get_int_opt(val, len, &v);
		if (r < 0)
			return r;
		switch (name) {
		case SO_REUSEADDR:
			sk->reuseaddr = v != 0;
			return 0;
		case SO_REUSEPORT:
			sk->reuseport = v != 0;
			return 0;
		case SO_BROADCAST:
			sk->broadcast = v != 0;
			return 0;
		case SO_KEEPALIVE:
			sk->keepalive = v != 0;
			return 0;
		case SO_DONTROUTE:
			sk->dontroute = v != 0;
			return 0;
		case SO_OOBINLINE:
			sk->oobinline = v != 0;
			return 0;
		case SO_PRIORITY:
			/* Linux: 0..6 for everyone, more with CAP_NET_ADMIN. */
			if ((v < 0 || v > 6) && (cred == NULL || !cred->net_admin))
				return -EPERM;
			sk->priority = v;
			return 0;
		case SO_RCVBUF:
			sk->rcvbuf = set_buf(v, eng->sysctl.rmem_max[0], TS_SOCK_MIN_RCVBUF, 0);
			return 0;
		case SO_SNDBUF:
			sk->sndbuf = set_buf(v, eng->sysctl.wmem_max[0], TS_SOCK_MIN_SNDBUF, 0);
			return 0;
		case SO_RCVBUFFORCE:
			if (cred == NULL || !cred->net_admin)
				return -EPERM;
			sk->rcvbuf = set_buf(v, 0, TS_SOCK_MIN_RCVBUF, 1);
			return 0;
		case SO_SNDBUFFORCE:
			if (cred == NULL || !cred->net_admin)
				return -EPERM;
			sk->sndbuf = set_buf(v, 0, TS_SOCK_MIN_SNDBUF, 1);
			return 0;
		case SO_TYPE:
		case SO_PROTOCOL:
		case SO_DOMAIN:
		case SO_ERROR:
			return -ENOPROTOOPT;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) {
		/* Linux do_ip_setsockopt: an int, or a single byte. */
		if (val == NULL)
			return -EFAULT;
		if (len >= sizeof(int)) {
			memcpy(&v, val, sizeof(int));
		} else if (len >= 1) {
			v = *(const unsigned char *)val;
		} else {
			return -EINVAL;
		}
		switch (name) {
		case IP_TTL:
			if (len < 1)
				return -EINVAL;
			if (v != -1 && (v < 1 || v > 255))
				return -EINVAL;
			sk->ttl = v;
			return 0;
		case IP_TOS:
			sk->tos = (uint8_t)v;
			return 0;
		default: {
			int i = stored_ipopt(name);

			if (i < 0)
				return -ENOPROTOOPT;
			if (v < stored_ipopts[i].lo || v > stored_ipopts[i].hi)
				return -EINVAL;
			/* Booleans read back as 0/1, as Linux stores them. */
			if (stored_ipopts[i].lo == INT32_MIN)
				v = v != 0;
			if (name == IP_MULTICAST_TTL && v == -1)
				v = 1;
			sk->ipopt[i] = v;
			return 0;
		}
		}
	}
	return -ENOPROTOOPT;
}

int ts_sock_getopt(struct ts_engine *eng, struct ts_sock *sk, int level, int name,
		   void *val, size_t *len)
{
	int v;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: v = sk->reuseaddr; break;
		case SO_REUSEPORT: v = sk->reuseport; break;
		case SO_BROADCAST: v = sk->broadcast; break;
		case SO_KEEPALIVE: v = sk->keepalive; break;
		case SO_DONTROUTE: v = sk->dontroute; break;
		case SO_OOBINLINE: v = sk->oobinline; break;
		case SO_PRIORITY: v = sk->priority; break;
		case SO_RCVBUF: v = sk->rcvbuf; break;
		case SO_SNDBUF: v = sk->sndbuf; break;
		case SO_TYPE: v = sk->type; break;
		case SO_PROTOCOL: v = sk->proto; break;
		case SO_DOMAIN: v = AF_INET; break;
		case SO_ERROR:
			/* Reading SO_ERROR clears it (Linux sock_error). */
			v = sk->err;
			sk->err = 0;
			break;
		default:
			return -ENOPROTOOPT;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			v = sk->ttl >= 0 ? sk->ttl : (int)eng->sysctl.ip_default_ttl[0];
			break;
		case IP_TOS:
			v = sk->tos;
			break;
		default: {
			int i = stored_ipopt(name);

			if (i < 0)
				return -ENOPROTOOPT;
			v = sk->ipopt[i];
			break;
		}
		}
		/* Linux do_ip_getsockopt: a buffer shorter than an int gets a
		 * single byte when the value fits. */
		if (*len < sizeof(int) && *len > 0 && v >= 0 && v < 256) {
			*(unsigned char *)val = (unsigned char)v;
			*len = 1;
			return 0;
		}
	} else {
		/* Linux do_ip_getsockopt: "if (level != SOL_IP) return
		 * -EOPNOTSUPP" (setsockopt says ENOPROTOOPT instead). */
		return -EOPNOTSUPP;
	}
	/* Linux sock_getsockopt: copies min(len, sizeof(int)) bytes. */
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}
