/* filter.c - the selection words of `portsec list` (port, sport, dport,
 * proc, pid, user, state, netns, scope) evaluated against one row. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

void ps_filter_init(struct ps_filter *f)
{
	memset(f, 0, sizeof *f);
	f->scope = -1;
}

static unsigned proto_bit(uint8_t proto)
{
	switch (proto) {
	case PS_PROTO_TCP: return PS_P_TCP;
	case PS_PROTO_UDP: return PS_P_UDP;
	case PS_PROTO_RAW: return PS_P_RAW;
	case PS_PROTO_PACKET: return PS_P_PACKET;
	}
	return 0;
}

static bool spec_match(const struct ps_portspec *p, const struct ps_socket *s, uint16_t port)
{
	if (s->proto == PS_PROTO_TCP && !(p->protos & PS_P_TCP))
		return false;
	if (s->proto == PS_PROTO_UDP && !(p->protos & PS_P_UDP))
		return false;
	if (s->proto == PS_PROTO_RAW || s->proto == PS_PROTO_PACKET)
		return false; /* no ports there */
	return port >= p->lo && port <= p->hi;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

bool ps_filter_match(const struct ps_filter *f, const struct ps_inventory *inv,
		     const struct ps_socket *s)
{
	if (f->protos && !(f->protos & proto_bit(s->proto)))
		return false;
	if (f->families && s->family != AF_PACKET) {
		unsigned fb = s->family == AF_INET ? 1u : 2u;
		if (!(f->families & fb))
			return false;
	}
	if (f->states && s->proto != PS_PROTO_PACKET) { /* packet sockets have no state */
		bool ok = (f->states >> s->state) & 1u;
		if (!ok && s->proto != PS_PROTO_TCP && s->state == PS_ST_CLOSE &&
		    (f->states & (1u << PS_ST_LISTEN)))
			ok = true;
		if (!ok)
			return false;
	}
	if (f->have_port && !spec_match(&f->port, s, s->lport) &&
	    !(s->state != PS_ST_LISTEN && spec_match(&f->port, s, s->rport)))
		return false;
	if (f->have_sport && !spec_match(&f->sport, s, s->lport))
		return false;
	if (f->have_dport && !spec_match(&f->dport, s, s->rport))
		return false;
	if (f->scope >= 0 && s->family != AF_PACKET &&
	    (int)ps_scope_of(s->family, s->laddr) != f->scope)
		return false;
	if (f->have_uid && s->uid != f->uid)
		return false;
	if (f->netns) {
		const struct ps_netns *ns = &inv->netns[s->netns];
		char *end;
		unsigned long long ino = strtoull(f->netns, &end, 10);
		bool by_ino = *f->netns && !*end && ino == ns->inode;
		if (!by_ino && strcmp(ns->name, f->netns) != 0)
			return false;
	}
	if (f->have_pid || f->proc) {
		bool any = false;
		for (uint32_t k = 0; k < s->owner_count && !any; k++) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, k);
			if (f->have_pid && p->pid != f->pid)
				continue;
			if (f->proc && strcmp(p->comm, f->proc) != 0 &&
			    !(p->exe && strcmp(basename_of(p->exe), f->proc) == 0))
				continue;
			any = true;
		}
		if (!any)
			return false;
	}
	return true;
}
