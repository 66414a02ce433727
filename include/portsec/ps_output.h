/* ps_output.h - formatters.  They see only the model (and port knowledge for
 * names); they write into a ps_buf whose sink the caller owns. */
#ifndef PORTSEC_PS_OUTPUT_H
#define PORTSEC_PS_OUTPUT_H

#include "ps_model.h"
#include "ps_services.h"
#include "ps_hidden.h"
#include "ps_assess.h"
#include "ps_scan.h"
#include "ps_audit.h"

struct ps_out_opts {
	bool color;      /* ANSI colour (only on a TTY) */
	bool header;     /* column header line */
	bool processes;  /* owner column (-p) */
	bool netns;      /* netns column */
	bool extended;   /* -e: uid, inode, cookie */
	bool verbose;    /* info/report: explain more */
};

/* `portsec info`: what a port is, what Linux does with it here, who holds it */
struct ps_info_query {
	uint16_t port;
	unsigned protos;           /* PS_P_TCP|PS_P_UDP */
	const char *asked;         /* what the user typed (port or name) */
};
/* a->port_verdicts follow the queries: for each query, tcp then udp when asked */
int ps_out_info(struct ps_buf *b, bool json, const struct ps_info_query *q, size_t nq,
		const struct ps_assessment *a, const struct ps_svcdb *db,
		const struct ps_port_sysctls *sys, const struct ps_out_opts *o);

/* `portsec` (no arguments): the host report, from the assessment */
struct ps_report_ctx {
	const char *hostname;
	const char *kernel;
	const char *time_utc;
};
int ps_out_report(struct ps_buf *b, bool json, const struct ps_report_ctx *ctx,
		  const struct ps_assessment *a, const struct ps_svcdb *db, const struct ps_out_opts *o);

/* `portsec hidden`: findings (highest severity first) and checks */
int ps_out_hidden(struct ps_buf *b, bool json, const struct ps_hidden_report *r,
		  const struct ps_out_opts *o);

/* firewall: the effective verdict (info, rules) and `portsec rules`, from the
 * judging layer's documents */
void ps_out_fw_verdict_json(struct ps_json *j, const struct ps_verdict_doc *v);
void ps_out_fw_verdict_text(struct ps_buf *b, const struct ps_verdict_doc *v, const char *indent, bool verbose);
int ps_out_fw_rules(struct ps_buf *b, bool json, const struct ps_fw_doc *d, const struct ps_out_opts *o);

/* `portsec scan`: format "normal" (nmap-like), "xml" (nmap.dtd 1.05),
 * "grepable", "jsonl" (one host per line, then stats), "json" */
struct ps_scan_meta {
	const char *version;   /* portsec version */
	const char *args;      /* the command line */
	bool reason;           /* --reason: a REASON column */
	bool open_only;        /* --open */
	bool all;              /* --all: no folding */
	bool versions;         /* -sV: VERSION column */
	bool stats;            /* -v: probe statistics */
};
int ps_out_scan(struct ps_buf *b, const char *format, const struct ps_scan_result *r, const struct ps_svcdb *db,
		const struct ps_scan_meta *m);
void ps_out_scan_xml_head(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_scan_meta *m);
int ps_out_fw_change(struct ps_buf *b, bool json, const struct ps_fw_change_doc *d, const struct ps_out_opts *o);

/* `portsec audit`: what the formatters say besides the audit itself */
struct ps_audit_ctx {
	const char *version, *hostname, *kernel;
	const char *time_utc;      /* "2026-12-07 12:00 UTC" */
	const char *time_iso;      /* "2026-12-07T12:00:00Z" */
	int64_t now;
	const char *policy;        /* the file, or NULL */
	const char *policy_text;   /* "FILE (N rules, default deny)" or "none: built-in checks only" */
	size_t policy_rules;
	bool policy_default_deny;
	const char *baseline, *outside; /* files, or NULL */
	int fail_on;               /* severity */
	bool failed;               /* a finding at or above fail_on */
};

/* ---- the formatter registry: every view's formats behind one ops table ---- */
enum ps_out_view {
	PS_VIEW_LIST,      /* list: table, json, jsonl */
	PS_VIEW_INFO,      /* info: text, json */
	PS_VIEW_REPORT,    /* the host report: text, json */
	PS_VIEW_RULES,     /* rules: text, json */
	PS_VIEW_FW_CHANGE, /* open/close/enable/disable: text, json */
	PS_VIEW_HIDDEN,    /* hidden: text, json */
	PS_VIEW_SCAN,      /* scan: normal, xml, grepable, jsonl, json */
	PS_VIEW_AUDIT,     /* audit: text, json, sarif, junit, prometheus, html */
	PS_VIEW_MAX
};
/* what a view's formatters read (each view fills its own fields) */
struct ps_out_doc {
	const struct ps_inventory *inv;   /* list */
	const bool *keep;                 /* list: rows shown (NULL: all) */
	const struct ps_svcdb *db;        /* list, info, report, scan */
	const struct ps_info_query *q;    /* info */
	size_t nq;
	const struct ps_port_sysctls *sys; /* info */
	const struct ps_assessment *a;    /* info, report */
	const struct ps_report_ctx *ctx;  /* report */
	const struct ps_fw_doc *rules;    /* rules */
	const struct ps_fw_change_doc *change; /* fw change */
	const struct ps_hidden_report *hidden; /* hidden */
	const struct ps_scan_result *scan; /* scan */
	const struct ps_scan_meta *meta;  /* scan */
	const struct ps_audit *audit;     /* audit */
	const struct ps_audit_ctx *actx;  /* audit */
};
struct ps_formatter {
	enum ps_out_view view;
	const char *name; /* "text", "json", "table", "xml"... */
	const char *help;
	int (*emit)(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
};
/* every formatter; the list ends with an entry whose name is NULL */
const struct ps_formatter *ps_formatters(void);
const struct ps_formatter *ps_formatter_find(enum ps_out_view v, const char *name);
/* format d as view v in format name; PS_ERR_INVAL for a format the view lacks */
int ps_out_emit(struct ps_buf *b, enum ps_out_view v, const char *name, const struct ps_out_doc *d,
		const struct ps_out_opts *o);


#endif
