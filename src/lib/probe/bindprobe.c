/* bindprobe.c - the bind() sweep and the loopback connect sweep (see
 * ps_probe.h).  Raw syscalls: a preload hook on bind() cannot fake a free
 * port.  Work is split in blocks of ports over the CPUs. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "portsec/portsec.h"
#include "util/sys.h"

#define BLOCK 2048
#define MAXT 8

/* 0 = free, 1 = in use, -errno = could not tell */
static int try_bind(int *sock, int family, int type, bool v6only, uint16_t port)
{
	if (*sock < 0) {
		long s = ps_sys_socket(family, type | SOCK_CLOEXEC, 0);
		if (s < 0)
			return (int)s;
		*sock = (int)s;
		if (family == AF_INET6) {
			int on = v6only;
			long r = ps_sys_setsockopt(*sock, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
			if (r < 0)
				return (int)r;
		}
	}
	long r;
	if (family == AF_INET) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		r = ps_sys_bind(*sock, &sa, sizeof sa);
	} else {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		r = ps_sys_bind(*sock, &sa, sizeof sa);
	}
	if (r == 0) {
		/* bound: this socket is spent (a bound socket cannot be unbound) */
		ps_sys_close(*sock);
		*sock = -1;
		return 0;
	}
	/* a failed bind leaves the socket unbound: reuse it for the next port */
	return r == -EADDRINUSE ? 1 : (int)r;
}

int ps_bind_probe_port(uint8_t proto, uint16_t port, bool *v4, bool *v6)
{
	int type = proto == PS_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int s4 = -1, s6 = -1;
	int a = try_bind(&s4, AF_INET, type, false, port);
	int b = try_bind(&s6, AF_INET6, type, true, port);
	if (s4 >= 0)
		ps_sys_close(s4);
	if (s6 >= 0)
		ps_sys_close(s6);
	if (a < 0)
		return a == -EACCES || a == -EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	*v4 = a == 1;
	/* no IPv6 in this namespace: that space cannot hold anything */
	*v6 = b == 1;
	if (b < 0 && b != -EAFNOSUPPORT && b != -EADDRNOTAVAIL)
		return b == -EACCES || b == -EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	return PS_OK;
}

struct tres {
	_Alignas(128) struct ps_bind_hit *h;
	size_t n, cap;
	unsigned probed, skipped, denied, failed;
	int first_errno;
	bool oom;
};

struct sweep {
	const struct ps_bind_opts *o;
	unsigned lo, hi;
	size_t nblocks;          /* per protocol */
	uint8_t protos[2];
	size_t nprotos;
	bool dual;
	struct tres t[MAXT];
};

static void add_hit(struct tres *t, uint8_t proto, uint16_t port, bool v4, bool v6)
{
	struct ps_bind_hit *h = PS_VEC_PUSH(t->h, t->n, t->cap);
	if (!h) {
		t->oom = true;
		return;
	}
	*h = (struct ps_bind_hit){port, proto, v4, v6};
}

static void note_err(struct tres *t, int r)
{
	if (r == -EACCES || r == -EPERM) {
		t->denied++;
		return;
	}
	if (!t->failed++)
		t->first_errno = -r;
}

static void sweep_block(void *p, size_t i, int tid)
{
	struct sweep *c = p;
	struct tres *t = &c->t[tid % MAXT];
	uint8_t proto = c->protos[i / c->nblocks];
	int type = proto == PS_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	unsigned from = c->lo + (unsigned)(i % c->nblocks) * BLOCK;
	unsigned to = from + BLOCK - 1 > c->hi ? c->hi : from + BLOCK - 1;
	int sock = -1;
	for (unsigned port = from; port <= to; port++) {
		if (c->o->skip && (c->o->skip[port >> 3] & (1u << (port & 7)))) {
			t->skipped++;
			continue;
		}
		t->probed++;
		int r = c->dual ? try_bind(&sock, AF_INET6, type, false, (uint16_t)port)
				: try_bind(&sock, AF_INET, type, false, (uint16_t)port);
		if (r == 0)
			continue;
		if (r < 0) {
			note_err(t, r);
			if (sock >= 0) {
				ps_sys_close(sock);
				sock = -1;
			}
			continue;
		}
		/* taken: which space? */
		bool v4 = true, v6 = false;
		if (c->dual) {
			int rr = ps_bind_probe_port(proto, (uint16_t)port, &v4, &v6);
			if (rr != PS_OK || (!v4 && !v6)) {
				/* released meanwhile, or could not tell: keep the sweep's word */
				if (rr != PS_OK)
					v4 = v6 = true;
				else
					continue;
			}
		}
		add_hit(t, proto, (uint16_t)port, v4, v6);
	}
	if (sock >= 0)
		ps_sys_close(sock);
}

static int hit_cmp(const void *a, const void *b)
{
	const struct ps_bind_hit *x = a, *y = b;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

int ps_bind_sweep(const struct ps_bind_opts *o, struct ps_bind_result *out)
{
	memset(out, 0, sizeof *out);
	double t0 = ps_mono_ms();
	struct sweep *c = calloc(1, sizeof *c);
	if (!c)
		return PS_ERR_NOMEM;
	c->o = o;
	c->lo = o->lo ? o->lo : 1;
	c->hi = o->hi ? o->hi : 65535;
	if (c->hi < c->lo) {
		free(c);
		return PS_ERR_INVAL;
	}
	unsigned protos = o->protos ? o->protos : (PS_P_TCP | PS_P_UDP);
	if (protos & PS_P_TCP)
		c->protos[c->nprotos++] = PS_PROTO_TCP;
	if (protos & PS_P_UDP)
		c->protos[c->nprotos++] = PS_PROTO_UDP;
	c->nblocks = (c->hi - c->lo) / BLOCK + 1;
	/* IPv6 here?  (disabled module or no address family: IPv4 probes only) */
	long s6 = ps_sys_socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	c->dual = s6 >= 0;
	if (s6 >= 0)
		ps_sys_close((int)s6);
	int nt = o->threads > 0 ? o->threads : ps_ncpu();
	if (nt > MAXT)
		nt = MAXT;
	ps_parallel_for(c->nblocks * c->nprotos, nt, sweep_block, c);
	int ret = PS_OK;
	size_t total = 0;
	for (int t = 0; t < MAXT; t++) {
		total += c->t[t].n;
		if (c->t[t].oom)
			ret = PS_ERR_NOMEM;
	}
	out->hits = malloc((total ? total : 1) * sizeof *out->hits);
	if (!out->hits)
		ret = PS_ERR_NOMEM;
	for (int t = 0; t < MAXT; t++) {
		if (out->hits && c->t[t].n) {
			memcpy(out->hits + out->nhits, c->t[t].h, c->t[t].n * sizeof *out->hits);
			out->nhits += c->t[t].n;
		}
		out->probed += c->t[t].probed;
		out->skipped += c->t[t].skipped;
		out->denied += c->t[t].denied;
		if (c->t[t].failed && !out->failed)
			out->first_errno = c->t[t].first_errno;
		out->failed += c->t[t].failed;
		free(c->t[t].h);
	}
	if (out->nhits)
		qsort(out->hits, out->nhits, sizeof *out->hits, hit_cmp);
	out->dual = c->dual;
	free(c);
	out->ms = ps_mono_ms() - t0;
	return ret;
}

void ps_bind_result_free(struct ps_bind_result *r)
{
	free(r->hits);
	memset(r, 0, sizeof *r);
}
