/* tapfwd: the kernel baseline's link for bench/run.  Copies Ethernet frames
 * between two TAP devices that live in two network namespaces, so a kernel
 * client reaches the lab's kernel side through a TAP and one userspace
 * process, as tapsockd's traffic does (TAP, one process, one wakeup per
 * batch).  bench/run compiles it into the build directory.
 *
 *   tapfwd NETNS_A TAP_A NETNS_B TAP_B [READYFILE]
 *
 * Both TAPs must exist (`ip tuntap add ... mode tap`); we attach to them.
 * Runs until SIGTERM/SIGINT, or for at most an hour. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX 65536
#define BATCH 64	/* frames per wakeup and direction, as tapsockd */
#define LIFETIME_S 3600

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach(const char *netns, const char *tap)
{
	char path[256];
	struct ifreq ifr;
	int nsfd, fd;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "tapfwd: netns %s: %s\n", netns, strerror(errno));
		exit(1);
	}
	close(nsfd);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "tapfwd: /dev/net/tun: %s\n", strerror(errno));
		exit(1);
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tapfwd: attach %s in %s: %s\n", tap, netns, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static unsigned char frame[FRAME_MAX];
	struct pollfd p[2];
	unsigned long long fwd[2] = {0, 0}, drop[2] = {0, 0};

	if (argc < 5) {
		fprintf(stderr, "usage: tapfwd NETNS_A TAP_A NETNS_B TAP_B [READYFILE]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	alarm(LIFETIME_S);
	p[0].fd = attach(argv[1], argv[2]);
	p[1].fd = attach(argv[3], argv[4]);
	p[0].events = p[1].events = POLLIN;
	if (argc > 5) {
		FILE *f = fopen(argv[5], "we");

		if (f != NULL)
			fclose(f);
	}
	while (!stop) {
		int r = poll(p, 2, 1000);

		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; r > 0 && i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			for (int n = 0; n < BATCH; n++) {
				ssize_t len = read(p[i].fd, frame, sizeof(frame));

				if (len <= 0)
					break;
				/* A full peer queue drops the frame, as a wire would. */
				if (write(p[1 - i].fd, frame, (size_t)len) == len)
					fwd[i]++;
				else
					drop[i]++;
			}
		}
	}
	fprintf(stderr, "tapfwd: forwarded %llu/%llu frames, dropped %llu/%llu\n", fwd[0], fwd[1],
		drop[0], drop[1]);
	return 0;
}
