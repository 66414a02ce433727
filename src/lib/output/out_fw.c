/* out_fw.c - firewall output: `portsec rules`, and the effective verdict as
 * text or JSON (used by info too).  Formats documents of the judging layer
 * (ps_assess.h); computes nothing. */
#include <stdio.h>
#include <string.h>

#include "output/out_internal.h"
#include "portsec/ps_output.h"

static void where_json(struct ps_json *j, const struct ps_where_doc *w)
{
	if (!w->set) {
		ps_json_null(j);
		return;
	}
	ps_json_obj_begin(j);
	ps_json_key(j, "family");
	ps_json_str(j, w->family);
	ps_json_key(j, "table");
	ps_json_str(j, w->table);
	ps_json_key(j, "chain");
	ps_json_str(j, w->chain);
	ps_json_key(j, "handle");
	if (w->handle)
		ps_json_u64(j, w->handle);
	else
		ps_json_null(j);
	ps_json_key(j, "rule");
	ps_json_str(j, w->rule ? w->rule : "policy");
	ps_json_key(j, "manager");
	ps_json_str(j, w->manager);
	ps_json_obj_end(j);
}

void ps_out_fw_verdict_json(struct ps_json *j, const struct ps_verdict_doc *v)
{
	ps_json_obj_begin(j);
	ps_json_key(j, "result");
	ps_json_str(j, v->result_name);
	ps_json_key(j, "summary");
	ps_json_str(j, v->summary ? v->summary : "");
	ps_json_key(j, "decided_by");
	where_json(j, &v->decided_by);
	if (v->detail) {
		ps_json_key(j, "detail");
		ps_json_str(j, v->detail);
	}
	ps_json_key(j, "conditions");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < v->nconds; i++) {
		const struct ps_cond_doc *k = &v->conds[i];
		ps_json_obj_begin(j);
		ps_json_key(j, "when");
		ps_json_str(j, k->when);
		ps_json_key(j, "result");
		ps_json_str(j, k->result);
		ps_json_key(j, "unknown");
		ps_json_bool(j, k->unknown);
		ps_json_key(j, "where");
		where_json(j, &k->where);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
	ps_json_key(j, "chains_evaluated");
	ps_json_u64(j, v->chains_evaluated);
	if (v->nd_blocked) {
		ps_json_key(j, "neighbour_discovery_dropped");
		ps_json_bool(j, true);
	}
	ps_json_obj_end(j);
}

void ps_out_fw_verdict_text(struct ps_buf *b, const struct ps_verdict_doc *v, const char *indent, bool verbose)
{
	char sub[40];
	size_t il = strlen(indent);
	if (il >= sizeof sub)
		il = sizeof sub - 1;
	memset(sub, ' ', il);
	sub[il] = 0;
	ps_buf_puts(b, indent);
	ps_buf_puts(b, v->summary ? v->summary : "");
	ps_buf_putc(b, '\n');
	indent = sub;
	if (v->decided_by.rule)
		ps_buf_printf(b, "%s  decided by: %s: %s  [%s]\n", indent, v->decided_by.text, v->decided_by.rule,
			      v->decided_by.manager ? v->decided_by.manager : "");
	size_t shown = 0;
	for (size_t i = 0; i < v->nconds; i++) {
		const struct ps_cond_doc *k = &v->conds[i];
		if (!verbose && shown >= 4) {
			ps_buf_printf(b, "%s  ... %zu more conditions (-v)\n", indent, v->nconds - i);
			break;
		}
		ps_buf_printf(b, "%s  when %s: %s (%s)\n", indent, k->when, k->result, k->where.text);
		shown++;
	}
}

static void entry_json(struct ps_json *j, const struct ps_fw_entry_doc *e, size_t num)
{
	ps_json_obj_begin(j);
	ps_json_key(j, "number");
	ps_json_u64(j, num);
	ps_json_key(j, "action");
	ps_json_str(j, e->action);
	ps_json_key(j, "proto");
	ps_json_str(j, e->proto);
	ps_json_key(j, "port");
	ps_json_u64(j, e->lo);
	ps_json_key(j, "port_end");
	ps_json_u64(j, e->hi);
	ps_json_key(j, "from");
	ps_json_str(j, e->from);
	ps_json_key(j, "iface");
	ps_json_str(j, e->iface);
	ps_json_key(j, "text");
	ps_json_str(j, e->text);
}

int ps_out_fw_rules(struct ps_buf *b, bool json, const struct ps_fw_doc *d, const struct ps_out_opts *o)
{
	if (json) {
		struct ps_json j;
		ps_json_init(&j, b, false);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "table");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "name");
		ps_json_str(&j, d->table_name);
		ps_json_key(&j, "exists");
		ps_json_bool(&j, d->exists);
		ps_json_key(&j, "default_incoming");
		ps_json_str(&j, d->enabled ? "deny" : "accept");
		ps_json_obj_end(&j);
		ps_json_key(&j, "rules");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < d->nentries; i++) {
			entry_json(&j, &d->entries[i], i + 1);
			ps_json_key(&j, "effective");
			if (d->entries[i].effective)
				ps_out_fw_verdict_json(&j, d->entries[i].effective);
			else
				ps_json_null(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "managers");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < d->nmanagers; i++) {
			ps_json_obj_begin(&j);
			ps_json_key(&j, "manager");
			ps_json_str(&j, d->managers[i].manager);
			ps_json_key(&j, "family");
			ps_json_str(&j, d->managers[i].family);
			ps_json_key(&j, "table");
			ps_json_str(&j, d->managers[i].table);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "listeners");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < d->nlisteners; i++) {
			const struct ps_fw_listener_doc *l = &d->listeners[i];
			ps_json_obj_begin(&j);
			ps_json_key(&j, "proto");
			ps_json_str(&j, l->proto);
			ps_json_key(&j, "addr");
			ps_json_str(&j, l->addr);
			ps_json_key(&j, "port");
			ps_json_u64(&j, l->port);
			ps_json_key(&j, "reachability");
			ps_json_str(&j, l->reach);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
		return b->err;
	}
	ps_buf_printf(b, "Table %s: %s; default incoming: %s\n", d->table_name, d->exists ? "present" : "absent",
		      d->enabled ? "deny (enabled)" : "accept (portsec enable turns on default-deny)");
	if (d->nentries == 0) {
		ps_buf_puts(b, "No rules.\n");
	} else {
		ps_buf_printf(b, "\n%-5s %-42s %s\n", "#", "rule", "effective (whole ruleset)");
		for (size_t i = 0; i < d->nentries; i++) {
			const struct ps_fw_entry_doc *e = &d->entries[i];
			ps_buf_printf(b, "[%2zu]  %-42s ", i + 1, e->text);
			if (e->effective)
				ps_buf_puts(b, e->effective->summary);
			ps_buf_putc(b, '\n');
		}
	}
	if (d->have_listeners) {
		ps_buf_puts(b, "\nListening ports here, as the whole ruleset treats new connections:\n");
		for (size_t i = 0; i < d->nlisteners; i++)
			ps_buf_printf(b, "  %-4s %-30s %s\n", d->listeners[i].proto, d->listeners[i].endpoint,
				      d->listeners[i].reach);
		if (!d->nlisteners)
			ps_buf_puts(b, "  none\n");
	}
	ps_buf_puts(b, "\nFirewall tables:");
	if (d->nmanagers == 0)
		ps_buf_puts(b, " none");
	ps_buf_putc(b, '\n');
	for (size_t i = 0; i < d->nmanagers; i++) {
		if (d->managers[i].legacy)
			ps_buf_printf(b, "  legacy x_tables (%s): not readable by portsec, verdicts may be incomplete\n",
				      d->managers[i].table);
		else
			ps_buf_printf(b, "  %s %s (%s)\n", d->managers[i].family, d->managers[i].table,
				      d->managers[i].manager);
	}
	(void)o;
	return b->err;
}

/* open/close/enable/disable/rules delete: what changed */
int ps_out_fw_change(struct ps_buf *b, bool json, const struct ps_fw_change_doc *d, const struct ps_out_opts *o)
{
	(void)o;
	if (json) {
		struct ps_json j;
		ps_json_init(&j, b, false);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "dry_run");
		ps_json_bool(&j, d->dry_run);
		ps_json_key(&j, "applied");
		ps_json_bool(&j, d->applied);
		ps_json_key(&j, "refused");
		ps_json_str(&j, d->refused);
		ps_json_key(&j, "forced");
		ps_json_bool(&j, d->forced);
		ps_json_key(&j, "changes");
		ps_json_arr_begin(&j);
		for (int pass = 0; pass < 2; pass++) {
			char *const *t = pass ? d->added : d->removed;
			size_t n = pass ? d->nadded : d->nremoved;
			for (size_t i = 0; i < n; i++) {
				ps_json_obj_begin(&j);
				ps_json_key(&j, "op");
				ps_json_str(&j, pass ? "add" : "delete");
				ps_json_key(&j, "rule");
				ps_json_str(&j, t[i]);
				ps_json_obj_end(&j);
			}
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "default_incoming");
		ps_json_str(&j, d->default_deny ? "deny" : "accept");
		ps_json_key(&j, "nft");
		ps_json_str(&j, d->nothing ? "" : d->nft);
		ps_json_key(&j, "persisted");
		ps_json_str(&j, d->persisted);
		ps_json_key(&j, "error");
		ps_json_str(&j, d->error);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
		return b->err;
	}
	if (d->refused)
		return b->err; /* said on stderr by the caller; nothing changed */
	if (d->nothing) {
		ps_buf_puts(b, "Nothing to change: the rules already say that.\n");
		return b->err;
	}
	for (size_t i = 0; i < d->nremoved; i++)
		ps_buf_printf(b, "%s%s\n", d->dry_run ? "would remove: " : "removed: ", d->removed[i]);
	for (size_t i = 0; i < d->nadded; i++)
		ps_buf_printf(b, "%s%s\n", d->dry_run ? "would add:    " : "added:   ", d->added[i]);
	if (d->set_policy >= 0)
		ps_buf_printf(b, "%sdefault incoming: %s\n", d->dry_run ? "would set " : "",
			      d->set_policy == 0 ? "deny" : "accept");
	if (d->dry_run)
		ps_buf_printf(b, "\nnft transaction (not applied):\n%s", d->nft ? d->nft : "");
	else if (d->persisted)
		ps_buf_printf(b, "saved to %s\n", d->persisted);
	else if (d->applied)
		ps_buf_puts(b, "runtime only (not saved)\n");
	return b->err;
}
