/* out_info.c - `portsec info PORT[/PROTO] | NAME`: what a port is, what
 * Linux does with it here, and who holds it now in every namespace */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "out_internal.h"

struct held {
	size_t listeners, inbound, outbound, other;
};

static void count(const struct ps_inventory *inv, uint16_t port, unsigned bit, struct held *h)
{
	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		unsigned sb = s->proto == PS_PROTO_TCP ? PS_P_TCP : s->proto == PS_PROTO_UDP ? PS_P_UDP : 0;
		if (sb != bit)
			continue;
		if (s->lport == port) {
			if (ps_socket_is_listener(s))
				h->listeners++;
			else if (s->state == PS_ST_BOUND_INACTIVE)
				h->other++;
			else
				h->inbound++;
		} else if (s->rport == port && !ps_socket_is_listener(s)) {
			h->outbound++;
		}
	}
}

static const char *scope_words(const struct ps_socket *s)
{
	switch (ps_scope_of(s->family, s->laddr)) {
	case PS_SCOPE_ANY:
		if (s->family == AF_INET6)
			return s->v6only == 0 ? "all interfaces, IPv4 and IPv6"
					      : "all interfaces, IPv6 only";
		return "all interfaces, IPv4";
	case PS_SCOPE_LOOPBACK: return "loopback only: this host only";
	case PS_SCOPE_ADDRESS: return "one address";
	}
	return "";
}

static void owners_text(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s)
{
	if (!s->owner_count && s->owner_note == PS_ON_OTHER_PIDNS) {
		ps_buf_puts(b, "owner not visible (other PID namespace)");
		return;
	}
	if (!s->owner_count) {
		const char *n = ps_owner_note_name(s->owner_note);
		ps_buf_printf(b, "no visible owner%s%s%s", n ? " (" : "", n ? n : "", n ? ")" : "");
		return;
	}
	for (uint32_t k = 0; k < s->owner_count; k++) {
		const struct ps_proc *p = ps_socket_owner_proc(inv, s, k);
		/* the same process may hold it twice (dup): name it once */
		bool seen = false;
		for (uint32_t q = 0; q < k && !seen; q++)
			seen = ps_socket_owner_proc(inv, s, q)->pid == p->pid;
		if (seen)
			continue;
		if (k)
			ps_buf_puts(b, "; ");
		const char *user = ps_inventory_username(inv, p->uid);
		char t[4096];
		ps_buf_printf(b, "%s pid %d", ps_term_str(t, sizeof t, p->comm), p->pid);
		if (user)
			ps_buf_printf(b, " user %s", user);
		else
			ps_buf_printf(b, " uid %u", p->uid);
		if (p->unit)
			ps_buf_printf(b, " unit %s", ps_term_str(t, sizeof t, p->unit));
		if (p->container)
			ps_buf_printf(b, " container %s", ps_term_str(t, sizeof t, p->container));
		if (p->exe)
			ps_buf_printf(b, " exe %s", ps_term_str(t, sizeof t, p->exe));
	}
}

static void json_service(struct ps_json *j, const struct ps_service *sv, const char *aliases,
			 uint16_t port)
{
	ps_json_key(j, "service");
	ps_json_obj_begin(j);
	ps_json_key(j, "name");
	ps_json_str(j, sv ? sv->name : NULL);
	ps_json_key(j, "description");
	ps_json_str(j, sv && sv->description[0] ? sv->description : NULL);
	ps_json_key(j, "aliases");
	ps_json_str(j, aliases);
	ps_json_key(j, "range");
	ps_json_str(j, ps_iana_range_name(ps_iana_range_of(port)));
	ps_json_obj_end(j);
}

int ps_out_info(struct ps_buf *b, bool json, const struct ps_info_query *q, size_t nq,
		const struct ps_assessment *a, const struct ps_svcdb *db,
		const struct ps_port_sysctls *sys, const struct ps_out_opts *o)
{
	const struct ps_inventory *inv = a->inv;
	size_t vi = 0; /* index into a->port_verdicts: one per (query, proto) */
	struct ps_json j;
	if (json) {
		ps_json_init(&j, b, true);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "ports");
		ps_json_arr_begin(&j);
	}
	for (size_t qi = 0; qi < nq; qi++) {
		for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1) {
			if (!(q[qi].protos & bit))
				continue;
			uint16_t port = q[qi].port;
			const char *pn = bit == PS_P_TCP ? "tcp" : "udp";
			const struct ps_service *sv = ps_svcdb_by_port(db, port, bit);
			const char *aliases = ps_svcdb_aliases(db, port, bit);
			enum ps_iana_range rg = ps_iana_range_of(port);
			bool eph = sys->have_range && port >= sys->eph_lo && port <= sys->eph_hi;
			bool priv = sys->have_unpriv && port < sys->unpriv_start;
			bool resv = sys->have_reserved && ps_reserved_contains(sys->reserved, port);
			struct held h;
			count(inv, port, bit, &h);
			unsigned sproto = bit == PS_P_TCP ? PS_PROTO_TCP : PS_PROTO_UDP;
			const struct ps_verdict_doc *pv[2] = {a->port_verdicts ? a->port_verdicts[2 * vi] : NULL,
							      a->port_verdicts ? a->port_verdicts[2 * vi + 1] : NULL};
			vi++;
			if (json) {
				ps_json_obj_begin(&j);
				ps_json_key(&j, "port");
				ps_json_u64(&j, port);
				ps_json_key(&j, "proto");
				ps_json_str(&j, pn);
				ps_json_key(&j, "asked");
				ps_json_str(&j, q[qi].asked);
				json_service(&j, sv, aliases, port);
				ps_json_key(&j, "linux");
				ps_json_obj_begin(&j);
				ps_json_key(&j, "ephemeral_range");
				if (sys->have_range) {
					ps_json_arr_begin(&j);
					ps_json_u64(&j, sys->eph_lo);
					ps_json_u64(&j, sys->eph_hi);
					ps_json_arr_end(&j);
				} else {
					ps_json_null(&j);
				}
				ps_json_key(&j, "in_ephemeral_range");
				ps_json_bool(&j, eph);
				ps_json_key(&j, "unprivileged_port_start");
				if (sys->have_unpriv)
					ps_json_u64(&j, sys->unpriv_start);
				else
					ps_json_null(&j);
				ps_json_key(&j, "privileged");
				ps_json_bool(&j, priv);
				ps_json_key(&j, "reserved");
				ps_json_bool(&j, resv);
				ps_json_obj_end(&j);
				ps_json_key(&j, "sockets");
				ps_json_arr_begin(&j);
				for (size_t i = 0; i < inv->nsocks; i++) {
					const struct ps_socket *s = &inv->socks[i];
					if (s->proto == sproto && s->lport == port)
						ps_json_socket(&j, inv, s, db);
				}
				ps_json_arr_end(&j);
				ps_json_key(&j, "firewall");
				if (a->fw) {
					ps_json_obj_begin(&j);
					for (int f = 0; f < 2; f++) {
						ps_json_key(&j, f ? "ipv6" : "ipv4");
						if (pv[f])
							ps_out_fw_verdict_json(&j, pv[f]);
						else
							ps_json_null(&j);
					}
					ps_json_obj_end(&j);
				} else {
					ps_json_null(&j);
				}
				ps_json_key(&j, "counts");
				ps_json_obj_begin(&j);
				ps_json_key(&j, "listeners");
				ps_json_u64(&j, h.listeners);
				ps_json_key(&j, "inbound");
				ps_json_u64(&j, h.inbound);
				ps_json_key(&j, "outbound");
				ps_json_u64(&j, h.outbound);
				ps_json_key(&j, "bound_inactive");
				ps_json_u64(&j, h.other);
				ps_json_obj_end(&j);
				ps_json_obj_end(&j);
				continue;
			}
			/* text */
			if (o->color)
				ps_buf_puts(b, C_BOLD);
			ps_buf_printf(b, "%u/%s", port, pn);
			if (sv)
				ps_buf_printf(b, "  %s%s%s", sv->name, sv->description[0] ? " — " : "",
					      sv->description);
			else
				ps_buf_puts(b, "  (no registered service name known)");
			if (o->color)
				ps_buf_puts(b, C_RESET);
			ps_buf_putc(b, '\n');
			if (aliases && *aliases)
				ps_buf_printf(b, "  Aliases:    %s\n", aliases);
			ps_buf_printf(b, "  IANA range: %s (%s)\n", ps_iana_range_name(rg),
				      rg == PS_RANGE_WELL_KNOWN ? "0-1023"
				      : rg == PS_RANGE_REGISTERED ? "1024-49151"
								  : "49152-65535");
			if (sys->have_unpriv)
				ps_buf_printf(b, "  Binding:    %s (net.ipv4.ip_unprivileged_port_start = %u)\n",
					      priv ? "needs root or CAP_NET_BIND_SERVICE here"
						   : "any user may bind it here",
					      sys->unpriv_start);
			if (sys->have_range)
				ps_buf_printf(b, "  Ephemeral:  %s this host's client port range %u-%u (net.ipv4.ip_local_port_range)%s\n",
					      eph ? "inside" : "outside", sys->eph_lo, sys->eph_hi,
					      eph ? ": the kernel may hand it to outgoing connections, so a server here can find it taken"
						  : "");
			if (sys->have_reserved)
				ps_buf_printf(b, "  Reserved:   %s (net.ipv4.ip_local_reserved_ports = \"%s\")\n",
					      resv ? "yes: never chosen as an ephemeral port" : "no",
					      sys->reserved);
			if (!h.listeners && !h.inbound && !h.outbound && !h.other) {
				ps_buf_printf(b, "  Here:       nothing uses %u/%s", port, pn);
				size_t entered = 0;
				for (size_t k = 0; k < inv->nnetns; k++)
					entered += inv->netns[k].entered;
				ps_buf_printf(b, " (%zu network namespace%s checked)\n", entered,
					      entered == 1 ? "" : "s");
			} else {
				ps_buf_puts(b, "  Here:\n");
				for (size_t i = 0; i < inv->nsocks; i++) {
					const struct ps_socket *s = &inv->socks[i];
					if (s->proto != sproto || s->lport != port ||
					    !(ps_socket_is_listener(s) || s->state == PS_ST_BOUND_INACTIVE))
						continue;
					char ep[96];
					ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
					const struct ps_netns *ns = &inv->netns[s->netns];
					ps_buf_printf(b, "    %s %s (%s)", ps_state_name(s->proto, s->state), ep,
						      s->state == PS_ST_BOUND_INACTIVE ? "bound, not listening"
										: scope_words(s));
					if (!ns->current)
						ps_buf_printf(b, " in netns %s%s%llu", ns->name, ns->name[0] ? " " : "",
							      (unsigned long long)ns->inode);
					ps_buf_puts(b, "\n      ");
					owners_text(b, inv, s);
					ps_buf_putc(b, '\n');
				}
				if (h.inbound || h.outbound)
					ps_buf_printf(b, "    connections: %zu to this port here, %zu from here to remote port %u\n",
						      h.inbound, h.outbound, port);
			}
			if (a->fw) {
				ps_buf_puts(b, "  Firewall (new connections from outside, whole ruleset):\n");
				for (int f = 0; f < 2; f++)
					if (pv[f])
						ps_out_fw_verdict_text(b, pv[f], f ? "    IPv6: " : "    IPv4: ", o->verbose);
			} else if (a->fw_error) {
				ps_buf_printf(b, "  Firewall:   not evaluated (%s)\n", a->fw_error);
			}
			ps_buf_putc(b, '\n');
		}
	}
	if (json) {
		ps_json_arr_end(&j);
		ps_json_sources(&j, inv);
		ps_json_warnings(&j, inv);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
	}
	return b->err;
}
