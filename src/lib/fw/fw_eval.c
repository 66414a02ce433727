/* fw_eval.c - the effective verdict: run the nf_tables expressions of every
 * base chain on the path of a new incoming connection, as the kernel's VM
 * would, with the fields the caller did not fix kept symbolic (pure).
 *
 * Registers are the kernel's: 4 x 16-byte (NFT_REG_1..4) overlaid by 16 x
 * 4-byte (NFT_REG32_00..15), after a 16-byte verdict area.  Each byte of a
 * register carries a taint: 0 = a concrete value of the probe packet, else
 * the index+1 of a symbolic field (source address, interface, daddr of a
 * wildcard listener, source port, or something not modelled).  A comparison
 * on a tainted byte cannot be decided: it becomes a *condition* of the rule.
 * A rule that matches only under conditions does not decide the main path;
 * its verdict is recorded as "for packets with <condition>: <verdict>". */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/internal.h"
#include "portsec/ps_error.h"

#define NREGB 80 /* 20 x u32 */
#define MAXDEPTH 16
#define CT_NEW 8u /* NF_CT_STATE_BIT(IP_CT_NEW) */
#define CT_UNTRACKED 64u /* NF_CT_STATE_UNTRACKED_BIT: neighbour discovery is not tracked */
#define RTN_LOCAL_ 2u
#define RTN_UNICAST_ 1u
#define RTN_MULTICAST_ 5u
#define ND_SOLICIT 135u

enum fkind { F_NONE, F_SADDR, F_DADDR, F_IIF, F_IIFNAME, F_SPORT, F_OTHER };
struct field {
	uint8_t kind;
	uint8_t len;   /* bytes */
	uint8_t v6;    /* address family of an address field */
	const char *name;
};
#define MAXFIELDS 24

struct regs {
	uint8_t v[NREGB];
	uint8_t taint[NREGB]; /* 0 or field index + 1 */
	uint8_t mask[NREGB];  /* bitwise mask applied to a tainted field (render prefixes) */
};

struct ev {
	const struct ps_fw_ruleset *rs;
	const struct ps_fw_pkt *p;
	struct ps_fw_verdict *out;
	struct field f[MAXFIELDS];
	unsigned nf;
	uint8_t nh[40], th[20]; /* network and transport headers */
	uint8_t nht[40], tht[20];
	unsigned nhlen, thlen;
	unsigned base; /* index of the base chain being evaluated */
};

enum vk { V_CONT, V_ACCEPT, V_DROP, V_JUMP, V_GOTO, V_RETURN, V_DNAT, V_REDIR, V_UNKNOWN };

struct rres {
	bool match;
	enum vk v;
	const char *chain;
	char cond[160];
	bool unknown;
	char detail[96];
};

static int reg_off(unsigned reg)
{
	if (reg >= 1 && reg <= 4)
		return (int)(reg * 16);
	if (reg >= 8 && reg <= 23)
		return (int)(16 + (reg - 8) * 4);
	return -1;
}

static unsigned add_field(struct ev *e, uint8_t kind, uint8_t len, uint8_t v6, const char *name)
{
	for (unsigned i = 0; i < e->nf; i++)
		if (e->f[i].kind == kind && e->f[i].name == name)
			return i + 1;
	if (e->nf >= MAXFIELDS)
		return e->nf; /* reuse the last slot: still tainted */
	e->f[e->nf] = (struct field){kind, len, v6, name};
	return ++e->nf;
}

static void appendf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *dst, size_t cap, const char *fmt, ...)
{
	size_t n = strnlen(dst, cap);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst + n, cap - n, fmt, ap);
	va_end(ap);
}

static void add_cond(struct rres *r, const char *text, bool unknown)
{
	if (r->cond[0])
		appendf(r->cond, sizeof r->cond, " and ");
	appendf(r->cond, sizeof r->cond, "%s", text);
	if (unknown)
		r->unknown = true;
}

/* ---- the probe packet ---- */

static void build_packet(struct ev *e)
{
	const struct ps_fw_pkt *p = e->p;
	unsigned other = add_field(e, F_OTHER, 0, 0, "header field");
	memset(e->nh, 0, sizeof e->nh);
	memset(e->th, 0, sizeof e->th);
	memset(e->nht, other, sizeof e->nht);
	memset(e->tht, other, sizeof e->tht);
	bool v6 = p->family == AF_INET6;
	unsigned alen = v6 ? 16 : 4;
	unsigned sa = add_field(e, F_SADDR, (uint8_t)alen, v6, v6 ? "ip6 saddr" : "ip saddr");
	unsigned da = add_field(e, F_DADDR, (uint8_t)alen, v6, v6 ? "ip6 daddr" : "ip daddr");
	unsigned saoff = v6 ? 8 : 12, daoff = v6 ? 24 : 16;
	if (v6) {
		e->nhlen = 40;
		e->nh[0] = 0x60;
		e->nht[0] = 0;
		e->nh[6] = p->l4proto;
		e->nht[6] = 0;
	} else {
		e->nhlen = 20;
		e->nh[0] = 0x45;
		e->nht[0] = 0;
		e->nh[9] = p->l4proto;
		e->nht[9] = 0;
		/* fragment offset 0 (a first packet is not a fragment) */
		e->nht[6] = e->nht[7] = 0;
	}
	for (unsigned i = 0; i < alen; i++) {
		e->nh[saoff + i] = p->have_saddr ? p->saddr[i] : 0;
		e->nht[saoff + i] = p->have_saddr ? 0 : (uint8_t)sa;
		e->nh[daoff + i] = p->have_daddr ? p->daddr[i] : 0;
		e->nht[daoff + i] = p->have_daddr ? 0 : (uint8_t)da;
	}
	if (p->l4proto == IPPROTO_ICMPV6) {
		/* type, code; checksum, reserved and the target address stay symbolic */
		e->thlen = 24;
		e->th[0] = p->icmp_type;
		e->tht[0] = e->tht[1] = 0;
		if (v6) {
			e->nh[7] = 255; /* neighbour discovery is sent with hop limit 255 */
			e->nht[7] = 0;
		}
		return;
	}
	unsigned sp = add_field(e, F_SPORT, 2, 0, "th sport");
	e->thlen = p->l4proto == IPPROTO_TCP ? 20 : 8;
	e->tht[0] = e->tht[1] = (uint8_t)sp;
	e->th[2] = (uint8_t)(p->dport >> 8);
	e->th[3] = (uint8_t)p->dport;
	e->tht[2] = e->tht[3] = 0;
	if (p->l4proto == IPPROTO_TCP) {
		e->th[13] = 0x02; /* SYN */
		e->tht[13] = 0;
		e->th[12] = 0xa0;
	}
}

static bool iif_is_lo(const struct ps_fw_pkt *p)
{
	return p->have_iif && strcmp(p->iif, "lo") == 0;
}

/* store n concrete bytes (zero-padded to a u32 like nft_reg_store8/16) */
static bool store(struct regs *r, unsigned reg, const void *val, unsigned n, uint8_t taint)
{
	int o = reg_off(reg);
	unsigned pad = (n + 3) & ~3u;
	if (o < 0 || (unsigned)o + pad > NREGB)
		return false;
	memset(r->v + o, 0, pad);
	memset(r->taint + o, 0, pad);
	memset(r->mask + o, 0xff, pad);
	if (val)
		memcpy(r->v + o, val, n);
	if (taint)
		memset(r->taint + o, taint, n);
	return true;
}

/* the neighbour solicitation a peer sends before its first IPv6 packet */
static bool nd_probe(const struct ps_fw_pkt *p)
{
	return p->family == AF_INET6 && p->l4proto == IPPROTO_ICMPV6 && p->icmp_type == ND_SOLICIT;
}

static bool load_meta(struct ev *e, struct regs *r, const struct ps_fw_expr *x)
{
	const struct ps_fw_pkt *p = e->p;
	uint8_t b[16] = {0};
	uint32_t u;
	uint16_t s;
	switch (x->a) {
	case NFT_META_NFPROTO:
		b[0] = p->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		return store(r, x->dreg, b, 1, 0);
	case NFT_META_L4PROTO:
		b[0] = p->l4proto;
		return store(r, x->dreg, b, 1, 0);
	case NFT_META_PROTOCOL:
		s = htons(p->family == AF_INET6 ? 0x86dd : 0x0800);
		return store(r, x->dreg, &s, 2, 0);
	case NFT_META_PKTTYPE:
		b[0] = nd_probe(p) ? 2 : 0; /* the first solicitation goes to a multicast group; PACKET_HOST */
		return store(r, x->dreg, b, 1, 0);
	case NFT_META_IIF:
		if (p->have_iif) {
			u = p->iif_index ? p->iif_index : (iif_is_lo(p) ? 1u : 0u);
			if (u)
				return store(r, x->dreg, &u, 4, 0);
		}
		return store(r, x->dreg, NULL, 4, (uint8_t)add_field(e, F_IIF, 4, 0, "iif"));
	case NFT_META_IIFNAME:
		if (p->have_iif) {
			memcpy(b, p->iif, strnlen(p->iif, 15));
			return store(r, x->dreg, b, 16, 0);
		}
		return store(r, x->dreg, NULL, 16, (uint8_t)add_field(e, F_IIFNAME, 16, 0, "iifname"));
	case NFT_META_IFTYPE:
		if (p->have_iif) {
			s = iif_is_lo(p) ? 772 : 1; /* ARPHRD_LOOPBACK / ARPHRD_ETHER */
			return store(r, x->dreg, &s, 2, 0);
		}
		return store(r, x->dreg, NULL, 2, (uint8_t)add_field(e, F_IIF, 2, 0, "iiftype"));
	case NFT_META_SECPATH:
		b[0] = 0;
		return store(r, x->dreg, b, 1, 0);
	default: {
		static const char *const names[] = {
			[NFT_META_LEN] = "meta length", [NFT_META_PRIORITY] = "meta priority",
			[NFT_META_MARK] = "meta mark", [NFT_META_OIF] = "oif", [NFT_META_OIFNAME] = "oifname",
			[NFT_META_SKUID] = "meta skuid", [NFT_META_SKGID] = "meta skgid",
			[NFT_META_CPU] = "meta cpu", [NFT_META_IIFGROUP] = "iifgroup",
			[NFT_META_CGROUP] = "meta cgroup", [NFT_META_PRANDOM] = "meta random",
			[NFT_META_IIFKIND] = "iifkind", [NFT_META_TIME_NS] = "meta time",
			[NFT_META_TIME_DAY] = "meta day", [NFT_META_TIME_HOUR] = "meta hour",
		};
		const char *n = x->a < sizeof names / sizeof names[0] && names[x->a] ? names[x->a] : "meta (other key)";
		unsigned len = (x->a == NFT_META_IIFKIND || x->a == NFT_META_OIFNAME) ? 16 : x->a == NFT_META_TIME_NS ? 8 : 4;
		return store(r, x->dreg, NULL, len, (uint8_t)add_field(e, F_OTHER, (uint8_t)len, 0, n));
	}
	}
}

static bool load_ct(struct ev *e, struct regs *r, const struct ps_fw_expr *x)
{
	const struct ps_fw_pkt *p = e->p;
	uint8_t b[16] = {0};
	uint32_t u;
	switch (x->a) {
	case NFT_CT_STATE:
		u = nd_probe(p) ? CT_UNTRACKED : CT_NEW;
		return store(r, x->dreg, &u, 4, 0);
	case NFT_CT_DIRECTION:
		b[0] = 0; /* IP_CT_DIR_ORIGINAL */
		return store(r, x->dreg, b, 1, 0);
	case NFT_CT_STATUS:
		u = 0; /* a new connection: not yet confirmed, not NATed */
		return store(r, x->dreg, &u, 4, 0);
	case NFT_CT_L3PROTOCOL:
		b[0] = p->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		return store(r, x->dreg, b, 1, 0);
	case NFT_CT_PROTOCOL:
		b[0] = p->l4proto;
		return store(r, x->dreg, b, 1, 0);
	case NFT_CT_PROTO_DST:
		b[0] = (uint8_t)(p->dport >> 8);
		b[1] = (uint8_t)p->dport;
		return store(r, x->dreg, b, 2, 0);
	case NFT_CT_PROTO_SRC:
		return store(r, x->dreg, NULL, 2, (uint8_t)add_field(e, F_SPORT, 2, 0, "th sport"));
	case NFT_CT_SRC: case NFT_CT_SRC_IP: case NFT_CT_SRC_IP6:
	case NFT_CT_DST: case NFT_CT_DST_IP: case NFT_CT_DST_IP6: {
		bool src = x->a == NFT_CT_SRC || x->a == NFT_CT_SRC_IP || x->a == NFT_CT_SRC_IP6;
		bool v6 = p->family == AF_INET6;
		unsigned alen = v6 ? 16 : 4;
		unsigned off = src ? (v6 ? 8 : 12) : (v6 ? 24 : 16);
		int o = reg_off(x->dreg);
		if (o < 0 || (unsigned)o + alen > NREGB)
			return false;
		store(r, x->dreg, NULL, alen, 0);
		memcpy(r->v + o, e->nh + off, alen);
		memcpy(r->taint + o, e->nht + off, alen);
		return true;
	}
	default:
		return store(r, x->dreg, NULL, 4, (uint8_t)add_field(e, F_OTHER, 4, 0, "ct (other key)"));
	}
}

/* ---- conditions as text ---- */

static void fmt_field_value(const struct field *f, const uint8_t *v, const uint8_t *mask, unsigned n,
			    char *dst, size_t cap)
{
	dst[0] = 0;
	if ((f->kind == F_SADDR || f->kind == F_DADDR) && n >= 1) {
		/* nft compares a /24 as the first 3 bytes: pad, and count the
		 * bytes compared (and the mask bits within them) as the prefix */
		char a[64];
		uint8_t full[16] = {0};
		unsigned alen = f->v6 ? 16 : 4, bits = 0;
		if (n > alen)
			n = alen;
		memcpy(full, v, n);
		for (unsigned i = 0; i < n; i++)
			bits += (unsigned)__builtin_popcount(mask ? mask[i] : 0xff);
		ps_fmt_addr(a, sizeof a, f->v6 ? AF_INET6 : AF_INET, full);
		if (bits == alen * 8)
			snprintf(dst, cap, "%s", a);
		else
			snprintf(dst, cap, "%s/%u", a, bits);
	} else if (f->kind == F_SPORT && n >= 2) {
		snprintf(dst, cap, "%u", (unsigned)(v[0] << 8 | v[1]));
	} else if (f->kind == F_IIFNAME) {
		snprintf(dst, cap, "\"%.*s\"", (int)strnlen((const char *)v, n < 16 ? n : 16), (const char *)v);
	} else if (f->kind == F_IIF && n >= 4) {
		uint32_t u;
		memcpy(&u, v, 4);
		snprintf(dst, cap, "%u", u);
	} else {
		for (unsigned i = 0; i < n && i < 16 && strlen(dst) + 3 < cap; i++)
			snprintf(dst + strlen(dst), cap - strlen(dst), i ? "%02x" : "0x%02x", v[i]);
	}
}

static const char *const cmpops[] = {"==", "!=", "<", "<=", ">", ">="};

/* ---- set lookups ---- */

/* the fields of a set key, in bytes each.  A concatenation with intervals
 * describes its fields (NFTA_SET_DESC_CONCAT); one without does not, but nft
 * puts every field of a concatenation in its own 4-byte-aligned registers,
 * so runs of 4-byte chunks loaded from one source are one field each */
static unsigned key_fields(const struct ps_fw_set *s, const uint8_t *taint, unsigned *flen, unsigned cap)
{
	unsigned klen = s->key_len, n = 0;
	if (s->nfields) {
		for (unsigned fi = 0, off = 0; fi < s->nfields && off < klen && n < cap; fi++) {
			unsigned l = (s->field_len[fi] + 3u) & ~3u;
			if (off + l > klen)
				l = klen - off;
			flen[n++] = l;
			off += l;
		}
		return n;
	}
	int prev = -1;
	for (unsigned off = 0; off < klen; off += 4) {
		unsigned l = klen - off < 4 ? klen - off : 4;
		int t = 0;
		for (unsigned i = 0; i < l; i++)
			if (taint[off + i])
				t = taint[off + i];
		if (n && t == prev)
			flen[n - 1] += l;
		else if (n < cap)
			flen[n++] = l;
		else
			flen[n - 1] += l;
		prev = t;
	}
	return n;
}

/* does element el match key under taint (tainted bytes are wildcards)?
 * returns 0 no, 1 yes, 2 only for some values of the tainted fields */
static int elem_match(const struct ps_fw_set *s, const struct ps_fw_elem *el, const uint8_t *key,
		      const uint8_t *taint)
{
	unsigned flen[16];
	unsigned nf = key_fields(s, taint, flen, 16);
	bool maybe = false;
	for (unsigned fi = 0, off = 0; fi < nf; off += flen[fi++]) {
		bool t = false;
		for (unsigned i = 0; i < flen[fi]; i++)
			if (taint[off + i])
				t = true;
		if (t)
			maybe = true;
		else if (memcmp(key + off, el->lo + off, flen[fi]) < 0 || memcmp(key + off, el->hi + off, flen[fi]) > 0)
			return 0;
	}
	return maybe ? 2 : 1;
}

static void fmt_elem_tainted(const struct ev *e, const struct ps_fw_set *s, const struct ps_fw_elem *el,
			     const uint8_t *taint, char *dst, size_t cap)
{
	unsigned fl[16], off = 0;
	unsigned nf = key_fields(s, taint, fl, 16);
	dst[0] = 0;
	for (unsigned fi = 0; fi < nf; fi++) {
		unsigned flen = fl[fi];
		if (taint[off]) {
			const struct field *f = &e->f[taint[off] - 1];
			char lo[80], hi[80];
			if (dst[0])
				appendf(dst, cap, " . ");
			if (memcmp(el->lo + off, el->hi + off, flen) == 0) {
				fmt_field_value(f, el->lo + off, NULL, flen, lo, sizeof lo);
				appendf(dst, cap, "%s", lo);
			} else if (f->kind == F_SADDR || f->kind == F_DADDR) {
				/* a range that is one prefix prints as a CIDR */
				unsigned alen = f->v6 ? 16 : 4, bits = 0;
				uint8_t m[16] = {0};
				for (; bits < alen * 8; bits++) {
					unsigned by = bits / 8, bi = 7 - bits % 8;
					if (((el->lo[off + by] >> bi) & 1) != ((el->hi[off + by] >> bi) & 1))
						break;
				}
				bool cidr = true;
				for (unsigned b2 = bits; b2 < alen * 8; b2++) {
					unsigned by = b2 / 8, bi = 7 - b2 % 8;
					if (((el->lo[off + by] >> bi) & 1) != 0 || ((el->hi[off + by] >> bi) & 1) != 1)
						cidr = false;
				}
				for (unsigned b2 = 0; b2 < bits; b2++)
					m[b2 / 8] |= (uint8_t)(1u << (7 - b2 % 8));
				if (cidr) {
					fmt_field_value(f, el->lo + off, m, flen, lo, sizeof lo);
					appendf(dst, cap, "%s", lo);
				} else {
					fmt_field_value(f, el->lo + off, NULL, flen, lo, sizeof lo);
					fmt_field_value(f, el->hi + off, NULL, flen, hi, sizeof hi);
					appendf(dst, cap, "%s-%s", lo, hi);
				}
			} else {
				fmt_field_value(f, el->lo + off, NULL, flen, lo, sizeof lo);
				fmt_field_value(f, el->hi + off, NULL, flen, hi, sizeof hi);
				appendf(dst, cap, "%s-%s", lo, hi);
			}
		}
		off += flen;
	}
}

static const struct ps_fw_set *lookup_set(const struct ev *e, const struct ps_fw_chain *c, const char *name)
{
	return ps_fw_find_set(e->rs, c->family, c->table, name);
}

/* ---- xt matches and targets (iptables-nft) ---- */

static bool xt_ports(uint16_t lo, uint16_t hi, uint16_t port, bool inv)
{
	return ((port >= lo && port <= hi) ^ inv);
}

/* returns 1 match, 0 no match, -1 unknown (reason in why) */
static int xt_match(struct ev *e, const struct ps_fw_expr *x, struct rres *rr, char *why, size_t wcap)
{
	const struct ps_fw_pkt *p = e->p;
	const uint8_t *in = x->info;
	uint32_t n = x->info_len;
	const char *name = x->str;
	if (strcmp(name, "comment") == 0 || strcmp(name, "limit") == 0 || strcmp(name, "hashlimit") == 0)
		return 1;
	if (strcmp(name, "tcp") == 0 || strcmp(name, "udp") == 0) {
		bool tcp = name[0] == 't';
		if (p->l4proto != (tcp ? IPPROTO_TCP : IPPROTO_UDP))
			return 0;
		if (tcp && n >= sizeof(struct xt_tcp)) {
			struct xt_tcp t;
			memcpy(&t, in, sizeof t);
			if (!xt_ports(t.dpts[0], t.dpts[1], p->dport, t.invflags & XT_TCP_INV_DSTPT))
				return 0;
			if (t.flg_mask && !(((0x02 & t.flg_mask) == t.flg_cmp) ^ !!(t.invflags & XT_TCP_INV_FLAGS)))
				return 0;
			if (t.option) {
				snprintf(why, wcap, "xt tcp --tcp-option");
				return -1;
			}
			if (t.spts[0] != 0 || t.spts[1] != 0xffff) {
				char c[64];
				snprintf(c, sizeof c, "%stcp sport %u-%u", (t.invflags & XT_TCP_INV_SRCPT) ? "not " : "",
					 t.spts[0], t.spts[1]);
				add_cond(rr, c, false);
			}
			return 1;
		}
		if (!tcp && n >= sizeof(struct xt_udp)) {
			struct xt_udp u;
			memcpy(&u, in, sizeof u);
			if (!xt_ports(u.dpts[0], u.dpts[1], p->dport, u.invflags & XT_UDP_INV_DSTPT))
				return 0;
			if (u.spts[0] != 0 || u.spts[1] != 0xffff) {
				char c[64];
				snprintf(c, sizeof c, "%sudp sport %u-%u", (u.invflags & XT_UDP_INV_SRCPT) ? "not " : "",
					 u.spts[0], u.spts[1]);
				add_cond(rr, c, false);
			}
			return 1;
		}
	}
	if ((strcmp(name, "icmp6") == 0 || strcmp(name, "icmp") == 0) && n >= 4) {
		/* struct ip6t_icmp / ipt_icmp: type, code range, invert flag */
		uint8_t proto = name[4] == '6' ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		if (p->l4proto != proto)
			return 0;
		bool hit = (in[0] == 0xff || in[0] == p->icmp_type) && in[1] == 0;
		return hit ^ !!(in[3] & 1);
	}
	if (strcmp(name, "multiport") == 0 && x->rev == 1 && n >= sizeof(struct xt_multiport_v1)) {
		struct xt_multiport_v1 m;
		memcpy(&m, in, sizeof m);
		if (m.flags != XT_MULTIPORT_DESTINATION) {
			snprintf(why, wcap, "xt multiport on source ports");
			return -1;
		}
		bool hit = false;
		for (unsigned i = 0; i < m.count && i < XT_MULTI_PORTS; i++) {
			if (m.pflags[i] && i + 1 < m.count) {
				if (p->dport >= m.ports[i] && p->dport <= m.ports[i + 1])
					hit = true;
				i++;
			} else if (p->dport == m.ports[i]) {
				hit = true;
			}
		}
		return hit ^ !!m.invert;
	}
	if ((strcmp(name, "conntrack") == 0 && x->rev >= 1 && x->rev <= 3) || strcmp(name, "state") == 0) {
		uint32_t smask, mflags = 1, iflags = 0;
		if (name[0] == 's') {
			if (n < 4)
				goto unk;
			memcpy(&smask, in, 4);
		} else if (x->rev == 1) {
			if (n < 152)
				goto unk;
			mflags = in[146];
			iflags = in[147];
			smask = in[148];
		} else {
			uint16_t v[4];
			if (n < 154)
				goto unk;
			memcpy(v, in + 146, sizeof v);
			mflags = v[0];
			iflags = v[1];
			smask = v[2];
		}
		/* XT_CONNTRACK_STATE (1) and STATE_ALIAS (1 << 13) only */
		if (mflags & ~(1u | (1u << 13))) {
			snprintf(why, wcap, "xt conntrack match beyond --ctstate");
			return -1;
		}
		if (!(mflags & 1u))
			return 1;
		return ((smask & CT_NEW) != 0) ^ !!(iflags & 1u);
	}
	if (strcmp(name, "addrtype") == 0 && x->rev == 1 && n >= sizeof(struct xt_addrtype_info_v1)) {
		struct xt_addrtype_info_v1 a;
		memcpy(&a, in, sizeof a);
		if (a.flags & (XT_ADDRTYPE_LIMIT_IFACE_IN | XT_ADDRTYPE_LIMIT_IFACE_OUT)) {
			snprintf(why, wcap, "xt addrtype --limit-iface");
			return -1;
		}
		bool ok = true;
		if (a.source)
			ok &= ((a.source & XT_ADDRTYPE_UNICAST) != 0) ^ !!(a.flags & XT_ADDRTYPE_INVERT_SOURCE);
		if (a.dest)
			ok &= ((a.dest & XT_ADDRTYPE_LOCAL) != 0) ^ !!(a.flags & XT_ADDRTYPE_INVERT_DEST);
		return ok;
	}
	if (strcmp(name, "pkttype") == 0 && n >= 8) {
		int32_t v[2];
		memcpy(v, in, sizeof v);
		return (v[0] == 0) ^ (v[1] != 0); /* PACKET_HOST */
	}
	if ((strcmp(name, "icmp") == 0 || strcmp(name, "icmp6") == 0))
		return 0; /* the probe is TCP or UDP */
	if (strcmp(name, "recent") == 0 && n >= 10) {
		/* struct xt_recent_mtinfo: seconds, hit_count, check_set, invert */
		uint32_t hits;
		memcpy(&hits, in + 4, 4);
		uint8_t cs = in[8], inv = in[9];
		if (cs & 0x02) /* --set: always matches (records the source) */
			return !inv;
		if ((cs & 0x05) && hits > 1) /* --rcheck/--update with hitcount: a first packet has none */
			return inv ? 1 : 0;
		snprintf(why, wcap, "xt recent");
		return -1;
	}
unk:
	snprintf(why, wcap, "xt match %s", name);
	return -1;
}

static void fmt_nat(const struct ps_fw_expr *x, bool v6, char *dst, size_t cap)
{
	const uint8_t *in = x->info;
	uint32_t n = x->info_len;
	char a[64] = "?";
	unsigned port = 0;
	if (x->rev == 0 && n >= 20) { /* nf_nat_ipv4_multi_range_compat */
		ps_fmt_addr(a, sizeof a, AF_INET, in + 8);
		port = (unsigned)(in[16] << 8 | in[17]);
	} else if (n >= 40) { /* nf_nat_range / nf_nat_range2 */
		uint32_t fl;
		memcpy(&fl, in, 4);
		if (fl & NF_NAT_RANGE_MAP_IPS)
			ps_fmt_addr(a, sizeof a, v6 ? AF_INET6 : AF_INET, in + 4);
		if (fl & NF_NAT_RANGE_PROTO_SPECIFIED)
			port = (unsigned)(in[36] << 8 | in[37]);
	}
	if (port)
		snprintf(dst, cap, v6 ? "[%s]:%u" : "%s:%u", a, port);
	else
		snprintf(dst, cap, "%s", a);
}

/* ---- compares ---- */

/* a run of compared bytes that belong to one source: a symbolic field
 * (taint != 0) or concrete bytes of the probe packet (taint 0) */
struct seg {
	unsigned off, len;
	uint8_t taint;
};

/* nft merges adjacent matches into one compare ("udp sport 67 udp dport 68"
 * is one 4-byte compare at transport offset 0): split it where the source
 * of the bytes changes, so each field is read with its own bytes */
static unsigned cmp_segments(const struct regs *r, unsigned off, unsigned len, struct seg *sg, unsigned cap)
{
	unsigned n = 0;
	for (unsigned k = 0; k < len; k++) {
		uint8_t t = r->taint[off + k];
		if (n && sg[n - 1].taint == t && sg[n - 1].off + sg[n - 1].len == k) {
			sg[n - 1].len++;
			continue;
		}
		if (n == cap)
			return 0;
		sg[n++] = (struct seg){k, 1, t};
	}
	return n;
}

/* "th sport == 67" for one symbolic segment of a compare */
static void fmt_seg_cond(const struct ev *e, const struct regs *r, const struct ps_fw_expr *x, unsigned so,
			 const struct seg *g, const char *op, char *dst, size_t cap)
{
	const struct field *f = &e->f[g->taint - 1];
	char val[96];
	fmt_field_value(f, x->data + g->off, r->mask + so + g->off, g->len, val, sizeof val);
	snprintf(dst, cap, "%s %s %s", f->name, op, val);
}

static bool seg_unknown(const struct ev *e, const struct seg *sg, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (sg[i].taint && e->f[sg[i].taint - 1].kind == F_OTHER)
			return true;
	return false;
}

/* the loopback interface is never the one an outside packet comes in on:
 * 1 = the compare can never hold for it, 2 = it always holds, 0 = neither */
static int lo_compare(const struct field *f, const struct ps_fw_expr *x, const struct seg *g)
{
	bool is_lo = (f->kind == F_IIFNAME && g->len >= 3 && strncmp((const char *)x->data + g->off, "lo", 3) == 0) ||
		     (f->kind == F_IIF && g->len == 4 && x->data[g->off] == 1 && !x->data[g->off + 1] &&
		      !x->data[g->off + 2] && !x->data[g->off + 3]);
	if (!is_lo)
		return 0;
	return x->cmpop == NFT_CMP_EQ ? 1 : x->cmpop == NFT_CMP_NEQ ? 2 : 0;
}

/* one nft compare; false when the rule cannot match */
static bool eval_cmp(struct ev *e, const struct regs *R, const struct ps_fw_expr *x, unsigned so, struct rres *rr)
{
	struct seg sg[16];
	unsigned n = cmp_segments(R, so, x->len, sg, 16);
	char t[200];
	if (n == 0) {
		add_cond(rr, "unknown: compare over too many fields", true);
		return true;
	}
	if (n == 1 && !sg[0].taint) {
		int d = memcmp(R->v + so, x->data, x->len);
		switch (x->cmpop) {
		case NFT_CMP_EQ: return d == 0;
		case NFT_CMP_NEQ: return d != 0;
		case NFT_CMP_LT: return d < 0;
		case NFT_CMP_LTE: return d <= 0;
		case NFT_CMP_GT: return d > 0;
		default: return d >= 0;
		}
	}
	if (x->cmpop == NFT_CMP_EQ) {
		/* every part must be equal: concrete parts decide now, symbolic
		 * parts become one condition each */
		for (unsigned i = 0; i < n; i++)
			if (!sg[i].taint && memcmp(R->v + so + sg[i].off, x->data + sg[i].off, sg[i].len) != 0)
				return false;
		for (unsigned i = 0; i < n; i++) {
			if (!sg[i].taint)
				continue;
			const struct field *f = &e->f[sg[i].taint - 1];
			if (lo_compare(f, x, &sg[i]) == 1)
				return false;
			fmt_seg_cond(e, R, x, so, &sg[i], "==", t, sizeof t);
			add_cond(rr, t, f->kind == F_OTHER);
		}
		return true;
	}
	if (x->cmpop == NFT_CMP_NEQ) {
		/* some part must differ: a concrete part that differs settles it */
		for (unsigned i = 0; i < n; i++)
			if (!sg[i].taint && memcmp(R->v + so + sg[i].off, x->data + sg[i].off, sg[i].len) != 0)
				return true;
		char any[200] = "";
		unsigned nsym = 0;
		for (unsigned i = 0; i < n; i++) {
			if (!sg[i].taint)
				continue;
			if (lo_compare(&e->f[sg[i].taint - 1], x, &sg[i]) == 2)
				return true;
			fmt_seg_cond(e, R, x, so, &sg[i], "!=", t, sizeof t);
			appendf(any, sizeof any, "%s%s", nsym++ ? " or " : "", t);
		}
		if (nsym > 1) {
			snprintf(t, sizeof t, "(%s)", any);
			add_cond(rr, t, seg_unknown(e, sg, n));
		} else {
			add_cond(rr, any, seg_unknown(e, sg, n));
		}
		return true;
	}
	/* an ordering compare is lexicographic over the bytes: a concrete
	 * prefix that already differs decides it */
	unsigned first = 0;
	while (first < n && !sg[first].taint) {
		int d = memcmp(R->v + so + sg[first].off, x->data + sg[first].off, sg[first].len);
		if (d != 0) {
			bool lt = x->cmpop == NFT_CMP_LT || x->cmpop == NFT_CMP_LTE;
			return lt ? d < 0 : d > 0;
		}
		first++;
	}
	if (first == n - 1) {
		/* only the last part is symbolic: a condition on that field */
		fmt_seg_cond(e, R, x, so, &sg[first], cmpops[x->cmpop], t, sizeof t);
		add_cond(rr, t, e->f[sg[first].taint - 1].kind == F_OTHER);
	} else {
		add_cond(rr, "unknown: ordering compare over several fields", true);
	}
	return true;
}

/* ---- one rule ---- */

/* a verdict from an immediate or a verdict map; true when it ends the rule */
static bool take_verdict(struct rres *rr, int32_t vd, const char *chain)
{
	switch (vd) {
	case NFT_JUMP: rr->v = V_JUMP; rr->chain = chain; return true;
	case NFT_GOTO: rr->v = V_GOTO; rr->chain = chain; return true;
	case NFT_RETURN: rr->v = V_RETURN; return true;
	case NFT_CONTINUE: return false;
	case NFT_BREAK: rr->match = false; return true;
	default:
		if ((vd & NF_VERDICT_MASK) == NF_ACCEPT) {
			rr->v = V_ACCEPT;
		} else if ((vd & NF_VERDICT_MASK) == NF_DROP) {
			rr->v = V_DROP;
		} else {
			rr->v = V_UNKNOWN;
			snprintf(rr->detail, sizeof rr->detail, "%s",
				 (vd & NF_VERDICT_MASK) == NF_QUEUE ? "queued to a userspace program" : "unusual verdict");
		}
		return true;
	}
}

static void eval_rule(struct ev *e, const struct ps_fw_chain *c, const struct ps_fw_rule *rule, struct rres *rr)
{
	struct regs R;
	memset(&R, 0, sizeof R);
	memset(R.mask, 0xff, sizeof R.mask);
	memset(rr, 0, sizeof *rr);
	rr->match = true;
	rr->v = V_CONT;
	bool v6 = e->p->family == AF_INET6;
	for (size_t i = 0; i < rule->nex; i++) {
		const struct ps_fw_expr *x = &rule->ex[i];
		int so = reg_off(x->sreg), dof = reg_off(x->dreg);
		char t[200], val[96];
		switch (x->op) {
		case PS_FWX_NOP:
			break;
		case PS_FWX_PAYLOAD: {
			const uint8_t *src = NULL, *tt = NULL;
			unsigned lim = 0;
			if (x->a == NFT_PAYLOAD_NETWORK_HEADER) {
				src = e->nh, tt = e->nht, lim = e->nhlen;
			} else if (x->a == NFT_PAYLOAD_TRANSPORT_HEADER) {
				src = e->th, tt = e->tht, lim = e->thlen;
			}
			if (dof < 0 || x->c > 64 || (unsigned)dof + x->c > NREGB) {
				add_cond(rr, "unknown: bad payload load", true);
				break;
			}
			store(&R, x->dreg, NULL, x->c, 0);
			if (!src || x->b + x->c > lim) {
				memset(R.taint + dof, add_field(e, F_OTHER, (uint8_t)x->c, 0, "payload (other header)"), x->c);
			} else {
				memcpy(R.v + dof, src + x->b, x->c);
				memcpy(R.taint + dof, tt + x->b, x->c);
			}
			break;
		}
		case PS_FWX_META:
			if (!load_meta(e, &R, x))
				add_cond(rr, "unknown: bad meta load", true);
			break;
		case PS_FWX_CT:
			if (nd_probe(e->p) && x->a != NFT_CT_STATE) {
				/* an untracked packet has no other ct keys: the expression breaks */
				rr->match = false;
				return;
			}
			if (!load_ct(e, &R, x))
				add_cond(rr, "unknown: bad ct load", true);
			break;
		case PS_FWX_FIB: {
			uint32_t u;
			if (x->a == NFT_FIB_RESULT_ADDRTYPE)
				u = (x->b & NFTA_FIB_F_DADDR) ? (nd_probe(e->p) ? RTN_MULTICAST_ : RTN_LOCAL_) : RTN_UNICAST_;
			else
				u = 1; /* a route exists (a legitimate, routable client) */
			if (!store(&R, x->dreg, &u, 4, 0))
				add_cond(rr, "unknown: bad fib", true);
			break;
		}
		case PS_FWX_BITWISE:
			if (so < 0 || dof < 0 || (unsigned)so + x->c > NREGB || (unsigned)dof + x->c > NREGB) {
				add_cond(rr, "unknown: bad bitwise", true);
				break;
			}
			if (x->a != NFT_BITWISE_BOOL) {
				memset(R.taint + dof, add_field(e, F_OTHER, (uint8_t)x->c, 0, "shifted value"), x->c);
				break;
			}
			for (unsigned k = 0; k < x->c; k++) {
				uint8_t mk = k < 16 ? x->data[k] : 0xff, xo = k < 16 ? x->data2[k] : 0;
				R.v[dof + k] = (uint8_t)((R.v[so + k] & mk) ^ xo);
				R.taint[dof + k] = mk ? R.taint[so + k] : 0;
				R.mask[dof + k] = mk;
			}
			break;
		case PS_FWX_CMP:
			if (so < 0 || (unsigned)so + x->len > NREGB || x->cmpop > NFT_CMP_GTE) {
				add_cond(rr, "unknown: bad cmp", true);
				break;
			}
			if (!eval_cmp(e, &R, x, (unsigned)so, rr))
				return;
			break;
		case PS_FWX_RANGE: {
			if (so < 0 || (unsigned)so + x->len > NREGB) {
				add_cond(rr, "unknown: bad range", true);
				break;
			}
			struct seg rs[2];
			if (cmp_segments(&R, (unsigned)so, x->len, rs, 2) != 1) {
				/* a range over concrete and symbolic bytes at once: not decided here */
				add_cond(rr, "unknown: range over several fields", true);
				break;
			}
			unsigned tf = rs[0].taint;
			if (tf) {
				const struct field *f = &e->f[tf - 1];
				char v2[96];
				fmt_field_value(f, x->data, NULL, x->len, val, sizeof val);
				fmt_field_value(f, x->data2, NULL, x->len, v2, sizeof v2);
				snprintf(t, sizeof t, "%s %s%s-%s", f->name, x->cmpop == NFT_RANGE_NEQ ? "!= " : "", val, v2);
				add_cond(rr, t, f->kind == F_OTHER);
				break;
			}
			bool in = memcmp(R.v + so, x->data, x->len) >= 0 && memcmp(R.v + so, x->data2, x->len) <= 0;
			if (in != (x->cmpop == NFT_RANGE_EQ)) {
				rr->match = false;
				return;
			}
			break;
		}
		case PS_FWX_LOOKUP: {
			const struct ps_fw_set *s = lookup_set(e, c, x->str);
			if (!s) {
				snprintf(t, sizeof t, "unknown: set %s not found", x->str);
				add_cond(rr, t, true);
				break;
			}
			if (so < 0 || (unsigned)so + s->key_len > NREGB) {
				add_cond(rr, "unknown: bad lookup", true);
				break;
			}
			bool inv = x->flags & NFT_LOOKUP_F_INV;
			const struct ps_fw_elem *hit = NULL;
			char cand[160] = "";
			unsigned nmaybe = 0;
			const struct ps_fw_elem *maybe_el = NULL;
			for (size_t k = 0; k < s->nelems && !hit; k++) {
				int m = elem_match(s, &s->elems[k], R.v + so, R.taint + so);
				if (m == 1)
					hit = &s->elems[k];
				else if (m == 2) {
					if (nmaybe < 4) {
						char one[96];
						fmt_elem_tainted(e, s, &s->elems[k], R.taint + so, one, sizeof one);
						appendf(cand, sizeof cand, "%s%s", nmaybe ? ", " : "", one);
					} else if (nmaybe == 4) {
						appendf(cand, sizeof cand, ", ...");
					}
					nmaybe++;
					maybe_el = &s->elems[k];
				}
			}
			if (!hit && nmaybe) {
				/* the key holds symbolic fields: the rule applies for those values */
				char names[64] = "";
				for (unsigned k = 0; k < s->key_len; k++) {
					unsigned tf = R.taint[so + k];
					if (tf && (k == 0 || R.taint[so + k - 1] != tf))
						appendf(names, sizeof names, "%s%s", names[0] ? " . " : "", e->f[tf - 1].name);
				}
				snprintf(t, sizeof t, "%s %s{ %s } (@%s)", names, inv ? "not in " : "", cand, s->name);
				add_cond(rr, t, false);
				if (x->dreg == 0 && !inv && nmaybe == 1)
					hit = maybe_el; /* verdict map: the verdict under that condition */
				else if (x->dreg != 0xff && x->dreg != 0) {
					add_cond(rr, "unknown: map data from a symbolic key", true);
					break;
				} else
					break;
			}
			if ((hit != NULL) == inv) {
				rr->match = false;
				return;
			}
			if (inv || x->dreg == 0xff)
				break;
			if (x->dreg == 0) {
				if (!hit->has_verdict) {
					add_cond(rr, "unknown: map without verdict", true);
					break;
				}
				if (take_verdict(rr, hit->verdict, hit->chain))
					return;
				break;
			}
			if (dof < 0 || !hit->data || (unsigned)dof + s->data_len > NREGB) {
				add_cond(rr, "unknown: map data", true);
				break;
			}
			store(&R, x->dreg, hit->data, s->data_len, 0);
			break;
		}
		case PS_FWX_IMM:
			if (x->dreg == 0) {
				if (take_verdict(rr, x->verdict, x->str))
					return;
			} else if (!store(&R, x->dreg, x->data, x->len, 0)) {
				add_cond(rr, "unknown: bad immediate", true);
			}
			break;
		case PS_FWX_REJECT:
			rr->v = V_DROP;
			snprintf(rr->detail, sizeof rr->detail, "reject");
			return;
		case PS_FWX_NAT:
			if (x->a == NFT_NAT_DNAT) {
				int ao = reg_off(x->regs[0]), po = reg_off(x->regs[2]);
				char a[64] = "?";
				unsigned fam = x->b == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
				if ((x->flags & 1) && ao >= 0 && (unsigned)ao + 16 <= NREGB)
					ps_fmt_addr(a, sizeof a, (int)fam, R.v + ao);
				if ((x->flags & 2) && po >= 0)
					snprintf(rr->detail, sizeof rr->detail, fam == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
						 (unsigned)(R.v[po] << 8 | R.v[po + 1]));
				else
					snprintf(rr->detail, sizeof rr->detail, "%s", a);
				rr->v = V_DNAT;
				return;
			}
			break; /* snat: not on the input path */
		case PS_FWX_REDIR: {
			int po = reg_off(x->regs[2]);
			if ((x->flags & 2) && po >= 0)
				snprintf(rr->detail, sizeof rr->detail, "local port %u", (unsigned)(R.v[po] << 8 | R.v[po + 1]));
			else
				snprintf(rr->detail, sizeof rr->detail, "this host");
			rr->v = V_REDIR;
			return;
		}
		case PS_FWX_MATCH: {
			char why[96];
			int m = xt_match(e, x, rr, why, sizeof why);
			if (m == 0) {
				rr->match = false;
				return;
			}
			if (m < 0) {
				snprintf(t, sizeof t, "unknown: %s", why);
				add_cond(rr, t, true);
			}
			break;
		}
		case PS_FWX_TARGET: {
			const char *n = x->str;
			if (strcmp(n, "REJECT") == 0) {
				rr->v = V_DROP;
				snprintf(rr->detail, sizeof rr->detail, "reject");
				return;
			}
			if (strcmp(n, "DNAT") == 0) {
				rr->v = V_DNAT;
				fmt_nat(x, v6, rr->detail, sizeof rr->detail);
				return;
			}
			if (strcmp(n, "REDIRECT") == 0) {
				rr->v = V_REDIR;
				snprintf(rr->detail, sizeof rr->detail, "this host");
				return;
			}
			if (strcmp(n, "LOG") == 0 || strcmp(n, "NFLOG") == 0 || strcmp(n, "MARK") == 0 ||
			    strcmp(n, "CONNMARK") == 0 || strcmp(n, "MASQUERADE") == 0 || strcmp(n, "SNAT") == 0 ||
			    strcmp(n, "CT") == 0 || strcmp(n, "NOTRACK") == 0 || strcmp(n, "TCPMSS") == 0 ||
			    strcmp(n, "CHECKSUM") == 0)
				break;
			rr->v = V_UNKNOWN;
			snprintf(rr->detail, sizeof rr->detail, "xt target %s", n);
			return;
		}
		default:
			snprintf(t, sizeof t, "unknown: expression %s", x->str ? x->str : "?");
			add_cond(rr, t, true);
			break;
		}
	}
}

/* ---- chains ---- */

enum cres { C_CONT, C_ACCEPT, C_DROP, C_DNAT, C_REDIR, C_UNKNOWN, C_STOP /* cond mode: path ended */ };

struct cout {
	enum cres r;
	struct ps_fw_where where;
	char detail[128];
};

static void set_where(struct ps_fw_where *w, const struct ps_fw_chain *c, const struct ps_fw_rule *r)
{
	w->family = c->family;
	w->table = c->table;
	w->chain = c->name;
	w->handle = r ? r->handle : 0;
	w->rule = r;
	w->c = c;
}

static enum ps_fw_result to_result(enum vk v)
{
	switch (v) {
	case V_ACCEPT: return PS_FW_ACCEPT;
	case V_DROP: return PS_FW_DROP;
	case V_DNAT: return PS_FW_DNAT;
	case V_REDIR: return PS_FW_REDIRECT;
	default: return PS_FW_UNKNOWN;
	}
}

static void record(struct ev *e, enum ps_fw_result res, const char *prefix, const char *cond, bool unknown,
		   const struct ps_fw_chain *c, const struct ps_fw_rule *r, const char *detail)
{
	struct ps_fw_verdict *v = e->out;
	if (v->nconds >= PS_FW_MAX_CONDS) {
		v->conds_truncated = true;
		return;
	}
	struct ps_fw_cond *k = &v->conds[v->nconds++];
	memset(k, 0, sizeof *k);
	k->result = res;
	k->unknown = unknown;
	k->base = e->base;
	if (prefix && *prefix)
		appendf(k->cond, sizeof k->cond, "%s", prefix);
	if (cond && *cond)
		appendf(k->cond, sizeof k->cond, "%s%s", k->cond[0] ? " and " : "", cond);
	if (detail && *detail && (res == PS_FW_DNAT || res == PS_FW_REDIRECT || res == PS_FW_UNKNOWN))
		appendf(k->cond, sizeof k->cond, " (%s)", detail);
	set_where(&k->where, c, r);
}

/* prefix: the condition under which this chain is being explored ("" on the
 * main path).  Returns the chain's outcome for the main path; in cond mode
 * terminal verdicts are recorded and C_STOP returned. */
static struct cout eval_chain(struct ev *e, const struct ps_fw_chain *c, int depth, const char *prefix)
{
	struct cout o = {.r = C_CONT};
	bool cmode = prefix && *prefix;
	if (depth > MAXDEPTH) {
		o.r = C_UNKNOWN;
		set_where(&o.where, c, NULL);
		snprintf(o.detail, sizeof o.detail, "jump depth over %d", MAXDEPTH);
		return o;
	}
	for (size_t i = 0; i < c->nrules; i++) {
		const struct ps_fw_rule *r = &c->rules[i];
		struct rres rr;
		eval_rule(e, c, r, &rr);
		if (!rr.match || rr.v == V_CONT)
			continue;
		char cond[200] = "";
		if (prefix)
			appendf(cond, sizeof cond, "%s", prefix);
		if (rr.cond[0])
			appendf(cond, sizeof cond, "%s%s", cond[0] ? " and " : "", rr.cond);
		bool conditional = rr.cond[0] != 0 || cmode;
		if (rr.v == V_JUMP || rr.v == V_GOTO) {
			const struct ps_fw_chain *t = rr.chain ? ps_fw_find_chain(e->rs, c->family, c->table, rr.chain) : NULL;
			if (!t) {
				record(e, PS_FW_UNKNOWN, NULL, cond, true, c, r, "jump to a missing chain");
				continue;
			}
			if (rr.cond[0] && !cmode) {
				/* explore the target for the matching population only */
				eval_chain(e, t, depth + 1, cond);
				continue;
			}
			struct cout sub = eval_chain(e, t, depth + 1, cmode ? cond : NULL);
			if (sub.r == C_STOP)
				return sub;
			if (sub.r != C_CONT)
				return sub;
			if (rr.v == V_GOTO) {
				o.r = C_CONT; /* return to our caller */
				o.where.handle = UINT64_MAX;
				return o;
			}
			continue;
		}
		if (rr.v == V_RETURN) {
			if (conditional && !cmode) {
				/* some packets return early: they skip the rest of this chain */
				record(e, PS_FW_UNKNOWN, NULL, cond, rr.unknown, c, r, "returns early");
				continue;
			}
			if (cmode) {
				o.r = C_STOP;
				return o;
			}
			return o;
		}
		enum ps_fw_result res = to_result(rr.v);
		if (conditional) {
			record(e, res, NULL, cond, rr.unknown || rr.v == V_UNKNOWN, c, r, rr.detail);
			if (cmode && rr.cond[0] == 0) {
				o.r = C_STOP;
				return o;
			}
			continue;
		}
		switch (rr.v) {
		case V_ACCEPT: o.r = C_ACCEPT; break;
		case V_DROP: o.r = C_DROP; break;
		case V_DNAT: o.r = C_DNAT; break;
		case V_REDIR: o.r = C_REDIR; break;
		default: o.r = C_UNKNOWN; break;
		}
		set_where(&o.where, c, r);
		snprintf(o.detail, sizeof o.detail, "%s", rr.detail);
		return o;
	}
	return o;
}

static int hook_rank(const struct ps_fw_chain *c)
{
	if (c->family == PS_NFP_NETDEV)
		return 0;
	return c->hook == NF_INET_PRE_ROUTING ? 1 : 2;
}

struct bchain {
	const struct ps_fw_chain *c;
	uint64_t table_handle;
};

/* hook, then priority; equal priorities run in registration order, which
 * the dump does not tell: table handle, then chain handle, approximates it.
 * (The verdict does not depend on it, since only a drop is final; only
 * which of two dropping chains is named could.) */
static int cmp_chain(const void *a, const void *b)
{
	const struct bchain *p = a, *q = b;
	const struct ps_fw_chain *x = p->c, *y = q->c;
	int hx = hook_rank(x), hy = hook_rank(y);
	if (hx != hy)
		return hx - hy;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (p->table_handle != q->table_handle)
		return p->table_handle < q->table_handle ? -1 : 1;
	return x->handle < y->handle ? -1 : x->handle > y->handle;
}

static bool on_path(const struct ps_fw_chain *c, const struct ps_fw_pkt *p, const struct ps_fw_table *skip)
{
	if (!c->base)
		return false;
	if (skip && c->family == skip->family && strcmp(c->table, skip->name) == 0)
		return false;
	bool v6 = p->family == AF_INET6;
	if (c->family == PS_NFP_NETDEV)
		return c->hook == 0 /* NF_NETDEV_INGRESS */;
	if (c->family != PS_NFP_INET && c->family != (v6 ? PS_NFP_IPV6 : PS_NFP_IPV4))
		return false;
	if (c->hook != NF_INET_PRE_ROUTING && c->hook != NF_INET_LOCAL_IN)
		return false;
	if (c->type && strcmp(c->type, "nat") == 0)
		return c->hook == NF_INET_PRE_ROUTING && !nd_probe(p); /* dnat/redirect happen there; untracked skips nat */
	return c->type == NULL || strcmp(c->type, "filter") == 0;
}

static int eval_path(const struct ps_fw_ruleset *rs, const struct ps_fw_pkt *p, const struct ps_fw_table *skip,
		     struct ps_fw_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->result = PS_FW_ACCEPT;
	if (p->family != AF_INET && p->family != AF_INET6)
		return PS_ERR_INVAL;
	struct ev e = {.rs = rs, .p = p, .out = v};
	build_packet(&e);
	struct bchain *bc = malloc((rs->nchains + 1) * sizeof *bc);
	if (!bc)
		return PS_ERR_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < rs->nchains; i++)
		if (on_path(&rs->chains[i], p, skip)) {
			const struct ps_fw_chain *c = &rs->chains[i];
			uint64_t th = 0;
			for (size_t t = 0; t < rs->ntables; t++)
				if (rs->tables[t].family == c->family && strcmp(rs->tables[t].name, c->table) == 0)
					th = rs->tables[t].handle;
			bc[n++] = (struct bchain){c, th};
		}
	qsort(bc, n, sizeof *bc, cmp_chain);
	for (size_t i = 0; i < n; i++) {
		const struct ps_fw_chain *c = bc[i].c;
		e.base = v->chains_seen++;
		v->decided_base = e.base;
		v->any_chain = true;
		char pre[64] = "";
		if (c->family == PS_NFP_NETDEV) {
			if (p->have_iif && c->dev && strcmp(c->dev, p->iif) != 0)
				continue;
			if (!p->have_iif && c->dev)
				snprintf(pre, sizeof pre, "iifname == \"%s\"", c->dev);
		}
		struct cout o = eval_chain(&e, c, 0, pre[0] ? pre : NULL);
		if (pre[0]) {
			if (c->policy == NF_DROP)
				record(&e, PS_FW_DROP, pre, "ingress policy", false, c, NULL, NULL);
			continue;
		}
		if (o.r == C_CONT || o.r == C_STOP) {
			if (c->policy == NF_DROP) {
				v->result = PS_FW_DROP;
				set_where(&v->where, c, NULL);
				break;
			}
			continue;
		}
		if (o.r == C_ACCEPT) {
			/* ends this base chain only; the last accept is what let it in */
			v->where = o.where;
			continue;
		}
		v->where = o.where;
		snprintf(v->detail, sizeof v->detail, "%s", o.detail);
		v->result = o.r == C_DROP ? PS_FW_DROP : o.r == C_DNAT ? PS_FW_DNAT : o.r == C_REDIR ? PS_FW_REDIRECT : PS_FW_UNKNOWN;
		break;
	}
	free(bc);
	return PS_OK;
}

static bool lets_in(enum ps_fw_result r)
{
	return r == PS_FW_ACCEPT || r == PS_FW_DNAT || r == PS_FW_REDIRECT;
}

/* IPv6 needs neighbour discovery first: an on-link peer (and the router in
 * front of this host) must get a neighbour solicitation through before any
 * TCP or UDP packet arrives.  Where the ruleset drops it, nothing reaches
 * the port over IPv6, whatever the port's own rules say. */
static int nd_gate(const struct ps_fw_ruleset *rs, const struct ps_fw_pkt *p, const struct ps_fw_table *skip,
		   struct ps_fw_verdict *v)
{
	struct ps_fw_pkt ns = *p;
	ns.l4proto = IPPROTO_ICMPV6;
	ns.icmp_type = ND_SOLICIT;
	ns.dport = 0;
	ns.have_daddr = false; /* the solicited-node multicast group */
	struct ps_fw_verdict *nd = malloc(sizeof *nd);
	if (!nd)
		return PS_ERR_NOMEM;
	int rc = eval_path(rs, &ns, skip, nd);
	/* only a drop blocks: a solicitation whose fate is unknown (a match not
	 * evaluated) leaves the port's own verdict standing */
	if (rc == PS_OK && nd->result == PS_FW_DROP) {
		bool nd_cond = false; /* some solicitations get in (from some sources) */
		for (size_t i = 0; i < nd->nconds; i++)
			if (lets_in(nd->conds[i].result))
				nd_cond = true;
		if (lets_in(v->result)) {
			v->result = PS_FW_DROP;
			v->nd_blocked = true;
			v->where = nd->where;
			snprintf(v->detail, sizeof v->detail, "%s",
				 nd_cond ? "neighbour solicitations are dropped but for the sources the conditions name"
					 : "neighbour solicitations are dropped: no peer can resolve this host's address");
		}
		size_t k = 0;
		for (size_t i = 0; i < v->nconds; i++) {
			struct ps_fw_cond *c = &v->conds[i];
			if (lets_in(c->result) && !nd_cond) {
				v->nd_blocked = true;
				v->where = nd->where;
				continue; /* cannot happen: no solicitation gets in */
			}
			if (lets_in(c->result)) {
				size_t l = strnlen(c->cond, sizeof c->cond);
				snprintf(c->cond + l, sizeof c->cond - l, " and neighbour discovery gets in");
				c->unknown = true;
			}
			v->conds[k++] = *c;
		}
		v->nconds = k;
	}
	free(nd);
	return rc;
}

int ps_fw_eval(const struct ps_fw_ruleset *rs, const struct ps_fw_pkt *p, const struct ps_fw_table *skip,
	       struct ps_fw_verdict *v)
{
	int rc = eval_path(rs, p, skip, v);
	if (rc != PS_OK || p->family != AF_INET6 || (p->l4proto != IPPROTO_TCP && p->l4proto != IPPROTO_UDP))
		return rc;
	if (!v->any_chain || (!lets_in(v->result) && v->nconds == 0))
		return rc;
	if (p->have_iif && strcmp(p->iif, "lo") == 0)
		return rc; /* loopback needs no neighbour discovery */
	return nd_gate(rs, p, skip, v);
}

const char *ps_fw_result_name(enum ps_fw_result r)
{
	switch (r) {
	case PS_FW_ACCEPT: return "accept";
	case PS_FW_DROP: return "drop";
	case PS_FW_DNAT: return "dnat";
	case PS_FW_REDIRECT: return "redirect";
	default: return "unknown";
	}
}

void ps_fw_where_text(const struct ps_fw_where *w, struct ps_buf *b)
{
	if (!w->table) {
		ps_buf_puts(b, "(no rule)");
		return;
	}
	ps_buf_printf(b, "%s %s %s ", ps_fw_family_name(w->family), w->table, w->chain);
	if (w->handle)
		ps_buf_printf(b, "rule %llu", (unsigned long long)w->handle);
	else
		ps_buf_puts(b, "policy");
}

void ps_fw_verdict_summary(const struct ps_fw_verdict *v, struct ps_buf *b)
{
	/* a DNAT/redirect under some condition dominates: the port is served elsewhere */
	for (size_t i = 0; i < v->nconds; i++)
		if (v->conds[i].result == PS_FW_DNAT) {
			ps_buf_printf(b, "DNAT'ed when %s: bypasses input filtering (", v->conds[i].cond);
			ps_fw_where_text(&v->conds[i].where, b);
			ps_buf_puts(b, ")");
			return;
		}
	switch (v->result) {
	case PS_FW_ACCEPT: {
		size_t drops = 0, unk = 0;
		for (size_t i = 0; i < v->nconds; i++) {
			if (v->conds[i].unknown || v->conds[i].result == PS_FW_UNKNOWN)
				unk++;
			else if (v->conds[i].result == PS_FW_DROP)
				drops++;
		}
		ps_buf_puts(b, "reachable from anywhere");
		if (!v->any_chain)
			ps_buf_puts(b, " (no firewall on the input path)");
		if (drops)
			ps_buf_printf(b, " except %zu condition%s (dropped when %s)", drops, drops == 1 ? "" : "s",
				      v->conds[0].cond);
		if (unk)
			ps_buf_printf(b, "; %zu rule%s not evaluated", unk, unk == 1 ? "" : "s");
		return;
	}
	case PS_FW_DROP: {
		size_t acc = 0;
		/* an accept ends only its own base chain: conditional accepts
		 * count only in the chain that finally drops */
		for (size_t i = 0; i < v->nconds; i++)
			if (v->conds[i].result == PS_FW_ACCEPT && !v->conds[i].unknown && v->conds[i].base == v->decided_base)
				acc++;
		if (acc) {
			ps_buf_puts(b, "reachable only ");
			size_t k = 0;
			for (size_t i = 0; i < v->nconds; i++)
				if (v->conds[i].result == PS_FW_ACCEPT && !v->conds[i].unknown && v->conds[i].base == v->decided_base)
					ps_buf_printf(b, "%swhen %s", k++ ? "; or " : "", v->conds[i].cond);
			ps_buf_puts(b, "; otherwise blocked by ");
		} else if (v->nd_blocked) {
			ps_buf_puts(b, "blocked: neighbour discovery is dropped by ");
		} else {
			ps_buf_puts(b, "blocked by ");
		}
		ps_fw_where_text(&v->where, b);
		if (v->nd_blocked)
			ps_buf_puts(b, " (the port's own rules let it in)");
		return;
	}
	case PS_FW_DNAT:
		ps_buf_printf(b, "DNAT'ed to %s: bypasses input filtering (", v->detail);
		ps_fw_where_text(&v->where, b);
		ps_buf_puts(b, ")");
		return;
	case PS_FW_REDIRECT:
		ps_buf_printf(b, "redirected to %s (", v->detail);
		ps_fw_where_text(&v->where, b);
		ps_buf_puts(b, ")");
		return;
	default:
		ps_buf_printf(b, "unknown: %s (", v->detail[0] ? v->detail : "not evaluated");
		ps_fw_where_text(&v->where, b);
		ps_buf_puts(b, ")");
		return;
	}
}
