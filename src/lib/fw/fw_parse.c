/* fw_parse.c - nf_tables netlink dump bytes -> ruleset model (pure: no I/O).
 *
 * The message walk does its own unsigned bounds checks (libmnl's
 * mnl_nlmsg_ok compares a signed length); each message is then handed to
 * libnftnl's parser for its type and converted into ps_fw_* objects that
 * live in one arena. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "fw/internal.h"
#include "portsec/ps_error.h"

void ps_fw_ruleset_init(struct ps_fw_ruleset *rs)
{
	memset(rs, 0, sizeof *rs);
}

void ps_fw_ruleset_free(struct ps_fw_ruleset *rs)
{
	for (size_t i = 0; i < rs->nchains; i++)
		free(rs->chains[i].rules);
	for (size_t i = 0; i < rs->nsets; i++) {
		free(rs->sets[i].elems);
		free(rs->sets[i].raw);
	}
	free(rs->tables);
	free(rs->chains);
	free(rs->sets);
	if (rs->arena) {
		ps_arena_free(rs->arena);
		free(rs->arena);
	}
	memset(rs, 0, sizeof *rs);
}

struct ps_arena *fw_arena(struct ps_fw_ruleset *rs)
{
	if (!rs->arena) {
		rs->arena = calloc(1, sizeof(struct ps_arena));
		if (rs->arena)
			ps_arena_init(rs->arena);
	}
	return rs->arena;
}

static const char *sdup(struct ps_fw_ruleset *rs, const char *s)
{
	struct ps_arena *a = fw_arena(rs);
	if (!s || !a)
		return NULL;
	return ps_arena_strndup(a, s, strnlen(s, 256));
}

static const uint8_t *bdup(struct ps_fw_ruleset *rs, const void *p, size_t n)
{
	struct ps_arena *a = fw_arena(rs);
	if (!a || n == 0)
		return NULL;
	uint8_t *d = ps_arena_alloc(a, n);
	if (d)
		memcpy(d, p, n);
	return d;
}

static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	void *p = ps_vec_grow_(*arr, cap, n + 1, sz);
	if (!p)
		return PS_ERR_NOMEM;
	*arr = p;
	return 0;
}

const struct ps_fw_chain *ps_fw_find_chain(const struct ps_fw_ruleset *rs, uint8_t family,
					   const char *table, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++) {
		const struct ps_fw_chain *c = &rs->chains[i];
		if (c->family == family && strcmp(c->table, table) == 0 && strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

static struct ps_fw_chain *find_chain_mut(struct ps_fw_ruleset *rs, uint8_t family,
					  const char *table, const char *name)
{
	return (struct ps_fw_chain *)ps_fw_find_chain(rs, family, table, name);
}

const struct ps_fw_set *ps_fw_find_set(const struct ps_fw_ruleset *rs, uint8_t family,
				       const char *table, const char *name)
{
	for (size_t i = 0; i < rs->nsets; i++) {
		const struct ps_fw_set *s = &rs->sets[i];
		if (s->family == family && strcmp(s->table, table) == 0 && strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

const char *ps_fw_family_name(uint8_t f)
{
	switch (f) {
	case PS_NFP_INET: return "inet";
	case PS_NFP_IPV4: return "ip";
	case PS_NFP_IPV6: return "ip6";
	case PS_NFP_ARP: return "arp";
	case PS_NFP_BRIDGE: return "bridge";
	case PS_NFP_NETDEV: return "netdev";
	default: return "unknown";
	}
}

/* ---- tables, chains, sets ---- */

static int on_table(struct ps_fw_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return PS_ERR_NOMEM;
	int rc = 0;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0 || !nftnl_table_is_set(t, NFTNL_TABLE_NAME)) {
		rs->nskipped++;
		goto out;
	}
	if ((rc = grow((void **)&rs->tables, &rs->tcap, rs->ntables, sizeof *rs->tables)))
		goto out;
	struct ps_fw_table *x = &rs->tables[rs->ntables];
	memset(x, 0, sizeof *x);
	x->family = (uint8_t)nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	x->name = sdup(rs, nftnl_table_get_str(t, NFTNL_TABLE_NAME));
	x->flags = nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) ? nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) : 0;
	x->handle = nftnl_table_is_set(t, NFTNL_TABLE_HANDLE) ? nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE) : 0;
	if (!x->name)
		rc = PS_ERR_NOMEM;
	else
		rs->ntables++;
out:
	nftnl_table_free(t);
	return rc;
}

static int on_chain(struct ps_fw_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return PS_ERR_NOMEM;
	int rc = 0;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_NAME) ||
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_TABLE)) {
		rs->nskipped++;
		goto out;
	}
	if ((rc = grow((void **)&rs->chains, &rs->ccap, rs->nchains, sizeof *rs->chains)))
		goto out;
	struct ps_fw_chain *x = &rs->chains[rs->nchains];
	memset(x, 0, sizeof *x);
	x->family = (uint8_t)nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	x->table = sdup(rs, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	x->name = sdup(rs, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	x->handle = nftnl_chain_is_set(c, NFTNL_CHAIN_HANDLE) ? nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE) : 0;
	x->policy = 1;
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		x->base = true;
		x->hook = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		x->prio = nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO) ? nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0;
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
			x->policy = (int)nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
		x->type = nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE) ? sdup(rs, nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)) : "filter";
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV))
			x->dev = sdup(rs, nftnl_chain_get_str(c, NFTNL_CHAIN_DEV));
	}
	if (!x->table || !x->name)
		rc = PS_ERR_NOMEM;
	else
		rs->nchains++;
out:
	nftnl_chain_free(c);
	return rc;
}

static int on_set(struct ps_fw_ruleset *rs, const struct nlmsghdr *nlh)
{
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return PS_ERR_NOMEM;
	int rc = 0;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0 || !nftnl_set_is_set(s, NFTNL_SET_NAME) ||
	    !nftnl_set_is_set(s, NFTNL_SET_TABLE)) {
		rs->nskipped++;
		goto out;
	}
	if ((rc = grow((void **)&rs->sets, &rs->scap, rs->nsets, sizeof *rs->sets)))
		goto out;
	struct ps_fw_set *x = &rs->sets[rs->nsets];
	memset(x, 0, sizeof *x);
	x->family = (uint8_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	x->table = sdup(rs, nftnl_set_get_str(s, NFTNL_SET_TABLE));
	x->name = sdup(rs, nftnl_set_get_str(s, NFTNL_SET_NAME));
#define U32(attr) (nftnl_set_is_set(s, attr) ? nftnl_set_get_u32(s, attr) : 0)
	x->id = U32(NFTNL_SET_ID);
	x->flags = U32(NFTNL_SET_FLAGS);
	x->key_type = U32(NFTNL_SET_KEY_TYPE);
	x->key_len = U32(NFTNL_SET_KEY_LEN);
	x->data_type = U32(NFTNL_SET_DATA_TYPE);
	x->data_len = U32(NFTNL_SET_DATA_LEN);
#undef U32
	if (x->key_len > PS_FW_KEYMAX)
		x->key_len = PS_FW_KEYMAX;
	if (x->data_len > PS_FW_KEYMAX)
		x->data_len = PS_FW_KEYMAX;
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
		uint32_t n = 0;
		const uint8_t *f = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &n);
		if (f && n > 0) {
			if (n > 16)
				n = 16;
			x->nfields = (uint8_t)n;
			memcpy(x->field_len, f, n);
		}
	}
	if (!x->table || !x->name)
		rc = PS_ERR_NOMEM;
	else
		rs->nsets++;
out:
	nftnl_set_free(s);
	return rc;
}

static bool attr_walk(const uint8_t *p, size_t len, bool (*cb)(void *ctx, uint16_t type, const uint8_t *v, size_t n),
		      void *ctx);
static bool msg_ok(const struct nlmsghdr *nlh, bool (*cb)(void *, uint16_t, const uint8_t *, size_t));
static bool setelem_attr_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n);

static int on_setelem(struct ps_fw_ruleset *rs, const struct nlmsghdr *nlh)
{
	if (!msg_ok(nlh, setelem_attr_ok)) {
		rs->nskipped++;
		return 0;
	}
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return PS_ERR_NOMEM;
	int rc = 0;
	struct nftnl_set_elems_iter *it = NULL;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0 || !nftnl_set_is_set(s, NFTNL_SET_NAME) ||
	    !nftnl_set_is_set(s, NFTNL_SET_TABLE)) {
		rs->nskipped++;
		goto out;
	}
	struct ps_fw_set *x = (struct ps_fw_set *)ps_fw_find_set(rs, (uint8_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
							       nftnl_set_get_str(s, NFTNL_SET_TABLE),
							       nftnl_set_get_str(s, NFTNL_SET_NAME));
	if (!x) {
		rs->nskipped++;
		goto out;
	}
	it = nftnl_set_elems_iter_create(s);
	if (!it) {
		rc = PS_ERR_NOMEM;
		goto out;
	}
	/* iter_next returns the current element, then advances */
	for (struct nftnl_set_elem *e; (e = nftnl_set_elems_iter_next(it)) != NULL;) {
		if ((rc = grow(&x->raw, &x->rawcap, x->nraw, sizeof(struct fw_raw_elem))))
			goto out;
		struct fw_raw_elem *r = &((struct fw_raw_elem *)x->raw)[x->nraw];
		memset(r, 0, sizeof *r);
		uint32_t n = 0;
		const void *k = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY) ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &n) : NULL;
		if (k) {
			r->klen = n > PS_FW_KEYMAX ? PS_FW_KEYMAX : (uint8_t)n;
			memcpy(r->key, k, r->klen);
		}
		n = 0;
		k = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END) ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &n) : NULL;
		if (k) {
			r->has_end = true;
			r->kelen = n > PS_FW_KEYMAX ? PS_FW_KEYMAX : (uint8_t)n;
			memcpy(r->key_end, k, r->kelen);
		}
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
			r->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
			r->has_verdict = true;
			r->verdict = (int32_t)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
			if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
				r->chain = sdup(rs, nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
		}
		n = 0;
		k = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA) ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &n) : NULL;
		if (k && n > 0) {
			r->dlen = n > PS_FW_KEYMAX ? PS_FW_KEYMAX : (uint8_t)n;
			r->data = bdup(rs, k, r->dlen);
		}
		x->nraw++;
	}
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return rc;
}

/* ---- rules and expressions ---- */

struct conv {
	struct ps_fw_ruleset *rs;
	struct ps_fw_expr *ex;
	size_t n, cap;
	int err;
};

static uint32_t eu32(const struct nftnl_expr *e, uint16_t a)
{
	return nftnl_expr_is_set(e, a) ? nftnl_expr_get_u32(e, a) : 0;
}

static void edata(const struct nftnl_expr *e, uint16_t a, uint8_t *dst, uint8_t *len)
{
	uint32_t n = 0;
	const void *p = nftnl_expr_is_set(e, a) ? nftnl_expr_get(e, a, &n) : NULL;
	if (!p)
		return;
	if (n > 16)
		n = 16;
	memcpy(dst, p, n);
	if (len && n > *len)
		*len = (uint8_t)n;
}

static const char *const nop_exprs[] = {"counter", "log", "limit", "quota", "notrack", "dynset",
					"objref", "connlimit", "last", "masq", "snat"};

static int conv_expr(struct nftnl_expr *e, void *data)
{
	struct conv *cv = data;
	if (grow((void **)&cv->ex, &cv->cap, cv->n, sizeof *cv->ex)) {
		cv->err = PS_ERR_NOMEM;
		return -1;
	}
	struct ps_fw_expr *x = &cv->ex[cv->n];
	memset(x, 0, sizeof *x);
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	if (!name)
		name = "?";
	x->op = PS_FWX_UNKNOWN;
	if (strcmp(name, "payload") == 0) {
		if (nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG)) {
			x->op = PS_FWX_PAYLOAD;
			x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_PAYLOAD_DREG);
			x->a = eu32(e, NFTNL_EXPR_PAYLOAD_BASE);
			x->b = eu32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
			x->c = eu32(e, NFTNL_EXPR_PAYLOAD_LEN);
		} else {
			x->op = PS_FWX_NOP;
		}
	} else if (strcmp(name, "meta") == 0) {
		x->op = nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG) ? PS_FWX_META : PS_FWX_NOP;
		x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_META_DREG);
		x->a = eu32(e, NFTNL_EXPR_META_KEY);
	} else if (strcmp(name, "ct") == 0) {
		x->op = nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG) ? PS_FWX_CT : PS_FWX_NOP;
		x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_CT_DREG);
		x->a = eu32(e, NFTNL_EXPR_CT_KEY);
		x->b = nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR) ? nftnl_expr_get_u8(e, NFTNL_EXPR_CT_DIR) : 0xff;
	} else if (strcmp(name, "cmp") == 0) {
		x->op = PS_FWX_CMP;
		x->sreg = (uint8_t)eu32(e, NFTNL_EXPR_CMP_SREG);
		x->cmpop = (uint8_t)eu32(e, NFTNL_EXPR_CMP_OP);
		edata(e, NFTNL_EXPR_CMP_DATA, x->data, &x->len);
	} else if (strcmp(name, "bitwise") == 0) {
		x->op = PS_FWX_BITWISE;
		x->sreg = (uint8_t)eu32(e, NFTNL_EXPR_BITWISE_SREG);
		x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_BITWISE_DREG);
		x->c = eu32(e, NFTNL_EXPR_BITWISE_LEN);
		x->a = eu32(e, NFTNL_EXPR_BITWISE_OP);
		edata(e, NFTNL_EXPR_BITWISE_MASK, x->data, &x->len);
		edata(e, NFTNL_EXPR_BITWISE_XOR, x->data2, NULL);
		if (x->c > 16)
			x->c = 16;
	} else if (strcmp(name, "range") == 0) {
		x->op = PS_FWX_RANGE;
		x->sreg = (uint8_t)eu32(e, NFTNL_EXPR_RANGE_SREG);
		x->cmpop = (uint8_t)eu32(e, NFTNL_EXPR_RANGE_OP);
		edata(e, NFTNL_EXPR_RANGE_FROM_DATA, x->data, &x->len);
		edata(e, NFTNL_EXPR_RANGE_TO_DATA, x->data2, NULL);
	} else if (strcmp(name, "lookup") == 0) {
		x->op = PS_FWX_LOOKUP;
		x->sreg = (uint8_t)eu32(e, NFTNL_EXPR_LOOKUP_SREG);
		x->dreg = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) ? (uint8_t)eu32(e, NFTNL_EXPR_LOOKUP_DREG) : 0xff;
		x->flags = eu32(e, NFTNL_EXPR_LOOKUP_FLAGS);
		x->str = sdup(cv->rs, nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
		if (!x->str)
			x->op = PS_FWX_UNKNOWN;
	} else if (strcmp(name, "immediate") == 0) {
		x->op = PS_FWX_IMM;
		x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_IMM_DREG);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
			x->verdict = (int32_t)eu32(e, NFTNL_EXPR_IMM_VERDICT);
			if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
				x->str = sdup(cv->rs, nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
		} else {
			edata(e, NFTNL_EXPR_IMM_DATA, x->data, &x->len);
		}
	} else if (strcmp(name, "nat") == 0) {
		x->op = PS_FWX_NAT;
		x->a = eu32(e, NFTNL_EXPR_NAT_TYPE);
		x->b = eu32(e, NFTNL_EXPR_NAT_FAMILY);
		x->regs[0] = (uint8_t)eu32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN);
		x->regs[2] = (uint8_t)eu32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN);
		x->flags = (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN) ? 1u : 0) |
			   (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN) ? 2u : 0);
	} else if (strcmp(name, "redir") == 0) {
		x->op = PS_FWX_REDIR;
		x->regs[2] = (uint8_t)eu32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN);
		x->flags = nftnl_expr_is_set(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN) ? 2u : 0;
	} else if (strcmp(name, "reject") == 0) {
		x->op = PS_FWX_REJECT;
		x->a = eu32(e, NFTNL_EXPR_REJECT_TYPE);
	} else if (strcmp(name, "fib") == 0) {
		x->op = PS_FWX_FIB;
		x->dreg = (uint8_t)eu32(e, NFTNL_EXPR_FIB_DREG);
		x->a = eu32(e, NFTNL_EXPR_FIB_RESULT);
		x->b = eu32(e, NFTNL_EXPR_FIB_FLAGS);
	} else if (strcmp(name, "match") == 0 || strcmp(name, "target") == 0) {
		bool m = name[0] == 'm';
		x->op = m ? PS_FWX_MATCH : PS_FWX_TARGET;
		x->str = sdup(cv->rs, nftnl_expr_get_str(e, m ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME));
		x->rev = eu32(e, m ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV);
		uint32_t n = 0;
		const void *p = nftnl_expr_is_set(e, m ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO)
					? nftnl_expr_get(e, m ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO, &n)
					: NULL;
		if (p && n) {
			x->info = bdup(cv->rs, p, n);
			x->info_len = x->info ? n : 0;
		}
		if (!x->str)
			x->str = "?";
	} else {
		for (size_t i = 0; i < sizeof nop_exprs / sizeof nop_exprs[0]; i++)
			if (strcmp(name, nop_exprs[i]) == 0)
				x->op = PS_FWX_NOP;
	}
	if (x->op == PS_FWX_UNKNOWN || x->op == PS_FWX_NOP)
		x->str = sdup(cv->rs, name);
	cv->n++;
	return 0;
}

static const char *rule_comment(struct ps_fw_ruleset *rs, const struct nftnl_rule *r)
{
	uint32_t n = 0;
	const uint8_t *u = nftnl_rule_is_set(r, NFTNL_RULE_USERDATA) ? nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &n) : NULL;
	/* TLVs: type (1), len (1), value; NFTNL_UDATA_RULE_COMMENT = 0 */
	for (uint32_t i = 0; u && i + 2 <= n;) {
		uint8_t t = u[i], l = u[i + 1];
		if (i + 2u + l > n)
			break;
		if (t == 0 && l > 0)
			return ps_arena_strndup(fw_arena(rs), (const char *)u + i + 2, strnlen((const char *)u + i + 2, l));
		i += 2u + l;
	}
	return NULL;
}

/* netlink attributes with our own bounds checks: cb(type, payload, len) */
static bool attr_walk(const uint8_t *p, size_t len, bool (*cb)(void *ctx, uint16_t type, const uint8_t *v, size_t n),
		      void *ctx)
{
	size_t off = 0;
	while (len - off >= 4) {
		uint16_t al, at;
		memcpy(&al, p + off, 2);
		memcpy(&at, p + off + 2, 2);
		if (al < 4 || al > len - off)
			return false;
		if (!cb(ctx, (uint16_t)(at & NLA_TYPE_MASK), p + off + 4, al - 4u))
			return false;
		off += NLA_ALIGN(al);
		if (off > len)
			break;
	}
	return true;
}

static bool has_name(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	if (type == NFTA_EXPR_NAME) {
		if (n == 0 || v[n - 1] != 0 || v[0] == 0)
			return false;
		*(bool *)ctx = true;
	}
	return true;
}

static bool expr_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	(void)ctx;
	if (type != NFTA_LIST_ELEM)
		return true;
	bool named = false;
	return attr_walk(v, n, has_name, &named) && named;
}

static bool rule_attr_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	(void)ctx;
	if (type == NFTA_RULE_EXPRESSIONS)
		return attr_walk(v, n, expr_ok, NULL);
	return true;
}

/* a set element's own expressions (NFTA_SET_ELEM_EXPR: one; _EXPRESSIONS: a list) */
static bool elem_attr_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	(void)ctx;
	if (type == NFTA_SET_ELEM_EXPR) {
		bool named = false;
		return attr_walk(v, n, has_name, &named) && named;
	}
	if (type == NFTA_SET_ELEM_EXPRESSIONS)
		return attr_walk(v, n, expr_ok, NULL);
	return true;
}

static bool elems_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	(void)ctx;
	return type != NFTA_LIST_ELEM || attr_walk(v, n, elem_attr_ok, NULL);
}

static bool setelem_attr_ok(void *ctx, uint16_t type, const uint8_t *v, size_t n)
{
	(void)ctx;
	return type != NFTA_SET_ELEM_LIST_ELEMENTS || attr_walk(v, n, elems_ok, NULL);
}

/* libnftnl 1.2.4 trusts that every expression has a name (a missing
 * NFTA_EXPR_NAME crashes it, in a rule or in a set element: found by
 * fuzzing); check before handing over */
static bool msg_ok(const struct nlmsghdr *nlh, bool (*cb)(void *, uint16_t, const uint8_t *, size_t))
{
	size_t hl = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	if (nlh->nlmsg_len < hl)
		return false;
	const uint8_t *p = (const uint8_t *)nlh + NLMSG_ALIGN(hl);
	size_t n = nlh->nlmsg_len > NLMSG_ALIGN(hl) ? nlh->nlmsg_len - NLMSG_ALIGN(hl) : 0;
	return attr_walk(p, n, cb, NULL);
}

static bool rule_msg_ok(const struct nlmsghdr *nlh)
{
	return msg_ok(nlh, rule_attr_ok);
}

static int on_rule(struct ps_fw_ruleset *rs, const struct nlmsghdr *nlh)
{
	if (!rule_msg_ok(nlh)) {
		rs->nskipped++;
		return 0;
	}
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return PS_ERR_NOMEM;
	int rc = 0;
	struct conv cv = {.rs = rs};
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0 || !nftnl_rule_is_set(r, NFTNL_RULE_TABLE) ||
	    !nftnl_rule_is_set(r, NFTNL_RULE_CHAIN)) {
		rs->nskipped++;
		goto out;
	}
	struct ps_fw_chain *c = find_chain_mut(rs, (uint8_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
					       nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
					       nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	if (!c) {
		rs->nskipped++;
		goto out;
	}
	nftnl_expr_foreach(r, conv_expr, &cv);
	if ((rc = cv.err))
		goto out;
	if ((rc = grow((void **)&c->rules, &c->cap, c->nrules, sizeof *c->rules)))
		goto out;
	struct ps_fw_rule *x = &c->rules[c->nrules];
	x->handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ? nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) : 0;
	x->comment = rule_comment(rs, r);
	x->nex = cv.n;
	x->ex = NULL;
	if (cv.n) {
		x->ex = ps_arena_alloc(fw_arena(rs), cv.n * sizeof *cv.ex);
		if (!x->ex) {
			rc = PS_ERR_NOMEM;
			goto out;
		}
		memcpy(x->ex, cv.ex, cv.n * sizeof *cv.ex);
	}
	c->nrules++;
out:
	free(cv.ex);
	nftnl_rule_free(r);
	return rc;
}

int ps_fw_parse(struct ps_fw_ruleset *rs, const uint8_t *buf, size_t len)
{
	if (!fw_arena(rs))
		return PS_ERR_NOMEM;
	size_t off = 0;
	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nh;
		memcpy(&nh, buf + off, sizeof nh);
		if (nh.nlmsg_len < sizeof nh || nh.nlmsg_len > len - off)
			return PS_ERR_TRUNC;
		/* libnftnl reads the header in place: hand it an aligned copy */
		const struct nlmsghdr *nlh = (const void *)(buf + off);
		uint8_t *copy = NULL;
		if (((uintptr_t)nlh & 3u) != 0) {
			copy = malloc(nh.nlmsg_len);
			if (!copy)
				return PS_ERR_NOMEM;
			memcpy(copy, buf + off, nh.nlmsg_len);
			nlh = (const void *)copy;
		}
		int rc = 0;
		if (nh.nlmsg_type >> 8 == NFNL_SUBSYS_NFTABLES &&
		    nh.nlmsg_len >= NLMSG_LENGTH(sizeof(struct nfgenmsg))) {
			rs->nmsgs++;
			switch (nh.nlmsg_type & 0xff) {
			case NFT_MSG_NEWTABLE: rc = on_table(rs, nlh); break;
			case NFT_MSG_NEWCHAIN: rc = on_chain(rs, nlh); break;
			case NFT_MSG_NEWSET: rc = on_set(rs, nlh); break;
			case NFT_MSG_NEWSETELEM: rc = on_setelem(rs, nlh); break;
			case NFT_MSG_NEWRULE: rc = on_rule(rs, nlh); break;
			default: rs->nskipped++; break;
			}
		}
		free(copy);
		if (rc)
			return rc;
		size_t step = NLMSG_ALIGN(nh.nlmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
	return PS_OK;
}

/* ---- interval folding ---- */

static int rawcmp(const void *a, const void *b)
{
	const struct fw_raw_elem *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	/* at the same key an interval end sorts before a start */
	bool xe = x->flags & NFT_SET_ELEM_INTERVAL_END, ye = y->flags & NFT_SET_ELEM_INTERVAL_END;
	return (int)ye - (int)xe;
}

/* big-endian n-byte decrement; false on underflow */
static bool be_dec(uint8_t *k, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (k[i]--)
			return true;
	}
	return false;
}

static int add_elem(struct ps_fw_ruleset *rs, struct ps_fw_set *s, const struct fw_raw_elem *r,
		    const uint8_t *hi, size_t klen)
{
	int rc = grow((void **)&s->elems, &s->cap, s->nelems, sizeof *s->elems);
	if (rc)
		return rc;
	struct ps_fw_elem *e = &s->elems[s->nelems];
	memset(e, 0, sizeof *e);
	e->lo = bdup(rs, r->key, klen);
	e->hi = bdup(rs, hi, klen);
	if (!e->lo || !e->hi)
		return PS_ERR_NOMEM;
	e->data = r->data;
	e->has_verdict = r->has_verdict;
	e->verdict = r->verdict;
	e->chain = r->chain;
	s->nelems++;
	return 0;
}

static int fold_set(struct ps_fw_ruleset *rs, struct ps_fw_set *s)
{
	struct fw_raw_elem *raw = s->raw;
	size_t klen = s->key_len;
	if (klen == 0 || klen > PS_FW_KEYMAX || s->nraw == 0)
		return 0;
	bool interval = (s->flags & NFT_SET_INTERVAL) != 0;
	bool concat_iv = false;
	for (size_t i = 0; i < s->nraw; i++)
		if (raw[i].has_end)
			concat_iv = true;
	if (!interval || concat_iv) {
		for (size_t i = 0; i < s->nraw; i++) {
			if (raw[i].klen != klen || (raw[i].flags & NFT_SET_ELEM_INTERVAL_END))
				continue;
			const uint8_t *hi = raw[i].has_end && raw[i].kelen == klen ? raw[i].key_end : raw[i].key;
			int rc = add_elem(rs, s, &raw[i], hi, klen);
			if (rc)
				return rc;
		}
		return 0;
	}
	qsort(raw, s->nraw, sizeof *raw, rawcmp);
	for (size_t i = 0; i < s->nraw; i++) {
		if (raw[i].klen != klen || (raw[i].flags & NFT_SET_ELEM_INTERVAL_END))
			continue;
		uint8_t hi[PS_FW_KEYMAX];
		memset(hi, 0xff, klen);
		for (size_t j = i + 1; j < s->nraw; j++) {
			if (raw[j].klen != klen)
				continue;
			if (raw[j].flags & NFT_SET_ELEM_INTERVAL_END) {
				memcpy(hi, raw[j].key, klen);
				if (!be_dec(hi, klen))
					memset(hi, 0, klen);
				break;
			}
			/* a start without an end before the next start: a single key */
			memcpy(hi, raw[i].key, klen);
			break;
		}
		int rc = add_elem(rs, s, &raw[i], hi, klen);
		if (rc)
			return rc;
	}
	return 0;
}

int ps_fw_parse_finish(struct ps_fw_ruleset *rs)
{
	for (size_t i = 0; i < rs->nsets; i++) {
		struct ps_fw_set *s = &rs->sets[i];
		int rc = fold_set(rs, s);
		free(s->raw);
		s->raw = NULL;
		s->nraw = s->rawcap = 0;
		if (rc)
			return rc;
	}
	return PS_OK;
}
