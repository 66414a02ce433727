/* cmd_list.c - `portsec list`: ss/netstat-compatible socket listing */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { O_TCP = 1, O_UDP, O_RAW, O_PACKET, O_LISTEN, O_ALL, O_PROCS, O_EXT, O_NUMERIC, O_V4, O_V6, O_NOHEADER,
       O_ALLNETNS, O_SOURCE, O_JSONL, O_FORMAT };

static const struct cli_opt opts[] = {
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Sockets (default: -t -u)", NULL, 0, 0, 0},
	{O_TCP, 't', "tcp", CLI_A_NONE, NULL, "TCP sockets", NULL, 0, 0, 0},
	{O_UDP, 'u', "udp", CLI_A_NONE, NULL, "UDP sockets", NULL, 0, 0, 0},
	{O_RAW, 'w', "raw", CLI_A_NONE, NULL, "raw IP sockets", NULL, 0, 0, 0},
	{O_PACKET, '0', "packet", CLI_A_NONE, NULL, "AF_PACKET sockets", NULL, 0, 0, 0},
	{O_LISTEN, 'l', "listening", CLI_A_NONE, NULL, "listening sockets only (TCP listen, UDP unconnected)", NULL, 0, 0, 0},
	{O_ALL, 'a', "all", CLI_A_NONE, NULL,
	 "every state, incl. time-wait and bound-but-inactive TCP\n(default: connected sockets only, as ss)", NULL, 0, 0, 0},
	{O_V4, '4', "ipv4", CLI_A_NONE, NULL, "IPv4 only", NULL, 0, 0, 0},
	{O_V6, '6', "ipv6", CLI_A_NONE, NULL, "IPv6 only", NULL, 0, 0, 0},
	{O_ALLNETNS, 0, "all-netns", CLI_A_NONE, NULL, "every network namespace of the host (needs root)", NULL, 0, 0, 0},
	{CLI_O_NETNS, 'N', "netns", CLI_A_NETNS, "NAME", "one namespace: /run/netns name, docker:<id> or inode", NULL, 0, 0, 0},
	{O_SOURCE, 0, "source", CLI_A_CHOICE, "S",
	 "sockdiag (default), procfs (the independent /proc/net view),\nboth", "sockdiag sock_diag procfs both", 0, 0, 0},
	{CLI_O_SECTION, 0, NULL, 0, NULL, "Columns and formats", NULL, 0, 0, 0},
	{O_PROCS, 'p', "processes", CLI_A_NONE, NULL, "owner column: comm(pid=N,fd=N) for every holder", NULL, 0, 0, 0},
	{O_PROCS, 0, "owners", CLI_A_NONE, NULL, "the same as --processes", NULL, 0, 0, CLI_F_HIDDEN},
	{O_EXT, 'e', "extended", CLI_A_NONE, NULL, "uid and inode columns", NULL, 0, 0, 0},
	{O_NUMERIC, 'n', "numeric", CLI_A_NONE, NULL, "accepted for ss habits (portsec never resolves names)", NULL, 0, 0, 0},
	{O_NOHEADER, 'H', "no-header", CLI_A_NONE, NULL, "no column header", NULL, 0, 0, 0},
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "one JSON document (docs/json.md); implies owner details", NULL, 0, 0, 0},
	{O_JSONL, 0, "jsonl", CLI_A_NONE, NULL, "one JSON object per socket per line", NULL, 0, 0, 0},
	{O_FORMAT, 0, "format", CLI_A_CHOICE, "F", "table (default), json or jsonl", "table json jsonl", 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

/* filter words: each takes the next word (even "-4") as its value */
enum { F_PORT, F_SPORT, F_DPORT, F_PROC, F_PROCESS, F_PID, F_USER, F_UID, F_STATE, F_NETNS, F_SCOPE, F_EQ, F_EQEQ,
       F_EQW };
static const char *const filter_words[] = {"port", "sport", "dport", "proc", "process", "pid", "user", "uid",
					    "state", "netns", "scope", "=", "==", "eq", NULL};
static const char *const scope_words[] = {"loopback", "any", "address", NULL};

const struct cli_spec cli_list_spec = {
	.name = "list",
	.usage = "[OPTIONS] [FILTER...]",
	.summary = "every socket, its owners, in every namespace (ss/netstat flags)",
	.description = "Every TCP/UDP (and with -w/-0 raw/packet) socket, with owners, from the kernel's\n"
		       "sock_diag netlink interface.  Flags follow ss/netstat: `portsec list -tulpn`.",
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_NETNS | CLI_C_COLOR,
	.value_words = filter_words,
	.footer = "Filters (ANDed):  port N|N/tcp|LO-HI   sport N   dport N   proc NAME   pid N\n"
		  "                  user NAME|UID   state STATE   netns NAME|INODE   scope loopback|any|address\n"
		  "STATE: listen established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait\n"
		  "       last-ack closing bound-inactive unconnected connected (ss's `sport = :22` works too)\n"
		  "Exit 0, 2 for bad usage, 3 when no socket source could be read, 4 without the\n"
		  "privilege a namespace needs.",
	.fn = cmd_list,
};

/* value after a filter keyword, accepting ss's "= :22" / "eq 22" forms */
static const char *filter_value(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && cli_word(filter_words, argv[*i + 1]) >= F_EQ)
		(*i)++;
	if (*i + 1 >= argc)
		return NULL;
	const char *v = argv[++*i];
	if (v[0] == ':' && v[1])
		v++;
	return v;
}

#define MAX_FILTERS 16

/* does f already hold the word w? (then a repeat opens the next filter) */
static bool filter_has(const struct ps_filter *f, int w)
{
	switch (w) {
	case F_PORT: return f->have_port;
	case F_SPORT: return f->have_sport;
	case F_DPORT: return f->have_dport;
	case F_PROC:
	case F_PROCESS: return f->proc != NULL;
	case F_PID: return f->have_pid;
	case F_USER:
	case F_UID: return f->have_uid;
	case F_NETNS: return f->netns != NULL;
	case F_SCOPE: return f->scope >= 0;
	}
	return false;
}

static int filter_port(struct cli *c, int w, const char *v, struct ps_filter *f)
{
	struct ps_portspec ps;
	int r;
	if (cli_is_negative_number(v))
		return cli_usage(c, "invalid value '%s' for '%s': ports and ids are not negative", v, filter_words[w]);
	if ((r = ps_parse_portspec(v, &ps)) != PS_OK)
		return cli_bad_port(c, "port", v, r);
	if (w == F_PORT) {
		f->have_port = true;
		f->port = ps;
	} else if (w == F_SPORT) {
		f->have_sport = true;
		f->sport = ps;
	} else {
		f->have_dport = true;
		f->dport = ps;
	}
	return EXIT_OK;
}

/* one filter word w with its value v */
static int filter_one(struct cli *c, int w, const char *v, struct ps_filter *f, struct ps_filter *first,
		      bool *have_states)
{
	uint64_t n;
	unsigned m;
	int k;
	switch (w) {
	case F_PORT:
	case F_SPORT:
	case F_DPORT: return filter_port(c, w, v, f);
	case F_PROC:
	case F_PROCESS:
		if (!*v)
			return cli_usage(c, "filter 'proc' needs a process name");
		f->proc = v;
		return EXIT_OK;
	case F_PID:
		if (ps_parse_uint(v, 1, 0x7fffffff, &n) != PS_OK)
			return cli_usage(c, "invalid pid '%s'%s", v, cli_is_negative_number(v) ? ": ids are not negative" : "");
		f->have_pid = true;
		f->pid = (int32_t)n;
		return EXIT_OK;
	case F_USER:
	case F_UID:
		if (!*v)
			return cli_usage(c, "filter 'user' needs a name or uid");
		if (ps_parse_uint(v, 0, 0xffffffffu, &n) == PS_OK)
			f->uid = (uint32_t)n;
		else if (cli_uid_of(v, &f->uid) != 0)
			return cli_usage(c, "unknown user '%s' (not in /etc/passwd)", v);
		f->have_uid = true;
		return EXIT_OK;
	case F_STATE:
		if (ps_state_parse(v, &m) != PS_OK)
			return cli_usage(c, "unknown state '%s' (see `portsec list --help`)", v);
		first->states = (*have_states ? first->states : 0) | m;
		*have_states = true;
		return EXIT_OK;
	case F_NETNS:
		if (!*v)
			return cli_usage(c, "filter 'netns' needs a name or inode");
		f->netns = v;
		return EXIT_OK;
	case F_SCOPE:
		if ((k = cli_word(scope_words, v)) < 0)
			return cli_usage(c, "invalid scope '%s' (loopback, any or address)", v);
		f->scope = k == 0 ? PS_SCOPE_LOOPBACK : k == 1 ? PS_SCOPE_ANY : PS_SCOPE_ADDRESS;
		return EXIT_OK;
	}
	return cli_usage(c, "unknown filter '%s' (expected port, sport, dport, proc, pid, user, state, netns or scope)",
			 v);
}

/* filters: words ANDed, as documented; a word given twice (port 22 port 80)
 * must hold twice, so each repeat goes into the next filter of the chain
 * (state words are the exception: `state a state b` is either, as in ss) */
static int parse_filters(struct cli *c, int argc, char **argv, struct ps_filter *chain, size_t *nchain,
			 bool *have_states)
{
	struct ps_filter *f = &chain[0];
	for (int i = 0; i < argc; i++) {
		int w = cli_word(filter_words, argv[i]);
		if (w < 0 || w >= F_EQ)
			return cli_usage(c, "unknown filter '%s' (expected port, sport, dport, proc, pid, user, state, netns or scope)",
					 argv[i]);
		if (w != F_STATE && filter_has(f, w)) {
			if (*nchain == MAX_FILTERS)
				return cli_usage(c, "too many filter words (at most %d of one kind)", MAX_FILTERS);
			f = &chain[(*nchain)++];
			ps_filter_init(f);
		}
		const char *v = filter_value(argc, argv, &i);
		if (!v)
			return cli_usage(c, "filter '%s' needs a value", filter_words[w]);
		int r = filter_one(c, w, v, f, &chain[0], have_states);
		if (r != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

struct list_args {
	bool listening, all, procs, extended, header, all_netns;
	const char *format;
	char **pos;
	int npos;
};

static int parse_args(struct cli *c, int argc, char **argv, struct ps_inv_opts *io, struct list_args *la)
{
	static const char *const formats[] = {"table", "json", "jsonl"};
	bool format_given = false;
	struct cli_args a;
	cli_args_init(&a, c, &cli_list_spec, argc, argv);
	la->header = true;
	la->format = formats[0];
	la->npos = 0;
	la->pos = calloc((size_t)argc + 1, sizeof *la->pos);
	if (!la->pos)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	int id;
	while ((id = cli_next(&a)) != CLI_END) {
		const char *want = NULL;
		switch (id) {
		case CLI_POS: la->pos[la->npos++] = (char *)a.val; break;
		case O_TCP: io->protos |= PS_P_TCP; break;
		case O_UDP: io->protos |= PS_P_UDP; break;
		case O_RAW: io->protos |= PS_P_RAW; break;
		case O_PACKET: io->protos |= PS_P_PACKET; break;
		case O_LISTEN: la->listening = true; break;
		case O_ALL: la->all = true; break;
		case O_PROCS: la->procs = true; break;
		case O_EXT: la->extended = true; break;
		case O_NUMERIC: break;
		case O_V4: io->families |= 1; break;
		case O_V6: io->families |= 2; break;
		case O_NOHEADER: la->header = false; break;
		case CLI_O_NETNS:
			io->ns_mode = PS_NS_NAMED;
			io->ns_name = a.val;
			break;
		case O_ALLNETNS: la->all_netns = true; break;
		case O_SOURCE:
			io->source = a.num <= 1 ? PS_INV_SOCKDIAG : a.num == 2 ? PS_INV_PROCFS : PS_INV_BOTH;
			break;
		case CLI_O_JSON: want = formats[1]; break;
		case O_JSONL: want = formats[2]; break;
		case O_FORMAT: want = formats[a.num]; break;
		}
		if (want) {
			if (format_given && la->format != want) /* formats[] strings: one pointer each */
				return cli_usage(c, "output formats exclude each other: %s and %s", la->format, want);
			la->format = want;
			format_given = true;
		}
	}
	if (a.rc || a.done)
		return a.done ? -1 : a.rc;
	if (la->all_netns && io->ns_mode == PS_NS_NAMED)
		return cli_usage(c, "--all-netns and -N exclude each other");
	if (la->all_netns)
		io->ns_mode = PS_NS_ALL;
	return EXIT_OK;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.protos = 0;
	struct ps_filter chain[MAX_FILTERS];
	size_t nchain = 1;
	ps_filter_init(&chain[0]);
	bool have_states = false;
	struct list_args la = {0};
	int r = parse_args(c, argc, argv, &io, &la);
	if (r == EXIT_OK)
		r = parse_filters(c, la.npos, la.pos, chain, &nchain, &have_states);
	free(la.pos);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	struct ps_filter f = chain[0];
	if (!io.protos)
		io.protos = PS_P_TCP | PS_P_UDP;
	/* states: explicit filter, else -a, -l, else ss's default (connected) */
	unsigned states;
	if (have_states)
		states = f.states;
	else if (la.all)
		states = 0;
	else if (la.listening)
		states = (1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE);
	else
		states = ~((1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE) | (1u << PS_ST_TIME_WAIT) |
			   (1u << PS_ST_SYN_RECV) | (1u << PS_ST_BOUND_INACTIVE) | (1u << PS_ST_UNKNOWN));
	states &= (1u << PS_ST_MAX) - 1;
	io.states = states;
	f.states = states;
	f.protos = io.protos;
	f.families = io.families;
	bool json = strcmp(la.format, "table") != 0;
	bool need_owner_filter = false;
	for (size_t k = 0; k < nchain; k++)
		need_owner_filter |= chain[k].proc || chain[k].have_pid;
	io.owners = la.procs || json || need_owner_filter;

	struct ps_inventory *inv;
	double t0 = cli_now();
	int err = cli_collect(c, &io, &inv);
	double t1 = cli_now();
	if (err != EXIT_OK)
		return err;
	bool *keep = malloc((inv->nsocks ? inv->nsocks : 1) * sizeof *keep);
	if (!keep) {
		ps_inventory_free(inv);
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	}
	for (size_t i = 0; i < inv->nsocks; i++) {
		keep[i] = ps_filter_match(&f, inv, &inv->socks[i]);
		for (size_t k = 1; k < nchain && keep[i]; k++)
			keep[i] = ps_filter_match(&chain[k], inv, &inv->socks[i]);
	}
	if (json)
		ps_inventory_load_details(inv, keep, 0);

	struct ps_svcdb *db = NULL;
	ps_svcdb_open(NULL, &db);
	struct ps_out_opts oo = {
		.color = c->color,
		.header = la.header,
		.processes = la.procs,
		.netns = io.ns_mode == PS_NS_ALL,
		.extended = la.extended,
	};
	struct ps_buf b;
	cli_buf_stdout(&b);
	double t2 = cli_now();
	ps_out_emit(&b, PS_VIEW_LIST, la.format, &(struct ps_out_doc){.inv = inv, .keep = keep, .db = db}, &oo);
	int code = cli_finish_stdout(c, &b);
	if (getenv("PORTSEC_TIMING"))
		fprintf(stderr, "portsec timing: collect %.1f ms, filter+details %.1f ms, output %.1f ms (%zu rows)\n",
			(t1 - t0) * 1e3, (t2 - t1) * 1e3, (cli_now() - t2) * 1e3, inv->nsocks);
	if (strcmp(la.format, "json") != 0)
		cli_report_sources(c, inv);
	free(keep);
	ps_svcdb_free(db);
	ps_inventory_free(inv);
	return code;
}
