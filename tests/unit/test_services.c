/* unit tests: port knowledge (built-in table, /etc/services, reserved ports) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "portsec/portsec.h"

static void test_builtin_sorted(void **st)
{
	(void)st;
	size_t n;
	const struct ps_service *b = ps_services_builtin(&n);
	assert_true(n > 120);
	for (size_t i = 1; i < n; i++)
		assert_true(b[i - 1].port <= b[i].port);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(b[i].name);
		assert_true(b[i].protos & (PS_P_TCP | PS_P_UDP));
	}
}

struct seen {
	int n;
	char last[64];
	uint16_t port;
	unsigned proto;
	char aliases[128];
};

static int on_svc(void *ctx, const char *name, uint16_t port, unsigned proto, const char *aliases)
{
	struct seen *s = ctx;
	s->n++;
	snprintf(s->last, sizeof s->last, "%s", name);
	s->port = port;
	s->proto = proto;
	snprintf(s->aliases, sizeof s->aliases, "%s", aliases);
	return 0;
}

static void test_etc_parse(void **st)
{
	(void)st;
	const char *txt = "# comment\n"
			  "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
			  "bogus 99999/tcp\n"
			  "noproto 5\n"
			  "weird 7/sctp\n"
			  "\n"
			  "myproto 4242/udp  alias-one alias2 # trailing\n";
	struct seen s = {0};
	assert_int_equal(ps_etc_services_parse(txt, strlen(txt), on_svc, &s), PS_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.last, "myproto");
	assert_int_equal(s.port, 4242);
	assert_int_equal(s.proto, PS_P_UDP);
	assert_string_equal(s.aliases, "alias-one alias2");
}

static void test_db(void **st)
{
	(void)st;
	char path[] = "/tmp/ps-services-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *txt = "ssh 22/tcp\nmyproto 4242/udp myalias\ndomain 53/udp nameserver\n";
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	struct ps_svcdb *db = NULL;
	assert_int_equal(ps_svcdb_open(path, &db), PS_OK);
	unlink(path);
	assert_true(ps_svcdb_has_etc(db));
	const struct ps_service *s = ps_svcdb_by_port(db, 22, PS_P_TCP);
	assert_non_null(s);
	assert_string_equal(s->name, "ssh");
	assert_null(ps_svcdb_by_port(db, 22, PS_P_UDP));
	s = ps_svcdb_by_port(db, 4242, PS_P_UDP);
	assert_non_null(s);
	assert_string_equal(s->name, "myproto");
	assert_string_equal(ps_svcdb_aliases(db, 53, PS_P_UDP), "nameserver");
	const struct ps_service *res[8];
	assert_int_equal(ps_svcdb_by_name(db, "SSH", res, 8), 1);
	assert_int_equal(res[0]->port, 22);
	assert_int_equal(ps_svcdb_by_name(db, "dns", res, 8), 2); /* domain tcp+udp */
	assert_int_equal(ps_svcdb_by_name(db, "myalias", res, 8), 1);
	assert_int_equal(ps_svcdb_by_name(db, "nonexistent-service", res, 8), 0);
	ps_svcdb_free(db);
	/* a missing file is fine: the built-in table still answers */
	assert_int_equal(ps_svcdb_open("/nonexistent/services", &db), PS_OK);
	assert_false(ps_svcdb_has_etc(db));
	assert_non_null(ps_svcdb_by_port(db, 443, PS_P_TCP));
	ps_svcdb_free(db);
}

static void test_nmap_services(void **st)
{
	(void)st;
	char path[] = "/tmp/ps-nmap-services-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	/* nmap-services' layout: name, port/proto, frequency, comment; sctp skipped;
	 * a second line for the same port/proto loses (nmap keeps the first) */
	const char *txt = "# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments\n"
			  "http\t80/sctp\t0.000000\t# sctp\n"
			  "http\t80/tcp\t0.45\t# web\n"
			  "priv-mail\t24/tcp\t0.001\t# mail\n"
			  "http\t8008/tcp\t0.007\t# alt\n"
			  "http-proxy\t8080/tcp\t0.04\n"
			  "other\t8080/tcp\t0.9\n"
			  "blackice-icecap\t8081/tcp\t0.006\n"
			  "domain\t53/udp\t0.2\n"
			  "broken\t99999/tcp\t0.1\n"
			  "nofreq\t7/tcp\n"
			  "badfreq\t9/tcp\t2.5\n";
	assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
	close(fd);
	struct ps_svcdb *db = NULL;
	assert_int_equal(ps_svcdb_open_nmap(path, &db), PS_OK);
	unlink(path);
	assert_true(ps_svcdb_is_nmap(db));
	assert_string_equal(ps_svcdb_source(db), path);
	assert_string_equal(ps_svcdb_by_port(db, 24, PS_P_TCP)->name, "priv-mail");
	assert_string_equal(ps_svcdb_by_port(db, 8080, PS_P_TCP)->name, "http-proxy");
	assert_null(ps_svcdb_by_port(db, 22, PS_P_TCP)); /* nmap's file only: no built-in entries */
	assert_null(ps_svcdb_by_port(db, 7, PS_P_TCP));
	assert_null(ps_svcdb_by_port(db, 9, PS_P_TCP));
	const struct ps_service *res[8];
	assert_int_equal(ps_svcdb_by_name(db, "http", res, 8), 2); /* 80 and 8008 */
	assert_int_equal(res[0]->port, 80);
	assert_int_equal(res[1]->port, 8008);
	assert_int_equal(ps_svcdb_by_name(db, "blackice*", res, 8), 1);
	assert_int_equal(ps_svcdb_by_name(db, "http*", res, 8), 3);
	uint16_t rank[8];
	assert_int_equal(ps_svcdb_ranked(db, PS_P_TCP, rank, 8), 5);
	assert_int_equal(rank[0], 80);
	assert_int_equal(rank[1], 8080); /* 0.04, the first line's frequency */
	assert_int_equal(rank[2], 8008);
	assert_int_equal(rank[4], 24);
	assert_int_equal(ps_svcdb_ranked(db, PS_P_UDP, rank, 8), 1);
	ps_svcdb_free(db);
	/* missing, or not an nmap-services file: the fallback, and said so */
	assert_int_equal(ps_svcdb_open_nmap("/nonexistent/nmap-services", &db), PS_ERR_NOTFOUND);
	assert_false(ps_svcdb_is_nmap(db));
	assert_non_null(ps_svcdb_by_port(db, 443, PS_P_TCP));
	assert_int_equal(ps_svcdb_ranked(db, PS_P_TCP, rank, 8), 0);
	ps_svcdb_free(db);
	char p2[] = "/tmp/ps-nmap-services-XXXXXX";
	fd = mkstemp(p2);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ssh 22/tcp\n", 11), 11);
	close(fd);
	assert_int_equal(ps_svcdb_open_nmap(p2, &db), PS_ERR_INVAL);
	unlink(p2);
	assert_false(ps_svcdb_is_nmap(db));
	ps_svcdb_free(db);
}

static void test_reserved(void **st)
{
	(void)st;
	assert_false(ps_reserved_contains("", 22));
	assert_true(ps_reserved_contains("22", 22));
	assert_true(ps_reserved_contains("8080,9000-9010", 9005));
	assert_false(ps_reserved_contains("8080,9000-9010", 9011));
	assert_false(ps_reserved_contains("x", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_sorted),
		cmocka_unit_test(test_etc_parse),
		cmocka_unit_test(test_db),
		cmocka_unit_test(test_nmap_services),
		cmocka_unit_test(test_reserved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
