/* policy.c - the policy file: a pure line parser and the first-match matcher.
 *
 * A line is `default allow|deny`, or `allow|deny PROTO/PORTS [key=value...]`;
 * words are separated by blanks, a value may be "quoted" (\" and \\ inside),
 * '#' outside quotes starts a comment.  Errors name the line and column. */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "assess/internal.h"
#include "portsec/ps_policy.h"

#define MAX_RULES 100000
#define MAX_WORDS 32

struct word {
	const char *p; /* in the line (unquoted text is copied into buf) */
	size_t n;
	unsigned col;
	char *val; /* unescaped copy in the arena */
};

struct pctx {
	struct ps_policy *pol;
	const struct ps_svcdb *db;
	struct ps_policy_error *err;
	unsigned line;
};

__attribute__((format(printf, 3, 4))) static int perr(struct pctx *x, unsigned col, const char *fmt, ...)
{
	x->err->line = x->line;
	x->err->col = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err->msg, sizeof x->err->msg, fmt, ap);
	va_end(ap);
	return PS_ERR_INVAL;
}

/* split one line into words; a word's value is unquoted into the arena */
static int split(struct pctx *x, const char *s, size_t len, struct word *w, size_t *nw)
{
	size_t i = 0;
	*nw = 0;
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i >= len || s[i] == '#')
			break;
		if (*nw == MAX_WORDS)
			return perr(x, (unsigned)i + 1, "too many words (at most %d)", MAX_WORDS);
		struct word *cur = &w[(*nw)++];
		cur->p = s + i;
		cur->col = (unsigned)i + 1;
		char *v = ps_arena_alloc(x->pol->arena, len - i + 1);
		if (!v)
			return PS_ERR_NOMEM;
		size_t k = 0;
		bool q = false;
		while (i < len) {
			char ch = s[i];
			if ((unsigned char)ch < 0x20 && ch != '\t')
				return perr(x, (unsigned)i + 1, "control character 0x%02x", (unsigned char)ch);
			if (q) {
				if (ch == '"') {
					q = false;
					i++;
					continue;
				}
				if (ch == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
					ch = s[++i];
			} else if (ch == '"') {
				q = true;
				i++;
				continue;
			} else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '#') {
				break;
			}
			v[k++] = ch;
			i++;
		}
		if (q)
			return perr(x, cur->col, "unterminated quote");
		v[k] = 0;
		cur->val = v;
		cur->n = (size_t)(s + i - cur->p);
	}
	return PS_OK;
}

static int parse_portnum(const char *s, size_t n, uint16_t *out)
{
	char b[8];
	uint64_t v;
	if (n == 0 || n >= sizeof b)
		return -1;
	memcpy(b, s, n);
	b[n] = 0;
	if (ps_parse_uint(b, 0, 65535, &v) != PS_OK)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "tcp/22", "udp/100-200", "tcp/ssh", "any/53", and "22/tcp" */
static int parse_ports(struct pctx *x, const struct word *w, struct ps_pol_rule *r)
{
	const char *v = w->val;
	const char *sl = strchr(v, '/');
	if (!sl)
		return perr(x, w->col, "expected PROTO/PORT (tcp/22, udp/123, tcp/8000-8100), got '%s'", v);
	const char *proto = v, *ports = sl + 1;
	size_t plen = (size_t)(sl - v);
	if (plen && v[0] >= '0' && v[0] <= '9') { /* 22/tcp */
		ports = v;
		proto = sl + 1;
		plen = strlen(proto);
	}
	size_t portlen = ports == v ? (size_t)(sl - v) : strlen(ports);
	if (plen == 3 && memcmp(proto, "tcp", 3) == 0)
		r->protos = PS_P_TCP;
	else if (plen == 3 && memcmp(proto, "udp", 3) == 0)
		r->protos = PS_P_UDP;
	else if (plen == 3 && memcmp(proto, "any", 3) == 0)
		r->protos = PS_P_TCP | PS_P_UDP;
	else
		return perr(x, w->col, "unknown protocol '%.*s' (tcp, udp or any)", (int)(plen > 20 ? 20 : plen), proto);
	unsigned pcol = w->col + (unsigned)(ports - v);
	if (portlen == 0)
		return perr(x, pcol, "missing port after '/'");
	const char *dash = memchr(ports, '-', portlen);
	if (ports[0] >= '0' && ports[0] <= '9') {
		size_t a = dash ? (size_t)(dash - ports) : portlen;
		if (parse_portnum(ports, a, &r->lo) != 0)
			return perr(x, pcol, "bad port '%.*s' (0-65535)", (int)(portlen > 20 ? 20 : portlen), ports);
		r->hi = r->lo;
		if (dash && parse_portnum(dash + 1, portlen - a - 1, &r->hi) != 0)
			return perr(x, pcol + (unsigned)a + 1, "bad port range end '%.*s'",
				    (int)((portlen - a - 1) > 20 ? 20 : portlen - a - 1), dash + 1);
		if (r->hi < r->lo)
			return perr(x, pcol, "port range %u-%u runs backwards", r->lo, r->hi);
		return PS_OK;
	}
	/* a service name */
	char name[48];
	if (portlen >= sizeof name)
		return perr(x, pcol, "service name too long");
	memcpy(name, ports, portlen);
	name[portlen] = 0;
	const struct ps_service *res[8];
	size_t n = x->db ? ps_svcdb_by_name(x->db, name, res, 8) : 0;
	for (size_t i = 0; i < n; i++)
		if (res[i]->protos & r->protos) {
			r->lo = r->hi = res[i]->port;
			return PS_OK;
		}
	return perr(x, pcol, "unknown service name '%s' for %.*s", name, (int)plen, proto);
}

/* YYYY-MM-DD -> the end of that day, UTC */
static int parse_date(const char *s, int64_t *out)
{
	unsigned y, m, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 9999 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -1;
	struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = (int)m - 1, .tm_mday = (int)d, .tm_hour = 23,
			.tm_min = 59, .tm_sec = 59};
	*out = (int64_t)timegm(&tm);
	return 0;
}

static const char *const keys[] = {"process", "exe",    "user",    "unit",    "container", "netns",
				   "scope",   "family", "firewall", "expires", "reason",    NULL};
enum { K_PROCESS, K_EXE, K_USER, K_UNIT, K_CONTAINER, K_NETNS, K_SCOPE, K_FAMILY, K_FIREWALL, K_EXPIRES, K_REASON };

static int key_index(const char *k, size_t n)
{
	for (int i = 0; keys[i]; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return i;
	return -1;
}

static int parse_scope(struct pctx *x, const struct word *w, const char *v, unsigned col, struct ps_pol_rule *r)
{
	static const char *const names[] = {"loopback", "specific", "any", NULL};
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			r->scope = (uint8_t)(PS_POL_SCOPE_LOOPBACK + i);
			return PS_OK;
		}
	(void)w;
	if (ps_parse_cidr(v, &r->cidr) == PS_OK || ps_parse_addr(v, &r->cidr) == PS_OK) {
		r->scope = PS_POL_SCOPE_CIDR;
		return PS_OK;
	}
	return perr(x, col, "bad scope '%s' (loopback, specific, any, or an address/CIDR without host bits)", v);
}

static int parse_key(struct pctx *x, const struct word *w, struct ps_pol_rule *r, unsigned *seen)
{
	const char *eq = memchr(w->p, '=', w->n);
	if (!eq)
		return perr(x, w->col, "expected key=value, got '%.*s' (keys: process, exe, user, unit, container, netns, scope, family, firewall, expires, reason)",
			    (int)(w->n > 40 ? 40 : w->n), w->p);
	int k = key_index(w->p, (size_t)(eq - w->p));
	if (k < 0)
		return perr(x, w->col, "unknown key '%.*s' (process, exe, user, unit, container, netns, scope, family, firewall, expires, reason)",
			    (int)((size_t)(eq - w->p) > 40 ? 40 : (size_t)(eq - w->p)), w->p);
	if (*seen & (1u << k))
		return perr(x, w->col, "key '%s' given twice", keys[k]);
	*seen |= 1u << k;
	/* the value: the word's unquoted text after "key=" */
	char *v = w->val + (eq - w->p) + 1;
	unsigned vcol = w->col + (unsigned)(eq - w->p) + 1;
	if (!*v && k != K_REASON)
		return perr(x, vcol, "empty value for '%s'", keys[k]);
	uint64_t uid;
	switch (k) {
	case K_PROCESS: r->process = v; break;
	case K_EXE: r->exe = v; break;
	case K_USER:
		if (ps_parse_uint(v, 0, 0xffffffffu, &uid) == PS_OK) {
			r->have_uid = true;
			r->uid = (uint32_t)uid;
		} else {
			r->user = v;
		}
		break;
	case K_UNIT: r->unit = v; break;
	case K_CONTAINER: r->container = v; break;
	case K_NETNS: r->netns = v; break;
	case K_SCOPE: return parse_scope(x, w, v, vcol, r);
	case K_FAMILY:
		if (strcmp(v, "ipv4") == 0 || strcmp(v, "inet") == 0)
			r->family = AF_INET;
		else if (strcmp(v, "ipv6") == 0 || strcmp(v, "inet6") == 0)
			r->family = AF_INET6;
		else
			return perr(x, vcol, "bad family '%s' (ipv4 or ipv6)", v);
		break;
	case K_FIREWALL:
		if (strcmp(v, "blocked") == 0)
			r->firewall = PS_POL_FW_BLOCKED;
		else if (strcmp(v, "open") == 0)
			r->firewall = PS_POL_FW_OPEN;
		else
			return perr(x, vcol, "bad firewall '%s' (blocked: must not be reachable from outside; open)", v);
		break;
	case K_EXPIRES:
		if (parse_date(v, &r->expires) != 0)
			return perr(x, vcol, "bad date '%s' (YYYY-MM-DD)", v);
		break;
	case K_REASON: r->reason = v; break;
	}
	return PS_OK;
}

static int parse_line(struct pctx *x, const char *s, size_t len)
{
	struct word w[MAX_WORDS];
	size_t nw;
	int rc = split(x, s, len, w, &nw);
	if (rc != PS_OK || nw == 0)
		return rc;
	struct ps_policy *p = x->pol;
	if (strcmp(w[0].val, "default") == 0) {
		if (nw != 2)
			return perr(x, nw < 2 ? w[0].col + 7 : w[2].col, "expected `default allow` or `default deny`");
		if (p->default_line)
			return perr(x, w[0].col, "a second `default` line (the first is on line %u)", p->default_line);
		if (strcmp(w[1].val, "deny") == 0)
			p->default_deny = true;
		else if (strcmp(w[1].val, "allow") != 0)
			return perr(x, w[1].col, "expected allow or deny after default, got '%s'", w[1].val);
		p->default_line = x->line;
		return PS_OK;
	}
	bool allow = strcmp(w[0].val, "allow") == 0;
	if (!allow && strcmp(w[0].val, "deny") != 0)
		return perr(x, w[0].col, "expected allow, deny or default, got '%.*s'", (int)(w[0].n > 30 ? 30 : w[0].n),
			    w[0].p);
	if (nw < 2)
		return perr(x, w[0].col + (unsigned)w[0].n + 1, "missing PROTO/PORT after %s", w[0].val);
	if (p->n >= MAX_RULES)
		return perr(x, 1, "too many rules (at most %d)", MAX_RULES);
	struct ps_pol_rule *r = PS_VEC_PUSH(p->rules, p->n, p->cap);
	if (!r)
		return PS_ERR_NOMEM;
	memset(r, 0, sizeof *r);
	r->action = allow ? PS_POL_ALLOW : PS_POL_DENY;
	r->line = x->line;
	size_t end = len;
	while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	r->text = ps_arena_strndup(p->arena, w[0].p, (size_t)(s + end - w[0].p));
	if ((rc = parse_ports(x, &w[1], r)) != PS_OK)
		return rc;
	unsigned seen = 0;
	for (size_t i = 2; i < nw && rc == PS_OK; i++)
		rc = parse_key(x, &w[i], r, &seen);
	return rc;
}

int ps_policy_parse(const char *data, size_t len, const struct ps_svcdb *db, struct ps_policy **out,
		    struct ps_policy_error *err)
{
	struct ps_policy_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	*out = NULL;
	struct ps_policy *p = calloc(1, sizeof *p);
	if (!p)
		return PS_ERR_NOMEM;
	p->arena = ps_assess_arena_new();
	if (!p->arena) {
		free(p);
		return PS_ERR_NOMEM;
	}
	struct pctx x = {.pol = p, .db = db, .err = err};
	int rc = PS_OK;
	size_t i = 0;
	while (i < len && rc == PS_OK) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		x.line++;
		if (memchr(data + i, 0, n))
			rc = perr(&x, (unsigned)((const char *)memchr(data + i, 0, n) - (data + i)) + 1, "NUL byte");
		else if (n > 4096)
			rc = perr(&x, 4097, "line longer than 4096 characters");
		else
			rc = parse_line(&x, data + i, n);
		i += n + 1;
	}
	if (rc != PS_OK) {
		if (rc == PS_ERR_NOMEM && !err->msg[0])
			snprintf(err->msg, sizeof err->msg, "out of memory");
		ps_policy_free(p);
		return rc;
	}
	*out = p;
	return PS_OK;
}

void ps_policy_free(struct ps_policy *p)
{
	if (!p)
		return;
	free(p->rules);
	ps_assess_arena_free(p->arena);
	free(p);
}

/* a pattern against a value: NULL pattern matches anything; a value that is
 * unknown (NULL) matches only "*"... no: "*" means "some value is present" */
static bool pat(const char *pattern, const char *value)
{
	if (!pattern)
		return true;
	if (!value || !*value)
		return false;
	return fnmatch(pattern, value, 0) == 0;
}

static bool in_cidr(const struct ps_cidr *c, uint8_t family, const uint8_t *addr)
{
	if (c->family != family || !addr)
		return false;
	unsigned bits = c->prefix, full = bits / 8;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
		if ((c->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

static bool rule_matches(const struct ps_pol_rule *r, const struct ps_pol_subject *s)
{
	unsigned bit = s->proto == PS_PROTO_UDP ? PS_P_UDP : PS_P_TCP;
	if (!(r->protos & bit) || s->port < r->lo || s->port > r->hi)
		return false;
	if (r->family && r->family != s->family)
		return false;
	if (r->scope == PS_POL_SCOPE_CIDR) {
		if (!in_cidr(&r->cidr, s->family, s->addr))
			return false;
	} else if (r->scope && s->scope > r->scope) {
		return false;
	}
	if (r->process) {
		const char *base = s->exe ? strrchr(s->exe, '/') : NULL;
		if (!pat(r->process, s->comm) && !pat(r->process, base ? base + 1 : s->exe))
			return false;
	}
	if (!pat(r->exe, s->exe) || !pat(r->unit, s->unit) || !pat(r->container, s->container) ||
	    !pat(r->netns, s->netns))
		return false;
	if (r->have_uid && (!s->have_uid || s->uid != r->uid))
		return false;
	if (r->user && !pat(r->user, s->user))
		return false;
	return true;
}

const struct ps_pol_rule *ps_policy_match(const struct ps_policy *p, const struct ps_pol_subject *s, int64_t now,
					  const struct ps_pol_rule **expired)
{
	if (expired)
		*expired = NULL;
	for (size_t i = 0; p && i < p->n; i++) {
		const struct ps_pol_rule *r = &p->rules[i];
		if (!rule_matches(r, s))
			continue;
		if (r->expires && now > r->expires) {
			if (expired && !*expired)
				*expired = r;
			continue;
		}
		return r;
	}
	return NULL;
}
