/* out_report.c - the host report (`portsec` with no arguments): formats the
 * assessment (ps_assess.h): listeners grouped by exposure, their owners,
 * services and reach, connection counts, and the findings in plain words. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "out_internal.h"

static void owner_words(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s)
{
	if (!s->owner_count && s->owner_note == PS_ON_OTHER_PIDNS) {
		ps_buf_puts(b, "? owner not visible (other PID namespace)");
		return;
	}
	if (!s->owner_count) {
		const char *n = ps_owner_note_name(s->owner_note);
		ps_buf_printf(b, "? no visible owner%s%s%s", n ? " (" : "", n ? n : "", n ? ")" : "");
		return;
	}
	const struct ps_proc *p = ps_socket_owner_proc(inv, s, 0);
	const char *user = ps_inventory_username(inv, p->uid);
	char t[4096];
	ps_buf_printf(b, "%s (pid %d, ", ps_term_str(t, sizeof t, p->comm), p->pid);
	if (user)
		ps_buf_puts(b, user);
	else
		ps_buf_printf(b, "uid %u", p->uid);
	if (p->unit)
		ps_buf_printf(b, ", %s", ps_term_str(t, sizeof t, p->unit));
	if (p->container)
		ps_buf_printf(b, ", container %.19s", ps_term_str(t, sizeof t, p->container));
	ps_buf_putc(b, ')');
	unsigned others = 0;
	for (uint32_t k = 1; k < s->owner_count; k++)
		if (ps_socket_owner_proc(inv, s, k)->pid != p->pid)
			others++;
	if (others)
		ps_buf_printf(b, " +%u more process%s", others, others == 1 ? "" : "es");
}

/* "0.0.0.0 [::]" of a listener group (each address once) */
static void group_addrs(const struct ps_assessment *a, const struct ps_listener *g, char *out, size_t cap)
{
	out[0] = 0;
	for (uint32_t r = 0; r < g->nrows; r++) {
		const struct ps_socket *s = &a->inv->socks[a->lrows[g->row0 + r]];
		char ad[64];
		ps_fmt_addr(ad, sizeof ad, s->family, s->laddr);
		char tok[80];
		snprintf(tok, sizeof tok, s->family == AF_INET6 ? "[%s]" : "%s", ad);
		if (!strstr(out, tok) && strlen(out) + strlen(tok) + 2 < cap) {
			if (out[0])
				strcat(out, " ");
			strcat(out, tok);
		}
	}
}

int ps_out_report(struct ps_buf *b, bool json, const struct ps_report_ctx *ctx,
		  const struct ps_assessment *a, const struct ps_svcdb *db, const struct ps_out_opts *o)
{
	const struct ps_inventory *inv = a->inv;
	const struct ps_host_counts *c = &a->counts;
	uint32_t cur = a->cur;
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
				for (size_t k = 0; k < a->nlisteners; k++) {
			const struct ps_listener *g = &a->listeners[k];
			const struct ps_socket *s = &inv->socks[g->first];
			ps_json_obj_begin(&j);
			ps_json_key(&j, "proto");
			ps_json_str(&j, ps_proto_name(g->proto));
			ps_json_key(&j, "port");
			ps_json_u64(&j, g->port);
			ps_json_key(&j, "exposure");
			ps_json_str(&j, ps_exposure_name(g->exposure));
			ps_json_key(&j, "addresses");
			ps_json_arr_begin(&j);
			for (uint32_t r = 0; r < g->nrows; r++) {
				const struct ps_socket *x = &inv->socks[a->lrows[g->row0 + r]];
				char ad[64];
				ps_fmt_addr(ad, sizeof ad, x->family, x->laddr);
				ps_json_str(&j, ad);
			}
			ps_json_arr_end(&j);
			ps_json_key(&j, "service");
			ps_json_str(&j, ps_socket_service(db, s));
			ps_json_key(&j, "owners");
			ps_json_owners(&j, inv, s);
			ps_json_key(&j, "owner_note");
			ps_json_str(&j, ps_owner_note_name(s->owner_note));
			ps_json_key(&j, "reachability");
			if (a->fw && a->reach[g->first].text)
				ps_json_str(&j, a->reach[g->first].text);
			else
				ps_json_null(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_key(&j, "connections");
		ps_json_obj_begin(&j);
		ps_json_key(&j, "tcp_established");
		ps_json_u64(&j, c->tcp_established);
		ps_json_key(&j, "tcp_inbound");
		ps_json_u64(&j, c->tcp_inbound);
		ps_json_key(&j, "tcp_time_wait");
		ps_json_u64(&j, c->tcp_time_wait);
		ps_json_key(&j, "udp_connected");
		ps_json_u64(&j, c->udp_connected);
		ps_json_key(&j, "tcp_bound_inactive");
		ps_json_u64(&j, c->tcp_bound_inactive);
		ps_json_key(&j, "raw_sockets");
		ps_json_u64(&j, c->raw);
		ps_json_key(&j, "packet_sockets");
		ps_json_u64(&j, c->packet);
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
		for (size_t k = 0; k < a->nfindings; k++) {
			const struct ps_finding *f = &a->findings[k];
			ps_json_obj_begin(&j);
			ps_json_key(&j, "severity");
			ps_json_str(&j, ps_severity_name(f->severity));
			ps_json_key(&j, "message");
			ps_json_str(&j, f->summary);
			ps_json_key(&j, "proto");
			ps_json_str(&j, f->has_endpoint ? ps_proto_name(f->proto) : NULL);
			ps_json_key(&j, "port");
			if (f->has_endpoint)
				ps_json_u64(&j, f->port);
			else
				ps_json_null(&j);
			ps_json_obj_end(&j);
		}
		ps_json_arr_end(&j);
		ps_json_sources(&j, inv);
		ps_json_warnings(&j, inv);
		ps_json_key(&j, "firewall_error");
		ps_json_str(&j, a->fw ? NULL : a->fw_error);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
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
		while (k < a->nlisteners && a->listeners[k].exposure == ex)
			k++;
		ps_buf_printf(b, "\n%s%s%s\n", B, title[ex], R);
		if (start == k) {
			ps_buf_printf(b, "  %snone%s\n", D, R);
			continue;
		}
		/* width of the address column */
		size_t aw = 9;
		for (size_t q = start; q < k; q++) {
			char ad[256];
			group_addrs(a, &a->listeners[q], ad, sizeof ad);
			if (strlen(ad) > aw)
				aw = strlen(ad);
		}
		if (aw > 40)
			aw = 40;
		ps_buf_printf(b, "  %s%-11s %-15s %-*s %s%s\n", D, "PORT", "SERVICE", (int)aw, "ADDRESSES",
			      "PROGRAM", R);
		for (size_t q = start; q < k; q++) {
			const struct ps_listener *g = &a->listeners[q];
			const struct ps_socket *s = &inv->socks[g->first];
			char ad[256];
			group_addrs(a, g, ad, sizeof ad);
			char pp[16];
			snprintf(pp, sizeof pp, "%u/%s", g->port, ps_proto_name(g->proto));
			const char *sv = ps_socket_service(db, s);
			ps_buf_printf(b, "  %-11s %-15s %-*s ", pp, sv ? sv : "-", (int)aw, ad);
			owner_words(b, inv, s);
			ps_buf_putc(b, '\n');
			if (a->fw && ex != PS_EXPOSE_LOOPBACK)
				ps_buf_printf(b, "  %s%-11s firewall: %s%s\n", D, "",
					      a->reach[g->first].text ? a->reach[g->first].text : "", R);
		}
	}
	if (!a->fw && a->fw_error)
		ps_buf_printf(b, "\n%sFirewall%s: not evaluated (%s)\n", B, R, a->fw_error);
	ps_buf_printf(b, "\n%sConnections%s: %zu established TCP (%zu to local listeners), %zu time-wait, %zu connected UDP",
		      B, R, c->tcp_established, c->tcp_inbound, c->tcp_time_wait, c->udp_connected);
	if (c->tcp_bound_inactive)
		ps_buf_printf(b, ", %zu TCP bound but not listening", c->tcp_bound_inactive);
	if (c->raw || c->packet)
		ps_buf_printf(b, "; %zu raw IP and %zu packet sockets", c->raw, c->packet);
	ps_buf_puts(b, "\n");
	if (c->other_netns)
		ps_buf_printf(b, "Other network namespaces: %zu (%zu listening sockets)\n", c->other_netns,
			      c->other_netns_listeners);
	if (a->nfindings) {
		ps_buf_printf(b, "\n%sWarnings%s\n", B, R);
		for (size_t q = 0; q < a->nfindings; q++) {
			const struct ps_finding *f = &a->findings[q];
			const char *col = !o->color ? ""
					  : f->severity == PS_SEV_HIGH ? C_RED
					  : f->severity == PS_SEV_INFO ? C_CYAN
								       : C_YELLOW;
			ps_buf_printf(b, "  %s%-6s%s ", col, ps_severity_name(f->severity), R);
			ps_buf_puts_term(b, f->summary);
			ps_buf_putc(b, '\n');
		}
	} else {
		ps_buf_printf(b, "\nNo warnings.\n");
	}
	if (inv->nwarnings) {
		ps_buf_printf(b, "\n%sWhat portsec could not see%s\n", B, R);
		for (size_t q = 0; q < inv->nwarnings; q++)
			ps_buf_printf(b, "  - %s\n", inv->warnings[q]);
	}
	return b->err;
}
