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

static const char help[] =
	"usage: portsec scan [OPTIONS] TARGET...\n"
	"\n"
	"The outside view: which ports of which hosts answer, as nmap reports them.\n"
	"TARGET: 198.18.0.1, 198.18.0.0/16, 198.18.1-3.1-254, 198.18.*.1,\n"
	"2001:db8::1, 2001:db8::/120, or a host name.\n"
	"\n"
	"Scan types:\n"
	"  -sS                 TCP SYN (raw sockets; the default with CAP_NET_RAW)\n"
	"  -sT                 TCP connect() (no privilege; the default without it)\n"
	"  -sU                 UDP with protocol payloads (may be combined with -sS/-sT)\n"
	"  -sV                 read banners of open TCP ports (SSH, SMTP, FTP, POP3, IMAP, HTTP)\n"
	"  -sn                 host discovery only\n"
	"  -Pn                 no host discovery: every target is up\n"
	"Ports:\n"
	"  -p SPEC             22,80,1000-2000  -p-  U:53,T:80,443  http (names)\n"
	"  --top-ports N       the N most often open ports (nmap-services ranking)\n"
	"  -F                  --top-ports 100\n"
	"  (default: --top-ports 1000)\n"
	"Targets:\n"
	"  -iL FILE            targets from FILE (- = stdin)\n"
	"  --exclude LIST      comma-separated targets to leave out\n"
	"  --excludefile FILE  targets to leave out\n"
	"  -n                  never resolve addresses to names (portsec never does)\n"
	"  -6                  resolve names to IPv6 addresses\n"
	"  --allow-broadcast   allow multicast/broadcast targets (refused by default)\n"
	"Timing:\n"
	"  -T0..-T5            templates (default -T4)\n"
	"  --max-retries N     retransmissions of an unanswered probe\n"
	"  --min-rate N        never adapt below N probes/s\n"
	"  --max-rate N        the rate cap (default 100000 probes/s; raise it deliberately)\n"
	"  --host-timeout T    stop probing after T (30s, 5m, 1h; ms/s/m/h): hosts are\n"
	"                      scanned together, so this bounds the whole scan; hosts\n"
	"                      left unfinished are marked timed out with what was found\n"
	"  --min-rtt-timeout T, --max-rtt-timeout T, --initial-rtt-timeout T\n"
	"  --udp-budget T      bound the UDP phase that waits out the target's ICMP rate\n"
	"                      limit (default: until every port is told apart)\n"
	"  --seed N            permutation and cookie key (the same on every shard)\n"
	"  --shard K/N         scan only the K-th of N equal parts (needs --seed)\n"
	"  -g, --source-port P the source port of probes\n"
	"Output:\n"
	"  -oN FILE  -oX FILE  -oG FILE  -oJ FILE   normal, nmap XML, grepable, JSON Lines\n"
	"  -oA BASE            BASE.nmap, BASE.xml, BASE.gnmap\n"
	"  --json              the JSON document on stdout (instead of the normal text)\n"
	"  --open              only open (and open|filtered) ports\n"
	"  --reason            a REASON column\n"
	"  --all               no \"Not shown\" folding: every port\n"
	"  -v                  probe statistics\n"
	"  --stats-every T     progress lines on stderr every T (on a TTY: a live line)\n"
	"  --no-owners         do not look up which local process owns an open port\n"
	"\n"
	"Exit 0 when the scan ran, 2 for bad input, 3 on a runtime error or when\n"
	"interrupted (Ctrl-C, SIGTERM: what was found is still written), 4 when -sS\n"
	"was asked for without CAP_NET_RAW.\n";

static volatile sig_atomic_t g_stop;
static void on_sig(int s)
{
	(void)s;
	g_stop = 1;
}

/* "30s", "500ms", "5m", "1h", "2" (seconds) -> ms */
static int parse_time_ms(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e9)
		return -1;
	double mul = 1000;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

static int parse_rate(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 1e8)
		return -1;
	*out = v;
	return 0;
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

static int svc_lookup(void *ctx, const char *name, unsigned proto, uint16_t *port)
{
	const struct ps_service *res[4];
	size_t n = ps_svcdb_by_name(ctx, name, res, 4);
	for (size_t i = 0; i < n; i++)
		if (res[i]->protos & proto) {
			*port = res[i]->port;
			return PS_OK;
		}
	return PS_ERR_NOTFOUND;
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
	ps_out_scan(&b, fmt, r, db, m);
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

int cmd_scan(struct cli *c, int argc, char **argv)
{
	struct ps_scan_opts o;
	ps_scan_opts_init(&o);
	struct ps_targets tg = {0}, ex = {0};
	struct tgt_ctx tx = {.c = c};
	const char *port_spec = NULL, *outN = NULL, *outX = NULL, *outG = NULL, *outJ = NULL, *outA = NULL;
	const char *excl = NULL, *exclfile = NULL;
	const char *inlists[16];
	unsigned ninlists = 0;
	long top = -1;
	bool json = false, open_only = false, reason = false, verbose = false, want_syn = false, want_connect = false;
	bool no_owners = false, all = false;
	int tlevel = 4;
	uint64_t host_timeout = 0, stats_every = 0, udp_budget = 0, min_rtt = 0, max_rtt = 0, init_rtt = 0;
	bool have_max_retries = false, have_ht = false;
	unsigned max_retries = 0;
	double min_rate = 0, max_rate = 0;
	const char *targets_pos[256];
	unsigned npos = 0;
	int rc = EXIT_OK;
	struct ps_svcdb *db = NULL;
	ps_svcdb_open(NULL, &db);

	/* options without a value */
	bool fast = false, ignored = false;
	struct flag {
		const char *name;
		bool *dst;
	};
	const struct flag flags[] = {
		{"-sS", &want_syn},
		{"-sT", &want_connect},
		{"-sU", &o.udp},
		{"-sV", &o.versions},
		{"-sn", &o.ping_only},
		{"-Pn", &o.no_ping},
		{"-6", &tx.v6},
		{"-F", &fast},
		{"--reason", &reason},
		{"--open", &open_only},
		{"-v", &verbose},
		{"--json", &json},
		{"--all", &all},
		{"--allow-broadcast", &tx.allow_special},
		{"--no-owners", &no_owners},
		{"-n", &ignored}, /* portsec never resolves addresses to names */
		{"-R", &ignored},
		{"--no-color", &ignored},
	};
	char namebuf[64], cut1[80], cut2[80];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool attached = false;
		/* --opt=value: as nmap, the value may be attached */
		const char *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
		if (eq && (size_t)(eq - a) < sizeof namebuf) {
			memcpy(namebuf, a, (size_t)(eq - a));
			namebuf[eq - a] = 0;
			a = namebuf;
			next = eq + 1;
			attached = true;
			if (!*next) {
				rc = cli_usage(c, "option '%s' needs a value", a);
				goto done;
			}
		}
#define NEED()                                                                                          \
	do {                                                                                            \
		if (!next) {                                                                            \
			rc = cli_usage(c, "option '%s' needs a value", a);                              \
			goto done;                                                                      \
		}                                                                                       \
		if (!attached && cli_looks_like_option(next)) {                                        \
			rc = cli_usage(c, "option '%s' needs a value ('%s' is an option, not a value)", a, \
				       cli_cut(next, cut2, sizeof cut2));                              \
			goto done;                                                                      \
		}                                                                                       \
		if (!attached)                                                                          \
			i++;                                                                            \
	} while (0)
		const struct flag *f = NULL;
		for (size_t k = 0; k < sizeof flags / sizeof flags[0] && !f; k++)
			if (strcmp(a, flags[k].name) == 0)
				f = &flags[k];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_print(help);
			goto done;
		} else if (f && attached) {
			rc = cli_usage(c, "option '%s' takes no value", a);
			goto done;
		} else if (f)
			*f->dst = true;
		else if (a[0] == '-' && a[1] == 'T' && a[2] >= '0' && a[2] <= '5' && !a[3])
			tlevel = a[2] - '0';
		else if (strcmp(a, "-p-") == 0)
			port_spec = "1-65535";
		else if (strcmp(a, "-p") == 0) {
			NEED();
			port_spec = strcmp(next, "-") == 0 ? "1-65535" : next;
		} else if (a[0] == '-' && a[1] == 'p' && a[2] && a[2] != '-')
			port_spec = a + 2;
		else if (strcmp(a, "--top-ports") == 0) {
			NEED();
			uint64_t v;
			if (ps_parse_uint(next, 1, 65535, &v) != PS_OK) {
				rc = cli_usage(c, "bad --top-ports '%s' (1..65535)", next);
				goto done;
			}
			top = (long)v;
		} else if (strcmp(a, "-oN") == 0 || strcmp(a, "-oX") == 0 || strcmp(a, "-oG") == 0 ||
			   strcmp(a, "-oJ") == 0 || strcmp(a, "-oA") == 0) {
			NEED();
			if (!*next) {
				rc = cli_usage(c, "empty file name for %s", a);
				goto done;
			}
			switch (a[2]) {
			case 'N': outN = next; break;
			case 'X': outX = next; break;
			case 'G': outG = next; break;
			case 'J': outJ = next; break;
			default: outA = next; break;
			}
		} else if (strcmp(a, "-iL") == 0) {
			NEED();
			if (ninlists == 16) {
				rc = cli_usage(c, "too many -iL files");
				goto done;
			}
			inlists[ninlists++] = next;
		} else if (strcmp(a, "--exclude") == 0) {
			NEED();
			excl = next;
		} else if (strcmp(a, "--excludefile") == 0) {
			NEED();
			exclfile = next;
		} else if (strcmp(a, "--max-retries") == 0) {
			NEED();
			uint64_t v;
			if (ps_parse_uint(next, 0, 50, &v) != PS_OK) {
				rc = cli_usage(c, "bad --max-retries '%s' (0..50)", next);
				goto done;
			}
			max_retries = (unsigned)v, have_max_retries = true;
		} else if (strcmp(a, "--min-rate") == 0 || strcmp(a, "--max-rate") == 0) {
			NEED();
			double v;
			if (parse_rate(next, &v) != 0) {
				rc = cli_usage(c, "bad %s '%s' (probes per second, > 0)", a, next);
				goto done;
			}
			if (a[3] == 'i')
				min_rate = v;
			else
				max_rate = v;
		} else if (strcmp(a, "--host-timeout") == 0 || strcmp(a, "--stats-every") == 0 ||
			   strcmp(a, "--udp-budget") == 0 || strcmp(a, "--min-rtt-timeout") == 0 ||
			   strcmp(a, "--max-rtt-timeout") == 0 || strcmp(a, "--initial-rtt-timeout") == 0) {
			NEED();
			uint64_t v;
			if (parse_time_ms(next, &v) != 0) {
				rc = cli_usage(c, "bad time '%s' for %s (e.g. 500ms, 30s, 5m)", next, a);
				goto done;
			}
			if (strcmp(a, "--host-timeout") == 0)
				host_timeout = v, have_ht = true;
			else if (strcmp(a, "--stats-every") == 0)
				stats_every = v ? v : 1;
			else if (strcmp(a, "--udp-budget") == 0)
				udp_budget = v ? v : 1;
			else if (strcmp(a, "--min-rtt-timeout") == 0)
				min_rtt = v ? v : 1;
			else if (strcmp(a, "--max-rtt-timeout") == 0)
				max_rtt = v ? v : 1;
			else
				init_rtt = v ? v : 1;
		} else if (strcmp(a, "--seed") == 0) {
			NEED();
			uint64_t v;
			if (ps_parse_uint(next, 0, UINT64_MAX, &v) != PS_OK) {
				rc = cli_usage(c, "bad --seed '%s' (a decimal number)", next);
				goto done;
			}
			o.seed = v, o.seed_given = true;
		} else if (strcmp(a, "--shard") == 0) {
			NEED();
			char *sl = strchr(next, '/');
			uint64_t k, n;
			char kb[24];
			if (!sl || (size_t)(sl - next) >= sizeof kb) {
				rc = cli_usage(c, "bad --shard '%s' (K/N, e.g. 2/4)", next);
				goto done;
			}
			memcpy(kb, next, (size_t)(sl - next));
			kb[sl - next] = 0;
			if (ps_parse_uint(kb, 1, 65535, &k) != PS_OK || ps_parse_uint(sl + 1, 1, 65535, &n) != PS_OK ||
			    k > n) {
				rc = cli_usage(c, "bad --shard '%s' (K/N with 1 <= K <= N)", next);
				goto done;
			}
			o.shard_k = (unsigned)k, o.shard_n = (unsigned)n;
		} else if (strcmp(a, "-g") == 0 || strcmp(a, "--source-port") == 0) {
			NEED();
			uint16_t v;
			if (ps_parse_port(next, &v) != PS_OK || v == 0) {
				rc = cli_usage(c, "bad source port '%s'", next);
				goto done;
			}
			o.source_port = v;
		} else if (attached) {
			rc = cli_usage(c, "option '%s' takes no value", a);
			goto done;
		} else if (a[0] == '-' && a[1]) {
			rc = cli_usage(c, "unknown option '%s' (see `portsec scan --help`)", cli_cut(a, cut1, sizeof cut1));
			goto done;
		} else {
			if (npos == 256) {
				rc = cli_usage(c, "too many targets on the command line (use -iL)");
				goto done;
			}
			targets_pos[npos++] = a;
		}
#undef NEED
	}
	if (fast && top < 0)
		top = 100;
	if (want_syn && want_connect) {
		rc = cli_usage(c, "-sS and -sT exclude each other");
		goto done;
	}
	if (o.shard_n > 1 && !o.seed_given) {
		rc = cli_usage(c, "--shard needs --seed (every shard must walk the same permutation)");
		goto done;
	}
	if (o.ping_only && (port_spec || top > 0)) {
		rc = cli_usage(c, "-sn scans no ports: drop -p/--top-ports");
		goto done;
	}
	/* targets */
	for (unsigned i = 0; i < npos && !rc; i++)
		rc = add_token(&tx, &tg, targets_pos[i], false);
	for (unsigned i = 0; i < ninlists && !rc; i++)
		rc = read_list(&tx, &tg, inlists[i], false);
	if (rc)
		goto done;
	if (excl) {
		char *dup = strdup(excl);
		for (char *sv, *tok = strtok_r(dup, ",", &sv); tok && !rc; tok = strtok_r(NULL, ",", &sv))
			rc = add_token(&tx, &ex, tok, true);
		free(dup);
		if (rc)
			goto done;
	}
	if (exclfile && (rc = read_list(&tx, &ex, exclfile, true)) != 0)
		goto done;
	if (tg.n == 0) {
		rc = cli_usage(c, "no targets given (see `portsec scan --help`)");
		goto done;
	}
	ps_targets_finish(&ex, NULL);
	size_t excluded = ps_targets_finish(&tg, &ex);
	int berr;
	drop_iface_broadcasts(&tx, &tg, true, &berr);
	if (berr) {
		rc = cli_usage(c, "target is the broadcast address of a local interface (--allow-broadcast to scan it)");
		goto done;
	}
	if (tx.skipped_special)
		fprintf(stderr, "portsec scan: left out %u multicast/broadcast/unspecified address%s (--allow-broadcast to include)\n",
			tx.skipped_special, tx.skipped_special == 1 ? "" : "es");
	if (tg.n == 0) {
		rc = cli_usage(c, "every target was excluded%s", excluded ? "" : " (multicast/broadcast)");
		goto done;
	}
	/* scan types: SYN with raw sockets, else connect (said plainly) */
	bool raw = ps_scan_can_raw();
	if (want_syn && !raw) {
		rc = cli_fail(c, EXIT_PRIV, "-sS needs raw sockets (root or CAP_NET_RAW); -sT works without");
		goto done;
	}
	if (!o.ping_only) {
		if (want_syn)
			o.syn = true;
		else if (want_connect)
			o.connect = true;
		else if (!o.udp) {
			o.syn = raw;
			o.connect = !raw;
			if (!raw)
				fprintf(stderr, "portsec scan: no raw sockets (not root, no CAP_NET_RAW): TCP connect scan (-sT)\n");
		}
	}
	/* ports */
	unsigned protos = ((o.syn || o.connect) ? PS_P_TCP : 0) | (o.udp ? PS_P_UDP : 0);
	if (!o.ping_only) {
		char err[200];
		if (port_spec) {
			int prc = ps_scan_ports_parse(port_spec, protos, svc_lookup, db, &o.ports, err, sizeof err);
			if (prc != PS_OK) {
				rc = cli_usage(c, "%s", err);
				goto done;
			}
			/* T:/U: items for a protocol that is not being scanned are dropped, as nmap does */
			if (!(protos & PS_P_TCP))
				o.ports.ntcp = 0;
			if (!(protos & PS_P_UDP))
				o.ports.nudp = 0;
		} else {
			size_t n = top > 0 ? (size_t)top : 1000;
			if (protos & PS_P_TCP)
				ps_scan_ports_top(PS_P_TCP, n, &o.ports);
			if (protos & PS_P_UDP)
				ps_scan_ports_top(PS_P_UDP, n, &o.ports);
		}
		if (!o.ports.ntcp && !o.ports.nudp) {
			rc = cli_usage(c, "no ports to scan for the scan types asked");
			goto done;
		}
		uint64_t probes = (uint64_t)tg.n * (o.ports.ntcp > o.ports.nudp ? o.ports.ntcp : o.ports.nudp);
		if (probes > PS_SCAN_MAX_PROBES) {
			rc = cli_usage(c, "%zu hosts x %zu ports is more than %llu probes for one run: split it with --shard",
				       tg.n, o.ports.ntcp > o.ports.nudp ? o.ports.ntcp : o.ports.nudp,
				       (unsigned long long)PS_SCAN_MAX_PROBES);
			goto done;
		}
	}
	/* timing */
	ps_timing_template(tlevel, &o.timing);
	if (have_max_retries)
		o.timing.max_retries = max_retries;
	if (max_rate > 0)
		o.timing.max_rate = max_rate;
	if (min_rate > 0) {
		o.timing.min_rate = min_rate;
		if (o.timing.max_rate < min_rate)
			o.timing.max_rate = min_rate;
	}
	if (max_rate > 0 && min_rate > max_rate) {
		rc = cli_usage(c, "--min-rate is above --max-rate");
		goto done;
	}
	if (have_ht)
		o.timing.host_timeout_ms = host_timeout;
	if (min_rtt)
		o.timing.min_rtt_us = (uint32_t)(min_rtt * 1000 > 4000000000ull ? 4000000000ull : min_rtt * 1000);
	if (max_rtt)
		o.timing.max_rtt_us = (uint32_t)(max_rtt * 1000 > 4000000000ull ? 4000000000ull : max_rtt * 1000);
	if (init_rtt)
		o.timing.initial_rtt_us = (uint32_t)(init_rtt * 1000 > 4000000000ull ? 4000000000ull : init_rtt * 1000);
	if (o.timing.min_rtt_us > o.timing.max_rtt_us) {
		rc = cli_usage(c, "--min-rtt-timeout is above --max-rtt-timeout");
		goto done;
	}
	o.udp_budget_ms = udp_budget;
	o.all_ports_listed = all;
	/* progress and Ctrl-C */
	struct prog pg = {.tty = isatty(STDERR_FILENO), .lines = stats_every > 0};
	if (pg.tty || stats_every) {
		o.progress = on_progress;
		o.progress_ctx = &pg;
		o.progress_every_ms = stats_every ? (double)stats_every : 1000;
	}
	struct sigaction sa = {.sa_handler = on_sig, .sa_flags = SA_RESETHAND};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o.stop = &g_stop;
	o.targets = &tg;

	struct ps_scan_result *r = NULL;
	int src = ps_scan_run(&o, &r);
	if (pg.tty && !pg.lines && o.progress)
		fprintf(stderr, "\r\033[K");
	if (src == PS_ERR_PERM) {
		rc = cli_fail(c, EXIT_PRIV, "raw sockets not permitted (root or CAP_NET_RAW needed for -sS)");
		goto done;
	}
	if (src != PS_OK) {
		rc = cli_fail(c, src == PS_ERR_RANGE || src == PS_ERR_INVAL ? EXIT_USAGE : EXIT_RUNTIME, "scan failed: %s%s%s",
			      ps_strerror(src), src == PS_ERR_SYS ? ": " : "", src == PS_ERR_SYS ? strerror(errno) : "");
		goto done;
	}
	ps_scan_mark_local(r);
	/* owners from the inside view, for hosts that live on this machine (this
	 * namespace, or as root any other namespace of it) */
	bool any_open = false;
	for (size_t h = 0; h < r->nhosts && !any_open; h++)
		for (size_t i = 0; i < r->hosts[h].nports && !any_open; i++)
			any_open = r->hosts[h].ports[i].state == PS_PST_OPEN;
	if (any_open && !no_owners) {
		struct ps_inv_opts io;
		ps_inv_opts_init(&io);
		io.owners = true;
		io.states = 1u << PS_ST_LISTEN | 1u << PS_ST_CLOSE;
		io.ns_mode = geteuid() == 0 ? PS_NS_ALL : PS_NS_CURRENT;
		struct ps_inventory *inv = NULL;
		if (ps_inventory_collect(&io, &inv) == PS_OK && inv) {
			ps_scan_attach_owners(r, inv);
			ps_inventory_free(inv);
		}
	}
	/* the command line, for XML args and the grepable header */
	char args[1024];
	size_t w = (size_t)snprintf(args, sizeof args, "portsec scan");
	for (int i = 1; i < argc && w < sizeof args - 1; i++)
		w += (size_t)snprintf(args + w, sizeof args - w, " %s", argv[i]);
	struct ps_scan_meta m = {.version = ps_version(), .args = args, .reason = reason, .open_only = open_only,
				 .all = all, .versions = o.versions, .stats = verbose};
	if (g_stop)
		fprintf(stderr, "portsec scan: interrupted; writing what was found\n");
	if (outX && (rc = write_file(c, outX, "xml", r, db, &m)) != 0)
		goto free_r;
	if (outG && (rc = write_file(c, outG, "grepable", r, db, &m)) != 0)
		goto free_r;
	if (outJ && (rc = write_file(c, outJ, "jsonl", r, db, &m)) != 0)
		goto free_r;
	if (outN && (rc = write_file(c, outN, "normal", r, db, &m)) != 0)
		goto free_r;
	if (outA) {
		char p[4096];
		static const char *const ext[3][2] = {{".nmap", "normal"}, {".xml", "xml"}, {".gnmap", "grepable"}};
		for (int k = 0; k < 3 && !rc; k++) {
			snprintf(p, sizeof p, "%s%s", outA, ext[k][0]);
			rc = write_file(c, p, ext[k][1], r, db, &m);
		}
		if (rc)
			goto free_r;
	}
	bool stdout_taken = (outX && !strcmp(outX, "-")) || (outG && !strcmp(outG, "-")) || (outJ && !strcmp(outJ, "-")) ||
			    (outN && !strcmp(outN, "-"));
	if (!stdout_taken) {
		struct ps_buf b;
		cli_buf_stdout(&b);
		ps_out_scan(&b, json ? "json" : "normal", r, db, &m);
		rc = cli_finish_stdout(c, &b);
	}
	/* interrupted: what was found is written, but the scan did not finish */
	if (rc == EXIT_OK && r->stats.interrupted)
		rc = EXIT_RUNTIME;
free_r:
	ps_scan_result_free(r);
done:
	ps_targets_free(&tg);
	ps_targets_free(&ex);
	ps_scan_ports_free(&o.ports);
	ps_svcdb_free(db);
	return rc;
}
