/* out_fw.c - firewall output: `portsec rules`, open/close results, and the
 * effective verdict as text or JSON (used by info and the report too). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "output/out_internal.h"
#include "portsec/ps_output.h"

static void where_json(struct ps_json *j, const struct ps_fw_ruleset *rs, const struct ps_fw_where *w)
{
	if (!w->table) {
		ps_json_null(j);
		return;
	}
	ps_json_obj_begin(j);
	ps_json_key(j, "family");
	ps_json_str(j, ps_fw_family_name(w->family));
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
	if (w->rule && w->c) {
		struct ps_buf t;
		ps_buf_init(&t);
		ps_fw_rule_text(rs, w->c, w->rule, &t);
		ps_json_strn(j, t.data ? t.data : "", t.len);
		ps_buf_free(&t);
	} else {
		ps_json_str(j, "policy");
	}
	ps_json_key(j, "manager");
	ps_json_str(j, ps_fw_manager_name(ps_fw_table_manager(rs, w->family, w->table)));
	ps_json_obj_end(j);
}

void ps_out_fw_verdict_json(struct ps_json *j, const struct ps_fw_ruleset *rs, const struct ps_fw_verdict *v)
{
	struct ps_buf t;
	ps_buf_init(&t);
	ps_json_obj_begin(j);
	ps_json_key(j, "result");
	ps_json_str(j, ps_fw_result_name(v->result));
	ps_json_key(j, "summary");
	ps_fw_verdict_summary(v, &t);
	ps_json_strn(j, t.data ? t.data : "", t.len);
	ps_json_key(j, "decided_by");
	where_json(j, rs, &v->where);
	if (v->detail[0]) {
		ps_json_key(j, "detail");
		ps_json_str(j, v->detail);
	}
	ps_json_key(j, "conditions");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < v->nconds; i++) {
		const struct ps_fw_cond *k = &v->conds[i];
		ps_json_obj_begin(j);
		ps_json_key(j, "when");
		ps_json_str(j, k->cond);
		ps_json_key(j, "result");
		ps_json_str(j, ps_fw_result_name(k->result));
		ps_json_key(j, "unknown");
		ps_json_bool(j, k->unknown);
		ps_json_key(j, "where");
		where_json(j, rs, &k->where);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
	ps_json_key(j, "chains_evaluated");
	ps_json_u64(j, v->chains_seen);
	ps_json_obj_end(j);
	ps_buf_free(&t);
}

void ps_out_fw_verdict_text(struct ps_buf *b, const struct ps_fw_ruleset *rs, const struct ps_fw_verdict *v,
			    const char *indent, bool verbose)
{
	char sub[40];
	size_t il = strlen(indent);
	if (il >= sizeof sub)
		il = sizeof sub - 1;
	memset(sub, ' ', il);
	sub[il] = 0;
	ps_buf_puts(b, indent);
	ps_fw_verdict_summary(v, b);
	ps_buf_putc(b, '\n');
	indent = sub;
	if (v->where.rule && v->where.c) {
		ps_buf_printf(b, "%s  decided by: ", indent);
		ps_fw_where_text(&v->where, b);
		ps_buf_puts(b, ": ");
		ps_fw_rule_text(rs, v->where.c, v->where.rule, b);
		ps_buf_printf(b, "  [%s]\n", ps_fw_manager_name(ps_fw_table_manager(rs, v->where.family, v->where.table)));
	}
	size_t shown = 0;
	for (size_t i = 0; i < v->nconds; i++) {
		const struct ps_fw_cond *k = &v->conds[i];
		if (!verbose && shown >= 4) {
			ps_buf_printf(b, "%s  ... %zu more conditions (-v)\n", indent, v->nconds - i);
			break;
		}
		ps_buf_printf(b, "%s  when %s: %s (", indent, k->cond, ps_fw_result_name(k->result));
		ps_fw_where_text(&k->where, b);
		ps_buf_puts(b, ")\n");
		shown++;
	}
}

static void entry_json(struct ps_json *j, const struct ps_fw_entry *e, size_t num)
{
	char a[64];
	ps_json_obj_begin(j);
	ps_json_key(j, "number");
	ps_json_u64(j, num);
	ps_json_key(j, "action");
	ps_json_str(j, e->action == PS_FW_DENY ? "deny" : "allow");
	ps_json_key(j, "proto");
	ps_json_str(j, e->proto == IPPROTO_UDP ? "udp" : "tcp");
	ps_json_key(j, "port");
	ps_json_u64(j, e->lo);
	ps_json_key(j, "port_end");
	ps_json_u64(j, e->hi);
	ps_json_key(j, "from");
	if (e->have_src) {
		ps_fmt_addr(a, sizeof a, e->src.family, e->src.addr);
		char c[80];
		snprintf(c, sizeof c, "%s/%u", a, e->src.prefix);
		ps_json_str(j, c);
	} else {
		ps_json_null(j);
	}
	ps_json_key(j, "iface");
	ps_json_str(j, e->iface[0] ? e->iface : NULL);
	ps_json_key(j, "text");
	struct ps_buf t;
	ps_buf_init(&t);
	ps_fw_entry_text(e, &t);
	ps_json_strn(j, t.data ? t.data : "", t.len);
	ps_buf_free(&t);
}

static bool shown_listener(const struct ps_inventory *inv, size_t i)
{
	const struct ps_socket *s = &inv->socks[i];
	if (!ps_socket_is_listener(s) || (s->proto != PS_PROTO_TCP && s->proto != PS_PROTO_UDP))
		return false;
	/* one row per (proto, family, address, port): REUSEPORT groups collapse */
	for (size_t k = 0; k < i; k++) {
		const struct ps_socket *t = &inv->socks[k];
		if (ps_socket_is_listener(t) && t->proto == s->proto && t->family == s->family && t->lport == s->lport &&
		    memcmp(t->laddr, s->laddr, 16) == 0)
			return false;
	}
	return true;
}

int ps_out_fw_rules(struct ps_buf *b, bool json, const struct ps_fw_ruleset *rs, const struct ps_fw_own *own,
		    const struct ps_fw_verdict *verdicts, const struct ps_inventory *inv, const struct ps_out_opts *o)
{
	struct ps_fw_manager m[PS_FW_MAX_MANAGERS];
	size_t nm = ps_fw_managers(rs, m, PS_FW_MAX_MANAGERS);
	if (json) {
		struct ps_json j;
		ps_json_init(&j, b, false);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "table");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "name");
		ps_json_str(&j, "inet " PS_FW_TABLE);
		ps_json_key(&j, "exists");
		ps_json_bool(&j, own->exists);
		ps_json_key(&j, "default_incoming");
		ps_json_str(&j, own->enabled ? "deny" : "accept");
		ps_json_obj_end(&j);
		ps_json_key(&j, "rules");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < own->n; i++) {
			entry_json(&j, &own->e[i], i + 1);
			ps_json_key(&j, "effective");
			if (verdicts)
				ps_out_fw_verdict_json(&j, rs, &verdicts[i]);
			else
				ps_json_null(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "managers");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < nm; i++) {
			ps_json_obj_begin(&j);
			ps_json_key(&j, "manager");
			ps_json_str(&j, ps_fw_manager_name(m[i].kind));
			ps_json_key(&j, "family");
			ps_json_str(&j, m[i].kind == PS_FWM_IPTABLES_LEGACY ? "legacy" : ps_fw_family_name(m[i].family));
			ps_json_key(&j, "table");
			ps_json_str(&j, m[i].table);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "listeners");
		ps_json_arr_begin(&j);
		for (size_t i = 0; inv && i < inv->nsocks; i++) {
			if (!shown_listener(inv, i))
				continue;
			const struct ps_socket *s = &inv->socks[i];
			char a[64];
			ps_fmt_addr(a, sizeof a, s->family, s->laddr);
			ps_json_obj_begin(&j);
			ps_json_key(&j, "proto");
			ps_json_str(&j, ps_proto_name(s->proto));
			ps_json_key(&j, "addr");
			ps_json_str(&j, a);
			ps_json_key(&j, "port");
			ps_json_u64(&j, s->lport);
			ps_json_key(&j, "reachability");
			struct ps_buf t;
			ps_buf_init(&t);
			ps_out_fw_reach(&t, rs, s);
			ps_json_strn(&j, t.data ? t.data : "", t.len);
			ps_buf_free(&t);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
		return b->err;
	}
	ps_buf_printf(b, "Table inet %s: %s; default incoming: %s\n", PS_FW_TABLE, own->exists ? "present" : "absent",
		      own->enabled ? "deny (enabled)" : "accept (portsec enable turns on default-deny)");
	if (own->n == 0) {
		ps_buf_puts(b, "No rules.\n");
	} else {
		ps_buf_printf(b, "\n%-5s %-42s %s\n", "#", "rule", "effective (whole ruleset)");
		for (size_t i = 0; i < own->n; i++) {
			struct ps_buf t;
			ps_buf_init(&t);
			ps_fw_entry_text(&own->e[i], &t);
			ps_buf_printf(b, "[%2zu]  %-42.*s ", i + 1, (int)t.len, t.data ? t.data : "");
			ps_buf_free(&t);
			if (verdicts)
				ps_fw_verdict_summary(&verdicts[i], b);
			ps_buf_putc(b, '\n');
		}
	}
	if (inv) {
		ps_buf_puts(b, "\nListening ports here, as the whole ruleset treats new connections:\n");
		size_t shown = 0;
		for (size_t i = 0; i < inv->nsocks; i++) {
			if (!shown_listener(inv, i))
				continue;
			const struct ps_socket *s = &inv->socks[i];
			char ep[96];
			ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
			ps_buf_printf(b, "  %-4s %-30s ", ps_proto_name(s->proto), ep);
			ps_out_fw_reach(b, rs, s);
			ps_buf_putc(b, '\n');
			shown++;
		}
		if (!shown)
			ps_buf_puts(b, "  none\n");
	}
	ps_buf_puts(b, "\nFirewall tables:");
	if (nm == 0)
		ps_buf_puts(b, " none");
	ps_buf_putc(b, '\n');
	for (size_t i = 0; i < nm; i++) {
		if (m[i].kind == PS_FWM_IPTABLES_LEGACY)
			ps_buf_printf(b, "  legacy x_tables (%s): not readable by portsec, verdicts may be incomplete\n", m[i].table);
		else
			ps_buf_printf(b, "  %s %s (%s)\n", ps_fw_family_name(m[i].family), m[i].table, ps_fw_manager_name(m[i].kind));
	}
	(void)o;
	return b->err;
}

void ps_fw_pkt_for_socket(struct ps_fw_pkt *p, const struct ps_socket *s, int family)
{
	memset(p, 0, sizeof *p);
	p->family = family;
	p->l4proto = s->proto == PS_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	p->dport = s->lport;
	if (ps_scope_of(s->family, s->laddr) == PS_SCOPE_ADDRESS) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (s->family == AF_INET && family == AF_INET) {
			p->have_daddr = true;
			memcpy(p->daddr, s->laddr, 4);
		} else if (s->family == AF_INET6 && family == AF_INET6) {
			p->have_daddr = true;
			memcpy(p->daddr, s->laddr, 16);
		} else if (s->family == AF_INET6 && family == AF_INET && memcmp(s->laddr, mapped, 12) == 0) {
			p->have_daddr = true;
			memcpy(p->daddr, s->laddr + 12, 4);
		}
	}
}

void ps_out_fw_reach(struct ps_buf *b, const struct ps_fw_ruleset *rs, const struct ps_socket *s)
{
	if (ps_scope_of(s->family, s->laddr) == PS_SCOPE_LOOPBACK) {
		ps_buf_puts(b, "local only (loopback)");
		return;
	}
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool v4 = s->family == AF_INET ||
		  (s->family == AF_INET6 && ((memcmp(s->laddr, zero, 16) == 0 && s->v6only != 1) ||
					     memcmp(s->laddr, mapped, 12) == 0));
	bool v6 = s->family == AF_INET6 && memcmp(s->laddr, mapped, 12) != 0;
	struct ps_fw_verdict a, c;
	struct ps_fw_pkt p;
	struct ps_buf t4, t6;
	ps_buf_init(&t4);
	ps_buf_init(&t6);
	if (v4) {
		ps_fw_pkt_for_socket(&p, s, AF_INET);
		if (ps_fw_eval(rs, &p, NULL, &a) == PS_OK)
			ps_fw_verdict_summary(&a, &t4);
	}
	if (v6) {
		ps_fw_pkt_for_socket(&p, s, AF_INET6);
		if (ps_fw_eval(rs, &p, NULL, &c) == PS_OK)
			ps_fw_verdict_summary(&c, &t6);
	}
	if (v4 && v6 && (t4.len != t6.len || memcmp(t4.data, t6.data, t4.len) != 0))
		ps_buf_printf(b, "IPv4: %.*s; IPv6: %.*s", (int)t4.len, t4.data, (int)t6.len, t6.data);
	else if (v4)
		ps_buf_put(b, t4.data, t4.len);
	else
		ps_buf_put(b, t6.data, t6.len);
	ps_buf_free(&t4);
	ps_buf_free(&t6);
}
