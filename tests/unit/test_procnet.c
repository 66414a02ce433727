/* unit tests: the /proc/net parser on captured files (tests/fixtures/procnet) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static struct ps_inventory *parse_fixture(const char *kind)
{
	char path[512], *buf;
	size_t len;
	snprintf(path, sizeof path, "%s/procnet/%s", FIXTURES_DIR, kind);
	assert_int_equal(ps_read_file_at(AT_FDCWD, path, &buf, &len, 1 << 20), PS_OK);
	struct ps_inventory *inv = ps_inventory_new();
	unsigned bad = 0;
	assert_int_equal(ps_procnet_parse(inv, 0, kind, buf, len, &bad), PS_OK);
	free(buf);
	return inv;
}

static void test_tcp(void **st)
{
	(void)st;
	struct ps_inventory *inv = parse_fixture("tcp");
	assert_int_equal(inv->nsocks, 4);
	const struct ps_socket *s = &inv->socks[0];
	assert_int_equal(s->state, PS_ST_LISTEN);
	assert_int_equal(s->lport, 2024);
	assert_int_equal(s->inode, 1060);
	assert_int_equal(s->sources, PS_SRC_PROCFS);
	s = &inv->socks[1];
	uint8_t lo[4] = {127, 0, 0, 1};
	assert_memory_equal(s->laddr, lo, 4);
	assert_int_equal(s->lport, 6379);
	assert_int_equal(s->uid, 1000);
	assert_int_equal(s->rqueue, 128);
	s = &inv->socks[2];
	assert_int_equal(s->state, PS_ST_ESTABLISHED);
	assert_int_equal(s->lport, 40000);
	assert_int_equal(s->rport, 6379);
	assert_int_equal(inv->socks[3].state, PS_ST_TIME_WAIT);
	assert_int_equal(inv->socks[3].inode, 0);
	ps_inventory_free(inv);
}

static void test_tcp6(void **st)
{
	(void)st;
	struct ps_inventory *inv = parse_fixture("tcp6");
	assert_int_equal(inv->nsocks, 3);
	uint8_t lo6[16] = {[15] = 1};
	uint8_t doc[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	assert_int_equal(inv->socks[0].family, AF_INET6);
	assert_int_equal(inv->socks[0].lport, 22);
	assert_memory_equal(inv->socks[1].laddr, lo6, 16);
	assert_int_equal(inv->socks[1].lport, 631);
	assert_memory_equal(inv->socks[2].laddr, doc, 16);
	assert_int_equal(inv->socks[2].lport, 443);
	ps_inventory_free(inv);
}

static void test_udp_raw_packet(void **st)
{
	(void)st;
	struct ps_inventory *inv = parse_fixture("udp");
	assert_int_equal(inv->nsocks, 2);
	assert_int_equal(inv->socks[0].proto, PS_PROTO_UDP);
	assert_int_equal(inv->socks[0].state, PS_ST_CLOSE);
	assert_int_equal(inv->socks[0].lport, 53);
	assert_int_equal(inv->socks[0].uid, 101);
	assert_int_equal(inv->socks[1].state, PS_ST_ESTABLISHED);
	ps_inventory_free(inv);
	inv = parse_fixture("raw");
	assert_int_equal(inv->nsocks, 1);
	assert_int_equal(inv->socks[0].proto, PS_PROTO_RAW);
	assert_int_equal(inv->socks[0].protocol, 1);
	ps_inventory_free(inv);
	inv = parse_fixture("packet");
	assert_int_equal(inv->nsocks, 2);
	assert_int_equal(inv->socks[0].family, AF_PACKET);
	assert_int_equal(inv->socks[0].protocol, 0x0800);
	assert_int_equal(inv->socks[0].pkt_type, 3);
	assert_int_equal(inv->socks[0].inode, 7777);
	assert_int_equal(inv->socks[1].ifindex, 2);
	assert_int_equal(inv->socks[1].uid, 101);
	ps_inventory_free(inv);
}

static void test_malformed(void **st)
{
	(void)st;
	const char *cases[] = {
		"hdr\n   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 x 0 1\n",
		"hdr\n   0: 0100007F:16 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n",
		"hdr\n   0: 0100007G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n",
		"hdr\n   0: 0100007F:0016\n",
		"hdr\n0: 0100007F:0016 00000000:0000 0A 0000000000000000 00:00000000 00000000 0 0 1\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct ps_inventory *inv = ps_inventory_new();
		unsigned bad = 0;
		assert_int_equal(ps_procnet_parse(inv, 0, "tcp", cases[i], strlen(cases[i]), &bad),
				 PS_ERR_INVAL);
		assert_int_equal(bad, 2);
		ps_inventory_free(inv);
	}
	struct ps_inventory *inv = ps_inventory_new();
	assert_int_equal(ps_procnet_parse(inv, 0, "tcp9", "", 0, NULL), PS_ERR_INVAL);
	/* header only, blank lines: fine, nothing */
	assert_int_equal(ps_procnet_parse(inv, 0, "udp6", "hdr\n\n  \n", 8, NULL), PS_OK);
	assert_int_equal(inv->nsocks, 0);
	ps_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp_raw_packet),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
