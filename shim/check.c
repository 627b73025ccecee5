/* The shim's pure checks: the errors Linux returns for a UDP call before
 * anything is sent, in Linux's order, so the program sees them at once even
 * though the datagram itself travels asynchronously.  No I/O. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "shim.h"

int ts_shim_parse_addr(int op, const void *sa, size_t len, uint32_t *addr, uint16_t *port)
{
	struct sockaddr_in sin;
	sa_family_t fam;

	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&fam, sa, sizeof(fam));
	if (op == 'b') {
		/* Linux inet_bind. */
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		if (fam != AF_INET) {
			/* Compatibility: AF_UNSPEC with INADDR_ANY is accepted. */
			if (fam != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY))
				return -EAFNOSUPPORT;
		}
	} else if (op == 'c') {
		/* Linux __ip4_datagram_connect (AF_UNSPEC handled by the
		 * caller before). */
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		if (fam != AF_INET)
			return -EAFNOSUPPORT;
	} else {
		/* Linux udp_sendmsg. */
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		if (fam != AF_INET && fam != AF_UNSPEC)
			return -EAFNOSUPPORT;
		if (sin.sin_port == 0)
			return -EINVAL;
	}
	*addr = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

int ts_shim_is_bcast(const struct ts_shim_engine *e, uint32_t daddr)
{
	if (daddr == 0xffffffffu)
		return 1;
	return e->mask != 0 && e->mask < 0xfffffffeu &&
	       daddr == ((e->addr & e->mask) | ~e->mask);
}

/* Mirrors udp.c's route check: the engine, 127/8, on-link, the gateway,
 * limited broadcast and multicast. */
static int route_ok(const struct ts_shim_engine *e, uint32_t dst)
{
	if ((dst >> 24) == 127 || dst == e->addr || dst == 0xffffffffu || dst == 0)
		return 1;
	if (!e->have_dev)
		return 0;
	if ((dst >> 28) == 0xe)
		return 1;
	if (e->mask != 0 && (dst & e->mask) == (e->addr & e->mask))
		return 1;
	return e->gw != 0;
}

int ts_shim_check_send(const struct ts_shim_engine *e, const struct ts_shim_sock *s,
		       int has_dst, uint32_t daddr, uint16_t dport, size_t len, int flags)
{
	/* Linux udp_sendmsg, in order. */
	if (len > 0xffff)
		return -EMSGSIZE;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (!has_dst) {
		if (!s->connected)
			return -EDESTADDRREQ;
		daddr = s->peer_addr;
		dport = s->peer_port;
	}
	(void)dport;
	/* Linux ip_route_output: loopback source, other destination. */
	if ((s->laddr >> 24) == 127 && (daddr >> 24) != 127)
		return -EINVAL;
	if (!route_ok(e, daddr))
		return -ENETUNREACH;
	if (ts_shim_is_bcast(e, daddr) && !s->broadcast)
		return -EACCES;
	/* __ip_append_data: 65535 - 20 - 8. */
	if (len > 65507)
		return -EMSGSIZE;
	return 0;
}
