/* out_report.c - the host report (`portsec` with no arguments): listeners
 * grouped by exposure, their owners and services, connection counts, and
 * plain-words warnings. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "out_internal.h"

/* one line of the report: a (proto, port, owner) listening on 1+ addresses */
struct group {
	uint8_t proto;
	uint16_t port;
	int exposure;       /* 0 all interfaces, 1 specific address, 2 loopback */
	size_t first;       /* first socket index */
	size_t nsocks;
	int32_t pid;        /* first owner pid, 0 if none */
	char addrs[256];
};

static int exposure_of(const struct ps_socket *s)
{
	switch (ps_scope_of(s->family, s->laddr)) {
	case PS_SCOPE_ANY: return 0;
	case PS_SCOPE_ADDRESS: return 1;
	case PS_SCOPE_LOOPBACK: return 2;
	}
	return 0;
}

static int gcmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->exposure != y->exposure)
		return x->exposure - y->exposure;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->proto - (int)y->proto;
}

struct warn {
	const char *sev;
	char msg[320];
	uint16_t port;
	uint8_t proto;
};

struct report {
	struct group *g;
	size_t ng, gcap;
	struct warn *w;
	size_t nw, wcap;
};

static struct warn *add_warn(struct report *r, const char *sev, uint8_t proto, uint16_t port)
{
	if (r->nw == r->wcap) {
		size_t nc = r->wcap ? r->wcap * 2 : 16;
		struct warn *nw = realloc(r->w, nc * sizeof *nw);
		if (!nw)
			return NULL;
		r->w = nw;
		r->wcap = nc;
	}
	struct warn *w = &r->w[r->nw++];
	memset(w, 0, sizeof *w);
	w->sev = sev;
	w->proto = proto;
	w->port = port;
	return w;
}

static int32_t first_pid(const struct ps_inventory *inv, const struct ps_socket *s)
{
	return s->owner_count ? ps_socket_owner_proc(inv, s, 0)->pid : 0;
}

static void owner_words(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s)
{
	if (!s->owner_count) {
		const char *n = ps_owner_note_name(s->owner_note);
		ps_buf_printf(b, "? no visible owner%s%s%s", n ? " (" : "", n ? n : "", n ? ")" : "");
		return;
	}
	const struct ps_proc *p = ps_socket_owner_proc(inv, s, 0);
	const char *user = ps_inventory_username(inv, p->uid);
	ps_buf_printf(b, "%s (pid %d, ", p->comm, p->pid);
	if (user)
		ps_buf_puts(b, user);
	else
		ps_buf_printf(b, "uid %u", p->uid);
	if (p->unit)
		ps_buf_printf(b, ", %s", p->unit);
	if (p->container)
		ps_buf_printf(b, ", container %.19s", p->container);
	ps_buf_putc(b, ')');
	unsigned others = 0;
	for (uint32_t k = 1; k < s->owner_count; k++)
		if (ps_socket_owner_proc(inv, s, k)->pid != p->pid)
			others++;
	if (others)
		ps_buf_printf(b, " +%u more process%s", others, others == 1 ? "" : "es");
}

int ps_out_report(struct ps_buf *b, bool json, const struct ps_report_ctx *ctx,
		  const struct ps_inventory *inv, const struct ps_svcdb *db,
		  const struct ps_out_opts *o, unsigned *nwarnings)
{
	struct report r = {0};
	size_t estab_tcp = 0, inbound = 0, tw = 0, udp_conn = 0, other_ns_listeners = 0;
	size_t other_ns = 0, raw = 0, packet = 0, packet_filtered = 0, bound_inactive = 0;
	uint32_t cur = 0;
	for (size_t i = 0; i < inv->nnetns; i++)
		if (inv->netns[i].current)
			cur = (uint32_t)i;
	for (size_t i = 0; i < inv->nnetns; i++)
		if (!inv->netns[i].current && inv->netns[i].entered)
			other_ns++;

	/* listening ports of the current namespace: which local (proto, port) listen */
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->netns != cur) {
			if (ps_socket_is_listener(s) && s->proto != PS_PROTO_RAW)
				other_ns_listeners++;
			continue;
		}
		if (s->proto == PS_PROTO_RAW) {
			raw++;
			continue;
		}
		if (s->proto == PS_PROTO_PACKET) {
			packet++;
			packet_filtered += s->has_filter;
			continue;
		}
		if (s->state == PS_ST_BOUND_INACTIVE) {
			bound_inactive++;
			continue;
		}
		if (!ps_socket_is_listener(s)) {
			if (s->proto == PS_PROTO_TCP && s->state == PS_ST_ESTABLISHED)
				estab_tcp++;
			else if (s->proto == PS_PROTO_TCP && s->state == PS_ST_TIME_WAIT)
				tw++;
			else if (s->proto == PS_PROTO_UDP)
				udp_conn++;
			continue;
		}
		/* UDP sockets bound to an ephemeral port by a client are "unconnected"
		 * too; they are listeners in the kernel's sense, and shown as such */
		int ex = exposure_of(s);
		int32_t pid = first_pid(inv, s);
		struct group *g = NULL;
		for (size_t k = 0; k < r.ng; k++)
			if (r.g[k].proto == s->proto && r.g[k].port == s->lport && r.g[k].exposure == ex &&
			    r.g[k].pid == pid) {
				g = &r.g[k];
				break;
			}
		if (!g) {
			if (r.ng == r.gcap) {
				size_t nc = r.gcap ? r.gcap * 2 : 32;
				struct group *ng = realloc(r.g, nc * sizeof *ng);
				if (!ng) {
					free(r.g);
					free(r.w);
					return PS_ERR_NOMEM;
				}
				r.g = ng;
				r.gcap = nc;
			}
			g = &r.g[r.ng++];
			memset(g, 0, sizeof *g);
			g->proto = s->proto;
			g->port = s->lport;
			g->exposure = ex;
			g->first = i;
			g->pid = pid;
		}
		g->nsocks++;
		char a[64];
		ps_fmt_addr(a, sizeof a, s->family, s->laddr);
		char tok[80];
		snprintf(tok, sizeof tok, s->family == AF_INET6 ? "[%s]" : "%s", a);
		if (!strstr(g->addrs, tok) && strlen(g->addrs) + strlen(tok) + 2 < sizeof g->addrs) {
			if (g->addrs[0])
				strcat(g->addrs, " ");
			strcat(g->addrs, tok);
		}
	}
	/* inbound: established sockets whose local port has a listener here */
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->netns != cur || s->proto != PS_PROTO_TCP || s->state != PS_ST_ESTABLISHED)
			continue;
		for (size_t k = 0; k < r.ng; k++)
			if (r.g[k].proto == PS_PROTO_TCP && r.g[k].port == s->lport) {
				inbound++;
				break;
			}
	}
	qsort(r.g, r.ng, sizeof *r.g, gcmp);

	/* warnings */
	for (size_t k = 0; k < r.ng; k++) {
		const struct group *g = &r.g[k];
		const struct ps_socket *s = &inv->socks[g->first];
		unsigned bit = g->proto == PS_PROTO_TCP ? PS_P_TCP : PS_P_UDP;
		const struct ps_service *sv = ps_svcdb_by_port(db, g->port, bit);
		if (g->exposure == 0 && sv && sv->risk) {
			struct warn *w = add_warn(&r, sv->risk >= 2 ? "high" : "medium", g->proto, g->port);
			if (w)
				snprintf(w->msg, sizeof w->msg,
					 "%u/%s (%s) listens on all interfaces: %s%s", g->port,
					 ps_proto_name(g->proto), sv->name, sv->description,
					 sv->risk >= 2 ? "; this should not face the network"
						       : "; bind it to loopback or a private address unless clients need it");
		}
		if (!s->owner_count && s->owner_note != PS_ON_NOT_WALKED) {
			struct warn *w = add_warn(&r, "low", g->proto, g->port);
			const char *why = s->owner_note == PS_ON_PERM_DENIED
						  ? "its owner's file descriptors could not be read (permission denied)"
					  : s->owner_note == PS_ON_OTHER_PIDNS
						  ? "its owner may live outside portsec's PID namespace"
						  : "no process holds it (socket in flight, kernel-owned, or a hidden process: see `portsec hidden`)";
			if (w)
				snprintf(w->msg, sizeof w->msg, "%u/%s listener has no visible owner: %s",
					 g->port, ps_proto_name(g->proto), why);
		}
		if (s->owner_count) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, 0);
			if (p->exe_deleted) {
				struct warn *w = add_warn(&r, "high", g->proto, g->port);
				if (w)
					snprintf(w->msg, sizeof w->msg,
						 "%u/%s is held by %s (pid %d) whose executable was deleted: %s",
						 g->port, ps_proto_name(g->proto), p->comm, p->pid,
						 p->exe ? p->exe : "?");
			}
		}
	}
	if (other_ns_listeners) {
		struct warn *w = add_warn(&r, "info", 0, 0);
		if (w)
			snprintf(w->msg, sizeof w->msg,
				 "%zu listening socket%s in %zu other network namespace%s (containers, netns): `portsec list --all-netns -l`",
				 other_ns_listeners, other_ns_listeners == 1 ? "" : "s", other_ns,
				 other_ns == 1 ? "" : "s");
	}
	if (packet_filtered) {
		struct warn *w = add_warn(&r, "info", 0, 0);
		if (w)
			snprintf(w->msg, sizeof w->msg,
				 "%zu packet socket%s with a BPF filter attached (capture tools, DHCP clients, or a passive backdoor): `portsec list -0 -p`",
				 packet_filtered, packet_filtered == 1 ? "" : "s");
	}
	if (nwarnings) {
		*nwarnings = 0;
		for (size_t q = 0; q < r.nw; q++)
			if (strcmp(r.w[q].sev, "high") == 0 || strcmp(r.w[q].sev, "medium") == 0)
				(*nwarnings)++;
	}

	if (json) {
		struct ps_json j;
		ps_json_init(&j, b, true);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "host");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "hostname");
		ps_json_str(&j, ctx->hostname);
		ps_json_key(&j, "kernel");
		ps_json_str(&j, ctx->kernel);
		ps_json_key(&j, "time");
		ps_json_str(&j, ctx->time_utc);
		ps_json_key(&j, "netns");
		ps_json_netns_obj(&j, &inv->netns[cur]);
		ps_json_obj_end(&j);
		ps_json_key(&j, "listeners");
		ps_json_arr_begin(&j);
		static const char *const exname[] = {"any", "address", "loopback"};
		for (size_t k = 0; k < r.ng; k++) {
			const struct group *g = &r.g[k];
			const struct ps_socket *s = &inv->socks[g->first];
			ps_json_obj_begin(&j);
			ps_json_key(&j, "proto");
			ps_json_str(&j, ps_proto_name(g->proto));
			ps_json_key(&j, "port");
			ps_json_u64(&j, g->port);
			ps_json_key(&j, "exposure");
			ps_json_str(&j, exname[g->exposure]);
			ps_json_key(&j, "addresses");
			ps_json_arr_begin(&j);
			for (size_t i = 0; i < inv->nsocks; i++) {
				const struct ps_socket *x = &inv->socks[i];
				if (x->netns == cur && x->proto == g->proto && x->lport == g->port &&
				    ps_socket_is_listener(x) && exposure_of(x) == g->exposure &&
				    first_pid(inv, x) == g->pid) {
					char a[64];
					ps_fmt_addr(a, sizeof a, x->family, x->laddr);
					ps_json_str(&j, a);
				}
			}
			ps_json_arr_end(&j);
			ps_json_key(&j, "service");
			ps_json_str(&j, ps_socket_service(db, s));
			ps_json_key(&j, "owners");
			ps_json_owners(&j, inv, s);
			ps_json_key(&j, "owner_note");
			ps_json_str(&j, ps_owner_note_name(s->owner_note));
			ps_json_key(&j, "reachability");
			if (o->fw) {
				struct ps_buf t;
				ps_buf_init(&t);
				ps_out_fw_reach(&t, o->fw, s);
				ps_json_strn(&j, t.data ? t.data : "", t.len);
				ps_buf_free(&t);
			} else {
				ps_json_null(&j);
			}
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "connections");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "tcp_established");
		ps_json_u64(&j, estab_tcp);
		ps_json_key(&j, "tcp_inbound");
		ps_json_u64(&j, inbound);
		ps_json_key(&j, "tcp_time_wait");
		ps_json_u64(&j, tw);
		ps_json_key(&j, "udp_connected");
		ps_json_u64(&j, udp_conn);
		ps_json_key(&j, "tcp_bound_inactive");
		ps_json_u64(&j, bound_inactive);
		ps_json_key(&j, "raw_sockets");
		ps_json_u64(&j, raw);
		ps_json_key(&j, "packet_sockets");
		ps_json_u64(&j, packet);
		ps_json_obj_end(&j);
		ps_json_key(&j, "other_namespaces");
		ps_json_arr_begin(&j);
		for (size_t i = 0; i < inv->nnetns; i++) {
			const struct ps_netns *ns = &inv->netns[i];
			if (ns->current)
				continue;
			size_t nl = 0;
			for (size_t k = 0; k < inv->nsocks; k++)
				nl += inv->socks[k].netns == i && ps_socket_is_listener(&inv->socks[k]) &&
				      inv->socks[k].proto != PS_PROTO_RAW;
			ps_json_obj_begin(&j);
			ps_json_key(&j, "inode");
			ps_json_u64(&j, ns->inode);
			ps_json_key(&j, "name");
			ps_json_str(&j, ns->name[0] ? ns->name : NULL);
			ps_json_key(&j, "listed");
			ps_json_bool(&j, ns->entered);
			ps_json_key(&j, "listeners");
			ps_json_u64(&j, nl);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "findings");
		ps_json_arr_begin(&j);
		for (size_t k = 0; k < r.nw; k++) {
			ps_json_obj_begin(&j);
			ps_json_key(&j, "severity");
			ps_json_str(&j, r.w[k].sev);
			ps_json_key(&j, "message");
			ps_json_str(&j, r.w[k].msg);
			ps_json_key(&j, "proto");
			ps_json_str(&j, r.w[k].proto ? ps_proto_name(r.w[k].proto) : NULL);
			ps_json_key(&j, "port");
			if (r.w[k].proto)
				ps_json_u64(&j, r.w[k].port);
			else
				ps_json_null(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_sources(&j, inv);
		ps_json_warnings(&j, inv);
		ps_json_key(&j, "firewall_error");
		ps_json_str(&j, o->fw ? NULL : o->fw_error);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
		free(r.g);
		free(r.w);
		return b->err;
	}

	const char *B = o->color ? C_BOLD : "", *R = o->color ? C_RESET : "";
	const char *D = o->color ? C_DIM : "";
	ps_buf_printf(b, "%sportsec host report%s — %s, Linux %s, %s\n", B, R, ctx->hostname,
		      ctx->kernel, ctx->time_utc);
	static const char *const title[] = {
		"Listening on all interfaces (reachable from the network unless a firewall blocks it)",
		"Listening on specific addresses",
		"Listening on loopback only (reachable from this host only)",
	};
	size_t k = 0;
	for (int ex = 0; ex < 3; ex++) {
		size_t start = k;
		while (k < r.ng && r.g[k].exposure == ex)
			k++;
		ps_buf_printf(b, "\n%s%s%s\n", B, title[ex], R);
		if (start == k) {
			ps_buf_printf(b, "  %snone%s\n", D, R);
			continue;
		}
		/* width of the address column */
		size_t aw = 9;
		for (size_t q = start; q < k; q++)
			if (strlen(r.g[q].addrs) > aw)
				aw = strlen(r.g[q].addrs);
		if (aw > 40)
			aw = 40;
		ps_buf_printf(b, "  %s%-11s %-15s %-*s %s%s\n", D, "PORT", "SERVICE", (int)aw, "ADDRESSES",
			      "PROGRAM", R);
		for (size_t q = start; q < k; q++) {
			const struct group *g = &r.g[q];
			const struct ps_socket *s = &inv->socks[g->first];
			char pp[16];
			snprintf(pp, sizeof pp, "%u/%s", g->port, ps_proto_name(g->proto));
			const char *sv = ps_socket_service(db, s);
			ps_buf_printf(b, "  %-11s %-15s %-*s ", pp, sv ? sv : "-", (int)aw, g->addrs);
			owner_words(b, inv, s);
			ps_buf_putc(b, '\n');
			if (o->fw && ex != 2) {
				ps_buf_printf(b, "  %s%-11s firewall: ", D, "");
				ps_out_fw_reach(b, o->fw, s);
				ps_buf_printf(b, "%s\n", R);
			}
		}
	}
	if (!o->fw && o->fw_error)
		ps_buf_printf(b, "\n%sFirewall%s: not evaluated (%s)\n", B, R, o->fw_error);
	ps_buf_printf(b, "\n%sConnections%s: %zu established TCP (%zu to local listeners), %zu time-wait, %zu connected UDP",
		      B, R, estab_tcp, inbound, tw, udp_conn);
	if (bound_inactive)
		ps_buf_printf(b, ", %zu TCP bound but not listening", bound_inactive);
	if (raw || packet)
		ps_buf_printf(b, "; %zu raw IP and %zu packet sockets", raw, packet);
	ps_buf_puts(b, "\n");
	if (other_ns)
		ps_buf_printf(b, "Other network namespaces: %zu (%zu listening sockets)\n", other_ns,
			      other_ns_listeners);
	if (r.nw) {
		ps_buf_printf(b, "\n%sWarnings%s\n", B, R);
		for (size_t q = 0; q < r.nw; q++) {
			const char *col = !o->color ? ""
					  : strcmp(r.w[q].sev, "high") == 0 ? C_RED
					  : strcmp(r.w[q].sev, "info") == 0 ? C_CYAN
									    : C_YELLOW;
			ps_buf_printf(b, "  %s%-6s%s %s\n", col, r.w[q].sev, R, r.w[q].msg);
		}
	} else {
		ps_buf_printf(b, "\nNo warnings.\n");
	}
	if (inv->nwarnings) {
		ps_buf_printf(b, "\n%sWhat portsec could not see%s\n", B, R);
		for (size_t q = 0; q < inv->nwarnings; q++)
			ps_buf_printf(b, "  - %s\n", inv->warnings[q]);
	}
	free(r.g);
	free(r.w);
	return b->err;
}
