/* cmd_scan.c - `portsec scan`: nmap's options in, the library's scan run,
 * results out in every format asked for.  Ctrl-C stops the scan cleanly and
 * what was found is still written. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { O_SYN = 1, O_CONNECT, O_UDP, O_VERSIONS, O_PING, O_NOPING, O_PORTS, O_TOP, O_FAST, O_IL, O_EXCL, O_EXCLFILE,
       O_NORESOLVE, O_V6, O_BCAST, O_TIMING, O_RETRIES, O_MINRATE, O_MAXRATE, O_HOSTTO, O_MINRTT, O_MAXRTT, O_INITRTT,
       O_UDPBUDGET, O_SEED, O_SHARD, O_SPORT, O_ON, O_OX, O_OG, O_OJ, O_OA, O_OPEN, O_REASON, O_ALL, O_STATS,
       O_NOOWNERS, O_SERVICEDB, O_EXCLPORTS };

#define D1 CLI_F_DASH1
static const struct cli_opt opts[] = {
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Scan types", NULL, 0, 0, 0},
	{O_SYN, 0, "sS", CLI_A_NONE, NULL, "TCP SYN (raw sockets; the default with CAP_NET_RAW)", NULL, 0, 0, D1},
	{O_CONNECT, 0, "sT", CLI_A_NONE, NULL, "TCP connect() (no privilege; the default without it)", NULL, 0, 0, D1},
	{O_UDP, 0, "sU", CLI_A_NONE, NULL, "UDP with protocol payloads (may be combined with -sS/-sT)", NULL, 0, 0, D1},
	{O_VERSIONS, 0, "sV", CLI_A_NONE, NULL, "read banners of open TCP ports (SSH, SMTP, FTP, POP3, IMAP, HTTP)",
	 NULL, 0, 0, D1},
	{O_PING, 0, "sn", CLI_A_NONE, NULL, "host discovery only", NULL, 0, 0, D1},
	{O_NOPING, 0, "Pn", CLI_A_NONE, NULL, "no host discovery: every target is up", NULL, 0, 0, D1},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Ports (default: --top-ports 1000)", NULL, 0, 0, 0},
	{O_PORTS, 'p', NULL, CLI_A_PORTS, "SPEC", "22,80,1000-2000  -p-  U:53,T:80,443  http (names)", NULL, 0, 0, 0},
	{O_TOP, 0, "top-ports", CLI_A_UINT, "N", "the N most often open ports (nmap-services ranking)", NULL, 1, 65535,
	 0},
	{O_FAST, 'F', NULL, CLI_A_NONE, NULL, "--top-ports 100", NULL, 0, 0, 0},
	{O_EXCLPORTS, 0, "exclude-ports", CLI_A_PORTS, "SPEC", "ports to leave out (the -p syntax, names too)", NULL, 0,
	 0, 0},
	{O_SERVICEDB, 0, "servicedb", CLI_A_FILE, "FILE",
	 "port names and --top-ports ranking from FILE (default " PS_NMAP_SERVICES ", as nmap)", NULL, 0, 0, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Targets", NULL, 0, 0, 0},
	{O_IL, 0, "iL", CLI_A_FILE, "FILE", "targets from FILE (- = stdin)", NULL, 0, 0, D1},
	{O_EXCL, 0, "exclude", CLI_A_STR, "LIST", "comma-separated targets to leave out", NULL, 0, 0, 0},
	{O_EXCLFILE, 0, "excludefile", CLI_A_FILE, "FILE", "targets to leave out", NULL, 0, 0, 0},
	{O_NORESOLVE, 'n', NULL, CLI_A_NONE, NULL, "never resolve addresses to names (portsec never does)", NULL, 0, 0,
	 0},
	{O_NORESOLVE, 'R', NULL, CLI_A_NONE, NULL, "accepted for nmap habits", NULL, 0, 0, CLI_F_HIDDEN},
	{O_V6, '6', NULL, CLI_A_NONE, NULL, "resolve names to IPv6 addresses", NULL, 0, 0, 0},
	{O_BCAST, 0, "allow-broadcast", CLI_A_NONE, NULL, "allow multicast/broadcast targets (refused by default)",
	 NULL, 0, 0, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Timing", NULL, 0, 0, 0},
	{O_TIMING, 'T', NULL, CLI_A_UINT, "0-5", "timing template, -T0 .. -T5 (default -T4)", NULL, 0, 5, 0},
	{O_RETRIES, 0, "max-retries", CLI_A_UINT, "N", "retransmissions of an unanswered probe", NULL, 0, 50, 0},
	{O_MINRATE, 0, "min-rate", CLI_A_RATE, "N", "never adapt below N probes/s", NULL, 0, 0, 0},
	{O_MAXRATE, 0, "max-rate", CLI_A_RATE, "N", "the rate cap (default 100000 probes/s; raise it deliberately)",
	 NULL, 0, 0, 0},
	{O_HOSTTO, 0, "host-timeout", CLI_A_TIME, "T",
	 "stop probing after T (30s, 5m, 1h; ms/s/m/h): hosts are\nscanned together, so this bounds the whole scan; hosts\n"
	 "left unfinished are marked timed out with what was found",
	 NULL, 0, 0, 0},
	{O_MINRTT, 0, "min-rtt-timeout", CLI_A_TIME, "T", "the shortest probe timeout", NULL, 0, 0, 0},
	{O_MAXRTT, 0, "max-rtt-timeout", CLI_A_TIME, "T", "the longest probe timeout", NULL, 0, 0, 0},
	{O_INITRTT, 0, "initial-rtt-timeout", CLI_A_TIME, "T", "the first probe timeout", NULL, 0, 0, 0},
	{O_UDPBUDGET, 0, "udp-budget", CLI_A_TIME, "T",
	 "bound the UDP phase that waits out the target's ICMP rate\nlimit (default: until every port is told apart)", NULL,
	 0, 0, 0},
	{O_SEED, 0, "seed", CLI_A_UINT, "N", "permutation and cookie key (the same on every shard)", NULL, 0, UINT64_MAX,
	 0},
	{O_SHARD, 0, "shard", CLI_A_STR, "K/N", "scan only the K-th of N equal parts (needs --seed)", NULL, 0, 0, 0},
	{O_SPORT, 'g', "source-port", CLI_A_UINT, "P", "the source port of probes", NULL, 1, 65535, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Output", NULL, 0, 0, 0},
	{O_ON, 0, "oN", CLI_A_FILE, "FILE", "normal output to FILE (- = stdout)", NULL, 0, 0, D1},
	{O_OX, 0, "oX", CLI_A_FILE, "FILE", "nmap XML", NULL, 0, 0, D1},
	{O_OG, 0, "oG", CLI_A_FILE, "FILE", "grepable", NULL, 0, 0, D1},
	{O_OJ, 0, "oJ", CLI_A_FILE, "FILE", "JSON Lines", NULL, 0, 0, D1},
	{O_OA, 0, "oA", CLI_A_FILE, "BASE", "BASE.nmap, BASE.xml, BASE.gnmap", NULL, 0, 0, D1},
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "the JSON document on stdout (instead of the normal text)", NULL, 0, 0,
	 0},
	{O_OPEN, 0, "open", CLI_A_NONE, NULL, "only open (and open|filtered) ports", NULL, 0, 0, 0},
	{O_REASON, 0, "reason", CLI_A_NONE, NULL, "a REASON column", NULL, 0, 0, 0},
	{O_ALL, 0, "all", CLI_A_NONE, NULL, "no \"Not shown\" folding: every port", NULL, 0, 0, 0},
	{CLI_O_VERBOSE, 'v', NULL, CLI_A_NONE, NULL, "probe statistics", NULL, 0, 0, 0},
	{O_STATS, 0, "stats-every", CLI_A_TIME, "T", "progress lines on stderr every T (on a TTY: a live line)", NULL, 0,
	 0, 0},
	{O_NOOWNERS, 0, "no-owners", CLI_A_NONE, NULL, "do not look up which local process owns an open port", NULL, 0,
	 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};
#undef D1

const struct cli_spec cli_scan_spec = {
	.name = "scan",
	.usage = "[OPTIONS] TARGET...",
	.summary = "which ports of which hosts answer, as nmap reports them (SYN, connect, UDP)",
	.description = "The outside view: which ports of which hosts answer, as nmap reports them.\n"
		       "TARGET: 198.18.0.1, 198.18.0.0/16, 198.18.1-3.1-254, 198.18.*.1,\n"
		       "2001:db8::1, 2001:db8::/120, or a host name.",
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_COLOR | CLI_C_VERBOSE,
	.footer = "Exit 0 when the scan ran, 2 for bad input, 3 on a runtime error or when\n"
		  "interrupted (Ctrl-C, SIGTERM: what was found is still written), 4 when -sS\n"
		  "was asked for without CAP_NET_RAW.",
	.dash1 = true,
	.fn = cmd_scan,
};

static volatile sig_atomic_t g_stop;
static void on_sig(int s)
{
	(void)s;
	g_stop = 1;
}

struct tgt_ctx {
	const struct cli *c;
	bool v6;
	bool allow_special;
	unsigned skipped_special;
};

static int add_token(struct tgt_ctx *x, struct ps_targets *t, const char *tok, bool exclude)
{
	struct ps_target_spec s;
	int rc = ps_target_spec_parse(tok, &s);
	if (rc == PS_ERR_RANGE && !strchr(tok, '/') && !strchr(tok, ':'))
		return cli_usage(x->c, "bad target '%s': an IPv4 octet is out of range (0-255)", tok);
	if (rc == PS_ERR_RANGE)
		return cli_usage(x->c, "target '%s' is too large (IPv4 /8 or longer, IPv6 /104 or longer)", tok);
	if (rc != PS_OK)
		return cli_usage(x->c, "bad target '%s'", tok);
	if (s.kind == PS_TGT_NAME) {
		struct addrinfo hints = {.ai_family = x->v6 ? AF_INET6 : AF_INET, .ai_socktype = SOCK_STREAM};
		struct addrinfo *ai = NULL;
		int e = getaddrinfo(tok, NULL, &hints, &ai);
		if (e != 0 || !ai)
			return cli_usage(x->c, "cannot resolve target '%s' (%s)", tok, gai_strerror(e));
		const uint8_t *a = ai->ai_family == AF_INET
					   ? (const uint8_t *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
					   : (const uint8_t *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		rc = ps_targets_add(t, ai->ai_family, a);
		freeaddrinfo(ai);
		return rc == PS_OK ? 0 : cli_usage(x->c, "too many targets (limit %u)", PS_SCAN_MAX_HOSTS);
	}
	size_t before = t->n;
	rc = ps_targets_add_spec(t, &s);
	if (rc != PS_OK)
		return cli_usage(x->c, "too many targets at '%s' (limit %u hosts per scan)", tok, PS_SCAN_MAX_HOSTS);
	if (exclude || x->allow_special)
		return 0;
	/* multicast / broadcast / unspecified: refuse a single one, drop them from ranges */
	size_t w = before;
	for (size_t i = before; i < t->n; i++) {
		const char *what;
		if (ps_addr_is_special(t->a[i].family, t->a[i].addr, &what)) {
			if (t->n - before == 1)
				return cli_usage(x->c, "target '%s' is a %s address (--allow-broadcast to scan it)", tok, what);
			x->skipped_special++;
			continue;
		}
		t->a[w++] = t->a[i];
	}
	t->n = w;
	return 0;
}

/* subnet broadcast addresses of this namespace's interfaces */
static void drop_iface_broadcasts(struct tgt_ctx *x, struct ps_targets *t, bool single_is_error, int *err)
{
	struct ifaddrs *ifa = NULL;
	*err = 0;
	if (x->allow_special || getifaddrs(&ifa) != 0)
		return;
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		bool bc = false;
		for (struct ifaddrs *f = ifa; f && !bc; f = f->ifa_next)
			if (f->ifa_broadaddr && (f->ifa_flags & 0x2 /* IFF_BROADCAST */) && f->ifa_addr &&
			    f->ifa_addr->sa_family == AF_INET && t->a[i].family == AF_INET &&
			    /* without "brd" the kernel reports the address itself */
			    memcmp(&((struct sockaddr_in *)(void *)f->ifa_broadaddr)->sin_addr,
				   &((struct sockaddr_in *)(void *)f->ifa_addr)->sin_addr, 4) != 0 &&
			    memcmp(&((struct sockaddr_in *)(void *)f->ifa_broadaddr)->sin_addr, t->a[i].addr, 4) == 0)
				bc = true;
		if (bc) {
			if (single_is_error && t->n == 1) {
				*err = 1;
				break;
			}
			x->skipped_special++;
			continue;
		}
		t->a[w++] = t->a[i];
	}
	if (!*err)
		t->n = w;
	freeifaddrs(ifa);
}

static int read_list(struct tgt_ctx *x, struct ps_targets *t, const char *path, bool exclude)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f)
		return cli_usage(x->c, "cannot read target file '%s' (%s)", path, strerror(errno));
	/* a directory opens, then reads as nothing: refuse it rather than scan
	 * (or exclude) nothing silently */
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (f != stdin)
			fclose(f);
		return cli_usage(x->c, "target file '%s' is a directory", path);
	}
	char line[1024];
	int rc = 0;
	unsigned lines = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		if (++lines > 10000000) {
			rc = cli_usage(x->c, "target file '%s' is too long", path);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		for (char *sv, *tok = strtok_r(line, " \t\r\n,", &sv); tok && !rc; tok = strtok_r(NULL, " \t\r\n,", &sv))
			rc = add_token(x, t, tok, exclude);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

static size_t svc_lookup(void *ctx, const char *name, unsigned proto, uint16_t *ports, size_t max)
{
	/* nmap-services has one entry a port and protocol: 2 x 65536 at most */
	enum { MAXRES = 2 * 65536 };
	const struct ps_service **res = malloc(MAXRES * sizeof *res);
	if (!res)
		return 0;
	size_t n = ps_svcdb_by_name(ctx, name, res, MAXRES), k = 0;
	for (size_t i = 0; i < n && k < max; i++)
		if (res[i]->protos & proto)
			ports[k++] = res[i]->port;
	free(res);
	return k;
}

struct prog {
	bool tty;
	bool lines;
};

static void on_progress(void *ctx, const struct ps_scan_progress *p)
{
	struct prog *pg = ctx;
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;
	unsigned el = (unsigned)(p->elapsed_ms / 1000);
	char eta[32] = "?";
	if (p->eta_ms >= 0) {
		unsigned e = (unsigned)(p->eta_ms / 1000);
		snprintf(eta, sizeof eta, "%u:%02u:%02u", e / 3600, e / 60 % 60, e % 60);
	}
	char line[200];
	snprintf(line, sizeof line, "Stats: %u:%02u:%02u elapsed; %s: %.1f%% done (%llu/%llu), %.0f probes/s, ETC %s remaining, %llu open",
		 el / 3600, el / 60 % 60, el % 60, p->phase, pct, (unsigned long long)p->done,
		 (unsigned long long)p->total, p->rate, eta, (unsigned long long)p->found_open);
	if (pg->tty && !pg->lines)
		fprintf(stderr, "\r\033[K%s", line);
	else
		fprintf(stderr, "%s\n", line);
}

static int write_file(const struct cli *c, const char *path, const char *fmt, const struct ps_scan_result *r,
		      const struct ps_svcdb *db, const struct ps_scan_meta *m)
{
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_out_opts oo = {0};
	ps_out_emit(&b, PS_VIEW_SCAN, fmt, &(struct ps_out_doc){.scan = r, .db = db, .meta = m}, &oo);
	if (b.err) {
		ps_buf_free(&b);
		return cli_fail(c, EXIT_RUNTIME, "out of memory formatting %s output", fmt);
	}
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
	if (!f) {
		ps_buf_free(&b);
		return cli_fail(c, EXIT_RUNTIME, "cannot write '%s' (%s)", path, strerror(errno));
	}
	size_t wr = fwrite(b.data, 1, b.len, f);
	int bad = wr != b.len;
	if (f != stdout)
		bad |= fclose(f) != 0;
	else
		bad |= fflush(f) != 0;
	ps_buf_free(&b);
	return bad ? cli_fail(c, EXIT_RUNTIME, "writing '%s' failed", path) : EXIT_OK;
}

struct scan_args {
	struct ps_scan_opts o;
	struct tgt_ctx tx;
	const char *port_spec, *excl, *exclfile, *servicedb, *excl_ports;
	const char *out[5]; /* -oN -oX -oG -oJ -oA */
	const char *inlists[16];
	unsigned ninlists;
	long top;
	bool json, open_only, reason, verbose, want_syn, want_connect, no_owners, all, fast;
	int tlevel;
	uint64_t stats_every, udp_budget, min_rtt, max_rtt, init_rtt, host_timeout;
	bool have_max_retries, have_ht;
	unsigned max_retries;
	double min_rate, max_rate;
	const char *pos[256];
	unsigned npos;
};

static int parse_shard(struct cli *c, const char *v, struct ps_scan_opts *o)
{
	const char *sl = strchr(v, '/');
	uint64_t k, n;
	char kb[24];
	if (!sl || (size_t)(sl - v) >= sizeof kb)
		return cli_usage(c, "bad --shard '%s' (K/N, e.g. 2/4)", v);
	memcpy(kb, v, (size_t)(sl - v));
	kb[sl - v] = 0;
	if (ps_parse_uint(kb, 1, 65535, &k) != PS_OK || ps_parse_uint(sl + 1, 1, 65535, &n) != PS_OK || k > n)
		return cli_usage(c, "bad --shard '%s' (K/N with 1 <= K <= N)", v);
	o->shard_k = (unsigned)k, o->shard_n = (unsigned)n;
	return EXIT_OK;
}

/* one option with its value; EXIT_OK or an exit code */
static int scan_opt(struct cli *c, int id, const struct cli_args *a, struct scan_args *s)
{
	uint64_t ms = a->num ? a->num : 1; /* a zero time means "as short as can be" */
	switch (id) {
	case O_SYN: s->want_syn = true; break;
	case O_CONNECT: s->want_connect = true; break;
	case O_UDP: s->o.udp = true; break;
	case O_VERSIONS: s->o.versions = true; break;
	case O_PING: s->o.ping_only = true; break;
	case O_NOPING: s->o.no_ping = true; break;
	case O_PORTS: s->port_spec = a->val[0] == '-' && !a->val[1] ? "1-65535" : a->val; break;
	case O_TOP: s->top = (long)a->num; break;
	case O_FAST: s->fast = true; break;
	case O_SERVICEDB: s->servicedb = a->val; break;
	case O_EXCLPORTS: s->excl_ports = a->val; break;
	case O_IL:
		if (s->ninlists == 16)
			return cli_usage(c, "too many -iL files");
		s->inlists[s->ninlists++] = a->val;
		break;
	case O_EXCL: s->excl = a->val; break;
	case O_EXCLFILE: s->exclfile = a->val; break;
	case O_NORESOLVE: break; /* portsec never resolves addresses to names */
	case O_V6: s->tx.v6 = true; break;
	case O_BCAST: s->tx.allow_special = true; break;
	case O_TIMING: s->tlevel = (int)a->num; break;
	case O_RETRIES: s->max_retries = (unsigned)a->num, s->have_max_retries = true; break;
	case O_MINRATE: s->min_rate = a->dnum; break;
	case O_MAXRATE: s->max_rate = a->dnum; break;
	case O_HOSTTO: s->host_timeout = a->num, s->have_ht = true; break;
	case O_MINRTT: s->min_rtt = ms; break;
	case O_MAXRTT: s->max_rtt = ms; break;
	case O_INITRTT: s->init_rtt = ms; break;
	case O_UDPBUDGET: s->udp_budget = ms; break;
	case O_STATS: s->stats_every = ms; break;
	case O_SEED: s->o.seed = a->num, s->o.seed_given = true; break;
	case O_SHARD: return parse_shard(c, a->val, &s->o);
	case O_SPORT: s->o.source_port = (uint16_t)a->num; break;
	case O_ON:
	case O_OX:
	case O_OG:
	case O_OJ:
	case O_OA: s->out[id - O_ON] = a->val; break;
	case CLI_O_JSON: s->json = true; break;
	case O_OPEN: s->open_only = true; break;
	case O_REASON: s->reason = true; break;
	case O_ALL: s->all = true; break;
	case CLI_O_VERBOSE: s->verbose = true; break;
	case O_NOOWNERS: s->no_owners = true; break;
	case CLI_POS:
		if (s->npos == 256)
			return cli_usage(c, "too many targets on the command line (use -iL)");
		s->pos[s->npos++] = a->val;
		break;
	}
	return EXIT_OK;
}

/* returns EXIT_OK, an exit code, or -1 after --help */
static int scan_parse(struct cli *c, int argc, char **argv, struct scan_args *s)
{
	struct cli_args a;
	cli_args_init(&a, c, &cli_scan_spec, argc, argv);
	s->top = -1;
	s->tlevel = 4;
	s->tx.c = c;
	int id, rc = EXIT_OK;
	while (rc == EXIT_OK && (id = cli_next(&a)) != CLI_END)
		rc = scan_opt(c, id, &a, s);
	if (rc != EXIT_OK)
		return rc;
	if (a.rc || a.done)
		return a.done ? -1 : a.rc;
	if (s->fast && s->top < 0)
		s->top = 100;
	if (s->want_syn && s->want_connect)
		return cli_usage(c, "-sS and -sT exclude each other");
	if (s->o.shard_n > 1 && !s->o.seed_given)
		return cli_usage(c, "--shard needs --seed (every shard must walk the same permutation)");
	if (s->o.ping_only && (s->port_spec || s->top > 0))
		return cli_usage(c, "-sn scans no ports: drop -p/--top-ports");
	return EXIT_OK;
}

static int scan_targets(struct cli *c, struct scan_args *s, struct ps_targets *tg, struct ps_targets *ex)
{
	int rc = EXIT_OK;
	for (unsigned i = 0; i < s->npos && !rc; i++)
		rc = add_token(&s->tx, tg, s->pos[i], false);
	for (unsigned i = 0; i < s->ninlists && !rc; i++)
		rc = read_list(&s->tx, tg, s->inlists[i], false);
	if (!rc && s->excl) {
		char *dup = strdup(s->excl);
		if (!dup)
			return cli_fail(c, EXIT_RUNTIME, "out of memory");
		for (char *sv, *tok = strtok_r(dup, ",", &sv); tok && !rc; tok = strtok_r(NULL, ",", &sv))
			rc = add_token(&s->tx, ex, tok, true);
		free(dup);
	}
	if (!rc && s->exclfile)
		rc = read_list(&s->tx, ex, s->exclfile, true);
	if (rc)
		return rc;
	if (tg->n == 0)
		return cli_usage(c, "no targets given (see `portsec scan --help`)");
	ps_targets_finish(ex, NULL);
	size_t excluded = ps_targets_finish(tg, ex);
	int berr;
	drop_iface_broadcasts(&s->tx, tg, true, &berr);
	if (berr)
		return cli_usage(c, "target is the broadcast address of a local interface (--allow-broadcast to scan it)");
	if (s->tx.skipped_special)
		fprintf(stderr, "portsec scan: left out %u multicast/broadcast/unspecified address%s (--allow-broadcast to include)\n",
			s->tx.skipped_special, s->tx.skipped_special == 1 ? "" : "es");
	if (tg->n == 0)
		return cli_usage(c, "every target was excluded%s", excluded ? "" : " (multicast/broadcast)");
	return EXIT_OK;
}

/* scan types (SYN with raw sockets, else connect, said plainly) and ports */
static int scan_ports(struct cli *c, struct scan_args *s, const struct ps_svcdb *db, unsigned protos,
		      const struct ps_scan_ports *x);

static int scan_types_ports(struct cli *c, struct scan_args *s, struct ps_svcdb *db, size_t nhosts)
{
	struct ps_scan_opts *o = &s->o;
	bool raw = ps_scan_can_raw();
	if (s->want_syn && !raw)
		return cli_fail(c, EXIT_PRIV, "-sS needs raw sockets (root or CAP_NET_RAW); -sT works without");
	if (o->ping_only)
		return EXIT_OK;
	if (s->want_syn)
		o->syn = true;
	else if (s->want_connect)
		o->connect = true;
	else if (!o->udp) {
		o->syn = raw;
		o->connect = !raw;
		if (!raw)
			fprintf(stderr, "portsec scan: no raw sockets (not root, no CAP_NET_RAW): TCP connect scan (-sT)\n");
	}
	unsigned protos = ((o->syn || o->connect) ? PS_P_TCP : 0) | (o->udp ? PS_P_UDP : 0);
	char err[200];
	struct ps_scan_ports x = {0};
	if (s->excl_ports && ps_scan_ports_parse(s->excl_ports, PS_P_TCP | PS_P_UDP, svc_lookup, db, &x, err, sizeof err) != PS_OK)
		return cli_usage(c, "--exclude-ports: %s", err);
	int rc = scan_ports(c, s, db, protos, &x);
	ps_scan_ports_free(&x);
	if (rc != EXIT_OK)
		return rc;
	if (!o->ports.ntcp && !o->ports.nudp)
		return cli_usage(c, "no ports to scan for the scan types asked");
	size_t np = o->ports.ntcp > o->ports.nudp ? o->ports.ntcp : o->ports.nudp;
	if ((uint64_t)nhosts * np > PS_SCAN_MAX_PROBES)
		return cli_usage(c, "%zu hosts x %zu ports is more than %llu probes for one run: split it with --shard",
				 nhosts, np, (unsigned long long)PS_SCAN_MAX_PROBES);
	return EXIT_OK;
}

static bool has_port(const struct ps_scan_ports *x, unsigned bit, uint16_t port)
{
	const uint16_t *v = bit == PS_P_UDP ? x->udp : x->tcp;
	size_t lo = 0, hi = bit == PS_P_UDP ? x->nudp : x->ntcp;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] == port)
			return true;
		if (v[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* -p, or the top N (as nmap: the N most frequent of the ports not excluded) */
static int scan_ports(struct cli *c, struct scan_args *s, const struct ps_svcdb *db, unsigned protos,
		      const struct ps_scan_ports *x)
{
	struct ps_scan_opts *o = &s->o;
	char err[200];
	if (s->port_spec) {
		if (ps_scan_ports_parse(s->port_spec, protos, svc_lookup, (void *)db, &o->ports, err, sizeof err) != PS_OK)
			return cli_usage(c, "%s", err);
		/* T:/U: items for a protocol that is not being scanned are dropped, as nmap does */
		if (!(protos & PS_P_TCP))
			o->ports.ntcp = 0;
		if (!(protos & PS_P_UDP))
			o->ports.nudp = 0;
		ps_scan_ports_subtract(&o->ports, x);
		return EXIT_OK;
	}
	size_t n = s->top > 0 ? (size_t)s->top : 1000;
	uint16_t *rank = malloc(65536 * sizeof *rank);
	if (!rank)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1) {
		if (!(protos & bit))
			continue;
		size_t k;
		if (ps_svcdb_is_nmap(db)) {
			k = ps_svcdb_ranked(db, bit, rank, 65536);
		} else { /* the ranking built in from nmap 7.93's file */
			const uint16_t *b = ps_top_ports(bit, &k);
			memcpy(rank, b, k * sizeof *rank);
		}
		for (size_t i = 0, took = 0; i < k && took < n; i++) {
			if (has_port(x, bit, rank[i]))
				continue;
			if (ps_scan_ports_add(&o->ports, bit, rank[i]) != PS_OK) {
				free(rank);
				return cli_fail(c, EXIT_RUNTIME, "out of memory");
			}
			took++;
		}
	}
	free(rank);
	ps_scan_ports_finish(&o->ports);
	return EXIT_OK;
}

static uint32_t ms_to_us(uint64_t ms)
{
	return (uint32_t)(ms * 1000 > 4000000000ull ? 4000000000ull : ms * 1000);
}

static int scan_timing(struct cli *c, struct scan_args *s)
{
	struct ps_timing *t = &s->o.timing;
	ps_timing_template(s->tlevel, t);
	if (s->have_max_retries)
		t->max_retries = s->max_retries, t->retries_fixed = true;
	if (s->max_rate > 0)
		t->max_rate = s->max_rate;
	if (s->min_rate > 0) {
		t->min_rate = s->min_rate;
		if (t->max_rate < s->min_rate)
			t->max_rate = s->min_rate;
	}
	if (s->max_rate > 0 && s->min_rate > s->max_rate)
		return cli_usage(c, "--min-rate is above --max-rate");
	if (s->have_ht)
		t->host_timeout_ms = s->host_timeout;
	if (s->min_rtt)
		t->min_rtt_us = ms_to_us(s->min_rtt);
	if (s->max_rtt)
		t->max_rtt_us = ms_to_us(s->max_rtt);
	if (s->init_rtt)
		t->initial_rtt_us = ms_to_us(s->init_rtt);
	if (t->min_rtt_us > t->max_rtt_us)
		return cli_usage(c, "--min-rtt-timeout is above --max-rtt-timeout");
	s->o.udp_budget_ms = s->udp_budget;
	s->o.all_ports_listed = s->all;
	return EXIT_OK;
}

/* owners from the inside view, for hosts that live on this machine (this
 * namespace, or as root any other namespace of it) */
static void attach_owners(struct ps_scan_result *r)
{
	bool any_open = false;
	for (size_t h = 0; h < r->nhosts && !any_open; h++)
		for (size_t i = 0; i < r->hosts[h].nports && !any_open; i++)
			any_open = r->hosts[h].ports[i].state == PS_PST_OPEN;
	if (!any_open)
		return;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.owners = true;
	io.states = 1u << PS_ST_LISTEN | 1u << PS_ST_CLOSE;
	io.ns_mode = geteuid() == 0 ? PS_NS_ALL : PS_NS_CURRENT;
	struct ps_inventory *inv = NULL;
	if (ps_inventory_collect(&io, &inv) == PS_OK && inv)
		ps_scan_attach_owners(r, inv);
	ps_inventory_free(inv);
}

/* progress, Ctrl-C, the run itself */
static int scan_execute(struct cli *c, struct scan_args *s, struct ps_targets *tg, struct ps_scan_result **r)
{
	struct prog pg = {.tty = isatty(STDERR_FILENO), .lines = s->stats_every > 0};
	if (pg.tty || s->stats_every) {
		s->o.progress = on_progress;
		s->o.progress_ctx = &pg;
		s->o.progress_every_ms = s->stats_every ? (double)s->stats_every : 1000;
	}
	struct sigaction sa = {.sa_handler = on_sig, .sa_flags = SA_RESETHAND};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s->o.stop = &g_stop;
	s->o.targets = tg;
	int src = ps_scan_run(&s->o, r);
	if (pg.tty && !pg.lines && s->o.progress)
		fprintf(stderr, "\r\033[K");
	if (src == PS_ERR_PERM)
		return cli_fail(c, EXIT_PRIV, "raw sockets not permitted (root or CAP_NET_RAW needed for -sS)");
	if (src != PS_OK)
		return cli_fail(c, src == PS_ERR_RANGE || src == PS_ERR_INVAL ? EXIT_USAGE : EXIT_RUNTIME, "scan failed: %s%s%s",
				ps_strerror(src), src == PS_ERR_SYS ? ": " : "", src == PS_ERR_SYS ? strerror(errno) : "");
	ps_scan_mark_local(*r);
	if (!s->no_owners)
		attach_owners(*r);
	return EXIT_OK;
}

/* every -o file, then stdout unless a file took it */
static int scan_write(struct cli *c, const struct scan_args *s, int argc, char **argv, const struct ps_scan_result *r,
		      const struct ps_svcdb *db)
{
	/* the command line, for XML args and the grepable header */
	char args[1024];
	size_t w = (size_t)snprintf(args, sizeof args, "portsec scan");
	for (int i = 1; i < argc && w < sizeof args - 1; i++)
		w += (size_t)snprintf(args + w, sizeof args - w, " %s", argv[i]);
	struct ps_scan_meta m = {.version = ps_version(), .args = args, .reason = s->reason, .open_only = s->open_only,
				 .all = s->all, .versions = s->o.versions, .stats = s->verbose};
	if (g_stop)
		fprintf(stderr, "portsec scan: interrupted; writing what was found\n");
	static const char *const fmt[4] = {"normal", "xml", "grepable", "jsonl"};
	static const int order[4] = {1, 2, 3, 0}; /* XML first, as before: the file a crash must not lose */
	bool stdout_taken = false;
	int rc = EXIT_OK;
	for (int k = 0; k < 4 && !rc; k++) {
		const char *path = s->out[order[k]];
		if (!path)
			continue;
		stdout_taken |= path[0] == '-' && !path[1];
		rc = write_file(c, path, fmt[order[k]], r, db, &m);
	}
	if (s->out[4]) {
		char p[4096];
		static const char *const ext[3][2] = {{".nmap", "normal"}, {".xml", "xml"}, {".gnmap", "grepable"}};
		for (int k = 0; k < 3 && !rc; k++) {
			snprintf(p, sizeof p, "%s%s", s->out[4], ext[k][0]);
			rc = write_file(c, p, ext[k][1], r, db, &m);
		}
	}
	if (rc)
		return rc;
	if (!stdout_taken) {
		struct ps_buf b;
		cli_buf_stdout(&b);
		struct ps_out_opts oo = {.color = c->color};
		ps_out_emit(&b, PS_VIEW_SCAN, s->json ? "json" : "normal", &(struct ps_out_doc){.scan = r, .db = db, .meta = &m},
			    &oo);
		rc = cli_finish_stdout(c, &b);
	}
	/* interrupted: what was found is written, but the scan did not finish */
	if (rc == EXIT_OK && r->stats.interrupted)
		rc = EXIT_RUNTIME;
	return rc;
}

/* nmap's names and ranking where nmap is installed; said when not */
static int scan_servicedb(struct cli *c, const struct scan_args *s, struct ps_svcdb **db)
{
	int r = ps_svcdb_open_nmap(s->servicedb, db);
	if (r == PS_ERR_NOMEM || !*db)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	const char *why = r == PS_ERR_NOTFOUND ? "cannot read it" : "no nmap-services lines in it";
	if (r != PS_OK && s->servicedb)
		return cli_usage(c, "--servicedb %s: %s", s->servicedb, why);
	if (r != PS_OK)
		fprintf(stderr, "portsec scan: %s: %s; port names and --top-ports from the %s\n", PS_NMAP_SERVICES, why,
			ps_svcdb_source(*db));
	else if (s->verbose)
		fprintf(stderr, "portsec scan: port names and --top-ports from %s\n", ps_svcdb_source(*db));
	return EXIT_OK;
}

int cmd_scan(struct cli *c, int argc, char **argv)
{
	struct scan_args *s = calloc(1, sizeof *s);
	if (!s)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	ps_scan_opts_init(&s->o);
	struct ps_targets tg = {0}, ex = {0};
	struct ps_svcdb *db = NULL;
	struct ps_scan_result *r = NULL;
	int rc = scan_parse(c, argc, argv, s);
	if (rc == EXIT_OK)
		rc = scan_servicedb(c, s, &db);
	if (rc == EXIT_OK)
		rc = scan_targets(c, s, &tg, &ex);
	if (rc == EXIT_OK)
		rc = scan_types_ports(c, s, db, tg.n);
	if (rc == EXIT_OK)
		rc = scan_timing(c, s);
	if (rc == EXIT_OK)
		rc = scan_execute(c, s, &tg, &r);
	if (rc == EXIT_OK)
		rc = scan_write(c, s, argc, argv, r, db);
	ps_scan_result_free(r);
	ps_targets_free(&tg);
	ps_targets_free(&ex);
	ps_scan_ports_free(&s->o.ports);
	ps_svcdb_free(db);
	free(s);
	return rc < 0 ? EXIT_OK : rc;
}
