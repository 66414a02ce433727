/* out_hidden.c - `portsec hidden` as a table or the JSON document of
 * DESIGN.md: {"findings":[{kind, severity, ..., evidence}], "checks":[{name,
 * ok, ms}], ...}.  Classic BPF filters of packet sockets are decoded here. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "out_internal.h"

static void json_views(struct ps_json *j, const char *key, unsigned bits)
{
	ps_json_key(j, key);
	ps_json_arr_begin(j);
	for (unsigned b = 0; b < PS_VIEW_COUNT; b++)
		if (bits & (1u << b))
			ps_json_str(j, ps_view_name(1u << b));
	ps_json_arr_end(j);
}

static void json_filter(struct ps_json *j, const struct ps_inventory *inv, const struct ps_socket *s)
{
	ps_json_key(j, "filter");
	if (!s->filter_len) {
		ps_json_null(j);
		return;
	}
	ps_json_arr_begin(j);
	for (uint32_t i = 0; i < s->filter_len && s->filter_first + i < inv->ninsns; i++) {
		char line[128];
		ps_bpf_insn_format(&inv->insns[s->filter_first + i], i, s->filter_len, line, sizeof line);
		ps_json_str(j, line);
	}
	ps_json_arr_end(j);
}

static void emit_json(struct ps_buf *b, const struct ps_hidden_report *r)
{
	const struct ps_inventory *inv = r->inv;
	struct ps_json j;
	ps_json_init(&j, b, true);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "netns");
	ps_json_netns_obj(&j, &inv->netns[0]);
	ps_json_key(&j, "kernel");
	ps_json_str(&j, r->kernel);
	ps_json_key(&j, "findings");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct ps_finding *f = &r->findings[i];
		const struct ps_socket *s = f->sock >= 0 && (size_t)f->sock < inv->nsocks ? &inv->socks[f->sock] : NULL;
		ps_json_obj_begin(&j);
		ps_json_key(&j, "kind");
		ps_json_str(&j, f->kind);
		ps_json_key(&j, "severity");
		ps_json_str(&j, ps_severity_name(f->severity));
		ps_json_key(&j, "summary");
		ps_json_str(&j, f->summary);
		ps_json_key(&j, "proto");
		ps_json_str(&j, f->proto ? ps_proto_name(f->proto) : NULL);
		ps_json_key(&j, "family");
		ps_json_str(&j, f->family ? ps_family_name(f->family) : NULL);
		ps_json_key(&j, "addr");
		if (f->has_endpoint && f->family && f->family != AF_PACKET) {
			char a[64];
			size_t n = ps_fmt_addr(a, sizeof a, f->family, f->addr);
			ps_json_strn(&j, a, n);
		} else {
			ps_json_null(&j);
		}
		ps_json_key(&j, "port");
		if (f->has_endpoint)
			ps_json_u64(&j, f->port);
		else
			ps_json_null(&j);
		ps_json_key(&j, "inode");
		if (f->inode)
			ps_json_u64(&j, f->inode);
		else
			ps_json_null(&j);
		ps_json_key(&j, "pid");
		if (f->pid)
			ps_json_i64(&j, f->pid);
		else
			ps_json_null(&j);
		json_views(&j, "views_seen", f->views_seen);
		json_views(&j, "views_missing", f->views_missing);
		ps_json_key(&j, "evidence");
		ps_json_arr_begin(&j);
		for (size_t e = 0; e < f->nevidence; e++)
			ps_json_str(&j, f->evidence[e]);
		ps_json_arr_end(&j);
		if (s) {
			ps_json_key(&j, "owners");
			ps_json_owners(&j, inv, s);
			json_filter(&j, inv, s);
		}
		ps_json_obj_end(&j);
	}
	ps_json_arr_end(&j);
	ps_json_key(&j, "complete");
	ps_json_bool(&j, r->complete);
	ps_json_key(&j, "checks");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct ps_check *k = &r->checks[i];
		ps_json_obj_begin(&j);
		ps_json_key(&j, "name");
		ps_json_str(&j, k->name);
		ps_json_key(&j, "ok");
		ps_json_bool(&j, k->ok);
		ps_json_key(&j, "complete");
		ps_json_bool(&j, k->ok && !k->partial);
		ps_json_key(&j, "ms");
		ps_json_dbl(&j, k->ms);
		ps_json_key(&j, "findings");
		ps_json_u64(&j, k->findings);
		ps_json_key(&j, "detail");
		ps_json_str(&j, k->detail);
		ps_json_obj_end(&j);
	}
	ps_json_arr_end(&j);
	ps_json_key(&j, "counts");
	ps_json_obj_begin(&j);
	static const char *const sev[] = {"info", "low", "medium", "high"};
	for (int s = 3; s >= 0; s--) {
		ps_json_key(&j, sev[s]);
		ps_json_u64(&j, r->by_severity[s]);
	}
	ps_json_obj_end(&j);
	ps_json_key(&j, "ms");
	ps_json_dbl(&j, r->ms);
	ps_json_sources(&j, inv);
	ps_json_warnings(&j, inv);
	ps_json_obj_end(&j);
	ps_buf_putc(b, '\n');
}

static void views_line(struct ps_buf *b, const char *label, unsigned bits)
{
	if (!bits)
		return;
	ps_buf_printf(b, "%s", label);
	bool first = true;
	for (unsigned v = 0; v < PS_VIEW_COUNT; v++)
		if (bits & (1u << v)) {
			ps_buf_printf(b, "%s%s", first ? "" : ", ", ps_view_name(1u << v));
			first = false;
		}
}

static void emit_table(struct ps_buf *b, const struct ps_hidden_report *r, const struct ps_out_opts *o)
{
	const struct ps_inventory *inv = r->inv;
	const char *bold = o->color ? C_BOLD : "", *reset = o->color ? C_RESET : "";
	if (!r->complete) {
		/* the first line says it: "nothing found" proves nothing here */
		ps_buf_puts(b, "INCOMPLETE: could not be checked:");
		for (size_t i = 0, n = 0; i < r->nchecks; i++)
			if (!r->checks[i].ok || r->checks[i].partial)
				ps_buf_printf(b, "%s %s (%s)", n++ ? ";" : "", r->checks[i].name,
					      r->checks[i].ok ? "part of it out of reach without root" : "failed");
		ps_buf_puts(b, "\n");
	}
	ps_buf_printf(b, "%sportsec hidden%s: netns %llu%s%s%s, kernel %s: %zu checks in %.0f ms\n\n", bold,
		      reset, (unsigned long long)r->netns_inode, inv->netns[0].name[0] ? " (" : "",
		      inv->netns[0].name, inv->netns[0].name[0] ? ")" : "", r->kernel, r->nchecks, r->ms);
	/* highest severity first */
	for (int sev = PS_SEV_HIGH; sev >= PS_SEV_INFO; sev--) {
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct ps_finding *f = &r->findings[i];
			if (f->severity != sev)
				continue;
			const char *col = !o->color ? ""
					  : sev == PS_SEV_HIGH ? C_RED
					  : sev == PS_SEV_MEDIUM ? C_YELLOW
					  : sev == PS_SEV_LOW ? C_CYAN
							       : C_DIM;
			char tag[16];
			snprintf(tag, sizeof tag, "%s", ps_severity_name(sev));
			for (char *p = tag; *p; p++)
				*p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
			ps_buf_printf(b, "%s%-7s%s %-18s ", col, tag, reset, f->kind);
		ps_buf_puts_term(b, f->summary);
		ps_buf_putc(b, '\n');
			if (f->views_seen || f->views_missing) {
				ps_buf_puts(b, "        ");
				views_line(b, "seen by: ", f->views_seen);
				if (f->views_seen && f->views_missing)
					ps_buf_puts(b, "; ");
				views_line(b, "missing from: ", f->views_missing);
				ps_buf_putc(b, '\n');
			}
			for (size_t e = 0; e < f->nevidence; e++)
				{
				ps_buf_puts(b, "        - ");
				ps_buf_puts_term(b, f->evidence[e]);
				ps_buf_putc(b, '\n');
			}
			const struct ps_socket *s = f->sock >= 0 && (size_t)f->sock < inv->nsocks ? &inv->socks[f->sock] : NULL;
			if (s && s->filter_len) {
				ps_buf_puts(b, "        filter (classic BPF):\n");
				for (uint32_t k = 0; k < s->filter_len && s->filter_first + k < inv->ninsns; k++) {
					char line[128];
					ps_bpf_insn_format(&inv->insns[s->filter_first + k], k, s->filter_len, line,
							   sizeof line);
					ps_buf_printf(b, "          %s\n", line);
				}
			}
		}
	}
	if (r->nfindings)
		ps_buf_putc(b, '\n');
	ps_buf_printf(b, "%schecks%s\n", bold, reset);
	for (size_t i = 0; i < r->nchecks; i++) {
		const struct ps_check *k = &r->checks[i];
		const char *st = !k->ran ? "skip" : k->ok ? "ok" : "FAIL";
		ps_buf_printf(b, "  %-4s  %-20s %8.1f ms  %s\n", st, k->name, k->ms, k->detail);
	}
	unsigned mp = r->by_severity[PS_SEV_HIGH] + r->by_severity[PS_SEV_MEDIUM];
	ps_buf_printf(b, "\n%s%s%s (%u high, %u medium, %u low%s%u info)\n", bold,
		      mp ? "findings that need a look" : "no hidden ports or backdoors found", reset,
		      r->by_severity[PS_SEV_HIGH], r->by_severity[PS_SEV_MEDIUM], r->by_severity[PS_SEV_LOW],
		      o->verbose ? ", " : "; -v explains legitimate cases; ", r->by_severity[PS_SEV_INFO]);
}

int ps_out_hidden(struct ps_buf *b, bool json, const struct ps_hidden_report *r,
		  const struct ps_out_opts *o)
{
	if (json)
		emit_json(b, r);
	else
		emit_table(b, r, o);
	return b->err;
}
