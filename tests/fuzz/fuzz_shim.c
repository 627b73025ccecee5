/* libFuzzer target for the shim's UDP receive path (shim/shim.c
 * ts_shim_recvmsg): a datagram as the daemon would write it on the data
 * channel (channel header + payload, both from the input) is read through
 * the shim with a msghdr the input shapes — iovec count and sizes, name
 * length, control buffer size, IP_PKTINFO/IP_RECVTTL/IP_RECVTOS,
 * MSG_PEEK/MSG_TRUNC — as an unmodified program may.  The shim writes
 * into the program's buffers through process_vm_writev, which ASan does
 * not see, so every buffer is followed by canary bytes that must survive;
 * and what it reports (length, msg_controllen, msg_namelen, MSG_CTRUNC)
 * must stay within what the program gave.  No daemon runs: an error
 * marker's SO_ERROR query fails fast (TAPSOCK_SOCK names no socket).
 *
 * Input: [opts][controllen][namelen][iovs][4 iov sizes][datagram...]. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"
#include "real.h"
#include "shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANARY 64
#define MAXIOV 4

static int sp[2] = {-1, -1};	/* 0: the program's end A, 1: the daemon's B */

static uint8_t *guarded(size_t n)
{
	uint8_t *p = malloc(n + CANARY);

	if (p == NULL)
		abort();
	memset(p, 0xa5, n + CANARY);
	return p;
}

static void check_guard(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < CANARY; i++)
		if (p[n + i] != 0xa5)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_shim_sock s;
	struct iovec iov[MAXIOV];
	uint8_t *bufs[MAXIOV], *ctl, *name;
	size_t sizes[MAXIOV], ctllen, total = 0, dlen;
	struct msghdr msg;
	socklen_t namelen;
	int niov, flags = MSG_DONTWAIT;
	ssize_t r;
	char sink[256];

	if (size < 8)
		return 0;
	if (sp[0] < 0) {
		setenv("TAPSOCK_SOCK", "/nonexistent/tapsock-fuzz.sock", 1);
		ts_real_init();	/* what every hook does first */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			abort();
	}
	memset(&s, 0, sizeof(s));
	s.type = SOCK_DGRAM;
	s.pktinfo = data[0] & 1;
	s.recvttl = data[0] >> 1 & 1;
	s.recvtos = data[0] >> 2 & 1;
	if (data[0] & 8)
		flags |= MSG_PEEK;
	if (data[0] & 16)
		flags |= MSG_TRUNC;
	ctllen = data[1];
	namelen = data[2] == 0xff ? (socklen_t)-1 : data[2] % 32;
	niov = data[3] % (MAXIOV + 1);
	for (int i = 0; i < MAXIOV; i++) {
		sizes[i] = data[4 + i];
		bufs[i] = guarded(sizes[i]);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizes[i];
		if (i < niov)
			total += sizes[i];
	}
	ctl = guarded(ctllen);
	name = guarded(32);
	dlen = size - 8;
	if (dlen > 4096)
		dlen = 4096;
	if (send(sp[1], data + 8, dlen, MSG_DONTWAIT) < 0) {
		/* an empty or oversized message: the read below sees what is there */
	}

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)niov;
	msg.msg_control = data[0] & 32 ? NULL : ctl;
	msg.msg_controllen = ctllen;
	msg.msg_name = data[0] & 64 ? NULL : name;
	msg.msg_namelen = namelen;
	r = ts_shim_recvmsg(sp[0], &s, &msg, flags);

	for (int i = 0; i < MAXIOV; i++)
		check_guard(bufs[i], sizes[i]);
	check_guard(ctl, ctllen);
	check_guard(name, 32);
	if (r >= 0) {
		/* Linux udp_recvmsg: the bytes copied, or with MSG_TRUNC the
		 * datagram's length; MSG_TRUNC in msg_flags when it did not
		 * fit.  What was written fits the buffers given. */
		size_t plen = dlen - TS_CHAN_HDR_LEN;
		size_t want = flags & MSG_TRUNC ? plen : plen < total ? plen : total;

		if (dlen < TS_CHAN_HDR_LEN || (size_t)r != want)
			abort();
		if (!(msg.msg_flags & MSG_TRUNC) != !(plen > total))
			abort();
		if (msg.msg_controllen > ctllen)
			abort();
		if (msg.msg_name != NULL && msg.msg_namelen != sizeof(struct sockaddr_in))
			abort();
	}
	/* Nothing left for the next input. */
	while (recv(sp[0], sink, sizeof(sink), MSG_DONTWAIT) >= 0)
		;
	for (int i = 0; i < MAXIOV; i++)
		free(bufs[i]);
	free(ctl);
	free(name);
	return 0;
}
