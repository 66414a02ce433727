/* rules.c - the built-in rules (pure functions over the summary's rows and
 * verdicts) and the registry of every check id (docs/checks.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "assess/internal.h"

static const struct ps_check_def defs[] = {
	/* the host report (assess/rules.c) */
	{"risky-service-exposed", "report", PS_SEV_HIGH, "a service that should not face the network listens on all interfaces"},
	{"listener-no-owner", "report", PS_SEV_LOW, "a listener no visible process holds"},
	{"listener-exe-deleted", "report", PS_SEV_HIGH, "a listener held by a process whose executable was deleted"},
	{"other-netns-listeners", "report", PS_SEV_INFO, "listeners in other network namespaces"},
	{"packet-socket-filters", "report", PS_SEV_INFO, "packet sockets with a BPF filter attached"},
	{"ipv6-nd-dropped", "report", PS_SEV_MEDIUM, "the firewall drops IPv6 neighbour discovery: IPv6 listeners its rules let in are unreachable"},
	/* portsec audit (assess/audit.c) */
	{"local-service-exposed", "audit", PS_SEV_HIGH, "a normally local service (database, cache, admin API) listens on all interfaces and is reachable"},
	{"cleartext-remote-access", "audit", PS_SEV_HIGH, "a cleartext remote-access service (telnet, ftp, rsh, tftp, SNMP) is reachable"},
	{"exposed-no-firewall", "audit", PS_SEV_LOW, "listeners reachable with no firewall on the input path (one finding for the host, naming the ports)"},
	{"docker-bypass", "audit", PS_SEV_MEDIUM, "a port DNAT'ed before input filtering (a published container port)"},
	{"privileged-port-nonroot", "audit", PS_SEV_MEDIUM, "a privileged port held by a user other than root"},
	{"listener-exe-tmp", "audit", PS_SEV_HIGH, "a listener held by a program in /tmp, /dev/shm, /var/tmp or /run/user"},
	{"stale-firewall-opening", "audit", PS_SEV_LOW, "a portsec allow rule with nothing listening behind it"},
	{"policy-denied", "audit", PS_SEV_HIGH, "a listener a deny rule of the policy matches"},
	{"policy-not-allowed", "audit", PS_SEV_MEDIUM, "a listener no policy rule allows under `default deny`"},
	{"policy-rule-expired", "audit", PS_SEV_MEDIUM, "a listener allowed only by an expired policy rule"},
	{"policy-firewall-mismatch", "audit", PS_SEV_HIGH, "a listener whose firewall verdict is not the one its policy rule requires"},
	{"baseline-new", "audit", PS_SEV_MEDIUM, "a listener that appeared since the baseline"},
	{"baseline-changed", "audit", PS_SEV_MEDIUM, "a listener whose exe, user, scope or verdict changed since the baseline"},
	{"baseline-gone", "audit", PS_SEV_LOW, "a listener of the baseline that is gone"},
	{"outside-open-no-listener", "audit", PS_SEV_HIGH, "open from outside, with no listener here outside loopback"},
	{"outside-open-should-block", "audit", PS_SEV_HIGH, "open from outside although the policy says it must not be"},
	{"outside-filtered-allowed", "audit", PS_SEV_LOW, "listening and allowed, but filtered from outside"},
	/* portsec hidden (hidden/) */
	{"hidden-port", "hidden", PS_SEV_HIGH, "a port in use that no listing shows"},
	{"hidden-socket", "hidden", PS_SEV_HIGH, "a socket fd that no listing shows"},
	{"hidden-listener", "hidden", PS_SEV_HIGH, "a port that accepts connections with no listed listener"},
	{"hidden-from-libc", "hidden", PS_SEV_HIGH, "a socket the raw views see and libc's reads do not"},
	{"process-hidden-from-libc", "hidden", PS_SEV_HIGH, "a process or socket fd the raw /proc listing has and libc's readdir does not"},
	{"view-mismatch", "hidden", PS_SEV_HIGH, "a socket one kernel view lists and the other does not, twice"},
	{"counter-mismatch", "hidden", PS_SEV_MEDIUM, "the kernel's socket counters exceed the listings"},
	{"packet-socket", "hidden", PS_SEV_HIGH, "a packet socket and its owner"},
	{"packet-filter", "hidden", PS_SEV_HIGH, "a packet socket with a classic BPF filter"},
	{"raw-socket", "hidden", PS_SEV_HIGH, "a raw IP socket and its owner"},
	{"masquerade", "hidden", PS_SEV_HIGH, "a process whose name does not fit its executable"},
	{"deleted-exe", "hidden", PS_SEV_HIGH, "a process running a deleted executable"},
	{"ebpf-socket-filter", "hidden", PS_SEV_MEDIUM, "an eBPF program attached as a socket filter"},
	{"ebpf-write-user", "hidden", PS_SEV_HIGH, "an eBPF program calling bpf_probe_write_user"},
	{"ld-so-preload", "hidden", PS_SEV_HIGH, "a library in /etc/ld.so.preload"},
	{"ld-preload", "hidden", PS_SEV_MEDIUM, "a process running with LD_PRELOAD or LD_AUDIT"},
	{"backdoor-port", "hidden", PS_SEV_LOW, "a socket on a port known from old backdoors (a hint)"},
	{"bound-only", "hidden", PS_SEV_INFO, "a bound, never listening TCP socket (explained)"},
	{"explained-port", "hidden", PS_SEV_INFO, "a port in use that a listed socket explains"},
};

const struct ps_check_def *ps_check_defs(size_t *n)
{
	*n = sizeof defs / sizeof defs[0];
	return defs;
}

const struct ps_check_def *ps_check_def(const char *id)
{
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
		if (strcmp(defs[i].id, id) == 0)
			return &defs[i];
	return NULL;
}

__attribute__((format(printf, 6, 7))) static struct ps_finding *
add(struct ps_assessment *a, const char *id, int sev, const struct ps_listener *l, const char *fix,
    const char *fmt, ...)
{
	struct ps_finding *f = ps_finding_push(&a->findings, &a->nfindings, &a->findings_cap, id, sev);
	if (!f)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	f->summary = as_vprintf(a->arena, fmt, ap);
	va_end(ap);
	f->remediation = fix ? ps_arena_strndup(a->arena, fix, strlen(fix)) : NULL;
	if (l) {
		const struct ps_socket *s = &a->inv->socks[l->first];
		f->has_endpoint = true;
		f->proto = l->proto;
		f->port = l->port;
		f->family = s->family;
		memcpy(f->addr, s->laddr, 16);
		f->inode = s->inode;
		f->sock = (int32_t)l->first;
		f->pid = l->pid;
		/* evidence: the row, its owner, its verdict */
		f->evidence = ps_arena_alloc(a->arena, 3 * sizeof *f->evidence);
		if (f->evidence) {
			char ep[96];
			ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
			f->evidence[f->nevidence++] = as_printf(a->arena, "%s %s %s", ps_proto_name(s->proto),
							      ps_state_name(s->proto, s->state), ep);
			if (s->owner_count) {
				const struct ps_proc *p = ps_socket_owner_proc(a->inv, s, 0);
				f->evidence[f->nevidence++] =
					as_printf(a->arena, "held by pid %d (%s), exe %s", p->pid, p->comm, p->exe ? p->exe : "?");
			}
			if (a->reach[l->first].text)
				f->evidence[f->nevidence++] = as_printf(a->arena, "firewall: %s", a->reach[l->first].text);
		}
	}
	a->by_severity[sev & 3]++;
	return f;
}

/* one finding for the host: the ports IPv6 would reach but for a dropped
 * neighbour solicitation, and the rule that drops it */
static void nd_dropped(struct ps_assessment *a)
{
	struct ps_buf b;
	ps_buf_init(&b);
	size_t n = 0;
	const struct ps_verdict_doc *first = NULL;
	for (size_t k = 0; k < a->nlisteners; k++) {
		const struct ps_listener *l = &a->listeners[k];
		const struct ps_verdict_doc *v6 = a->reach[l->first].fam[1];
		if (!v6 || !v6->nd_blocked)
			continue;
		if (!first)
			first = v6;
		if (n < 12)
			ps_buf_printf(&b, "%s%u/%s", n ? ", " : "", l->port, ps_proto_name(l->proto));
		n++;
	}
	if (n) {
		if (n > 12)
			ps_buf_printf(&b, " and %zu more", n - 12);
		struct ps_finding *f =
			add(a, "ipv6-nd-dropped", PS_SEV_MEDIUM, NULL,
			    "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept   # before the drop",
			    "the firewall drops IPv6 neighbour discovery (%s): %zu listener%s its rules let in %s unreachable over IPv6 (%.*s)",
			    first->decided_by.text, n, n == 1 ? "" : "s", n == 1 ? "is" : "are", (int)b.len,
			    b.data ? b.data : "");
		if (f) {
			f->evidence = ps_arena_alloc(a->arena, sizeof *f->evidence);
			if (f->evidence && first->decided_by.rule)
				f->evidence[f->nevidence++] = as_printf(a->arena, "dropped by: %s", first->decided_by.rule);
		}
	}
	ps_buf_free(&b);
}

int as_rules(struct ps_assessment *a, const struct ps_svcdb *db)
{
	const struct ps_inventory *inv = a->inv;
	char fix[160];
	for (size_t k = 0; k < a->nlisteners; k++) {
		const struct ps_listener *l = &a->listeners[k];
		const struct ps_socket *s = &inv->socks[l->first];
		const char *pn = ps_proto_name(l->proto);
		unsigned bit = l->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP;
		const struct ps_service *sv = db ? ps_svcdb_by_port(db, l->port, bit) : NULL;
		if (l->exposure == PS_EXPOSE_ANY && sv && sv->risk) {
			snprintf(fix, sizeof fix, "portsec close %u/%s", l->port, pn);
			add(a, "risky-service-exposed", sv->risk >= 2 ? PS_SEV_HIGH : PS_SEV_MEDIUM, l, fix,
			    "%u/%s (%s) listens on all interfaces: %s%s", l->port, pn, sv->name, sv->description,
			    sv->risk >= 2 ? "; this should not face the network"
					  : "; bind it to loopback or a private address unless clients need it");
		}
		if (!s->owner_count && s->owner_note != PS_ON_NOT_WALKED) {
			const char *why = s->owner_note == PS_ON_PERM_DENIED
						  ? "its owner's file descriptors could not be read (permission denied)"
					  : s->owner_note == PS_ON_OTHER_PIDNS
						  ? "its owner may live outside portsec's PID namespace"
						  : "no process holds it (socket in flight, kernel-owned, or a hidden process: see `portsec hidden`)";
			add(a, "listener-no-owner", PS_SEV_LOW, l, "portsec hidden", "%u/%s listener has no visible owner: %s",
			    l->port, pn, why);
		}
		if (s->owner_count) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, 0);
			if (p->exe_deleted) {
				snprintf(fix, sizeof fix, "portsec hidden; ls -l /proc/%d/exe", p->pid);
				add(a, "listener-exe-deleted", PS_SEV_HIGH, l, fix,
				    "%u/%s is held by %s (pid %d) whose executable was deleted: %s", l->port, pn, p->comm,
				    p->pid, p->exe ? p->exe : "?");
			}
		}
	}
	nd_dropped(a);
	const struct ps_host_counts *c = &a->counts;
	if (c->other_netns_listeners)
		add(a, "other-netns-listeners", PS_SEV_INFO, NULL, "portsec list --all-netns -l",
		    "%zu listening socket%s in %zu other network namespace%s (containers, netns): `portsec list --all-netns -l`",
		    c->other_netns_listeners, c->other_netns_listeners == 1 ? "" : "s", c->other_netns,
		    c->other_netns == 1 ? "" : "s");
	if (c->packet_filtered)
		add(a, "packet-socket-filters", PS_SEV_INFO, NULL, "portsec hidden",
		    "%zu packet socket%s with a BPF filter attached (capture tools, DHCP clients, or a passive backdoor): `portsec list -0 -p`",
		    c->packet_filtered, c->packet_filtered == 1 ? "" : "s");
	return PS_OK;
}
