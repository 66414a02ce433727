/* internal.h - what the parts of `portsec hidden` share (private) */
#ifndef PS_HIDDEN_INTERNAL_H
#define PS_HIDDEN_INTERNAL_H

#include "portsec/portsec.h"
#include "portsec/ps_hidden.h"

struct hctx {
	const struct ps_hidden_opts *o;
	struct ps_hidden_report *r;
	struct ps_inventory *inv;  /* first raw look, owners and details (= r->inv) */
	struct ps_inventory *inv2; /* second raw look, no owners (rechecks) */
	uint32_t cur;              /* current netns row index (0) */
	/* rows of inv2 sorted by inode, for lookups */
	uint32_t *idx2;
	size_t nidx2;
	/* fd-walk sockets found by no listing (pid, fd, port) for the bind check */
	struct fdsock { int32_t pid, fd; uint8_t proto, family; uint16_t port; } *fdsocks;
	size_t nfdsocks, fdsocks_cap;
};

/* a finding (NULL when it is info and the run is not verbose) */
struct ps_finding *h_add(struct hctx *c, const char *kind, int sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void h_ev(struct hctx *c, struct ps_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void h_endpoint(struct ps_finding *f, const struct ps_socket *s);
/* owners of a row as evidence lines */
void h_ev_owners(struct hctx *c, struct ps_finding *f, const struct ps_socket *s);
struct ps_check *h_check(struct hctx *c, const char *name);
void h_check_done(struct ps_check *k, bool ok, double t0, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
double h_now_ms(void);
/* findings added since index `from` that are low or above (a check's count) */
unsigned h_count_since(const struct hctx *c, size_t from);
const char *h_basename(const char *path);

/* hidden_proc.c */
void h_packet_raw(struct hctx *c);
void h_processes(struct hctx *c);
void h_preload(struct hctx *c);
void h_libc_procs(struct hctx *c); /* readdir of /proc and fd tables vs raw getdents64 */
/* ebpf.c */
void h_ebpf(struct hctx *c);

#endif
