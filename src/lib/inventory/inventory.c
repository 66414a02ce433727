/* inventory.c - ps_inventory_collect: runs the sources for each namespace,
 * the owner walk in parallel with the current namespace's dump, joins them,
 * and records in inv->sources / inv->warnings what was used and skipped. */
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/arena.h"
#include "util/sys.h"

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

void ps_inv_opts_init(struct ps_inv_opts *o)
{
	memset(o, 0, sizeof *o);
	o->protos = PS_P_TCP | PS_P_UDP;
	o->proc_root = "/proc";
}

static bool kernel_at_least(const char *release, int maj, int min)
{
	int a = 0, b = 0;
	if (sscanf(release, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

static const char *errname(int e)
{
	static __thread char tmp[64];
	if (e == ENOENT)
		return "not available in this kernel";
	snprintf(tmp, sizeof tmp, "%s", strerror(e));
	return tmp;
}

struct ctx {
	const struct ps_inv_opts *o;
	struct ps_inventory *inv;
	struct ps_walk *walk;
	uint32_t cur_ns;
	int dump_err; /* PS_ERR_* of the current-namespace dump */
};

static uint32_t udp_states(uint32_t states)
{
	if (!states)
		return ~0u;
	uint32_t u = states & ((1u << PS_ST_ESTABLISHED) | (1u << PS_ST_CLOSE));
	if (states & (1u << PS_ST_LISTEN))
		u |= 1u << PS_ST_CLOSE;
	return u;
}

static void add_src(struct ps_inventory *inv, const char *name, uint32_t ns, bool ok, uint32_t rows,
		    const char *detail)
{
	struct ps_source_info *s = ps_inventory_add_source(inv, name, inv->netns[ns].inode);
	if (!s)
		return;
	s->ok = ok;
	s->rows = rows;
	if (detail)
		snprintf(s->detail, sizeof s->detail, "%s", detail);
}

static void filter_states_procfs(struct ps_inventory *inv, size_t from, uint32_t states)
{
	if (!states)
		return;
	size_t k = from;
	for (size_t i = from; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		uint32_t st = s->proto == PS_PROTO_TCP ? states : udp_states(states);
		if (s->proto == PS_PROTO_PACKET || ((st >> s->state) & 1u))
			inv->socks[k++] = *s;
	}
	inv->nsocks = k;
}

/* --source both: rows [a, mid) came from sock_diag, [mid, end) from /proc/net.
 * A /proc/net row that sock_diag also listed (same inode; same 4-tuple for
 * inode-0 time-wait sockets) is folded into it; the rest stay, seen by one
 * view only (what `portsec hidden` reports as a view mismatch). */
static int by_inode(const void *x, const void *y, void *ctx)
{
	const struct ps_inventory *inv = ctx;
	const struct ps_socket *a = &inv->socks[*(const uint32_t *)x];
	const struct ps_socket *b = &inv->socks[*(const uint32_t *)y];
	return a->inode < b->inode ? -1 : a->inode > b->inode;
}

static bool same_tuple(const struct ps_socket *a, const struct ps_socket *b)
{
	return a->proto == b->proto && a->family == b->family && a->lport == b->lport &&
	       a->rport == b->rport && memcmp(a->laddr, b->laddr, 16) == 0 &&
	       memcmp(a->raddr, b->raddr, 16) == 0;
}

static void merge_views(struct ps_inventory *inv, size_t a, size_t mid)
{
	size_t nd = mid - a;
	uint32_t *idx = malloc((nd ? nd : 1) * sizeof *idx);
	if (!idx)
		return;
	for (size_t i = 0; i < nd; i++)
		idx[i] = (uint32_t)(a + i);
	qsort_r(idx, nd, sizeof *idx, by_inode, inv);
	size_t k = mid;
	for (size_t i = mid; i < inv->nsocks; i++) {
		struct ps_socket *p = &inv->socks[i];
		struct ps_socket *hit = NULL;
		if (p->inode) {
			size_t lo = 0, hi = nd;
			while (lo < hi) {
				size_t m = (lo + hi) / 2;
				uint64_t v = inv->socks[idx[m]].inode;
				if (v == p->inode) {
					hit = &inv->socks[idx[m]];
					break;
				}
				if (v < p->inode)
					lo = m + 1;
				else
					hi = m;
			}
		} else {
			for (size_t q = a; q < mid && !hit; q++)
				if (!inv->socks[q].inode && same_tuple(&inv->socks[q], p))
					hit = &inv->socks[q];
		}
		if (hit && hit->proto == p->proto) {
			hit->sources |= PS_SRC_PROCFS;
			continue;
		}
		inv->socks[k++] = *p;
	}
	inv->nsocks = k;
	free(idx);
}

/* sockets in use per the kernel's counters (/proc/net/sockstat{,6}): sizes
 * the row array once instead of growing it by doubling (page faults and
 * copies are a measurable share of a 100k-socket listing) */
static size_t sockstat_estimate(const char *proc_root, unsigned protos)
{
	static const char *const files[] = {"sockstat", "sockstat6"};
	size_t total = 0;
	for (size_t f = 0; f < 2; f++) {
		char path[128], buf[1024];
		snprintf(path, sizeof path, "%s/thread-self/net/%s", proc_root, files[f]);
		if (ps_read_small_at(AT_FDCWD, path, buf, sizeof buf) <= 0)
			continue;
		/* "TCP: inuse N orphan N tw N ...", "UDP: inuse N ...", "RAW: inuse N" */
		for (char *line = buf, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			bool want = ((protos & PS_P_TCP) && strncmp(line, "TCP", 3) == 0) ||
				    ((protos & PS_P_UDP) && strncmp(line, "UDP:", 4) == 0) ||
				    ((protos & PS_P_UDP) && strncmp(line, "UDP6:", 5) == 0) ||
				    ((protos & PS_P_RAW) && strncmp(line, "RAW", 3) == 0);
			if (!want)
				continue;
			for (const char *p = line; *p; p++)
				if ((strncmp(p, " inuse ", 7) == 0 && (p += 7)) ||
				    (strncmp(p, " tw ", 4) == 0 && (p += 4)))
					total += strtoul(p, NULL, 10);
		}
	}
	return total;
}

/* an exact presize from the kernel's socket counts (PS_VEC would double
 * past it: 100k rows would cost twice their memory) */
static void reserve_rows(struct ps_inventory *inv, size_t extra)
{
	size_t want = inv->nsocks + extra + extra / 16 + 64;
	if (want <= inv->socks_cap || want > (1u << 26))
		return;
	struct ps_socket *n = realloc(inv->socks, want * sizeof *n);
	if (n) {
		inv->socks = n;
		inv->socks_cap = want;
	}
}

/* every requested source of the calling thread's current netns */
static int dump_ns(const struct ps_inv_opts *o, struct ps_inventory *inv, uint32_t ns)
{
	reserve_rows(inv, sockstat_estimate(o->proc_root, o->protos ? o->protos : PS_P_TCP | PS_P_UDP));
	size_t first_row = inv->nsocks, procfs_first = inv->nsocks;
	const char *pr = o->proc_root;
	unsigned protos = o->protos ? o->protos : (PS_P_TCP | PS_P_UDP);
	bool v4 = !o->families || (o->families & 1), v6 = !o->families || (o->families & 2);
	uint32_t states = o->states;
	uint32_t tstates = states ? states : ~0u;
	if (!inv->bound_inactive_view)
		tstates &= ~(1u << PS_ST_BOUND_INACTIVE);
	int any_ok = 0, perm = 0;
	char detail[160];

	if (o->crosscheck && inv->netns[ns].current)
		ps_sockstat_read(pr, &inv->counters_before);
	if (o->source != PS_INV_PROCFS) {
		int err = 0;
		struct ps_diag *nl = ps_diag_open(o->diag_via_libc, &err);
		if (!nl) {
			snprintf(detail, sizeof detail, "netlink socket: %s", strerror(err));
			add_src(inv, "sock_diag", ns, false, 0, detail);
			ps_inventory_warn(inv, "sock_diag unavailable (%s); no listing from it%s",
					  strerror(err),
					  o->source == PS_INV_BOTH ? "" : " (try --source procfs)");
			if (err == EPERM || err == EACCES)
				perm = 1;
		} else {
			static const struct { unsigned bit; uint8_t proto; const char *name; } P[] = {
				{PS_P_TCP, PS_PROTO_TCP, "tcp"},
				{PS_P_UDP, PS_PROTO_UDP, "udp"},
				{PS_P_RAW, PS_PROTO_RAW, "raw"},
			};
			for (size_t p = 0; p < 3; p++) {
				if (!(protos & P[p].bit))
					continue;
				for (int f = 0; f < 2; f++) {
					if ((f == 0 && !v4) || (f == 1 && !v6))
						continue;
					int fam = f == 0 ? AF_INET : AF_INET6;
					size_t before = inv->nsocks;
					int kerr = 0;
					uint32_t st = P[p].proto == PS_PROTO_TCP ? tstates
						      : udp_states(states);
					int r = ps_diag_dump(nl, inv, ns, P[p].proto, fam, st, &kerr);
					char nm[40];
					snprintf(nm, sizeof nm, "sock_diag %s%s", P[p].name, f ? "6" : "");
					if (r == PS_OK) {
						add_src(inv, nm, ns, true, (uint32_t)(inv->nsocks - before), NULL);
						any_ok = 1;
						continue;
					}
					inv->nsocks = before; /* no half dumps */
					snprintf(detail, sizeof detail, "%s",
						 r == PS_ERR_SYS ? errname(kerr) : ps_strerror(r));
					add_src(inv, nm, ns, false, 0, detail);
					if (P[p].proto == PS_PROTO_RAW && kerr == ENOENT &&
					    o->source == PS_INV_SOCKDIAG) {
						/* said openly: raw rows come from /proc/net here */
						const char *kind = f ? "raw6" : "raw";
						int e2 = 0;
						size_t b2 = inv->nsocks;
						int r2 = ps_procfs_read(inv, ns, pr, kind, false, &e2);
						char nm2[40];
						snprintf(nm2, sizeof nm2, "/proc/net/%s", kind);
						add_src(inv, nm2, ns, r2 == PS_OK, (uint32_t)(inv->nsocks - b2),
							r2 == PS_OK ? "kernel has no raw_diag: raw sockets read from /proc/net"
								    : strerror(e2));
						if (r2 != PS_OK)
							inv->nsocks = b2;
						else
							any_ok = 1;
					} else {
						ps_inventory_warn(inv, "%s failed: %s", nm, detail);
					}
				}
			}
			if (protos & PS_P_PACKET) {
				size_t before = inv->nsocks;
				int kerr = 0;
				int r = ps_diag_dump(nl, inv, ns, PS_PROTO_PACKET, AF_PACKET, 0, &kerr);
				if (r == PS_OK) {
					add_src(inv, "sock_diag packet", ns, true,
						(uint32_t)(inv->nsocks - before), NULL);
					any_ok = 1;
				} else {
					inv->nsocks = before;
					snprintf(detail, sizeof detail, "%s",
						 r == PS_ERR_SYS ? errname(kerr) : ps_strerror(r));
					add_src(inv, "sock_diag packet", ns, false, 0, detail);
					ps_inventory_warn(inv, "sock_diag packet failed: %s", detail);
				}
			}
			ps_diag_close(nl);
		}
	}
	if (o->crosscheck && inv->netns[ns].current)
		ps_sockstat_read(pr, &inv->counters_after);
	procfs_first = inv->nsocks;
	if (o->source == PS_INV_PROCFS || o->source == PS_INV_BOTH) {
		static const struct { unsigned bit; const char *kind; int fam; } K[] = {
			{PS_P_TCP, "tcp", 4}, {PS_P_TCP, "tcp6", 6}, {PS_P_UDP, "udp", 4},
			{PS_P_UDP, "udp6", 6}, {PS_P_RAW, "raw", 4}, {PS_P_RAW, "raw6", 6},
			{PS_P_PACKET, "packet", 0},
		};
		for (size_t k = 0; k < sizeof K / sizeof K[0]; k++) {
			if (!(protos & K[k].bit) || (K[k].fam == 4 && !v4) || (K[k].fam == 6 && !v6))
				continue;
			int e = 0;
			size_t before = inv->nsocks;
			int r = ps_procfs_read(inv, ns, pr, K[k].kind, o->procfs_via_libc, &e);
			char nm[40];
			snprintf(nm, sizeof nm, "/proc/net/%s", K[k].kind);
			if (r == PS_OK) {
				filter_states_procfs(inv, before, states);
				add_src(inv, nm, ns, true, (uint32_t)(inv->nsocks - before), NULL);
				any_ok = 1;
			} else {
				inv->nsocks = before;
				if (r == PS_ERR_PROTO)
					snprintf(detail, sizeof detail, "malformed line %d", e);
				else
					snprintf(detail, sizeof detail, "%s", strerror(e));
				add_src(inv, nm, ns, false, 0, detail);
				ps_inventory_warn(inv, "%s unreadable: %s", nm, detail);
				if (e == EACCES || e == EPERM)
					perm = 1;
			}
		}
	}
	if (o->source == PS_INV_BOTH)
		merge_views(inv, first_row, procfs_first);
	/* interface names of this namespace (for bound devices, packet sockets) */
	struct if_nameindex *ifs = if_nameindex();
	if (ifs) {
		for (struct if_nameindex *i = ifs; i->if_index && i->if_name; i++)
			ps_inventory_add_iface(inv, ns, i->if_index, i->if_name);
		if_freenameindex(ifs);
	}
	/* and its addresses (which namespace a scanned address belongs to) */
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr)
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				ps_inventory_add_addr(inv, ns, AF_INET,
						      (const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
			else if (i->ifa_addr->sa_family == AF_INET6)
				ps_inventory_add_addr(inv, ns, AF_INET6,
						      (const uint8_t *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr);
		}
		freeifaddrs(ifa);
	}
	if (!any_ok)
		return perm ? PS_ERR_PERM : PS_ERR_SYS;
	return PS_OK;
}

/* the parallel phase: item 0 dumps the current namespace, the rest walk pids */
static void phase1(void *p, size_t i, int tid)
{
	struct ctx *c = p;
	if (i == 0) {
		if (c->o->ns_mode != PS_NS_NAMED)
			c->dump_err = dump_ns(c->o, c->inv, c->cur_ns);
		return;
	}
	if (c->walk)
		ps_walk_item(c->walk, i - 1, tid);
}

/* enter namespace idx, dump it, come back */
static int dump_other(const struct ps_inv_opts *o, struct ps_inventory *inv, uint32_t idx,
		      int nsfd_given, int selffd, bool quiet_perm)
{
	struct ps_netns *ns = &inv->netns[idx];
	int fd = nsfd_given >= 0 ? nsfd_given : ps_netns_open_fd(inv, idx, o->proc_root);
	if (fd < 0) {
		if (quiet_perm && (errno == EACCES || errno == EPERM))
			return PS_ERR_PERM;
		ps_inventory_warn(inv, "netns %llu%s%s%s: cannot open: %s", (unsigned long long)ns->inode,
				  ns->name[0] ? " (" : "", ns->name, ns->name[0] ? ")" : "",
				  strerror(errno));
		return errno == EACCES || errno == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		int e = errno;
		if (nsfd_given < 0)
			close(fd);
		if (quiet_perm && e == EPERM)
			return PS_ERR_PERM;
		ps_inventory_warn(inv, "netns %llu%s%s%s: cannot enter: %s%s",
				  (unsigned long long)ns->inode, ns->name[0] ? " (" : "", ns->name,
				  ns->name[0] ? ")" : "", strerror(e),
				  e == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return e == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	}
	if (nsfd_given < 0)
		close(fd);
	int r = dump_ns(o, inv, idx);
	if (setns(selffd, CLONE_NEWNET) != 0) {
		/* cannot happen unless the kernel misbehaves; never go on in the wrong netns */
		ps_inventory_warn(inv, "could not return to the original netns: %s", strerror(errno));
		return PS_ERR_SYS;
	}
	if (r == PS_OK)
		inv->netns[idx].entered = true;
	return r;
}

struct nsadd {
	struct ps_inventory *inv;
};

static void add_proc_ns(void *p, uint64_t inode, int pid)
{
	struct nsadd *a = p;
	int f = ps_inventory_find_netns(a->inv, inode);
	if (f >= 0) {
		if (!a->inv->netns[f].holder_pid)
			a->inv->netns[f].holder_pid = pid;
		a->inv->netns[f].nprocs++;
		return;
	}
	struct ps_netns ns;
	memset(&ns, 0, sizeof ns);
	ns.inode = inode;
	ns.holder_pid = pid;
	ns.found_via = "process";
	ns.nprocs = 1;
	ps_inventory_add_netns(a->inv, &ns, NULL);
}

/* the netns fd of a socket held as pid/fd, or -1.  The pidfd of the last pid
 * is kept: the walk hands out a process's sockets one after another. */
static __thread int cached_pid = -1, cached_pidfd = -1;

static void socket_netns_reset(void)
{
	if (cached_pidfd >= 0)
		close(cached_pidfd);
	cached_pid = cached_pidfd = -1;
}

static int socket_netns(int pid, int fd)
{
	if (pid != cached_pid) {
		socket_netns_reset();
		cached_pid = pid;
		cached_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	if (cached_pidfd < 0)
		return -1;
	int sfd = (int)syscall(SYS_pidfd_getfd, cached_pidfd, fd, 0);
	if (sfd < 0)
		return -1;
	int nsfd = ioctl(sfd, SIOCGSKNS);
	close(sfd);
	return nsfd;
}

/* bounded in count and time (the caller's listing may have skipped states,
 * so sockets of known namespaces can be unmatched too) */
#define SKNS_MAX_PROBES 300000
#define SKNS_MAX_SECONDS 3.0

static double mono(void)
{
	return ps_mono_ms() / 1e3;
}

/* sockets whose inode no dump listed: ask the kernel which netns they live
 * in (pidfd_getfd + SIOCGSKNS); namespaces only sockets keep alive show up */
struct skns {
	const struct ps_inv_opts *o;
	struct ps_inventory *inv;
	int selffd;
	unsigned probes, limit, found, denied;
	double deadline;
	bool stopped;
};

static bool probe_unmatched(void *p, int pid, int fd, uint64_t inode)
{
	struct skns *c = p;
	(void)inode;
	if (c->probes++ >= c->limit || ((c->probes & 1023) == 0 && mono() > c->deadline)) {
		c->stopped = true;
		return false;
	}
	int nsfd = socket_netns(pid, fd);
	if (nsfd < 0) {
		if (errno == EPERM)
			c->denied++;
		return true;
	}
	struct stat st;
	if (fstat(nsfd, &st) != 0 || ps_inventory_find_netns(c->inv, st.st_ino) >= 0) {
		close(nsfd);
		return true;
	}
	struct ps_netns ns;
	memset(&ns, 0, sizeof ns);
	ns.inode = st.st_ino;
	ns.dev = st.st_dev;
	ns.found_via = "socket";
	uint32_t idx;
	if (ps_inventory_add_netns(c->inv, &ns, &idx) == PS_OK) {
		c->found++;
		dump_other(c->o, c->inv, idx, nsfd, c->selffd, false);
	}
	close(nsfd);
	return true;
}

struct skfind {
	uint64_t want;
	int nsfd;
	unsigned probes;
	double deadline;
};

/* the netns fd of a socket held as pid/fd, or -1 */
static bool find_socket_ns(void *p, int pid, int fd, uint64_t inode)
{
	struct skfind *c = p;
	(void)inode;
	if (c->probes++ >= SKNS_MAX_PROBES || ((c->probes & 1023) == 0 && mono() > c->deadline))
		return false;
	int nsfd = socket_netns(pid, fd);
	if (nsfd < 0)
		return true;
	struct stat st;
	if (fstat(nsfd, &st) == 0 && st.st_ino == c->want) {
		c->nsfd = nsfd;
		return false;
	}
	close(nsfd);
	return true;
}

static void walk_item_cb(void *w, size_t i, int tid)
{
	ps_walk_item(w, i, tid);
}

static int find_named(struct ps_inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->nnetns; i++)
		if (inv->netns[i].name[0] && strcmp(inv->netns[i].name, name) == 0)
			return (int)i;
	char *end;
	unsigned long long ino = strtoull(name, &end, 10);
	if (*name && !*end)
		return ps_inventory_find_netns(inv, ino);
	return -1;
}

int ps_inventory_collect(const struct ps_inv_opts *o, struct ps_inventory **out)
{
	*out = NULL;
	struct ps_inventory *inv = ps_inventory_new();
	if (!inv)
		return PS_ERR_NOMEM;
	snprintf(inv->proc_root, sizeof inv->proc_root, "%s", o->proc_root ? o->proc_root : "/proc");
	const char *pr = inv->proc_root;
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(inv->kernel, sizeof inv->kernel, "%s", u.release);
	inv->bound_inactive_view = kernel_at_least(inv->kernel, 6, 9);
	inv->child_pidns = ps_netns_child_pidns(pr);

	struct ps_netns self;
	memset(&self, 0, sizeof self);
	if (ps_netns_self(pr, &self.inode, &self.dev) != PS_OK) {
		ps_inventory_free(inv);
		return PS_ERR_SYS;
	}
	self.current = true;
	self.found_via = "self";
	uint32_t cur;
	if (ps_inventory_add_netns(inv, &self, &cur) != PS_OK) {
		ps_inventory_free(inv);
		return PS_ERR_NOMEM;
	}
	ps_netns_scan_files(inv); /* names (and, for --all-netns, more namespaces) */

	int selffd = -1;
	char selfpath[128];
	snprintf(selfpath, sizeof selfpath, "%s/thread-self/ns/net", pr);
	if (o->ns_mode != PS_NS_CURRENT) {
		selffd = open(selfpath, O_RDONLY | O_CLOEXEC);
		if (selffd < 0) {
			ps_inventory_free(inv);
			return PS_ERR_SYS;
		}
	}

	int ret = PS_OK;
	struct ps_walk *walk = NULL;
	bool need_walk = o->owners || o->ns_mode != PS_NS_CURRENT;
	bool ns_only = o->ns_procs_only && o->ns_mode == PS_NS_ALL && !o->owners && !o->crosscheck;
	if (need_walk) {
		int err = 0;
		walk = ps_walk_new(pr, o->ns_mode != PS_NS_CURRENT, &err);
		if (!walk)
			ps_inventory_warn(inv, "cannot read %s: %s; no owners", pr, strerror(err));
		else if (o->crosscheck)
			ps_walk_want_bpf(walk);
		if (walk && ns_only)
			ps_walk_ns_only(walk);
	}

	/* -N NAME: resolve; digits may name a namespace only a process lives in */
	int named = -1;
	if (o->ns_mode == PS_NS_NAMED) {
		named = find_named(inv, o->ns_name ? o->ns_name : "");
		if (named < 0 && walk) {
			/* look through processes' namespaces (walk them first) */
			ps_parallel_for(ps_walk_count(walk), o->threads > 0 ? o->threads : 2,
					walk_item_cb, walk);
			struct nsadd a = {inv};
			ps_walk_each_netns(walk, add_proc_ns, &a);
			named = find_named(inv, o->ns_name ? o->ns_name : "");
			if (named < 0) {
				/* an inode only a socket keeps alive: ask each socket */
				struct skfind sf = {.want = strtoull(o->ns_name ? o->ns_name : "0", NULL, 10),
						    .nsfd = -1, .deadline = mono() + SKNS_MAX_SECONDS};
				if (sf.want)
					ps_walk_each_unmatched(walk, inv, find_socket_ns, &sf);
				socket_netns_reset();
				if (sf.nsfd >= 0) {
					struct ps_netns ns;
					memset(&ns, 0, sizeof ns);
					ns.inode = sf.want;
					ns.found_via = "socket";
					uint32_t idx = 0;
					ps_inventory_add_netns(inv, &ns, &idx);
					ret = dump_other(o, inv, idx, sf.nsfd, selffd, false);
					close(sf.nsfd);
					goto join;
				}
				ps_walk_free(walk);
				close(selffd);
				ps_inventory_free(inv);
				return PS_ERR_NOTFOUND;
			}
			ret = dump_other(o, inv, (uint32_t)named, -1, selffd, false);
			goto join;
		}
		if (named < 0) {
			ps_walk_free(walk);
			close(selffd);
			ps_inventory_free(inv);
			return PS_ERR_NOTFOUND;
		}
		ret = dump_other(o, inv, (uint32_t)named, -1, selffd, false);
	}

	{
		int nthreads = o->threads > 0 ? o->threads : ps_ncpu();
		if (nthreads > 4)
			nthreads = 4;
		struct ctx c = {.o = o, .inv = inv, .walk = walk, .cur_ns = cur};
		size_t items = 1 + (walk ? ps_walk_count(walk) : 0);
		ps_parallel_for(items, nthreads, phase1, &c);
		if (o->ns_mode != PS_NS_NAMED)
			ret = c.dump_err;
		else if (walk) {
			struct nsadd a = {inv};
			ps_walk_each_netns(walk, add_proc_ns, &a);
		}
	}

	if (o->ns_mode == PS_NS_ALL) {
		if (walk) {
			struct nsadd a = {inv};
			ps_walk_each_netns(walk, add_proc_ns, &a);
		}
		size_t known = inv->nnetns;
		unsigned nperm = 0;
		for (size_t i = 0; i < known; i++) {
			if (i == cur)
				continue;
			if (dump_other(o, inv, (uint32_t)i, -1, selffd, true) == PS_ERR_PERM)
				nperm++;
		}
		if (nperm)
			ps_inventory_warn(inv, "%u network namespace%s not listed: permission denied (entering another namespace needs CAP_SYS_ADMIN; run as root)",
					  nperm, nperm == 1 ? "" : "s");
		inv->netns[cur].entered = true;
		if (walk && ns_only) {
			struct ps_source_info *si = ps_inventory_add_source(inv, "proc ns walk", 0);
			if (si) { /* said, not silent: the cheap view skips one way of finding namespaces */
				si->ok = true;
				si->rows = (uint32_t)ps_walk_count(walk);
				snprintf(si->detail, sizeof si->detail,
					 "processes' ns/net only; namespaces only a socket keeps alive not looked for");
			}
			ps_walk_free(walk);
			walk = NULL;
		} else if (walk) {
			/* namespaces that only a socket keeps alive */
			int r = ps_walk_join(walk, inv);
			if (r == PS_OK) {
				struct skns sk = {.o = o, .inv = inv, .selffd = selffd,
						  .limit = SKNS_MAX_PROBES, .deadline = mono() + SKNS_MAX_SECONDS};
				ps_walk_each_unmatched(walk, inv, probe_unmatched, &sk);
				socket_netns_reset();
				if (sk.stopped)
					ps_inventory_warn(inv, "stopped looking for namespaces only sockets keep alive after %u sockets (bound: %d sockets, %.0f s)",
							  sk.probes - 1, SKNS_MAX_PROBES, SKNS_MAX_SECONDS);
				if (sk.denied)
					ps_inventory_warn(inv, "%u sockets' namespaces could not be checked (pidfd_getfd: permission denied)",
							  sk.denied);
			}
		}
	} else if (ret == PS_OK && o->ns_mode == PS_NS_CURRENT) {
		inv->netns[cur].entered = true;
	}

join:
	if (walk) {
		int r = ps_walk_join(walk, inv);
		if (r != PS_OK)
			ret = r;
		if (r == PS_OK && o->crosscheck && ps_walk_export(walk, inv, 1u << 20) != PS_OK)
			ret = PS_ERR_NOMEM;
		char d[160];
		snprintf(d, sizeof d, "%u processes, %u unreadable", inv->walk_procs, inv->walk_denied);
		struct ps_source_info *si = ps_inventory_add_source(inv, "proc fd walk", 0);
		if (si) {
			si->ok = true;
			si->rows = (uint32_t)inv->nowners;
			snprintf(si->detail, sizeof si->detail, "%s", d);
		}
		if (inv->walk_denied)
			ps_inventory_warn(inv, "%u processes' file descriptors could not be read (permission denied); their sockets show no owner",
					  inv->walk_denied);
		ps_walk_free(walk);
	} else {
		for (size_t i = 0; i < inv->nsocks; i++)
			inv->socks[i].owner_note = PS_ON_NOT_WALKED;
	}
	if (o->owners)
		ps_load_users(inv);
	if (!inv->bound_inactive_view && (o->protos & PS_P_TCP) &&
	    (!o->states || (o->states & (1u << PS_ST_BOUND_INACTIVE))))
		ps_inventory_warn(inv, "bound-but-inactive TCP sockets are not visible on kernel %s (needs 6.9 or later)",
				  inv->kernel);
	if (selffd >= 0)
		close(selffd);
	*out = inv; /* with ret != PS_OK too: its sources and warnings say what failed */
	return ret == PS_ERR_PERM && inv->nsocks ? PS_OK : ret;
}

/* ---- details (exe, cmdline, cgroup) for owners of kept rows ---- */

struct dctx {
	struct ps_inventory *inv;
	uint32_t *which;
	int procfd;
	pthread_mutex_t mu;
};

static char *keep_str(struct dctx *c, const char *s, size_t n)
{
	pthread_mutex_lock(&c->mu);
	char *r = ps_arena_strndup(c->inv->arena, s, n);
	pthread_mutex_unlock(&c->mu);
	return r;
}

static void load_one(void *p, size_t i, int tid)
{
	(void)tid;
	struct dctx *c = p;
	struct ps_proc *pr = &c->inv->procs[c->which[i]];
	char path[64];
	char lk[4096];
	snprintf(path, sizeof path, "%d/exe", pr->pid);
	long l = ps_sys_readlinkat(c->procfd, path, lk, sizeof lk - 1);
	if (l > 0) {
		lk[l] = '\0';
		static const char del[] = " (deleted)";
		if ((size_t)l > sizeof del - 1 && strcmp(lk + l - (sizeof del - 1), del) == 0) {
			pr->exe_deleted = true; /* the flag says it; the path stays a path */
			l -= (long)(sizeof del - 1);
			lk[l] = '\0';
		}
		pr->exe = keep_str(c, lk, (size_t)l);
	}
	snprintf(path, sizeof path, "%d/cmdline", pr->pid);
	char *buf = NULL;
	size_t len = 0;
	if (ps_read_file_at(c->procfd, path, &buf, &len, 128 * 1024) == PS_OK) {
		len = ps_cmdline_clean(buf, len);
		if (len)
			pr->cmdline = keep_str(c, buf, len);
		free(buf);
	}
	snprintf(path, sizeof path, "%d/cgroup", pr->pid);
	if (ps_read_file_at(c->procfd, path, &buf, &len, 64 * 1024) == PS_OK) {
		char cg[512], unit[256], cont[160];
		ps_cgroup_parse(buf, len, cg, sizeof cg, unit, sizeof unit, cont, sizeof cont);
		if (cg[0])
			pr->cgroup = keep_str(c, cg, strlen(cg));
		if (unit[0])
			pr->unit = keep_str(c, unit, strlen(unit));
		if (cont[0])
			pr->container = keep_str(c, cont, strlen(cont));
		free(buf);
	}
	pr->details = true;
}

int ps_inventory_load_details(struct ps_inventory *inv, const bool *keep, int threads)
{
	if (!inv->nprocs)
		return PS_OK;
	bool *want = calloc(inv->nprocs, sizeof *want);
	uint32_t *which = malloc(inv->nprocs * sizeof *which);
	if (!want || !which) {
		free(want);
		free(which);
		return PS_ERR_NOMEM;
	}
	for (size_t i = 0; i < inv->nsocks; i++) {
		if (keep && !keep[i])
			continue;
		const struct ps_socket *s = &inv->socks[i];
		for (uint32_t k = 0; k < s->owner_count; k++)
			want[inv->owners[s->owner_first + k].proc] = true;
	}
	size_t n = 0;
	for (size_t i = 0; i < inv->nprocs; i++)
		if (want[i] && !inv->procs[i].details)
			which[n++] = (uint32_t)i;
	free(want);
	long pfd = ps_sys_openat(AT_FDCWD, inv->proc_root, O_RDONLY | O_DIRECTORY);
	if (pfd < 0) {
		free(which);
		return PS_ERR_SYS;
	}
	struct dctx c = {.inv = inv, .which = which, .procfd = (int)pfd};
	pthread_mutex_init(&c.mu, NULL);
	ps_parallel_for(n, threads > 0 ? threads : ps_ncpu(), load_one, &c);
	pthread_mutex_destroy(&c.mu);
	ps_sys_close((int)pfd);
	free(which);
	return PS_OK;
}
