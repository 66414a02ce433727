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

#define RCVBUF (64 * 1024)

struct mnl_socket *ps_diag_open(int *err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl) {
		*err = errno;
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = errno;
		mnl_socket_close(nl);
		return NULL;
	}
	int sz = 1 << 20;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	return nl;
}

void ps_diag_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

int ps_diag_dump(struct mnl_socket *nl, struct ps_inventory *inv, uint32_t ns, uint8_t proto,
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
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		*kerr = errno;
		return PS_ERR_SYS;
	}
	char *buf = malloc(RCVBUF);
	if (!buf)
		return PS_ERR_NOMEM;
	int ret = PS_OK;
	bool done = false;
	unsigned guard = 0;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RCVBUF);
		if (n < 0) {
			if (errno == EINTR && ++guard < 100)
				continue;
			*kerr = errno;
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
