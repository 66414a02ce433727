/* inv_sockdiag.c - NETLINK_SOCK_DIAG dumps through libmnl (thin I/O around
 * the pure parser in sockdiag_parse.c). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "internal.h"
#include "util/sys.h"

#define RCVBUF (64 * 1024)

/* The socket I/O goes through raw syscalls (util/sys.h): a preload library
 * that hooks recvmsg/recvfrom to drop rows (as ss sees them) cannot touch
 * this view.  via_libc = true takes libmnl's own libc-based I/O instead: the
 * "libc view" that `portsec hidden` compares against to catch such hooks. */
struct ps_diag {
	int fd;
	struct mnl_socket *nl; /* via libc */
};

struct ps_diag *ps_diag_open(bool via_libc, int *err)
{
	struct ps_diag *d = calloc(1, sizeof *d);
	if (!d) {
		*err = ENOMEM;
		return NULL;
	}
	int sz = 1 << 20;
	if (via_libc) {
		d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
		if (!d->nl || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			*err = errno;
			if (d->nl)
				mnl_socket_close(d->nl);
			free(d);
			return NULL;
		}
		d->fd = mnl_socket_get_fd(d->nl);
		setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		return d;
	}
	long fd = ps_sys_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		*err = (int)-fd;
		free(d);
		return NULL;
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	long r = ps_sys_bind((int)fd, &sa, sizeof sa);
	if (r < 0) {
		*err = (int)-r;
		ps_sys_close((int)fd);
		free(d);
		return NULL;
	}
	ps_sys_setsockopt((int)fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	d->fd = (int)fd;
	return d;
}

void ps_diag_close(struct ps_diag *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	else
		ps_sys_close(d->fd);
	free(d);
}

static long diag_send(struct ps_diag *d, const struct nlmsghdr *nlh)
{
	if (d->nl) {
		ssize_t r = mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len);
		return r < 0 ? -errno : r;
	}
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	return ps_sys_sendto(d->fd, nlh, nlh->nlmsg_len, 0, &kernel, sizeof kernel);
}

static long diag_recv(struct ps_diag *d, void *buf, size_t n)
{
	if (d->nl) {
		ssize_t r = mnl_socket_recvfrom(d->nl, buf, n);
		return r < 0 ? -errno : r;
	}
	for (unsigned guard = 0; guard < 64; guard++) {
		struct sockaddr_nl from;
		unsigned alen = sizeof from;
		long r = ps_sys_recvfrom(d->fd, buf, n, 0, &from, &alen);
		if (r < 0)
			return r;
		if (alen == sizeof from && from.nl_pid == 0)
			return r;
		/* not from the kernel: ignore (as libmnl does) */
	}
	return -EPROTO;
}

int ps_diag_dump(struct ps_diag *nl, struct ps_inventory *inv, uint32_t ns, uint8_t proto,
		 int family, uint32_t states, int *kerr)
{
	char req[128];
	memset(req, 0, sizeof req);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	static unsigned seq_counter;
	nlh->nlmsg_seq = (uint32_t)time(NULL) + __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	if (proto == PS_PROTO_PACKET) {
		struct packet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
		r->sdiag_family = AF_PACKET;
		r->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FILTER;
	} else {
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof *r);
		r->sdiag_family = (uint8_t)family;
		r->idiag_states = states;
		if (proto == PS_PROTO_TCP)
			r->sdiag_protocol = IPPROTO_TCP;
		else if (proto == PS_PROTO_UDP)
			r->sdiag_protocol = IPPROTO_UDP;
		else {
			r->sdiag_protocol = IPPROTO_RAW;
			r->pad = IPPROTO_RAW; /* sdiag_raw_protocol: every raw protocol */
		}
	}
	long sr = diag_send(nl, nlh);
	if (sr < 0) {
		*kerr = (int)-sr;
		return PS_ERR_SYS;
	}
	char *buf = malloc(RCVBUF);
	if (!buf)
		return PS_ERR_NOMEM;
	int ret = PS_OK;
	bool done = false;
	unsigned guard = 0;
	while (!done) {
		long n = diag_recv(nl, buf, RCVBUF);
		if (n < 0) {
			if (n == -EINTR && ++guard < 100)
				continue;
			*kerr = (int)-n;
			ret = PS_ERR_SYS;
			break;
		}
		if (n == 0) {
			ret = PS_ERR_PROTO;
			break;
		}
		ret = ps_sockdiag_parse(inv, ns, proto, buf, (size_t)n, &done, kerr);
		if (ret != PS_OK)
			break;
	}
	free(buf);
	return ret;
}
