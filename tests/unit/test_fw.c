/* unit tests: the firewall module's pure parts on a captured ruleset
 * (fixtures/fw/mixed.nl, made by fixtures/fw/make.sh from mixed.nft plus
 * portsec's own table, iptables-nft rules and a Docker-style DNAT chain):
 * the reader, the verdict evaluator, the own-table planner and scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static struct ps_fw_ruleset RS;

static int setup(void **st)
{
	(void)st;
	char path[512];
	snprintf(path, sizeof path, "%s/fw/mixed.nl", FIXTURES_DIR);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ps_fw_ruleset_init(&RS);
	/* feed it in two chunks, as dumps arrive */
	size_t half = 0;
	while (half < n / 2) {
		uint32_t l;
		memcpy(&l, buf + half, 4);
		half += (l + 3u) & ~3u;
	}
	if (ps_fw_parse(&RS, buf, half) || ps_fw_parse(&RS, buf + half, n - half) || ps_fw_parse_finish(&RS))
		return -1;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	ps_fw_ruleset_free(&RS);
	return 0;
}

static void eval(int fam, uint8_t proto, uint16_t port, struct ps_fw_verdict *v)
{
	struct ps_fw_pkt p = {.family = fam, .l4proto = proto, .dport = port};
	assert_int_equal(ps_fw_eval(&RS, &p, NULL, v), PS_OK);
}

static char *summary(const struct ps_fw_verdict *v)
{
	static char s[512];
	struct ps_buf b;
	ps_buf_init(&b);
	ps_fw_verdict_summary(v, &b);
	snprintf(s, sizeof s, "%.*s", (int)b.len, b.data ? b.data : "");
	ps_buf_free(&b);
	return s;
}

static void test_reader(void **st)
{
	(void)st;
	assert_int_equal(RS.nskipped, 0);
	assert_non_null(ps_fw_find_chain(&RS, PS_NFP_INET, "filter", "input"));
	assert_non_null(ps_fw_find_chain(&RS, PS_NFP_IPV4, "nat", "DOCKER"));
	const struct ps_fw_chain *in = ps_fw_find_chain(&RS, PS_NFP_INET, "filter", "input");
	assert_true(in->base);
	assert_int_equal(in->policy, 0);
	const struct ps_fw_set *adm = ps_fw_find_set(&RS, PS_NFP_INET, "filter", "admins");
	assert_non_null(adm);
	assert_int_equal(adm->nelems, 2); /* interval ends folded: /24 and one address */
	assert_int_equal(ps_fw_table_manager(&RS, PS_NFP_IPV4, "filter"), PS_FWM_IPTABLES_NFT);
	assert_int_equal(ps_fw_table_manager(&RS, PS_NFP_IPV4, "nat"), PS_FWM_DOCKER);
	assert_int_equal(ps_fw_table_manager(&RS, PS_NFP_INET, "portsec"), PS_FWM_PORTSEC);
	assert_int_equal(ps_fw_table_manager(&RS, PS_NFP_INET, "filter"), PS_FWM_NFT);
}

static void test_verdicts(void **st)
{
	(void)st;
	struct ps_fw_verdict v;
	eval(AF_INET, IPPROTO_TCP, 22, &v);
	assert_int_equal(v.result, PS_FW_ACCEPT);
	assert_string_equal(summary(&v), "reachable from anywhere");
	/* a set of sources: reachable only from them */
	eval(AF_INET, IPPROTO_TCP, 3306, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_non_null(strstr(summary(&v), "198.18.5.0/24, 198.18.7.7"));
	eval(AF_INET6, IPPROTO_TCP, 3306, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_int_equal(v.nconds, 0);
	/* verdict map: drop, and jump to a chain that accepts one network */
	eval(AF_INET, IPPROTO_TCP, 25, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_non_null(v.where.rule);
	eval(AF_INET, IPPROTO_TCP, 110, &v);
	assert_non_null(strstr(summary(&v), "ip saddr == 198.18.1.0/24"));
	/* range, v6 source, interface */
	eval(AF_INET, IPPROTO_UDP, 5050, &v);
	assert_int_equal(v.result, PS_FW_ACCEPT);
	eval(AF_INET, IPPROTO_UDP, 5353, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	/* IPv6 would be let in from 2001:db8:1::/48, but this ruleset drops
	 * neighbour discovery: no IPv6 peer gets in */
	eval(AF_INET6, IPPROTO_UDP, 5353, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_true(v.nd_blocked);
	assert_null(strstr(summary(&v), "2001:db8:1::/48"));
	assert_non_null(strstr(summary(&v), "neighbour discovery is dropped"));
	eval(AF_INET, IPPROTO_TCP, 8888, &v);
	assert_non_null(strstr(summary(&v), "iifname == \"eth9\""));
	struct ps_fw_pkt p = {.family = AF_INET, .l4proto = IPPROTO_TCP, .dport = 8888, .have_iif = true};
	snprintf(p.iif, sizeof p.iif, "eth9");
	assert_int_equal(ps_fw_eval(&RS, &p, NULL, &v), PS_OK);
	assert_int_equal(v.result, PS_FW_ACCEPT);
	/* jump to a chain: accept, reject, fall through to the policy */
	eval(AF_INET, IPPROTO_TCP, 8080, &v);
	assert_int_equal(v.result, PS_FW_ACCEPT);
	eval(AF_INET, IPPROTO_TCP, 8081, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_string_equal(v.where.chain, "web");
	eval(AF_INET, IPPROTO_TCP, 8000, &v);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_int_equal(v.where.handle, 0); /* the policy */
	/* prerouting: raw drop, dnat, redirect; Docker's DNAT under a condition */
	eval(AF_INET, IPPROTO_TCP, 6666, &v);
	assert_string_equal(v.where.table, "raw");
	eval(AF_INET, IPPROTO_TCP, 8082, &v);
	assert_int_equal(v.result, PS_FW_DNAT);
	assert_string_equal(v.detail, "198.18.9.9:80");
	eval(AF_INET, IPPROTO_TCP, 8083, &v);
	assert_int_equal(v.result, PS_FW_REDIRECT);
	eval(AF_INET, IPPROTO_TCP, 8443, &v);
	assert_non_null(strstr(summary(&v), "198.18.99.2:443"));
	/* iptables-nft: a native DROP and xt multiport + conntrack REJECT
	 * (inet filter's policy drops them too: leave it out to see these) */
	struct ps_fw_table inetf = {.family = PS_NFP_INET, .name = "filter"};
	struct ps_fw_pkt ip9 = {.family = AF_INET, .l4proto = IPPROTO_TCP, .dport = 9200};
	assert_int_equal(ps_fw_eval(&RS, &ip9, &inetf, &v), PS_OK);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_string_equal(v.where.table, "filter");
	assert_int_equal(v.where.family, PS_NFP_IPV4);
	ip9.dport = 9450;
	assert_int_equal(ps_fw_eval(&RS, &ip9, &inetf, &v), PS_OK);
	assert_int_equal(v.result, PS_FW_DROP);
	assert_non_null(v.where.rule);
	struct ps_buf b;
	ps_buf_init(&b);
	ps_fw_rule_text(&RS, v.where.c, v.where.rule, &b);
	ps_buf_putc(&b, 0);
	assert_non_null(strstr(b.data, "xt match \"multiport\""));
	ps_buf_free(&b);
	ip9.dport = 9600;
	assert_int_equal(ps_fw_eval(&RS, &ip9, &inetf, &v), PS_OK);
	assert_int_equal(v.result, PS_FW_ACCEPT);
	/* skipping a table answers "what would the others do" */
	struct ps_fw_pkt q = {.family = AF_INET, .l4proto = IPPROTO_TCP, .dport = 9999};
	assert_int_equal(ps_fw_eval(&RS, &q, &inetf, &v), PS_OK);
	assert_int_equal(v.result, PS_FW_ACCEPT);
}

static void test_own_from_ruleset(void **st)
{
	(void)st;
	struct ps_fw_own o;
	assert_int_equal(ps_fw_own_from_ruleset(&RS, &o), PS_OK);
	assert_true(o.exists);
	assert_false(o.enabled);
	/* deny first, then by port: 8050 deny, 22, 53/tcp, 53/udp, 5432 from, 6000 from+iface, 8000-8049, 8051-8100 */
	assert_int_equal(o.n, 8);
	assert_int_equal(o.e[0].action, PS_FW_DENY);
	assert_int_equal(o.e[0].lo, 8050);
	struct ps_buf b;
	ps_buf_init(&b);
	for (size_t i = 0; i < o.n; i++) {
		ps_fw_entry_text(&o.e[i], &b);
		ps_buf_putc(&b, '|');
	}
	ps_buf_putc(&b, 0);
	assert_string_equal(b.data, "8050/tcp DENY from anywhere|22/tcp ALLOW from anywhere|53/tcp ALLOW from anywhere|"
				    "53/udp ALLOW from anywhere|5432/tcp ALLOW from 198.18.0.0/24|"
				    "6000/udp ALLOW from 2001:db8::/32 on eth1|8000:8049/tcp ALLOW from anywhere|"
				    "8051:8100/tcp ALLOW from anywhere|");
	ps_buf_free(&b);
	ps_fw_own_free(&o);
}

static struct ps_fw_entry E(enum ps_fw_action a, uint16_t lo, uint16_t hi)
{
	struct ps_fw_entry e = {.action = a, .proto = IPPROTO_TCP, .lo = lo, .hi = hi};
	return e;
}

static void test_plans(void **st)
{
	(void)st;
	struct ps_fw_entry ents[] = {E(PS_FW_ALLOW, 8000, 8100), E(PS_FW_DENY, 23, 23)};
	struct ps_fw_own o = {.exists = true, .e = ents, .n = 2};
	struct ps_fw_plan p;
	struct ps_buf b;
	/* covered: nothing to do */
	struct ps_fw_entry r = E(PS_FW_ALLOW, 8050, 8050);
	assert_int_equal(ps_fw_plan_open(&o, &r, &p), PS_OK);
	assert_true(ps_fw_plan_empty(&p));
	ps_fw_plan_free(&p);
	/* touching: merged into one element */
	r = E(PS_FW_ALLOW, 8101, 8200);
	assert_int_equal(ps_fw_plan_open(&o, &r, &p), PS_OK);
	ps_buf_init(&b);
	ps_fw_plan_script(&p, &b);
	ps_buf_putc(&b, 0);
	assert_string_equal(b.data, "delete element inet portsec allow_tcp { 8000-8100 }\n"
				    "add element inet portsec allow_tcp { 8000-8200 }\n");
	ps_buf_free(&b);
	ps_fw_plan_free(&p);
	/* open removes the matching deny */
	r = E(PS_FW_ALLOW, 23, 23);
	assert_int_equal(ps_fw_plan_open(&o, &r, &p), PS_OK);
	assert_int_equal(p.ndel, 1);
	assert_int_equal(p.del[0].action, PS_FW_DENY);
	assert_int_equal(p.nadd, 1);
	ps_fw_plan_free(&p);
	/* close splits the range and adds a deny (default-accept) */
	r = E(PS_FW_DENY, 8050, 8050);
	assert_int_equal(ps_fw_plan_close(&o, &r, &p), PS_OK);
	struct ps_fw_own after;
	assert_int_equal(ps_fw_own_apply_plan(&o, &p, &after), PS_OK);
	ps_buf_init(&b);
	for (size_t i = 0; i < after.n; i++) {
		ps_fw_entry_text(&after.e[i], &b);
		ps_buf_putc(&b, '|');
	}
	ps_buf_putc(&b, 0);
	assert_string_equal(b.data, "23/tcp DENY from anywhere|8050/tcp DENY from anywhere|"
				    "8000:8049/tcp ALLOW from anywhere|8051:8100/tcp ALLOW from anywhere|");
	ps_buf_free(&b);
	/* the diff of the states is the same change */
	struct ps_fw_plan d;
	assert_int_equal(ps_fw_plan_diff(&o, &after, &d), PS_OK);
	assert_int_equal(d.ndel, 1);
	assert_int_equal(d.nadd, 3);
	ps_fw_plan_free(&d);
	ps_fw_own_free(&after);
	ps_fw_plan_free(&p);
	/* with default-deny on, close only removes the allow */
	o.enabled = true;
	assert_int_equal(ps_fw_plan_close(&o, &r, &p), PS_OK);
	assert_int_equal(p.nadd, 2);
	for (size_t i = 0; i < p.nadd; i++)
		assert_int_equal(p.add[i].action, PS_FW_ALLOW);
	ps_fw_plan_free(&p);
	/* the whole-table script holds every element and the policy */
	ps_buf_init(&b);
	ps_fw_own_script(&o, &b);
	ps_buf_putc(&b, 0);
	assert_non_null(strstr(b.data, "elements = { 8000-8100 }"));
	assert_non_null(strstr(b.data, "policy drop;"));
	assert_non_null(strstr(b.data, "delete table inet portsec"));
	ps_buf_free(&b);
}

static void test_ssh_connection(void **st)
{
	(void)st;
	struct ps_cidr c;
	uint16_t port;
	assert_int_equal(ps_fw_parse_ssh_connection("198.18.0.2 40000 198.18.0.1 22", &c, &port), PS_OK);
	assert_int_equal(port, 22);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(ps_fw_parse_ssh_connection("2001:db8::2 1 2001:db8::1 2222", &c, &port), PS_OK);
	assert_int_equal(port, 2222);
	assert_int_not_equal(ps_fw_parse_ssh_connection("198.18.0.2 40000 198.18.0.1", &c, &port), PS_OK);
	assert_int_not_equal(ps_fw_parse_ssh_connection("x 1 y 22", &c, &port), PS_OK);
	assert_int_not_equal(ps_fw_parse_ssh_connection("198.18.0.2 1 198.18.0.1 0", &c, &port), PS_OK);
	assert_int_not_equal(ps_fw_parse_ssh_connection("198.18.0.2 1 198.18.0.1 22 extra", &c, &port), PS_OK);
}

static void test_truncated(void **st)
{
	(void)st;
	struct ps_fw_ruleset rs;
	ps_fw_ruleset_init(&rs);
	uint8_t bad[20] = {0xff, 0xff, 0, 0};
	assert_int_equal(ps_fw_parse(&rs, bad, sizeof bad), PS_ERR_TRUNC);
	ps_fw_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_own_from_ruleset),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_ssh_connection),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
