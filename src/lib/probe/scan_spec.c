/* scan_spec.c - the pure half of `portsec scan`: nmap's target and port
 * syntax, the target set, the keyed permutation and sharding, SipHash, and
 * the names of states and reasons.  No I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/ps_error.h"
#include "portsec/ps_scan.h"
#include "top_ports.h"

/* ---------------- targets ---------------- */

/* one IPv4 octet item: "N", "N-M", "-M", "N-", "*" */
static int octet_range(const char *s, size_t n, uint8_t *lo, uint8_t *hi)
{
	if (n == 1 && s[0] == '*') {
		*lo = 0, *hi = 255;
		return PS_OK;
	}
	const char *dash = memchr(s, '-', n);
	unsigned v[2] = {0, 255};
	const char *part[2] = {s, dash ? dash + 1 : NULL};
	size_t plen[2] = {dash ? (size_t)(dash - s) : n, dash ? n - (size_t)(dash - s) - 1 : 0};
	for (int k = 0; k < (dash ? 2 : 1); k++) {
		if (plen[k] == 0) {
			if (!dash)
				return PS_ERR_INVAL;
			continue; /* open end */
		}
		if (plen[k] > 3)
			return PS_ERR_INVAL;
		unsigned x = 0;
		for (size_t i = 0; i < plen[k]; i++) {
			if (part[k][i] < '0' || part[k][i] > '9')
				return PS_ERR_INVAL;
			x = x * 10 + (unsigned)(part[k][i] - '0');
		}
		if (x > 255)
			return PS_ERR_RANGE;
		v[k] = x;
	}
	if (!dash)
		v[1] = v[0];
	if (v[0] > v[1])
		return PS_ERR_RANGE;
	*lo = (uint8_t)v[0], *hi = (uint8_t)v[1];
	return PS_OK;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.' || c == '_'))
			return false;
	}
	return s[0] != '-' && s[0] != '.';
}

int ps_target_spec_parse(const char *tok, struct ps_target_spec *out)
{
	struct ps_target_spec s;
	memset(&s, 0, sizeof s);
	if (!tok || !*tok || strlen(tok) > 255)
		return PS_ERR_INVAL;
	if (strchr(tok, ':')) { /* IPv6 address or network */
		struct ps_cidr c;
		int rc = strchr(tok, '/') ? ps_parse_cidr(tok, &c) : ps_parse_addr(tok, &c);
		if (rc == PS_ERR_INVAL && strchr(tok, '/')) {
			/* nmap accepts host bits in a CIDR: clear them */
			char tmp[256];
			snprintf(tmp, sizeof tmp, "%s", tok);
			char *sl = strchr(tmp, '/');
			*sl = 0;
			uint64_t pfx;
			if (ps_parse_addr(tmp, &c) != PS_OK || ps_parse_uint(sl + 1, 0, 128, &pfx) != PS_OK)
				return PS_ERR_INVAL;
			if (c.family != AF_INET6)
				return PS_ERR_INVAL;
			c.prefix = (uint8_t)pfx;
			for (unsigned b = c.prefix; b < 128; b++)
				c.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
			rc = PS_OK;
		}
		if (rc != PS_OK)
			return rc;
		if (c.family != AF_INET6)
			return PS_ERR_INVAL;
		if (c.prefix < 104)
			return PS_ERR_RANGE;
		s.kind = PS_TGT_V6;
		memcpy(s.addr6, c.addr, 16);
		s.prefix6 = c.prefix;
		*out = s;
		return PS_OK;
	}
	/* IPv4: octets with ranges, optional /prefix */
	const char *slash = strchr(tok, '/');
	size_t body = slash ? (size_t)(slash - tok) : strlen(tok);
	const char *p = tok;
	int oct = 0;
	bool looks_v4 = true;
	for (size_t i = 0; i < body; i++)
		if (!((tok[i] >= '0' && tok[i] <= '9') || tok[i] == '.' || tok[i] == '-' || tok[i] == '*' ||
		      tok[i] == ','))
			looks_v4 = false;
	if (looks_v4) {
		while (oct < 4) {
			const char *end = memchr(p, '.', body - (size_t)(p - tok));
			size_t n = end ? (size_t)(end - p) : body - (size_t)(p - tok);
			if (oct == 3 && end)
				return PS_ERR_INVAL;
			if (oct < 3 && !end)
				return PS_ERR_INVAL;
			int rc = octet_range(p, n, &s.lo[oct], &s.hi[oct]);
			if (rc != PS_OK)
				return rc;
			oct++;
			p = end ? end + 1 : p + n;
		}
		s.kind = PS_TGT_V4;
		if (slash) {
			uint64_t pfx;
			if (ps_parse_uint(slash + 1, 0, 32, &pfx) != PS_OK)
				return PS_ERR_INVAL;
			for (int i = 0; i < 4; i++)
				if (s.lo[i] != s.hi[i])
					return PS_ERR_INVAL; /* ranges and a prefix together */
			if (pfx < 8)
				return PS_ERR_RANGE;
			uint32_t a = (uint32_t)s.lo[0] << 24 | (uint32_t)s.lo[1] << 16 | (uint32_t)s.lo[2] << 8 | s.lo[3];
			s.mask = pfx == 0 ? 0 : ~0u << (32 - pfx);
			s.net = a & s.mask;
			if (pfx == 32)
				s.mask = ~0u;
		}
		*out = s;
		return PS_OK;
	}
	if (slash || !name_ok(tok))
		return PS_ERR_INVAL;
	s.kind = PS_TGT_NAME;
	snprintf(s.name, sizeof s.name, "%s", tok);
	*out = s;
	return PS_OK;
}

uint64_t ps_target_spec_count(const struct ps_target_spec *s)
{
	switch (s->kind) {
	case PS_TGT_V4:
		if (s->mask)
			return (uint64_t)(~s->mask) + 1;
		return (uint64_t)(s->hi[0] - s->lo[0] + 1) * (s->hi[1] - s->lo[1] + 1) * (s->hi[2] - s->lo[2] + 1) *
		       (s->hi[3] - s->lo[3] + 1);
	case PS_TGT_V6:
		return 1ull << (128 - s->prefix6);
	default:
		return 0;
	}
}

int ps_targets_add(struct ps_targets *t, int family, const uint8_t *addr)
{
	size_t limit = t->limit ? t->limit : PS_SCAN_MAX_HOSTS;
	if (t->n >= limit)
		return PS_ERR_RANGE;
	struct ps_host_addr *h = PS_VEC_PUSH(t->a, t->n, t->cap);
	if (!h)
		return PS_ERR_NOMEM;
	memset(h, 0, sizeof *h);
	h->family = (uint8_t)family;
	memcpy(h->addr, addr, family == AF_INET ? 4 : 16);
	return PS_OK;
}

int ps_targets_add_spec(struct ps_targets *t, const struct ps_target_spec *s)
{
	size_t limit = t->limit ? t->limit : PS_SCAN_MAX_HOSTS;
	uint64_t cnt = ps_target_spec_count(s);
	if (s->kind == PS_TGT_NAME)
		return PS_ERR_INVAL;
	if (cnt > limit || t->n + cnt > limit)
		return PS_ERR_RANGE;
	if (s->kind == PS_TGT_V6) {
		for (uint64_t i = 0; i < cnt; i++) {
			uint8_t a[16];
			memcpy(a, s->addr6, 16);
			uint64_t v = i;
			for (int b = 15; b >= 0 && v; b--, v >>= 8)
				a[b] |= (uint8_t)(v & 0xff);
			int rc = ps_targets_add(t, AF_INET6, a);
			if (rc)
				return rc;
		}
		return PS_OK;
	}
	if (s->mask) {
		for (uint64_t i = 0; i < cnt; i++) {
			uint32_t v = s->net + (uint32_t)i;
			uint8_t a[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
			int rc = ps_targets_add(t, AF_INET, a);
			if (rc)
				return rc;
		}
		return PS_OK;
	}
	for (unsigned a0 = s->lo[0]; a0 <= s->hi[0]; a0++)
		for (unsigned a1 = s->lo[1]; a1 <= s->hi[1]; a1++)
			for (unsigned a2 = s->lo[2]; a2 <= s->hi[2]; a2++)
				for (unsigned a3 = s->lo[3]; a3 <= s->hi[3]; a3++) {
					uint8_t a[4] = {(uint8_t)a0, (uint8_t)a1, (uint8_t)a2, (uint8_t)a3};
					int rc = ps_targets_add(t, AF_INET, a);
					if (rc)
						return rc;
				}
	return PS_OK;
}

static int host_cmp(const void *x, const void *y)
{
	const struct ps_host_addr *a = x, *b = y;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

size_t ps_targets_finish(struct ps_targets *t, const struct ps_targets *ex)
{
	if (t->n > 1)
		qsort(t->a, t->n, sizeof *t->a, host_cmp);
	size_t w = 0, dropped = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (i && host_cmp(&t->a[i - 1], &t->a[i]) == 0)
			continue;
		if (ex && ex->n && bsearch(&t->a[i], ex->a, ex->n, sizeof *ex->a, host_cmp)) {
			dropped++;
			continue;
		}
		t->a[w++] = t->a[i];
	}
	t->n = w;
	return dropped;
}

void ps_targets_free(struct ps_targets *t)
{
	free(t->a);
	t->a = NULL;
	t->n = t->cap = 0;
}

bool ps_addr_is_special(int family, const uint8_t *a, const char **what)
{
	static const uint8_t zero[16];
	if (family == AF_INET) {
		if ((a[0] & 0xf0) == 0xe0) {
			*what = "multicast";
			return true;
		}
		if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) {
			*what = "broadcast";
			return true;
		}
		if (memcmp(a, zero, 4) == 0) {
			*what = "unspecified";
			return true;
		}
		return false;
	}
	if (a[0] == 0xff) {
		*what = "multicast";
		return true;
	}
	if (memcmp(a, zero, 16) == 0) {
		*what = "unspecified";
		return true;
	}
	return false;
}

/* ---------------- ports ---------------- */

int ps_scan_ports_add(struct ps_scan_ports *p, unsigned proto, uint16_t port)
{
	uint16_t *x = proto == PS_P_UDP ? PS_VEC_PUSH(p->udp, p->nudp, p->ucap) : PS_VEC_PUSH(p->tcp, p->ntcp, p->tcap);
	if (!x)
		return PS_ERR_NOMEM;
	*x = port;
	return PS_OK;
}

static int u16cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void uniq(uint16_t *a, size_t *n)
{
	if (*n < 2)
		return;
	qsort(a, *n, sizeof *a, u16cmp);
	size_t w = 1;
	for (size_t i = 1; i < *n; i++)
		if (a[i] != a[w - 1])
			a[w++] = a[i];
	*n = w;
}

void ps_scan_ports_finish(struct ps_scan_ports *p)
{
	uniq(p->tcp, &p->ntcp);
	uniq(p->udp, &p->nudp);
}

void ps_scan_ports_free(struct ps_scan_ports *p)
{
	free(p->tcp);
	free(p->udp);
	memset(p, 0, sizeof *p);
}

static int add_range(struct ps_scan_ports *p, unsigned protos, unsigned lo, unsigned hi)
{
	for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1) {
		if (!(protos & bit))
			continue;
		for (unsigned v = lo; v <= hi; v++) {
			int rc = ps_scan_ports_add(p, bit, (uint16_t)v);
			if (rc)
				return rc;
		}
	}
	return PS_OK;
}

/* a port number of n characters (not NUL-terminated): ps_parse_uint on a copy */
static int port_num(const char *s, size_t n, unsigned *out)
{
	char tmp[8];
	uint64_t v;
	if (n == 0 || n >= sizeof tmp)
		return PS_ERR_INVAL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	int rc = ps_parse_uint(tmp, 0, 65535, &v);
	if (rc == PS_OK)
		*out = (unsigned)v;
	return rc;
}

int ps_scan_ports_parse(const char *spec, unsigned default_protos, ps_port_lookup_fn lookup, void *ctx,
			struct ps_scan_ports *out, char *err, size_t errlen)
{
	struct ps_scan_ports p = {0};
	unsigned cur = default_protos ? default_protos : PS_P_TCP;
	int rc = PS_OK;
	const char *s = spec;
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty port list");
		return PS_ERR_INVAL;
	}
	while (*s) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char item[64];
		if (n == 0 || n >= sizeof item) {
			snprintf(err, errlen, "empty or overlong item in port list '%s'", spec);
			rc = PS_ERR_INVAL;
			goto fail;
		}
		memcpy(item, s, n);
		item[n] = 0;
		char *it = item;
		if ((it[0] == 'T' || it[0] == 'U' || it[0] == 'S') && it[1] == ':') {
			if (it[0] == 'S') {
				snprintf(err, errlen, "SCTP ports ('%s') are not supported", item);
				rc = PS_ERR_INVAL;
				goto fail;
			}
			cur = it[0] == 'T' ? PS_P_TCP : PS_P_UDP;
			it += 2;
		}
		unsigned lo, hi;
		/* a name starts with a letter or a wildcard and may hold dashes (priv-mail) */
		bool named = (it[0] >= 'a' && it[0] <= 'z') || (it[0] >= 'A' && it[0] <= 'Z') || it[0] == '*' ||
			     it[0] == '?';
		char *dash = named ? NULL : strchr(it, '-');
		if (named) {
			lo = hi = 0;
		} else if (dash) {
			size_t l1 = (size_t)(dash - it), l2 = strlen(dash + 1);
			rc = l1 ? port_num(it, l1, &lo) : (lo = 1, PS_OK);
			if (rc == PS_OK)
				rc = l2 ? port_num(dash + 1, l2, &hi) : (hi = 65535, PS_OK);
			if (rc == PS_OK && lo > hi)
				rc = PS_ERR_RANGE;
			if (rc != PS_OK) {
				snprintf(err, errlen, "bad port range '%s'", item);
				goto fail;
			}
		} else if (it[0] >= '0' && it[0] <= '9') {
			rc = port_num(it, strlen(it), &lo);
			if (rc != PS_OK) {
				snprintf(err, errlen, "bad port '%s'", item);
				goto fail;
			}
			hi = lo;
		} else
			lo = hi = 0, named = true;
		if (named) {
			/* a service name, for each protocol in force */
			bool any = false;
			/* every port a name (or a wildcard: "http*", "*") stands for */
			uint16_t *v = lookup ? malloc(65536 * sizeof *v) : NULL;
			if (lookup && !v) {
				rc = PS_ERR_NOMEM;
				goto fail;
			}
			for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1) {
				size_t nv = (cur & bit) && v ? lookup(ctx, it, bit, v, 65536) : 0;
				for (size_t k = 0; k < nv && rc == PS_OK; k++)
					rc = ps_scan_ports_add(&p, bit, v[k]);
				any |= nv > 0;
			}
			free(v);
			if (rc != PS_OK)
				goto fail;
			if (!any) {
				snprintf(err, errlen, "unknown port or service name '%s'", item);
				rc = PS_ERR_INVAL;
				goto fail;
			}
		} else if ((rc = add_range(&p, cur, lo, hi)) != PS_OK)
			goto fail;
		s += n + (end ? 1 : 0);
		if (end && !*s) {
			snprintf(err, errlen, "trailing comma in port list '%s'", spec);
			rc = PS_ERR_INVAL;
			goto fail;
		}
	}
	ps_scan_ports_finish(&p);
	*out = p;
	return PS_OK;
fail:
	ps_scan_ports_free(&p);
	return rc;
}

static size_t subtract(uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	size_t k = 0, j = 0;
	for (size_t i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j >= nb || b[j] != a[i])
			a[k++] = a[i];
	}
	return k;
}

void ps_scan_ports_subtract(struct ps_scan_ports *p, const struct ps_scan_ports *x)
{
	p->ntcp = subtract(p->tcp, p->ntcp, x->tcp, x->ntcp);
	p->nudp = subtract(p->udp, p->nudp, x->udp, x->nudp);
}

const uint16_t *ps_top_ports(unsigned proto, size_t *n)
{
	if (proto == PS_P_UDP) {
		*n = sizeof top_udp / sizeof top_udp[0];
		return top_udp;
	}
	*n = sizeof top_tcp / sizeof top_tcp[0];
	return top_tcp;
}

int ps_scan_ports_top(unsigned proto, size_t n, struct ps_scan_ports *out)
{
	size_t have;
	const uint16_t *list = ps_top_ports(proto, &have);
	if (n > have)
		n = have;
	for (size_t i = 0; i < n; i++) {
		int rc = ps_scan_ports_add(out, proto, list[i]);
		if (rc)
			return rc;
	}
	ps_scan_ports_finish(out);
	return PS_OK;
}

/* ---------------- SipHash-2-4 ---------------- */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                        \
	do {                                                                                            \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                               \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                  \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                  \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                               \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t ps_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---------------- permutation ---------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

void ps_perm_init(struct ps_perm *p, uint64_t n, uint64_t seed)
{
	memset(p, 0, sizeof *p);
	p->n = n;
	uint64_t a = 1;
	while (a * a < n)
		a++;
	/* a*b >= n with a, b close to sqrt(n) */
	uint64_t b = a ? (n + a - 1) / a : 1;
	if (b == 0)
		b = 1;
	p->a = a ? a : 1;
	p->b = b;
	p->k0 = mix64(seed ^ 0x9e3779b97f4a7c15ULL);
	p->k1 = mix64(seed + 0x632be59bd9b4e019ULL);
}

static uint64_t feistel(const struct ps_perm *p, uint64_t m)
{
	uint64_t a = p->a, b = p->b;
	uint64_t L = m % a, R = m / a;
	for (unsigned j = 1; j <= 4; j++) {
		uint64_t f = mix64(R ^ (j & 1 ? p->k0 : p->k1) ^ ((uint64_t)j << 56));
		uint64_t tmp = (j & 1) ? (L + f % a) % a : (L + f % b) % b;
		L = R;
		R = tmp;
	}
	/* after an even number of rounds: L in [0,a), R in [0,b) */
	return a * R + L;
}

uint64_t ps_perm_at(const struct ps_perm *p, uint64_t i)
{
	if (p->n <= 1)
		return 0;
	uint64_t c = feistel(p, i);
	/* cycle walking: a*b - n < 2*sqrt(n)+1, so this ends quickly */
	for (unsigned guard = 0; c >= p->n && guard < 100000000u; guard++)
		c = feistel(p, c);
	return c;
}

uint64_t ps_shard_len(uint64_t n, unsigned k, unsigned count)
{
	if (count <= 1)
		return n;
	if (k == 0 || k > count || n < k)
		return 0;
	return (n - k) / count + 1;
}
