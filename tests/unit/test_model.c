/* unit tests: model (names, scopes, ranges, the inventory container, filters) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static void test_names(void **st)
{
	(void)st;
	assert_string_equal(ps_state_name(PS_PROTO_TCP, PS_ST_LISTEN), "listen");
	assert_string_equal(ps_state_name(PS_PROTO_TCP, PS_ST_TIME_WAIT), "time-wait");
	assert_string_equal(ps_state_name(PS_PROTO_TCP, PS_ST_FIN_WAIT1), "fin-wait-1");
	assert_string_equal(ps_state_name(PS_PROTO_TCP, PS_ST_BOUND_INACTIVE), "bound-inactive");
	assert_string_equal(ps_state_name(PS_PROTO_UDP, PS_ST_CLOSE), "unconnected");
	assert_string_equal(ps_state_name(PS_PROTO_UDP, PS_ST_ESTABLISHED), "connected");
	assert_string_equal(ps_state_name(PS_PROTO_TCP, 200), "unknown");
	unsigned m;
	assert_int_equal(ps_state_parse("listen", &m), PS_OK);
	assert_int_equal(m, 1u << PS_ST_LISTEN);
	assert_int_equal(ps_state_parse("unconnected", &m), PS_OK);
	assert_int_equal(m, 1u << PS_ST_CLOSE);
	assert_int_equal(ps_state_parse("nonsense", &m), PS_ERR_INVAL);
	assert_string_equal(ps_owner_note_name(PS_ON_PERM_DENIED), "permission-denied");
	assert_null(ps_owner_note_name(PS_ON_NONE));
}

static void test_scope_range(void **st)
{
	(void)st;
	uint8_t any4[16] = {0}, lo4[16] = {127, 0, 0, 53}, a4[16] = {198, 18, 0, 1};
	uint8_t lo6[16] = {[15] = 1}, mapped_lo[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
	assert_int_equal(ps_scope_of(AF_INET, any4), PS_SCOPE_ANY);
	assert_int_equal(ps_scope_of(AF_INET, lo4), PS_SCOPE_LOOPBACK);
	assert_int_equal(ps_scope_of(AF_INET, a4), PS_SCOPE_ADDRESS);
	assert_int_equal(ps_scope_of(AF_INET6, any4), PS_SCOPE_ANY);
	assert_int_equal(ps_scope_of(AF_INET6, lo6), PS_SCOPE_LOOPBACK);
	assert_int_equal(ps_scope_of(AF_INET6, mapped_lo), PS_SCOPE_LOOPBACK);
	assert_int_equal(ps_iana_range_of(0), PS_RANGE_WELL_KNOWN);
	assert_int_equal(ps_iana_range_of(1023), PS_RANGE_WELL_KNOWN);
	assert_int_equal(ps_iana_range_of(1024), PS_RANGE_REGISTERED);
	assert_int_equal(ps_iana_range_of(49151), PS_RANGE_REGISTERED);
	assert_int_equal(ps_iana_range_of(49152), PS_RANGE_DYNAMIC);
}

static struct ps_inventory *sample(void)
{
	struct ps_inventory *inv = ps_inventory_new();
	struct ps_netns ns = {.inode = 4026531840u, .current = true};
	strcpy(ns.name, "blue");
	assert_int_equal(ps_inventory_add_netns(inv, &ns, NULL), PS_OK);
	struct ps_socket *s = ps_inventory_add_socket(inv);
	s->family = AF_INET;
	s->proto = PS_PROTO_TCP;
	s->state = PS_ST_LISTEN;
	s->lport = 22;
	s->uid = 0;
	s = ps_inventory_add_socket(inv);
	s->family = AF_INET6;
	s->proto = PS_PROTO_UDP;
	s->state = PS_ST_CLOSE;
	s->lport = 53;
	s->laddr[15] = 1;
	s->uid = 100;
	s = ps_inventory_add_socket(inv);
	s->family = AF_INET;
	s->proto = PS_PROTO_TCP;
	s->state = PS_ST_ESTABLISHED;
	s->lport = 40000;
	s->rport = 443;
	s->laddr[0] = 198;
	s->laddr[1] = 18;
	s->uid = 100;
	return inv;
}

static void test_filter(void **st)
{
	(void)st;
	struct ps_inventory *inv = sample();
	struct ps_filter f;
	ps_filter_init(&f);
	for (size_t i = 0; i < inv->nsocks; i++)
		assert_true(ps_filter_match(&f, inv, &inv->socks[i]));
	/* -l semantic: listen also selects unconnected UDP */
	f.states = 1u << PS_ST_LISTEN;
	assert_true(ps_filter_match(&f, inv, &inv->socks[0]));
	assert_true(ps_filter_match(&f, inv, &inv->socks[1]));
	assert_false(ps_filter_match(&f, inv, &inv->socks[2]));
	ps_filter_init(&f);
	assert_int_equal(ps_parse_portspec("443", &f.port), PS_OK);
	f.have_port = true; /* port matches the peer of a client socket too */
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	assert_true(ps_filter_match(&f, inv, &inv->socks[2]));
	ps_filter_init(&f);
	assert_int_equal(ps_parse_portspec("53/tcp", &f.sport), PS_OK);
	f.have_sport = true;
	assert_false(ps_filter_match(&f, inv, &inv->socks[1])); /* udp row, tcp asked */
	ps_filter_init(&f);
	f.scope = PS_SCOPE_LOOPBACK;
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	assert_true(ps_filter_match(&f, inv, &inv->socks[1]));
	ps_filter_init(&f);
	f.have_uid = true;
	f.uid = 100;
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	assert_true(ps_filter_match(&f, inv, &inv->socks[2]));
	ps_filter_init(&f);
	f.netns = "blue";
	assert_true(ps_filter_match(&f, inv, &inv->socks[0]));
	f.netns = "4026531840";
	assert_true(ps_filter_match(&f, inv, &inv->socks[0]));
	f.netns = "red";
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	ps_filter_init(&f);
	f.families = 2;
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	assert_true(ps_filter_match(&f, inv, &inv->socks[1]));
	ps_filter_init(&f);
	f.proc = "sshd"; /* no owners in the sample */
	assert_false(ps_filter_match(&f, inv, &inv->socks[0]));
	ps_inventory_free(inv);
}

static void test_container(void **st)
{
	(void)st;
	struct ps_inventory *inv = sample();
	assert_int_equal(ps_inventory_find_netns(inv, 4026531840u), 0);
	assert_int_equal(ps_inventory_find_netns(inv, 1), -1);
	struct ps_netns dup = {.inode = 4026531840u};
	uint32_t idx = 9;
	assert_int_equal(ps_inventory_add_netns(inv, &dup, &idx), PS_OK);
	assert_int_equal(idx, 0);
	assert_int_equal(inv->nnetns, 1);
	ps_inventory_warn(inv, "x %d", 1);
	ps_inventory_warn(inv, "x %d", 1);
	assert_int_equal(inv->nwarnings, 1); /* deduplicated */
	assert_string_equal(inv->warnings[0], "x 1");
	ps_inventory_free(NULL);
	ps_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_scope_range),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_container),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
