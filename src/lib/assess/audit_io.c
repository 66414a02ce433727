/* audit_io.c - the audit's files: the baseline (a tab-separated text file,
 * written and parsed here), `policy init`'s text, and the outside view read
 * from an nmap XML file (expat).  The parsers are pure and fuzzed. */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "assess/internal.h"
#include "portsec/ps_audit.h"

#define BASELINE_MAGIC "# portsec baseline 1"
#define MAX_ENTRIES 200000

/* ---- baseline ---- */

/* a field: tab, newline and backslash escaped so a hostile exe path cannot
 * forge a column or a line */
static void put_field(struct ps_buf *b, const char *s)
{
	if (!s || !*s) {
		ps_buf_putc(b, '-');
		return;
	}
	for (const char *p = s; *p; p++) {
		if (*p == '\t')
			ps_buf_puts(b, "\\t");
		else if (*p == '\n')
			ps_buf_puts(b, "\\n");
		else if (*p == '\\')
			ps_buf_puts(b, "\\\\");
		else
			ps_buf_putc(b, *p);
	}
}

void ps_baseline_write(const struct ps_audit *au, const char *saved_utc, struct ps_buf *b)
{
	ps_buf_printf(b, "%s\n# saved %s\n# proto\taddr\tport\tnetns\texe\tuser\tscope\tverdict\n", BASELINE_MAGIC,
		      saved_utc);
	for (size_t i = 0; i < au->nl; i++) {
		const struct ps_audit_listener *l = &au->l[i];
		ps_buf_printf(b, "%s\t%s\t%u\t", ps_proto_name(l->proto), l->addr, l->port);
		put_field(b, l->netns);
		ps_buf_putc(b, '\t');
		put_field(b, l->exe);
		ps_buf_putc(b, '\t');
		put_field(b, l->user);
		ps_buf_printf(b, "\t%s\t%s\n", l->scope, l->verdict);
	}
}

/* unescape field [s, e) into dst (cap); -1 when it does not fit or is bad */
static int get_field(const char *s, const char *e, char *dst, size_t cap)
{
	size_t k = 0;
	for (const char *p = s; p < e; p++) {
		char c = *p;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (++p >= e)
				return -1;
			c = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p == '\\' ? '\\' : 0;
			if (!c)
				return -1;
		}
		if (k + 1 >= cap)
			return -1;
		dst[k++] = c;
	}
	if (k == 0)
		return -1;
	dst[k] = 0;
	return 0;
}

static int baseline_line(const char *s, size_t n, struct ps_baseline_entry *e, const char **why)
{
	const char *f[9];
	size_t nf = 0;
	f[nf++] = s;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\t') {
			if (nf == 8) {
				*why = "more than 8 fields";
				return -1;
			}
			f[nf++] = s + i + 1;
		}
	if (nf != 8) {
		*why = "expected 8 tab-separated fields: proto addr port netns exe user scope verdict";
		return -1;
	}
	f[8] = s + n + 1;
	char proto[8], port[8];
	struct ps_cidr c;
	uint64_t pv;
	if (get_field(f[0], f[1] - 1, proto, sizeof proto) || (strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
		*why = "proto is not tcp or udp";
		return -1;
	}
	e->proto = proto[0] == 't' ? PS_PROTO_TCP : PS_PROTO_UDP;
	if (get_field(f[1], f[2] - 1, e->addr, sizeof e->addr) || ps_parse_addr(e->addr, &c) != PS_OK) {
		*why = "bad address";
		return -1;
	}
	e->family = c.family;
	if (get_field(f[2], f[3] - 1, port, sizeof port) || ps_parse_uint(port, 0, 65535, &pv) != PS_OK) {
		*why = "bad port";
		return -1;
	}
	e->port = (uint16_t)pv;
	if (get_field(f[3], f[4] - 1, e->netns, sizeof e->netns) || get_field(f[4], f[5] - 1, e->exe, sizeof e->exe) ||
	    get_field(f[5], f[6] - 1, e->user, sizeof e->user) || get_field(f[6], f[7] - 1, e->scope, sizeof e->scope) ||
	    get_field(f[7], f[8] - 1, e->verdict, sizeof e->verdict)) {
		*why = "a field is empty, too long or badly escaped";
		return -1;
	}
	return 0;
}

int ps_baseline_parse(const char *data, size_t len, struct ps_baseline *out, unsigned *line, char *why, size_t whycap)
{
	memset(out, 0, sizeof *out);
	*line = 0;
	size_t ml = strlen(BASELINE_MAGIC);
	if (len < ml || memcmp(data, BASELINE_MAGIC, ml) != 0 || (len > ml && data[ml] != '\n' && data[ml] != '\r')) {
		*line = 1;
		snprintf(why, whycap, "not a portsec baseline (no '%s' first line)", BASELINE_MAGIC);
		return PS_ERR_INVAL;
	}
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		const char *s = data + i;
		++*line;
		i += n + 1;
		if (n && s[n - 1] == '\r')
			n--;
		if (n >= 7 && memcmp(s, "# saved", 7) == 0) {
			snprintf(out->saved, sizeof out->saved, "%.*s", (int)(n > 8 ? n - 8 : 0), s + 8);
			continue;
		}
		if (n == 0 || s[0] == '#')
			continue;
		const char *w = NULL;
		struct ps_baseline_entry *e = out->n < MAX_ENTRIES ? PS_VEC_PUSH(out->e, out->n, out->cap) : NULL;
		if (!e) {
			bool full = out->n >= MAX_ENTRIES;
			snprintf(why, whycap, "%s", full ? "too many entries" : "out of memory");
			ps_baseline_free(out);
			return full ? PS_ERR_INVAL : PS_ERR_NOMEM;
		}
		memset(e, 0, sizeof *e);
		e->line = *line;
		if (memchr(s, 0, n) || baseline_line(s, n, e, &w) != 0) {
			snprintf(why, whycap, "%s", w ? w : "NUL byte");
			ps_baseline_free(out);
			return PS_ERR_INVAL;
		}
	}
	return PS_OK;
}

void ps_baseline_free(struct ps_baseline *b)
{
	free(b->e);
	memset(b, 0, sizeof *b);
}

/* ---- policy init ---- */

void ps_policy_init_text(const struct ps_audit *au, struct ps_buf *b)
{
	ps_buf_puts(b, "# portsec policy (portsec-policy(5)), made by `portsec policy init` from what listens now.\n"
		       "# Keep the rules you want, delete the rest; the first matching rule wins.\n"
		       "# With `default deny`, a listener no rule allows is an audit finding.\n"
		       "default deny\n\n");
	for (size_t i = 0; i < au->nl; i++) {
		const struct ps_audit_listener *l = &au->l[i];
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = au->l[k].proto == l->proto && au->l[k].port == l->port && strcmp(au->l[k].scope, l->scope) == 0 &&
			      au->l[k].comm && l->comm && strcmp(au->l[k].comm, l->comm) == 0;
		if (dup)
			continue;
		/* names in the comment lose their control bytes: a newline in a
		 * process name must not start a rule of its own */
		char comm[64], exe[256], user[64], unit[128];
		ps_term_str(comm, sizeof comm, l->comm ? l->comm : "no visible owner");
		ps_term_str(exe, sizeof exe, l->exe ? l->exe : "?");
		ps_term_str(user, sizeof user, l->user ? l->user : "?");
		ps_term_str(unit, sizeof unit, l->unit ? l->unit : "");
		ps_buf_printf(b, "# %s %s:%u%s%s, held by %s (pid %d, exe %s, user %s)%s%s; firewall: %s\n",
			      ps_proto_name(l->proto), l->addr, l->port, l->service ? " " : "", l->service ? l->service : "",
			      comm, l->pid, exe, user, l->unit ? ", unit " : "", unit, l->verdict);
		ps_buf_printf(b, "allow %s/%u", ps_proto_name(l->proto), l->port);
		/* a name only when it is a plain word (a hostile comm cannot break the file) */
		bool plain = l->comm && *l->comm;
		for (const char *p = l->comm; plain && *p; p++)
			plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				*p == '-' || *p == '_' || *p == '.';
		if (plain)
			ps_buf_printf(b, " process=%s", l->comm);
		bool uplain = l->user && *l->user && !strpbrk(l->user, " \t\"#\\");
		if (uplain)
			ps_buf_printf(b, " user=%s", l->user);
		ps_buf_printf(b, " scope=%s\n\n", l->scope);
	}
}

/* ---- the outside view: nmap XML ---- */

struct xctx {
	struct ps_outside *o;
	int depth_host;    /* >0 inside <host> */
	bool host_up, taken, in_port, bad;
	char addr[48];
	struct ps_outside_port cur;
	struct ps_outside_port *pend;
	size_t npend, pcap;
	unsigned elements;
};

static const char *attr(const char **a, const char *name)
{
	for (size_t i = 0; a[i] && a[i + 1]; i += 2)
		if (strcmp(a[i], name) == 0)
			return a[i + 1];
	return NULL;
}

static uint8_t state_of(const char *s)
{
	if (!s)
		return PS_PST_NONE;
	if (strcmp(s, "open") == 0)
		return PS_PST_OPEN;
	if (strcmp(s, "closed") == 0)
		return PS_PST_CLOSED;
	if (strcmp(s, "filtered") == 0)
		return PS_PST_FILTERED;
	if (strcmp(s, "open|filtered") == 0)
		return PS_PST_OPEN_FILTERED;
	return PS_PST_NONE;
}

static void x_start(void *ud, const char *el, const char **a)
{
	struct xctx *x = ud;
	if (++x->elements > 2000000) {
		x->bad = true;
		return;
	}
	if (strcmp(el, "host") == 0) {
		x->o->hosts++;
		x->depth_host = 1;
		x->host_up = true;
		x->addr[0] = 0;
		x->npend = 0;
		return;
	}
	if (!x->depth_host)
		return;
	if (strcmp(el, "status") == 0) {
		const char *st = attr(a, "state");
		x->host_up = st && strcmp(st, "up") == 0;
	} else if (strcmp(el, "address") == 0) {
		const char *t = attr(a, "addrtype"), *v = attr(a, "addr");
		if (v && t && (strcmp(t, "ipv4") == 0 || strcmp(t, "ipv6") == 0) && !x->addr[0])
			snprintf(x->addr, sizeof x->addr, "%s", v);
	} else if (strcmp(el, "port") == 0) {
		const char *pr = attr(a, "protocol"), *id = attr(a, "portid");
		uint64_t v;
		memset(&x->cur, 0, sizeof x->cur);
		x->in_port = pr && id && (strcmp(pr, "tcp") == 0 || strcmp(pr, "udp") == 0) &&
			     ps_parse_uint(id, 0, 65535, &v) == PS_OK;
		if (x->in_port) {
			x->cur.proto = pr[0] == 't' ? PS_PROTO_TCP : PS_PROTO_UDP;
			x->cur.port = (uint16_t)v;
		}
	} else if (x->in_port && strcmp(el, "state") == 0) {
		x->cur.state = state_of(attr(a, "state"));
	} else if (x->in_port && strcmp(el, "service") == 0) {
		const char *n = attr(a, "name");
		if (n)
			snprintf(x->cur.service, sizeof x->cur.service, "%s", n);
	}
}

static void x_end(void *ud, const char *el)
{
	struct xctx *x = ud;
	if (x->in_port && strcmp(el, "port") == 0) {
		x->in_port = false;
		if (x->cur.state != PS_PST_NONE && x->npend < 200000) {
			struct ps_outside_port *p = PS_VEC_PUSH(x->pend, x->npend, x->pcap);
			if (p)
				*p = x->cur;
			else
				x->bad = true;
		}
	} else if (x->depth_host && strcmp(el, "host") == 0) {
		x->depth_host = 0;
		if (x->host_up && !x->taken) {
			/* the first host that is up is the one audited */
			x->taken = true;
			snprintf(x->o->addr, sizeof x->o->addr, "%s", x->addr);
			x->o->p = x->pend;
			x->o->n = x->npend;
			x->o->cap = x->pcap;
			x->pend = NULL;
			x->npend = x->pcap = 0;
		}
	}
}

int ps_outside_parse_xml(const char *data, size_t len, struct ps_outside *out, char *why, size_t whycap)
{
	memset(out, 0, sizeof *out);
	XML_Parser p = XML_ParserCreate(NULL);
	if (!p)
		return PS_ERR_NOMEM;
	struct xctx x = {.o = out};
	XML_SetUserData(p, &x);
	XML_SetElementHandler(p, x_start, x_end);
	/* no DTD, no entities from outside: the file is data */
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	int ok = len <= (size_t)0x7fffffff && XML_Parse(p, data, (int)len, 1) == XML_STATUS_OK;
	if (!ok)
		snprintf(why, whycap, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(p),
			 XML_ErrorString(XML_GetErrorCode(p)));
	XML_ParserFree(p);
	free(x.pend);
	if (!ok || x.bad) {
		if (ok)
			snprintf(why, whycap, "too large");
		ps_outside_free(out);
		return PS_ERR_INVAL;
	}
	if (!x.taken) {
		snprintf(why, whycap, "%s", out->hosts ? "no host in it is up" : "no <host> in it (not an nmap XML file?)");
		ps_outside_free(out);
		return PS_ERR_INVAL;
	}
	return PS_OK;
}

void ps_outside_free(struct ps_outside *o)
{
	free(o->p);
	memset(o, 0, sizeof *o);
}
