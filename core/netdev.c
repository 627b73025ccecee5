/* Network devices: the TAP device tapsockd reads and writes, and the
 * in-memory wire the unit tests use.  (The loopback lives in engine.c: it
 * is a queue inside the engine.)  Called by the engine's xmit path and by
 * tapsockd's loop glue. */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eth.h"

/* --- TAP ------------------------------------------------------------------ */

static int tap_xmit(struct ts_netdev *dev, struct pktbuf *pkt)
{
	ssize_t n = write(dev->fd, pkt->data, pkt->len);
	int r = 0;

	if (n < 0)
		r = errno == EAGAIN || errno == EWOULDBLOCK ? -ENOBUFS : -errno;
	else if ((size_t)n != pkt->len)
		r = -EIO;
	ts_pkt_free(pkt);
	return r;
}

static void tap_err(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the one-line reason for a failed ts_tap_open. */
static void tap_err(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (e != 0)
		snprintf(err + n, errlen - n, " (%s)", strerror(e));
}

int ts_tap_open(struct ts_netdev *dev, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, s, e;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ) {
		tap_err(err, errlen, 0, "bad TAP device name '%s': give 1 to 15 characters",
			name ? name : "");
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			tap_err(err, errlen, e, "cannot open /dev/net/tun for %s: "
				"load the tun module (modprobe tun) or give the "
				"container /dev/net/tun", name);
		else if (e == EACCES || e == EPERM)
			tap_err(err, errlen, e, "cannot open /dev/net/tun for %s: "
				"run as root (or with CAP_NET_ADMIN)", name);
		else
			tap_err(err, errlen, e, "cannot open /dev/net/tun for %s", name);
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	/* Attaches to an existing TAP called name (made with `ip tuntap add
	 * mode tap`), or creates one that lives as long as the fd. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		if (e == EPERM || e == EACCES)
			tap_err(err, errlen, e, "cannot attach to TAP %s: run as root "
				"(or with CAP_NET_ADMIN), or create it with "
				"`ip tuntap add %s mode tap user $USER`", name, name);
		else if (e == EBUSY)
			tap_err(err, errlen, e, "TAP %s is busy: another process (a "
				"tapsockd?) has it open; stop it or use another "
				"device", name);
		else if (e == EINVAL)
			tap_err(err, errlen, e, "%s exists but is not a TAP device "
				"(IFF_TAP|IFF_NO_PI): delete it or pick another "
				"name", name);
		else
			tap_err(err, errlen, e, "cannot attach to TAP %s", name);
		close(fd);
		return -e;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", ifr.ifr_name);
	dev->kind = TS_NETDEV_TAP;
	dev->l2 = 1;
	dev->fd = fd;
	dev->xmit = tap_xmit;
	dev->mtu = 1500;
	/* The kernel side's MTU, if it has been set. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, dev->name, strlen(dev->name));
		if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 &&
		    ifr.ifr_mtu <= 65535)
			dev->mtu = (unsigned)ifr.ifr_mtu;
		close(s);
	}
	/* dev->mac stays zero: the TAP's own MAC belongs to the kernel side;
	 * the engine is another host on the wire with a MAC of its own. */
	return 0;
}

int ts_tap_read(struct ts_netdev *dev, struct pktbuf **out)
{
	/* Read into a buffer big enough for any frame (the kernel side's MTU
	 * may have been raised since the device was opened), then copy into
	 * a packet of the frame's own size: queues and the reassembly memory
	 * limit then account for what is really held.  tapsockd is one
	 * thread, so one static buffer will do. */
	static uint8_t buf[65536 + TS_ETH_HLEN + 4];
	struct pktbuf *pkt;
	ssize_t n;

	*out = NULL;
	n = read(dev->fd, buf, sizeof(buf));
	if (n < 0) {
		int e = errno;

		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
			return 0;
		return -e;
	}
	if (n == 0)
		return 0;
	pkt = ts_pkt_from(buf, (size_t)n);
	if (pkt == NULL)
		return -ENOMEM;
	*out = pkt;
	return 1;
}

void ts_tap_close(struct ts_netdev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

/* --- memwire -------------------------------------------------------------- */

/* More frames than any test sends without popping: a runaway loop shows
 * up as tx_errors instead of eating memory. */
#define MEMWIRE_MAX_QUEUED 100000

static int memwire_xmit(struct ts_netdev *dev, struct pktbuf *pkt)
{
	struct ts_memwire_end *end = dev->priv;

	if (end->queued >= MEMWIRE_MAX_QUEUED) {
		ts_pkt_free(pkt);
		return -ENOBUFS;
	}
	pkt->next = NULL;
	if (end->tail != NULL)
		end->tail->next = pkt;
	else
		end->head = pkt;
	end->tail = pkt;
	end->queued++;
	return 0;
}

void ts_memwire_init(struct ts_memwire *w, unsigned mtu)
{
	memset(w, 0, sizeof(*w));
	for (int i = 0; i < 2; i++) {
		struct ts_netdev *dev = &w->end[i].dev;

		snprintf(dev->name, sizeof(dev->name), "mem%d", i);
		dev->kind = TS_NETDEV_MEMWIRE;
		dev->l2 = 1;
		dev->mtu = mtu ? mtu : 1500;
		dev->xmit = memwire_xmit;
		dev->priv = &w->end[i];
		dev->fd = -1;
	}
}

struct pktbuf *ts_memwire_pop(struct ts_memwire *w, int side)
{
	struct ts_memwire_end *end;
	struct pktbuf *pkt;

	if (side < 0 || side > 1)
		return NULL;
	end = &w->end[side];
	pkt = end->head;
	if (pkt == NULL)
		return NULL;
	end->head = pkt->next;
	if (end->head == NULL)
		end->tail = NULL;
	end->queued--;
	pkt->next = NULL;
	return pkt;
}

void ts_memwire_clear(struct ts_memwire *w)
{
	for (int i = 0; i < 2; i++) {
		ts_pkt_free_chain(w->end[i].head);
		w->end[i].head = w->end[i].tail = NULL;
		w->end[i].queued = 0;
	}
}
