/* ps_output.h - formatters.  They see only the model (and port knowledge for
 * names); they write into a ps_buf whose sink the caller owns. */
#ifndef PORTSEC_PS_OUTPUT_H
#define PORTSEC_PS_OUTPUT_H

#include "ps_model.h"
#include "ps_services.h"
#include "ps_hidden.h"
#include "ps_assess.h"
#include "ps_scan.h"

struct ps_out_opts {
	bool color;      /* ANSI colour (only on a TTY) */
	bool header;     /* column header line */
	bool processes;  /* owner column (-p) */
	bool netns;      /* netns column */
	bool extended;   /* -e: uid, inode, cookie */
	bool verbose;    /* info/report: explain more */
};

/* a socket-list formatter (plug-in point: table, json, jsonl) */
struct ps_list_format {
	const char *name;
	const char *help;
	int (*emit)(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep,
		    const struct ps_svcdb *db, const struct ps_out_opts *o);
};
const struct ps_list_format *ps_list_format_by_name(const char *name);
const struct ps_list_format *const *ps_list_formats(void);

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


#endif
