/* assess.c - ps_assess: one pass over a collection that computes what the
 * formatters and the policy read: reach per row, the listeners of the
 * current namespace grouped as the host report shows them, connection
 * counts, per-port verdicts (info), then the built-in rules (rules.c). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "assess/internal.h"

static int32_t first_pid(const struct ps_inventory *inv, const struct ps_socket *s)
{
	return s->owner_count ? ps_socket_owner_proc(inv, s, 0)->pid : 0;
}

static int exposure_of(const struct ps_socket *s)
{
	switch (ps_scope_of(s->family, s->laddr)) {
	case PS_SCOPE_ADDRESS: return PS_EXPOSE_ADDRESS;
	case PS_SCOPE_LOOPBACK: return PS_EXPOSE_LOOPBACK;
	default: return PS_EXPOSE_ANY;
	}
}

static int lcmp(const void *a, const void *b)
{
	const struct ps_listener *x = a, *y = b;
	if (x->exposure != y->exposure)
		return (int)x->exposure - (int)y->exposure;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return (int)x->proto - (int)y->proto;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* a row the host report counts as a listener of the current namespace */
static bool report_listener(const struct ps_socket *s)
{
	return s->proto != PS_PROTO_RAW && s->proto != PS_PROTO_PACKET && s->state != PS_ST_BOUND_INACTIVE &&
	       ps_socket_is_listener(s);
}

static int summarise(struct ps_assessment *a)
{
	const struct ps_inventory *inv = a->inv;
	struct ps_host_counts *c = &a->counts;
	for (size_t i = 0; i < inv->nnetns; i++)
		if (!inv->netns[i].current && inv->netns[i].entered)
			c->other_netns++;
	/* listeners, grouped by (proto, port, exposure, first owner) */
	uint32_t *group_of = malloc((inv->nsocks ? inv->nsocks : 1) * sizeof *group_of);
	size_t hcap = 64;
	while (hcap < 2 * inv->nsocks)
		hcap *= 2;
	uint32_t *htab = malloc(hcap * sizeof *htab);
	uint64_t *hkey = malloc(hcap * sizeof *hkey);
	uint8_t *tcp_port = calloc(65536 / 8, 1); /* TCP ports with a listener here */
	if (!group_of || !htab || !hkey || !tcp_port) {
		free(group_of);
		free(htab);
		free(hkey);
		free(tcp_port);
		return PS_ERR_NOMEM;
	}
	memset(htab, 0xff, hcap * sizeof *htab);
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		group_of[i] = UINT32_MAX;
		if (s->netns != a->cur) {
			if (ps_socket_is_listener(s) && s->proto != PS_PROTO_RAW)
				c->other_netns_listeners++;
			continue;
		}
		if (s->proto == PS_PROTO_RAW) {
			c->raw++;
			continue;
		}
		if (s->proto == PS_PROTO_PACKET) {
			c->packet++;
			c->packet_filtered += s->has_filter;
			continue;
		}
		if (s->state == PS_ST_BOUND_INACTIVE) {
			c->tcp_bound_inactive++;
			continue;
		}
		if (!ps_socket_is_listener(s)) {
			if (s->proto == PS_PROTO_TCP && s->state == PS_ST_ESTABLISHED)
				c->tcp_established++;
			else if (s->proto == PS_PROTO_TCP && s->state == PS_ST_TIME_WAIT)
				c->tcp_time_wait++;
			else if (s->proto == PS_PROTO_UDP)
				c->udp_connected++;
			continue;
		}
		/* a client's UDP socket bound to an ephemeral port is "unconnected"
		 * too: a listener in the kernel's sense, and shown as one */
		int ex = exposure_of(s);
		int32_t pid = first_pid(inv, s);
		/* the group: open addressing on (proto, port, exposure, pid) */
		uint64_t key = (uint64_t)s->proto << 56 | (uint64_t)(uint8_t)ex << 48 | (uint64_t)s->lport << 32 |
			       (uint32_t)pid;
		size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (hcap - 1);
		while (htab[h] != UINT32_MAX && hkey[h] != key)
			h = (h + 1) & (hcap - 1);
		size_t g = htab[h] != UINT32_MAX ? htab[h] : a->nlisteners;
		if (g == a->nlisteners) {
			htab[h] = (uint32_t)g;
			hkey[h] = key;
			struct ps_listener *l = PS_VEC_PUSH(a->listeners, a->nlisteners, a->listeners_cap);
			if (!l) {
				free(group_of);
				free(htab);
				free(hkey);
				free(tcp_port);
				return PS_ERR_NOMEM;
			}
			*l = (struct ps_listener){.proto = s->proto, .port = s->lport, .exposure = (uint8_t)ex,
						  .pid = pid, .first = (uint32_t)i};
		}
		a->listeners[g].nrows++;
		group_of[i] = (uint32_t)g;
		if (s->proto == PS_PROTO_TCP)
			tcp_port[s->lport >> 3] |= (uint8_t)(1u << (s->lport & 7));
	}
	free(htab);
	free(hkey);
	/* inbound: established TCP whose local port has a listener here */
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->netns != a->cur || s->proto != PS_PROTO_TCP || s->state != PS_ST_ESTABLISHED)
			continue;
		if (tcp_port[s->lport >> 3] & (1u << (s->lport & 7)))
			c->tcp_inbound++;
	}
	free(tcp_port);
	/* rows per group, in row order */
	size_t total = 0;
	for (size_t k = 0; k < a->nlisteners; k++) {
		a->listeners[k].row0 = (uint32_t)total;
		total += a->listeners[k].nrows;
		a->listeners[k].nrows = 0;
	}
	a->lrows = malloc((total ? total : 1) * sizeof *a->lrows);
	if (!a->lrows) {
		free(group_of);
		return PS_ERR_NOMEM;
	}
	for (size_t i = 0; i < inv->nsocks; i++)
		if (group_of[i] != UINT32_MAX) {
			struct ps_listener *l = &a->listeners[group_of[i]];
			a->lrows[l->row0 + l->nrows++] = (uint32_t)i;
		}
	free(group_of);
	qsort(a->listeners, a->nlisteners, sizeof *a->listeners, lcmp);
	return PS_OK;
}

static int port_verdicts(struct ps_assessment *a, const struct ps_assess_opts *o)
{
	if (!o->nports || !a->fw)
		return PS_OK;
	a->port_verdicts = calloc(2 * o->nports, sizeof *a->port_verdicts);
	if (!a->port_verdicts)
		return PS_ERR_NOMEM;
	for (size_t i = 0; i < o->nports; i++)
		for (int f = 0; f < 2; f++) {
			struct ps_fw_pkt pk = {.family = f ? AF_INET6 : AF_INET,
					       .l4proto = o->port_protos[i] == PS_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP,
					       .dport = o->ports[i]};
			struct ps_fw_verdict v;
			if (ps_fw_eval(a->fw, &pk, NULL, &v) == PS_OK)
				a->port_verdicts[2 * i + (size_t)f] = ps_verdict_doc(a->arena, a->fw, &v);
		}
	return PS_OK;
}

int ps_assess(const struct ps_inventory *inv, const struct ps_assess_opts *o, struct ps_assessment **out)
{
	*out = NULL;
	struct ps_assessment *a = calloc(1, sizeof *a);
	if (!a)
		return PS_ERR_NOMEM;
	a->inv = inv;
	a->fw = o->fw;
	a->fw_error = o->fw ? NULL : o->fw_error;
	a->arena = ps_assess_arena_new();
	a->reach = calloc(inv->nsocks ? inv->nsocks : 1, sizeof *a->reach);
	if (!a->arena || !a->reach) {
		ps_assess_free(a);
		return PS_ERR_NOMEM;
	}
	for (size_t i = 0; i < inv->nnetns; i++)
		if (inv->netns[i].current)
			a->cur = (uint32_t)i;
	int rc = summarise(a);
	/* reach: the listeners of the current namespace, and the rows asked for */
	for (size_t i = 0; rc == PS_OK && i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		bool want = (s->netns == a->cur && report_listener(s)) || (o->rows && o->rows[i]);
		if (want && (s->proto == PS_PROTO_TCP || s->proto == PS_PROTO_UDP))
			as_reach_row(a->arena, a->fw, s, &a->reach[i]);
	}
	if (rc == PS_OK)
		rc = port_verdicts(a, o);
	if (rc == PS_OK)
		rc = as_rules(a, o->db);
	if (rc != PS_OK) {
		ps_assess_free(a);
		return rc;
	}
	*out = a;
	return PS_OK;
}

void ps_assess_free(struct ps_assessment *a)
{
	if (!a)
		return;
	free(a->reach);
	free(a->listeners);
	free(a->lrows);
	free(a->findings);
	free(a->port_verdicts);
	ps_assess_arena_free(a->arena);
	free(a);
}
