/* inv_owner.c - who holds each socket: one walk of /proc/PID/fd.
 *
 * The cost of owner attribution is one readlink per open file descriptor on
 * the host (the floor measured in ../shared/bench), so the walk uses raw
 * openat/getdents64/readlinkat on directory fds, no stdio and no path
 * rebuilding, spreads processes over the CPUs, and records only socket
 * links.  The join with the dump is an O(1) hash lookup per descriptor
 * (iproute2's ss scans 256-bucket chains instead). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util/arena.h"
#include "util/sys.h"

enum { SL_DENIED = 1, SL_GONE = 2, SL_SOCK = 4, SL_INFO = 8 };

struct slot {
	int32_t pid;
	uint32_t uid;
	uint64_t netns;
	char comm[16];
	uint8_t flags;
};

struct fd_ent {
	uint64_t inode;
	uint32_t slot;
	int32_t fd;
};

struct tbuf {
	_Alignas(128) struct fd_ent *e; /* one per thread, each on its own cache lines */
	size_t n, cap;
	bool oom;
};

/* an eBPF program fd in the fd tables (want_bpf): inode key with this bit */
#define BPF_MARK (1ull << 63)

struct ps_walk {
	int procfd;
	bool want_netns;
	bool want_bpf;
	bool ns_only;
	struct slot *slots;
	size_t nslots;
	struct tbuf tb[16];
	/* join state */
	uint64_t *hkeys;
	uint32_t *hvals;
	size_t hmask;
};

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static bool all_digits(const char *s, int32_t *v)
{
	int64_t x = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (*s - '0');
		if (x > INT32_MAX)
			return false;
	}
	*v = (int32_t)x;
	return true;
}

struct ps_walk *ps_walk_new(const char *proc_root, bool want_netns, int *err)
{
	struct ps_walk *w = calloc(1, sizeof *w);
	if (!w) {
		*err = ENOMEM;
		return NULL;
	}
	w->want_netns = want_netns;
	long fd = ps_sys_openat(AT_FDCWD, proc_root, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		*err = (int)-fd;
		free(w);
		return NULL;
	}
	w->procfd = (int)fd;
	size_t cap = 1024;
	w->slots = malloc(cap * sizeof *w->slots);
	char *buf = malloc(32768);
	if (!w->slots || !buf) {
		free(buf);
		ps_walk_free(w);
		*err = ENOMEM;
		return NULL;
	}
	for (;;) {
		long n = ps_sys_getdents64(w->procfd, buf, 32768);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off); /* getdents64 records are 8-aligned */
			off += d->d_reclen;
			int32_t pid;
			if (!all_digits(d->d_name, &pid))
				continue;
			if (PS_VEC_RESERVE(w->slots, cap, w->nslots + 1) != 0) {
				free(buf);
				ps_walk_free(w);
				*err = ENOMEM;
				return NULL;
			}
			struct slot *s = &w->slots[w->nslots++];
			memset(s, 0, sizeof *s);
			s->pid = pid;
		}
	}
	free(buf);
	return w;
}

void ps_walk_free(struct ps_walk *w)
{
	if (!w)
		return;
	if (w->procfd >= 0)
		close(w->procfd);
	for (int t = 0; t < 16; t++)
		free(w->tb[t].e);
	free(w->slots);
	free(w->hkeys);
	free(w->hvals);
	free(w);
}

size_t ps_walk_count(const struct ps_walk *w)
{
	return w->nslots;
}

static void push(struct tbuf *tb, uint64_t inode, uint32_t slot, int32_t fd)
{
	struct fd_ent *e = PS_VEC_PUSH(tb->e, tb->n, tb->cap);
	if (!e) {
		tb->oom = true;
		return;
	}
	*e = (struct fd_ent){inode, slot, fd};
}

/* uid, comm (and netns) of one process; fddir is its open /proc/PID/fd
 * (owned by the process's uid) or -1 */
static void slot_info(struct ps_walk *w, struct slot *s, const char *pidstr, int fddir)
{
	struct stat st;
	if ((fddir >= 0 && fstat(fddir, &st) == 0) || fstatat(w->procfd, pidstr, &st, 0) == 0)
		s->uid = st.st_uid;
	else
		s->flags |= SL_GONE;
	char path[48];
	/* from the open fd directory, "../comm" skips looking the pid up again */
	int at = fddir >= 0 ? fddir : w->procfd;
	if (fddir >= 0)
		snprintf(path, sizeof path, "../comm");
	else
		snprintf(path, sizeof path, "%s/comm", pidstr);
	long n = ps_read_small_at(at, path, s->comm, sizeof s->comm);
	if (n > 0 && s->comm[n - 1] == '\n')
		s->comm[n - 1] = '\0';
	if (w->want_netns) {
		if (fddir >= 0)
			snprintf(path, sizeof path, "../ns/net");
		else
			snprintf(path, sizeof path, "%s/ns/net", pidstr);
		if (fstatat(at, path, &st, 0) == 0)
			s->netns = st.st_ino;
	}
	s->flags |= SL_INFO;
}

void ps_walk_item(struct ps_walk *w, size_t i, int tid)
{
	struct slot *s = &w->slots[i];
	struct tbuf *tb = &w->tb[tid & 15];
	char pidstr[16], path[32];
	snprintf(pidstr, sizeof pidstr, "%d", s->pid);
	if (w->ns_only) {
		struct stat st;
		snprintf(path, sizeof path, "%d/ns/net", s->pid);
		if (fstatat(w->procfd, path, &st, 0) == 0)
			s->netns = st.st_ino;
		else if (errno == ENOENT || errno == ESRCH)
			s->flags |= SL_GONE;
		return;
	}
	snprintf(path, sizeof path, "%d/fd", s->pid);
	long dfd = ps_sys_openat(w->procfd, path, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		if (dfd == -EACCES || dfd == -EPERM) {
			s->flags |= SL_DENIED;
			slot_info(w, s, pidstr, -1);
		} else {
			s->flags |= SL_GONE;
		}
		return;
	}
	_Alignas(8) char buf[16384];
	bool any = false;
	for (;;) {
		long n = ps_sys_getdents64((int)dfd, buf, sizeof buf);
		if (n == -EACCES || n == -EPERM) {
			/* the open may succeed and the listing fail (ptrace access check) */
			s->flags |= SL_DENIED;
			slot_info(w, s, pidstr, (int)dfd);
			ps_sys_close((int)dfd);
			return;
		}
		if (n <= 0)
			break;
		/* procfs fills the buffer while entries remain: room left means done */
		bool last = (size_t)n + 512 < sizeof buf;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off); /* getdents64 records are 8-aligned */
			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			char lk[64];
			long l = ps_sys_readlinkat((int)dfd, d->d_name, lk, sizeof lk);
			if (l == -EACCES || l == -EPERM) {
				/* listing allowed, links not (ptrace check on each link) */
				s->flags |= SL_DENIED;
				continue;
			}
			uint64_t ino;
			int32_t fd;
			if (w->want_bpf && l == 19 && memcmp(lk, "anon_inode:bpf-prog", 19) == 0 &&
			    all_digits(d->d_name, &fd)) {
				push(tb, BPF_MARK, (uint32_t)i, fd);
				any = true;
				continue;
			}
			if (l < 10 || lk[0] != 's' || !ps_parse_socket_link(lk, (size_t)l, &ino))
				continue;
			if (!all_digits(d->d_name, &fd))
				continue;
			push(tb, ino, (uint32_t)i, fd);
			any = true;
		}
		if (last)
			break;
	}
	if (any)
		s->flags |= SL_SOCK;
	if (any || w->want_netns || (s->flags & SL_DENIED))
		slot_info(w, s, pidstr, (int)dfd);
	ps_sys_close((int)dfd);
}

/* ---- join ---- */

static inline size_t hslot(uint64_t k, size_t mask)
{
	return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static int build_hash(struct ps_walk *w, const struct ps_inventory *inv)
{
	size_t cap = 64;
	while (cap < inv->nsocks + inv->nsocks / 2 + 1) /* load factor <= 2/3 */
		cap *= 2;
	free(w->hkeys);
	free(w->hvals);
	w->hkeys = calloc(cap, sizeof *w->hkeys);
	w->hvals = malloc(cap * sizeof *w->hvals);
	if (!w->hkeys || !w->hvals)
		return PS_ERR_NOMEM;
	w->hmask = cap - 1;
	for (size_t i = 0; i < inv->nsocks; i++) {
		uint64_t k = inv->socks[i].inode;
		if (k == 0)
			continue;
		size_t h = hslot(k, w->hmask);
		while (w->hkeys[h] && w->hkeys[h] != k)
			h = (h + 1) & w->hmask;
		if (!w->hkeys[h]) {
			w->hkeys[h] = k;
			w->hvals[h] = (uint32_t)i;
		}
	}
	return PS_OK;
}

static inline int64_t hget(const struct ps_walk *w, uint64_t k)
{
	if (!w->hkeys || k == 0)
		return -1;
	size_t h = hslot(k, w->hmask);
	while (w->hkeys[h]) {
		if (w->hkeys[h] == k)
			return w->hvals[h];
		h = (h + 1) & w->hmask;
	}
	return -1;
}

static int owner_cmp(const struct ps_inventory *inv, const struct ps_owner *a,
		     const struct ps_owner *b)
{
	int32_t pa = inv->procs[a->proc].pid, pb = inv->procs[b->proc].pid;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return a->fd < b->fd ? -1 : a->fd > b->fd;
}

int ps_walk_join(struct ps_walk *w, struct ps_inventory *inv)
{
	int r = build_hash(w, inv);
	if (r != PS_OK)
		return r;
	for (int t = 0; t < 16; t++)
		if (w->tb[t].oom)
			return PS_ERR_NOMEM;
	/* count per socket, and which slots own a matched socket */
	uint32_t *slot2proc = malloc((w->nslots + 1) * sizeof *slot2proc);
	uint32_t *count = calloc(inv->nsocks + 1, sizeof *count);
	if (!slot2proc || !count) {
		free(slot2proc);
		free(count);
		return PS_ERR_NOMEM;
	}
	for (size_t i = 0; i < w->nslots; i++)
		slot2proc[i] = UINT32_MAX;
	size_t matched = 0, nprocs = 0;
	for (int t = 0; t < 16; t++)
		for (size_t i = 0; i < w->tb[t].n; i++) {
			const struct fd_ent *e = &w->tb[t].e[i];
			int64_t si = hget(w, e->inode);
			if (si < 0)
				continue;
			count[si]++;
			matched++;
			if (slot2proc[e->slot] == UINT32_MAX)
				slot2proc[e->slot] = (uint32_t)nprocs++;
		}
	/* procs (rebuilt from scratch: join may run again after more dumps) */
	free(inv->procs);
	inv->procs = calloc(nprocs ? nprocs : 1, sizeof *inv->procs);
	free(inv->owners);
	inv->owners = malloc((matched ? matched : 1) * sizeof *inv->owners);
	if (!inv->procs || !inv->owners) {
		free(slot2proc);
		free(count);
		return PS_ERR_NOMEM;
	}
	inv->nprocs = inv->procs_cap = nprocs;
	inv->nowners = matched;
	for (size_t i = 0; i < w->nslots; i++) {
		if (slot2proc[i] == UINT32_MAX)
			continue;
		struct ps_proc *p = &inv->procs[slot2proc[i]];
		const struct slot *s = &w->slots[i];
		p->pid = s->pid;
		p->uid = s->uid;
		p->netns_inode = s->netns;
		memcpy(p->comm, s->comm, sizeof p->comm);
	}
	/* prefix sums -> owner_first */
	uint32_t acc = 0;
	for (size_t i = 0; i < inv->nsocks; i++) {
		inv->socks[i].owner_first = acc;
		inv->socks[i].owner_count = 0;
		acc += count[i];
	}
	for (int t = 0; t < 16; t++)
		for (size_t i = 0; i < w->tb[t].n; i++) {
			const struct fd_ent *e = &w->tb[t].e[i];
			int64_t si = hget(w, e->inode);
			if (si < 0)
				continue;
			struct ps_socket *s = &inv->socks[si];
			inv->owners[s->owner_first + s->owner_count++] =
				(struct ps_owner){slot2proc[e->slot], e->fd};
			s->sources |= PS_SRC_FDWALK;
		}
	/* stable order: by pid, then fd (insertion sort: slices are short) */
	for (size_t i = 0; i < inv->nsocks; i++) {
		struct ps_owner *o = inv->owners + inv->socks[i].owner_first;
		uint32_t n = inv->socks[i].owner_count;
		for (uint32_t a = 1; a < n; a++) {
			struct ps_owner x = o[a];
			uint32_t b = a;
			while (b > 0 && owner_cmp(inv, &o[b - 1], &x) > 0) {
				o[b] = o[b - 1];
				b--;
			}
			o[b] = x;
		}
	}
	/* why no owner */
	free(inv->denied_uids);
	inv->denied_uids = NULL;
	inv->ndenied_uids = 0;
	unsigned denied = 0, visited = 0;
	for (size_t i = 0; i < w->nslots; i++) {
		if (w->slots[i].flags & SL_GONE)
			continue;
		visited++;
		if (w->slots[i].flags & SL_DENIED)
			denied++;
	}
	if (denied) {
		inv->denied_uids = malloc(denied * sizeof *inv->denied_uids);
		if (inv->denied_uids)
			for (size_t i = 0; i < w->nslots; i++)
				if ((w->slots[i].flags & (SL_DENIED | SL_GONE)) == SL_DENIED)
					inv->denied_uids[inv->ndenied_uids++] = w->slots[i].uid;
	}
	inv->walked = true;
	inv->walk_procs = visited;
	inv->walk_denied = denied;
	for (size_t i = 0; i < inv->nsocks; i++) {
		struct ps_socket *s = &inv->socks[i];
		if (s->owner_count) {
			s->owner_note = PS_ON_NONE;
			continue;
		}
		if (s->proto == PS_PROTO_TCP && (s->state == PS_ST_TIME_WAIT || s->tw_mini))
			s->owner_note = PS_ON_TIME_WAIT;
		else if (s->inode == 0)
			s->owner_note = PS_ON_ORPHAN;
		else {
			bool den = false;
			for (size_t k = 0; k < inv->ndenied_uids && !den; k++)
				den = inv->denied_uids[k] == s->uid;
			s->owner_note = den ? PS_ON_PERM_DENIED
				      : inv->child_pidns ? PS_ON_OTHER_PIDNS
							 : PS_ON_NO_OWNER;
		}
	}
	free(slot2proc);
	free(count);
	return PS_OK;
}

void ps_walk_want_bpf(struct ps_walk *w)
{
	w->want_bpf = true;
}

int ps_walk_export(const struct ps_walk *w, struct ps_inventory *inv, size_t max)
{
	size_t nu = 0, nb = 0;
	for (int t = 0; t < 16; t++)
		for (size_t i = 0; i < w->tb[t].n; i++) {
			const struct fd_ent *e = &w->tb[t].e[i];
			if (e->inode == BPF_MARK)
				nb++;
			else if (hget(w, e->inode) < 0)
				nu++;
		}
	if (nu > max) {
		nu = max;
		inv->unmatched_truncated = true;
	}
	if (nb > max)
		nb = max;
	free(inv->unmatched);
	free(inv->bpffds);
	inv->unmatched = malloc((nu ? nu : 1) * sizeof *inv->unmatched);
	inv->bpffds = malloc((nb ? nb : 1) * sizeof *inv->bpffds);
	inv->nunmatched = inv->nbpffds = 0;
	if (!inv->unmatched || !inv->bpffds)
		return PS_ERR_NOMEM;
	for (int t = 0; t < 16; t++)
		for (size_t i = 0; i < w->tb[t].n; i++) {
			const struct fd_ent *e = &w->tb[t].e[i];
			const struct slot *s = &w->slots[e->slot];
			struct ps_fdref r = {.pid = s->pid, .fd = e->fd, .uid = s->uid};
			memcpy(r.comm, s->comm, sizeof r.comm);
			if (e->inode == BPF_MARK) {
				if (inv->nbpffds < nb)
					inv->bpffds[inv->nbpffds++] = r;
			} else if (hget(w, e->inode) < 0 && inv->nunmatched < nu) {
				r.inode = e->inode;
				inv->unmatched[inv->nunmatched++] = r;
			}
		}
	return PS_OK;
}

void ps_walk_ns_only(struct ps_walk *w)
{
	w->ns_only = true;
}

void ps_walk_each_netns(const struct ps_walk *w, void (*cb)(void *, uint64_t, int), void *ctx)
{
	for (size_t i = 0; i < w->nslots; i++)
		if (w->slots[i].netns && !(w->slots[i].flags & SL_GONE))
			cb(ctx, w->slots[i].netns, w->slots[i].pid);
}

void ps_walk_each_unmatched(const struct ps_walk *w, const struct ps_inventory *inv,
			    bool (*cb)(void *, int, int, uint64_t), void *ctx)
{
	(void)inv;
	for (int t = 0; t < 16; t++)
		for (size_t i = 0; i < w->tb[t].n; i++) {
			const struct fd_ent *e = &w->tb[t].e[i];
			if (e->inode == BPF_MARK || hget(w, e->inode) >= 0)
				continue;
			if (!cb(ctx, w->slots[e->slot].pid, e->fd, e->inode))
				return;
		}
}

/* ---- users ---- */

struct ucoll {
	struct ps_inventory *inv;
	size_t cap;
};

static int add_user(void *ctx, uint32_t uid, const char *name, size_t n)
{
	struct ucoll *c = ctx;
	struct ps_inventory *inv = c->inv;
	if (PS_VEC_RESERVE(inv->users, c->cap, inv->nusers + 1) != 0)
		return PS_ERR_NOMEM;
	char *s = ps_arena_strndup(inv->arena, name, n);
	if (!s)
		return PS_ERR_NOMEM;
	inv->users[inv->nusers++] = (struct ps_user){uid, s};
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	const struct ps_user *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

int ps_load_users(struct ps_inventory *inv)
{
	char *buf;
	size_t len;
	if (inv->users)
		return PS_OK;
	if (ps_read_file_at(AT_FDCWD, "/etc/passwd", &buf, &len, 16u << 20) != PS_OK)
		return PS_ERR_SYS;
	struct ucoll c = {inv, 0};
	int r = ps_passwd_parse(buf, len, add_user, &c);
	free(buf);
	if (inv->nusers)
		qsort(inv->users, inv->nusers, sizeof *inv->users, user_cmp);
	/* keep the first entry of duplicate uids (as getpwuid does) */
	size_t k = 0;
	for (size_t i = 0; i < inv->nusers; i++)
		if (k == 0 || inv->users[k - 1].uid != inv->users[i].uid)
			inv->users[k++] = inv->users[i];
	inv->nusers = k;
	return r;
}
