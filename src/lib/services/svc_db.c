/* svc_db.c - port knowledge: the built-in table merged with /etc/services,
 * or (for scan, as nmap names ports) nmap's own nmap-services */
#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portsec/portsec.h"
#include "util/arena.h"

struct entry {
	struct ps_service s; /* one protocol bit */
	const char *aliases; /* from /etc/services, or NULL */
	double freq;         /* nmap-services: how often found open (0 otherwise) */
	size_t line;         /* nmap-services: order in the file (the first line for a port wins) */
};

struct ps_svcdb {
	struct entry *e;
	size_t n, cap;
	bool have_etc;
	bool nmap;           /* entries are nmap-services' only */
	char source[160];
	struct ps_arena arena;
};

/* names people type that are not the IANA names */
static const struct { const char *alias, *name; } common_alias[] = {
	{"dns", "domain"},          {"postgres", "postgresql"}, {"rdp", "ms-wbt-server"},
	{"smb", "microsoft-ds"},    {"elasticsearch", "wap-wsp"}, {"mssql", "ms-sql-s"},
	{"oracle", "ncube-lm"},     {"portmap", "sunrpc"},      {"rpcbind", "sunrpc"},
	{"dhcp", "bootps"},         {"syslog", "syslog"},       {"memcached", "memcache"},
	{"k8s", "sun-sr-https"},    {"kubernetes", "sun-sr-https"}, {"http-proxy", "http-alt"},
	{"imap4", "imap"},          {"pop", "pop3"},            {"mongo", "mongodb"},
};

static int add(struct ps_svcdb *db, const struct ps_service *s, const char *aliases)
{
	struct entry *e = PS_VEC_PUSH(db->e, db->n, db->cap);
	if (!e)
		return PS_ERR_NOMEM;
	e->s = *s;
	e->aliases = aliases;
	return PS_OK;
}

static int cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->s.port != y->s.port)
		return x->s.port < y->s.port ? -1 : 1;
	return x->s.protos < y->s.protos ? -1 : x->s.protos > y->s.protos;
}

static int cmp_stable(const void *a, const void *b)
{
	int c = cmp(a, b);
	if (c)
		return c;
	size_t x = ((const struct entry *)a)->line, y = ((const struct entry *)b)->line;
	return x < y ? -1 : x > y;
}

static struct entry *find(const struct ps_svcdb *db, uint16_t port, unsigned proto)
{
	size_t lo = 0, hi = db->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct entry *e = &db->e[mid];
		if (e->s.port == port && e->s.protos == proto)
			return &db->e[mid];
		if (e->s.port < port || (e->s.port == port && e->s.protos < proto))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct etc_ctx {
	struct ps_svcdb *db;
	size_t builtin_n; /* entries [0, builtin_n) are sorted builtins */
};

static int on_etc(void *p, const char *name, uint16_t port, unsigned proto, const char *aliases)
{
	struct etc_ctx *c = p;
	struct ps_svcdb *db = c->db;
	/* builtins are sorted; look only there (the etc entries are appended) */
	struct ps_svcdb view = *db;
	view.n = c->builtin_n;
	struct entry *e = find(&view, port, proto);
	const char *al = aliases && *aliases ? ps_arena_strndup(&db->arena, aliases, strlen(aliases)) : NULL;
	if (e) {
		if (!e->aliases)
			e->aliases = al;
		return 0;
	}
	const char *nm = ps_arena_strndup(&db->arena, name, strlen(name));
	if (!nm)
		return PS_ERR_NOMEM;
	struct ps_service s = {port, (uint8_t)proto, nm, "", 0};
	return add(db, &s, al);
}

int ps_svcdb_open(const char *path, struct ps_svcdb **out)
{
	struct ps_svcdb *db = calloc(1, sizeof *db);
	if (!db)
		return PS_ERR_NOMEM;
	ps_arena_init(&db->arena);
	size_t n;
	const struct ps_service *b = ps_services_builtin(&n);
	for (size_t i = 0; i < n; i++)
		for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1)
			if (b[i].protos & bit) {
				struct ps_service s = b[i];
				s.protos = (uint8_t)bit;
				if (add(db, &s, NULL) != PS_OK) {
					ps_svcdb_free(db);
					return PS_ERR_NOMEM;
				}
			}
	qsort(db->e, db->n, sizeof *db->e, cmp);
	char *buf;
	size_t len;
	const char *etc = path ? path : "/etc/services";
	snprintf(db->source, sizeof db->source, "built-in table");
	if (ps_read_file_at(AT_FDCWD, etc, &buf, &len, 8u << 20) == PS_OK) {
		struct etc_ctx c = {db, db->n};
		ps_etc_services_parse(buf, len, on_etc, &c);
		free(buf);
		db->have_etc = true;
		qsort(db->e, db->n, sizeof *db->e, cmp);
		snprintf(db->source, sizeof db->source, "built-in table and %.100s", etc);
	}
	*out = db;
	return PS_OK;
}

static int on_nmap(void *p, const char *name, uint16_t port, unsigned proto, double freq)
{
	struct ps_svcdb *db = p;
	const char *nm = ps_arena_strndup(&db->arena, name, strlen(name));
	if (!nm)
		return PS_ERR_NOMEM;
	struct ps_service s = {port, (uint8_t)proto, nm, "", 0};
	int r = add(db, &s, NULL);
	if (r == PS_OK) {
		db->e[db->n - 1].freq = freq;
		db->e[db->n - 1].line = db->n;
	}
	return r;
}

/* dedupe after the sort: the first line for a port/proto wins, as in nmap */
static void uniq(struct ps_svcdb *db)
{
	size_t k = 0;
	for (size_t i = 0; i < db->n; i++)
		if (!k || db->e[k - 1].s.port != db->e[i].s.port || db->e[k - 1].s.protos != db->e[i].s.protos)
			db->e[k++] = db->e[i];
	db->n = k;
}

int ps_svcdb_open_nmap(const char *path, struct ps_svcdb **out)
{
	const char *file = path ? path : PS_NMAP_SERVICES;
	char *buf;
	size_t len;
	if (ps_read_file_at(AT_FDCWD, file, &buf, &len, 16u << 20) != PS_OK) {
		int r = ps_svcdb_open(NULL, out);
		return r == PS_OK ? PS_ERR_NOTFOUND : r;
	}
	struct ps_svcdb *db = calloc(1, sizeof *db);
	if (!db) {
		free(buf);
		return PS_ERR_NOMEM;
	}
	ps_arena_init(&db->arena);
	int r = ps_nmap_services_parse(buf, len, on_nmap, db);
	free(buf);
	if (r != PS_OK || db->n == 0) {
		ps_svcdb_free(db);
		if (r != PS_OK)
			return r;
		r = ps_svcdb_open(NULL, out); /* not an nmap-services file: said like a missing one */
		return r == PS_OK ? PS_ERR_INVAL : r;
	}
	/* equal port/proto keep file order, so uniq keeps the first */
	qsort(db->e, db->n, sizeof *db->e, cmp_stable);
	uniq(db);
	db->nmap = true;
	snprintf(db->source, sizeof db->source, "%.150s", file);
	*out = db;
	return PS_OK;
}

const char *ps_svcdb_source(const struct ps_svcdb *db)
{
	return db->source;
}

bool ps_svcdb_is_nmap(const struct ps_svcdb *db)
{
	return db->nmap;
}

static int by_freq(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	if (x->freq != y->freq)
		return x->freq > y->freq ? -1 : 1;
	return x->s.port < y->s.port ? -1 : x->s.port > y->s.port;
}

size_t ps_svcdb_ranked(const struct ps_svcdb *db, unsigned proto, uint16_t *out, size_t max)
{
	if (!db->nmap)
		return 0;
	const struct entry **v = malloc((db->n ? db->n : 1) * sizeof *v);
	if (!v)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < db->n; i++)
		if (db->e[i].s.protos == proto)
			v[n++] = &db->e[i];
	qsort(v, n, sizeof *v, by_freq);
	size_t k = n < max ? n : max;
	for (size_t i = 0; i < k; i++)
		out[i] = v[i]->s.port;
	free(v);
	return k;
}

/* the next line of [*p, end) without its comment, cut to cap-1 bytes; false at the end */
static bool next_line(const char **p, const char *end, char *line, size_t cap)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *le = nl ? nl : end;
	const char *hash = memchr(*p, '#', (size_t)(le - *p));
	if (hash)
		le = hash;
	size_t n = (size_t)(le - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(line, *p, n);
	line[n] = '\0';
	*p = nl ? nl + 1 : end;
	return true;
}

/* "80/tcp" (cut in place): false for a bad port or a protocol other than tcp/udp */
static bool port_proto(char *pp, uint16_t *port, unsigned *proto)
{
	char *slash = strchr(pp, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (ps_parse_port(pp, port) != PS_OK)
		return false;
	*proto = strcmp(slash + 1, "tcp") == 0 ? PS_P_TCP : strcmp(slash + 1, "udp") == 0 ? PS_P_UDP : 0;
	return *proto != 0;
}

int ps_nmap_services_parse(const char *buf, size_t len,
			   int (*cb)(void *ctx, const char *name, uint16_t port, unsigned proto, double freq),
			   void *ctx)
{
	const char *p = buf, *end = buf + len;
	char line[512];
	while (next_line(&p, end, line, sizeof line)) {
		/* name \t port/proto \t frequency [\t # comment]; sctp lines skipped */
		char *save = NULL;
		char *name = strtok_r(line, " \t\r", &save);
		char *pp = name ? strtok_r(NULL, " \t\r", &save) : NULL;
		char *fq = pp ? strtok_r(NULL, " \t\r", &save) : NULL;
		uint16_t port;
		unsigned proto;
		if (!fq || strlen(name) > 64 || !port_proto(pp, &port, &proto))
			continue;
		char *fe;
		double f = strtod(fq, &fe);
		if (*fe || !(f >= 0.0 && f <= 1.0))
			continue;
		int r = cb(ctx, name, port, proto, f);
		if (r != 0)
			return r;
	}
	return PS_OK;
}

void ps_svcdb_free(struct ps_svcdb *db)
{
	if (!db)
		return;
	free(db->e);
	ps_arena_free(&db->arena);
	free(db);
}

bool ps_svcdb_has_etc(const struct ps_svcdb *db)
{
	return db->have_etc;
}

const struct ps_service *ps_svcdb_by_port(const struct ps_svcdb *db, uint16_t port, unsigned proto)
{
	const struct entry *e = find(db, port, proto);
	return e ? &e->s : NULL;
}

const char *ps_svcdb_aliases(const struct ps_svcdb *db, uint16_t port, unsigned proto)
{
	const struct entry *e = find(db, port, proto);
	return e ? e->aliases : NULL;
}

static bool alias_has(const char *aliases, const char *name)
{
	if (!aliases)
		return false;
	size_t n = strlen(name);
	const char *p = aliases;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - s) == n && strncasecmp(s, name, n) == 0)
			return true;
	}
	return false;
}

size_t ps_svcdb_by_name(const struct ps_svcdb *db, const char *name, const struct ps_service **res,
			size_t max)
{
	const char *want = name;
	for (size_t i = 0; i < sizeof common_alias / sizeof common_alias[0]; i++)
		if (strcasecmp(name, common_alias[i].alias) == 0)
			want = common_alias[i].name;
	/* nmap's -p "http*": a wildcard matches names */
	bool glob = strpbrk(name, "*?") != NULL;
	size_t k = 0;
	for (size_t i = 0; i < db->n && k < max; i++)
		if (glob ? fnmatch(name, db->e[i].s.name, 0) == 0
			 : strcasecmp(db->e[i].s.name, want) == 0 || strcasecmp(db->e[i].s.name, name) == 0 ||
				   alias_has(db->e[i].aliases, name))
			res[k++] = &db->e[i].s;
	return k;
}

int ps_etc_services_parse(const char *buf, size_t len,
			  int (*cb)(void *ctx, const char *name, uint16_t port, unsigned proto,
				    const char *aliases),
			  void *ctx)
{
	const char *p = buf, *end = buf + len;
	char line[512];
	while (next_line(&p, end, line, sizeof line)) {
		/* name  port/proto  [aliases...] */
		char *save = NULL;
		char *name = strtok_r(line, " \t\r", &save);
		char *pp = name ? strtok_r(NULL, " \t\r", &save) : NULL;
		uint16_t port;
		unsigned proto;
		if (!name || !pp || strlen(name) > 64 || !port_proto(pp, &port, &proto))
			continue;
		char aliases[400];
		size_t an = 0;
		aliases[0] = '\0';
		for (char *a; (a = strtok_r(NULL, " \t\r", &save));) {
			size_t al = strlen(a);
			if (an + al + 2 >= sizeof aliases)
				break;
			if (an)
				aliases[an++] = ' ';
			memcpy(aliases + an, a, al);
			an += al;
			aliases[an] = '\0';
		}
		int r = cb(ctx, name, port, proto, aliases);
		if (r != 0)
			return r;
	}
	return PS_OK;
}
