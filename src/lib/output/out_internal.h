/* out_internal.h - helpers shared by the formatters */
#ifndef PS_OUT_INTERNAL_H
#define PS_OUT_INTERNAL_H
#include <stdio.h>

#include "portsec/portsec.h"

const char *ps_ethertype_name(uint16_t proto, char *tmp, size_t cap);
const char *ps_ipproto_name(uint16_t proto, char *tmp, size_t cap);
/* service name for a row: its local port if known, else (clients) the peer's */
const char *ps_socket_service(const struct ps_svcdb *db, const struct ps_socket *s);
/* one socket as a JSON object (the `list` contract) */
void ps_json_socket(struct ps_json *j, const struct ps_inventory *inv, const struct ps_socket *s,
		    const struct ps_svcdb *db);
/* the owners of a row: [{pid, fd, comm, exe, exe_deleted, uid, user, cmdline, cgroup, unit, container}] */
void ps_json_owners(struct ps_json *j, const struct ps_inventory *inv, const struct ps_socket *s);
void ps_json_sources(struct ps_json *j, const struct ps_inventory *inv);
void ps_json_warnings(struct ps_json *j, const struct ps_inventory *inv);
void ps_json_netns_obj(struct ps_json *j, const struct ps_netns *ns);

/* format the kept rows with fn, in parallel chunks, appended to b in row
 * order (bounded memory: a few chunks at a time) */
typedef void (*ps_row_fn)(struct ps_buf *b, const struct ps_inventory *inv,
			  const struct ps_socket *s, const void *ctx);
int ps_out_rows(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep, ps_row_fn fn,
		const void *ctx);

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
/* the list view's formatters (out_list.c), registered in output.c */
int ps_out_list_table(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_list_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_list_jsonl(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
/* the audit view's formatters (out_audit.c) */
int ps_out_audit_text(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_audit_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_audit_sarif(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_audit_junit(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_audit_prom(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
int ps_out_audit_html(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o);
/* a Prometheus label value, escaped (\\, ", newline) */
void ps_prom_label(struct ps_buf *b, const char *v);
#endif
