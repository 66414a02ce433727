/* unit tests: formatters on a hand-built inventory (table alignment, JSON
 * contract fields, host report grouping and warnings) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static struct ps_inventory *build(void)
{
	struct ps_inventory *inv = ps_inventory_new();
	struct ps_netns ns = {.inode = 4026531840u, .current = true, .entered = true};
	ps_inventory_add_netns(inv, &ns, NULL);
	struct ps_netns other = {.inode = 4026532000u, .entered = true};
	strcpy(other.name, "blue");
	ps_inventory_add_netns(inv, &other, NULL);
	struct ps_socket *s = ps_inventory_add_socket(inv); /* redis on all interfaces */
	s->family = AF_INET;
	s->proto = PS_PROTO_TCP;
	s->state = PS_ST_LISTEN;
	s->lport = 6379;
	s->inode = 10;
	s = ps_inventory_add_socket(inv); /* ssh on [::] dual-stack */
	s->family = AF_INET6;
	s->proto = PS_PROTO_TCP;
	s->state = PS_ST_LISTEN;
	s->lport = 22;
	s->v6only = 0;
	s->inode = 11;
	s = ps_inventory_add_socket(inv); /* cups on loopback, no owner */
	s->family = AF_INET;
	s->proto = PS_PROTO_TCP;
	s->state = PS_ST_LISTEN;
	s->laddr[0] = 127;
	s->laddr[3] = 1;
	s->lport = 631;
	s->inode = 12;
	s->owner_note = PS_ON_PERM_DENIED;
	s = ps_inventory_add_socket(inv); /* a listener in another netns */
	s->netns = 1;
	s->family = AF_INET;
	s->proto = PS_PROTO_UDP;
	s->state = PS_ST_CLOSE;
	s->lport = 53;
	/* owners: one process holds redis and ssh */
	inv->procs = calloc(1, sizeof *inv->procs);
	inv->nprocs = 1;
	inv->procs[0].pid = 4242;
	strcpy(inv->procs[0].comm, "svc");
	inv->procs[0].unit = ps_inventory_strdup(inv, "svc.service", 11);
	inv->owners = calloc(2, sizeof *inv->owners);
	inv->nowners = 2;
	inv->owners[0] = (struct ps_owner){0, 3};
	inv->owners[1] = (struct ps_owner){0, 4};
	inv->socks[0].owner_first = 0;
	inv->socks[0].owner_count = 1;
	inv->socks[1].owner_first = 1;
	inv->socks[1].owner_count = 1;
	return inv;
}

static char *render_list(const char *fmt, bool procs)
{
	struct ps_inventory *inv = build();
	struct ps_svcdb *db;
	ps_svcdb_open("/nonexistent", &db);
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_out_opts o = {.header = true, .processes = procs};
	assert_int_equal(ps_out_emit(&b, PS_VIEW_LIST, fmt, &(struct ps_out_doc){.inv = inv, .db = db}, &o), 0);
	ps_buf_putc(&b, '\0');
	ps_svcdb_free(db);
	ps_inventory_free(inv);
	return b.data;
}

/* every view is reachable through the one ops table, with a JSON format;
 * a format a view lacks is refused, never another view's formatter */
static void test_registry(void **st)
{
	(void)st;
	bool json[PS_VIEW_MAX] = {0}, human[PS_VIEW_MAX] = {0};
	size_t n = 0;
	for (const struct ps_formatter *f = ps_formatters(); f->name; f++, n++) {
		assert_true(f->view < PS_VIEW_MAX);
		assert_non_null(f->emit);
		assert_ptr_equal(ps_formatter_find(f->view, f->name), f);
		if (strcmp(f->name, "json") == 0)
			json[f->view] = true;
		else
			human[f->view] = true;
	}
	assert_true(n >= 2 * PS_VIEW_MAX);
	for (int v = 0; v < PS_VIEW_MAX; v++) {
		assert_true(json[v]);
		assert_true(human[v]);
	}
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_out_opts o = {0};
	assert_int_equal(ps_out_emit(&b, PS_VIEW_LIST, "xml", &(struct ps_out_doc){0}, &o), PS_ERR_INVAL);
	assert_null(ps_formatter_find(PS_VIEW_HIDDEN, "table"));
	assert_int_equal(b.len, 0);
	ps_buf_free(&b);
}

static void test_table(void **st)
{
	(void)st;
	char *t = render_list("table", true);
	/* header, then one line per socket */
	int lines = 0;
	for (char *p = t; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 5);
	assert_non_null(strstr(t, "PROCESS"));
	assert_non_null(strstr(t, "0.0.0.0:6379"));
	assert_non_null(strstr(t, "[::]:22"));
	assert_non_null(strstr(t, "svc(pid=4242,fd=3)"));
	assert_non_null(strstr(t, "- [permission-denied]"));
	assert_non_null(strstr(t, "redis"));
	/* columns align: LOCAL starts at the same offset on every line */
	char *l1 = strchr(t, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
	assert_int_equal(strstr(l1, "0.0.0.0:6379") - l1, strstr(l2, "[::]:22") - l2);
	free(t);
}

static void test_json_contract(void **st)
{
	(void)st;
	char *j = render_list("json", false);
	const char *must[] = {"\"sockets\":[", "\"netns\":{\"inode\":4026531840,\"name\":null}",
			      "\"proto\":\"tcp\"", "\"family\":\"inet6\"", "\"state\":\"listen\"",
			      "\"local\":{\"addr\":\"0.0.0.0\",\"port\":6379}",
			      "\"owners\":[{\"pid\":4242,\"fd\":3,\"comm\":\"svc\"",
			      "\"unit\":\"svc.service\"", "\"owner_note\":\"permission-denied\"",
			      "\"service\":{\"name\":\"redis\",\"range\":\"registered\"}",
			      "\"scope\":\"loopback\"", "\"v6only\":false", "\"state\":\"unconnected\"",
			      "\"netns\":{\"inode\":4026532000,\"name\":\"blue\"}", "\"sources\":[",
			      "\"warnings\":["};
	for (size_t i = 0; i < sizeof must / sizeof *must; i++)
		if (!strstr(j, must[i]))
			fail_msg("missing %s in %s", must[i], j);
	free(j);
	char *l = render_list("jsonl", false);
	int lines = 0;
	for (char *p = l; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 4);
	assert_int_equal(l[0], '{');
	free(l);
}

static void test_report(void **st)
{
	(void)st;
	struct ps_inventory *inv = build();
	struct ps_svcdb *db;
	ps_svcdb_open("/nonexistent", &db);
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_report_ctx ctx = {"host", "6.18", "now"};
	struct ps_out_opts o = {0};
	struct ps_assess_opts ao = {.db = db, .fw_error = "not read"};
	struct ps_assessment *a = NULL;
	assert_int_equal(ps_assess(inv, &ao, &a), PS_OK);
	/* the judging layer: findings with stable ids, severities, remediations */
	const struct ps_finding *redis_f = NULL, *noown = NULL, *netns = NULL;
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct ps_finding *f = &a->findings[i];
		assert_non_null(ps_check_def(f->kind)); /* every id is registered */
		if (strcmp(f->kind, "risky-service-exposed") == 0 && f->port == 6379)
			redis_f = f;
		if (strcmp(f->kind, "listener-no-owner") == 0)
			noown = f;
		if (strcmp(f->kind, "other-netns-listeners") == 0)
			netns = f;
	}
	assert_true(redis_f && noown && netns);
	if (redis_f && noown && netns) {
		assert_int_equal(redis_f->severity, PS_SEV_MEDIUM);
		assert_string_equal(redis_f->remediation, "portsec close 6379/tcp");
		assert_true(redis_f->nevidence >= 2);
		assert_non_null(strstr(redis_f->evidence[0], "tcp listen 0.0.0.0:6379"));
		assert_int_equal(noown->severity, PS_SEV_LOW);
		assert_false(netns->has_endpoint);
	}
	unsigned nw = a->by_severity[PS_SEV_MEDIUM] + a->by_severity[PS_SEV_HIGH];
	assert_int_equal(ps_out_report(&b, false, &ctx, a, db, &o), 0);
	ps_buf_putc(&b, '\0');
	char *all = strstr(b.data, "Listening on all interfaces");
	char *lo = strstr(b.data, "Listening on loopback only");
	assert_non_null(all);
	assert_non_null(lo);
	char *redis = strstr(b.data, "6379/tcp");
	assert_true(redis > all && redis < lo);
	char *cups = strstr(b.data, "631/tcp");
	assert_true(cups > lo);
	assert_non_null(strstr(b.data, "svc (pid 4242"));
	assert_non_null(strstr(b.data, "listens on all interfaces"));
	assert_non_null(strstr(b.data, "other network namespace"));
	assert_int_equal(nw, 1); /* redis: medium; no-owner: low; other netns: info */
	assert_non_null(strstr(b.data, "Firewall: not evaluated (not read)"));
	ps_assess_free(a);
	ps_buf_free(&b);
	ps_svcdb_free(db);
	inv->procs[0].unit = NULL;
	ps_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
