/* cmd_watch.c - `portsec watch`: the library's events (ps_watch_run) as
 * human lines or JSON Lines with Elastic Common Schema names; SIGHUP reloads
 * the policy (a bad one keeps the old), SIGTERM/SIGINT end it with exit 0. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "watch_out.h"

#define DEFAULT_POLICY "/etc/portsec/policy"

enum { O_POLICY = 1, O_NOPOLICY, O_POLL, O_INTERVAL, O_RECONCILE, O_COUNT, O_DURATION, O_METRICS, O_JOURNAL, O_SYSLOG,
       O_QUIET };

static const struct cli_opt opts[] = {
	{O_POLICY, 0, "policy", CLI_A_FILE, "FILE", "judge every event by this policy (default " DEFAULT_POLICY " when it exists)",
	 NULL, 0, 0, 0},
	{O_NOPOLICY, 0, "no-policy", CLI_A_NONE, NULL, "no policy, even when " DEFAULT_POLICY " exists", NULL, 0, 0, 0},
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "JSON Lines, Elastic Common Schema field names (docs/watch.md)", NULL, 0, 0, 0},
	{O_POLL, 0, "poll", CLI_A_NONE, NULL, "the sock_diag fallback even where eBPF loads", NULL, 0, 0, 0},
	{O_INTERVAL, 0, "interval", CLI_A_TIME, "T", "the fallback's dump interval (default 100ms)", NULL, 0, 0, 0},
	{O_RECONCILE, 0, "reconcile", CLI_A_TIME, "T", "the full dump behind the events (default 10s)", NULL, 0, 0, 0},
	{O_COUNT, 0, "count", CLI_A_UINT, "N", "stop after N events", NULL, 1, 1000000000, 0},
	{O_DURATION, 0, "duration", CLI_A_TIME, "T", "stop after T", NULL, 0, 0, 0},
	{O_METRICS, 0, "metrics-listen", CLI_A_STR, "ADDR:PORT",
	 "serve Prometheus metrics at http://ADDR:PORT/metrics (127.0.0.1:9469, [::1]:9469)", NULL, 0, 0, 0},
	{O_JOURNAL, 0, "journal", CLI_A_NONE, NULL, "also each event to journald, with PORTSEC_* fields", NULL, 0, 0, 0},
	{O_SYSLOG, 0, "syslog", CLI_A_NONE, NULL, "also each event to syslog (facility daemon)", NULL, 0, 0, 0},
	{O_QUIET, 'q', "quiet", CLI_A_NONE, NULL, "no event lines on stdout (with --journal, --syslog or --metrics-listen)",
	 NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_spec cli_watch_spec = {
	.name = "watch",
	.usage = "[--policy FILE] [--json] [--poll] [--journal] [--syslog] [--metrics-listen ADDR:PORT] [--count N]\n"
		 "              [--duration T]",
	.summary = "the moment a port opens or a firewall rule changes, judged by the policy",
	.description = "Every listener and UDP bind that appears or goes, in every network namespace,\n"
		       "and every committed nftables transaction (with the process that made it), each\n"
		       "with owner, unit, container, scope and firewall verdict, judged by the policy\n"
		       "with audit's check ids.  Source: eBPF (tp_btf/inet_sock_set_state, cgroup\n"
		       "bind4/bind6) where it loads, else a LISTEN-only sock_diag dump every interval;\n"
		       "behind either a full dump reports what the events missed.",
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = "SIGHUP reloads the policy (a bad one is refused, the old one kept); SIGTERM or\n"
		  "Ctrl-C ends it with exit 0.  Under systemd (dist/portsec-watch.service) it says\n"
		  "READY once the starting dump is done.  Exit 2 for bad input, 3 on a runtime error\n"
		  "(also when --journal or --syslog has no daemon to write to).",
	.fn = cmd_watch,
};

static volatile sig_atomic_t g_stop, g_reload;
static void on_term(int s)
{
	(void)s;
	g_stop = 1;
}
static void on_hup(int s)
{
	(void)s;
	g_reload = 1;
}

struct wout {
	struct cli *c;
	bool json;
	const char *policy_path;
	struct ps_policy *pol;
	const struct ps_svcdb *db;
	const char *source, *detail;
	bool quiet, journal, syslog;
	struct wo_http *http;
	struct ps_watch_metrics m;
	uint64_t journal_failed;
	int journal_errno;
};

static void fmt_time(char *buf, size_t cap, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%06dZ", (int)(ns % 1000000000 / 1000));
}

/* firewall changes: the listeners whose verdict moved */
static void json_changes(struct ps_json *j, const struct ps_watch_event *e)
{
	ps_json_key(j, "changes");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < e->nchanges; i++) {
		const struct ps_watch_change *c = &e->changes[i];
		ps_json_obj_begin(j);
		ps_json_key(j, "transport");
		ps_json_str(j, ps_proto_name(c->proto));
		ps_json_key(j, "ip");
		ps_json_str(j, c->addr);
		ps_json_key(j, "port");
		ps_json_u64(j, c->port);
		ps_json_key(j, "from");
		ps_json_str(j, c->from);
		ps_json_key(j, "to");
		ps_json_str(j, c->to);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
}

static void json_event(struct ps_buf *b, const struct ps_watch_event *e, const char *source)
{
	struct ps_json j;
	char t[40];
	fmt_time(t, sizeof t, e->time_ns);
	ps_json_init(&j, b, false);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "@timestamp");
	ps_json_str(&j, t);
	ps_json_key(&j, "event");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "action");
	ps_json_str(&j, ps_watch_action_name(e->action));
	ps_json_key(&j, "kind");
	ps_json_str(&j, e->check ? "alert" : "event");
	ps_json_key(&j, "category");
	ps_json_str(&j, e->action == PS_WA_FIREWALL ? "configuration" : "network");
	ps_json_key(&j, "dataset");
	ps_json_str(&j, "portsec.watch");
	ps_json_obj_end(&j);
	if (e->pid) {
		ps_json_key(&j, "process");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "pid");
		ps_json_i64(&j, e->pid);
		ps_json_key(&j, "name");
		ps_json_str(&j, e->comm);
		ps_json_key(&j, "executable");
		ps_json_str(&j, e->exe);
		ps_json_obj_end(&j);
		ps_json_key(&j, "user");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "id");
		ps_json_u64(&j, e->uid);
		ps_json_key(&j, "name");
		ps_json_str(&j, e->user);
		ps_json_obj_end(&j);
	}
	if (e->action != PS_WA_FIREWALL) {
		ps_json_key(&j, "source");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "ip");
		ps_json_str(&j, e->addr);
		ps_json_key(&j, "port");
		ps_json_u64(&j, e->port);
		ps_json_obj_end(&j);
		ps_json_key(&j, "network");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "transport");
		ps_json_str(&j, ps_proto_name(e->proto));
		ps_json_key(&j, "type");
		ps_json_str(&j, e->family == 10 ? "ipv6" : "ipv4");
		ps_json_obj_end(&j);
	}
	ps_json_key(&j, "portsec");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "source");
	ps_json_str(&j, e->source);
	ps_json_key(&j, "watch_source");
	ps_json_str(&j, source);
	ps_json_key(&j, "netns");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "inode");
	ps_json_u64(&j, e->netns);
	ps_json_key(&j, "name");
	ps_json_str(&j, e->netns_name);
	ps_json_obj_end(&j);
	if (e->action == PS_WA_FIREWALL) {
		ps_json_key(&j, "genid");
		ps_json_u64(&j, e->genid);
		ps_json_key(&j, "verdicts_changed");
		ps_json_u64(&j, e->verdicts_changed);
		json_changes(&j, e);
	} else {
		ps_json_key(&j, "cookie");
		ps_json_u64(&j, e->cookie);
		ps_json_key(&j, "scope");
		ps_json_str(&j, e->scope);
		ps_json_key(&j, "verdict");
		ps_json_str(&j, e->verdict);
		ps_json_key(&j, "unit");
		ps_json_str(&j, e->unit);
		ps_json_key(&j, "container");
		ps_json_str(&j, e->container);
	}
	ps_json_key(&j, "policy");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "decision");
	ps_json_str(&j, e->decision);
	ps_json_key(&j, "check");
	ps_json_str(&j, e->check);
	ps_json_key(&j, "line");
	if (e->policy_line)
		ps_json_u64(&j, e->policy_line);
	else
		ps_json_null(&j);
	ps_json_obj_end(&j);
	ps_json_key(&j, "process_gone");
	ps_json_bool(&j, e->process_gone);
	ps_json_key(&j, "kernel_ns");
	ps_json_u64(&j, e->kernel_mono_ns);
	ps_json_key(&j, "lag_us");
	if (e->lag_ns >= 0)
		ps_json_dbl(&j, (double)e->lag_ns / 1e3);
	else
		ps_json_null(&j);
	ps_json_obj_end(&j);
	ps_json_obj_end(&j);
	ps_buf_putc(b, '\n');
}

static void text_event(struct ps_buf *b, const struct ps_watch_event *e)
{
	char t[40];
	fmt_time(t, sizeof t, e->time_ns);
	ps_buf_printf(b, "%s %-15s ", t, ps_watch_action_name(e->action));
	if (e->action == PS_WA_FIREWALL) {
		ps_buf_printf(b, "ruleset generation %u by pid %d (", e->genid, e->pid);
		ps_buf_puts_term(b, e->comm ? e->comm : "?");
		ps_buf_printf(b, "): %u listener verdict%s changed", e->verdicts_changed, e->verdicts_changed == 1 ? "" : "s");
		for (size_t i = 0; i < e->nchanges; i++) {
			const struct ps_watch_change *c = &e->changes[i];
			ps_buf_printf(b, "%s %s %s%s%s:%u %s->%s", i ? "," : ":", ps_proto_name(c->proto),
				      c->family == 10 ? "[" : "", c->addr, c->family == 10 ? "]" : "", c->port, c->from, c->to);
		}
		if (e->nchanges < e->verdicts_changed)
			ps_buf_printf(b, ", and %zu more", e->verdicts_changed - e->nchanges);
		ps_buf_putc(b, '\n');
		return;
	}
	char ep[96];
	snprintf(ep, sizeof ep, e->family == 10 ? "[%s]:%u" : "%s:%u", e->addr, e->port);
	ps_buf_printf(b, "%s %s", ps_proto_name(e->proto), ep);
	if (e->pid) {
		ps_buf_printf(b, " pid %d (", e->pid);
		ps_buf_puts_term(b, e->comm ? e->comm : "?");
		ps_buf_puts(b, ") exe ");
		ps_buf_puts_term(b, e->exe ? e->exe : e->process_gone ? "(process gone)" : "?");
		ps_buf_printf(b, " user %s", e->user ? e->user : "?");
	}
	ps_buf_printf(b, " netns %s scope %s verdict %s [%s]", e->netns_name ? e->netns_name : "?", e->scope ? e->scope : "?",
		      e->verdict ? e->verdict : "-", e->source);
	if (e->check)
		ps_buf_printf(b, ": %s (policy line %u)", e->check, e->policy_line);
	ps_buf_putc(b, '\n');
}

static void emit(void *ctx, const struct ps_watch_event *e, const struct ps_watch_stats *st)
{
	(void)st;
	struct wout *w = ctx;
	ps_watch_metrics_add(&w->m, e);
	if (w->journal || w->syslog) {
		struct ps_buf t;
		ps_buf_init(&t);
		text_event(&t, e);
		ps_buf_putc(&t, '\0'); /* a ps_buf is not a C string until it ends with one */
		const char *line = t.data && !t.err ? t.data : "";
		const char *sp = strchr(line, ' '); /* journald and syslog stamp the time themselves */
		line = sp ? sp + 1 : line;
		if (w->journal) {
			int r = wo_journal_send(e, line);
			if (r < 0) {
				w->journal_failed++;
				w->journal_errno = -r;
				w->m.output_failures++;
			}
		}
		if (w->syslog)
			wo_syslog_send(e, line);
		ps_buf_free(&t);
	}
	if (w->quiet)
		return;
	struct ps_buf b;
	cli_buf_stdout(&b);
	if (w->json)
		json_event(&b, e, w->source);
	else
		text_event(&b, e);
	cli_finish_stdout(w->c, &b); /* one write per event: seen at once */
}

static void on_source(void *ctx, const char *source, const char *detail)
{
	struct wout *w = ctx;
	w->source = source;
	free((char *)w->detail);
	w->detail = strdup(detail);
	fprintf(stderr, "portsec watch: source %s: %s\n", source, detail);
}

static void on_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "portsec watch: incomplete: %s\n", msg);
}

static void on_ready(void *ctx, const struct ps_watch_stats *st)
{
	struct wout *w = ctx;
	char m[160];
	snprintf(m, sizeof m, "READY=1\nSTATUS=watching %zu listeners (source %s)", st->tracked, w->source ? w->source : "?");
	char err[300];
	if (wo_notify(m, err, sizeof err) != 0)
		fprintf(stderr, "portsec watch: the service manager was not told READY: %s\n", err);
}

static void on_ext(void *ctx, const struct ps_watch_stats *st)
{
	struct wout *w = ctx;
	if (w->http)
		wo_http_run(w->http, st, w->source, w->detail);
}

static int load(struct cli *c, const char *path, const struct ps_svcdb *db, struct ps_policy **out)
{
	char *data;
	size_t len;
	*out = NULL;
	if (ps_read_file_at(AT_FDCWD, path, &data, &len, 64u << 20) != PS_OK)
		return cli_usage(c, "cannot read policy '%s'", path);
	struct ps_policy_error e;
	int r = ps_policy_parse(data, len, db, out, &e);
	free(data);
	if (r != PS_OK)
		return cli_usage(c, "%s:%u:%u: %s", path, e.line, e.col, e.msg);
	return EXIT_OK;
}

static void on_reload(void *ctx)
{
	struct wout *w = ctx;
	if (!w->policy_path) {
		fprintf(stderr, "portsec watch: SIGHUP: no policy file to reload\n");
		return;
	}
	struct ps_policy *p = NULL;
	if (load(w->c, w->policy_path, w->db, &p) != EXIT_OK) {
		fprintf(stderr, "portsec watch: the new policy was refused; the old one stays\n");
		w->m.reload_failures++;
		return;
	}
	w->m.reloads++;
	ps_policy_free(w->pol);
	w->pol = p;
	fprintf(stderr, "portsec watch: policy reloaded: %s (%zu rules)\n", w->policy_path, p->n);
}

int cmd_watch(struct cli *c, int argc, char **argv)
{
	struct ps_watch_opts o = {0};
	struct wout w = {.c = c};
	bool no_policy = false;
	const char *metrics = NULL;
	struct cli_args a;
	cli_args_init(&a, c, &cli_watch_spec, argc, argv);
	int id;
	while ((id = cli_next(&a)) != CLI_END) {
		switch (id) {
		case CLI_POS: return cli_usage(c, "unexpected argument '%s' (see `portsec watch --help`)", a.val);
		case O_POLICY: w.policy_path = a.val; break;
		case O_NOPOLICY: no_policy = true; break;
		case CLI_O_JSON: w.json = true; break;
		case O_POLL: o.no_bpf = true; break;
		case O_INTERVAL: o.poll_ms = (unsigned)(a.num ? a.num : 1); break;
		case O_RECONCILE: o.reconcile_ms = (unsigned)(a.num ? a.num : 1); break;
		case O_COUNT: o.max_events = a.num; break;
		case O_DURATION: o.duration_ms = a.num; break;
		case O_METRICS: metrics = a.val; break;
		case O_JOURNAL: w.journal = true; break;
		case O_SYSLOG: w.syslog = true; break;
		case O_QUIET: w.quiet = true; break;
		}
		if ((id == O_INTERVAL || id == O_RECONCILE || id == O_DURATION) && a.num == 0)
			return cli_usage(c, "invalid --%s '%s': must be more than 0", id == O_INTERVAL ? "interval"
							: id == O_RECONCILE ? "reconcile" : "duration", a.val);
	}
	if (a.rc || a.done)
		return a.rc;
	if (w.policy_path && no_policy)
		return cli_usage(c, "--policy and --no-policy exclude each other");
	struct sockaddr_storage maddr;
	socklen_t mlen = 0;
	if (metrics && wo_parse_listen(metrics, &maddr, &mlen) != 0)
		return cli_usage(c, "invalid --metrics-listen '%.80s': expected ADDR:PORT with a numeric address "
				    "(127.0.0.1:9469, [::1]:9469)", metrics);
	if (w.quiet && !metrics && !w.journal && !w.syslog)
		return cli_usage(c, "--quiet needs --journal, --syslog or --metrics-listen: nothing would be reported");
	char err[200];
	if (w.journal && wo_journal_check(err, sizeof err) != 0)
		return cli_fail(c, EXIT_RUNTIME, "--journal: %s", err);
	if (w.syslog && wo_syslog_open(err, sizeof err) != 0)
		return cli_fail(c, EXIT_RUNTIME, "--syslog: %s", err);
	struct stat sb;
	if (!w.policy_path && !no_policy && stat(DEFAULT_POLICY, &sb) == 0)
		w.policy_path = DEFAULT_POLICY;
	struct ps_svcdb *db = NULL;
	ps_svcdb_open(NULL, &db);
	w.db = db;
	int rc = w.policy_path ? load(c, w.policy_path, db, &w.pol) : EXIT_OK;
	if (rc == EXIT_OK && metrics) {
		w.http = wo_http_start(&maddr, mlen, &w.m, err, sizeof err);
		if (!w.http)
			rc = cli_fail(c, EXIT_RUNTIME, "--metrics-listen %.80s: %s", metrics, err);
	}
	if (rc != EXIT_OK) {
		ps_policy_free(w.pol);
		ps_svcdb_free(db);
		if (w.syslog)
			wo_syslog_close();
		return rc;
	}
	struct sigaction st = {.sa_handler = on_term}, sh = {.sa_handler = on_hup};
	sigemptyset(&st.sa_mask);
	sigemptyset(&sh.sa_mask);
	sigaction(SIGTERM, &st, NULL);
	sigaction(SIGINT, &st, NULL);
	sigaction(SIGHUP, &sh, NULL);
	/* the policy is read through w.pol, which a reload replaces */
	o.policy_ref = (const struct ps_policy *const *)&w.pol;
	o.db = db;
	o.stop = &g_stop;
	o.reload = &g_reload;
	o.on_reload = on_reload;
	o.emit = emit;
	o.on_source = on_source;
	o.on_ready = on_ready;
	o.on_warning = on_warning;
	if (w.http) {
		o.has_ext = true;
		o.ext_fd = wo_http_fd(w.http);
		o.on_ext = on_ext;
	}
	o.ctx = &w;
	struct ps_watch_stats stats;
	int r = ps_watch_run(&o, &stats);
	char nerr[300];
	if (wo_notify("STOPPING=1", nerr, sizeof nerr) != 0)
		fprintf(stderr, "portsec watch: the service manager was not told STOPPING: %s\n", nerr);
	if (r != PS_OK)
		rc = cli_fail(c, r == PS_ERR_PERM ? EXIT_PRIV : EXIT_RUNTIME, "watch stopped: %s", ps_strerror(r));
	fprintf(stderr, "portsec watch: %llu listen, %llu close, %llu bind, %llu firewall events; %llu violations, %llu found by reconciliation, %llu dropped\n",
		(unsigned long long)stats.events[PS_WA_LISTEN], (unsigned long long)stats.events[PS_WA_CLOSE],
		(unsigned long long)stats.events[PS_WA_BIND], (unsigned long long)stats.events[PS_WA_FIREWALL],
		(unsigned long long)stats.violations, (unsigned long long)stats.reconciled, (unsigned long long)stats.dropped);
	if (stats.overflow)
		fprintf(stderr, "portsec watch: %llu listeners were not tracked: the tracked set was full\n",
			(unsigned long long)stats.overflow);
	if (w.journal_failed)
		fprintf(stderr, "portsec watch: %llu events did not reach journald (%s)\n",
			(unsigned long long)w.journal_failed, strerror(w.journal_errno));
	if (w.http)
		fprintf(stderr, "portsec watch: /metrics was scraped %llu times\n", (unsigned long long)wo_http_scrapes(w.http));
	wo_http_stop(w.http);
	if (w.syslog)
		wo_syslog_close();
	free((char *)w.detail);
	ps_policy_free(w.pol);
	ps_svcdb_free(db);
	return rc;
}
