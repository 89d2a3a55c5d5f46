/*
 * LD_PRELOAD shim for running Janus (libnice) on loopback addresses.
 *
 * libnice pins every UDP socket to its interface with IP_UNICAST_IF /
 * IPV6_UNICAST_IF. On the benchmark's veth interface that carries 127.0.0.2/32,
 * the kernel then refuses to send a 127.x source out of a non-loopback
 * interface, so no media flows. Turning exactly these two options into a
 * successful no-op lets the routing table (lo) pick the path; every other
 * setsockopt call goes to libc unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif
#ifndef IPV6_UNICAST_IF
#define IPV6_UNICAST_IF 76
#endif

typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
	static setsockopt_fn real_setsockopt;
	if ((level == IPPROTO_IP && name == IP_UNICAST_IF) ||
	    (level == IPPROTO_IPV6 && name == IPV6_UNICAST_IF))
		return 0;
	if (!real_setsockopt)
		real_setsockopt = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
	return real_setsockopt(fd, level, name, value, len);
}
