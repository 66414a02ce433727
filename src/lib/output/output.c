/* output.c - the formatter registry and shared formatting helpers */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "out_internal.h"

/* the views whose formatters are one function with a json switch */
static int info_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_info(b, false, d->q, d->nq, d->a, d->db, d->sys, o);
}
static int info_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_info(b, true, d->q, d->nq, d->a, d->db, d->sys, o);
}
static int report_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_report(b, false, d->ctx, d->a, d->db, o);
}
static int report_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_report(b, true, d->ctx, d->a, d->db, o);
}
static int rules_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_fw_rules(b, false, d->rules, o);
}
static int rules_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_fw_rules(b, true, d->rules, o);
}
static int change_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_fw_change(b, false, d->change, o);
}
static int change_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_fw_change(b, true, d->change, o);
}
static int hidden_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_hidden(b, false, d->hidden, o);
}
static int hidden_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return ps_out_hidden(b, true, d->hidden, o);
}
#define SCAN_FMT(fn, name)                                                                          \
	static int fn(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)    \
	{                                                                                           \
		(void)o;                                                                            \
		return ps_out_scan(b, name, d->scan, d->db, d->meta);                               \
	}
SCAN_FMT(scan_normal, "normal")
SCAN_FMT(scan_xml, "xml")
SCAN_FMT(scan_grepable, "grepable")
SCAN_FMT(scan_jsonl, "jsonl")
SCAN_FMT(scan_json, "json")

static const struct ps_formatter fmts[] = {
	{PS_VIEW_LIST, "table", "aligned columns (the default)", ps_out_list_table},
	{PS_VIEW_LIST, "json", "one JSON document (--json)", ps_out_list_json},
	{PS_VIEW_LIST, "jsonl", "one JSON object per socket (--jsonl)", ps_out_list_jsonl},
	{PS_VIEW_INFO, "text", "what a port is, in words", info_text},
	{PS_VIEW_INFO, "json", "one JSON document", info_json},
	{PS_VIEW_REPORT, "text", "the host report", report_text},
	{PS_VIEW_REPORT, "json", "one JSON document", report_json},
	{PS_VIEW_RULES, "text", "numbered rules with verdicts", rules_text},
	{PS_VIEW_RULES, "json", "one JSON document", rules_json},
	{PS_VIEW_FW_CHANGE, "text", "what changed", change_text},
	{PS_VIEW_FW_CHANGE, "json", "one JSON document", change_json},
	{PS_VIEW_HIDDEN, "text", "findings and checks", hidden_text},
	{PS_VIEW_HIDDEN, "json", "one JSON document", hidden_json},
	{PS_VIEW_SCAN, "normal", "nmap's normal output", scan_normal},
	{PS_VIEW_SCAN, "xml", "nmap XML (nmap.dtd)", scan_xml},
	{PS_VIEW_SCAN, "grepable", "nmap's grepable output", scan_grepable},
	{PS_VIEW_SCAN, "jsonl", "one host per line, then the statistics", scan_jsonl},
	{PS_VIEW_SCAN, "json", "one JSON document", scan_json},
	{PS_VIEW_AUDIT, "text", "findings by severity, with evidence and fixes", ps_out_audit_text},
	{PS_VIEW_AUDIT, "json", "one JSON document (schema portsec-audit/1)", ps_out_audit_json},
	{PS_VIEW_AUDIT, "sarif", "SARIF 2.1.0", ps_out_audit_sarif},
	{PS_VIEW_AUDIT, "junit", "JUnit XML: one test case per check", ps_out_audit_junit},
	{PS_VIEW_AUDIT, "prometheus", "node_exporter textfile metrics", ps_out_audit_prom},
	{PS_VIEW_AUDIT, "html", "one self-contained page: an SVG of the exposure and the findings", ps_out_audit_html},
	{PS_VIEW_MAX, NULL, NULL, NULL},
};

const struct ps_formatter *ps_formatters(void)
{
	return fmts;
}

const struct ps_formatter *ps_formatter_find(enum ps_out_view v, const char *name)
{
	for (const struct ps_formatter *f = fmts; f->name; f++)
		if (f->view == v && strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int ps_out_emit(struct ps_buf *b, enum ps_out_view v, const char *name, const struct ps_out_doc *d,
		const struct ps_out_opts *o)
{
	const struct ps_formatter *f = ps_formatter_find(v, name);
	return f ? f->emit(b, d, o) : PS_ERR_INVAL;
}


const char *ps_ethertype_name(uint16_t proto, char *tmp, size_t cap)
{
	switch (proto) {
	case 0x0003: return "all";
	case 0x0800: return "ip";
	case 0x0806: return "arp";
	case 0x86dd: return "ipv6";
	case 0x888e: return "eapol";
	case 0x88cc: return "lldp";
	case 0x8100: return "802.1q";
	case 0x0000: return "none";
	}
	snprintf(tmp, cap, "0x%04x", proto);
	return tmp;
}

const char *ps_ipproto_name(uint16_t proto, char *tmp, size_t cap)
{
	switch (proto) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 50: return "esp";
	case 58: return "ipv6-icmp";
	case 89: return "ospf";
	case 112: return "vrrp";
	case 132: return "sctp";
	case 255: return "raw";
	}
	snprintf(tmp, cap, "ipproto-%u", proto);
	return tmp;
}

const char *ps_socket_service(const struct ps_svcdb *db, const struct ps_socket *s)
{
	if (!db || (s->proto != PS_PROTO_TCP && s->proto != PS_PROTO_UDP))
		return NULL;
	unsigned bit = s->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP;
	/* a listener's service is its local port; a client's is the peer's */
	const struct ps_service *sv = ps_svcdb_by_port(db, s->lport, bit);
	if (!sv && !ps_socket_is_listener(s) && s->rport)
		sv = ps_svcdb_by_port(db, s->rport, bit);
	return sv ? sv->name : NULL;
}

#define CHUNK_ROWS 4096

/* one output buffer per thread, each on its own cache lines: their `len`
 * fields are written on every byte and would otherwise share a line */
struct padded_buf {
	_Alignas(128) struct ps_buf b;
	char pad[128 - sizeof(struct ps_buf) % 128];
};

struct rows_job {
	const struct ps_inventory *inv;
	const uint32_t *idx;
	size_t n, base;
	ps_row_fn fn;
	const void *ctx;
	struct padded_buf *bufs;
};

static void rows_chunk(void *p, size_t i, int tid)
{
	(void)tid;
	struct rows_job *j = p;
	size_t from = (j->base + i) * CHUNK_ROWS, to = from + CHUNK_ROWS;
	if (to > j->n)
		to = j->n;
	for (size_t r = from; r < to; r++)
		j->fn(&j->bufs[i].b, j->inv, &j->inv->socks[j->idx[r]], j->ctx);
}

int ps_out_rows(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep, ps_row_fn fn,
		const void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < inv->nsocks; i++)
		n += !keep || keep[i];
	if (n <= CHUNK_ROWS) {
		for (size_t i = 0; i < inv->nsocks; i++)
			if (!keep || keep[i])
				fn(b, inv, &inv->socks[i], ctx);
		return b->err;
	}
	uint32_t *idx = malloc(n * sizeof *idx);
	int nt = ps_ncpu();
	if (nt > 4)
		nt = 4;
	struct padded_buf bufs[4];
	if (!idx)
		return PS_ERR_NOMEM;
	n = 0;
	for (size_t i = 0; i < inv->nsocks; i++)
		if (!keep || keep[i])
			idx[n++] = (uint32_t)i;
	for (int t = 0; t < nt; t++)
		ps_buf_init(&bufs[t].b);
	size_t nchunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
	struct rows_job j = {inv, idx, n, 0, fn, ctx, bufs};
	for (size_t c = 0; c < nchunks && !b->err; c += (size_t)nt) {
		size_t k = nchunks - c < (size_t)nt ? nchunks - c : (size_t)nt;
		j.base = c;
		ps_parallel_for(k, nt, rows_chunk, &j);
		for (size_t t = 0; t < k; t++) {
			if (bufs[t].b.err && !b->err)
				b->err = bufs[t].b.err;
			ps_buf_put(b, bufs[t].b.data, bufs[t].b.len);
			bufs[t].b.len = 0;
		}
	}
	for (int t = 0; t < nt; t++)
		ps_buf_free(&bufs[t].b);
	free(idx);
	return b->err;
}
