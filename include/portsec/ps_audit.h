/* ps_audit.h - `portsec audit`: which listeners have no reason to be open.
 *
 * Judges the assessment's listeners (the current namespace) against the
 * built-in checks, a policy (ps_policy.h), a baseline and an outside scan,
 * and adds the hidden sweep's findings (--deep).  Every finding carries a
 * check id of docs/checks.md, a severity, evidence and a remediation.
 * Nothing here prints. */
#ifndef PORTSEC_PS_AUDIT_H
#define PORTSEC_PS_AUDIT_H

#include "ps_assess.h"
#include "ps_policy.h"
#include "ps_hidden.h"

/* ---- the baseline: the judged listeners of a moment, as a text file ---- */
struct ps_baseline_entry {
	uint8_t proto, family;
	uint16_t port;
	char addr[48];
	char netns[64];
	char exe[256];  /* "-" when unknown */
	char user[40];
	char scope[12];
	char verdict[16];
	unsigned line;
};
struct ps_baseline {
	struct ps_baseline_entry *e;
	size_t n, cap;
	char saved[32]; /* the time it was saved (UTC, as written) */
};
/* pure: bytes in; PS_ERR_INVAL with *line set on a malformed line */
int ps_baseline_parse(const char *data, size_t len, struct ps_baseline *out, unsigned *line, char *why, size_t whycap);
void ps_baseline_free(struct ps_baseline *b);

/* ---- the outside view: what another machine's scan saw of this host ---- */
struct ps_outside_port {
	uint8_t proto;   /* PS_PROTO_TCP / UDP */
	uint16_t port;
	uint8_t state;   /* enum ps_port_state (open, closed, filtered, open|filtered) */
	char service[32];
};
struct ps_outside {
	char addr[48];   /* the scanned address */
	struct ps_outside_port *p;
	size_t n, cap;
	unsigned hosts;  /* hosts in the file */
};
/* pure: nmap XML (or portsec's -oX) in; the first host that is up */
int ps_outside_parse_xml(const char *data, size_t len, struct ps_outside *out, char *why, size_t whycap);
void ps_outside_free(struct ps_outside *o);

/* ---- the audit ---- */
struct ps_audit_opts {
	const struct ps_policy *policy;        /* NULL: built-in checks only */
	const struct ps_baseline *baseline;    /* NULL: none */
	const struct ps_outside *outside;      /* NULL: none */
	const struct ps_hidden_report *hidden; /* --deep: its findings are added, never silenced */
	const struct ps_fw_own *own;           /* portsec's own table (stale openings); NULL: not read */
	const struct ps_svcdb *db;
	uint32_t unpriv_start;                 /* ip_unprivileged_port_start (1024 when unknown) */
	int64_t now;                           /* unix time (policy expiry) */
};

enum ps_audit_decision { PS_AD_NO_POLICY, PS_AD_ALLOWED, PS_AD_DENIED, PS_AD_NOT_ALLOWED, PS_AD_EXPIRED };

/* one judged listener: a group of the assessment (proto, port, exposure, owner) */
struct ps_audit_listener {
	uint8_t proto, family;
	uint16_t port;
	char addr[48];
	const char *scope;     /* "loopback", "specific", "any" */
	const char *verdict;   /* "local", "open", "restricted", "blocked", "no-firewall", "dnat", "unknown" */
	const char *service;   /* or NULL */
	int32_t pid;
	const char *comm, *exe, *user, *unit, *container; /* NULL when unknown */
	const char *netns;
	const char *reach;     /* the verdict in words */
	const char *decided_by; /* "ip filter ufw-user-input rule 4", or NULL (no table decided) */
	uint8_t decision;      /* enum ps_audit_decision */
	const struct ps_pol_rule *rule; /* the rule that decided, or NULL */
	uint32_t row;          /* the first inventory row */
};

struct ps_audit {
	const struct ps_assessment *a;
	struct ps_audit_listener *l;
	size_t nl, lcap;
	struct ps_finding *findings;  /* highest severity first */
	size_t nfindings, findings_cap;
	unsigned by_severity[4];
	const char *incomplete[8];    /* what could not be checked, in words */
	size_t nincomplete;
	size_t baseline_new, baseline_gone, baseline_changed;
	uint32_t *nofw;               /* listeners reachable with no firewall (indexes of l) */
	size_t nnofw;
	struct ps_arena *arena;
};

int ps_audit_run(const struct ps_assessment *a, const struct ps_audit_opts *o, struct ps_audit **out);
void ps_audit_free(struct ps_audit *au);
const char *ps_audit_decision_name(int d);
/* "local", "open", "restricted", "blocked", "no-firewall", "dnat", "unknown": the most exposed family */
const char *ps_reach_verdict_class(const struct ps_reach *r, bool fw_read);
/* the same as an index 0..PS_VCLASS_N-1, and its name */
#define PS_VCLASS_N 7
int ps_reach_verdict_index(const struct ps_reach *r, bool fw_read);
const char *ps_verdict_class_name(int v);

/* the audit's listeners as a baseline file */
void ps_baseline_write(const struct ps_audit *au, const char *saved_utc, struct ps_buf *b);

/* `portsec policy init`: one commented allow rule per listener */
void ps_policy_init_text(const struct ps_audit *au, struct ps_buf *b);

#endif
