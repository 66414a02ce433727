/* model.c - the result model: names, scopes, ranges and the inventory
 * container that owns every row, owner, process and namespace. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"
#include "util/arena.h"

static const char *const tcp_states[PS_ST_MAX] = {
	[PS_ST_UNKNOWN] = "unknown",
	[PS_ST_ESTABLISHED] = "established",
	[PS_ST_SYN_SENT] = "syn-sent",
	[PS_ST_SYN_RECV] = "syn-recv",
	[PS_ST_FIN_WAIT1] = "fin-wait-1",
	[PS_ST_FIN_WAIT2] = "fin-wait-2",
	[PS_ST_TIME_WAIT] = "time-wait",
	[PS_ST_CLOSE] = "close",
	[PS_ST_CLOSE_WAIT] = "close-wait",
	[PS_ST_LAST_ACK] = "last-ack",
	[PS_ST_LISTEN] = "listen",
	[PS_ST_CLOSING] = "closing",
	[PS_ST_NEW_SYN_RECV] = "new-syn-recv",
	[PS_ST_BOUND_INACTIVE] = "bound-inactive",
};

const char *ps_proto_name(uint8_t proto)
{
	switch (proto) {
	case PS_PROTO_TCP: return "tcp";
	case PS_PROTO_UDP: return "udp";
	case PS_PROTO_RAW: return "raw";
	case PS_PROTO_PACKET: return "packet";
	}
	return "unknown";
}

const char *ps_family_name(uint8_t family)
{
	switch (family) {
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_PACKET: return "packet";
	}
	return "unknown";
}

const char *ps_state_name(uint8_t proto, uint8_t state)
{
	if (proto != PS_PROTO_TCP) {
		if (state == PS_ST_ESTABLISHED)
			return "connected";
		if (state == PS_ST_CLOSE)
			return "unconnected";
	}
	return state < PS_ST_MAX ? tcp_states[state] : "unknown";
}

int ps_state_parse(const char *s, unsigned *mask)
{
	static const struct { const char *name; unsigned mask; } alias[] = {
		{"unconnected", 1u << PS_ST_CLOSE},
		{"unconn", 1u << PS_ST_CLOSE},
		{"connected", 1u << PS_ST_ESTABLISHED},
		{"listening", (1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE)},
		{"fin-wait1", 1u << PS_ST_FIN_WAIT1},
		{"fin-wait2", 1u << PS_ST_FIN_WAIT2},
		{"estab", 1u << PS_ST_ESTABLISHED},
		{"bound", 1u << PS_ST_BOUND_INACTIVE},
		/* ss's groups */
		{"all", ~0u},
		{"connected-all", ~((1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE) | (1u << PS_ST_BOUND_INACTIVE))},
		{"synchronized", ~((1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE) | (1u << PS_ST_SYN_SENT) |
				   (1u << PS_ST_SYN_RECV) | (1u << PS_ST_BOUND_INACTIVE))},
		{"bucket", (1u << PS_ST_SYN_RECV) | (1u << PS_ST_TIME_WAIT)},
		{"big", ~((1u << PS_ST_SYN_RECV) | (1u << PS_ST_TIME_WAIT))},
	};
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(s, alias[i].name) == 0) {
			*mask = alias[i].mask;
			return PS_OK;
		}
	for (unsigned st = 1; st < PS_ST_MAX; st++)
		if (strcmp(s, tcp_states[st]) == 0) {
			*mask = 1u << st;
			return PS_OK;
		}
	return PS_ERR_INVAL;
}

const char *ps_owner_note_name(uint8_t note)
{
	switch (note) {
	case PS_ON_TIME_WAIT: return "time-wait";
	case PS_ON_ORPHAN: return "orphan";
	case PS_ON_OTHER_PIDNS: return "other-pid-namespace";
	case PS_ON_PERM_DENIED: return "permission-denied";
	case PS_ON_NO_OWNER: return "no-owner";
	case PS_ON_NOT_WALKED: return "not-requested";
	}
	return NULL;
}

bool ps_addr_is_any(uint8_t family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	for (size_t i = 0; i < n; i++)
		if (addr[i])
			return false;
	return n > 0;
}

enum ps_scope ps_scope_of(uint8_t family, const uint8_t *addr)
{
	if (family == AF_INET) {
		if (ps_addr_is_any(family, addr))
			return PS_SCOPE_ANY;
		return addr[0] == 127 ? PS_SCOPE_LOOPBACK : PS_SCOPE_ADDRESS;
	}
	if (family == AF_INET6) {
		if (ps_addr_is_any(family, addr))
			return PS_SCOPE_ANY;
		static const uint8_t lo[16] = {[15] = 1};
		if (memcmp(addr, lo, 16) == 0)
			return PS_SCOPE_LOOPBACK;
		static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
		if (memcmp(addr, v4mapped, 12) == 0)
			return addr[12] == 127 ? PS_SCOPE_LOOPBACK
			       : (addr[12] | addr[13] | addr[14] | addr[15]) == 0 ? PS_SCOPE_ANY
										  : PS_SCOPE_ADDRESS;
		return PS_SCOPE_ADDRESS;
	}
	return PS_SCOPE_ANY; /* packet sockets see every interface unless bound */
}

const char *ps_scope_name(enum ps_scope s)
{
	switch (s) {
	case PS_SCOPE_ANY: return "any";
	case PS_SCOPE_LOOPBACK: return "loopback";
	case PS_SCOPE_ADDRESS: return "address";
	}
	return "any";
}

enum ps_iana_range ps_iana_range_of(uint16_t port)
{
	if (port < 1024)
		return PS_RANGE_WELL_KNOWN;
	if (port < 49152)
		return PS_RANGE_REGISTERED;
	return PS_RANGE_DYNAMIC;
}

const char *ps_iana_range_name(enum ps_iana_range r)
{
	switch (r) {
	case PS_RANGE_WELL_KNOWN: return "well-known";
	case PS_RANGE_REGISTERED: return "registered";
	case PS_RANGE_DYNAMIC: return "dynamic";
	}
	return "registered";
}

bool ps_socket_is_listener(const struct ps_socket *s)
{
	if (s->proto == PS_PROTO_TCP)
		return s->state == PS_ST_LISTEN;
	if (s->proto == PS_PROTO_UDP || s->proto == PS_PROTO_RAW)
		return s->state == PS_ST_CLOSE;
	return false;
}

/* ---- the container ---- */

struct ps_inventory *ps_inventory_new(void)
{
	struct ps_inventory *inv = calloc(1, sizeof *inv);
	if (!inv)
		return NULL;
	inv->arena = calloc(1, sizeof *inv->arena);
	if (!inv->arena) {
		free(inv);
		return NULL;
	}
	ps_arena_init(inv->arena);
	return inv;
}

void ps_inventory_free(struct ps_inventory *inv)
{
	if (!inv)
		return;
	free(inv->socks);
	free(inv->owners);
	free(inv->procs);
	free(inv->netns);
	free(inv->insns);
	free(inv->sources);
	free(inv->warnings);
	free(inv->users);
	free(inv->ifaces);
	free(inv->addrs);
	free(inv->denied_uids);
	free(inv->unmatched);
	free(inv->bpffds);
	ps_arena_free(inv->arena);
	free(inv->arena);
	free(inv);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return PS_OK;
	void *np = ps_vec_grow_(*p, cap, need, elem);
	if (!np)
		return PS_ERR_NOMEM;
	*p = np;
	return PS_OK;
}

struct ps_socket *ps_inventory_add_socket(struct ps_inventory *inv)
{
	if (grow((void **)&inv->socks, &inv->socks_cap, inv->nsocks + 1, sizeof *inv->socks))
		return NULL;
	struct ps_socket *s = &inv->socks[inv->nsocks++];
	memset(s, 0, sizeof *s);
	s->v6only = -1;
	return s;
}

int ps_inventory_find_netns(const struct ps_inventory *inv, uint64_t inode)
{
	for (size_t i = 0; i < inv->nnetns; i++)
		if (inv->netns[i].inode == inode)
			return (int)i;
	return -1;
}

int ps_inventory_add_netns(struct ps_inventory *inv, const struct ps_netns *ns, uint32_t *idx)
{
	int f = ps_inventory_find_netns(inv, ns->inode);
	if (f >= 0) {
		struct ps_netns *e = &inv->netns[f];
		if (!e->name[0] && ns->name[0])
			memcpy(e->name, ns->name, sizeof e->name);
		if (!e->holder_pid && ns->holder_pid)
			e->holder_pid = ns->holder_pid;
		if (idx)
			*idx = (uint32_t)f;
		return PS_OK;
	}
	if (grow((void **)&inv->netns, &inv->netns_cap, inv->nnetns + 1, sizeof *inv->netns))
		return PS_ERR_NOMEM;
	inv->netns[inv->nnetns] = *ns;
	if (idx)
		*idx = (uint32_t)inv->nnetns;
	inv->nnetns++;
	return PS_OK;
}

int ps_inventory_warn(struct ps_inventory *inv, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PS_ERR_INVAL;
	size_t len = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
	/* the same warning once */
	for (size_t i = 0; i < inv->nwarnings; i++)
		if (strcmp(inv->warnings[i], tmp) == 0)
			return PS_OK;
	char *s = ps_arena_strndup(inv->arena, tmp, len);
	if (!s || grow((void **)&inv->warnings, &inv->warnings_cap, inv->nwarnings + 1,
		       sizeof *inv->warnings))
		return PS_ERR_NOMEM;
	inv->warnings[inv->nwarnings++] = s;
	return PS_OK;
}

struct ps_source_info *ps_inventory_add_source(struct ps_inventory *inv, const char *name,
					       uint64_t netns_inode)
{
	if (grow((void **)&inv->sources, &inv->sources_cap, inv->nsources + 1, sizeof *inv->sources))
		return NULL;
	struct ps_source_info *s = &inv->sources[inv->nsources++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->netns_inode = netns_inode;
	return s;
}

int ps_inventory_add_insns(struct ps_inventory *inv, const struct ps_bpf_insn *in, size_t n,
			   uint32_t *first)
{
	if (grow((void **)&inv->insns, &inv->insns_cap, inv->ninsns + n, sizeof *inv->insns))
		return PS_ERR_NOMEM;
	memcpy(inv->insns + inv->ninsns, in, n * sizeof *in);
	*first = (uint32_t)inv->ninsns;
	inv->ninsns += n;
	return PS_OK;
}

const char *ps_inventory_username(const struct ps_inventory *inv, uint32_t uid)
{
	/* users[] is sorted by uid */
	size_t lo = 0, hi = inv->nusers;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (inv->users[mid].uid == uid)
			return inv->users[mid].name;
		if (inv->users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *ps_inventory_strdup(struct ps_inventory *inv, const char *s, size_t n)
{
	return ps_arena_strndup(inv->arena, s, n);
}

const struct ps_proc *ps_socket_owner_proc(const struct ps_inventory *inv,
					   const struct ps_socket *s, uint32_t k)
{
	if (k >= s->owner_count)
		return NULL;
	return &inv->procs[inv->owners[s->owner_first + k].proc];
}

const char *ps_inventory_ifname(const struct ps_inventory *inv, uint32_t netns, uint32_t index)
{
	for (size_t i = 0; i < inv->nifaces; i++)
		if (inv->ifaces[i].netns == netns && inv->ifaces[i].index == index)
			return inv->ifaces[i].name;
	return NULL;
}

int ps_inventory_add_iface(struct ps_inventory *inv, uint32_t netns, uint32_t index, const char *name)
{
	if (grow((void **)&inv->ifaces, &inv->ifaces_cap, inv->nifaces + 1, sizeof *inv->ifaces))
		return PS_ERR_NOMEM;
	struct ps_iface *f = &inv->ifaces[inv->nifaces++];
	f->netns = netns;
	f->index = index;
	snprintf(f->name, sizeof f->name, "%s", name);
	return PS_OK;
}

int ps_inventory_add_addr(struct ps_inventory *inv, uint32_t netns, int family, const uint8_t *addr)
{
	if (grow((void **)&inv->addrs, &inv->addrs_cap, inv->naddrs + 1, sizeof *inv->addrs))
		return PS_ERR_NOMEM;
	struct ps_ns_addr *a = &inv->addrs[inv->naddrs++];
	memset(a, 0, sizeof *a);
	a->netns = netns;
	a->family = (uint8_t)family;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	return PS_OK;
}

long ps_inventory_netns_of_addr(const struct ps_inventory *inv, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < inv->naddrs; i++)
		if (inv->addrs[i].family == family && memcmp(inv->addrs[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return (long)inv->addrs[i].netns;
	return -1;
}
