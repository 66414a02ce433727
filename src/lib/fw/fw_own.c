/* fw_own.c - portsec's own table, `table inet portsec` (pure: entries from
 * the ruleset model, change plans, nft scripts).
 *
 * Layout (docs/firewall.md):  one input base chain at priority filter - 10
 * and one named interval set per (action, protocol, qualifier):
 *   {allow,deny}_{tcp,udp}[_if][_src4|_src6]
 * keyed  [ifname .] [ipv4_addr|ipv6_addr .] inet_service.  A user rule is one
 * element, so open/close is an element change in one transaction.  Denies are
 * matched before allows; loopback and established/related traffic are
 * accepted first (as ufw does).  `enable` turns the chain policy to drop and
 * adds the ICMP essentials and an invalid-state drop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/internal.h"
#include "portsec/ps_error.h"

static const char *const quals[] = {"", "_src4", "_src6", "_if", "_if_src4", "_if_src6"};
#define NQUAL 6

static int qual_of(const struct ps_fw_entry *e)
{
	int q = 0;
	if (e->have_src)
		q = e->src.family == AF_INET6 ? 2 : 1;
	if (e->iface[0])
		q += 3;
	return q;
}

static void set_name(const struct ps_fw_entry *e, char *dst, size_t cap)
{
	snprintf(dst, cap, "%s_%s%s", e->action == PS_FW_DENY ? "deny" : "allow",
		 e->proto == IPPROTO_UDP ? "udp" : "tcp", quals[qual_of(e)]);
}

void ps_fw_own_free(struct ps_fw_own *o)
{
	free(o->e);
	memset(o, 0, sizeof *o);
}

static int push(struct ps_fw_entry **arr, size_t *n, size_t *cap, const struct ps_fw_entry *e)
{
	struct ps_fw_entry *x = PS_VEC_PUSH(*arr, *n, *cap);
	if (!x)
		return PS_ERR_NOMEM;
	*x = *e;
	return PS_OK;
}

/* inclusive byte range [lo,hi] of an address -> CIDR, false if not a prefix */
static bool range_to_cidr(const uint8_t *lo, const uint8_t *hi, unsigned alen, uint8_t *prefix)
{
	unsigned bits = 0;
	while (bits < alen * 8) {
		unsigned by = bits / 8, bi = 7 - bits % 8;
		if (((lo[by] >> bi) & 1) != ((hi[by] >> bi) & 1))
			break;
		bits++;
	}
	for (unsigned b = bits; b < alen * 8; b++) {
		unsigned by = b / 8, bi = 7 - b % 8;
		if (((lo[by] >> bi) & 1) != 0 || ((hi[by] >> bi) & 1) != 1)
			return false;
	}
	*prefix = (uint8_t)bits;
	return true;
}

int ps_fw_own_from_ruleset(const struct ps_fw_ruleset *rs, struct ps_fw_own *o)
{
	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < rs->ntables; i++)
		if (rs->tables[i].family == PS_NFP_INET && strcmp(rs->tables[i].name, PS_FW_TABLE) == 0)
			o->exists = true;
	if (!o->exists)
		return PS_OK;
	const struct ps_fw_chain *in = ps_fw_find_chain(rs, PS_NFP_INET, PS_FW_TABLE, "input");
	o->enabled = in && in->base && in->policy == 0;
	for (int a = 0; a < 2; a++)
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < NQUAL; q++) {
				struct ps_fw_entry tmpl = {.action = a ? PS_FW_DENY : PS_FW_ALLOW,
							   .proto = p ? IPPROTO_UDP : IPPROTO_TCP};
				char name[48];
				snprintf(name, sizeof name, "%s_%s%s", a ? "deny" : "allow", p ? "udp" : "tcp", quals[q]);
				const struct ps_fw_set *s = ps_fw_find_set(rs, PS_NFP_INET, PS_FW_TABLE, name);
				if (!s)
					continue;
				bool ifq = q >= 3;
				int fam = (q % 3) == 1 ? AF_INET : (q % 3) == 2 ? AF_INET6 : 0;
				unsigned alen = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0;
				unsigned need = (ifq ? 16 : 0) + alen + 4;
				if (s->key_len < need - 2)
					continue;
				for (size_t k = 0; k < s->nelems; k++) {
					const struct ps_fw_elem *el = &s->elems[k];
					struct ps_fw_entry e = tmpl;
					unsigned off = 0;
					if (ifq) {
						memcpy(e.iface, el->lo, 15);
						e.iface[15] = 0;
						off += 16;
					}
					if (alen) {
						e.have_src = true;
						e.src.family = fam;
						memcpy(e.src.addr, el->lo + off, alen);
						if (!range_to_cidr(el->lo + off, el->hi + off, alen, &e.src.prefix))
							e.src.prefix = (uint8_t)(alen * 8);
						off += alen;
					}
					if (off + 2 > s->key_len)
						continue;
					e.lo = (uint16_t)(el->lo[off] << 8 | el->lo[off + 1]);
					e.hi = (uint16_t)(el->hi[off] << 8 | el->hi[off + 1]);
					if (push(&o->e, &o->n, &o->cap, &e))
						return PS_ERR_NOMEM;
				}
			}
	ps_fw_own_sort(o);
	return PS_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ps_fw_entry *x = a, *y = b;
	if (x->action != y->action)
		return x->action == PS_FW_DENY ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->have_src != y->have_src)
		return x->have_src ? 1 : -1;
	if (x->have_src) {
		if (x->src.family != y->src.family)
			return x->src.family < y->src.family ? -1 : 1;
		int c = memcmp(x->src.addr, y->src.addr, 16);
		if (c)
			return c;
		if (x->src.prefix != y->src.prefix)
			return x->src.prefix < y->src.prefix ? -1 : 1;
	}
	return strcmp(x->iface, y->iface);
}

void ps_fw_own_sort(struct ps_fw_own *o)
{
	if (o->n > 1)
		qsort(o->e, o->n, sizeof *o->e, cmp_entry);
}

static void fmt_src(const struct ps_cidr *c, struct ps_buf *b)
{
	char a[64];
	ps_fmt_addr(a, sizeof a, c->family, c->addr);
	ps_buf_puts(b, a);
	if (c->prefix != (c->family == AF_INET ? 32 : 128))
		ps_buf_printf(b, "/%u", c->prefix);
}

void ps_fw_entry_text(const struct ps_fw_entry *e, struct ps_buf *b)
{
	if (e->lo == e->hi)
		ps_buf_printf(b, "%u/%s", e->lo, e->proto == IPPROTO_UDP ? "udp" : "tcp");
	else
		ps_buf_printf(b, "%u:%u/%s", e->lo, e->hi, e->proto == IPPROTO_UDP ? "udp" : "tcp");
	ps_buf_puts(b, e->action == PS_FW_DENY ? " DENY" : " ALLOW");
	if (e->have_src) {
		ps_buf_puts(b, " from ");
		fmt_src(&e->src, b);
	} else {
		ps_buf_puts(b, " from anywhere");
	}
	if (e->iface[0])
		ps_buf_printf(b, " on %s", e->iface);
}

/* ---- plans ---- */

static bool same_qual(const struct ps_fw_entry *a, const struct ps_fw_entry *b)
{
	if (a->proto != b->proto || a->have_src != b->have_src || strcmp(a->iface, b->iface) != 0)
		return false;
	return !a->have_src || (a->src.family == b->src.family && a->src.prefix == b->src.prefix &&
				memcmp(a->src.addr, b->src.addr, 16) == 0);
}

void ps_fw_plan_free(struct ps_fw_plan *p)
{
	free(p->del);
	free(p->add);
	memset(p, 0, sizeof *p);
	p->set_policy = -1;
}

bool ps_fw_plan_empty(const struct ps_fw_plan *p)
{
	return p->ndel == 0 && p->nadd == 0 && p->set_policy < 0 && !p->delete_table;
}

static int del(struct ps_fw_plan *p, const struct ps_fw_entry *e)
{
	return push(&p->del, &p->ndel, &p->dcap, e);
}

static int add(struct ps_fw_plan *p, const struct ps_fw_entry *e)
{
	return push(&p->add, &p->nadd, &p->acap, e);
}

/* remove [lo,hi] from every entry matching pred; add back what remains */
static int carve(const struct ps_fw_own *o, const struct ps_fw_entry *req, enum ps_fw_action act, bool any_qual,
		 struct ps_fw_plan *p)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct ps_fw_entry *e = &o->e[i];
		if (e->action != act || e->proto != req->proto)
			continue;
		if (!any_qual && !same_qual(e, req))
			continue;
		if (e->hi < req->lo || e->lo > req->hi)
			continue;
		int rc = del(p, e);
		if (!rc && e->lo < req->lo) {
			struct ps_fw_entry left = *e;
			left.hi = (uint16_t)(req->lo - 1);
			rc = add(p, &left);
		}
		if (!rc && e->hi > req->hi) {
			struct ps_fw_entry right = *e;
			right.lo = (uint16_t)(req->hi + 1);
			rc = add(p, &right);
		}
		if (rc)
			return rc;
	}
	return PS_OK;
}

/* add req as action, merging with touching entries of the same qualifiers */
static int merge_in(const struct ps_fw_own *o, const struct ps_fw_entry *req, enum ps_fw_action act,
		    struct ps_fw_plan *p)
{
	struct ps_fw_entry m = *req;
	m.action = act;
	for (size_t i = 0; i < o->n; i++) {
		const struct ps_fw_entry *e = &o->e[i];
		if (e->action == act && same_qual(e, &m) && e->lo <= req->lo && e->hi >= req->hi)
			return PS_OK; /* already covered: nothing to do */
	}
	for (size_t i = 0; i < o->n; i++) {
		const struct ps_fw_entry *e = &o->e[i];
		if (e->action != act || !same_qual(e, &m))
			continue;
		if ((uint32_t)e->hi + 1 < m.lo || e->lo > (uint32_t)m.hi + 1)
			continue;
		int rc = del(p, e);
		if (rc)
			return rc;
		if (e->lo < m.lo)
			m.lo = e->lo;
		if (e->hi > m.hi)
			m.hi = e->hi;
	}
	return add(p, &m);
}

int ps_fw_plan_open(const struct ps_fw_own *o, const struct ps_fw_entry *req, struct ps_fw_plan *p)
{
	memset(p, 0, sizeof *p);
	p->set_policy = -1;
	p->create_table = !o->exists;
	int rc = carve(o, req, PS_FW_DENY, false, p);
	if (!rc)
		rc = merge_in(o, req, PS_FW_ALLOW, p);
	return rc;
}

int ps_fw_plan_close(const struct ps_fw_own *o, const struct ps_fw_entry *req, struct ps_fw_plan *p)
{
	memset(p, 0, sizeof *p);
	p->set_policy = -1;
	p->create_table = !o->exists;
	bool unqualified = !req->have_src && !req->iface[0];
	int rc = carve(o, req, PS_FW_ALLOW, unqualified, p);
	/* with default-deny on, removing the allow closes the port; otherwise
	 * nothing would drop it, so an explicit deny is added */
	if (!rc && !o->enabled)
		rc = merge_in(o, req, PS_FW_DENY, p);
	return rc;
}

static bool same_entry(const struct ps_fw_entry *a, const struct ps_fw_entry *b)
{
	return a->action == b->action && a->lo == b->lo && a->hi == b->hi && same_qual(a, b);
}

int ps_fw_own_apply_plan(const struct ps_fw_own *o, const struct ps_fw_plan *p, struct ps_fw_own *out)
{
	memset(out, 0, sizeof *out);
	out->exists = !p->delete_table;
	out->enabled = p->set_policy == 0 ? true : p->set_policy == 1 ? false : o->enabled;
	for (size_t i = 0; i < o->n; i++) {
		bool gone = false;
		for (size_t k = 0; k < p->ndel && !gone; k++)
			gone = same_entry(&o->e[i], &p->del[k]);
		if (!gone && push(&out->e, &out->n, &out->cap, &o->e[i]))
			return PS_ERR_NOMEM;
	}
	for (size_t k = 0; k < p->nadd; k++)
		if (push(&out->e, &out->n, &out->cap, &p->add[k]))
			return PS_ERR_NOMEM;
	ps_fw_own_sort(out);
	return PS_OK;
}

bool ps_fw_own_allows(const struct ps_fw_own *o, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct ps_fw_entry *e = &o->e[i];
		if (e->proto == proto && e->lo <= port && e->hi >= port && !e->have_src && !e->iface[0])
			return e->action == PS_FW_ALLOW;
	}
	return false;
}

/* ---- scripts ---- */

static void elem_text(const struct ps_fw_entry *e, struct ps_buf *b)
{
	if (e->iface[0])
		ps_buf_printf(b, "\"%s\" . ", e->iface);
	if (e->have_src) {
		fmt_src(&e->src, b);
		ps_buf_puts(b, " . ");
	}
	if (e->lo == e->hi)
		ps_buf_printf(b, "%u", e->lo);
	else
		ps_buf_printf(b, "%u-%u", e->lo, e->hi);
}

void ps_fw_plan_script(const struct ps_fw_plan *p, struct ps_buf *b)
{
	char name[48];
	for (size_t i = 0; i < p->ndel; i++) {
		set_name(&p->del[i], name, sizeof name);
		ps_buf_printf(b, "delete element inet %s %s { ", PS_FW_TABLE, name);
		elem_text(&p->del[i], b);
		ps_buf_puts(b, " }\n");
	}
	for (size_t i = 0; i < p->nadd; i++) {
		set_name(&p->add[i], name, sizeof name);
		ps_buf_printf(b, "add element inet %s %s { ", PS_FW_TABLE, name);
		elem_text(&p->add[i], b);
		ps_buf_puts(b, " }\n");
	}
}

static const char *key_type(int q)
{
	static const char *const k[] = {"inet_service", "ipv4_addr . inet_service", "ipv6_addr . inet_service",
					"ifname . inet_service", "ifname . ipv4_addr . inet_service",
					"ifname . ipv6_addr . inet_service"};
	return k[q];
}

static const char *match_expr(int q)
{
	static const char *const m[] = {"th dport", "ip saddr . th dport", "ip6 saddr . th dport",
					"iifname . th dport", "iifname . ip saddr . th dport",
					"iifname . ip6 saddr . th dport"};
	return m[q];
}

void ps_fw_own_script(const struct ps_fw_own *o, struct ps_buf *b)
{
	ps_buf_printf(b, "# portsec firewall: table inet %s (written by portsec; `portsec rules` lists it)\n", PS_FW_TABLE);
	ps_buf_printf(b, "table inet %s {}\ndelete table inet %s\n", PS_FW_TABLE, PS_FW_TABLE);
	if (!o->exists)
		return;
	ps_buf_printf(b, "table inet %s {\n", PS_FW_TABLE);
	for (int a = 0; a < 2; a++)
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < NQUAL; q++) {
				ps_buf_printf(b, "\tset %s_%s%s {\n\t\ttype %s\n\t\tflags interval\n", a ? "deny" : "allow",
					      p ? "udp" : "tcp", quals[q], key_type(q));
				bool first = true;
				for (size_t i = 0; i < o->n; i++) {
					const struct ps_fw_entry *e = &o->e[i];
					if ((e->action == PS_FW_DENY) != (a == 1) || (e->proto == IPPROTO_UDP) != (p == 1) ||
					    qual_of(e) != q)
						continue;
					ps_buf_puts(b, first ? "\t\telements = { " : ", ");
					elem_text(e, b);
					first = false;
				}
				if (!first)
					ps_buf_puts(b, " }\n");
				ps_buf_puts(b, "\t}\n");
			}
	ps_buf_printf(b, "\tchain input {\n\t\ttype filter hook input priority filter - 10; policy %s;\n",
		      o->enabled ? "drop" : "accept");
	ps_buf_puts(b, "\t\tiif \"lo\" accept comment \"portsec: loopback\"\n"
		       "\t\tct state established,related accept comment \"portsec: replies\"\n");
	if (o->enabled)
		ps_buf_puts(b, "\t\tct state invalid drop comment \"portsec: invalid\"\n");
	for (int a = 1; a >= 0; a--)
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < NQUAL; q++)
				ps_buf_printf(b, "\t\tmeta l4proto %s %s @%s_%s%s %s\n", p ? "udp" : "tcp", match_expr(q),
					      a ? "deny" : "allow", p ? "udp" : "tcp", quals[q], a ? "drop" : "accept");
	if (o->enabled)
		ps_buf_puts(b, "\t\tmeta l4proto icmp icmp type { echo-request, destination-unreachable, time-exceeded, "
			       "parameter-problem } accept comment \"portsec: icmp essentials\"\n"
			       "\t\tmeta l4proto ipv6-icmp icmpv6 type { echo-request, destination-unreachable, "
			       "packet-too-big, time-exceeded, parameter-problem, nd-router-advert, "
			       "nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept comment "
			       "\"portsec: icmpv6 essentials\"\n"
			       "\t\tudp sport 67 udp dport 68 accept comment \"portsec: dhcp replies\"\n"
			       "\t\tip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment \"portsec: dhcpv6 replies\"\n");
	ps_buf_puts(b, "\t}\n}\n");
}

int ps_fw_plan_diff(const struct ps_fw_own *from, const struct ps_fw_own *to, struct ps_fw_plan *p)
{
	memset(p, 0, sizeof *p);
	p->set_policy = from->enabled == to->enabled ? -1 : to->enabled ? 0 : 1;
	p->create_table = !from->exists && to->exists;
	p->delete_table = from->exists && !to->exists;
	for (size_t i = 0; i < from->n; i++) {
		bool kept = false;
		for (size_t k = 0; k < to->n && !kept; k++)
			kept = same_entry(&from->e[i], &to->e[k]);
		if (!kept && del(p, &from->e[i]))
			return PS_ERR_NOMEM;
	}
	for (size_t k = 0; k < to->n; k++) {
		bool had = false;
		for (size_t i = 0; i < from->n && !had; i++)
			had = same_entry(&from->e[i], &to->e[k]);
		if (!had && add(p, &to->e[k]))
			return PS_ERR_NOMEM;
	}
	return PS_OK;
}

int ps_fw_own_copy(const struct ps_fw_own *o, struct ps_fw_own *out)
{
	memset(out, 0, sizeof *out);
	out->exists = o->exists;
	out->enabled = o->enabled;
	for (size_t i = 0; i < o->n; i++)
		if (push(&out->e, &out->n, &out->cap, &o->e[i]))
			return PS_ERR_NOMEM;
	return PS_OK;
}

int ps_fw_parse_ssh_connection(const char *s, struct ps_cidr *client, uint16_t *server_port)
{
	/* "client_ip client_port server_ip server_port" */
	char f[4][64];
	if (!s)
		return PS_ERR_INVAL;
	int n = 0;
	const char *p = s;
	while (n < 4) {
		while (*p == ' ')
			p++;
		size_t l = strcspn(p, " ");
		if (l == 0 || l >= sizeof f[0])
			return PS_ERR_INVAL;
		memcpy(f[n], p, l);
		f[n][l] = 0;
		n++;
		p += l;
	}
	while (*p == ' ')
		p++;
	if (*p)
		return PS_ERR_INVAL;
	struct ps_cidr c;
	uint16_t port;
	if (ps_parse_addr(f[0], &c) != PS_OK || ps_parse_port(f[3], &port) != PS_OK || port == 0)
		return PS_ERR_INVAL;
	*client = c;
	*server_port = port;
	return PS_OK;
}

bool ps_fw_entry_covers(const struct ps_fw_entry *e, uint8_t proto, uint16_t port, const struct ps_cidr *src)
{
	if (e->proto != proto || port < e->lo || port > e->hi)
		return false;
	if (e->have_src) {
		if (!src || src->family != e->src.family)
			return false;
		if (!ps_cidr_contains(&e->src, src->family, src->addr))
			return false;
	}
	return true;
}
