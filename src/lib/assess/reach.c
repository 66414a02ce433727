/* reach.c - exposure and the effective inbound verdict of sockets and ports,
 * as documents: the one place where a socket becomes a probe packet and the
 * packet a verdict (ps_fw_eval) for the report, info, rules, audit, watch. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "assess/internal.h"

char *as_strbuf(struct ps_arena *ar, const struct ps_buf *b)
{
	return ps_arena_strndup(ar, b->data ? b->data : "", b->data ? b->len : 0);
}

char *as_vprintf(struct ps_arena *ar, const char *fmt, va_list ap)
{
	return ps_arena_vprintf(ar, fmt, ap);
}

char *as_printf(struct ps_arena *ar, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = as_vprintf(ar, fmt, ap);
	va_end(ap);
	return s;
}

const char *ps_exposure_name(int e)
{
	switch (e) {
	case PS_EXPOSE_ADDRESS: return "address";
	case PS_EXPOSE_LOOPBACK: return "loopback";
	default: return "any";
	}
}

struct ps_arena *ps_assess_arena_new(void)
{
	struct ps_arena *ar = malloc(sizeof *ar);
	if (ar)
		ps_arena_init(ar);
	return ar;
}

void ps_assess_arena_free(struct ps_arena *ar)
{
	if (ar) {
		ps_arena_free(ar);
		free(ar);
	}
}

static void where_doc(struct ps_arena *ar, const struct ps_fw_ruleset *rs, const struct ps_fw_where *w,
		      struct ps_where_doc *d)
{
	memset(d, 0, sizeof *d);
	struct ps_buf t;
	ps_buf_init(&t);
	ps_fw_where_text(w, &t);
	d->text = as_strbuf(ar, &t);
	ps_buf_free(&t);
	if (!w->table)
		return;
	d->set = true;
	d->family = ps_fw_family_name(w->family);
	d->table = w->table;
	d->chain = w->chain;
	d->handle = w->handle;
	if (w->rule && w->c) {
		ps_buf_init(&t);
		ps_fw_rule_text(rs, w->c, w->rule, &t);
		d->rule = as_strbuf(ar, &t);
		ps_buf_free(&t);
	}
	d->manager = ps_fw_manager_name(ps_fw_table_manager(rs, w->family, w->table));
}

const struct ps_verdict_doc *ps_verdict_doc(struct ps_arena *ar, const struct ps_fw_ruleset *rs,
					    const struct ps_fw_verdict *v)
{
	struct ps_verdict_doc *d = ps_arena_alloc(ar, sizeof *d);
	if (!d)
		return NULL;
	memset(d, 0, sizeof *d);
	d->result = v->result;
	d->result_name = ps_fw_result_name(v->result);
	struct ps_buf t;
	ps_buf_init(&t);
	ps_fw_verdict_summary(v, &t);
	d->summary = as_strbuf(ar, &t);
	ps_buf_free(&t);
	where_doc(ar, rs, &v->where, &d->decided_by);
	if (v->detail[0])
		d->detail = ps_arena_strndup(ar, v->detail, strlen(v->detail));
	d->chains_evaluated = v->chains_seen;
	d->nd_blocked = v->nd_blocked;
	if (v->nconds) {
		d->conds = ps_arena_alloc(ar, v->nconds * sizeof *d->conds);
		if (d->conds) {
			d->nconds = v->nconds;
			for (size_t i = 0; i < v->nconds; i++) {
				const struct ps_fw_cond *k = &v->conds[i];
				d->conds[i].when = ps_arena_strndup(ar, k->cond, strlen(k->cond));
				d->conds[i].result = ps_fw_result_name(k->result);
				d->conds[i].unknown = k->unknown;
				where_doc(ar, rs, &k->where, &d->conds[i].where);
			}
		}
	}
	return d;
}

static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void ps_reach_pkt(struct ps_fw_pkt *p, const struct ps_socket *s, int family)
{
	memset(p, 0, sizeof *p);
	p->family = family;
	p->l4proto = s->proto == PS_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	p->dport = s->lport;
	if (ps_scope_of(s->family, s->laddr) != PS_SCOPE_ADDRESS)
		return;
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

void as_reach_row(struct ps_arena *ar, const struct ps_fw_ruleset *rs, const struct ps_socket *s,
		  struct ps_reach *out)
{
	static const uint8_t zero[16];
	memset(out, 0, sizeof *out);
	out->done = true;
	enum ps_scope sc = ps_scope_of(s->family, s->laddr);
	out->exposure = sc == PS_SCOPE_ANY ? PS_EXPOSE_ANY : sc == PS_SCOPE_ADDRESS ? PS_EXPOSE_ADDRESS
										     : PS_EXPOSE_LOOPBACK;
	if (sc == PS_SCOPE_LOOPBACK) {
		out->text = ps_arena_strndup(ar, "local only (loopback)", 21);
		return;
	}
	out->v4 = s->family == AF_INET ||
		  (s->family == AF_INET6 && ((memcmp(s->laddr, zero, 16) == 0 && s->v6only != 1) ||
					     memcmp(s->laddr, mapped, 12) == 0));
	out->v6 = s->family == AF_INET6 && memcmp(s->laddr, mapped, 12) != 0;
	if (!rs)
		return;
	for (int f = 0; f < 2; f++) {
		if (!(f ? out->v6 : out->v4))
			continue;
		struct ps_fw_pkt p;
		struct ps_fw_verdict v;
		ps_reach_pkt(&p, s, f ? AF_INET6 : AF_INET);
		if (ps_fw_eval(rs, &p, NULL, &v) == PS_OK)
			out->fam[f] = ps_verdict_doc(ar, rs, &v);
	}
	const char *t4 = out->fam[0] ? out->fam[0]->summary : "";
	const char *t6 = out->fam[1] ? out->fam[1]->summary : "";
	if (out->v4 && out->v6 && strcmp(t4, t6) != 0)
		out->text = as_printf(ar, "IPv4: %s; IPv6: %s", t4, t6);
	else
		out->text = ps_arena_strndup(ar, out->v4 ? t4 : t6, strlen(out->v4 ? t4 : t6));
}
