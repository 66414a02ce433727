/* unit tests: the sock_diag reply parser, on messages built here the way the
 * kernel lays them out */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static char buf[8192];

static size_t put_inet(char *at, int family, uint8_t state, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport, uint32_t uid, uint32_t ino, int v6only)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof *m);
	m->idiag_family = (uint8_t)family;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	inet_pton(family, src, m->id.idiag_src);
	inet_pton(family, dst, m->id.idiag_dst);
	m->id.idiag_cookie[0] = 7;
	m->id.idiag_cookie[1] = 1;
	m->idiag_uid = uid;
	m->idiag_inode = ino;
	m->idiag_rqueue = 3;
	m->idiag_wqueue = 128;
	if (v6only >= 0)
		mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, (uint8_t)v6only);
	mnl_attr_put_u32(nlh, 200, 1); /* an attribute from the future: ignored */
	return nlh->nlmsg_len;
}

static size_t put_done(char *at, int err)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	nlh->nlmsg_type = NLMSG_DONE;
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*e = err;
	return nlh->nlmsg_len;
}

static void test_inet_rows(void **st)
{
	(void)st;
	size_t n = 0;
	n += put_inet(buf + n, AF_INET, 10, "0.0.0.0", 22, "0.0.0.0", 0, 0, 1111, -1);
	n += put_inet(buf + n, AF_INET6, 10, "::", 22, "::", 0, 0, 2222, 1);
	n += put_inet(buf + n, AF_INET, 1, "127.0.0.1", 40000, "127.0.0.1", 6379, 1000, 3333, -1);
	n += put_inet(buf + n, AF_INET, 7, "127.0.0.1", 31337, "0.0.0.0", 0, 0, 4444, -1);
	n += put_done(buf + n, 0);
	struct ps_inventory *inv = ps_inventory_new();
	bool done = false;
	int kerr = -1;
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_TCP, buf, n, &done, &kerr), PS_OK);
	assert_true(done);
	assert_int_equal(kerr, 0);
	assert_int_equal(inv->nsocks, 4);
	const struct ps_socket *s = &inv->socks[0];
	assert_int_equal(s->family, AF_INET);
	assert_int_equal(s->proto, PS_PROTO_TCP);
	assert_int_equal(s->state, PS_ST_LISTEN);
	assert_int_equal(s->lport, 22);
	assert_int_equal(s->inode, 1111);
	assert_int_equal(s->rqueue, 3);
	assert_int_equal(s->wqueue, 128);
	assert_true(s->cookie == ((1ull << 32) | 7));
	assert_int_equal(s->v6only, -1);
	assert_int_equal(s->sources, PS_SRC_SOCKDIAG);
	assert_int_equal(inv->socks[1].family, AF_INET6);
	assert_int_equal(inv->socks[1].v6only, 1);
	s = &inv->socks[2];
	assert_int_equal(s->state, PS_ST_ESTABLISHED);
	assert_int_equal(s->rport, 6379);
	assert_int_equal(s->uid, 1000);
	uint8_t lo[4] = {127, 0, 0, 1};
	assert_memory_equal(s->laddr, lo, 4);
	/* TCP CLOSE only comes from the bound-inactive walk */
	assert_int_equal(inv->socks[3].state, PS_ST_BOUND_INACTIVE);
	ps_inventory_free(inv);
}

static void test_udp_close_is_unconnected(void **st)
{
	(void)st;
	size_t n = put_inet(buf, AF_INET, 7, "0.0.0.0", 53, "0.0.0.0", 0, 0, 5, -1);
	struct ps_inventory *inv = ps_inventory_new();
	bool done;
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_UDP, buf, n, &done, NULL), PS_OK);
	assert_false(done); /* no DONE yet: the caller reads on */
	assert_int_equal(inv->socks[0].state, PS_ST_CLOSE);
	assert_string_equal(ps_state_name(PS_PROTO_UDP, inv->socks[0].state), "unconnected");
	ps_inventory_free(inv);
}

static void test_errors(void **st)
{
	(void)st;
	struct ps_inventory *inv = ps_inventory_new();
	bool done;
	int kerr = 0;
	/* NLMSG_ERROR with ENOENT: e.g. no raw_diag in this kernel */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof *e);
	e->error = -2;
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_RAW, buf, nlh->nlmsg_len, &done, &kerr),
			 PS_ERR_SYS);
	assert_int_equal(kerr, 2);
	assert_true(done);
	/* DONE carrying an error */
	size_t n = put_done(buf, -16);
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_TCP, buf, n, &done, &kerr), PS_ERR_SYS);
	assert_int_equal(kerr, 16);
	/* truncated message */
	n = put_inet(buf, AF_INET, 10, "0.0.0.0", 22, "0.0.0.0", 0, 0, 1, -1);
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_TCP, buf, n - 4, &done, &kerr), PS_ERR_PROTO);
	/* payload too short for inet_diag_msg */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	mnl_nlmsg_put_extra_header(nlh, 8);
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_TCP, buf, nlh->nlmsg_len, &done, &kerr),
			 PS_ERR_PROTO);
	/* unknown family */
	n = put_inet(buf, AF_INET, 10, "0.0.0.0", 22, "0.0.0.0", 0, 0, 1, -1);
	((struct inet_diag_msg *)mnl_nlmsg_get_payload((struct nlmsghdr *)buf))->idiag_family = 99;
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_TCP, buf, n, &done, &kerr), PS_ERR_PROTO);
	assert_int_equal(inv->nsocks, 0);
	ps_inventory_free(inv);
}

static void test_packet(void **st)
{
	(void)st;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	struct packet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof *m);
	m->pdiag_family = AF_PACKET;
	m->pdiag_type = SOCK_RAW;
	m->pdiag_num = 0x0800; /* host order, as packet_diag_fill sends it */
	m->pdiag_ino = 777;
	struct packet_diag_info pi = {.pdi_index = 0};
	mnl_attr_put(nlh, PACKET_DIAG_INFO, sizeof pi, &pi);
	mnl_attr_put_u32(nlh, PACKET_DIAG_UID, 0);
	struct sock_filter f[4] = {
		{0x28, 0, 0, 12}, {0x15, 0, 1, 0x1234}, {0x06, 0, 0, 0x40000}, {0x06, 0, 0, 0}};
	mnl_attr_put(nlh, PACKET_DIAG_FILTER, sizeof f, f);
	size_t n = nlh->nlmsg_len;
	/* a second socket whose filter we may not see (no CAP_NET_ADMIN: empty attr) */
	nlh = mnl_nlmsg_put_header(buf + n);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof *m);
	m->pdiag_family = AF_PACKET;
	m->pdiag_type = SOCK_DGRAM;
	m->pdiag_num = 0x0003;
	m->pdiag_ino = 778;
	mnl_attr_put(nlh, PACKET_DIAG_FILTER, 0, NULL);
	n += nlh->nlmsg_len;
	struct ps_inventory *inv = ps_inventory_new();
	bool done;
	assert_int_equal(ps_sockdiag_parse(inv, 0, PS_PROTO_PACKET, buf, n, &done, NULL), PS_OK);
	assert_int_equal(inv->nsocks, 2);
	const struct ps_socket *s = &inv->socks[0];
	assert_int_equal(s->family, AF_PACKET);
	assert_int_equal(s->protocol, 0x0800);
	assert_int_equal(s->inode, 777);
	assert_true(s->has_filter);
	assert_int_equal(s->filter_len, 4);
	assert_int_equal(inv->insns[s->filter_first + 1].code, 0x15);
	assert_int_equal(inv->insns[s->filter_first + 1].k, 0x1234);
	assert_int_equal(inv->socks[1].pkt_type, SOCK_DGRAM);
	assert_false(inv->socks[1].has_filter);
	ps_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet_rows),
		cmocka_unit_test(test_udp_close_is_unconnected),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
