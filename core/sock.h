/* The socket table shared by UDP and TCP: one table per protocol (so TCP
 * and UDP on the same port never conflict), sockets found by the full
 * 4-tuple (connected sockets, TCP connections) or by local port with the
 * best-scoring local address (bound/listening sockets, wildcard fallback),
 * ephemeral ports from net.ipv4.ip_local_port_range, and Linux's bind
 * conflict rules (SO_REUSEADDR, SO_REUSEPORT, INADDR_ANY vs a specific
 * address, privileged ports).  Generic socket options (SOL_SOCKET level and
 * IP_TTL/IP_TOS) live here too, on struct ts_sock.
 *
 * A protocol embeds struct ts_sock in its own socket and sets sk->owner. */
#ifndef TS_SOCK_H
#define TS_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

struct ts_engine;

/* Who asks: the control connection's peer credentials (SO_PEERCRED), with
 * the capability the daemon read for that process. */
struct ts_cred {
	uint32_t uid;
	int net_bind_service;	/* uid 0 or CAP_NET_BIND_SERVICE */
	int net_admin;		/* uid 0 or CAP_NET_ADMIN (SO_RCVBUFFORCE) */
};

/* The 4-tuple, host order.  Also the key of the connection hash, so its
 * layout has no padding. */
struct ts_tuple {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
};

/* States TCP may set so the bind rules can see them. */
enum ts_sock_bstate {
	TS_SOCK_OTHER = 0,
	TS_SOCK_LISTEN,
	TS_SOCK_TIME_WAIT,
};

struct ts_sock_port;

struct ts_sock {
	struct ts_tuple t;		/* laddr 0: wildcard; raddr 0: unconnected */
	uint8_t proto;			/* IPPROTO_UDP / IPPROTO_TCP */
	uint8_t type;			/* SOCK_DGRAM / SOCK_STREAM */
	uint32_t uid;			/* owner (reuseport groups) */
	uint64_t id;			/* unique, for ss and the daemon */
	enum ts_sock_bstate bstate;
	/* Linux's sk_userlocks: the user chose the address / the port, so
	 * disconnect keeps them. */
	unsigned addr_locked : 1, port_locked : 1;
	unsigned reuseaddr : 1, reuseport : 1, broadcast : 1;
	unsigned keepalive : 1, dontroute : 1, oobinline : 1;
	unsigned in_port : 1, in_conn : 1;	/* hashed where */
	int rcvbuf, sndbuf;		/* effective (already doubled) bytes */
	int priority;
	int ttl;			/* -1: net.ipv4.ip_default_ttl */
	uint8_t tos;
	int err;			/* pending SO_ERROR, positive errno */
	/* IP options stored and read back but not acted on yet
	 * (IP_RECVERR, IP_PKTINFO, IP_MTU_DISCOVER, ...; see sock.c). */
	int ipopt[8];
	void *owner;			/* the protocol's socket */
	struct ts_sock *pnext;		/* next in the port bucket */
	struct ts_sock_port *port;	/* bucket we are in */
	UT_hash_handle hh;		/* connection hash, by t */
};

/* All sockets bound to one local port, newest first. */
struct ts_sock_port {
	uint16_t port;
	int n;
	struct ts_sock *socks;
	UT_hash_handle hh;
};

struct ts_sock_table {
	uint8_t proto;
	struct ts_sock_port *ports;	/* uthash by port */
	struct ts_sock *conns;		/* uthash by 4-tuple */
	uint32_t hint;			/* where the next ephemeral search starts */
	int hint_set;
	int count;			/* sockets in the port hash */
};

void ts_sock_table_init(struct ts_sock_table *tab, uint8_t proto);
/* Unhashes everything (the sockets themselves belong to the protocol). */
void ts_sock_table_destroy(struct ts_sock_table *tab);

/* Fills a fresh socket with Linux's defaults (rcvbuf net.core.rmem_default,
 * sndbuf wmem_default, ttl -1, ...). */
void ts_sock_init(struct ts_engine *eng, struct ts_sock *sk, uint8_t proto,
		  uint8_t type, const struct ts_cred *cred);

/* bind(2): 0, -EINVAL (already bound), -EADDRNOTAVAIL (not our address),
 * -EACCES (privileged port), -EADDRINUSE (conflict, or a full ephemeral
 * range when port is 0). */
int ts_sock_bind(struct ts_engine *eng, struct ts_sock_table *tab, struct ts_sock *sk,
		 uint32_t addr, uint16_t port, const struct ts_cred *cred);
/* Implicit bind to an ephemeral port on the wildcard address (sendto or
 * connect on an unbound socket).  0 if already bound; -EAGAIN when the range
 * is full (Linux's inet_autobind errno). */
int ts_sock_autobind(struct ts_engine *eng, struct ts_sock_table *tab, struct ts_sock *sk);
/* Would sk (with its flags, uid, bstate) conflict with a socket already
 * bound to addr:port?  1 or 0.  TCP calls it again at listen(). */
int ts_sock_conflict(const struct ts_sock_table *tab, const struct ts_sock *sk,
		     uint32_t addr, uint16_t port);

/* Sets or clears (raddr 0) the remote end and rehashes: connected sockets
 * are found by the 4-tuple.  laddr becomes the source address when the
 * socket was bound to the wildcard (Linux __ip4_datagram_connect). */
void ts_sock_set_peer(struct ts_sock_table *tab, struct ts_sock *sk, uint32_t laddr,
		      uint32_t raddr, uint16_t rport);
/* Removes sk from the table (close). */
void ts_sock_unhash(struct ts_sock_table *tab, struct ts_sock *sk);

/* Input lookup: the connected socket for the 4-tuple, else the best bound
 * socket on lport (exact address before wildcard, unconnected only), with
 * SO_REUSEPORT groups spread by hash.  NULL if none. */
struct ts_sock *ts_sock_lookup(const struct ts_sock_table *tab, uint32_t laddr,
			       uint16_t lport, uint32_t raddr, uint16_t rport,
			       uint32_t hash);
/* Calls fn for every socket that would accept a datagram to laddr:lport
 * from raddr:rport (broadcast delivery).  Returns how many matched. */
int ts_sock_foreach_match(const struct ts_sock_table *tab, uint32_t laddr, uint16_t lport,
			  uint32_t raddr, uint16_t rport,
			  void (*fn)(struct ts_sock *sk, void *arg), void *arg);

/* A flow hash of the 4-tuple (reuseport selection). */
uint32_t ts_sock_flow_hash(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);

/* Can sk bind to addr (ours, 127/8, wildcard, broadcast, multicast)? */
int ts_sock_addr_bindable(const struct ts_engine *eng, uint32_t addr);
/* Is addr a broadcast address for the engine (255.255.255.255 or the
 * subnet's)? */
int ts_sock_addr_is_bcast(const struct ts_engine *eng, uint32_t addr);

/* Generic options, Linux semantics: SOL_SOCKET (SO_REUSEADDR,
 * SO_REUSEPORT, SO_BROADCAST, SO_RCVBUF(FORCE), SO_SNDBUF(FORCE),
 * SO_KEEPALIVE, SO_PRIORITY, SO_DONTROUTE, SO_OOBINLINE, SO_TYPE,
 * SO_PROTOCOL, SO_DOMAIN, SO_ERROR) and IPPROTO_IP (IP_TTL, IP_TOS).
 * set: 0 or -EINVAL/-ENOPROTOOPT/-EPERM.  get: writes at most *len bytes,
 * updates *len, returns 0 or a negative errno. */
int ts_sock_setopt(struct ts_engine *eng, struct ts_sock *sk, int level, int name,
		   const void *val, size_t len, const struct ts_cred *cred);
int ts_sock_getopt(struct ts_engine *eng, struct ts_sock *sk, int level, int name,
		   void *val, size_t *len);

#endif
