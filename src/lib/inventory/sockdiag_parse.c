/* sockdiag_parse.c - pure parser of NETLINK_SOCK_DIAG replies.
 * Bytes in (one recv() worth of netlink messages), rows out. No I/O. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static int parse_inet(struct ps_inventory *inv, uint32_t ns, uint8_t proto,
		      const struct nlmsghdr *nlh)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	if (plen < sizeof(struct inet_diag_msg))
		return PS_ERR_PROTO;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return PS_ERR_PROTO;
	struct ps_socket *s = ps_inventory_add_socket(inv);
	if (!s)
		return PS_ERR_NOMEM;
	s->netns = ns;
	s->family = m->idiag_family;
	s->proto = proto;
	uint8_t st = m->idiag_state;
	if (proto == PS_PROTO_TCP && st == PS_ST_CLOSE)
		st = PS_ST_BOUND_INACTIVE; /* only the bhash walk returns CLOSE sockets */
	s->state = st < PS_ST_MAX ? st : PS_ST_UNKNOWN;
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	size_t alen = s->family == AF_INET ? 4 : 16;
	memcpy(s->laddr, m->id.idiag_src, alen);
	memcpy(s->raddr, m->id.idiag_dst, alen);
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] | ((uint64_t)m->id.idiag_cookie[1] << 32);
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	/* inet_twsk_diag_fill reports timer 3 for every time-wait mini-socket;
	 * its state is the substate (FIN-WAIT-2 for an orphaned close) */
	s->tw_mini = proto == PS_PROTO_TCP && m->idiag_timer == 3;
	s->sources = PS_SRC_SOCKDIAG;
	if (proto == PS_PROTO_RAW)
		s->protocol = s->lport;

	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*m)) {
		uint16_t type = mnl_attr_get_type(a);
		if (mnl_attr_type_valid(a, INET_DIAG_MAX) < 0)
			continue; /* newer attribute: ignore */
		if (type == INET_DIAG_SKV6ONLY && mnl_attr_get_payload_len(a) >= 1)
			s->v6only = (int8_t)(*(const uint8_t *)mnl_attr_get_payload(a) != 0);
		else if (type == INET_DIAG_PROTOCOL && mnl_attr_get_payload_len(a) >= 1 &&
			 proto == PS_PROTO_RAW)
			s->protocol = *(const uint8_t *)mnl_attr_get_payload(a);
	}
	return PS_OK;
}

static int parse_packet(struct ps_inventory *inv, uint32_t ns, const struct nlmsghdr *nlh)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	if (plen < sizeof(struct packet_diag_msg))
		return PS_ERR_PROTO;
	const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (m->pdiag_family != AF_PACKET)
		return PS_ERR_PROTO;
	struct ps_socket *s = ps_inventory_add_socket(inv);
	if (!s)
		return PS_ERR_NOMEM;
	s->netns = ns;
	s->family = AF_PACKET;
	s->proto = PS_PROTO_PACKET;
	s->state = PS_ST_CLOSE;
	s->pkt_type = m->pdiag_type;
	s->protocol = m->pdiag_num; /* packet_diag already converts to host order */
	s->inode = m->pdiag_ino;
	s->cookie = (uint64_t)m->pdiag_cookie[0] | ((uint64_t)m->pdiag_cookie[1] << 32);
	s->sources = PS_SRC_SOCKDIAG;

	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*m)) {
		uint16_t type = mnl_attr_get_type(a);
		size_t len = mnl_attr_get_payload_len(a);
		const void *p = mnl_attr_get_payload(a);
		if (type == PACKET_DIAG_INFO && len >= sizeof(struct packet_diag_info)) {
			const struct packet_diag_info *pi = p;
			s->ifindex = pi->pdi_index;
		} else if (type == PACKET_DIAG_UID && len >= 4) {
			memcpy(&s->uid, p, 4);
		} else if (type == PACKET_DIAG_FILTER) {
			/* zero length: filter reporting not permitted (needs CAP_NET_ADMIN) */
			size_t n = len / sizeof(struct sock_filter);
			if (n == 0) {
				s->filter_len = 0;
				continue;
			}
			if (n > BPF_MAXINSNS)
				return PS_ERR_PROTO;
			struct ps_bpf_insn tmp[64];
			const struct sock_filter *f = p;
			uint32_t first = 0;
			for (size_t i = 0; i < n; i += 64) {
				size_t k = n - i < 64 ? n - i : 64;
				for (size_t j = 0; j < k; j++) {
					struct sock_filter sf;
					memcpy(&sf, f + i + j, sizeof sf);
					tmp[j] = (struct ps_bpf_insn){sf.code, sf.jt, sf.jf, sf.k};
				}
				uint32_t fi;
				if (ps_inventory_add_insns(inv, tmp, k, &fi) != PS_OK)
					return PS_ERR_NOMEM;
				if (i == 0)
					first = fi;
			}
			/* s may have moved? no: insns live in their own array */
			s->filter_first = first;
			s->filter_len = (uint32_t)n;
			s->has_filter = true;
		}
	}
	return PS_OK;
}

/* a kernel error code as a positive errno (INT_MIN would overflow) */
static int abs_err(int e)
{
	return e == INT_MIN ? EPROTO : e < 0 ? -e : e;
}

/* libmnl's mnl_nlmsg_ok() compares (int)nlmsg_len, so a length >= 2^31
 * passes and the next header lands outside the buffer: check unsigned here */
static bool msg_ok(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
	       nlh->nlmsg_len <= (uint32_t)rem;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh, int *rem)
{
	uint32_t step = MNL_ALIGN(nlh->nlmsg_len);
	if (step > (uint32_t)*rem)
		step = (uint32_t)*rem; /* last message, unpadded */
	*rem -= (int)step;
	return (const struct nlmsghdr *)(const void *)((const char *)nlh + step);
}

int ps_sockdiag_parse(struct ps_inventory *inv, uint32_t ns, uint8_t proto, const void *buf,
		      size_t len, bool *done, int *kerr)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
	*done = false;
	if (kerr)
		*kerr = 0;
	while (msg_ok(nlh, rem)) {
		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* a dump may end with an error code in DONE */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
				int e;
				memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof e);
				if (e < 0) {
					if (kerr)
						*kerr = abs_err(e);
					*done = true;
					return PS_ERR_SYS;
				}
			}
			*done = true;
			return PS_OK;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
				return PS_ERR_PROTO;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0) { /* ack */
				nlh = msg_next(nlh, &rem);
				continue;
			}
			if (kerr)
				*kerr = abs_err(e->error);
			*done = true;
			return PS_ERR_SYS;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			int r = proto == PS_PROTO_PACKET ? parse_packet(inv, ns, nlh)
							 : parse_inet(inv, ns, proto, nlh);
			if (r != PS_OK)
				return r;
		} else if (nlh->nlmsg_type != NLMSG_NOOP) {
			return PS_ERR_PROTO;
		}
		nlh = msg_next(nlh, &rem);
	}
	if (rem != 0)
		return PS_ERR_PROTO; /* trailing partial message */
	return PS_OK;
}
