/* fw_text.c - a rule as nft-like text (best effort, for humans: "which rule
 * decides"), and the firewall managers that own tables (pure). */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "fw/internal.h"

struct treg {
	const char *name; /* field loaded into the register */
	int kind;         /* 0 other, 1 addr4, 2 addr6, 3 port, 4 ifname, 5 proto, 6 ctstate */
};

static struct treg *slot(struct treg *r, unsigned reg)
{
	if (reg >= 1 && reg <= 4)
		return &r[(reg - 1) * 4];
	if (reg >= 8 && reg <= 23)
		return &r[reg - 8];
	return NULL;
}

static void value(struct ps_buf *b, int kind, const uint8_t *d, unsigned len, const uint8_t *mask)
{
	char a[64];
	if ((kind == 1 || kind == 2) && len >= 1) {
		unsigned alen = kind == 1 ? 4u : 16u, bits = 0;
		uint8_t full[16] = {0};
		if (len > alen)
			len = alen;
		memcpy(full, d, len);
		ps_fmt_addr(a, sizeof a, kind == 1 ? AF_INET : AF_INET6, full);
		ps_buf_puts(b, a);
		for (unsigned i = 0; i < len; i++)
			bits += (unsigned)__builtin_popcount(mask ? mask[i] : 0xff);
		if (bits != alen * 8)
			ps_buf_printf(b, "/%u", bits);
	} else if (kind == 3 && len >= 2) {
		ps_buf_printf(b, "%u", (unsigned)(d[0] << 8 | d[1]));
	} else if (kind == 4) {
		ps_buf_printf(b, "\"%.*s\"", (int)strnlen((const char *)d, len), (const char *)d);
	} else if (kind == 5 && len >= 1) {
		ps_buf_puts(b, d[0] == 6 ? "tcp" : d[0] == 17 ? "udp" : d[0] == 1 ? "icmp" : d[0] == 58 ? "ipv6-icmp" : "?");
		if (d[0] != 6 && d[0] != 17 && d[0] != 1 && d[0] != 58)
			ps_buf_printf(b, "%u", d[0]);
	} else if (kind == 6 && len >= 4) {
		uint32_t u;
		memcpy(&u, d, 4);
		static const char *const st[] = {"invalid", "established", "related", "new"};
		bool first = true;
		for (unsigned i = 0; i < 4; i++)
			if (u & (1u << i)) {
				ps_buf_printf(b, "%s%s", first ? "" : ",", st[i]);
				first = false;
			}
		if (u & 0x40)
			ps_buf_printf(b, "%suntracked", first ? "" : ",");
	} else {
		ps_buf_puts(b, "0x");
		for (unsigned i = 0; i < len && i < 16; i++)
			ps_buf_printf(b, "%02x", d[i]);
	}
}

static void verdict(struct ps_buf *b, int32_t v, const char *chain)
{
	switch (v) {
	case NFT_JUMP: ps_buf_printf(b, "jump %s", chain ? chain : "?"); return;
	case NFT_GOTO: ps_buf_printf(b, "goto %s", chain ? chain : "?"); return;
	case NFT_RETURN: ps_buf_puts(b, "return"); return;
	case NFT_CONTINUE: ps_buf_puts(b, "continue"); return;
	default:
		switch (v & NF_VERDICT_MASK) {
		case NF_ACCEPT: ps_buf_puts(b, "accept"); return;
		case NF_DROP: ps_buf_puts(b, "drop"); return;
		case NF_QUEUE: ps_buf_puts(b, "queue"); return;
		default: ps_buf_printf(b, "verdict %d", v); return;
		}
	}
}

void ps_fw_rule_text(const struct ps_fw_ruleset *rs, const struct ps_fw_chain *c, const struct ps_fw_rule *r,
		     struct ps_buf *b)
{
	struct treg R[20] = {0};
	uint8_t mask[16];
	bool have_mask = false;
	size_t start = b->len;
	const char *l4 = "th";
#define SEP() do { if (b->len > start) ps_buf_putc(b, ' '); } while (0)
	for (size_t i = 0; i < r->nex; i++) {
		const struct ps_fw_expr *x = &r->ex[i];
		struct treg *d = slot(R, x->dreg), *s = slot(R, x->sreg);
		switch (x->op) {
		case PS_FWX_PAYLOAD:
			if (!d)
				break;
			have_mask = false;
			d->kind = 0;
			if (x->a == NFT_PAYLOAD_NETWORK_HEADER) {
				if (x->b == 9 && x->c == 1) *d = (struct treg){"ip protocol", 5};
				else if (x->b == 12 && x->c >= 1 && x->c <= 4) *d = (struct treg){"ip saddr", 1};
				else if (x->b == 16 && x->c >= 1 && x->c <= 4) *d = (struct treg){"ip daddr", 1};
				else if (x->b == 6 && x->c == 1) *d = (struct treg){"ip6 nexthdr", 5};
				else if (x->b == 8 && x->c >= 1 && x->c <= 16) *d = (struct treg){"ip6 saddr", 2};
				else if (x->b == 24 && x->c >= 1 && x->c <= 16) *d = (struct treg){"ip6 daddr", 2};
				else *d = (struct treg){"@nh", 0};
			} else if (x->a == NFT_PAYLOAD_TRANSPORT_HEADER) {
				if (x->b == 0 && x->c == 2) *d = (struct treg){strcmp(l4, "tcp") == 0 ? "tcp sport" : strcmp(l4, "udp") == 0 ? "udp sport" : "th sport", 3};
				else if (x->b == 2 && x->c == 2) *d = (struct treg){strcmp(l4, "tcp") == 0 ? "tcp dport" : strcmp(l4, "udp") == 0 ? "udp dport" : "th dport", 3};
				else if (x->b == 13 && x->c == 1) *d = (struct treg){"tcp flags", 0};
				else *d = (struct treg){"@th", 0};
			} else {
				*d = (struct treg){"@ll", 0};
			}
			break;
		case PS_FWX_META:
			if (!d)
				break;
			have_mask = false;
			switch (x->a) {
			case NFT_META_L4PROTO: *d = (struct treg){"meta l4proto", 5}; break;
			case NFT_META_NFPROTO: *d = (struct treg){"meta nfproto", 0}; break;
			case NFT_META_IIFNAME: *d = (struct treg){"iifname", 4}; break;
			case NFT_META_OIFNAME: *d = (struct treg){"oifname", 4}; break;
			case NFT_META_IIF: *d = (struct treg){"iif", 0}; break;
			case NFT_META_MARK: *d = (struct treg){"meta mark", 0}; break;
			case NFT_META_PKTTYPE: *d = (struct treg){"meta pkttype", 0}; break;
			default: *d = (struct treg){"meta", 0}; break;
			}
			break;
		case PS_FWX_CT:
			if (!d)
				break;
			have_mask = false;
			*d = x->a == NFT_CT_STATE ? (struct treg){"ct state", 6}
			     : x->a == NFT_CT_STATUS ? (struct treg){"ct status", 0}
			     : x->a == NFT_CT_PROTO_DST ? (struct treg){"ct original proto-dst", 3}
			     : (struct treg){"ct", 0};
			break;
		case PS_FWX_FIB:
			if (d)
				*d = (struct treg){x->a == NFT_FIB_RESULT_ADDRTYPE ? (x->b & NFTA_FIB_F_DADDR ? "fib daddr type" : "fib saddr type") : "fib", 0};
			break;
		case PS_FWX_BITWISE:
			if (d && s)
				*d = *s;
			if (x->a == NFT_BITWISE_BOOL && x->len <= 16) {
				memcpy(mask, x->data, x->len);
				have_mask = true;
			}
			break;
		case PS_FWX_CMP: {
			if (!s || !s->name)
				break;
			SEP();
			if (s->kind == 6 && have_mask && x->cmpop == NFT_CMP_NEQ) {
				ps_buf_printf(b, "%s ", s->name);
				value(b, 6, mask, 4, NULL);
				break;
			}
			if (s->kind == 5 && x->len >= 1)
				l4 = x->data[0] == 6 ? "tcp" : x->data[0] == 17 ? "udp" : l4;
			ps_buf_printf(b, "%s %s", s->name, x->cmpop == NFT_CMP_EQ ? "" : x->cmpop == NFT_CMP_NEQ ? "!= " : x->cmpop == NFT_CMP_LT ? "< " : x->cmpop == NFT_CMP_LTE ? "<= " : x->cmpop == NFT_CMP_GT ? "> " : ">= ");
			value(b, s->kind, x->data, x->len, have_mask ? mask : NULL);
			break;
		}
		case PS_FWX_RANGE:
			if (!s || !s->name)
				break;
			SEP();
			ps_buf_printf(b, "%s %s", s->name, x->cmpop == NFT_RANGE_NEQ ? "!= " : "");
			value(b, s->kind, x->data, x->len, NULL);
			ps_buf_putc(b, '-');
			value(b, s->kind, x->data2, x->len, NULL);
			break;
		case PS_FWX_LOOKUP: {
			SEP();
			/* concatenations: name every field of the key */
			const struct ps_fw_set *set = ps_fw_find_set(rs, c->family, c->table, x->str);
			unsigned nf = set && set->nfields ? set->nfields : 1, reg = x->sreg;
			for (unsigned k = 0; k < nf; k++) {
				struct treg *t = slot(R, reg);
				ps_buf_printf(b, "%s%s", k ? " . " : "", t && t->name ? t->name : "?");
				unsigned words = set && set->nfields ? (set->field_len[k] + 3u) / 4u : 1;
				reg = reg >= 8 ? reg + words : 8 + (reg - 1) * 4 + words;
			}
			ps_buf_printf(b, " %s@%s", (x->flags & NFT_LOOKUP_F_INV) ? "!= " : "", x->str);
			if (x->dreg == 0)
				ps_buf_puts(b, " (vmap)");
			break;
		}
		case PS_FWX_IMM:
			if (x->dreg == 0) {
				SEP();
				verdict(b, x->verdict, x->str);
			}
			break;
		case PS_FWX_REJECT: SEP(); ps_buf_puts(b, "reject"); break;
		case PS_FWX_NAT: SEP(); ps_buf_puts(b, x->a == NFT_NAT_DNAT ? "dnat" : "snat"); break;
		case PS_FWX_REDIR: SEP(); ps_buf_puts(b, "redirect"); break;
		case PS_FWX_MATCH: SEP(); ps_buf_printf(b, "xt match \"%s\"", x->str); break;
		case PS_FWX_TARGET: SEP(); ps_buf_printf(b, "xt target \"%s\"", x->str); break;
		case PS_FWX_NOP:
			if (x->str && (strcmp(x->str, "counter") == 0 || strcmp(x->str, "log") == 0 || strcmp(x->str, "limit") == 0)) {
				SEP();
				ps_buf_puts(b, x->str);
			}
			break;
		default: SEP(); ps_buf_printf(b, "%s", x->str ? x->str : "?"); break;
		}
	}
	if (r->comment)
		ps_buf_printf(b, " comment \"%s\"", r->comment);
#undef SEP
}

/* ---- managers ---- */

const char *ps_fw_manager_name(enum ps_fw_manager_kind k)
{
	switch (k) {
	case PS_FWM_UFW: return "ufw";
	case PS_FWM_FIREWALLD: return "firewalld";
	case PS_FWM_DOCKER: return "docker";
	case PS_FWM_IPTABLES_NFT: return "iptables-nft";
	case PS_FWM_IPTABLES_LEGACY: return "iptables-legacy";
	case PS_FWM_PORTSEC: return "portsec";
	default: return "nft";
	}
}

enum ps_fw_manager_kind ps_fw_table_manager(const struct ps_fw_ruleset *rs, uint8_t family, const char *table)
{
	if (family == PS_NFP_INET && strcmp(table, PS_FW_TABLE) == 0)
		return PS_FWM_PORTSEC;
	if (strcmp(table, "firewalld") == 0)
		return PS_FWM_FIREWALLD;
	if (strcmp(table, "docker-bridges") == 0)
		return PS_FWM_DOCKER;
	bool xt = false, ufw = false, docker = false, upper = false;
	for (size_t i = 0; i < rs->nchains; i++) {
		const struct ps_fw_chain *c = &rs->chains[i];
		if (c->family != family || strcmp(c->table, table) != 0)
			continue;
		if (strncmp(c->name, "ufw-", 4) == 0 || strncmp(c->name, "ufw6-", 5) == 0)
			ufw = true;
		if (strncmp(c->name, "DOCKER", 6) == 0)
			docker = true;
		if (strcmp(c->name, "INPUT") == 0 || strcmp(c->name, "PREROUTING") == 0 || strcmp(c->name, "FORWARD") == 0 ||
		    strcmp(c->name, "OUTPUT") == 0 || strcmp(c->name, "POSTROUTING") == 0)
			upper = true;
		for (size_t r = 0; r < c->nrules && !xt; r++)
			for (size_t k = 0; k < c->rules[r].nex; k++)
				if (c->rules[r].ex[k].op == PS_FWX_MATCH || c->rules[r].ex[k].op == PS_FWX_TARGET)
					xt = true;
	}
	if (ufw)
		return PS_FWM_UFW;
	if (docker)
		return PS_FWM_DOCKER;
	if ((family == PS_NFP_IPV4 || family == PS_NFP_IPV6) && (xt || upper) &&
	    (strcmp(table, "filter") == 0 || strcmp(table, "nat") == 0 || strcmp(table, "mangle") == 0 ||
	     strcmp(table, "raw") == 0 || strcmp(table, "security") == 0))
		return PS_FWM_IPTABLES_NFT;
	return PS_FWM_NFT;
}

size_t ps_fw_managers(const struct ps_fw_ruleset *rs, struct ps_fw_manager *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->ntables && n < max; i++)
		out[n++] = (struct ps_fw_manager){ps_fw_table_manager(rs, rs->tables[i].family, rs->tables[i].name),
						  rs->tables[i].family, rs->tables[i].name};
	if ((rs->legacy_v4 || rs->legacy_v6) && n < max)
		out[n++] = (struct ps_fw_manager){PS_FWM_IPTABLES_LEGACY, rs->legacy_v4 ? PS_NFP_IPV4 : PS_NFP_IPV6,
						  rs->legacy_names[0] ? rs->legacy_names : "?"};
	return n;
}

void ps_fw_manager_hint(enum ps_fw_manager_kind k, const struct ps_fw_where *w, const char *proto, uint16_t lo,
			uint16_t hi, bool allow, struct ps_buf *b)
{
	char ports[16];
	if (lo == hi)
		snprintf(ports, sizeof ports, "%u", lo);
	else
		snprintf(ports, sizeof ports, "%u:%u", lo, hi);
	switch (k) {
	case PS_FWM_UFW:
		ps_buf_printf(b, "ufw %s %s/%s", allow ? "allow" : "deny", ports, proto);
		break;
	case PS_FWM_FIREWALLD:
		if (lo != hi)
			snprintf(ports, sizeof ports, "%u-%u", lo, hi);
		ps_buf_printf(b, "firewall-cmd --permanent --%s-port=%s/%s && firewall-cmd --reload",
			      allow ? "add" : "remove", ports, proto);
		break;
	case PS_FWM_IPTABLES_NFT:
	case PS_FWM_IPTABLES_LEGACY:
		ps_buf_printf(b, "%s -I %s -p %s --dport %s -j %s",
			      w && w->family == PS_NFP_IPV6 ? "ip6tables" : "iptables",
			      w && w->chain ? w->chain : "INPUT", proto, ports, allow ? "ACCEPT" : "DROP");
		break;
	case PS_FWM_DOCKER:
		ps_buf_printf(b, "publish the port on 127.0.0.1 only (docker run -p 127.0.0.1:%u:...) or add a rule to DOCKER-USER", lo);
		break;
	default:
		if (w && w->table) {
			char r[16];
			if (lo == hi)
				snprintf(r, sizeof r, "%u", lo);
			else
				snprintf(r, sizeof r, "%u-%u", lo, hi);
			ps_buf_printf(b, "nft insert rule %s %s %s %s dport %s %s", ps_fw_family_name(w->family), w->table,
				      w->chain, proto, r, allow ? "accept" : "drop");
		}
		break;
	}
}
