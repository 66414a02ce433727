/* test_audit.c - the policy parser and matcher, the baseline file and the
 * outside view's XML reader: what a user writes parses as documented, a
 * mistake is named by line and column, and matching is first-match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "portsec/portsec.h"

static struct ps_svcdb *db;

static int setup(void **st)
{
	(void)st;
	return ps_svcdb_open(NULL, &db) == PS_OK ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	ps_svcdb_free(db);
	return 0;
}

static struct ps_policy *parse_ok(const char *text)
{
	struct ps_policy *p = NULL;
	struct ps_policy_error e;
	int rc = ps_policy_parse(text, strlen(text), db, &p, &e);
	if (rc != PS_OK)
		print_error("unexpected error %u:%u: %s\n", e.line, e.col, e.msg);
	assert_int_equal(rc, PS_OK);
	return p;
}

static void parse_bad(const char *text, unsigned line, unsigned col, const char *needle)
{
	struct ps_policy *p = NULL;
	struct ps_policy_error e;
	assert_int_equal(ps_policy_parse(text, strlen(text), db, &p, &e), PS_ERR_INVAL);
	assert_null(p);
	if (e.line != line || e.col != col || !strstr(e.msg, needle))
		print_error("got %u:%u: %s, want %u:%u: ...%s...\n", e.line, e.col, e.msg, line, col, needle);
	assert_int_equal(e.line, line);
	assert_int_equal(e.col, col);
	assert_non_null(strstr(e.msg, needle));
}

/* the example lines are part of the contract: they parse as written */
static void test_examples(void **st)
{
	(void)st;
	struct ps_policy *p = parse_ok("# the examples of the contract\n"
				       "allow tcp/22 process=sshd user=root scope=any\n"
				       "allow tcp/5432 scope=loopback\n"
				       "allow udp/123 unit=chrony.service\n"
				       "allow tcp/8000-8100 container=* scope=any reason=\"dev apps\"\n"
				       "deny tcp/23\n"
				       "default deny\n");
	assert_int_equal(p->n, 5);
	assert_true(p->default_deny);
	assert_int_equal(p->default_line, 7);
	const struct ps_pol_rule *r = &p->rules[0];
	assert_int_equal(r->action, PS_POL_ALLOW);
	assert_int_equal(r->protos, PS_P_TCP);
	assert_int_equal(r->lo, 22);
	assert_string_equal(r->process, "sshd");
	assert_string_equal(r->user, "root");
	assert_int_equal(r->scope, PS_POL_SCOPE_ANY);
	assert_int_equal(r->line, 2);
	assert_int_equal(p->rules[1].scope, PS_POL_SCOPE_LOOPBACK);
	assert_string_equal(p->rules[2].unit, "chrony.service");
	assert_int_equal(p->rules[2].protos, PS_P_UDP);
	assert_int_equal(p->rules[3].lo, 8000);
	assert_int_equal(p->rules[3].hi, 8100);
	assert_string_equal(p->rules[3].container, "*");
	assert_string_equal(p->rules[3].reason, "dev apps");
	assert_int_equal(p->rules[4].action, PS_POL_DENY);
	assert_string_equal(p->rules[4].text, "deny tcp/23");
	ps_policy_free(p);
	/* names, 22/tcp order, any, CIDR scope, firewall, expiry, quotes with escapes */
	p = parse_ok("allow tcp/ssh\nallow 53/any scope=198.18.0.0/15 firewall=blocked expires=2027-02-28 "
		     "reason=\"say \\\"hi\\\" # not a comment\" # a comment\n");
	assert_int_equal(p->rules[0].lo, 22);
	assert_int_equal(p->rules[1].protos, PS_P_TCP | PS_P_UDP);
	assert_int_equal(p->rules[1].scope, PS_POL_SCOPE_CIDR);
	assert_int_equal(p->rules[1].firewall, PS_POL_FW_BLOCKED);
	assert_int_equal(p->rules[1].expires, 1803859199); /* 2027-02-28T23:59:59Z */
	assert_string_equal(p->rules[1].reason, "say \"hi\" # not a comment");
	ps_policy_free(p);
}

static void test_errors(void **st)
{
	(void)st;
	parse_bad("allow tcp/22\nalow tcp/80\n", 2, 1, "expected allow, deny or default");
	parse_bad("allow tcp/70000\n", 1, 11, "bad port");
	parse_bad("allow sctp/22\n", 1, 7, "unknown protocol");
	parse_bad("allow tcp/22 scope=wide\n", 1, 20, "bad scope");
	parse_bad("allow tcp/22 colour=red\n", 1, 14, "unknown key 'colour'");
	parse_bad("allow tcp/22 user=root user=bin\n", 1, 24, "given twice");
	parse_bad("allow tcp/22 reason=\"open\n", 1, 14, "unterminated quote");
	parse_bad("allow tcp/90-80\n", 1, 11, "runs backwards");
	parse_bad("allow tcp/22 expires=2027-02-30\n", 1, 22, "bad date");
	parse_bad("default deny\ndefault allow\n", 2, 1, "second `default`");
	parse_bad("allow\n", 1, 7, "missing PROTO/PORT");
	parse_bad("allow tcp/nosuchservice\n", 1, 11, "unknown service name");
	parse_bad("allow tcp/22 scope=198.18.0.1/15\n", 1, 20, "bad scope");
	parse_bad("allow tcp/22 firewall=maybe\n", 1, 23, "bad firewall");
	const char nul[] = "allow tcp/22\0 x\n";
	struct ps_policy *p = NULL;
	struct ps_policy_error e;
	assert_int_equal(ps_policy_parse(nul, sizeof nul - 1, db, &p, &e), PS_ERR_INVAL);
	assert_int_equal(e.col, 13);
}

static struct ps_pol_subject subject(uint8_t proto, uint16_t port, uint8_t scope, const char *comm, const char *user)
{
	static const uint8_t any[16];
	return (struct ps_pol_subject){.proto = proto, .port = port, .family = AF_INET, .addr = any, .scope = scope,
				       .comm = comm, .exe = "/usr/sbin/x", .user = user, .netns = "host"};
}

static void test_match(void **st)
{
	(void)st;
	struct ps_policy *p = parse_ok("allow tcp/5432 scope=loopback\n"
				       "allow tcp/22 process=sshd user=root scope=any\n"
				       "allow tcp/6379 expires=2020-01-01\n"
				       "deny tcp/1-1023\n"
				       "allow tcp/8000-8100 process=py* scope=specific\n");
	const struct ps_pol_rule *exp;
	struct ps_pol_subject s = subject(PS_PROTO_TCP, 5432, PS_POL_SCOPE_LOOPBACK, "postgres", "postgres");
	assert_int_equal(ps_policy_match(p, &s, 1800000000, &exp)->line, 1);
	/* wider than the rule allows: no match */
	s.scope = PS_POL_SCOPE_ANY;
	assert_null(ps_policy_match(p, &s, 1800000000, &exp));
	s = subject(PS_PROTO_TCP, 22, PS_POL_SCOPE_ANY, "sshd", "root");
	assert_int_equal(ps_policy_match(p, &s, 1800000000, &exp)->line, 2);
	/* the same port held by someone else falls through to the deny */
	s.user = "nobody";
	const struct ps_pol_rule *r = ps_policy_match(p, &s, 1800000000, &exp);
	assert_int_equal(r->line, 4);
	assert_int_equal(r->action, PS_POL_DENY);
	/* expired: skipped, but named */
	s = subject(PS_PROTO_TCP, 6379, PS_POL_SCOPE_ANY, "redis-server", "redis");
	assert_null(ps_policy_match(p, &s, 1800000000, &exp));
	assert_non_null(exp);
	assert_int_equal(exp->line, 3);
	assert_int_equal(ps_policy_match(p, &s, 1500000000, &exp)->line, 3);
	/* a pattern on the process; udp does not match a tcp rule */
	s = subject(PS_PROTO_TCP, 8080, PS_POL_SCOPE_SPECIFIC, "python3", "dev");
	assert_int_equal(ps_policy_match(p, &s, 0, NULL)->line, 5);
	s.proto = PS_PROTO_UDP;
	assert_null(ps_policy_match(p, &s, 0, NULL));
	/* an unknown owner never matches a process= rule */
	s = subject(PS_PROTO_TCP, 22, PS_POL_SCOPE_ANY, NULL, NULL);
	s.exe = NULL;
	assert_int_equal(ps_policy_match(p, &s, 0, NULL)->line, 4);
	ps_policy_free(p);
}

static void test_baseline(void **st)
{
	(void)st;
	const char *ok = "# portsec baseline 1\n# saved 2026-12-07T12:00:00Z\n"
			 "tcp\t0.0.0.0\t22\thost\t/usr/sbin/sshd\troot\tany\topen\n"
			 "udp\t::\t123\thost\t/usr/sbin/ch\\tronyd\t_chrony\tany\tblocked\n";
	struct ps_baseline b;
	unsigned line;
	char why[200];
	assert_int_equal(ps_baseline_parse(ok, strlen(ok), &b, &line, why, sizeof why), PS_OK);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.saved, "2026-12-07T12:00:00Z");
	assert_int_equal(b.e[0].port, 22);
	assert_string_equal(b.e[1].exe, "/usr/sbin/ch\tronyd");
	assert_int_equal(b.e[1].family, AF_INET6);
	ps_baseline_free(&b);
	const char *bad = "# portsec baseline 1\ntcp\t0.0.0.0\t99999\thost\t-\t-\tany\topen\n";
	assert_int_equal(ps_baseline_parse(bad, strlen(bad), &b, &line, why, sizeof why), PS_ERR_INVAL);
	assert_int_equal(line, 2);
	assert_non_null(strstr(why, "port"));
	assert_int_equal(ps_baseline_parse("hello\n", 6, &b, &line, why, sizeof why), PS_ERR_INVAL);
	assert_int_equal(line, 1);
}

static void test_outside(void **st)
{
	(void)st;
	const char *xml = "<?xml version=\"1.0\"?>\n<nmaprun><host><status state=\"down\"/></host>"
			  "<host><status state=\"up\"/><address addr=\"198.18.0.10\" addrtype=\"ipv4\"/>"
			  "<ports><port protocol=\"tcp\" portid=\"22\"><state state=\"open\"/><service name=\"ssh\"/></port>"
			  "<port protocol=\"udp\" portid=\"161\"><state state=\"open|filtered\"/></port>"
			  "<port protocol=\"tcp\" portid=\"6379\"><state state=\"filtered\"/></port></ports></host></nmaprun>\n";
	struct ps_outside o;
	char why[200];
	assert_int_equal(ps_outside_parse_xml(xml, strlen(xml), &o, why, sizeof why), PS_OK);
	assert_string_equal(o.addr, "198.18.0.10");
	assert_int_equal(o.hosts, 2);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.p[0].state, PS_PST_OPEN);
	assert_string_equal(o.p[0].service, "ssh");
	assert_int_equal(o.p[1].proto, PS_PROTO_UDP);
	assert_int_equal(o.p[1].state, PS_PST_OPEN_FILTERED);
	assert_int_equal(o.p[2].state, PS_PST_FILTERED);
	ps_outside_free(&o);
	assert_int_equal(ps_outside_parse_xml("<nmaprun>", 9, &o, why, sizeof why), PS_ERR_INVAL);
	assert_non_null(strstr(why, "line"));
	assert_int_equal(ps_outside_parse_xml("<a/>", 4, &o, why, sizeof why), PS_ERR_INVAL);
	assert_non_null(strstr(why, "no <host>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples), cmocka_unit_test(test_errors), cmocka_unit_test(test_match),
		cmocka_unit_test(test_baseline), cmocka_unit_test(test_outside),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
