/* cmd_audit.c - `portsec audit`, `portsec policy init|check`, `portsec
 * baseline save`: the listeners judged by the library (ps_audit_run), the
 * files read and written here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_POLICY "/etc/portsec/policy"
#define DEFAULT_BASELINE "/var/lib/portsec/baseline"

enum { O_POLICY = 1, O_NOPOLICY, O_BASELINE, O_SCAN, O_DEEP, O_SARIF, O_JUNIT, O_HTML, O_PROM, O_FAILON, O_FIX, O_DRY };

static const struct cli_opt opts[] = {
	{CLI_O_SECTION, 0, NULL, 0, NULL, "What to judge against", NULL, 0, 0, 0},
	{O_POLICY, 0, "policy", CLI_A_FILE, "FILE", "the policy (default " DEFAULT_POLICY " when it exists)", NULL, 0, 0, 0},
	{O_NOPOLICY, 0, "no-policy", CLI_A_NONE, NULL, "built-in checks only, even when " DEFAULT_POLICY " exists", NULL,
	 0, 0, 0},
	{O_BASELINE, 0, "baseline", CLI_A_FILE, "FILE", "what appeared, went or changed since `portsec baseline save`",
	 NULL, 0, 0, 0},
	{O_SCAN, 0, "scan", CLI_A_FILE, "FILE.xml",
	 "an nmap (or portsec -oX) scan of this host taken from another\\nmachine: the outside view", NULL, 0, 0, 0},
	{O_DEEP, 0, "deep", CLI_A_NONE, NULL, "also the full hidden-port sweep (`portsec hidden`)", NULL, 0, 0, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Output", NULL, 0, 0, 0},
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "one JSON document (docs/audit.md, schema portsec-audit/1)", NULL, 0, 0,
	 0},
	{O_SARIF, 0, "sarif", CLI_A_NONE, NULL, "SARIF 2.1.0 on stdout", NULL, 0, 0, 0},
	{O_JUNIT, 0, "junit", CLI_A_NONE, NULL, "JUnit XML on stdout (one test case per check)", NULL, 0, 0, 0},
	{O_HTML, 0, "html", CLI_A_FILE, "FILE", "also one self-contained HTML page (written atomically)", NULL, 0, 0, 0},
	{O_PROM, 0, "prometheus", CLI_A_FILE, "FILE",
	 "also node_exporter textfile metrics (written atomically)", NULL, 0, 0, 0},
	{O_FAILON, 0, "fail-on", CLI_A_CHOICE, "SEV", "exit 1 for a finding at or above SEV (default medium)",
	 "info low medium high never", 0, 0, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Fixing", NULL, 0, 0, 0},
	{O_FIX, 0, "fix", CLI_A_NONE, NULL,
	 "apply the firewall remediations (`portsec close`, one transaction,\\nthe same checks); services are never stopped: their steps are printed",
	 NULL, 0, 0, 0},
	{O_DRY, 0, "dry-run", CLI_A_NONE, NULL, "with --fix: print the change, change nothing", NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_spec cli_audit_spec = {
	.name = "audit",
	.usage = "[--policy FILE] [--baseline FILE] [--scan FILE.xml] [--deep] [--json|--sarif|--junit]\n"
		 "                     [--html FILE] [--prometheus FILE] [--fail-on SEV] [--fix [--dry-run]]",
	.summary = "which ports are open without need: policy, baseline, outside scan",
	.description = "Judge every listener of this network namespace: the built-in checks (normally\n"
		       "local services on all interfaces, cleartext remote access, privileged ports of\n"
		       "other users, programs in /tmp, no firewall, Docker's DNAT, stale openings), the\n"
		       "policy (docs/policy.md, first match wins, `default deny` closes the world), a\n"
		       "baseline and an outside scan.  Every finding has a check id (docs/checks.md),\n"
		       "its evidence and a fix you can paste.",
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_COLOR | CLI_C_VERBOSE,
	.footer = "Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 for bad input\n"
		  "(a policy error names FILE:LINE:COL), 3 on a runtime error, 4 when a check could\n"
		  "not run (missing privilege: said on the first line, never a silent pass).",
	.fn = cmd_audit,
};

static const char fmt_text[] = "text";
static const char *const baseline_sub[] = {"save", NULL};

struct audit_args {
	const char *policy, *baseline, *scan, *html, *prom;
	bool no_policy, deep, fix, dry;
	const char *format;
	int fail_on; /* PS_SEV_*, 4 = never */
};

static int parse_args(struct cli *c, int argc, char **argv, struct audit_args *x)
{
	x->format = fmt_text;
	x->fail_on = PS_SEV_MEDIUM;
	struct cli_args a;
	cli_args_init(&a, c, &cli_audit_spec, argc, argv);
	int id;
	while ((id = cli_next(&a)) != CLI_END) {
		const char *want = NULL;
		switch (id) {
		case CLI_POS: return cli_usage(c, "unexpected argument '%s' (see `portsec audit --help`)", a.val);
		case O_POLICY: x->policy = a.val; break;
		case O_NOPOLICY: x->no_policy = true; break;
		case O_BASELINE: x->baseline = a.val; break;
		case O_SCAN: x->scan = a.val; break;
		case O_DEEP: x->deep = true; break;
		case CLI_O_JSON: want = "json"; break;
		case O_SARIF: want = "sarif"; break;
		case O_JUNIT: want = "junit"; break;
		case O_HTML: x->html = a.val; break;
		case O_PROM: x->prom = a.val; break;
		case O_FAILON: x->fail_on = (int)a.num; break;
		case O_FIX: x->fix = true; break;
		case O_DRY: x->dry = true; break;
		}
		if (want) {
			if (x->format != fmt_text && x->format != want) /* the table's own strings */
				return cli_usage(c, "output formats exclude each other: --%s and --%s", x->format, want);
			x->format = want;
		}
	}
	if (a.rc || a.done)
		return a.done ? -1 : a.rc;
	if (x->policy && x->no_policy)
		return cli_usage(c, "--policy and --no-policy exclude each other");
	if (x->dry && !x->fix)
		return cli_usage(c, "--dry-run goes with --fix");
	return EXIT_OK;
}

/* a whole file, with the one-line errors of bad input */
static int read_input(const struct cli *c, const char *what, const char *path, char **data, size_t *len)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return cli_usage(c, "%s '%s' is a directory", what, path);
	int r = ps_read_file_at(AT_FDCWD, path, data, len, 64u << 20);
	if (r != PS_OK)
		return cli_usage(c, "cannot read %s '%s': %s", what, path, errno ? strerror(errno) : ps_strerror(r));
	return EXIT_OK;
}

static int load_policy(const struct cli *c, const char *path, const struct ps_svcdb *db, struct ps_policy **pol)
{
	char *data;
	size_t len;
	int rc = read_input(c, "policy", path, &data, &len);
	if (rc != EXIT_OK)
		return rc;
	struct ps_policy_error e;
	int r = ps_policy_parse(data, len, db, pol, &e);
	free(data);
	if (r == PS_ERR_NOMEM)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	if (r != PS_OK)
		return cli_usage(c, "%s:%u:%u: %s", path, e.line, e.col, e.msg);
	return EXIT_OK;
}

/* everything the audit reads, and what it made */
struct audit_run {
	struct ps_inventory *inv;
	struct ps_svcdb *db;
	struct ps_fw_ruleset fw;
	bool have_fw;
	struct ps_fw_own own;
	struct ps_assessment *a;
	struct ps_policy *pol;
	struct ps_baseline base;
	struct ps_outside out;
	struct ps_hidden_report *hidden;
	struct ps_audit *au;
	const char *policy_path;
};

static void run_free(struct audit_run *r)
{
	ps_audit_free(r->au);
	ps_hidden_free(r->hidden);
	ps_outside_free(&r->out);
	ps_baseline_free(&r->base);
	ps_policy_free(r->pol);
	ps_assess_free(r->a);
	ps_fw_own_free(&r->own);
	if (r->have_fw)
		ps_fw_ruleset_free(&r->fw);
	ps_svcdb_free(r->db);
	ps_inventory_free(r->inv);
}

static int load_inputs(const struct cli *c, const struct audit_args *x, struct audit_run *r)
{
	int rc = EXIT_OK;
	struct stat st;
	r->policy_path = x->policy ? x->policy : (!x->no_policy && stat(DEFAULT_POLICY, &st) == 0 ? DEFAULT_POLICY : NULL);
	if (r->policy_path && (rc = load_policy(c, r->policy_path, r->db, &r->pol)) != EXIT_OK)
		return rc;
	char *data;
	size_t len;
	char why[200] = "";
	if (x->baseline) {
		unsigned line;
		if ((rc = read_input(c, "baseline", x->baseline, &data, &len)) != EXIT_OK)
			return rc;
		int pr = ps_baseline_parse(data, len, &r->base, &line, why, sizeof why);
		free(data);
		if (pr != PS_OK)
			return cli_usage(c, "%s:%u: %s", x->baseline, line, why);
	}
	if (x->scan) {
		if ((rc = read_input(c, "scan", x->scan, &data, &len)) != EXIT_OK)
			return rc;
		int pr = ps_outside_parse_xml(data, len, &r->out, why, sizeof why);
		free(data);
		if (pr != PS_OK)
			return cli_usage(c, "%s: %s", x->scan, why);
	}
	return EXIT_OK;
}

/* collect, assess, audit */
static int audit_collect(struct cli *c, const struct audit_args *x, struct audit_run *r)
{
	if (ps_svcdb_open(NULL, &r->db) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	int rc = load_inputs(c, x, r);
	if (rc != EXIT_OK)
		return rc;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_CURRENT;
	io.protos = PS_P_TCP | PS_P_UDP | PS_P_PACKET;
	io.owners = true;
	io.states = 1u << PS_ST_LISTEN | 1u << PS_ST_CLOSE;
	double t0 = cli_now();
	if ((rc = cli_collect(c, &io, &r->inv)) != EXIT_OK)
		return rc;
	double t1 = cli_now();
	bool *keep = calloc(r->inv->nsocks ? r->inv->nsocks : 1, sizeof *keep);
	if (!keep)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	for (size_t i = 0; i < r->inv->nsocks; i++)
		keep[i] = ps_socket_is_listener(&r->inv->socks[i]);
	ps_inventory_load_details(r->inv, keep, 0);
	free(keep);
	struct ps_assess_opts ao = {.db = r->db};
	cli_read_firewall(&r->fw, &ao);
	r->have_fw = true;
	if (ao.fw)
		ps_fw_own_from_ruleset(&r->fw, &r->own);
	double t2 = cli_now();
	if (ps_assess(r->inv, &ao, &r->a) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	double t3 = cli_now();
	if (x->deep) {
		struct ps_hidden_opts ho;
		ps_hidden_opts_init(&ho);
		if (ps_hidden_run(&ho, &r->hidden) != PS_OK) {
			ps_hidden_free(r->hidden);
			r->hidden = NULL;
			return cli_fail(c, EXIT_RUNTIME, "the hidden-port sweep could not run");
		}
	}
	struct ps_port_sysctls sys;
	ps_sysctls_read(&sys);
	struct ps_audit_opts o = {
		.policy = r->pol,
		.baseline = x->baseline ? &r->base : NULL,
		.outside = x->scan ? &r->out : NULL,
		.hidden = r->hidden,
		.own = ao.fw ? &r->own : NULL,
		.db = r->db,
		.unpriv_start = sys.have_unpriv ? sys.unpriv_start : 1024,
		.now = (int64_t)time(NULL),
	};
	if (ps_audit_run(r->a, &o, &r->au) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	if (getenv("PORTSEC_TIMING"))
		fprintf(stderr, "portsec timing: collect %.1f ms, details+firewall %.1f ms, assess %.1f ms, audit %.1f ms (%zu rows, %zu listeners, %zu findings)\n",
			(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (cli_now() - t3) * 1e3, r->inv->nsocks, r->au->nl,
			r->au->nfindings);
	return EXIT_OK;
}

static int write_file(const struct cli *c, const char *path, const struct ps_buf *b, unsigned mode)
{
	if (b->err)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	int r = ps_write_atomic(path, b->data ? b->data : "", b->len, mode);
	if (r != PS_OK)
		return cli_fail(c, r == PS_ERR_PERM ? EXIT_PRIV : EXIT_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
	return EXIT_OK;
}

static int emit_to_file(const struct cli *c, const char *path, const char *fmt, const struct ps_out_doc *d,
			const struct ps_out_opts *oo)
{
	struct ps_buf b;
	ps_buf_init(&b);
	ps_out_emit(&b, PS_VIEW_AUDIT, fmt, d, oo);
	int rc = write_file(c, path, &b, 0644);
	ps_buf_free(&b);
	return rc;
}

/* --fix: the firewall remediations through `portsec close` itself */
static int audit_fix(struct cli *c, const struct ps_audit *au, bool dry)
{
	char *args[64];
	char specs[60][16];
	char w_close[] = "close", w_dry[] = "--dry-run";
	int n = 0;
	args[n++] = w_close;
	for (size_t i = 0; i < au->nfindings && n < 60; i++) {
		const struct ps_finding *f = &au->findings[i];
		unsigned port;
		char proto[4];
		if (!f->remediation || sscanf(f->remediation, "portsec close %u/%3[a-z]", &port, proto) != 2)
			continue;
		char *s = specs[n];
		snprintf(s, sizeof specs[0], "%u/%s", port, proto);
		bool dup = false;
		for (int k = 1; k < n && !dup; k++)
			dup = strcmp(args[k], s) == 0;
		if (!dup)
			args[n++] = s;
	}
	for (size_t i = 0; i < au->nfindings; i++) {
		const char *fx = au->findings[i].remediation;
		const char *semi = fx ? strchr(fx, ';') : NULL;
		if (semi && strncmp(fx, "portsec close", 13) == 0)
			fprintf(stderr, "portsec audit: to do by hand (not done by --fix):%s\n", semi + 1);
	}
	if (n == 1) {
		fprintf(stderr, "portsec audit: --fix: no firewall remediation to apply\n");
		return EXIT_OK;
	}
	if (dry)
		args[n++] = w_dry;
	args[n] = NULL;
	struct cli cc = *c;
	cc.cmd = "close";
	cc.spec = &cli_close_spec;
	return cmd_close(&cc, n, args);
}

static void ctx_init(struct ps_audit_ctx *x, const struct audit_args *a, const struct audit_run *r, char *host,
		     size_t hcap, struct utsname *u, char *when, char *iso, char *ptext, size_t pcap)
{
	gethostname(host, hcap - 1);
	x->version = ps_version();
	x->hostname = host;
	x->kernel = uname(u) == 0 ? u->release : "?";
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, 64, "%Y-%m-%d %H:%M UTC", &tm);
	strftime(iso, 64, "%Y-%m-%dT%H:%M:%SZ", &tm);
	x->time_utc = when;
	x->time_iso = iso;
	x->now = (int64_t)now;
	x->policy = r->policy_path;
	if (r->pol)
		snprintf(ptext, pcap, "%s (%zu rule%s, default %s)", r->policy_path, r->pol->n, r->pol->n == 1 ? "" : "s",
			 r->pol->default_deny ? "deny" : "allow");
	else
		snprintf(ptext, pcap, "none: built-in checks only (%s does not exist; `portsec policy init` makes one)",
			 DEFAULT_POLICY);
	x->policy_text = ptext;
	x->policy_rules = r->pol ? r->pol->n : 0;
	x->policy_default_deny = r->pol && r->pol->default_deny;
	x->baseline = a->baseline;
	x->outside = a->scan;
	x->fail_on = a->fail_on;
	for (int s = a->fail_on; s <= PS_SEV_HIGH; s++)
		x->failed |= r->au->by_severity[s] > 0;
}

int cmd_audit(struct cli *c, int argc, char **argv)
{
	struct audit_args x = {0};
	int rc = parse_args(c, argc, argv, &x);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	struct audit_run r = {0};
	rc = audit_collect(c, &x, &r);
	if (rc == EXIT_OK) {
		char host[256] = "?", when[64], iso[64], ptext[400];
		struct utsname u;
		struct ps_audit_ctx ctx = {0};
		ctx_init(&ctx, &x, &r, host, sizeof host, &u, when, iso, ptext, sizeof ptext);
		struct ps_out_doc d = {.audit = r.au, .actx = &ctx};
		struct ps_out_opts oo = {.color = c->color};
		if (x.html)
			rc = emit_to_file(c, x.html, "html", &d, &oo);
		if (rc == EXIT_OK && x.prom)
			rc = emit_to_file(c, x.prom, "prometheus", &d, &oo);
		if (rc == EXIT_OK) {
			struct ps_buf b;
			cli_buf_stdout(&b);
			ps_out_emit(&b, PS_VIEW_AUDIT, x.format, &d, &oo);
			rc = cli_finish_stdout(c, &b);
		}
		if (rc == EXIT_OK && x.fix)
			rc = audit_fix(c, r.au, x.dry);
		if (rc == EXIT_OK && ctx.failed)
			rc = EXIT_FINDINGS;
		if (rc == EXIT_OK && r.au->nincomplete) {
			fprintf(stderr, "portsec audit: incomplete: %s%s\n", r.au->incomplete[0], geteuid() ? "; run as root" : "");
			rc = EXIT_PRIV;
		}
	}
	run_free(&r);
	return rc;
}

/* ---- portsec policy init|check ---- */

static const struct cli_opt no_opts[] = {{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
static const char *const policy_sub[] = {"init", "check", NULL};

const struct cli_spec cli_policy_spec = {
	.name = "policy",
	.usage = "init | check FILE",
	.summary = "write a policy from what listens now, or check one",
	.description = "init: one commented `allow` rule per listener on stdout, under `default deny`,\n"
		       "for you to trim (portsec policy init > /etc/portsec/policy).\n"
		       "check FILE: parse it; a mistake is named as FILE:LINE:COL (exit 2).",
	.opts = no_opts,
	.common = CLI_C_COLOR,
	.fn = cmd_policy,
};

int cmd_policy(struct cli *c, int argc, char **argv)
{
	const char *pos[2] = {0};
	int rc, n = cli_positionals(c, &cli_policy_spec, argc, argv, pos, 2, &rc);
	if (n < 0)
		return rc;
	int sub = n ? cli_word(policy_sub, pos[0]) : -1;
	if (sub < 0 || (sub == 0 && n != 1) || (sub == 1 && n != 2))
		return cli_usage(c, "usage: portsec policy init | portsec policy check FILE");
	struct ps_svcdb *db = NULL;
	ps_svcdb_open(NULL, &db);
	if (sub == 1) {
		struct ps_policy *p = NULL;
		rc = load_policy(c, pos[1], db, &p);
		if (rc == EXIT_OK)
			printf("%s: %zu rule%s, default %s\n", pos[1], p->n, p->n == 1 ? "" : "s", p->default_deny ? "deny" : "allow");
		ps_policy_free(p);
		ps_svcdb_free(db);
		return rc;
	}
	ps_svcdb_free(db);
	struct audit_args x = {.no_policy = true, .format = "text"};
	struct audit_run r = {0};
	rc = audit_collect(c, &x, &r);
	if (rc == EXIT_OK) {
		struct ps_buf b;
		cli_buf_stdout(&b);
		ps_policy_init_text(r.au, &b);
		rc = cli_finish_stdout(c, &b);
	}
	run_free(&r);
	return rc;
}

/* ---- portsec baseline save [FILE] ---- */

const struct cli_spec cli_baseline_spec = {
	.name = "baseline",
	.usage = "save [FILE]",
	.summary = "record the judged listeners, for `audit --baseline`",
	.description = "save: the listeners of this namespace with owner exe, user, scope and firewall\n"
		       "verdict, keyed by proto, address, port and namespace (a restart with a new pid\n"
		       "is not a change), to FILE (default " DEFAULT_BASELINE "; - for stdout).",
	.opts = no_opts,
	.common = CLI_C_COLOR,
	.fn = cmd_baseline,
};

int cmd_baseline(struct cli *c, int argc, char **argv)
{
	const char *pos[2] = {0};
	int rc, n = cli_positionals(c, &cli_baseline_spec, argc, argv, pos, 2, &rc);
	if (n < 0)
		return rc;
	if (n < 1 || cli_word(baseline_sub, pos[0]) != 0)
		return cli_usage(c, "usage: portsec baseline save [FILE]");
	const char *path = n == 2 ? pos[1] : DEFAULT_BASELINE;
	struct audit_args x = {.no_policy = true, .format = "text"};
	struct audit_run r = {0};
	rc = audit_collect(c, &x, &r);
	if (rc == EXIT_OK) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		struct ps_buf b;
		bool out = strcmp(path, "-") == 0;
		if (out)
			cli_buf_stdout(&b);
		else
			ps_buf_init(&b);
		ps_baseline_write(r.au, when, &b);
		if (out) {
			rc = cli_finish_stdout(c, &b);
		} else {
			rc = write_file(c, path, &b, 0644);
			ps_buf_free(&b);
			if (rc == EXIT_OK)
				fprintf(stderr, "portsec baseline: %zu listener%s saved to %s\n", r.au->nl, r.au->nl == 1 ? "" : "s",
					path);
		}
		if (rc == EXIT_OK && r.au->nincomplete) {
			fprintf(stderr, "portsec baseline: incomplete: %s%s\n", r.au->incomplete[0], geteuid() ? "; run as root" : "");
			rc = EXIT_PRIV;
		}
	}
	run_free(&r);
	return rc;
}
