/* audit.c - `portsec audit`: the assessment's listeners judged against the
 * built-in checks, the policy, a baseline and an outside scan.  Pure over
 * its inputs (the assessment, the parsed files, the firewall's own table). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "assess/internal.h"
#include "portsec/ps_audit.h"

const char *ps_audit_decision_name(int d)
{
	static const char *const n[] = {"no-policy", "allowed", "denied", "not-allowed", "expired"};
	return d >= 0 && d <= PS_AD_EXPIRED ? n[d] : "?";
}

/* ---- verdict classes, from the reach documents ---- */

enum { V_LOCAL, V_BLOCKED, V_UNKNOWN, V_RESTRICTED, V_OPEN, V_DNAT, V_NOFW };
static const char *const vnames[] = {"local", "blocked", "unknown", "restricted", "open", "dnat", "no-firewall"};
_Static_assert(sizeof vnames / sizeof *vnames == PS_VCLASS_N, "verdict classes");

static int fam_class(const struct ps_verdict_doc *d)
{
	if (!d)
		return V_UNKNOWN;
	switch (d->result) {
	case PS_FW_ACCEPT:
		return d->chains_evaluated == 0 ? V_NOFW : V_OPEN;
	case PS_FW_DROP:
		for (size_t i = 0; i < d->nconds; i++)
			if (strcmp(d->conds[i].result, "accept") == 0)
				return V_RESTRICTED;
		return V_BLOCKED;
	case PS_FW_DNAT:
	case PS_FW_REDIRECT: return V_DNAT;
	}
	return V_UNKNOWN;
}

/* the most exposed family decides */
static int verdict_class(const struct ps_reach *r, bool fw_read)
{
	if (!r || !r->done)
		return V_UNKNOWN;
	if (r->exposure == PS_EXPOSE_LOOPBACK)
		return V_LOCAL;
	if (!fw_read)
		return V_UNKNOWN;
	int best = -1;
	for (int f = 0; f < 2; f++)
		if (f ? r->v6 : r->v4) {
			int c = fam_class(r->fam[f]);
			if (c > best)
				best = c;
		}
	return best < 0 ? V_UNKNOWN : best;
}

const char *ps_reach_verdict_class(const struct ps_reach *r, bool fw_read)
{
	return vnames[verdict_class(r, fw_read)];
}

int ps_reach_verdict_index(const struct ps_reach *r, bool fw_read)
{
	return verdict_class(r, fw_read);
}

const char *ps_verdict_class_name(int v)
{
	return v >= 0 && v < PS_VCLASS_N ? vnames[v] : "?";
}

static bool reachable(int v)
{
	return v == V_OPEN || v == V_NOFW || v == V_DNAT || v == V_RESTRICTED;
}

/* ---- findings ---- */

__attribute__((format(printf, 5, 6))) static struct ps_finding *
add(struct ps_audit *au, const char *id, int sev, const struct ps_audit_listener *l, const char *fmt, ...)
{
	struct ps_finding *f = ps_finding_push(&au->findings, &au->nfindings, &au->findings_cap, id, sev);
	if (!f)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	f->summary = as_vprintf(au->arena, fmt, ap);
	va_end(ap);
	au->by_severity[sev & 3]++;
	if (!l)
		return f;
	f->has_endpoint = true;
	f->proto = l->proto;
	f->family = l->family;
	f->port = l->port;
	f->pid = l->pid;
	f->sock = (int32_t)l->row;
	const struct ps_socket *s = &au->a->inv->socks[l->row];
	memcpy(f->addr, s->laddr, 16);
	f->inode = s->inode;
	/* evidence: the socket, its owner, unit/container/netns, the verdict, the rule */
	f->evidence = ps_arena_alloc(au->arena, 5 * sizeof *f->evidence);
	if (!f->evidence)
		return f;
	char ep[96];
	ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
	f->evidence[f->nevidence++] = as_printf(au->arena, "%s %s %s (scope %s)", ps_proto_name(l->proto),
						ps_state_name(s->proto, s->state), ep, l->scope);
	if (l->pid)
		f->evidence[f->nevidence++] = as_printf(au->arena, "held by pid %d (%s), exe %s, user %s", l->pid,
							l->comm ? l->comm : "?", l->exe ? l->exe : "?",
							l->user ? l->user : "?");
	else
		f->evidence[f->nevidence++] = as_printf(au->arena, "no visible owner");
	if (l->unit || l->container || strcmp(l->netns, "host") != 0)
		f->evidence[f->nevidence++] = as_printf(au->arena, "unit %s, container %s, netns %s",
							l->unit ? l->unit : "-", l->container ? l->container : "-", l->netns);
	if (l->decided_by)
		f->evidence[f->nevidence++] = as_printf(au->arena, "firewall: %s (%s), decided by %s", l->verdict,
							l->reach ? l->reach : "?", l->decided_by);
	else
		f->evidence[f->nevidence++] = as_printf(au->arena, "firewall: %s (%s)", l->verdict, l->reach ? l->reach : "?");
	if (l->rule)
		f->evidence[f->nevidence++] =
			as_printf(au->arena, "policy line %u: %s", l->rule->line, l->rule->text ? l->rule->text : "");
	return f;
}

static void fix(struct ps_audit *au, struct ps_finding *f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fix(struct ps_audit *au, struct ps_finding *f, const char *fmt, ...)
{
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	f->remediation = as_vprintf(au->arena, fmt, ap);
	va_end(ap);
}

/* configuration hints for the services users meet most */
static const char *config_hint(uint16_t port, uint8_t proto)
{
	if (proto != PS_PROTO_TCP)
		return NULL;
	switch (port) {
	case 6379: return "set `bind 127.0.0.1 ::1` in /etc/redis/redis.conf";
	case 11211: return "set `-l 127.0.0.1` in /etc/memcached.conf";
	case 5432: return "set `listen_addresses = 'localhost'` in postgresql.conf";
	case 3306: return "set `bind-address = 127.0.0.1` in the [mysqld] section of my.cnf";
	case 27017: return "set `net.bindIp: 127.0.0.1` in /etc/mongod.conf";
	case 9200: return "set `network.host: 127.0.0.1` in elasticsearch.yml";
	case 2375: return "remove `-H tcp://0.0.0.0:2375` from dockerd's options (use the unix socket or TLS on 2376)";
	case 111: return "systemctl disable --now rpcbind.socket rpcbind.service";
	case 631: return "set `Listen localhost:631` in /etc/cups/cupsd.conf";
	case 6000: return "start X with `-nolisten tcp`";
	}
	return NULL;
}

static bool is_cleartext(uint16_t port, uint8_t proto)
{
	if (proto == PS_PROTO_TCP)
		return port == 21 || port == 23 || port == 512 || port == 513 || port == 514;
	return port == 69 || port == 161;
}

static const char *cleartext_unit(uint16_t port)
{
	switch (port) {
	case 23: return "telnet.socket";
	case 21: return "vsftpd.service";
	case 69: return "tftpd-hpa.service";
	case 161: return "snmpd.service";
	case 512:
	case 513:
	case 514: return "rsh-server's inetd entry";
	}
	return "the service";
}

static bool exe_in_tmp(const char *exe)
{
	static const char *const dirs[] = {"/tmp/", "/dev/shm/", "/var/tmp/", "/run/user/", NULL};
	for (int i = 0; exe && dirs[i]; i++)
		if (strncmp(exe, dirs[i], strlen(dirs[i])) == 0)
			return true;
	return false;
}

/* the built-in exposure checks: not for a listener the policy allows */
static void exposure_checks(struct ps_audit *au, const struct ps_audit_listener *l, int vc, const struct ps_audit_opts *o)
{
	const char *pn = ps_proto_name(l->proto);
	unsigned bit = l->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP;
	const struct ps_service *sv = o->db ? ps_svcdb_by_port(o->db, l->port, bit) : NULL;
	bool exposed = vc != V_LOCAL && vc != V_BLOCKED;
	const char *hint = config_hint(l->port, l->proto);
	struct ps_finding *f;
	if (exposed && is_cleartext(l->port, l->proto)) {
		f = add(au, "cleartext-remote-access", PS_SEV_HIGH, l,
			"%u/%s (%s) is a cleartext remote-access service, %s from outside", l->port, pn,
			sv ? sv->name : "?", vc == V_UNKNOWN ? "possibly reachable" : "reachable");
		fix(au, f, "portsec close %u/%s; systemctl disable --now %s", l->port, pn, cleartext_unit(l->port));
	} else if (l->scope[0] == 'a' && sv && sv->risk && (reachable(vc) || vc == V_UNKNOWN)) {
		int sev = vc == V_UNKNOWN || vc == V_RESTRICTED ? PS_SEV_MEDIUM : PS_SEV_HIGH;
		f = add(au, "local-service-exposed", sev, l, "%u/%s (%s: %s) listens on all interfaces and is %s", l->port,
			pn, sv->name, sv->description,
			vc == V_UNKNOWN ? "possibly reachable (the firewall was not read)"
			: vc == V_RESTRICTED ? "reachable from some sources"
					     : "reachable from outside");
		if (hint)
			fix(au, f, "portsec close %u/%s; %s", l->port, pn, hint);
		else
			fix(au, f, "portsec close %u/%s; bind it to 127.0.0.1 in its configuration", l->port, pn);
	}
	if (vc == V_NOFW)
		au->nofw[au->nnofw++] = (uint32_t)(l - au->l);
	if (vc == V_DNAT) {
		f = add(au, "docker-bypass", PS_SEV_MEDIUM, l,
			"%u/%s is DNAT'ed before input filtering (a published container port): host firewall rules do not apply",
			l->port, pn);
		fix(au, f, "publish it on 127.0.0.1 (`-p 127.0.0.1:%u:%u`), or filter it in the DOCKER-USER chain", l->port,
		    l->port);
	}
	if (l->port < o->unpriv_start && l->pid && l->exe && strcmp(l->user ? l->user : "", "root") != 0) {
		f = add(au, "privileged-port-nonroot", PS_SEV_MEDIUM, l,
			"%u/%s is a privileged port held by user %s (%s)", l->port, pn, l->user ? l->user : "?", l->exe);
		fix(au, f, "check why %s may bind privileged ports: getcap %s; systemctl cat %s", l->comm ? l->comm : "it",
		    l->exe, l->unit ? l->unit : "UNIT");
	}
}

/* no firewall at all is a fact of the host: one finding naming the ports it
 * leaves open (the policy's allowed listeners are not among them) */
static void no_firewall(struct ps_audit *au)
{
	if (!au->nnofw)
		return;
	struct ps_buf b;
	ps_buf_init(&b);
	for (size_t i = 0; i < au->nnofw && i < 12; i++) {
		const struct ps_audit_listener *l = &au->l[au->nofw[i]];
		ps_buf_printf(&b, "%s%u/%s", i ? ", " : "", l->port, ps_proto_name(l->proto));
	}
	if (au->nnofw > 12)
		ps_buf_printf(&b, " and %zu more", au->nnofw - 12);
	const struct ps_audit_listener *l0 = &au->l[au->nofw[0]];
	struct ps_finding *f = add(au, "exposed-no-firewall", PS_SEV_LOW, NULL,
				   "no firewall is on the input path: %zu listener%s reachable from anywhere (%.*s)", au->nnofw,
				   au->nnofw == 1 ? " is" : "s are", (int)b.len, b.data ? b.data : "");
	ps_buf_free(&b);
	if (!f)
		return;
	f->evidence = ps_arena_alloc(au->arena, 2 * sizeof *f->evidence);
	if (f->evidence) {
		f->evidence[f->nevidence++] = as_printf(au->arena, "no base chain on the input hook of any nftables table");
		f->evidence[f->nevidence++] = as_printf(au->arena, "first: %s %s:%u held by %s", ps_proto_name(l0->proto),
							l0->addr, l0->port, l0->comm ? l0->comm : "no visible owner");
	}
	fix(au, f, "portsec open PORT/PROTO for each port clients need, then portsec enable   # default-deny");
}

/* checks no policy silences */
static void owner_checks(struct ps_audit *au, const struct ps_audit_listener *l)
{
	const struct ps_socket *s = &au->a->inv->socks[l->row];
	const char *pn = ps_proto_name(l->proto);
	struct ps_finding *f;
	if (s->owner_count) {
		const struct ps_proc *p = ps_socket_owner_proc(au->a->inv, s, 0);
		if (p->exe_deleted) {
			f = add(au, "listener-exe-deleted", PS_SEV_HIGH, l, "%u/%s is held by %s (pid %d) whose executable was deleted: %s",
				l->port, pn, p->comm, p->pid, p->exe ? p->exe : "?");
			fix(au, f, "portsec hidden; ls -l /proc/%d/exe", p->pid);
		} else if (exe_in_tmp(p->exe)) {
			f = add(au, "listener-exe-tmp", PS_SEV_HIGH, l,
				"%u/%s is held by %s (pid %d) running from a world-writable place: %s", l->port, pn, p->comm,
				p->pid, p->exe);
			fix(au, f, "portsec hidden; ls -l /proc/%d/exe; sha256sum %s", p->pid, p->exe);
		}
	} else if (s->owner_note != PS_ON_NOT_WALKED && s->owner_note != PS_ON_PERM_DENIED) {
		f = add(au, "listener-no-owner", PS_SEV_LOW, l, "%u/%s listener has no visible owner%s", l->port, pn,
			s->owner_note == PS_ON_OTHER_PIDNS ? " (its owner may live outside portsec's PID namespace)"
							   : " (socket in flight, kernel-owned, or a hidden process)");
		fix(au, f, "portsec hidden");
	}
}

static void policy_checks(struct ps_audit *au, struct ps_audit_listener *l, int vc, const struct ps_audit_opts *o)
{
	const struct ps_policy *p = o->policy;
	const char *pn = ps_proto_name(l->proto);
	struct ps_finding *f;
	if (!p) {
		l->decision = PS_AD_NO_POLICY;
		return;
	}
	const struct ps_socket *s = &au->a->inv->socks[l->row];
	struct ps_pol_subject sj = {
		.proto = l->proto,
		.port = l->port,
		.family = s->family,
		.addr = s->laddr,
		.scope = l->scope[0] == 'l' ? PS_POL_SCOPE_LOOPBACK : l->scope[0] == 's' ? PS_POL_SCOPE_SPECIFIC : PS_POL_SCOPE_ANY,
		.comm = l->comm,
		.exe = l->exe,
		.user = l->user,
		.unit = l->unit,
		.container = l->container,
		.netns = l->netns,
	};
	if (s->owner_count) {
		sj.have_uid = true;
		sj.uid = ps_socket_owner_proc(au->a->inv, s, 0)->uid;
	}
	const struct ps_pol_rule *exp = NULL;
	const struct ps_pol_rule *r = ps_policy_match(p, &sj, o->now, &exp);
	l->rule = r ? r : exp;
	if (r && r->action == PS_POL_DENY) {
		l->decision = PS_AD_DENIED;
		f = add(au, "policy-denied", PS_SEV_HIGH, l, "%u/%s is listening; policy line %u denies it%s%s", l->port, pn,
			r->line, r->reason ? ": " : "", r->reason ? r->reason : "");
		fix(au, f, "portsec close %u/%s; stop %s", l->port, pn, l->unit ? l->unit : l->comm ? l->comm : "its service");
		return;
	}
	if (r) {
		l->decision = PS_AD_ALLOWED;
		bool want_blocked = r->firewall == PS_POL_FW_BLOCKED, want_open = r->firewall == PS_POL_FW_OPEN;
		if (want_blocked && (reachable(vc) || vc == V_UNKNOWN)) {
			f = add(au, "policy-firewall-mismatch", vc == V_UNKNOWN ? PS_SEV_MEDIUM : PS_SEV_HIGH, l,
				"%u/%s must be blocked from outside (policy line %u) but is %s", l->port, pn, r->line,
				vc == V_UNKNOWN ? "not known to be (the firewall was not read)" : vnames[vc]);
			fix(au, f, "portsec close %u/%s", l->port, pn);
		} else if (want_open && (vc == V_BLOCKED || vc == V_LOCAL)) {
			f = add(au, "policy-firewall-mismatch", PS_SEV_LOW, l,
				"%u/%s should be reachable (policy line %u) but is %s", l->port, pn, r->line, vnames[vc]);
			fix(au, f, "portsec open %u/%s", l->port, pn);
		}
		return;
	}
	if (exp) {
		l->decision = PS_AD_EXPIRED;
		f = add(au, "policy-rule-expired", PS_SEV_MEDIUM, l, "%u/%s was allowed by policy line %u until its expiry", l->port,
			pn, exp->line);
		fix(au, f, "extend or remove line %u of the policy, or portsec close %u/%s", exp->line, l->port, pn);
		return;
	}
	if (p->default_deny) {
		l->decision = PS_AD_NOT_ALLOWED;
		f = add(au, "policy-not-allowed", PS_SEV_MEDIUM, l,
			"%u/%s (%s) is listening (%s) and no policy rule allows it (default deny)", l->port, pn,
			l->comm ? l->comm : "no visible owner", l->scope);
		fix(au, f, "portsec close %u/%s; or add `allow %s/%u process=%s scope=%s` to the policy", l->port, pn, pn, l->port,
		    l->comm ? l->comm : "*", l->scope);
		return;
	}
	l->decision = PS_AD_NO_POLICY;
}

/* ---- the listeners ---- */

static int build_listeners(struct ps_audit *au, const struct ps_audit_opts *o)
{
	const struct ps_assessment *a = au->a;
	const struct ps_inventory *inv = a->inv;
	bool fw_read = a->fw != NULL;
	/* sized once: most hosts have a finding or two per listener at most */
	au->nofw = malloc((a->nlisteners ? a->nlisteners : 1) * sizeof *au->nofw);
	if (!au->nofw || PS_VEC_RESERVE(au->l, au->lcap, a->nlisteners) != 0 ||
	    PS_VEC_RESERVE(au->findings, au->findings_cap, 2 * a->nlisteners + 16) != 0)
		return PS_ERR_NOMEM;
	for (size_t k = 0; k < a->nlisteners; k++) {
		const struct ps_listener *g = &a->listeners[k];
		const struct ps_socket *s = &inv->socks[g->first];
		struct ps_audit_listener *l = PS_VEC_PUSH(au->l, au->nl, au->lcap);
		if (!l)
			return PS_ERR_NOMEM;
		memset(l, 0, sizeof *l);
		l->proto = g->proto;
		l->family = s->family;
		l->port = g->port;
		ps_fmt_addr(l->addr, sizeof l->addr, s->family, s->laddr);
		l->scope = g->exposure == PS_EXPOSE_ANY ? "any" : g->exposure == PS_EXPOSE_ADDRESS ? "specific" : "loopback";
		const struct ps_reach *r = &a->reach[g->first];
		l->verdict = vnames[verdict_class(r, fw_read)];
		l->reach = r->text ? r->text : (fw_read ? "?" : "not evaluated (the ruleset was not read)");
		for (int fam = 0; fam < 2 && !l->decided_by; fam++)
			if (r->fam[fam] && r->fam[fam]->decided_by.set)
				l->decided_by = r->fam[fam]->decided_by.text;
		unsigned bit = g->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP;
		const struct ps_service *sv = o->db ? ps_svcdb_by_port(o->db, g->port, bit) : NULL;
		l->service = sv ? sv->name : NULL;
		l->row = g->first;
		const struct ps_netns *ns = &inv->netns[s->netns];
		l->netns = ns->current ? "host" : ns->name[0] ? ns->name : "?";
		if (s->owner_count) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, 0);
			l->pid = p->pid;
			l->comm = p->comm;
			l->exe = p->exe;
			l->user = ps_inventory_username(inv, p->uid);
			l->unit = p->unit;
			l->container = p->container;
		}
	}
	return PS_OK;
}

static int vclass_of(const struct ps_audit *au, const struct ps_audit_listener *l)
{
	for (int v = 0; v <= V_NOFW; v++)
		if (strcmp(vnames[v], l->verdict) == 0)
			return v;
	(void)au;
	return V_UNKNOWN;
}

/* portsec's own allow entries with nothing listening behind them */
static void stale_openings(struct ps_audit *au, const struct ps_fw_own *own)
{
	for (size_t i = 0; own && i < own->n; i++) {
		const struct ps_fw_entry *e = &own->e[i];
		if (e->action != PS_FW_ALLOW)
			continue;
		uint8_t pr = e->proto == 17 ? PS_PROTO_UDP : PS_PROTO_TCP;
		bool any = false;
		for (size_t k = 0; k < au->nl && !any; k++)
			any = au->l[k].proto == pr && au->l[k].port >= e->lo && au->l[k].port <= e->hi &&
			      au->l[k].scope[0] != 'l';
		if (any)
			continue;
		const char *pn = ps_proto_name(pr);
		struct ps_finding *f;
		if (e->lo == e->hi)
			f = add(au, "stale-firewall-opening", PS_SEV_LOW, NULL,
				"portsec rule %zu allows %u/%s in, but nothing listens there", i + 1, e->lo, pn);
		else
			f = add(au, "stale-firewall-opening", PS_SEV_LOW, NULL,
				"portsec rule %zu allows %u-%u/%s in, but nothing listens there", i + 1, e->lo, e->hi, pn);
		if (f) {
			f->has_endpoint = true;
			f->proto = pr;
			f->port = e->lo;
		}
		fix(au, f, "portsec rules delete %zu", i + 1);
	}
}

/* ---- baseline ---- */

static bool same_key(const struct ps_baseline_entry *b, const struct ps_audit_listener *l)
{
	return b->proto == l->proto && b->port == l->port && strcmp(b->addr, l->addr) == 0 && strcmp(b->netns, l->netns) == 0;
}

static void baseline_checks(struct ps_audit *au, const struct ps_baseline *bl)
{
	bool *seen = calloc(bl->n ? bl->n : 1, sizeof *seen);
	if (!seen)
		return;
	for (size_t k = 0; k < au->nl; k++) {
		const struct ps_audit_listener *l = &au->l[k];
		const char *pn = ps_proto_name(l->proto);
		const struct ps_baseline_entry *b = NULL;
		for (size_t i = 0; i < bl->n && !b; i++)
			if (!seen[i] && same_key(&bl->e[i], l)) {
				seen[i] = true;
				b = &bl->e[i];
			}
		struct ps_finding *f;
		if (!b) {
			au->baseline_new++;
			f = add(au, "baseline-new", PS_SEV_MEDIUM, l, "%u/%s on %s (%s) appeared since the baseline", l->port, pn,
				l->addr, l->comm ? l->comm : "no visible owner");
			fix(au, f, "portsec info %u/%s   # who holds it; `portsec baseline save` accepts it", l->port, pn);
			continue;
		}
		const char *exe = l->exe ? l->exe : "-";
		char what[160] = "";
		size_t w = 0;
		if (strcmp(b->exe, exe) != 0)
			w += (size_t)snprintf(what + w, sizeof what - w, "exe %s -> %s; ", b->exe, exe);
		if (w < sizeof what && strcmp(b->user, l->user ? l->user : "-") != 0)
			w += (size_t)snprintf(what + w, sizeof what - w, "user %s -> %s; ", b->user, l->user ? l->user : "-");
		if (w < sizeof what && strcmp(b->scope, l->scope) != 0)
			w += (size_t)snprintf(what + w, sizeof what - w, "scope %s -> %s; ", b->scope, l->scope);
		if (w < sizeof what && strcmp(b->verdict, l->verdict) != 0)
			w += (size_t)snprintf(what + w, sizeof what - w, "verdict %s -> %s; ", b->verdict, l->verdict);
		if (!w)
			continue;
		if (w >= 2 && w < sizeof what)
			what[w - 2] = 0;
		au->baseline_changed++;
		f = add(au, "baseline-changed", PS_SEV_MEDIUM, l, "%u/%s on %s changed since the baseline: %s", l->port, pn,
			l->addr, what);
		fix(au, f, "portsec info %u/%s; `portsec baseline save` accepts the change", l->port, pn);
	}
	for (size_t i = 0; i < bl->n; i++) {
		if (seen[i])
			continue;
		const struct ps_baseline_entry *b = &bl->e[i];
		au->baseline_gone++;
		struct ps_finding *f = add(au, "baseline-gone", PS_SEV_LOW, NULL, "%u/%s on %s (%s) is gone since the baseline",
					   b->port, ps_proto_name(b->proto), b->addr, b->exe);
		if (f) {
			f->has_endpoint = true;
			f->proto = b->proto;
			f->port = b->port;
		}
		fix(au, f, "`portsec baseline save` accepts it");
	}
	free(seen);
}

/* ---- the outside view ---- */

static const struct ps_audit_listener *listener_on(const struct ps_audit *au, uint8_t proto, uint16_t port)
{
	const struct ps_audit_listener *best = NULL;
	for (size_t k = 0; k < au->nl; k++)
		if (au->l[k].proto == proto && au->l[k].port == port && (!best || au->l[k].scope[0] != 'l'))
			best = &au->l[k];
	return best;
}

static void outside_checks(struct ps_audit *au, const struct ps_outside *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const struct ps_outside_port *op = &out->p[i];
		const struct ps_audit_listener *l = listener_on(au, op->proto, op->port);
		const char *pn = ps_proto_name(op->proto);
		struct ps_finding *f = NULL;
		if (op->state == PS_PST_OPEN && (!l || l->scope[0] == 'l')) {
			f = add(au, "outside-open-no-listener", PS_SEV_HIGH, NULL,
				"%u/%s is open from outside (%s) but nothing here listens on it outside loopback: NAT to another host, a container, or a hidden listener",
				op->port, pn, out->addr);
			fix(au, f, "portsec hidden; portsec rules   # look for DNAT to %u/%s", op->port, pn);
		} else if (op->state == PS_PST_OPEN && l &&
			   (l->decision == PS_AD_DENIED || l->decision == PS_AD_NOT_ALLOWED ||
			    (l->rule && l->rule->firewall == PS_POL_FW_BLOCKED))) {
			f = add(au, "outside-open-should-block", PS_SEV_HIGH, l,
				"%u/%s is open from outside (%s) but the policy says it must not be", op->port, pn, out->addr);
			fix(au, f, "portsec close %u/%s", op->port, pn);
		} else if (op->state == PS_PST_FILTERED && l && l->scope[0] != 'l' &&
			   (l->decision == PS_AD_ALLOWED && l->rule && l->rule->firewall != PS_POL_FW_BLOCKED)) {
			f = add(au, "outside-filtered-allowed", PS_SEV_LOW, l,
				"%u/%s is listening and allowed, but filtered from outside (%s): clients cannot reach it", op->port, pn,
				out->addr);
			fix(au, f, "portsec open %u/%s   # or a firewall between the scanner and this host drops it", op->port, pn);
		}
		if (f && !f->has_endpoint) {
			f->has_endpoint = true;
			f->proto = op->proto;
			f->port = op->port;
		}
	}
}

/* the hidden sweep's findings and the report's notes, as they are */
static void copy_findings(struct ps_audit *au, const struct ps_finding *src, size_t n, int min_sev)
{
	for (size_t i = 0; i < n; i++) {
		if (src[i].severity < min_sev)
			continue;
		struct ps_finding *f = ps_finding_push(&au->findings, &au->nfindings, &au->findings_cap, src[i].kind,
						       src[i].severity);
		if (!f)
			return;
		char **ev = f->evidence;
		*f = src[i];
		f->evidence = ev;
		f->nevidence = 0;
		f->evidence_cap = 0;
		/* strings are the source's: copy them into this arena */
		f->summary = src[i].summary ? ps_arena_strndup(au->arena, src[i].summary, strlen(src[i].summary)) : NULL;
		f->remediation = src[i].remediation ? ps_arena_strndup(au->arena, src[i].remediation, strlen(src[i].remediation))
						    : NULL;
		f->evidence = ps_arena_alloc(au->arena, (src[i].nevidence ? src[i].nevidence : 1) * sizeof *f->evidence);
		for (size_t k = 0; f->evidence && k < src[i].nevidence; k++)
			f->evidence[f->nevidence++] = ps_arena_strndup(au->arena, src[i].evidence[k], strlen(src[i].evidence[k]));
		au->by_severity[f->severity & 3]++;
	}
}

static int by_severity(const void *x, const void *y)
{
	const struct ps_finding *a = x, *b = y;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

int ps_audit_run(const struct ps_assessment *a, const struct ps_audit_opts *o, struct ps_audit **out)
{
	*out = NULL;
	struct ps_audit *au = calloc(1, sizeof *au);
	if (!au)
		return PS_ERR_NOMEM;
	au->a = a;
	au->arena = ps_assess_arena_new();
	if (!au->arena || build_listeners(au, o) != PS_OK) {
		ps_audit_free(au);
		return PS_ERR_NOMEM;
	}
	if (!a->fw)
		au->incomplete[au->nincomplete++] = a->fw_error ? a->fw_error : "the nftables ruleset could not be read";
	bool owners_missing = false;
	for (size_t k = 0; k < au->nl; k++) {
		struct ps_audit_listener *l = &au->l[k];
		int vc = vclass_of(au, l);
		policy_checks(au, l, vc, o);
		if (l->decision != PS_AD_ALLOWED)
			exposure_checks(au, l, vc, o);
		owner_checks(au, l);
		owners_missing |= a->inv->socks[l->row].owner_note == PS_ON_PERM_DENIED;
	}
	if (owners_missing)
		au->incomplete[au->nincomplete++] = "the owners of some listeners could not be read (permission denied)";
	no_firewall(au);
	stale_openings(au, o->own);
	if (o->baseline)
		baseline_checks(au, o->baseline);
	if (o->outside)
		outside_checks(au, o->outside);
	/* the report's notes (packet filters, other namespaces) and the hidden sweep */
	for (size_t i = 0; i < a->nfindings; i++)
		if (strcmp(a->findings[i].kind, "packet-socket-filters") == 0 ||
		    strcmp(a->findings[i].kind, "ipv6-nd-dropped") == 0 ||
		    strcmp(a->findings[i].kind, "other-netns-listeners") == 0)
			copy_findings(au, &a->findings[i], 1, 0);
	if (o->hidden) {
		copy_findings(au, o->hidden->findings, o->hidden->nfindings, PS_SEV_LOW);
		if (!ps_hidden_complete(o->hidden) && au->nincomplete < 8)
			au->incomplete[au->nincomplete++] = "some hidden-port checks could not run (see `portsec hidden`)";
	}
	if (au->nfindings > 1)
		qsort(au->findings, au->nfindings, sizeof *au->findings, by_severity);
	*out = au;
	return PS_OK;
}

void ps_audit_free(struct ps_audit *au)
{
	if (!au)
		return;
	free(au->findings);
	free(au->l);
	free(au->nofw);
	ps_assess_arena_free(au->arena);
	free(au);
}
