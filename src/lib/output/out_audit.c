/* out_audit.c - `portsec audit` in every format: text (grouped by severity),
 * JSON (docs/audit.md, schema portsec-audit/1), SARIF 2.1.0, JUnit XML, the
 * node_exporter textfile format, and one self-contained HTML page. */
#include <stdio.h>
#include <string.h>

#include "out_internal.h"
#include "portsec/ps_audit.h"

static const char *sev_upper(int s)
{
	static const char *const n[] = {"INFO", "LOW", "MEDIUM", "HIGH"};
	return n[s & 3];
}

/* ---- text ---- */

int ps_out_audit_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	if (au->nincomplete) {
		ps_buf_puts(b, "INCOMPLETE: ");
		for (size_t i = 0; i < au->nincomplete; i++)
			ps_buf_printf(b, "%s%s", i ? "; " : "", au->incomplete[i]);
		ps_buf_putc(b, '\n');
	}
	ps_buf_printf(b, "portsec audit: %s, kernel %s, %s\n", x->hostname, x->kernel, x->time_utc);
	ps_buf_printf(b, "policy: %s\n", x->policy_text);
	if (x->baseline)
		ps_buf_printf(b, "baseline: %s (%zu new, %zu changed, %zu gone)\n", x->baseline, au->baseline_new,
			      au->baseline_changed, au->baseline_gone);
	if (x->outside)
		ps_buf_printf(b, "outside scan: %s\n", x->outside);
	size_t sc[3] = {0};
	for (size_t i = 0; i < au->nl; i++)
		sc[au->l[i].scope[0] == 'a' ? 0 : au->l[i].scope[0] == 's' ? 1 : 2]++;
	ps_buf_printf(b, "listeners: %zu (%zu on all interfaces, %zu on specific addresses, %zu loopback only)\n\n", au->nl,
		      sc[0], sc[1], sc[2]);
	int last = -1;
	for (size_t i = 0; i < au->nfindings; i++) {
		const struct ps_finding *f = &au->findings[i];
		if (f->severity != last) {
			unsigned n = au->by_severity[f->severity & 3];
			if (o->color)
				ps_buf_puts(b, f->severity >= PS_SEV_HIGH ? "\033[1;31m" : f->severity == PS_SEV_MEDIUM ? "\033[1;33m" : "\033[1m");
			ps_buf_printf(b, "%s (%u)", sev_upper(f->severity), n);
			if (o->color)
				ps_buf_puts(b, "\033[0m");
			ps_buf_putc(b, '\n');
			last = f->severity;
		}
		ps_buf_printf(b, "  %-26s ", f->kind);
		ps_buf_puts_term(b, f->summary ? f->summary : "");
		ps_buf_putc(b, '\n');
		for (size_t k = 0; k < f->nevidence; k++) {
			ps_buf_puts(b, "      ");
			ps_buf_puts_term(b, f->evidence[k]);
			ps_buf_putc(b, '\n');
		}
		if (f->remediation) {
			ps_buf_puts(b, "      fix: ");
			ps_buf_puts_term(b, f->remediation);
			ps_buf_putc(b, '\n');
		}
	}
	if (!au->nfindings)
		ps_buf_puts(b, "No findings.\n");
	ps_buf_printf(b, "\nSummary: %u high, %u medium, %u low, %u info; %s at or above %s%s\n",
		      au->by_severity[PS_SEV_HIGH], au->by_severity[PS_SEV_MEDIUM], au->by_severity[PS_SEV_LOW],
		      au->by_severity[PS_SEV_INFO], x->failed ? "findings" : "nothing", ps_severity_name(x->fail_on),
		      au->nincomplete ? " (incomplete)" : "");
	return b->err;
}

/* ---- JSON ---- */

static void finding_json(struct ps_json *j, const struct ps_finding *f)
{
	ps_json_obj_begin(j);
	ps_json_key(j, "check");
	ps_json_str(j, f->kind);
	ps_json_key(j, "severity");
	ps_json_str(j, ps_severity_name(f->severity));
	ps_json_key(j, "summary");
	ps_json_str(j, f->summary);
	ps_json_key(j, "proto");
	ps_json_str(j, f->has_endpoint ? ps_proto_name(f->proto) : NULL);
	ps_json_key(j, "port");
	if (f->has_endpoint)
		ps_json_u64(j, f->port);
	else
		ps_json_null(j);
	ps_json_key(j, "pid");
	if (f->pid)
		ps_json_i64(j, f->pid);
	else
		ps_json_null(j);
	ps_json_key(j, "evidence");
	ps_json_arr_begin(j);
	for (size_t k = 0; k < f->nevidence; k++)
		ps_json_str(j, f->evidence[k]);
	ps_json_arr_end(j);
	ps_json_key(j, "remediation");
	ps_json_str(j, f->remediation);
	ps_json_obj_end(j);
}

static void listener_json(struct ps_json *j, const struct ps_audit_listener *l)
{
	ps_json_obj_begin(j);
	ps_json_key(j, "proto");
	ps_json_str(j, ps_proto_name(l->proto));
	ps_json_key(j, "addr");
	ps_json_str(j, l->addr);
	ps_json_key(j, "port");
	ps_json_u64(j, l->port);
	ps_json_key(j, "service");
	ps_json_str(j, l->service);
	ps_json_key(j, "scope");
	ps_json_str(j, l->scope);
	ps_json_key(j, "verdict");
	ps_json_str(j, l->verdict);
	ps_json_key(j, "reachability");
	ps_json_str(j, l->reach);
	ps_json_key(j, "decided_by");
	ps_json_str(j, l->decided_by);
	ps_json_key(j, "pid");
	if (l->pid)
		ps_json_i64(j, l->pid);
	else
		ps_json_null(j);
	ps_json_key(j, "comm");
	ps_json_str(j, l->comm);
	ps_json_key(j, "exe");
	ps_json_str(j, l->exe);
	ps_json_key(j, "user");
	ps_json_str(j, l->user);
	ps_json_key(j, "unit");
	ps_json_str(j, l->unit);
	ps_json_key(j, "container");
	ps_json_str(j, l->container);
	ps_json_key(j, "netns");
	ps_json_str(j, l->netns);
	ps_json_key(j, "policy");
	ps_json_str(j, ps_audit_decision_name(l->decision));
	ps_json_key(j, "policy_line");
	if (l->rule)
		ps_json_u64(j, l->rule->line);
	else
		ps_json_null(j);
	ps_json_obj_end(j);
}

int ps_out_audit_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	struct ps_json j;
	ps_json_init(&j, b, true);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "schema");
	ps_json_str(&j, "portsec-audit/1");
	ps_json_key(&j, "version");
	ps_json_str(&j, x->version);
	ps_json_key(&j, "host");
	ps_json_str(&j, x->hostname);
	ps_json_key(&j, "kernel");
	ps_json_str(&j, x->kernel);
	ps_json_key(&j, "time");
	ps_json_str(&j, x->time_utc);
	ps_json_key(&j, "policy");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "file");
	ps_json_str(&j, x->policy);
	ps_json_key(&j, "rules");
	ps_json_u64(&j, x->policy_rules);
	ps_json_key(&j, "default");
	ps_json_str(&j, x->policy ? (x->policy_default_deny ? "deny" : "allow") : NULL);
	ps_json_obj_end(&j);
	ps_json_key(&j, "baseline");
	ps_json_str(&j, x->baseline);
	ps_json_key(&j, "outside_scan");
	ps_json_str(&j, x->outside);
	ps_json_key(&j, "complete");
	ps_json_bool(&j, au->nincomplete == 0);
	ps_json_key(&j, "incomplete");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < au->nincomplete; i++)
		ps_json_str(&j, au->incomplete[i]);
	ps_json_arr_end(&j);
	ps_json_key(&j, "fail_on");
	ps_json_str(&j, ps_severity_name(x->fail_on));
	ps_json_key(&j, "failed");
	ps_json_bool(&j, x->failed);
	ps_json_key(&j, "summary");
	ps_json_obj_begin(&j);
	for (int s = PS_SEV_HIGH; s >= PS_SEV_INFO; s--) {
		ps_json_key(&j, ps_severity_name(s));
		ps_json_u64(&j, au->by_severity[s]);
	}
	ps_json_obj_end(&j);
	ps_json_key(&j, "listeners");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < au->nl; i++)
		listener_json(&j, &au->l[i]);
	ps_json_arr_end(&j);
	ps_json_key(&j, "findings");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < au->nfindings; i++)
		finding_json(&j, &au->findings[i]);
	ps_json_arr_end(&j);
	ps_json_obj_end(&j);
	ps_buf_putc(b, '\n');
	return b->err;
}

/* ---- SARIF 2.1.0 ---- */

static const char *sarif_level(int sev)
{
	return sev >= PS_SEV_HIGH ? "error" : sev == PS_SEV_MEDIUM ? "warning" : "note";
}

int ps_out_audit_sarif(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	struct ps_json j;
	ps_json_init(&j, b, true);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "$schema");
	ps_json_str(&j, "https://json.schemastore.org/sarif-2.1.0.json");
	ps_json_key(&j, "version");
	ps_json_str(&j, "2.1.0");
	ps_json_key(&j, "runs");
	ps_json_arr_begin(&j);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "tool");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "driver");
	ps_json_obj_begin(&j);
	ps_json_key(&j, "name");
	ps_json_str(&j, "portsec");
	ps_json_key(&j, "version");
	ps_json_str(&j, x->version);
	ps_json_key(&j, "informationUri");
	ps_json_str(&j, "https://github.com/portsec/portsec/blob/main/docs/checks.md");
	ps_json_key(&j, "rules");
	ps_json_arr_begin(&j);
	size_t n;
	const struct ps_check_def *defs = ps_check_defs(&n);
	for (size_t i = 0; i < n; i++) {
		ps_json_obj_begin(&j);
		ps_json_key(&j, "id");
		ps_json_str(&j, defs[i].id);
		ps_json_key(&j, "shortDescription");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "text");
		ps_json_str(&j, defs[i].title);
		ps_json_obj_end(&j);
		ps_json_key(&j, "defaultConfiguration");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "level");
		ps_json_str(&j, sarif_level(defs[i].severity));
		ps_json_obj_end(&j);
		ps_json_obj_end(&j);
	}
	ps_json_arr_end(&j);
	ps_json_obj_end(&j);
	ps_json_obj_end(&j);
	ps_json_key(&j, "invocations");
	ps_json_arr_begin(&j);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "executionSuccessful");
	ps_json_bool(&j, au->nincomplete == 0);
	if (au->nincomplete) {
		ps_json_key(&j, "toolExecutionNotifications");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < au->nincomplete; i++) {
			ps_json_obj_begin(&j);
			ps_json_key(&j, "level");
			ps_json_str(&j, "warning");
			ps_json_key(&j, "message");
			ps_json_obj_begin(&j);
			ps_json_key(&j, "text");
			ps_json_str(&j, au->incomplete[i]);
			ps_json_obj_end(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
	}
	ps_json_obj_end(&j);
	ps_json_arr_end(&j);
	ps_json_key(&j, "results");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < au->nfindings; i++) {
		const struct ps_finding *f = &au->findings[i];
		ps_json_obj_begin(&j);
		ps_json_key(&j, "ruleId");
		ps_json_str(&j, f->kind);
		ps_json_key(&j, "level");
		ps_json_str(&j, sarif_level(f->severity));
		ps_json_key(&j, "message");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "text");
		ps_json_str(&j, f->summary ? f->summary : f->kind);
		ps_json_obj_end(&j);
		/* a port is not a file: a logical location names it */
		ps_json_key(&j, "locations");
		ps_json_arr_begin(&j);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "logicalLocations");
		ps_json_arr_begin(&j);
		ps_json_obj_begin(&j);
		char name[96];
		if (f->has_endpoint)
			snprintf(name, sizeof name, "%s/%s/%u", x->hostname, ps_proto_name(f->proto), f->port);
		else
			snprintf(name, sizeof name, "%s", x->hostname);
		ps_json_key(&j, "fullyQualifiedName");
		ps_json_str(&j, name);
		ps_json_key(&j, "kind");
		ps_json_str(&j, "resource");
		ps_json_obj_end(&j);
		ps_json_arr_end(&j);
		ps_json_obj_end(&j);
		ps_json_arr_end(&j);
		ps_json_key(&j, "properties");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "severity");
		ps_json_str(&j, ps_severity_name(f->severity));
		ps_json_key(&j, "evidence");
		ps_json_arr_begin(&j);
		for (size_t k = 0; k < f->nevidence; k++)
			ps_json_str(&j, f->evidence[k]);
		ps_json_arr_end(&j);
		ps_json_key(&j, "remediation");
		ps_json_str(&j, f->remediation);
		ps_json_obj_end(&j);
		ps_json_obj_end(&j);
	}
	ps_json_arr_end(&j);
	ps_json_obj_end(&j);
	ps_json_arr_end(&j);
	ps_json_obj_end(&j);
	ps_buf_putc(b, '\n');
	return b->err;
}

/* ---- XML / HTML text ---- */

static void xml_text(struct ps_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '<': ps_buf_puts(b, "&lt;"); break;
		case '>': ps_buf_puts(b, "&gt;"); break;
		case '&': ps_buf_puts(b, "&amp;"); break;
		case '"': ps_buf_puts(b, "&quot;"); break;
		case '\'': ps_buf_puts(b, "&#39;"); break;
		default:
			/* control bytes are not allowed in XML 1.0: shown as '?' */
			ps_buf_putc(b, *p < 0x20 && *p != '\t' && *p != '\n' ? '?' : (char)*p);
		}
	}
}

/* ---- JUnit: one test case per check; a finding at or above --fail-on fails it ---- */

int ps_out_audit_junit(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	size_t n;
	const struct ps_check_def *defs = ps_check_defs(&n);
	size_t failures = 0;
	for (size_t i = 0; i < n; i++) {
		bool failed = false;
		for (size_t k = 0; k < au->nfindings && !failed; k++)
			failed = strcmp(au->findings[k].kind, defs[i].id) == 0 && au->findings[k].severity >= x->fail_on;
		failures += failed;
	}
	ps_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	ps_buf_printf(b, "<testsuites name=\"portsec audit\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", n, failures,
		      au->nincomplete);
	ps_buf_puts(b, "  <testsuite name=\"portsec audit ");
	xml_text(b, x->hostname);
	ps_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" timestamp=\"", n, failures, au->nincomplete);
	xml_text(b, x->time_iso);
	ps_buf_puts(b, "\">\n");
	for (size_t i = 0; i < n; i++) {
		ps_buf_printf(b, "    <testcase classname=\"portsec.%s\" name=\"%s\">\n", defs[i].module, defs[i].id);
		for (size_t k = 0; k < au->nfindings; k++) {
			const struct ps_finding *f = &au->findings[k];
			if (strcmp(f->kind, defs[i].id) != 0)
				continue;
			bool fail = f->severity >= x->fail_on;
			if (fail) {
				ps_buf_puts(b, "      <failure message=\"");
				xml_text(b, f->summary);
				ps_buf_printf(b, "\" type=\"%s\">", ps_severity_name(f->severity));
			} else {
				ps_buf_puts(b, "      <system-out>");
				xml_text(b, f->summary);
				ps_buf_putc(b, '\n');
			}
			for (size_t e = 0; e < f->nevidence; e++) {
				xml_text(b, f->evidence[e]);
				ps_buf_putc(b, '\n');
			}
			if (f->remediation) {
				ps_buf_puts(b, "fix: ");
				xml_text(b, f->remediation);
				ps_buf_putc(b, '\n');
			}
			ps_buf_printf(b, "</%s>\n", fail ? "failure" : "system-out");
		}
		ps_buf_puts(b, "    </testcase>\n");
	}
	for (size_t i = 0; i < au->nincomplete; i++) {
		ps_buf_puts(b, "    <testcase classname=\"portsec.audit\" name=\"completeness\">\n      <error message=\"");
		xml_text(b, au->incomplete[i]);
		ps_buf_puts(b, "\" type=\"incomplete\"/>\n    </testcase>\n");
	}
	ps_buf_puts(b, "  </testsuite>\n</testsuites>\n");
	return b->err;
}

/* ---- Prometheus textfile (node_exporter) ---- */

void ps_prom_label(struct ps_buf *b, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			ps_buf_putc(b, '\\');
		if (*p == '\n')
			ps_buf_puts(b, "\\n");
		else
			ps_buf_putc(b, *p);
	}
}

int ps_out_audit_prom(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	ps_buf_puts(b, "# HELP portsec_audit_findings Findings of the last portsec audit, by check id and severity.\n"
		       "# TYPE portsec_audit_findings gauge\n");
	size_t n;
	const struct ps_check_def *defs = ps_check_defs(&n);
	for (size_t i = 0; i < n; i++)
		for (int s = PS_SEV_INFO; s <= PS_SEV_HIGH; s++) {
			unsigned c = 0;
			for (size_t k = 0; k < au->nfindings; k++)
				c += strcmp(au->findings[k].kind, defs[i].id) == 0 && au->findings[k].severity == s;
			/* every check at its own severity, so a cleared finding reads 0, not absent */
			if (c || s == defs[i].severity)
				ps_buf_printf(b, "portsec_audit_findings{check=\"%s\",severity=\"%s\"} %u\n", defs[i].id,
					      ps_severity_name(s), c);
		}
	ps_buf_puts(b, "# HELP portsec_listeners Listening sockets of the audited namespace, by protocol, scope and firewall verdict.\n"
		       "# TYPE portsec_listeners gauge\n");
	static const char *const scopes[] = {"any", "specific", "loopback"};
	static const char *const verdicts[] = {"local", "blocked", "unknown", "restricted", "open", "dnat", "no-firewall"};
	for (int p = 0; p < 2; p++)
		for (int s = 0; s < 3; s++)
			for (int v = 0; v < 7; v++) {
				unsigned c = 0;
				for (size_t i = 0; i < au->nl; i++)
					c += au->l[i].proto == (p ? PS_PROTO_UDP : PS_PROTO_TCP) &&
					     strcmp(au->l[i].scope, scopes[s]) == 0 && strcmp(au->l[i].verdict, verdicts[v]) == 0;
				if (c)
					ps_buf_printf(b, "portsec_listeners{proto=\"%s\",scope=\"%s\",verdict=\"%s\"} %u\n",
						      p ? "udp" : "tcp", scopes[s], verdicts[v], c);
			}
	ps_buf_puts(b, "# HELP portsec_audit_complete 1 when every check could run (0: missing privilege).\n"
		       "# TYPE portsec_audit_complete gauge\n");
	ps_buf_printf(b, "portsec_audit_complete %d\n", au->nincomplete == 0);
	ps_buf_puts(b, "# HELP portsec_audit_timestamp_seconds When the audit ran (unix time).\n"
		       "# TYPE portsec_audit_timestamp_seconds gauge\n");
	ps_buf_printf(b, "portsec_audit_timestamp_seconds %lld\n", (long long)x->now);
	ps_buf_puts(b, "# HELP portsec_audit_info The audited host and the policy used.\n# TYPE portsec_audit_info gauge\n"
		       "portsec_audit_info{host=\"");
	ps_prom_label(b, x->hostname);
	ps_buf_puts(b, "\",policy=\"");
	ps_prom_label(b, x->policy ? x->policy : "none");
	ps_buf_printf(b, "\",version=\"%s\"} 1\n", x->version);
	return b->err;
}

/* ---- HTML: one file, no external assets, no script ---- */

static const char *const html_verdicts[] = {"open", "no-firewall", "dnat", "restricted", "unknown", "blocked", "local"};
static const char *const html_colors[] = {"#d62728", "#8c1d18", "#9467bd", "#ff7f0e", "#7f7f7f", "#2ca02c", "#1f77b4"};

static void html_svg(struct ps_buf *b, const struct ps_audit *au)
{
	/* one bar per scope, split by verdict: how much of the host faces the network */
	static const char *const scopes[] = {"any", "specific", "loopback"};
	static const char *const labels[] = {"all interfaces", "specific addresses", "loopback only"};
	size_t maxn = 1;
	size_t cnt[3][7] = {{0}};
	for (int s = 0; s < 3; s++) {
		size_t t = 0;
		for (size_t i = 0; i < au->nl; i++)
			for (int v = 0; v < 7; v++)
				if (strcmp(au->l[i].scope, scopes[s]) == 0 && strcmp(au->l[i].verdict, html_verdicts[v]) == 0) {
					cnt[s][v]++;
					t++;
				}
		if (t > maxn)
			maxn = t;
	}
	ps_buf_puts(b, "<svg id=\"exposure\" xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"190\" role=\"img\" "
		       "aria-label=\"listeners by scope and firewall verdict\">\n");
	for (int s = 0; s < 3; s++) {
		double y = 10 + s * 40, x = 150;
		ps_buf_printf(b, "<text x=\"0\" y=\"%.0f\" font-size=\"13\">%s</text>\n", y + 18, labels[s]);
		for (int v = 0; v < 7; v++) {
			if (!cnt[s][v])
				continue;
			double w = 540.0 * (double)cnt[s][v] / (double)maxn;
			ps_buf_printf(b,
				      "<rect class=\"bar\" data-scope=\"%s\" data-verdict=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
				      "height=\"26\" fill=\"%s\"><title>%zu %s, %s</title></rect>\n",
				      scopes[s], html_verdicts[v], x, y, w, html_colors[v], cnt[s][v], labels[s], html_verdicts[v]);
			if (w >= 18)
				ps_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" fill=\"#fff\">%zu</text>\n", x + 5,
					      y + 18, cnt[s][v]);
			x += w;
		}
	}
	double lx = 0;
	for (int v = 0; v < 7; v++) {
		ps_buf_printf(b, "<rect x=\"%.0f\" y=\"140\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%.0f\" y=\"151\" font-size=\"12\">%s</text>\n",
			      lx, html_colors[v], lx + 16, html_verdicts[v]);
		lx += 100;
	}
	ps_buf_puts(b, "</svg>\n");
}

int ps_out_audit_html(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	const struct ps_audit *au = d->audit;
	const struct ps_audit_ctx *x = d->actx;
	ps_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>portsec audit: ");
	xml_text(b, x->hostname);
	ps_buf_puts(b, "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}"
		       "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
		       ".high{background:#fde0dc}.medium{background:#fff3cd}.low{background:#eef}.info{background:#f6f6f6}"
		       "code{font-size:90%}.incomplete{border:2px solid #d62728;padding:8px}</style>\n</head><body>\n<h1>portsec audit: ");
	xml_text(b, x->hostname);
	ps_buf_puts(b, "</h1>\n<p>kernel ");
	xml_text(b, x->kernel);
	ps_buf_puts(b, ", ");
	xml_text(b, x->time_utc);
	ps_buf_puts(b, "; policy: ");
	xml_text(b, x->policy_text);
	ps_buf_puts(b, "</p>\n");
	if (au->nincomplete) {
		ps_buf_puts(b, "<p class=\"incomplete\" id=\"incomplete\">Incomplete: ");
		for (size_t i = 0; i < au->nincomplete; i++) {
			xml_text(b, au->incomplete[i]);
			ps_buf_puts(b, i + 1 < au->nincomplete ? "; " : "");
		}
		ps_buf_puts(b, "</p>\n");
	}
	ps_buf_printf(b, "<p id=\"summary\">%u high, %u medium, %u low, %u info; %zu listeners</p>\n",
		      au->by_severity[PS_SEV_HIGH], au->by_severity[PS_SEV_MEDIUM], au->by_severity[PS_SEV_LOW],
		      au->by_severity[PS_SEV_INFO], au->nl);
	ps_buf_puts(b, "<h2>Exposure</h2>\n");
	html_svg(b, au);
	ps_buf_puts(b, "<h2>Findings</h2>\n<table id=\"findings\"><tr><th>severity</th><th>check</th><th>finding</th><th>fix</th></tr>\n");
	for (size_t i = 0; i < au->nfindings; i++) {
		const struct ps_finding *f = &au->findings[i];
		ps_buf_printf(b, "<tr class=\"%s\"><td>%s</td><td><code>%s</code></td><td>", ps_severity_name(f->severity),
			      ps_severity_name(f->severity), f->kind);
		xml_text(b, f->summary);
		for (size_t k = 0; k < f->nevidence; k++) {
			ps_buf_puts(b, "<br><small>");
			xml_text(b, f->evidence[k]);
			ps_buf_puts(b, "</small>");
		}
		ps_buf_puts(b, "</td><td><code>");
		xml_text(b, f->remediation);
		ps_buf_puts(b, "</code></td></tr>\n");
	}
	if (!au->nfindings)
		ps_buf_puts(b, "<tr><td colspan=\"4\">No findings.</td></tr>\n");
	ps_buf_puts(b, "</table>\n<h2>Listeners</h2>\n<table id=\"listeners\"><tr><th>proto</th><th>address</th><th>port</th>"
		       "<th>scope</th><th>verdict</th><th>owner</th><th>policy</th></tr>\n");
	for (size_t i = 0; i < au->nl; i++) {
		const struct ps_audit_listener *l = &au->l[i];
		ps_buf_printf(b, "<tr><td>%s</td><td>", ps_proto_name(l->proto));
		xml_text(b, l->addr);
		ps_buf_printf(b, "</td><td>%u</td><td>%s</td><td>%s</td><td>", l->port, l->scope, l->verdict);
		xml_text(b, l->comm ? l->comm : "-");
		ps_buf_printf(b, "</td><td>%s</td></tr>\n", ps_audit_decision_name(l->decision));
	}
	ps_buf_puts(b, "</table>\n</body></html>\n");
	return b->err;
}
