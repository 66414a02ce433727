/* internal.h - what the inventory backends share (private to the module) */
#ifndef PS_INV_INTERNAL_H
#define PS_INV_INTERNAL_H

#include "portsec/portsec.h"

struct ps_diag;

/* sock_diag backend (inv_sockdiag.c): raw-syscall I/O, or libc's (the
 * "libc view" that exposes userland hooks) */
struct ps_diag *ps_diag_open(bool via_libc, int *err);
void ps_diag_close(struct ps_diag *d);
/* dump one (family, proto) into inv; returns PS_OK or PS_ERR_SYS with *kerr */
int ps_diag_dump(struct ps_diag *nl, struct ps_inventory *inv, uint32_t ns, uint8_t proto,
		 int family, uint32_t states, int *kerr);

/* procfs backend (inv_procfs.c): /proc/thread-self/net/<kind> of the calling
 * thread's netns */
int ps_procfs_read(struct ps_inventory *inv, uint32_t ns, const char *proc_root,
		   const char *kind, bool via_libc, int *err);
/* /proc/thread-self/net/sockstat{,6} (raw reads) */
int ps_sockstat_read(const char *proc_root, struct ps_sockstat *out);

/* owner walk (inv_owner.c) */
struct ps_walk;
struct ps_walk *ps_walk_new(const char *proc_root, bool want_netns, int *err);
void ps_walk_free(struct ps_walk *w);
size_t ps_walk_count(const struct ps_walk *w);
void ps_walk_item(struct ps_walk *w, size_t i, int tid); /* walk pid #i (thread-safe) */
/* after the walk: attach owners to inv rows; records procs */
int ps_walk_join(struct ps_walk *w, struct ps_inventory *inv);
/* record the walk's eBPF program fds too (set before walking) */
void ps_walk_want_bpf(struct ps_walk *w);
/* read each process's ns/net only, not its fd table (set before walking) */
void ps_walk_ns_only(struct ps_walk *w);
/* after the join: socket fds matching no row, and eBPF program fds, into
 * inv->unmatched / inv->bpffds (bounded by max) */
int ps_walk_export(const struct ps_walk *w, struct ps_inventory *inv, size_t max);
/* netns inodes of walked processes: calls cb(inode, pid) per distinct one */
void ps_walk_each_netns(const struct ps_walk *w, void (*cb)(void *, uint64_t, int), void *ctx);
/* socket fds whose inode matched no row: cb(pid, fd, inode); stops when cb returns false */
void ps_walk_each_unmatched(const struct ps_walk *w, const struct ps_inventory *inv,
			    bool (*cb)(void *, int, int, uint64_t), void *ctx);
int ps_load_users(struct ps_inventory *inv);

/* netns helpers (inv_netns.c) */
int ps_netns_self(const char *proc_root, uint64_t *ino, uint64_t *dev);
void ps_netns_scan_files(struct ps_inventory *inv); /* /run/netns, /run/docker/netns */
int ps_netns_open_fd(const struct ps_inventory *inv, uint32_t idx, const char *proc_root);
bool ps_netns_child_pidns(const char *proc_root);

#endif
