/* watch.c - `portsec watch`: listen/bind events (eBPF, or a LISTEN-only dump
 * every poll interval), a periodic full dump behind them (reconciliation),
 * and ruleset changes, each enriched (owner, unit, container, netns, scope,
 * verdict) and judged by the policy with audit's check ids. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assess/internal.h"
#include "portsec/ps_audit.h"
#include "portsec/ps_watch.h"

#define TABLE (1u << 18)                 /* at most: 10 MiB, bounded whatever the churn */
#define TABLE_MIN 4096u                  /* at first: 160 KiB, doubled as listeners come */
#define MAX_TRACKED (TABLE / 4 * 3)

const char *ps_watch_scope_name(int s)
{
	static const char *const n[] = {"loopback", "specific", "any"};
	return s >= 0 && s < PS_WS_N ? n[s] : "?";
}

const char *ps_watch_action_name(int a)
{
	static const char *const n[] = {"listen", "close", "bind", "firewall-change"};
	return a >= 0 && a < PS_WA_MAX ? n[a] : "?";
}

struct tr {
	uint64_t cookie; /* 0: free slot */
	uint32_t netns, gen;
	uint8_t proto, family, dead;
	uint16_t port;
	uint8_t addr[16];
	uint8_t scope, vclass; /* what ps_watch_stats.listeners counts it as */
};

struct nsname {
	uint32_t inode;
	char name[64];
};

/* how often a reconciliation walks every fd table too (to find namespaces
 * only a socket keeps alive): about 75 ms at 10k sockets.  With eBPF the
 * events come from every namespace anyway, so less often than polling */
#define FULL_DUMP_BPF_NS (600ll * 1000000000)
#define FULL_DUMP_POLL_NS (60ll * 1000000000)

struct wctx {
	const struct ps_watch_opts *o;
	struct ps_watch_stats *st;
	struct tr *t;
	size_t cap, tombs;
	uint32_t gen;
	size_t nseen; /* tracked entries marked with gen: all seen = none gone */
	uint32_t self_ns, init_ns; /* portsec's network namespace; pid 1's ("host") */
	struct nsname ns[256];
	size_t nns;
	struct ps_fw_ruleset rs;
	bool fw_read;
	struct ps_arena *ar; /* per event, reset each time */
	char *passwd;
	size_t passwd_len;
	bool done;
	bool hold;      /* the table is being walked: no resize */
	bool dump_soon; /* an autobound listener, or events dropped: reconcile now */
	const char *source_name;
	uint64_t said[32]; /* hashes of the warnings of the last dump (digits ignored) */
	size_t nsaid;
};

static int64_t now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- the tracked set: open addressing on the socket cookie ---- */

static size_t hash_of(uint64_t cookie, size_t cap)
{
	return (size_t)(cookie * 0x9E3779B97F4A7C15ull >> 17) & (cap - 1);
}

/* the live entries moved into a table of cap slots (tombstones left behind);
 * on no memory the old table stays, fuller */
static void resize(struct wctx *w, size_t cap)
{
	struct tr *nt = calloc(cap, sizeof *nt);
	if (!nt)
		return;
	for (size_t i = 0; i < w->cap; i++) {
		if (!w->t[i].cookie || w->t[i].dead)
			continue;
		size_t h = hash_of(w->t[i].cookie, cap);
		while (nt[h].cookie)
			h = (h + 1) & (cap - 1);
		nt[h] = w->t[i];
	}
	free(w->t);
	w->t = nt;
	w->cap = cap;
	w->tombs = 0;
}

static struct tr *slot(struct wctx *w, uint64_t cookie, bool insert)
{
	if (insert && !w->hold && (w->st->tracked + w->tombs + 1) * 4 > w->cap * 3) {
		size_t cap = w->cap; /* three quarters full: twice the live ones, or the tombstones out */
		while ((w->st->tracked + 1) * 2 > cap && cap < TABLE)
			cap *= 2;
		if (cap != w->cap || w->tombs) /* full at the largest size: the overflow below counts it */
			resize(w, cap);
	}
	size_t h = hash_of(cookie, w->cap);
	for (size_t i = 0; i < w->cap; i++, h = (h + 1) & (w->cap - 1)) {
		if (w->t[h].cookie == cookie)
			return &w->t[h];
		if (w->t[h].cookie == 0 || (insert && w->t[h].dead)) {
			if (!insert)
				return NULL;
			if (w->st->tracked >= MAX_TRACKED) {
				w->st->overflow++;
				return NULL;
			}
			if (w->t[h].dead)
				w->tombs--;
			memset(&w->t[h], 0, sizeof w->t[h]);
			w->t[h].cookie = cookie;
			w->st->tracked++;
			return &w->t[h];
		}
	}
	return NULL;
}


/* seen by the dump (or an event) of this generation */
static void mark(struct wctx *w, struct tr *t)
{
	if (t->gen != w->gen) {
		t->gen = w->gen;
		w->nseen++;
	}
}

static void gauge(struct wctx *w, const struct tr *t, int d)
{
	uint32_t *g = &w->st->listeners[t->proto == PS_PROTO_UDP][t->scope % PS_WS_N][t->vclass % PS_VCLASS_N];
	if (d > 0 || *g)
		*g = (uint32_t)((int64_t)*g + d);
}

static void untrack(struct wctx *w, struct tr *t)
{
	gauge(w, t, -1);
	if (t->gen == w->gen && w->nseen)
		w->nseen--;
	t->dead = 1; /* a tombstone: probing continues past it */
	t->cookie = UINT64_MAX; /* no socket has this cookie */
	w->st->tracked--;
	/* churn leaves tombstones: rebuilt when they are a quarter of the table
	 * (not while a walk of the table holds it) */
	if (++w->tombs > w->cap / 4 && !w->hold)
		resize(w, w->cap);
}

/* ---- names ---- */

static void load_netns_names(struct wctx *w)
{
	struct stat sb;
	if (stat("/proc/self/ns/net", &sb) == 0)
		w->self_ns = (uint32_t)sb.st_ino;
	/* the host's namespace: pid 1's; where pid 1 is guarded (a sandbox
	 * supervisor), kthreadd's: kernel threads live in the initial one */
	char comm[32] = "";
	int cfd = open("/proc/2/comm", O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		ssize_t n = read(cfd, comm, sizeof comm - 1);
		comm[n > 0 ? n : 0] = 0;
		close(cfd);
	}
	if (stat("/proc/1/ns/net", &sb) == 0)
		w->init_ns = (uint32_t)sb.st_ino;
	else if (strcmp(comm, "kthreadd\n") == 0 && stat("/proc/2/ns/net", &sb) == 0)
		w->init_ns = (uint32_t)sb.st_ino;
	w->nns = 0;
	DIR *d = opendir("/run/netns");
	for (struct dirent *e; d && (e = readdir(d)) && w->nns < 256;) {
		char p[300];
		snprintf(p, sizeof p, "/run/netns/%s", e->d_name);
		if (e->d_name[0] != '.' && stat(p, &sb) == 0) {
			w->ns[w->nns].inode = (uint32_t)sb.st_ino;
			snprintf(w->ns[w->nns].name, sizeof w->ns[w->nns].name, "%s", e->d_name);
			w->nns++;
		}
	}
	if (d)
		closedir(d);
}

/* a /run/netns name first (watch may itself run in a named namespace), then
 * "host" for pid 1's namespace (or portsec's, when pid 1's is not readable) */
static const char *netns_name(struct wctx *w, uint32_t inode)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < w->nns; i++)
			if (w->ns[i].inode == inode)
				return w->ns[i].name;
		if (inode == (w->init_ns ? w->init_ns : w->self_ns))
			return "host";
		if (pass == 0)
			load_netns_names(w); /* a namespace made since */
	}
	return NULL;
}

struct uname_find {
	uint32_t uid;
	char name[40];
};

static int uid_cb(void *ctx, uint32_t uid, const char *name, size_t n)
{
	struct uname_find *u = ctx;
	if (uid != u->uid)
		return 0;
	snprintf(u->name, sizeof u->name, "%.*s", (int)n, name);
	return 1;
}

/* ---- enrichment and judgement ---- */

struct owner {
	char exe[256], unit[128], container[128], user[40];
	bool gone;
};

static void owner_of(struct wctx *w, uint32_t tgid, uint32_t uid, struct owner *ow)
{
	memset(ow, 0, sizeof *ow);
	char p[64], *buf;
	size_t len;
	snprintf(p, sizeof p, "/proc/%u/exe", tgid);
	ssize_t n = tgid ? readlink(p, ow->exe, sizeof ow->exe - 1) : -1;
	if (n > 0)
		ow->exe[n] = 0;
	else
		ow->gone = tgid != 0;
	snprintf(p, sizeof p, "/proc/%u/cgroup", tgid);
	if (tgid && ps_read_file_at(AT_FDCWD, p, &buf, &len, 1 << 16) == PS_OK) {
		char path[256];
		ps_cgroup_parse(buf, len, path, sizeof path, ow->unit, sizeof ow->unit, ow->container, sizeof ow->container);
		free(buf);
	}
	struct uname_find u = {.uid = uid};
	if (w->passwd)
		ps_passwd_parse(w->passwd, w->passwd_len, uid_cb, &u);
	snprintf(ow->user, sizeof ow->user, "%s", u.name);
}

/* scope and effective verdict class of a listener (audit's classes); only
 * portsec's own namespace's firewall is read */
static void classify(struct wctx *w, uint32_t netns, uint8_t family, uint8_t proto, uint16_t port,
		     const uint8_t *addr, uint8_t *scope, uint8_t *vclass)
{
	enum ps_scope sc = ps_scope_of(family, addr);
	*scope = sc == PS_SCOPE_ANY ? PS_WS_ANY : sc == PS_SCOPE_ADDRESS ? PS_WS_SPECIFIC : PS_WS_LOOPBACK;
	if (netns == w->self_ns || netns == 0) {
		ps_arena_free(w->ar); /* nothing of an event lives there yet */
		ps_arena_init(w->ar);
		struct ps_socket s = {0};
		s.family = family;
		s.proto = proto;
		s.lport = port;
		s.v6only = -1;
		memcpy(s.laddr, addr, 16);
		struct ps_reach r;
		as_reach_row(w->ar, w->fw_read ? &w->rs : NULL, &s, &r);
		*vclass = (uint8_t)ps_reach_verdict_index(&r, w->fw_read);
	} else {
		/* another namespace's firewall */
		*vclass = (uint8_t)(sc == PS_SCOPE_LOOPBACK ? 0 /* local */ : 2 /* unknown */);
	}
}

static void track_class(struct wctx *w, struct tr *t)
{
	classify(w, t->netns, t->family, t->proto, t->port, t->addr, &t->scope, &t->vclass);
	gauge(w, t, +1);
}

/* fill scope, verdict and the policy's decision of e */
static void judge(struct wctx *w, struct ps_watch_event *e, const uint8_t *addr)
{
	uint8_t scope, vclass;
	classify(w, e->netns, e->family, e->proto, e->port, addr, &scope, &vclass);
	e->scope = ps_watch_scope_name(scope);
	e->verdict = ps_verdict_class_name(vclass);
	enum ps_scope sc = ps_scope_of(e->family, addr);
	const struct ps_policy *pol = w->o->policy_ref ? *w->o->policy_ref : w->o->policy;
	e->decision = "no-policy";
	if (!pol)
		return;
	struct ps_pol_subject sj = {.proto = e->proto, .port = e->port, .family = e->family, .addr = addr,
				    .scope = sc == PS_SCOPE_ANY ? PS_POL_SCOPE_ANY
					     : sc == PS_SCOPE_ADDRESS ? PS_POL_SCOPE_SPECIFIC : PS_POL_SCOPE_LOOPBACK,
				    .comm = e->comm, .exe = e->exe, .user = e->user, .unit = e->unit,
				    .container = e->container, .netns = e->netns_name, .have_uid = e->pid != 0, .uid = e->uid};
	const struct ps_pol_rule *exp = NULL;
	const struct ps_pol_rule *rule = ps_policy_match(pol, &sj, now_ns(CLOCK_REALTIME) / 1000000000, &exp);
	if (rule && rule->action == PS_POL_DENY) {
		e->decision = "denied";
		e->check = "policy-denied";
	} else if (rule) {
		e->decision = "allowed";
		if (rule->firewall == PS_POL_FW_BLOCKED && strcmp(e->verdict, "blocked") != 0 && strcmp(e->verdict, "local") != 0)
			e->check = "policy-firewall-mismatch";
	} else if (exp) {
		e->decision = "expired";
		e->check = "policy-rule-expired";
	} else if (pol->default_deny) {
		e->decision = "not-allowed";
		e->check = "policy-not-allowed";
	}
	rule = rule ? rule : exp;
	e->policy_line = rule ? rule->line : 0;
}

static void emit(struct wctx *w, struct ps_watch_event *e)
{
	if (w->done)
		return; /* --count reached: the rest of a batch is not reported */
	e->time_ns = now_ns(CLOCK_REALTIME);
	if (e->kernel_mono_ns)
		e->lag_ns = now_ns(CLOCK_MONOTONIC) - (int64_t)e->kernel_mono_ns;
	else
		e->lag_ns = -1;
	w->st->events[e->action]++;
	if (e->check)
		w->st->violations++;
	if (w->o->emit)
		w->o->emit(w->o->ctx, e, w->st);
	uint64_t total = 0;
	for (int a = 0; a < PS_WA_MAX; a++)
		total += w->st->events[a];
	if (w->o->max_events && total >= w->o->max_events)
		w->done = true;
}

static void socket_event(struct wctx *w, int action, const char *source, uint64_t mono, uint64_t cookie,
			 uint32_t netns, uint32_t tgid, uint32_t uid, const char *comm, uint8_t proto, uint8_t family,
			 uint16_t port, const uint8_t *addr, const struct tr *gone)
{
	ps_arena_free(w->ar);
	ps_arena_init(w->ar);
	struct owner ow;
	struct ps_watch_event e = {.action = (uint8_t)action, .source = source, .kernel_mono_ns = mono, .proto = proto,
				   .family = family, .port = port, .cookie = cookie, .netns = netns, .uid = uid};
	if (!netns && tgid) { /* binds: the process's namespace */
		char p[64], l[64];
		snprintf(p, sizeof p, "/proc/%u/ns/net", tgid);
		ssize_t n = readlink(p, l, sizeof l - 1);
		if (n > 0) {
			l[n] = 0;
			unsigned long ino;
			if (sscanf(l, "net:[%lu]", &ino) == 1)
				e.netns = (uint32_t)ino;
		}
	}
	e.netns_name = netns_name(w, e.netns);
	ps_fmt_addr(e.addr, sizeof e.addr, family, addr);
	if (tgid) {
		owner_of(w, tgid, uid, &ow);
		e.pid = (int32_t)tgid;
		e.comm = comm;
		e.exe = ow.exe[0] ? ow.exe : NULL;
		e.user = ow.user[0] ? ow.user : NULL;
		e.unit = ow.unit[0] ? ow.unit : NULL;
		e.container = ow.container[0] ? ow.container : NULL;
		e.process_gone = ow.gone;
	}
	if (action != PS_WA_CLOSE) {
		judge(w, &e, addr);
	} else { /* what it was counted as while it listened */
		e.decision = "no-policy";
		e.scope = ps_watch_scope_name(gone ? gone->scope : PS_WS_ANY);
		e.verdict = gone ? ps_verdict_class_name(gone->vclass) : NULL;
	}
	emit(w, &e);
}

/* ---- eBPF events ---- */

static void on_bpf(void *ctx, const struct ps_listen_ev *ev)
{
	struct wctx *w = ctx;
	uint8_t proto = ev->proto == 17 /* IPPROTO_UDP */ ? PS_PROTO_UDP : PS_PROTO_TCP;
	if (ev->kind == PS_LEV_BIND && proto != PS_PROTO_UDP)
		return; /* TCP: reported when it listens */
	if (ev->kind == PS_LEV_BIND && ev->port == 0)
		return; /* a client's autobind */
	if (ev->kind == PS_LEV_CLOSE) {
		struct tr *t = slot(w, ev->cookie, false);
		if (!t)
			return; /* a listener from before watch started closes: it was never announced... */
		struct tr c = *t;
		untrack(w, t); /* may rehash: t is gone */
		socket_event(w, PS_WA_CLOSE, "ebpf", ev->mono_ns, ev->cookie, ev->netns, ev->tgid, ev->uid, ev->comm,
			     proto, ev->family, ev->port, ev->addr, &c);
		return;
	}
	if (ev->port == 0) {
		w->dump_soon = true; /* autobound listener: a dump names its port, soon */
		return;
	}
	struct tr *t = slot(w, ev->cookie, false);
	if (t)
		return;
	t = slot(w, ev->cookie, true);
	if (t) {
		t->proto = proto;
		t->family = ev->family;
		t->port = ev->port;
		t->netns = ev->netns;
		mark(w, t);
		memcpy(t->addr, ev->addr, 16);
		track_class(w, t);
	}
	socket_event(w, ev->kind == PS_LEV_BIND ? PS_WA_BIND : PS_WA_LISTEN, "ebpf", ev->mono_ns, ev->cookie, ev->netns,
		     ev->tgid, ev->uid, ev->comm, proto, ev->family, ev->port, ev->addr, NULL);
}

/* a dump's warnings: said once each, by their text with the counts left out */
static uint64_t warn_hash(const char *m)
{
	uint64_t h = 1469598103934665603ull;
	for (; *m; m++)
		if (*m < '0' || *m > '9')
			h = (h ^ (uint8_t)*m) * 1099511628211ull;
	return h;
}

/* a full dump's warnings replace the said set; a light one's only add to it
 * (it does not look where the full one does, so it cannot clear those) */
static void warnings(struct wctx *w, const struct ps_inventory *inv, bool full)
{
	uint64_t now[32];
	size_t n = 0;
	for (size_t i = 0; i < inv->nwarnings && n < 32; i++) {
		uint64_t h = warn_hash(inv->warnings[i]);
		bool old = false;
		for (size_t k = 0; k < w->nsaid; k++)
			old |= w->said[k] == h;
		if (!old && w->o->on_warning)
			w->o->on_warning(w->o->ctx, inv->warnings[i]);
		now[n++] = h;
	}
	if (!full) {
		for (size_t k = 0; k < w->nsaid && n < 32; k++) {
			bool dup = false;
			for (size_t j = 0; j < n; j++)
				dup |= now[j] == w->said[k];
			if (!dup)
				now[n++] = w->said[k];
		}
		if (inv->nwarnings > w->st->incomplete)
			w->st->incomplete = (unsigned)inv->nwarnings;
	} else {
		w->st->incomplete = (unsigned)inv->nwarnings;
	}
	memcpy(w->said, now, n * sizeof *now);
	w->nsaid = n;
}

/* was namespace ns entered by this dump? (a light dump does not look for the
 * namespaces only sockets keep alive: their listeners are not "gone") */
static bool ns_listed(const struct ps_inventory *inv, uint32_t ns)
{
	for (size_t i = 0; i < inv->nnetns; i++)
		if ((uint32_t)inv->netns[i].inode == ns)
			return inv->netns[i].entered;
	return false;
}

/* ---- dumps: the fallback source and reconciliation ---- */

static int dump(struct wctx *w, const char *source, bool announce, bool full, struct ps_listen_src *bpf)
{
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_ALL;
	io.ns_procs_only = !full;
	io.threads = full ? 0 : 1; /* a few dozen ns/net reads: no threads to start */
	io.protos = PS_P_TCP | PS_P_UDP;
	io.states = 1u << PS_ST_LISTEN; /* UDP: unconnected; TCP: the kernel skips its established hash */
	io.owners = false;
	struct ps_inventory *inv = NULL;
	int rc = ps_inventory_collect(&io, &inv);
	if (rc != PS_OK) {
		ps_inventory_free(inv);
		return rc;
	}
	warnings(w, inv, full);
	/* a new generation before the events of the dump's time are taken in:
	 * a listener they add exists, it is not "gone" */
	w->gen++;
	w->nseen = 0;
	if (bpf) /* what the kernel reported while we dumped is not "missed" */
		ps_listen_src_consume(bpf, on_bpf, w);
	bool any_new = false;
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (!ps_socket_is_listener(s) || s->lport == 0 || !s->cookie)
			continue;
		struct tr *t = slot(w, s->cookie, false);
		if (t) {
			mark(w, t);
			continue;
		}
		any_new = true;
	}
	/* new ones: their owners (one fd walk, only when something appeared) */
	struct ps_inventory *own = NULL;
	if (any_new && announce) {
		io.owners = true;
		io.ns_procs_only = false;
		if (ps_inventory_collect(&io, &own) != PS_OK) {
			ps_inventory_free(own);
			own = NULL;
		}
	}
	for (size_t i = 0; i < inv->nsocks && !w->done; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (!ps_socket_is_listener(s) || s->lport == 0 || !s->cookie || slot(w, s->cookie, false))
			continue;
		struct tr *t = slot(w, s->cookie, true);
		if (!t)
			continue;
		uint32_t ns = (uint32_t)inv->netns[s->netns].inode;
		*t = (struct tr){.cookie = s->cookie, .netns = ns, .proto = s->proto, .family = s->family, .port = s->lport};
		mark(w, t);
		memcpy(t->addr, s->laddr, 16);
		track_class(w, t);
		if (!announce)
			continue;
		uint32_t tgid = 0, uid = s->uid;
		const char *comm = NULL;
		for (size_t k = 0; own && k < own->nsocks; k++)
			if (own->socks[k].cookie == s->cookie && own->socks[k].owner_count) {
				const struct ps_proc *p = ps_socket_owner_proc(own, &own->socks[k], 0);
				tgid = (uint32_t)p->pid;
				uid = p->uid;
				comm = p->comm;
				break;
			}
		if (bpf)
			w->st->reconciled++;
		socket_event(w, s->proto == PS_PROTO_UDP ? PS_WA_BIND : PS_WA_LISTEN, source, 0, s->cookie, ns, tgid, uid,
			     comm, s->proto, s->family, s->lport, s->laddr, NULL);
	}
	ps_inventory_free(own);
	/* gone: tracked, not in this dump (the table is walked only when the
	 * dump saw fewer than are tracked: an idle host costs no walk) */
	w->hold = true;
	for (size_t h = 0; w->nseen < w->st->tracked && h < w->cap && !w->done; h++) {
		struct tr *t = &w->t[h];
		if (!t->cookie || t->dead || t->gen == w->gen || (!full && !ns_listed(inv, t->netns)))
			continue;
		struct tr c = *t;
		untrack(w, t);
		if (announce)
			socket_event(w, PS_WA_CLOSE, source, 0, c.cookie, c.netns, 0, 0, NULL, c.proto, c.family, c.port, c.addr, &c);
	}
	w->hold = false;
	if (w->tombs > w->cap / 4)
		resize(w, w->cap);
	ps_inventory_free(inv);
	return PS_OK;
}

/* ---- the firewall ---- */

static void read_fw(struct wctx *w)
{
	if (w->fw_read)
		ps_fw_ruleset_free(&w->rs);
	ps_fw_ruleset_init(&w->rs);
	w->fw_read = ps_fw_read(&w->rs, NULL) == PS_OK;
}

/* after a ruleset change: every listener of portsec's namespace judged again;
 * the ones whose verdict moved are counted and the first few named */
static size_t rejudge(struct wctx *w, struct ps_watch_change *ch, size_t cap, unsigned *moved)
{
	size_t n = 0;
	*moved = 0;
	for (size_t h = 0; h < w->cap; h++) {
		struct tr *t = &w->t[h];
		if (!t->cookie || t->dead || (t->netns != w->self_ns && t->netns != 0))
			continue;
		uint8_t scope, vclass;
		classify(w, t->netns, t->family, t->proto, t->port, t->addr, &scope, &vclass);
		if (vclass == t->vclass)
			continue;
		(*moved)++;
		if (n < cap) {
			ch[n] = (struct ps_watch_change){.proto = t->proto, .family = t->family, .port = t->port,
							 .from = ps_verdict_class_name(t->vclass),
							 .to = ps_verdict_class_name(vclass)};
			ps_fmt_addr(ch[n].addr, sizeof ch[n].addr, t->family, t->addr);
			n++;
		}
		gauge(w, t, -1);
		t->vclass = vclass;
		gauge(w, t, +1);
	}
	return n;
}

static void on_fw(void *ctx, const struct ps_fw_change *c)
{
	struct wctx *w = ctx;
	read_fw(w);
	ps_arena_free(w->ar);
	ps_arena_init(w->ar);
	struct ps_watch_change ch[PS_WATCH_CHANGES_MAX];
	struct ps_watch_event e = {.action = PS_WA_FIREWALL, .source = "nftables", .genid = c->genid, .pid = c->pid,
				   .comm = c->comm, .netns = w->self_ns, .decision = "no-policy", .changes = ch};
	e.netns_name = netns_name(w, w->self_ns);
	e.nchanges = rejudge(w, ch, PS_WATCH_CHANGES_MAX, &e.verdicts_changed);
	struct owner ow;
	if (c->pid > 0) {
		owner_of(w, (uint32_t)c->pid, 0, &ow);
		e.exe = ow.exe[0] ? ow.exe : NULL;
		e.process_gone = ow.gone;
	}
	emit(w, &e);
}

int ps_watch_run(const struct ps_watch_opts *o, struct ps_watch_stats *st)
{
	memset(st, 0, sizeof *st);
	struct wctx w = {.o = o, .st = st, .cap = TABLE_MIN};
	w.t = calloc(w.cap, sizeof *w.t);
	w.ar = ps_assess_arena_new();
	if (!w.t || !w.ar) {
		free(w.t);
		ps_assess_arena_free(w.ar);
		return PS_ERR_NOMEM;
	}
	load_netns_names(&w);
	ps_read_file_at(AT_FDCWD, "/etc/passwd", &w.passwd, &w.passwd_len, 16u << 20);
	read_fw(&w);
	unsigned poll_ms = o->poll_ms ? o->poll_ms : 100, rec_ms = o->reconcile_ms ? o->reconcile_ms : 10000;
	struct ps_listen_src *bpf = NULL;
	char why[200] = "";
	if (!o->no_bpf && ps_listen_src_open_bpf(&bpf, why, sizeof why) == PS_OK) {
		w.source_name = "ebpf";
		if (o->on_source)
			o->on_source(o->ctx, "ebpf", ps_listen_src_name(bpf));
	} else {
		char d[300];
		snprintf(d, sizeof d, "sock_diag LISTEN dump every %u ms%s%s", poll_ms, o->no_bpf ? " (--poll)" : "; ",
			 o->no_bpf ? "" : why);
		w.source_name = "poll";
		if (o->on_source)
			o->on_source(o->ctx, "poll", d);
	}
	struct ps_fw_monitor *mon = NULL;
	ps_fw_monitor_open(&mon);
	int rc = dump(&w, "reconcile", false, true, bpf); /* what listens now: the starting point, not events */
	if (rc == PS_OK && o->on_ready)
		o->on_ready(o->ctx, st);
	int64_t t0 = now_ns(CLOCK_MONOTONIC), next_dump = t0 + (int64_t)(bpf ? rec_ms : poll_ms) * 1000000;
	/* the fd tables (namespaces only a socket keeps alive) now and then;
	 * the dumps between read processes' ns/net only */
	int64_t full_every = bpf ? FULL_DUMP_BPF_NS : FULL_DUMP_POLL_NS, next_full = t0 + full_every, last_dump = t0;
	while (rc == PS_OK && !w.done && !(o->stop && *o->stop)) {
		int64_t now = now_ns(CLOCK_MONOTONIC);
		if (o->duration_ms && now - t0 >= (int64_t)o->duration_ms * 1000000)
			break;
		if (o->reload && *o->reload) {
			*o->reload = 0;
			if (o->on_reload)
				o->on_reload(o->ctx);
		}
		if (w.dump_soon) { /* soon, not at once: at most 20 such dumps a second */
			w.dump_soon = false;
			if (last_dump + 50000000 < next_dump)
				next_dump = last_dump + 50000000;
		}
		if (now >= next_dump) {
			bool full = now >= next_full;
			if (full)
				next_full = now + full_every;
			rc = dump(&w, bpf ? "reconcile" : "poll", true, full, bpf);
			last_dump = now_ns(CLOCK_MONOTONIC);
			next_dump = last_dump + (int64_t)(bpf ? rec_ms : poll_ms) * 1000000;
			continue;
		}
		struct pollfd pf[3];
		int n = 0;
		if (o->has_ext)
			pf[n++] = (struct pollfd){.fd = o->ext_fd, .events = POLLIN};
		if (bpf)
			pf[n++] = (struct pollfd){.fd = ps_listen_src_fd(bpf), .events = POLLIN};
		if (mon)
			pf[n++] = (struct pollfd){.fd = ps_fw_monitor_fd(mon), .events = POLLIN};
		int wait = (int)((next_dump - now) / 1000000) + 1;
		if (wait > 200)
			wait = 200; /* signals and the duration are checked at least this often */
		if (poll(pf, (nfds_t)n, wait) < 0 && errno != EINTR) {
			rc = PS_ERR_SYS;
			break;
		}
		if (bpf)
			ps_listen_src_consume(bpf, on_bpf, &w);
		if (mon && ps_fw_monitor_read(mon, on_fw, &w) == PS_ERR_TRUNC) {
			unsigned moved; /* changes were lost: the verdicts of the ruleset now */
			read_fw(&w);
			rejudge(&w, NULL, 0, &moved);
		}
		if (bpf) {
			uint64_t d = ps_listen_src_dropped(bpf);
			if (d > st->dropped)
				w.dump_soon = true; /* the ring overflowed: what it lost, a dump finds */
			st->dropped = d;
		}
		if (o->has_ext && o->on_ext)
			o->on_ext(o->ctx, st);
	}
	ps_listen_src_close(bpf);
	ps_fw_monitor_close(mon);
	if (w.fw_read)
		ps_fw_ruleset_free(&w.rs);
	free(w.passwd);
	free(w.t);
	ps_assess_arena_free(w.ar);
	return rc;
}
