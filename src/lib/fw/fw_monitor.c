/* fw_monitor.c - ruleset changes as they happen: the nf_tables multicast
 * group (NFNLGRP_NFTABLES) through libmnl.  Every committed transaction ends
 * with NFT_MSG_NEWGEN, which names the generation and the process that made
 * it (pid and name), so a change is reported once, with who made it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "portsec/portsec.h"

struct ps_fw_monitor {
	struct mnl_socket *nl;
	char buf[65536];
};

int ps_fw_monitor_open(struct ps_fw_monitor **out)
{
	*out = NULL;
	struct ps_fw_monitor *m = calloc(1, sizeof *m);
	if (!m)
		return PS_ERR_NOMEM;
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->nl || mnl_socket_bind(m->nl, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		if (m->nl)
			mnl_socket_close(m->nl);
		free(m);
		return e == EPERM || e == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
	}
	*out = m;
	return PS_OK;
}

int ps_fw_monitor_fd(const struct ps_fw_monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

struct gen_ctx {
	struct ps_fw_change *c;
	bool got;
};

static int gen_attr(const struct nlattr *a, void *data)
{
	struct ps_fw_change *c = data;
	switch (mnl_attr_get_type(a)) {
	case NFTA_GEN_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			c->genid = ntohl(mnl_attr_get_u32(a));
		break;
	case NFTA_GEN_PROC_PID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			c->pid = (int32_t)ntohl(mnl_attr_get_u32(a));
		break;
	case NFTA_GEN_PROC_NAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(c->comm, sizeof c->comm, "%s", mnl_attr_get_str(a));
		break;
	}
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct gen_ctx *g = data;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES || NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
		return MNL_CB_OK;
	memset(g->c, 0, sizeof *g->c);
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, g->c);
	g->got = true;
	return MNL_CB_OK;
}

int ps_fw_monitor_read(struct ps_fw_monitor *m, void (*cb)(void *ctx, const struct ps_fw_change *c), void *ctx)
{
	int n = 0;
	for (int round = 0; round < 64; round++) { /* bounded: what is queued now */
		ssize_t r = mnl_socket_recvfrom(m->nl, m->buf, sizeof m->buf);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? n : (errno == ENOBUFS ? PS_ERR_TRUNC : PS_ERR_SYS);
		struct ps_fw_change c;
		struct gen_ctx g = {&c, false};
		/* multicast messages: no sequence or port to check */
		mnl_cb_run(m->buf, (size_t)r, 0, 0, on_msg, &g);
		if (g.got) {
			n++;
			cb(ctx, &c);
		}
	}
	return n;
}

void ps_fw_monitor_close(struct ps_fw_monitor *m)
{
	if (!m)
		return;
	mnl_socket_close(m->nl);
	free(m);
}
