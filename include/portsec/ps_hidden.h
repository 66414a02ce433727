/* ps_hidden.h - `portsec hidden`: sockets and backdoors hidden from the
 * usual tools, found by comparing views of the kernel socket by socket.
 *
 * Views (enum ps_view): sock_diag dumps and /proc/net read with raw
 * syscalls, the /proc/PID/fd walk, the kernel's sockstat counters, the bind
 * sweep over every port (TCP/UDP, IPv4/IPv6), optional loopback connects,
 * and the libc view (the same files and dumps through libc, as ss/netstat
 * read them, where a preload hook filters).  A socket one view has and
 * another lacks is a finding only after a second look agrees (churn is not
 * a rootkit); legitimate one-view cases (bound-only, time-wait, dual-stack,
 * v6-only, REUSEPORT groups, owners out of sight, sockets in flight) are
 * explained as info findings when verbose.
 *
 * Beyond ports: packet and raw sockets with their owners and decoded classic
 * BPF filters, eBPF socket filters and probe_write_user programs, processes
 * whose name does not match their executable or whose executable is gone,
 * /etc/ld.so.preload and LD_PRELOAD, and known backdoor ports (a hint). */
#ifndef PORTSEC_PS_HIDDEN_H
#define PORTSEC_PS_HIDDEN_H

#include "ps_model.h"
#include "ps_probe.h"




struct ps_check {
	const char *name;        /* "bind-sweep", "views", ... */
	bool ok;                 /* ran to completion */
	bool ran;
	bool partial;            /* ran, but part of what it covers was out of reach (privilege) */
	double ms;
	unsigned findings;       /* low and above */
	char detail[256];
};

struct ps_hidden_opts {
	bool bind_probes;        /* the bind sweep (default on) */
	bool probe_reserved;     /* also ports in ip_local_reserved_ports */
	bool connect_probes;     /* loopback connect sweep (off by default) */
	bool libc_view;          /* compare with libc's reads (default on) */
	bool verbose;            /* keep info findings that explain legitimate cases */
	const char *const *allow; /* capture tools the user allows (comm or exe basename) */
	size_t nallow;
	int threads;             /* 0 = CPUs */
	const char *proc_root;   /* "/proc" unless testing */
};
void ps_hidden_opts_init(struct ps_hidden_opts *o);

#define PS_HIDDEN_MAX_CHECKS 16

struct ps_hidden_report {
	struct ps_inventory *inv;        /* raw views, merged, owners loaded */
	struct ps_finding *findings;
	size_t nfindings, cap;
	struct ps_check checks[PS_HIDDEN_MAX_CHECKS];
	size_t nchecks;
	unsigned by_severity[4];
	bool complete;                   /* ps_hidden_complete(), set by ps_hidden_run */
	double ms;
	char kernel[65];
	uint64_t netns_inode;
};

/* Run every check.  PS_OK with *out set even when some checks could not run
 * (their `ok` is false and `detail` says why); PS_ERR_PERM when nothing
 * could be read for lack of privilege. */
int ps_hidden_run(const struct ps_hidden_opts *o, struct ps_hidden_report **out);
void ps_hidden_free(struct ps_hidden_report *r);
/* complete: every check ran to the end and saw all it covers.  Otherwise
 * "no finding" proves nothing: the CLI exits 4 and says what was not seen. */
bool ps_hidden_complete(const struct ps_hidden_report *r);

/* ---- pure pieces (unit-tested, fuzzed) ---- */

/* NUL-separated environment block: the value of name, or NULL */
const char *ps_environ_get(const char *buf, size_t len, const char *name, size_t *vlen);
/* does a process name (comm, or argv[0]'s first word) fit the exe's basename?
 * comm is cut at 15 characters; "python3" fits "python3.11"; a trailing ':'
 * (as in "sshd: user") is ignored. */
bool ps_name_fits_exe(const char *name, size_t n, const char *exe_base);
/* interpreters whose comm is the script's name (python, perl, sh, ...) */
bool ps_exe_is_interpreter(const char *exe_base);
/* /etc/ld.so.preload contents: calls cb per library named (comments and
 * blanks skipped); returns how many */
size_t ps_preload_parse(const char *buf, size_t len, void (*cb)(void *, const char *, size_t),
			void *ctx);
/* the classification of one in-use port (bind sweep) against the listing:
 * true when some listed socket holds that space of the port */
bool ps_port_explained(const struct ps_inventory *inv, uint8_t proto, uint16_t port, bool v6_space,
		       uint32_t netns);

#endif
