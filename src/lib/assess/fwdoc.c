/* fwdoc.c - `portsec rules` as a document: portsec's own entries with their
 * effective verdicts, every listener with its reach, the other managers. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "assess/internal.h"

/* one row per (proto, family, address, port): REUSEPORT groups collapse */
static bool shown_listener(const struct ps_inventory *inv, size_t i)
{
	const struct ps_socket *s = &inv->socks[i];
	if (!ps_socket_is_listener(s) || (s->proto != PS_PROTO_TCP && s->proto != PS_PROTO_UDP))
		return false;
	for (size_t k = 0; k < i; k++) {
		const struct ps_socket *t = &inv->socks[k];
		if (ps_socket_is_listener(t) && t->proto == s->proto && t->family == s->family && t->lport == s->lport &&
		    memcmp(t->laddr, s->laddr, 16) == 0)
			return false;
	}
	return true;
}

int ps_assess_fw_doc(const struct ps_fw_ruleset *rs, const struct ps_fw_own *own,
		     const struct ps_fw_verdict *verdicts, const struct ps_inventory *inv, struct ps_fw_doc *d)
{
	memset(d, 0, sizeof *d);
	d->arena = ps_assess_arena_new();
	if (!d->arena)
		return PS_ERR_NOMEM;
	struct ps_arena *ar = d->arena;
	d->table_name = "inet " PS_FW_TABLE;
	d->exists = own->exists;
	d->enabled = own->enabled;
	d->entries = ps_arena_alloc(ar, (own->n ? own->n : 1) * sizeof *d->entries);
	if (!d->entries)
		return PS_ERR_NOMEM;
	for (size_t i = 0; i < own->n; i++) {
		const struct ps_fw_entry *e = &own->e[i];
		struct ps_fw_entry_doc *x = &d->entries[d->nentries++];
		memset(x, 0, sizeof *x);
		x->action = e->action == PS_FW_DENY ? "deny" : "allow";
		x->proto = e->proto == IPPROTO_UDP ? "udp" : "tcp";
		x->lo = e->lo;
		x->hi = e->hi;
		if (e->have_src) {
			char a[64];
			ps_fmt_addr(a, sizeof a, e->src.family, e->src.addr);
			x->from = as_printf(ar, "%s/%u", a, e->src.prefix);
		}
		x->iface = e->iface[0] ? ps_arena_strndup(ar, e->iface, strlen(e->iface)) : NULL;
		struct ps_buf t;
		ps_buf_init(&t);
		ps_fw_entry_text(e, &t);
		x->text = as_strbuf(ar, &t);
		ps_buf_free(&t);
		x->effective = verdicts ? ps_verdict_doc(ar, rs, &verdicts[i]) : NULL;
	}
	struct ps_fw_manager m[PS_FW_MAX_MANAGERS];
	d->nmanagers = ps_fw_managers(rs, m, PS_FW_MAX_MANAGERS);
	for (size_t i = 0; i < d->nmanagers; i++) {
		d->managers[i].manager = ps_fw_manager_name(m[i].kind);
		d->managers[i].legacy = m[i].kind == PS_FWM_IPTABLES_LEGACY;
		d->managers[i].family = d->managers[i].legacy ? "legacy" : ps_fw_family_name(m[i].family);
		d->managers[i].table = ps_arena_strndup(ar, m[i].table, strlen(m[i].table));
	}
	if (!inv)
		return PS_OK;
	d->have_listeners = true;
	d->listeners = ps_arena_alloc(ar, (inv->nsocks ? inv->nsocks : 1) * sizeof *d->listeners);
	if (!d->listeners)
		return PS_ERR_NOMEM;
	for (size_t i = 0; i < inv->nsocks; i++) {
		if (!shown_listener(inv, i))
			continue;
		const struct ps_socket *s = &inv->socks[i];
		struct ps_fw_listener_doc *x = &d->listeners[d->nlisteners++];
		struct ps_reach r;
		as_reach_row(ar, rs, s, &r);
		x->proto = ps_proto_name(s->proto);
		ps_fmt_addr(x->addr, sizeof x->addr, s->family, s->laddr);
		ps_fmt_endpoint(x->endpoint, sizeof x->endpoint, s->family, s->laddr, s->lport, false);
		x->port = s->lport;
		x->reach = r.text ? r.text : "";
	}
	return PS_OK;
}

void ps_fw_doc_free(struct ps_fw_doc *d)
{
	ps_assess_arena_free(d->arena);
	memset(d, 0, sizeof *d);
}

static char **entry_texts(struct ps_arena *ar, const struct ps_fw_entry *e, size_t n)
{
	char **t = ps_arena_alloc(ar, (n ? n : 1) * sizeof *t);
	for (size_t i = 0; t && i < n; i++) {
		struct ps_buf b;
		ps_buf_init(&b);
		ps_fw_entry_text(&e[i], &b);
		t[i] = as_strbuf(ar, &b);
		ps_buf_free(&b);
		if (!t[i])
			return NULL;
	}
	return t;
}

int ps_assess_fw_change(const struct ps_fw_plan *plan, struct ps_fw_change_doc *d)
{
	d->arena = ps_assess_arena_new();
	if (!d->arena)
		return PS_ERR_NOMEM;
	d->removed = entry_texts(d->arena, plan->del, plan->ndel);
	d->added = entry_texts(d->arena, plan->add, plan->nadd);
	if (!d->removed || !d->added)
		return PS_ERR_NOMEM;
	d->nremoved = plan->ndel;
	d->nadded = plan->nadd;
	d->set_policy = plan->set_policy;
	return PS_OK;
}

void ps_fw_change_doc_free(struct ps_fw_change_doc *d)
{
	ps_assess_arena_free(d->arena);
	memset(d, 0, sizeof *d);
}
