/* ps_inventory.h - the inside view: which sockets exist, who holds them.
 *
 * Sources (each reported in inv->sources, none used silently in place of
 * another):
 *   - NETLINK_SOCK_DIAG (libmnl): tcp, udp (v4/v6, all states incl.
 *     bound-inactive on kernels that have it), packet (with classic filters);
 *     raw sockets when the kernel has raw_diag;
 *   - /proc/net/{tcp,udp,raw,packet}{,6} read with raw syscalls: the second,
 *     independent view, and the openly-named source for raw sockets on
 *     kernels without raw_diag;
 *   - one walk of /proc/PID/fd for owners (parallel over CPUs);
 *   - network namespaces from /proc/PID/ns/net, /run/netns,
 *     /run/docker/netns and SIOCGSKNS on sockets whose namespace is unknown.
 */
#ifndef PORTSEC_PS_INVENTORY_H
#define PORTSEC_PS_INVENTORY_H

#include "ps_model.h"

enum ps_ns_mode {
	PS_NS_CURRENT = 0, /* the namespace we run in (ss's view) */
	PS_NS_ALL,         /* every namespace we can find */
	PS_NS_NAMED,       /* one namespace: /run/netns name, docker:<id>, or inode */
};

enum ps_inv_source {
	PS_INV_SOCKDIAG = 0, /* netlink, raw sockets from /proc/net where no raw_diag */
	PS_INV_PROCFS,       /* /proc/net only (the independent view) */
	PS_INV_BOTH,         /* both, rows merged by inode; sources bits tell who saw what */
};

struct ps_inv_opts {
	unsigned protos;        /* PS_P_* (0 = tcp+udp) */
	unsigned families;      /* bit 0 inet, bit 1 inet6 (0 = both) */
	unsigned states;        /* 1 << enum ps_state (0 = all incl. bound-inactive);
	                         * for UDP/raw, listen means unconnected */
	bool owners;            /* walk /proc/PID/fd */
	bool details;           /* load exe, cmdline, cgroup, unit, container for owners */
	enum ps_ns_mode ns_mode;
	const char *ns_name;
	bool ns_procs_only;     /* PS_NS_ALL without owners: namespaces from /run/netns
	                         * and processes' ns/net only, no fd tables, so not the
	                         * namespaces only a socket keeps alive (said as a
	                         * source; watch's frequent reconciliation) */
	enum ps_inv_source source;
	int threads;            /* 0 = number of CPUs (max 4) */
	bool crosscheck;        /* `hidden`: sockstat counters around the dumps,
	                         * unmatched socket fds and bpf-prog fds of the walk */
	bool diag_via_libc;     /* netlink I/O through libc (libmnl's calls), not raw
	                         * syscalls: the libc view a preload hook can filter */
	bool procfs_via_libc;   /* /proc/net through stdio (fopen/fread), likewise */
	const char *proc_root;  /* "/proc" unless testing */
};

void ps_inv_opts_init(struct ps_inv_opts *o);

/* Collect.  Returns PS_OK with *out set even when some sources failed (see
 * (*out)->sources and ->warnings); PS_ERR_NOTFOUND for an unknown ns_name,
 * PS_ERR_PERM if no source at all could be read for lack of privilege. */
int ps_inventory_collect(const struct ps_inv_opts *o, struct ps_inventory **out);

/* load exe/cmdline/cgroup/unit/container for processes that own a socket
 * selected by keep[] (NULL = all), in parallel. */
int ps_inventory_load_details(struct ps_inventory *inv, const bool *keep, int threads);

/* ---- pure parsers (bytes in, model out; no I/O; fuzzed) ---- */

/* One buffer of netlink messages as read from a sock_diag socket.  Each
 * inet_diag_msg / packet_diag_msg becomes a row of inv in netns index ns.
 * proto is the protocol the dump asked for.  *done is set at NLMSG_DONE.
 * Returns PS_OK, PS_ERR_PROTO (malformed), PS_ERR_SYS with *kerr set when
 * the kernel answered with an error, PS_ERR_NOMEM. */
int ps_sockdiag_parse(struct ps_inventory *inv, uint32_t ns, uint8_t proto,
		      const void *buf, size_t len, bool *done, int *kerr);

/* /proc/net file contents (whole file).  kind: "tcp", "tcp6", "udp", "udp6",
 * "raw", "raw6", "packet".  Rows are appended with PS_SRC_PROCFS.  Returns
 * PS_OK or PS_ERR_INVAL at the first malformed line (*bad_line = its number). */
int ps_procnet_parse(struct ps_inventory *inv, uint32_t ns, const char *kind,
		     const char *buf, size_t len, unsigned *bad_line);

/* /proc/net/sockstat (v6 = false) or sockstat6 (v6 = true) contents into
 * the counters of *out; PS_ERR_INVAL when no known line was found */
int ps_sockstat_parse(const char *buf, size_t len, bool v6, struct ps_sockstat *out);

/* "socket:[12345]" -> 12345 */
bool ps_parse_socket_link(const char *link, size_t len, uint64_t *inode);

/* cgroup file (/proc/PID/cgroup) -> v2 path, systemd unit, container id.
 * Outputs point into caller buffers of the given size ("" when none). */
void ps_cgroup_parse(const char *buf, size_t len, char *path, size_t path_cap,
		     char *unit, size_t unit_cap, char *container, size_t container_cap);

/* /etc/passwd contents -> callback per (uid, name) */
int ps_passwd_parse(const char *buf, size_t len,
		    int (*cb)(void *ctx, uint32_t uid, const char *name, size_t n), void *ctx);

/* cmdline (NUL separated) -> printable, space-joined (in place); returns length */
size_t ps_cmdline_clean(char *buf, size_t len);
/* /proc/self/mountinfo: the mount point of the cgroup v2 hierarchy (the
 * unified one of a hybrid host, e.g. /sys/fs/cgroup/unified), preferring
 * /sys/fs/cgroup; false when there is none (pure) */
bool ps_cgroup2_mount(const char *buf, size_t len, char *dir, size_t cap);

/* ---- listen/bind events (portsec watch): eBPF, src/bpf/watch.bpf.c ---- */
enum { PS_LEV_LISTEN = 1, PS_LEV_CLOSE = 2, PS_LEV_BIND = 3 };
struct ps_listen_ev {
	uint64_t mono_ns;     /* CLOCK_MONOTONIC when the kernel saw it */
	uint64_t cookie;      /* socket cookie (sock_diag's too) */
	uint32_t netns;       /* netns inode (0 for binds: resolve by pid) */
	uint32_t tgid, pid, uid;
	char comm[16];
	uint8_t kind, proto, family;
	uint16_t port;        /* 0: autobound, resolve by cookie */
	uint8_t addr[16];
};
struct ps_listen_src;
/* load and attach; on failure *why says which step and why (PS_ERR_PERM: privilege) */
int ps_listen_src_open_bpf(struct ps_listen_src **out, char *why, size_t cap);
const char *ps_listen_src_name(const struct ps_listen_src *s);
int ps_listen_src_fd(const struct ps_listen_src *s); /* poll/epoll it */
/* deliver what is queued; returns how many, or an error */
int ps_listen_src_consume(struct ps_listen_src *s, void (*cb)(void *ctx, const struct ps_listen_ev *e), void *ctx);
uint64_t ps_listen_src_dropped(const struct ps_listen_src *s); /* ring buffer full */
void ps_listen_src_close(struct ps_listen_src *s);

#endif
