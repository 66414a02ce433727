/* connprobe.c - the loopback connect sweep: which ports accept a TCP
 * connection on 127.0.0.1 and ::1.  Non-blocking connects in batches on one
 * epoll set; every batch bounded in time, the whole sweep too.  Accepted
 * connections are reset (SO_LINGER 0) so no time-wait is left behind.  A
 * connect that lands on its own ephemeral port (TCP self-connect) is not a
 * listener and is ignored. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portsec/portsec.h"

#define BATCH 512
#define BATCH_MS 300
#define SWEEP_MS 20000

static void set_addr(int fam, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (fam == AF_INET) {
		struct sockaddr_in *a = (void *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (void *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		*len = sizeof *a;
	}
}

static bool self_connect(int s, uint16_t port)
{
	struct sockaddr_storage me;
	socklen_t l = sizeof me;
	if (getsockname(s, (void *)&me, &l) != 0)
		return false;
	uint16_t p = me.ss_family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
					     : ((struct sockaddr_in6 *)&me)->sin6_port;
	return ntohs(p) == port;
}

static int push_port(uint16_t **arr, size_t *n, size_t *cap, uint16_t port)
{
	uint16_t *x = PS_VEC_PUSH(*arr, *n, *cap);
	if (!x)
		return PS_ERR_NOMEM;
	*x = port;
	return PS_OK;
}

static void drop(int ep, int s)
{
	struct linger lg = {1, 0};
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
	close(s);
}

int ps_connect_sweep(uint16_t lo, uint16_t hi, struct ps_connect_result *out)
{
	memset(out, 0, sizeof *out);
	if (!lo)
		lo = 1;
	if (!hi)
		hi = 65535;
	double t0 = ps_mono_ms();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return PS_ERR_SYS;
	int ret = PS_OK;
	int socks[BATCH];
	uint16_t ports[BATCH];
	size_t caps[2] = {0, 0};
	for (int f = 0; f < 2 && ret == PS_OK; f++) {
		int fam = f == 0 ? AF_INET : AF_INET6;
		uint16_t **arr = f == 0 ? &out->open4 : &out->open6;
		size_t *narr = f == 0 ? &out->nopen4 : &out->nopen6;
		for (unsigned base = lo; base <= hi && ret == PS_OK; base += BATCH) {
			if (ps_mono_ms() - t0 > SWEEP_MS) {
				ret = PS_ERR_TIMEOUT;
				break;
			}
			int pending = 0, n = 0;
			for (unsigned port = base; port <= hi && port < base + BATCH; port++) {
				int s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
				if (s < 0) {
					if (fam == AF_INET6 && errno == EAFNOSUPPORT)
						goto next_family;
					out->failed++;
					continue;
				}
				struct sockaddr_storage ss;
				socklen_t len;
				set_addr(fam, (uint16_t)port, &ss, &len);
				int r = connect(s, (void *)&ss, len);
				if (r == 0) {
					if (!self_connect(s, (uint16_t)port) && push_port(arr, narr, &caps[f], (uint16_t)port))
						ret = PS_ERR_NOMEM;
					drop(ep, s);
					continue;
				}
				if (errno != EINPROGRESS) {
					if (errno != ECONNREFUSED && errno != EADDRNOTAVAIL)
						out->failed++;
					close(s);
					continue;
				}
				struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)n};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0) {
					out->failed++;
					close(s);
					continue;
				}
				socks[n] = s;
				ports[n] = (uint16_t)port;
				n++;
				pending++;
			}
			double deadline = ps_mono_ms() + BATCH_MS;
			while (pending > 0) {
				int left = (int)(deadline - ps_mono_ms());
				if (left <= 0)
					break;
				struct epoll_event evs[64];
				int k = epoll_wait(ep, evs, 64, left);
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0)
					break;
				for (int e = 0; e < k; e++) {
					int idx = (int)evs[e].data.u32;
					int s = socks[idx];
					if (s < 0)
						continue;
					int err = 0;
					socklen_t el = sizeof err;
					getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
					if (err == 0 && !self_connect(s, ports[idx]) &&
					    push_port(arr, narr, &caps[f], ports[idx]))
						ret = PS_ERR_NOMEM;
					drop(ep, s);
					socks[idx] = -1;
					pending--;
				}
			}
			for (int i = 0; i < n; i++)
				if (socks[i] >= 0) {
					out->unanswered++;
					drop(ep, socks[i]);
				}
		}
	next_family:;
	}
	close(ep);
	out->ms = ps_mono_ms() - t0;
	return ret;
}

void ps_connect_result_free(struct ps_connect_result *r)
{
	free(r->open4);
	free(r->open6);
	memset(r, 0, sizeof *r);
}
