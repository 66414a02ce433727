/* hidden.c - `portsec hidden`: the cross-view engine (see ps_hidden.h).
 *
 * Order of a run:
 *   1. views: sock_diag + /proc/net (raw syscalls, merged by inode) + the fd
 *      walk, with sockstat read around the dumps          (inv, owners)
 *   2. libc view: the same dumps and files through libc   (invL)
 *   3. a second raw look                                   (inv2)
 *   4. compare: libc vs raw, sock_diag vs /proc/net, fd sockets no listing
 *      has, counters vs rows; every one-sided socket must be one-sided in
 *      both raw looks to count (churn between reads is not a rootkit)
 *   5. bind sweep (and connect sweep): in-use ports no listing explains are
 *      probed and listed again before they are called hidden
 *   6. packet/raw sockets, processes, preload, eBPF, backdoor ports */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/sys.h"

double h_now_ms(void)
{
	return ps_mono_ms();
}

const char *h_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void ps_hidden_opts_init(struct ps_hidden_opts *o)
{
	memset(o, 0, sizeof *o);
	o->bind_probes = true;
	o->libc_view = true;
	o->proc_root = "/proc";
}

/* ---- findings and checks ---- */

__attribute__((format(printf, 2, 0))) static char *vfmt(struct ps_inventory *inv, const char *fmt, va_list ap)
{
	char tmp[1024];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof tmp)
		n = sizeof tmp - 1;
	return ps_inventory_strdup(inv, tmp, (size_t)n);
}

struct ps_finding *h_add(struct hctx *c, const char *kind, int sev, const char *fmt, ...)
{
	if (sev == PS_SEV_INFO && !c->o->verbose)
		return NULL;
	struct ps_hidden_report *r = c->r;
	struct ps_finding *f = ps_finding_push(&r->findings, &r->nfindings, &r->cap, kind, sev);
	if (!f)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	f->summary = vfmt(c->inv, fmt, ap);
	va_end(ap);
	return f;
}

void h_ev(struct hctx *c, struct ps_finding *f, const char *fmt, ...)
{
	if (!f || f->nevidence >= 256)
		return;
	if (PS_VEC_RESERVE(f->evidence, f->evidence_cap, f->nevidence + 1) != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = vfmt(c->inv, fmt, ap);
	va_end(ap);
	if (s)
		f->evidence[f->nevidence++] = s;
}

void h_endpoint(struct ps_finding *f, const struct ps_socket *s)
{
	if (!f)
		return;
	f->has_endpoint = true;
	f->proto = s->proto;
	f->family = s->family;
	f->port = s->lport;
	memcpy(f->addr, s->laddr, 16);
	f->inode = s->inode;
}

void h_ev_owners(struct hctx *c, struct ps_finding *f, const struct ps_socket *s)
{
	if (!f)
		return;
	for (uint32_t k = 0; k < s->owner_count && k < 8; k++) {
		const struct ps_proc *p = ps_socket_owner_proc(c->inv, s, k);
		if (!p)
			continue;
		if (!f->pid)
			f->pid = p->pid;
		h_ev(c, f, "held by pid %d (%s) fd %d, exe %s%s, user %s, cmdline: %s", p->pid, p->comm,
		     c->inv->owners[s->owner_first + k].fd, p->exe ? p->exe : "?",
		     p->exe_deleted ? " (deleted)" : "", ps_inventory_username(c->inv, p->uid),
		     p->cmdline ? p->cmdline : "?");
	}
	if (!s->owner_count) {
		const char *why = ps_owner_note_name(s->owner_note);
		h_ev(c, f, "no process holds it (%s)", why ? why : "none found");
	}
}

struct ps_check *h_check(struct hctx *c, const char *name)
{
	struct ps_hidden_report *r = c->r;
	static struct ps_check spare;
	if (r->nchecks >= PS_HIDDEN_MAX_CHECKS) {
		memset(&spare, 0, sizeof spare);
		return &spare;
	}
	struct ps_check *k = &r->checks[r->nchecks++];
	memset(k, 0, sizeof *k);
	k->name = name;
	return k;
}

void h_check_done(struct ps_check *k, bool ok, double t0, const char *fmt, ...)
{
	k->ran = true;
	k->ok = ok;
	k->ms = h_now_ms() - t0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->detail, sizeof k->detail, fmt, ap);
	va_end(ap);
}

unsigned h_count_since(const struct hctx *c, size_t from)
{
	unsigned n = 0;
	for (size_t i = from; i < c->r->nfindings; i++)
		n += c->r->findings[i].severity >= PS_SEV_LOW;
	return n;
}

/* ---- lookups in the second look ---- */

static int by_inode(const void *a, const void *b, void *ctx)
{
	const struct ps_inventory *inv = ctx;
	uint64_t x = inv->socks[*(const uint32_t *)a].inode;
	uint64_t y = inv->socks[*(const uint32_t *)b].inode;
	return x < y ? -1 : x > y;
}

static void index_inv2(struct hctx *c)
{
	free(c->idx2);
	c->nidx2 = 0;
	c->idx2 = malloc((c->inv2->nsocks + 1) * sizeof *c->idx2);
	if (!c->idx2)
		return;
	for (size_t i = 0; i < c->inv2->nsocks; i++)
		if (c->inv2->socks[i].inode)
			c->idx2[c->nidx2++] = (uint32_t)i;
	qsort_r(c->idx2, c->nidx2, sizeof *c->idx2, by_inode, c->inv2);
}

static const struct ps_socket *find_in(const struct ps_inventory *inv, const uint32_t *idx, size_t n,
				       uint64_t inode)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		uint64_t v = inv->socks[idx[m]].inode;
		if (v == inode)
			return &inv->socks[idx[m]];
		if (v < inode)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

static const struct ps_socket *find_tuple(const struct ps_inventory *inv, const struct ps_socket *s)
{
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *t = &inv->socks[i];
		if (t->proto == s->proto && t->family == s->family && t->lport == s->lport &&
		    t->rport == s->rport && memcmp(t->laddr, s->laddr, 16) == 0 &&
		    memcmp(t->raddr, s->raddr, 16) == 0)
			return t;
	}
	return NULL;
}

static const struct ps_socket *find2(struct hctx *c, const struct ps_socket *s)
{
	if (s->inode)
		return find_in(c->inv2, c->idx2, c->nidx2, s->inode);
	return find_tuple(c->inv2, s);
}

static void fmt_ep(char *dst, size_t cap, const struct ps_socket *s)
{
	ps_fmt_endpoint(dst, cap, s->family, s->laddr, s->lport, false);
}

static struct ps_inventory *look(struct hctx *c, unsigned protos, bool libc, bool crosscheck)
{
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.protos = protos;
	io.source = PS_INV_BOTH;
	io.owners = false;
	io.diag_via_libc = libc;
	io.procfs_via_libc = libc;
	io.crosscheck = crosscheck;
	io.proc_root = c->o->proc_root;
	io.threads = 1;
	struct ps_inventory *inv = NULL;
	if (ps_inventory_collect(&io, &inv) != PS_OK && inv && !inv->nsocks) {
		ps_inventory_free(inv);
		return NULL;
	}
	return inv;
}

static bool source_ok(const struct ps_inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->nsources; i++)
		if (strcmp(inv->sources[i].name, name) == 0)
			return inv->sources[i].ok;
	return false;
}

/* ---- 2. libc view vs raw view ---- */

/* pre_ms: what reading the view took (added to the check's time) */
static void check_libc(struct hctx *c, struct ps_inventory *invL, double pre_ms)
{
	struct ps_check *k = h_check(c, "libc-view");
	double t0 = h_now_ms() - pre_ms;
	size_t from = c->r->nfindings;
	if (!invL) {
		h_check_done(k, false, t0, "the libc reads failed");
		return;
	}
	uint32_t *idxL = malloc((invL->nsocks + 1) * sizeof *idxL);
	size_t nL = 0;
	if (!idxL) {
		h_check_done(k, false, t0, "out of memory");
		return;
	}
	for (size_t i = 0; i < invL->nsocks; i++)
		if (invL->socks[i].inode)
			idxL[nL++] = (uint32_t)i;
	qsort_r(idxL, nL, sizeof *idxL, by_inode, invL);
	unsigned compared = 0, hidden = 0;
	for (size_t i = 0; i < c->inv->nsocks; i++) {
		const struct ps_socket *s = &c->inv->socks[i];
		if (!s->inode)
			continue;
		const struct ps_socket *s2 = find2(c, s);
		if (!s2) /* gone by the second raw look: not comparable */
			continue;
		compared++;
		const struct ps_socket *l = find_in(invL, idxL, nL, s->inode);
		unsigned lsrc = l ? l->sources : 0;
		/* what both raw looks had, libc's reads must have too */
		unsigned want = s->sources & s2->sources & (PS_SRC_SOCKDIAG | PS_SRC_PROCFS);
		unsigned miss = want & ~lsrc;
		if (!miss)
			continue;
		hidden++;
		char ep[80];
		fmt_ep(ep, sizeof ep, s);
		struct ps_finding *f = h_add(c, "hidden-from-libc", PS_SEV_HIGH,
					     "%s %s %s is hidden from libc's reads (what ss, netstat and lsof use) but the kernel lists it: a userland hook (LD_PRELOAD or /etc/ld.so.preload) filters it",
					     ps_proto_name(s->proto), ps_state_name(s->proto, s->state), ep);
		h_endpoint(f, s);
		if (f) {
			f->sock = (int32_t)i;
			f->views_seen = (s->sources & PS_SRC_SOCKDIAG ? PS_VIEW_SOCKDIAG : 0) |
					(s->sources & PS_SRC_PROCFS ? PS_VIEW_PROCFS : 0) |
					(s->sources & PS_SRC_FDWALK ? PS_VIEW_FDWALK : 0);
			f->views_missing = PS_VIEW_LIBC;
		}
		if (miss & PS_SRC_SOCKDIAG)
			h_ev(c, f, "sock_diag through libc's recvmsg/recvfrom: missing; through raw syscalls: present");
		if (miss & PS_SRC_PROCFS)
			h_ev(c, f, "/proc/net/%s%s through stdio fopen/fread: missing; through raw open/read: present",
			     ps_proto_name(s->proto), s->family == AF_INET6 ? "6" : "");
		h_ev_owners(c, f, s);
	}
	free(idxL);
	k->findings = h_count_since(c, from);
	h_check_done(k, true, t0, "%u tcp/udp/raw/packet sockets compared: %u hidden from libc's view", compared,
		     hidden);
}

/* ---- 4a. sock_diag vs /proc/net ---- */

/* did the source that lists this kind of socket work?  view is the source
 * name's prefix: "sock_diag " or "/proc/net/" ("sock_diag tcp6", "/proc/net/packet") */
static bool covers(const struct ps_inventory *inv, const char *view, const struct ps_socket *s)
{
	char nm[40];
	snprintf(nm, sizeof nm, "%s%s%s", view, ps_proto_name(s->proto),
		 s->family == AF_INET6 ? "6" : "");
	return source_ok(inv, nm);
}

static void check_views(struct hctx *c, double pre_ms)
{
	struct ps_check *k = h_check(c, "view-agreement");
	double t0 = h_now_ms() - pre_ms;
	size_t from = c->r->nfindings;
	unsigned both = 0, transient = 0, mismatch = 0, bound_only = 0, uncovered = 0;
	for (size_t i = 0; i < c->inv->nsocks; i++) {
		const struct ps_socket *s = &c->inv->socks[i];
		if (s->netns != c->cur)
			continue;
		bool cd = covers(c->inv, "sock_diag ", s), cp = covers(c->inv, "/proc/net/", s);
		if (!cd || !cp) {
			uncovered++;
			continue;
		}
		unsigned v = s->sources & (PS_SRC_SOCKDIAG | PS_SRC_PROCFS);
		if (v == (PS_SRC_SOCKDIAG | PS_SRC_PROCFS)) {
			both++;
			continue;
		}
		char ep[80];
		fmt_ep(ep, sizeof ep, s);
		if (v == PS_SRC_SOCKDIAG && s->proto == PS_PROTO_TCP && s->state == PS_ST_BOUND_INACTIVE) {
			bound_only++;
			struct ps_finding *f = h_add(c, "bound-only", PS_SEV_INFO,
						     "tcp %s is bound but neither listening nor connected: sock_diag lists it (kernel >= 6.9), /proc/net never does; not hidden (unhide-tcp would call it hidden)",
						     ep);
			h_endpoint(f, s);
			h_ev_owners(c, f, s);
			continue;
		}
		const struct ps_socket *s2 = find2(c, s);
		if (!s2 || (s2->sources & (PS_SRC_SOCKDIAG | PS_SRC_PROCFS)) != v) {
			transient++; /* gone, or seen by both the second time */
			continue;
		}
		mismatch++;
		bool in_diag = v == PS_SRC_SOCKDIAG;
		struct ps_finding *f = h_add(
			c, "view-mismatch", PS_SEV_HIGH,
			"%s %s %s is listed by %s but not by %s, twice: a kernel hook filters %s",
			ps_proto_name(s->proto), ps_state_name(s->proto, s->state), ep,
			in_diag ? "sock_diag" : "/proc/net", in_diag ? "/proc/net" : "sock_diag",
			in_diag ? "/proc/net (seq_show hook)" : "the netlink dump");
		h_endpoint(f, s);
		if (f) {
			f->sock = (int32_t)i;
			f->views_seen = (in_diag ? PS_VIEW_SOCKDIAG : PS_VIEW_PROCFS) |
					(s->sources & PS_SRC_FDWALK ? PS_VIEW_FDWALK : 0);
			f->views_missing = in_diag ? PS_VIEW_PROCFS : PS_VIEW_SOCKDIAG;
		}
		h_ev_owners(c, f, s);
	}
	k->findings = h_count_since(c, from);
	h_check_done(k, true, t0,
		     "%u sockets in both sock_diag and /proc/net, %u bound-only (sock_diag only, expected), %u transient, %u mismatched; %u not comparable (one view unavailable)",
		     both, bound_only, transient, mismatch, uncovered);
}

/* ---- 4b. sockets in fd tables that no listing has ---- */

static long sys_pidfd_open(int pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static long sys_pidfd_getfd(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

static void check_fd_sockets(struct hctx *c)
{
	struct ps_check *k = h_check(c, "fd-sockets");
	double t0 = h_now_ms();
	size_t from = c->r->nfindings;
	const struct ps_inventory *inv = c->inv;
	if (!inv->walked) {
		h_check_done(k, false, t0, "the /proc fd walk did not run");
		return;
	}
	unsigned other_kind = 0, other_ns = 0, denied = 0, gone = 0, unbound = 0, later = 0,
		 hidden = 0, inet = 0, unclassified = 0;
	bool stopped = false;
	uint64_t myns = inv->netns[c->cur].inode;
	for (size_t i = 0; i < inv->nunmatched; i++) {
		if (h_now_ms() - t0 > 3000 || i >= 50000) {
			stopped = true;
			break;
		}
		const struct ps_fdref *u = &inv->unmatched[i];
		char path[96], name[32];
		snprintf(path, sizeof path, "%s/%d/fd/%d", inv->proc_root, u->pid, u->fd);
		long n = ps_sys_getxattr(path, "system.sockprotoname", name, sizeof name - 1);
		if (n <= 0) {
			if (n == -ENOENT || n == -ESRCH)
				gone++;
			else if (n == -EACCES || n == -EPERM)
				denied++;
			else
				unclassified++;
			continue;
		}
		name[n] = '\0';
		uint8_t proto;
		if (strcmp(name, "TCP") == 0 || strcmp(name, "TCPv6") == 0)
			proto = PS_PROTO_TCP;
		else if (strcmp(name, "UDP") == 0 || strcmp(name, "UDPv6") == 0)
			proto = PS_PROTO_UDP;
		else if (strcmp(name, "PACKET") == 0)
			proto = PS_PROTO_PACKET;
		else if (strcmp(name, "RAW") == 0 || strcmp(name, "RAWv6") == 0)
			proto = PS_PROTO_RAW;
		else {
			/* unix, netlink, ping, udplite, ... */
			other_kind++;
			continue;
		}
		inet++;
		long pfd = sys_pidfd_open(u->pid);
		if (pfd < 0) {
			gone++;
			continue;
		}
		long sfd = sys_pidfd_getfd((int)pfd, u->fd);
		close((int)pfd);
		if (sfd < 0) {
			if (errno == EPERM || errno == EACCES)
				denied++;
			else
				gone++;
			continue;
		}
		int nsfd = ioctl((int)sfd, SIOCGSKNS);
		struct stat st;
		bool same = nsfd >= 0 && fstat(nsfd, &st) == 0 && st.st_ino == myns;
		if (nsfd >= 0)
			close(nsfd);
		if (!same) {
			other_ns++;
			close((int)sfd);
			continue;
		}
		struct ps_socket probe;
		memset(&probe, 0, sizeof probe);
		probe.inode = u->inode;
		if (find2(c, &probe)) {
			later++; /* created between the first dump and the walk */
			close((int)sfd);
			continue;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		memset(&ss, 0, sizeof ss);
		getsockname((int)sfd, (void *)&ss, &sl);
		uint16_t port = 0;
		uint8_t fam = (uint8_t)ss.ss_family;
		uint8_t addr[16] = {0};
		if (fam == AF_INET) {
			const struct sockaddr_in *a = (const void *)&ss;
			port = ntohs(a->sin_port);
			memcpy(addr, &a->sin_addr, 4);
		} else if (fam == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)&ss;
			port = ntohs(a->sin6_port);
			memcpy(addr, &a->sin6_addr, 16);
		}
		int tstate = -1;
		if (proto == PS_PROTO_TCP) {
			struct tcp_info ti;
			socklen_t tl = sizeof ti;
			if (getsockopt((int)sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
				tstate = ti.tcpi_state;
		}
		close((int)sfd);
		bool portless = proto == PS_PROTO_PACKET || proto == PS_PROTO_RAW;
		if (!portless && port == 0) {
			unbound++; /* holds no port: no listing shows such a socket */
			continue;
		}
		if (proto == PS_PROTO_TCP && tstate == PS_ST_CLOSE && !inv->bound_inactive_view) {
			unbound++; /* bound-only, invisible to dumps before 6.9 */
			continue;
		}
		hidden++;
		char ep[80];
		if (proto == PS_PROTO_PACKET)
			snprintf(ep, sizeof ep, "packet socket");
		else if (proto == PS_PROTO_RAW)
			snprintf(ep, sizeof ep, "raw socket (IP protocol %u)", port);
		else
			ps_fmt_endpoint(ep, sizeof ep, fam, addr, port, false);
		struct ps_finding *f = h_add(c, portless ? "hidden-socket" : "hidden-port",
					     PS_SEV_HIGH,
					     "pid %d (%s) holds %s %s (inode %llu) that neither sock_diag nor /proc/net lists",
					     u->pid, u->comm, ps_proto_name(proto), ep,
					     (unsigned long long)u->inode);
		if (f) {
			f->has_endpoint = !portless;
			f->proto = proto;
			f->family = fam;
			f->port = port;
			memcpy(f->addr, addr, 16);
			f->inode = u->inode;
			f->pid = u->pid;
			f->views_seen = PS_VIEW_FDWALK;
			f->views_missing = PS_VIEW_SOCKDIAG | PS_VIEW_PROCFS;
			h_ev(c, f, "fd %d of pid %d is socket:[%llu] (%s), family %s, state %d", u->fd,
			     u->pid, (unsigned long long)u->inode, name, ps_family_name(fam), tstate);
		}
		struct fdsock *nf = PS_VEC_PUSH(c->fdsocks, c->nfdsocks, c->fdsocks_cap);
		if (nf)
			*nf = (struct fdsock){u->pid, u->fd, proto, fam, port};
	}
	k->findings = h_count_since(c, from);
	h_check_done(k, !stopped, t0,
		     "%zu socket fds matched no row: %u tcp/udp/raw/packet (%u in other namespaces, %u unbound, %u created meanwhile, %u hidden), %u other kinds (unix, netlink, ...), %u gone, %u unreadable%s",
		     inv->nunmatched, inet, other_ns, unbound, later, hidden, other_kind, gone,
		     denied + unclassified, stopped ? "; stopped at the bound (50000 fds / 3 s)" : "");
}

/* ---- 4c. the kernel's counters vs the rows ---- */

struct counts {
	uint32_t tcp, tcp6, tw, udp, udp6, raw, raw6;
};

static void count_rows(const struct ps_inventory *inv, uint32_t ns, struct counts *n)
{
	memset(n, 0, sizeof *n);
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->netns != ns)
			continue;
		bool v6 = s->family == AF_INET6;
		if (s->proto == PS_PROTO_TCP && (s->sources & PS_SRC_SOCKDIAG)) {
			/* sockstat's "tw" counts every time-wait mini-socket, also
			 * those whose substate is FIN-WAIT-2 (an orphaned close) */
			if (s->state == PS_ST_TIME_WAIT || s->tw_mini) {
				n->tw++;
				continue;
			}
			if (s->state == PS_ST_NEW_SYN_RECV || s->state == PS_ST_BOUND_INACTIVE ||
			    s->state == PS_ST_CLOSE || (s->state == PS_ST_SYN_RECV && !s->inode))
				continue;
			*(v6 ? &n->tcp6 : &n->tcp) += 1;
		} else if (s->proto == PS_PROTO_UDP && (s->sources & PS_SRC_SOCKDIAG)) {
			*(v6 ? &n->udp6 : &n->udp) += 1;
		} else if (s->proto == PS_PROTO_RAW && (s->sources & PS_SRC_PROCFS)) {
			*(v6 ? &n->raw6 : &n->raw) += 1;
		}
	}
}

static bool stable(const struct ps_sockstat *a, const struct ps_sockstat *b)
{
	return a->ok4 && b->ok4 && a->tcp == b->tcp && a->tcp_tw == b->tcp_tw && a->udp == b->udp &&
	       a->raw == b->raw && a->tcp6 == b->tcp6 && a->udp6 == b->udp6 && a->raw6 == b->raw6;
}

static void check_counters(struct hctx *c)
{
	struct ps_check *k = h_check(c, "counters");
	double t0 = h_now_ms();
	size_t from = c->r->nfindings;
	const struct ps_inventory *looks[2] = {c->inv, c->inv2};
	struct counts rows[2];
	bool st[2];
	for (int i = 0; i < 2; i++) {
		st[i] = looks[i] && stable(&looks[i]->counters_before, &looks[i]->counters_after);
		if (st[i])
			count_rows(looks[i], 0, &rows[i]);
	}
	if (!st[0] && !st[1]) {
		h_check_done(k, true, t0,
			     "/proc/net/sockstat moved during both dumps (busy host): no exact comparison");
		return;
	}
	static const struct { const char *name; size_t coff, roff; } F[] = {
		{"tcp", offsetof(struct ps_sockstat, tcp), offsetof(struct counts, tcp)},
		{"tcp6", offsetof(struct ps_sockstat, tcp6), offsetof(struct counts, tcp6)},
		{"tcp time-wait", offsetof(struct ps_sockstat, tcp_tw), offsetof(struct counts, tw)},
		{"udp", offsetof(struct ps_sockstat, udp), offsetof(struct counts, udp)},
		{"udp6", offsetof(struct ps_sockstat, udp6), offsetof(struct counts, udp6)},
		{"raw", offsetof(struct ps_sockstat, raw), offsetof(struct counts, raw)},
		{"raw6", offsetof(struct ps_sockstat, raw6), offsetof(struct counts, raw6)},
	};
	char detail[200] = "";
	size_t dl = 0;
	unsigned bad = 0;
	for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
		/* a deficit counts when every stable look shows the same one */
		int32_t deficit = INT32_MIN;
		bool agree = true;
		uint32_t kc = 0, kr = 0;
		for (int i = 0; i < 2; i++) {
			if (!st[i])
				continue;
			uint32_t cv, rv;
			memcpy(&cv, (const char *)&looks[i]->counters_after + F[f].coff, sizeof cv);
			memcpy(&rv, (const char *)&rows[i] + F[f].roff, sizeof rv);
			int32_t d = (int32_t)cv - (int32_t)rv;
			if (deficit != INT32_MIN && d != deficit)
				agree = false;
			deficit = d;
			kc = cv;
			kr = rv;
		}
		if (f == 0 || f == 3)
			dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%s%s %u/%u", dl ? ", " : "",
					       F[f].name, kr, kc);
		if (!agree || deficit <= 0)
			continue;
		bad++;
		struct ps_finding *fi = h_add(
			c, "counter-mismatch", PS_SEV_MEDIUM,
			"the kernel counts %u %s sockets in use (/proc/net/sockstat) but the listings show %u: %d socket%s missing from every listing",
			kc, F[f].name, kr, deficit, deficit == 1 ? " is" : "s are");
		if (fi) {
			fi->views_seen = PS_VIEW_SOCKSTAT;
			fi->views_missing = PS_VIEW_SOCKDIAG | PS_VIEW_PROCFS;
		}
	}
	k->findings = h_count_since(c, from);
	h_check_done(k, true, t0, "rows/counted: %s (v4)%s; %u mismatched", detail,
		     st[0] && st[1] ? ", two stable looks" : ", one stable look", bad);
}

/* ---- 5. bind sweep ---- */

static bool reserved_map(uint8_t *map, const char *proc_root, unsigned *n)
{
	char path[128], buf[8192];
	snprintf(path, sizeof path, "%s/sys/net/ipv4/ip_local_reserved_ports", proc_root);
	long len = ps_read_small_at(AT_FDCWD, path, buf, sizeof buf);
	if (len < 0)
		return false;
	*n = 0;
	/* "8080,9000-9010\n" */
	char *p = buf;
	while (*p) {
		char *e;
		unsigned long a = strtoul(p, &e, 10);
		if (e == p)
			break;
		unsigned long b = a;
		if (*e == '-') {
			p = e + 1;
			b = strtoul(p, &e, 10);
		}
		for (unsigned long q = a; q <= b && q <= 65535; q++) {
			map[q >> 3] |= (uint8_t)(1u << (q & 7));
			(*n)++;
		}
		p = e;
		while (*p == ',' || *p == '\n' || *p == ' ')
			p++;
	}
	return true;
}

static bool explained(const struct hctx *c, const struct ps_inventory *extra, uint8_t proto,
		      uint16_t port, bool v6)
{
	if (ps_port_explained(c->inv, proto, port, v6, c->cur) ||
	    (c->inv2 && ps_port_explained(c->inv2, proto, port, v6, 0)) ||
	    (extra && ps_port_explained(extra, proto, port, v6, 0)))
		return true;
	return false;
}

static bool fd_explains(const struct hctx *c, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < c->nfdsocks; i++)
		if (c->fdsocks[i].proto == proto && c->fdsocks[i].port == port)
			return true;
	return false;
}

/* an info line for in-use ports whose explanation is easy to get wrong */
static void explain_port(struct hctx *c, uint8_t proto, uint16_t port)
{
	if (!c->o->verbose)
		return;
	unsigned n = 0, bound = 0, tw = 0, v6only = 0, dual = 0, listen = 0, noowner = 0;
	for (size_t i = 0; i < c->inv->nsocks; i++) {
		const struct ps_socket *s = &c->inv->socks[i];
		if (s->proto != proto || s->lport != port || s->netns != c->cur)
			continue;
		n++;
		bound += s->state == PS_ST_BOUND_INACTIVE;
		tw += s->state == PS_ST_TIME_WAIT || s->tw_mini;
		listen += s->state == PS_ST_LISTEN;
		if (s->family == AF_INET6 && ps_addr_is_any(AF_INET6, s->laddr)) {
			v6only += s->v6only == 1;
			dual += s->v6only != 1;
		}
		noowner += s->owner_count == 0 && s->inode;
	}
	const char *why = NULL;
	char tmp[160];
	if (bound && bound == n)
		why = "held by a bound-only socket (listed by sock_diag only)";
	else if (tw && tw == n)
		why = "held by time-wait sockets only (no process, no inode)";
	else if (listen > 1) {
		snprintf(tmp, sizeof tmp, "held by %u listeners (SO_REUSEPORT group or per-address binds)", listen);
		why = tmp;
	} else if (v6only)
		why = "held by an IPv6-only listener (IPv4 binds to it succeed: unhide-tcp cannot see it)";
	else if (dual)
		why = "held by a dual-stack [::] socket (listed only in /proc/net/tcp6; covers IPv4 too)";
	else if (noowner)
		why = "held by a socket no process holds an fd to (in flight, or its owner is out of sight)";
	if (why)
		h_add(c, "explained-port", PS_SEV_INFO, "%s port %u in use: %s", ps_proto_name(proto), port,
		      why);
}

static void check_bind(struct hctx *c)
{
	struct ps_check *k = h_check(c, "bind-sweep");
	double t0 = h_now_ms();
	size_t from = c->r->nfindings;
	uint8_t *skip = calloc(8192, 1);
	unsigned nreserved = 0;
	if (!skip) {
		h_check_done(k, false, t0, "out of memory");
		return;
	}
	if (!c->o->probe_reserved)
		reserved_map(skip, c->o->proc_root, &nreserved);
	struct ps_bind_opts bo = {.protos = PS_P_TCP | PS_P_UDP, .skip = skip, .threads = c->o->threads};
	struct ps_bind_result br;
	int r = ps_bind_sweep(&bo, &br);
	free(skip);
	if (r != PS_OK) {
		h_check_done(k, false, t0, "bind sweep failed: %s", ps_strerror(r));
		ps_bind_result_free(&br);
		return;
	}
	/* candidates: in use, no listing explains them */
	struct ps_bind_hit *cand = malloc((br.nhits + 1) * sizeof *cand);
	size_t ncand = 0;
	for (size_t i = 0; cand && i < br.nhits; i++) {
		const struct ps_bind_hit *h = &br.hits[i];
		bool un4 = h->v4 && !explained(c, NULL, h->proto, h->port, false);
		bool un6 = h->v6 && !explained(c, NULL, h->proto, h->port, true);
		if (un4 || un6)
			cand[ncand++] = (struct ps_bind_hit){h->port, h->proto, un4, un6};
		else
			explain_port(c, h->proto, h->port);
	}
	/* look again: a port taken between the listing and the probe is churn */
	unsigned transient = 0, hidden = 0;
	for (int round = 0; round < 2 && ncand; round++) {
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
		struct ps_inventory *fresh = look(c, PS_P_TCP | PS_P_UDP, false, false);
		size_t kept = 0;
		for (size_t i = 0; i < ncand; i++) {
			struct ps_bind_hit h = cand[i];
			bool v4 = false, v6 = false;
			if (ps_bind_probe_port(h.proto, h.port, &v4, &v6) != PS_OK)
				v4 = h.v4, v6 = h.v6;
			h.v4 = h.v4 && v4 && !explained(c, fresh, h.proto, h.port, false);
			h.v6 = h.v6 && v6 && !explained(c, fresh, h.proto, h.port, true);
			if (h.v4 || h.v6)
				cand[kept++] = h;
			else
				transient++;
		}
		ncand = kept;
		ps_inventory_free(fresh);
	}
	for (size_t i = 0; i < ncand; i++) {
		const struct ps_bind_hit *h = &cand[i];
		if (fd_explains(c, h->proto, h->port))
			continue; /* already reported with its process (fd-sockets) */
		hidden++;
		const char *space = h->v4 && h->v6 ? "IPv4 and IPv6" : h->v4 ? "IPv4" : "IPv6";
		struct ps_finding *f = h_add(
			c, "hidden-port", PS_SEV_HIGH,
			"%s port %u is in use (%s bind() fails with EADDRINUSE, three times) but no listing shows a socket on it: sock_diag, /proc/net and every process's fds hide it",
			ps_proto_name(h->proto), h->port, space);
		if (f) {
			f->has_endpoint = true;
			f->proto = h->proto;
			f->family = h->v4 && !h->v6 ? AF_INET : !h->v4 ? AF_INET6 : 0;
			f->port = h->port;
			f->views_seen = PS_VIEW_BIND;
			f->views_missing = PS_VIEW_SOCKDIAG | PS_VIEW_PROCFS | PS_VIEW_FDWALK;
			h_ev(c, f, "bind to %s fails: the port is held in that address space", space);
		}
	}
	free(cand);
	k->findings = h_count_since(c, from);
	char extra[160] = "";
	if (br.denied)
		snprintf(extra, sizeof extra,
			 "; %u ports could not be probed (below ip_unprivileged_port_start: needs CAP_NET_BIND_SERVICE)",
			 br.denied);
	else if (br.failed)
		snprintf(extra, sizeof extra, "; %u probes failed (%s)", br.failed,
			 strerror(br.first_errno));
	h_check_done(k, br.denied == 0 && br.failed == 0, t0,
		     "%u ports probed (tcp+udp, %s), %zu in use, %u taken only briefly, %u hidden; %u skipped (ip_local_reserved_ports)%s",
		     br.probed, br.dual ? "IPv4+IPv6 dual-stack, per family where taken" : "IPv4 only: no IPv6 here",
		     br.nhits, transient, hidden, br.skipped, extra);
	ps_bind_result_free(&br);
}

/* ---- 5b. loopback connect sweep ---- */

static bool accepts(const struct ps_inventory *inv, uint32_t ns, uint16_t port, bool v6)
{
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t lo4m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
	for (size_t i = 0; inv && i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->proto != PS_PROTO_TCP || s->state != PS_ST_LISTEN || s->lport != port ||
		    s->netns != ns)
			continue;
		bool any = ps_addr_is_any(s->family, s->laddr);
		if (!v6 && s->family == AF_INET &&
		    (any || (s->laddr[0] == 127 && s->laddr[1] == 0 && s->laddr[2] == 0 && s->laddr[3] == 1)))
			return true;
		if (!v6 && s->family == AF_INET6 && ((any && s->v6only != 1) || memcmp(s->laddr, lo4m, 16) == 0))
			return true;
		if (v6 && s->family == AF_INET6 && (any || memcmp(s->laddr, lo6, 16) == 0))
			return true;
	}
	return false;
}

static void check_connect(struct hctx *c)
{
	struct ps_check *k = h_check(c, "connect-sweep");
	double t0 = h_now_ms();
	size_t from = c->r->nfindings;
	struct ps_connect_result cr;
	int r = ps_connect_sweep(1, 65535, &cr);
	struct ps_inventory *fresh = look(c, PS_P_TCP, false, false);
	unsigned hidden = 0;
	for (int f6 = 0; f6 < 2; f6++) {
		uint16_t *ports = f6 ? cr.open6 : cr.open4;
		size_t n = f6 ? cr.nopen6 : cr.nopen4;
		for (size_t i = 0; i < n; i++) {
			if (accepts(c->inv, c->cur, ports[i], f6) || accepts(c->inv2, 0, ports[i], f6) ||
			    accepts(fresh, 0, ports[i], f6))
				continue;
			hidden++;
			struct ps_finding *f = h_add(
				c, "hidden-listener", PS_SEV_HIGH,
				"tcp port %u accepts connections on %s but no listing has a listener that would take them",
				ports[i], f6 ? "::1" : "127.0.0.1");
			if (f) {
				f->has_endpoint = true;
				f->proto = PS_PROTO_TCP;
				f->family = f6 ? AF_INET6 : AF_INET;
				f->port = ports[i];
				f->addr[f6 ? 15 : 0] = f6 ? 1 : 127;
				if (!f6)
					f->addr[3] = 1;
				f->views_seen = PS_VIEW_CONNECT;
				f->views_missing = PS_VIEW_SOCKDIAG | PS_VIEW_PROCFS;
			}
		}
	}
	ps_inventory_free(fresh);
	k->findings = h_count_since(c, from);
	h_check_done(k, r == PS_OK, t0,
		     "127.0.0.1: %zu ports accept, ::1: %zu; %u probes unanswered (dropped); %u hidden%s",
		     cr.nopen4, cr.nopen6, cr.unanswered, hidden,
		     r == PS_ERR_TIMEOUT ? "; stopped at the time bound" : "");
	ps_connect_result_free(&cr);
}

/* ---- 6. backdoor ports (a hint) ---- */

static void check_backdoor_ports(struct hctx *c)
{
	struct ps_check *k = h_check(c, "backdoor-ports");
	double t0 = h_now_ms();
	size_t from = c->r->nfindings;
	unsigned n = 0;
	for (size_t i = 0; i < c->inv->nsocks; i++) {
		const struct ps_socket *s = &c->inv->socks[i];
		bool holds = (s->proto == PS_PROTO_TCP &&
			      (s->state == PS_ST_LISTEN || s->state == PS_ST_BOUND_INACTIVE)) ||
			     (s->proto == PS_PROTO_UDP && s->state == PS_ST_CLOSE);
		if (!holds || s->netns != c->cur)
			continue;
		const char *what = ps_backdoor_port(s->lport, s->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP);
		if (!what)
			continue;
		n++;
		char ep[80];
		fmt_ep(ep, sizeof ep, s);
		struct ps_finding *f = h_add(c, "backdoor-port", PS_SEV_LOW,
					     "%s %s uses a port known from old backdoors (%s); a hint only",
					     ps_proto_name(s->proto), ep, what);
		h_endpoint(f, s);
		if (f) {
			f->sock = (int32_t)i;
			f->views_seen = PS_VIEW_SOCKDIAG;
		}
		h_ev_owners(c, f, s);
	}
	k->findings = h_count_since(c, from);
	h_check_done(k, true, t0, "%u sockets on known backdoor ports", n);
}

/* ---- the run ---- */

int ps_hidden_run(const struct ps_hidden_opts *o, struct ps_hidden_report **out)
{
	*out = NULL;
	double t0 = h_now_ms();
	struct ps_hidden_report *r = calloc(1, sizeof *r);
	if (!r)
		return PS_ERR_NOMEM;
	struct hctx c = {.o = o, .r = r};

	/* 1. views */
	struct ps_check *k = h_check(&c, "views");
	double tv = h_now_ms();
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.protos = PS_P_ALL;
	io.source = PS_INV_BOTH;
	io.owners = true;
	io.crosscheck = true;
	io.threads = o->threads;
	io.proc_root = o->proc_root;
	int err = ps_inventory_collect(&io, &r->inv);
	if (err != PS_OK) {
		ps_hidden_free(r);
		return err;
	}
	c.inv = r->inv;
	c.cur = 0;
	r->netns_inode = c.inv->netns[0].inode;
	snprintf(r->kernel, sizeof r->kernel, "%s", c.inv->kernel);
	ps_inventory_load_details(c.inv, NULL, o->threads);
	{
		unsigned nd = 0, np = 0, nf = 0;
		for (size_t i = 0; i < c.inv->nsocks; i++) {
			nd += !!(c.inv->socks[i].sources & PS_SRC_SOCKDIAG);
			np += !!(c.inv->socks[i].sources & PS_SRC_PROCFS);
			nf += !!(c.inv->socks[i].sources & PS_SRC_FDWALK);
		}
		bool ok = true;
		for (size_t i = 0; i < c.inv->nsources; i++)
			ok = ok && (c.inv->sources[i].ok || strcmp(c.inv->sources[i].name, "sock_diag raw") == 0 ||
				    strcmp(c.inv->sources[i].name, "sock_diag raw6") == 0);
		/* other users' fd tables out of reach: owners and unmatched fds unseen
		 * (as root an unreadable one is a process exiting meanwhile) */
		k->partial = c.inv->walk_denied > 0 && geteuid() != 0;
		h_check_done(k, ok, tv,
			     "sock_diag %u rows, /proc/net %u rows (raw syscalls), fd walk: %u sockets owned, %u processes (%u unreadable)%s",
			     nd, np, nf, c.inv->walk_procs, c.inv->walk_denied,
			     source_ok(c.inv, "sock_diag raw") ? "" : "; raw sockets from /proc/net only (no raw_diag in this kernel)");
	}

	/* 2-3. libc view, then the second raw look */
	double tl = h_now_ms();
	struct ps_inventory *invL = o->libc_view ? look(&c, PS_P_ALL, true, false) : NULL;
	double t2 = h_now_ms();
	c.inv2 = look(&c, PS_P_ALL, false, true);
	double t3 = h_now_ms();
	if (!c.inv2)
		c.inv2 = ps_inventory_new();
	if (c.inv2)
		index_inv2(&c);
	if (o->libc_view)
		check_libc(&c, invL, t2 - tl);
	ps_inventory_free(invL);

	/* 4. raw views against each other */
	if (c.inv2 && c.idx2) {
		check_views(&c, t3 - t2);
		check_fd_sockets(&c);
		check_counters(&c);
	}
	/* 5. probes */
	if (o->bind_probes)
		check_bind(&c);
	if (o->connect_probes)
		check_connect(&c);
	/* 6. passive backdoors and rootkit signs */
	h_packet_raw(&c);
	h_processes(&c);
	if (o->libc_view)
		h_libc_procs(&c);
	h_preload(&c);
	h_ebpf(&c);
	check_backdoor_ports(&c);

	for (size_t i = 0; i < r->nfindings; i++)
		r->by_severity[r->findings[i].severity & 3]++;
	ps_inventory_free(c.inv2);
	free(c.idx2);
	free(c.fdsocks);
	r->ms = h_now_ms() - t0;
	r->complete = ps_hidden_complete(r);
	*out = r;
	return PS_OK;
}

void ps_hidden_free(struct ps_hidden_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfindings; i++)
		free(r->findings[i].evidence);
	free(r->findings);
	ps_inventory_free(r->inv);
	free(r);
}

bool ps_hidden_complete(const struct ps_hidden_report *r)
{
	for (size_t i = 0; i < r->nchecks; i++)
		if (!r->checks[i].ok || r->checks[i].partial)
			return false;
	return true;
}
