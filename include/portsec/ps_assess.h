/* ps_assess.h - the judging layer: what the rows mean.
 *
 * Between the views (inventory, firewall, hidden) and the formatters.  One
 * ps_assess() per collection computes, once:
 *   - reach: for every listening row of the current namespace (and every row
 *     the caller asks for), its exposure and its effective inbound verdict
 *     per family, through the whole nftables ruleset, as the documents the
 *     formatters print (struct ps_verdict_doc);
 *   - the host summary: listeners grouped by (proto, port, exposure, owner),
 *     connection counts, other namespaces;
 *   - findings: the built-in rules (pure functions over rows + verdicts),
 *     each with a stable check id (docs/checks.md), a severity, evidence and
 *     a remediation a user can paste.
 * The report, info, rules, audit and watch read these; none recomputes them.
 * Nothing here prints. */
#ifndef PORTSEC_PS_ASSESS_H
#define PORTSEC_PS_ASSESS_H

#include "ps_model.h"
#include "ps_services.h"
#include "ps_fw.h"

/* ---- firewall verdicts as documents (strings the formatters print) ---- */

struct ps_where_doc {
	bool set;                /* false: no table decided (JSON null) */
	const char *family;      /* "inet", "ip", "ip6", ... */
	const char *table, *chain;
	uint64_t handle;         /* rule handle; 0 = the chain's policy */
	char *rule;              /* the deciding rule as nft text; NULL = the policy */
	const char *manager;     /* "nft", "ufw", "docker", "portsec", ... */
	char *text;              /* "inet filter input rule 12" / "... policy" */
};

struct ps_cond_doc {
	char *when;              /* "ip saddr 198.18.0.0/24" */
	const char *result;      /* "accept", "drop", ... */
	bool unknown;
	struct ps_where_doc where;
};

struct ps_verdict_doc {
	int result;              /* enum ps_fw_result */
	const char *result_name;
	char *summary;           /* "reachable from anywhere", "blocked by ..." */
	struct ps_where_doc decided_by;
	char *detail;            /* DNAT target, unknown reason; NULL if none */
	struct ps_cond_doc *conds;
	size_t nconds;
	unsigned chains_evaluated;
	bool nd_blocked;         /* IPv6 only: neighbour discovery is dropped (decided_by names the rule) */
};

/* ---- reach: exposure and the verdict per family of one row ---- */
enum ps_exposure { PS_EXPOSE_ANY = 0, PS_EXPOSE_ADDRESS = 1, PS_EXPOSE_LOOPBACK = 2 };
const char *ps_exposure_name(int e); /* "any", "address", "loopback" */

struct ps_reach {
	bool done;               /* computed for this row */
	uint8_t exposure;        /* enum ps_exposure */
	bool v4, v6;             /* which families can reach the socket */
	const struct ps_verdict_doc *fam[2]; /* IPv4, IPv6 (NULL: not evaluated) */
	char *text;              /* one line: "local only (loopback)", "IPv4: ...; IPv6: ..." */
};

/* ---- the host summary ---- */
struct ps_listener {         /* one (proto, port, exposure, owner) of the current namespace */
	uint8_t proto;
	uint16_t port;
	uint8_t exposure;        /* enum ps_exposure */
	int32_t pid;             /* first owner's pid, 0 if none */
	uint32_t first;          /* its first row */
	uint32_t row0, nrows;    /* its rows: a->lrows[row0 .. row0+nrows) in row order */
};

struct ps_host_counts {
	size_t tcp_established, tcp_inbound, tcp_time_wait, udp_connected, tcp_bound_inactive;
	size_t raw, packet, packet_filtered;
	size_t other_netns, other_netns_listeners;
};

/* the check ids every command uses (docs/checks.md is tested against this) */
struct ps_check_def {
	const char *id;
	const char *module;      /* "report", "hidden", ... */
	uint8_t severity;        /* the highest it reports */
	const char *title;
};
const struct ps_check_def *ps_check_defs(size_t *n);
const struct ps_check_def *ps_check_def(const char *id);

struct ps_assess_opts {
	const struct ps_fw_ruleset *fw; /* NULL: the ruleset was not read */
	const char *fw_error;           /* why not */
	const struct ps_svcdb *db;      /* port knowledge (risky services) */
	const bool *rows;               /* reach also for these rows (NULL: listeners only) */
	const uint16_t *ports;          /* per-port verdicts (info): these ports ... */
	const uint8_t *port_protos;     /* ... of these PS_PROTO_TCP/UDP */
	size_t nports;
};

struct ps_arena;
struct ps_assessment {
	const struct ps_inventory *inv;
	const struct ps_fw_ruleset *fw;
	const char *fw_error;
	uint32_t cur;                   /* the current namespace's index */
	struct ps_reach *reach;         /* one per inventory row */
	struct ps_listener *listeners;  /* sorted: exposure, port, proto */
	size_t nlisteners, listeners_cap;
	uint32_t *lrows;
	struct ps_host_counts counts;
	struct ps_finding *findings;    /* the built-in rules, in report order */
	size_t nfindings, findings_cap;
	unsigned by_severity[4];
	const struct ps_verdict_doc **port_verdicts; /* [2 * i + family] for opts.ports[i] */
	struct ps_arena *arena;
};

int ps_assess(const struct ps_inventory *inv, const struct ps_assess_opts *o, struct ps_assessment **out);
void ps_assess_free(struct ps_assessment *a);

/* ---- pieces the CLI and other layers share ---- */

/* the probe packet of a new connection to a socket's port in one family */
void ps_reach_pkt(struct ps_fw_pkt *p, const struct ps_socket *s, int family);
/* a verdict as a document (strings in the arena) */
const struct ps_verdict_doc *ps_verdict_doc(struct ps_arena *ar, const struct ps_fw_ruleset *rs,
					    const struct ps_fw_verdict *v);
struct ps_arena *ps_assess_arena_new(void);
void ps_assess_arena_free(struct ps_arena *ar);

/* `portsec rules` as a document: portsec's entries with their verdicts,
 * the listeners with their reach, the firewall managers */
struct ps_fw_entry_doc {
	const char *action;      /* "allow" / "deny" */
	const char *proto;       /* "tcp" / "udp" */
	uint16_t lo, hi;
	char *from;              /* "198.18.0.0/24" or NULL */
	const char *iface;       /* or NULL */
	char *text;              /* "8080/tcp ALLOW from anywhere" */
	const struct ps_verdict_doc *effective; /* NULL: not evaluated */
};
struct ps_fw_listener_doc {
	const char *proto;
	char addr[64];
	char endpoint[96];
	uint16_t port;
	const char *reach;
};
struct ps_fw_manager_doc {
	const char *manager, *family, *table;
	bool legacy;
};
struct ps_fw_doc {
	const char *table_name;
	bool exists, enabled;
	struct ps_fw_entry_doc *entries;
	size_t nentries;
	struct ps_fw_listener_doc *listeners;
	size_t nlisteners;
	bool have_listeners;     /* the listeners could be listed */
	struct ps_fw_manager_doc managers[PS_FW_MAX_MANAGERS];
	size_t nmanagers;
	struct ps_arena *arena;
};
/* verdicts[i] belongs to own->e[i] (NULL: not evaluated); inv may be NULL */
int ps_assess_fw_doc(const struct ps_fw_ruleset *rs, const struct ps_fw_own *own,
		     const struct ps_fw_verdict *verdicts, const struct ps_inventory *inv, struct ps_fw_doc *out);
void ps_fw_doc_free(struct ps_fw_doc *d);

/* the result of open/close/enable/disable/rules delete as a document */
struct ps_fw_change_doc {
	bool dry_run, applied, forced, nothing;
	const char *refused;    /* why it was refused (not forced), or NULL */
	char **removed, **added; /* entry texts ("8080/tcp ALLOW from anywhere") */
	size_t nremoved, nadded;
	int set_policy;         /* -1 unchanged, 0 deny, 1 accept */
	bool default_deny;      /* after the change */
	const char *nft;        /* the transaction ("" when nothing changes) */
	const char *persisted;  /* the file written, or NULL */
	const char *error;      /* nftables' or the persistence error, or NULL */
	struct ps_arena *arena;
};
int ps_assess_fw_change(const struct ps_fw_plan *plan, struct ps_fw_change_doc *d);
void ps_fw_change_doc_free(struct ps_fw_change_doc *d);

#endif
