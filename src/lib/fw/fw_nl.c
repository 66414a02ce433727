/* fw_nl.c - read the nftables ruleset of the current netns over netlink
 * (thin I/O around the pure parser in fw_parse.c). */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "fw/internal.h"
#include "portsec/ps_error.h"

#define RCVBUF (256 * 1024)

struct dumper {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint8_t *buf;
	struct ps_fw_ruleset *rs;
	struct ps_buf *raw;
	bool intr;
};

/* send one request and feed every reply chunk to the parser */
static int dump(struct dumper *d, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return errno == EPERM || errno == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
	uint32_t seq = nlh->nlmsg_seq;
	for (int guard = 0; guard < 1000000; guard++) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, RCVBUF);
		if (n < 0)
			return errno == EPERM || errno == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
		/* walk for DONE / ERROR with our own unsigned checks */
		bool done = false;
		size_t off = 0, len = (size_t)n;
		int err = 0;
		while (len - off >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *h = (const void *)(d->buf + off);
			if (h->nlmsg_len < sizeof *h || h->nlmsg_len > len - off)
				return PS_ERR_PROTO;
			if (h->nlmsg_seq == seq) {
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					d->intr = true;
				if (h->nlmsg_type == NLMSG_DONE)
					done = true;
				else if (h->nlmsg_type == NLMSG_ERROR &&
					 h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
					const struct nlmsgerr *e = NLMSG_DATA(h);
					if (e->error)
						err = -e->error;
					done = true;
				}
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
		if (err)
			return err == EPERM || err == EACCES ? PS_ERR_PERM : err == ENOENT ? PS_ERR_NOTFOUND : PS_ERR_SYS;
		if (d->raw)
			ps_buf_put(d->raw, d->buf, (size_t)n);
		int rc = ps_fw_parse(d->rs, d->buf, (size_t)n);
		if (rc)
			return rc;
		if (done)
			return PS_OK;
	}
	return PS_ERR_PROTO;
}

static int dump_type(struct dumper *d, uint16_t cmd)
{
	char req[256];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(req, cmd, NFPROTO_UNSPEC, NLM_F_DUMP | NLM_F_ACK, ++d->seq);
	return dump(d, nlh);
}

static int dump_elems(struct dumper *d, const struct ps_fw_set *s)
{
	char req[1024];
	struct nftnl_set *ns = nftnl_set_alloc();
	if (!ns)
		return PS_ERR_NOMEM;
	nftnl_set_set_str(ns, NFTNL_SET_TABLE, s->table);
	nftnl_set_set_str(ns, NFTNL_SET_NAME, s->name);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETSETELEM, s->family, NLM_F_DUMP | NLM_F_ACK, ++d->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, ns);
	nftnl_set_free(ns);
	int rc = dump(d, nlh);
	return rc == PS_ERR_NOTFOUND ? PS_OK : rc; /* set removed meanwhile */
}

static void read_legacy(struct ps_fw_ruleset *rs)
{
	char v4[64] = "", v6[64] = "";
	long n4 = ps_read_small_at(AT_FDCWD, "/proc/net/ip_tables_names", v4, sizeof v4);
	long n6 = ps_read_small_at(AT_FDCWD, "/proc/net/ip6_tables_names", v6, sizeof v6);
	rs->legacy_v4 = n4 > 0;
	rs->legacy_v6 = n6 > 0;
	rs->legacy_names[0] = 0;
	size_t o = 0;
	for (int k = 0; k < 2; k++) {
		const char *src = k ? v6 : v4;
		if ((k ? n6 : n4) <= 0)
			continue;
		for (const char *p = src; *p && o + 2 < sizeof rs->legacy_names; p++)
			rs->legacy_names[o++] = *p == '\n' ? ' ' : *p;
	}
	while (o > 0 && rs->legacy_names[o - 1] == ' ')
		o--;
	rs->legacy_names[o] = 0;
}

static int read_once(struct ps_fw_ruleset *rs, struct ps_buf *raw, bool *intr)
{
	struct dumper d = {.rs = rs, .raw = raw};
	int rc = PS_OK;
	d.buf = malloc(RCVBUF);
	if (!d.buf)
		return PS_ERR_NOMEM;
	d.nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!d.nl) {
		free(d.buf);
		return errno == EPERM || errno == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
	}
	if (mnl_socket_bind(d.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = PS_ERR_SYS;
		goto out;
	}
	int sz = 4 << 20;
	setsockopt(mnl_socket_get_fd(d.nl), SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	d.seq = (uint32_t)time(NULL);
	if ((rc = dump_type(&d, NFT_MSG_GETTABLE)) || (rc = dump_type(&d, NFT_MSG_GETCHAIN)) ||
	    (rc = dump_type(&d, NFT_MSG_GETSET)))
		goto out;
	size_t nsets = rs->nsets;
	for (size_t i = 0; i < nsets; i++)
		if ((rc = dump_elems(&d, &rs->sets[i])))
			goto out;
	if ((rc = dump_type(&d, NFT_MSG_GETRULE)))
		goto out;
	rc = ps_fw_parse_finish(rs);
out:
	*intr = d.intr;
	mnl_socket_close(d.nl);
	free(d.buf);
	return rc;
}

int ps_fw_read(struct ps_fw_ruleset *rs, struct ps_buf *raw)
{
	int rc = PS_OK;
	/* a dump interrupted by a concurrent change is read again (bounded) */
	for (int attempt = 0; attempt < 3; attempt++) {
		bool intr = false;
		ps_fw_ruleset_free(rs);
		ps_fw_ruleset_init(rs);
		size_t rawlen = raw ? raw->len : 0;
		rc = read_once(rs, raw, &intr);
		if (rc || !intr)
			break;
		if (raw)
			raw->len = rawlen;
	}
	read_legacy(rs);
	return rc;
}
