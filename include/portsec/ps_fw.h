/* ps_fw.h - the firewall: the nftables ruleset as the kernel holds it, the
 * effective verdict for a port, and portsec's own table (open/close).
 *
 * Reading: every table, chain, set (with elements) and rule of every family
 * is dumped over nf_tables netlink (libmnl + libnftnl) and turned into this
 * model by a pure parser (ps_fw_parse: bytes in, model out; fuzzed).
 *
 * Evaluating: ps_fw_eval runs the rule expressions the way the kernel's
 * nf_tables VM does (registers, payload/meta/ct loads, cmp, bitwise, range,
 * lookup in sets and verdict maps, immediate verdicts, jump/goto/return),
 * over every base chain of the prerouting and input hooks in priority order,
 * for one probe packet: a new connection (ct state new) to a port.  Fields the
 * caller does not fix (source address, interface, daddr of a wildcard
 * listener) are symbolic: a rule that depends on them becomes a *condition*
 * ("accepted from 198.18.0.0/24") instead of a guess.  Anything it cannot
 * evaluate (an xt match it does not decode, a queue verdict) is reported as
 * unknown with the reason.
 *
 * Changing: portsec owns `table inet portsec` (see docs/firewall.md); the
 * changes are planned by pure functions over the entries read back from the
 * kernel and applied as one libnftables transaction. */
#ifndef PORTSEC_PS_FW_H
#define PORTSEC_PS_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_util.h"

/* ---------- the ruleset model ---------- */

/* nfproto numbers, as the kernel uses them */
enum { PS_NFP_INET = 1, PS_NFP_IPV4 = 2, PS_NFP_ARP = 3, PS_NFP_NETDEV = 5, PS_NFP_BRIDGE = 7,
       PS_NFP_IPV6 = 10 };

enum ps_fwx_op {
	PS_FWX_PAYLOAD, PS_FWX_META, PS_FWX_CT, PS_FWX_CMP, PS_FWX_BITWISE, PS_FWX_RANGE,
	PS_FWX_LOOKUP, PS_FWX_IMM, PS_FWX_NAT, PS_FWX_REDIR, PS_FWX_MASQ, PS_FWX_REJECT,
	PS_FWX_FIB, PS_FWX_MATCH /* xt match */, PS_FWX_TARGET /* xt target */,
	PS_FWX_NOP /* counter, log, limit, quota, ... */, PS_FWX_UNKNOWN,
};

struct ps_fw_expr {
	uint8_t op;           /* enum ps_fwx_op */
	uint8_t sreg, dreg;   /* nft register numbers (0 = verdict, 1..4, 8..23) */
	uint8_t cmpop;        /* NFT_CMP_* / NFT_RANGE_* */
	uint32_t a, b, c;     /* payload base/offset/len; meta/ct key; bitwise len; nat type/family */
	uint32_t flags;       /* lookup NFT_LOOKUP_F_INV; nat regs */
	uint8_t len;          /* bytes in data/data2 */
	uint8_t data[16];     /* cmp data, bitwise mask, range from, immediate data */
	uint8_t data2[16];    /* bitwise xor, range to */
	int32_t verdict;      /* immediate verdict (NF_ACCEPT, NF_DROP, NFT_JUMP, ...) */
	uint8_t regs[4];      /* nat: addr min/max, proto min/max registers */
	const char *str;      /* jump/goto chain, set name, xt/unknown expression name */
	const uint8_t *info;  /* xt match/target info blob */
	uint32_t info_len, rev;
};

struct ps_fw_rule {
	uint64_t handle;
	const char *comment;      /* from the rule's userdata, or NULL */
	struct ps_fw_expr *ex;
	size_t nex;
};

struct ps_fw_chain {
	uint8_t family;
	const char *table, *name;
	const char *type;   /* "filter", "nat", "route" or NULL for a regular chain */
	const char *dev;    /* netdev ingress device */
	uint64_t handle;
	bool base;
	int hook;           /* NF_INET_* when base */
	int32_t prio;
	int policy;         /* 1 accept, 0 drop (base chains) */
	struct ps_fw_rule *rules;
	size_t nrules, cap;
};

/* elements are normalised to inclusive ranges [lo, hi] per key (an exact
 * key has lo == hi); interval ends of rbtree sets are folded in */
struct ps_fw_elem {
	const uint8_t *lo, *hi;
	const uint8_t *data;  /* map data (dlen bytes) or NULL */
	int32_t verdict;      /* verdict maps */
	const char *chain;    /* verdict maps: jump/goto target */
	bool has_verdict;
};

struct ps_fw_set {
	uint8_t family;
	const char *table, *name;
	uint32_t id, flags, key_type, key_len, data_type, data_len;
	uint8_t nfields, field_len[16]; /* concatenations */
	struct ps_fw_elem *elems;
	size_t nelems, cap;
	/* raw elements while parsing (interval ends not yet folded) */
	void *raw;
	size_t nraw, rawcap;
};

struct ps_fw_table {
	uint8_t family;
	const char *name;
	uint32_t flags;
	uint64_t handle;
};

struct ps_fw_ruleset {
	struct ps_fw_table *tables;
	size_t ntables, tcap;
	struct ps_fw_chain *chains;
	size_t nchains, ccap;
	struct ps_fw_set *sets;
	size_t nsets, scap;
	void *arena;
	uint32_t nmsgs, nskipped; /* messages read, messages not understood */
	bool legacy_v4, legacy_v6; /* legacy x_tables loaded (/proc/net/ip*_tables_names) */
	char legacy_names[128];
};

void ps_fw_ruleset_init(struct ps_fw_ruleset *rs);
void ps_fw_ruleset_free(struct ps_fw_ruleset *rs);
/* Pure parser: a stream of nf_tables netlink messages (NEWTABLE, NEWCHAIN,
 * NEWSET, NEWSETELEM, NEWRULE, DONE) as dumps return them, in any number of
 * chunks (call repeatedly), then ps_fw_parse_finish once. */
int ps_fw_parse(struct ps_fw_ruleset *rs, const uint8_t *buf, size_t len);
int ps_fw_parse_finish(struct ps_fw_ruleset *rs);
/* Read the ruleset of the current network namespace.  If raw is not NULL
 * the dump bytes are appended to it (captures for tests and fuzzing).
 * PS_ERR_PERM without CAP_NET_ADMIN. */
int ps_fw_read(struct ps_fw_ruleset *rs, struct ps_buf *raw);

const struct ps_fw_chain *ps_fw_find_chain(const struct ps_fw_ruleset *rs, uint8_t family,
					   const char *table, const char *name);
const struct ps_fw_set *ps_fw_find_set(const struct ps_fw_ruleset *rs, uint8_t family,
				       const char *table, const char *name);
const char *ps_fw_family_name(uint8_t family);
/* nft-like text of one rule ("tcp dport 8080 drop"), best effort */
void ps_fw_rule_text(const struct ps_fw_ruleset *rs, const struct ps_fw_chain *c,
		     const struct ps_fw_rule *r, struct ps_buf *b);

/* ---------- the effective verdict ---------- */

struct ps_fw_pkt {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t l4proto;       /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t dport;
	bool have_saddr, have_daddr, have_iif;
	uint8_t saddr[16], daddr[16];
	char iif[16];          /* interface name (loopback if "lo") */
	uint32_t iif_index;
	uint8_t icmp_type;     /* l4proto IPPROTO_ICMPV6: the message type (135 = neighbour solicitation) */
};

enum ps_fw_result { PS_FW_ACCEPT, PS_FW_DROP, PS_FW_DNAT, PS_FW_REDIRECT, PS_FW_UNKNOWN };

/* where a verdict came from */
struct ps_fw_where {
	uint8_t family;
	const char *table, *chain;   /* chain that decided */
	uint64_t handle;             /* rule handle; 0 = the chain's policy */
	const struct ps_fw_rule *rule;
	const struct ps_fw_chain *c;
};

struct ps_fw_cond {
	enum ps_fw_result result;    /* what happens to packets matching cond */
	char cond[160];              /* "ip saddr 198.18.0.0/24", "iifname eth1", "unknown: xt match recent" */
	bool unknown;                /* depends on something not evaluated */
	unsigned base;               /* index of the base chain on the path (0..) */
	struct ps_fw_where where;
};

#define PS_FW_MAX_CONDS 16
struct ps_fw_verdict {
	enum ps_fw_result result;    /* for packets matching none of the conditions */
	struct ps_fw_where where;    /* the rule or policy that decided result */
	char detail[128];            /* DNAT/redirect target, unknown reason */
	struct ps_fw_cond conds[PS_FW_MAX_CONDS];
	size_t nconds;
	bool conds_truncated;
	unsigned chains_seen;        /* base chains evaluated */
	unsigned decided_base;       /* index of the base chain that decided */
	bool any_chain;              /* false: no base chain on the path at all */
	bool nd_blocked;             /* IPv6: the port's rules let it in, neighbour discovery is dropped (where) */
};

/* Evaluate; skip_table (family+name, or NULL) leaves one table out (to ask
 * "what would the others do").  An IPv6 TCP/UDP packet reaches a listener
 * only if the peer can resolve this host's address first: the verdict also
 * runs a neighbour solicitation through the input path, and is a drop
 * (detail says so, where names the rule) when that is dropped. */
int ps_fw_eval(const struct ps_fw_ruleset *rs, const struct ps_fw_pkt *p,
	       const struct ps_fw_table *skip_table, struct ps_fw_verdict *v);
const char *ps_fw_result_name(enum ps_fw_result r);
/* "reachable from anywhere" / "reachable from X" / "blocked by ..." */
void ps_fw_verdict_summary(const struct ps_fw_verdict *v, struct ps_buf *b);
/* "inet filter input rule 12" or "inet filter input policy" */
void ps_fw_where_text(const struct ps_fw_where *w, struct ps_buf *b);

/* ---------- other managers ---------- */

enum ps_fw_manager_kind { PS_FWM_UFW, PS_FWM_FIREWALLD, PS_FWM_DOCKER, PS_FWM_IPTABLES_NFT,
			  PS_FWM_IPTABLES_LEGACY, PS_FWM_NFT, PS_FWM_PORTSEC };
struct ps_fw_manager {
	enum ps_fw_manager_kind kind;
	uint8_t family;
	const char *table;
};
#define PS_FW_MAX_MANAGERS 32
/* which managers own which tables (one entry per table; legacy iptables once) */
size_t ps_fw_managers(const struct ps_fw_ruleset *rs, struct ps_fw_manager *out, size_t max);
const char *ps_fw_manager_name(enum ps_fw_manager_kind k);
/* the manager owning table family/name */
enum ps_fw_manager_kind ps_fw_table_manager(const struct ps_fw_ruleset *rs, uint8_t family,
					    const char *table);
/* the command a user of that manager would run to allow proto/port */
void ps_fw_manager_hint(enum ps_fw_manager_kind k, const struct ps_fw_where *w, const char *proto,
			uint16_t lo, uint16_t hi, bool allow, struct ps_buf *b);

/* ---------- portsec's own table ---------- */

#define PS_FW_TABLE "portsec"

enum ps_fw_action { PS_FW_ALLOW, PS_FW_DENY };

/* one user rule: an element of one of portsec's sets */
struct ps_fw_entry {
	enum ps_fw_action action;
	uint8_t proto;         /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t lo, hi;       /* port range */
	bool have_src;
	struct ps_cidr src;    /* source network (family decides the set) */
	char iface[16];        /* "" = any */
};

struct ps_fw_own {
	bool exists;           /* the table is in the kernel */
	bool enabled;          /* input policy drop (default deny) */
	struct ps_fw_entry *e;
	size_t n, cap;
};
void ps_fw_own_free(struct ps_fw_own *o);
/* the entries of table inet portsec in rs */
int ps_fw_own_from_ruleset(const struct ps_fw_ruleset *rs, struct ps_fw_own *o);
/* rules order for `portsec rules`: deny before allow, then proto, port, src, iface */
void ps_fw_own_sort(struct ps_fw_own *o);
/* one entry as ufw-like text: "8000:8100/tcp ALLOW from 198.18.0.0/24 on eth1" */
void ps_fw_entry_text(const struct ps_fw_entry *e, struct ps_buf *b);

/* A planned change: element deletions and additions, in nft syntax, for one
 * transaction.  Pure: computed from the current entries. */
struct ps_fw_plan {
	struct ps_fw_entry *del, *add;
	size_t ndel, nadd, dcap, acap;
	bool create_table;      /* the table does not exist yet */
	int set_policy;         /* -1 unchanged, 0 drop (enable), 1 accept (disable) */
	bool delete_table;
};
void ps_fw_plan_free(struct ps_fw_plan *p);
/* open: remove denies covering the request (same qualifiers), add the allow
 * unless an allow already covers it (merging touching ranges). */
int ps_fw_plan_open(const struct ps_fw_own *o, const struct ps_fw_entry *req, struct ps_fw_plan *p);
/* close: remove every allow overlapping the request (splitting ranges), add a
 * deny unless one covers it. */
int ps_fw_plan_close(const struct ps_fw_own *o, const struct ps_fw_entry *req, struct ps_fw_plan *p);
/* the state after applying plan p to o (for verification and persistence) */
int ps_fw_own_apply_plan(const struct ps_fw_own *o, const struct ps_fw_plan *p, struct ps_fw_own *out);
bool ps_fw_plan_empty(const struct ps_fw_plan *p);
/* nft script of the plan (one transaction) */
void ps_fw_plan_script(const struct ps_fw_plan *p, struct ps_buf *b);
/* the whole table as an nft script that replaces any existing one (persistence) */
void ps_fw_own_script(const struct ps_fw_own *o, struct ps_buf *b);
/* is port/proto allowed by the own table for everyone (no src/iface)? */
bool ps_fw_own_allows(const struct ps_fw_own *o, uint8_t proto, uint16_t port);

/* the plan that turns state `from` into `to` (element diff, policy, table) */
int ps_fw_plan_diff(const struct ps_fw_own *from, const struct ps_fw_own *to, struct ps_fw_plan *p);
int ps_fw_own_copy(const struct ps_fw_own *o, struct ps_fw_own *out);
/* does entry e apply to proto/port from src (NULL: from anywhere)?  iface is
 * not considered */
bool ps_fw_entry_covers(const struct ps_fw_entry *e, uint8_t proto, uint16_t port, const struct ps_cidr *src);
/* SSH_CONNECTION ("client_ip client_port server_ip server_port") */
int ps_fw_parse_ssh_connection(const char *s, struct ps_cidr *client, uint16_t *server_port);

/* Apply an nft script as one transaction through libnftables.  err gets the
 * library's message on failure.  dry_run checks it without committing. */
int ps_fw_nft_run(const char *script, bool dry_run, struct ps_buf *err);
/* Write the persistent file atomically: temp file in the same directory,
 * fsync, rename, fsync of the directory.  PORTSEC_FAULT=after-fsync kills the
 * process between fsync and rename (crash tests). */
int ps_fw_persist(const char *path, const char *data, size_t len);
/* default path of the persistent ruleset (PORTSEC_FW_FILE overrides) */
const char *ps_fw_persist_path(void);

/* ---- ruleset changes as they happen (portsec watch) ---- */
struct ps_fw_change {
	uint32_t genid;        /* the ruleset generation after the change */
	int32_t pid;           /* the process that committed it */
	char comm[32];         /* its name */
};
struct ps_fw_monitor;
int ps_fw_monitor_open(struct ps_fw_monitor **out); /* PS_ERR_PERM without CAP_NET_ADMIN */
int ps_fw_monitor_fd(const struct ps_fw_monitor *m);
/* deliver the committed transactions queued now; PS_ERR_TRUNC: messages were lost */
int ps_fw_monitor_read(struct ps_fw_monitor *m, void (*cb)(void *ctx, const struct ps_fw_change *c), void *ctx);
void ps_fw_monitor_close(struct ps_fw_monitor *m);

#endif
