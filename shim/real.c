/* Resolves the real libc functions for the shim (see real.h). */
#define _GNU_SOURCE
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>

struct ts_real ts_real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

#define RESOLVE(name) (*(void **)&ts_real.name = dlsym(RTLD_NEXT, #name))

static void real_resolve(void)
{
	RESOLVE(socket);
	RESOLVE(socketpair);
	RESOLVE(bind);
	RESOLVE(connect);
	RESOLVE(listen);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(shutdown);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(sendmmsg);
	RESOLVE(recv);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(recvmmsg);
	RESOLVE(read);
	RESOLVE(readv);
	RESOLVE(write);
	RESOLVE(writev);
	RESOLVE(__read_chk);
	RESOLVE(__recv_chk);
	RESOLVE(__recvfrom_chk);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(getsockopt);
	RESOLVE(setsockopt);
	RESOLVE(ioctl);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(close);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(close_range);
	if (ts_real.fcntl64 == NULL)
		ts_real.fcntl64 = ts_real.fcntl;
}

void ts_real_init(void)
{
	pthread_once(&real_once, real_resolve);
}
