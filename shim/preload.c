/* libtapsock.so entry: the LD_PRELOAD interposer.  For now it only loads
 * and passes socket() through; the UDP/TCP issues give it the fd model. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

#define TS_EXPORT __attribute__((visibility("default")))

TS_EXPORT int socket(int domain, int type, int protocol);

TS_EXPORT int socket(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");

	return real(domain, type, protocol);
}
