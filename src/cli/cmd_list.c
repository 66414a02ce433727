/* cmd_list.c - `portsec list`: ss/netstat-compatible socket listing */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: portsec list [OPTIONS] [FILTER...]\n"
	"\n"
	"Every TCP/UDP (and with -w/-0 raw/packet) socket, with owners, from the kernel's\n"
	"sock_diag netlink interface.  Flags follow ss/netstat: `portsec list -tulpn`.\n"
	"\n"
	"  -t, --tcp          TCP sockets          -u, --udp        UDP sockets\n"
	"  -w, --raw          raw IP sockets       -0, --packet     AF_PACKET sockets\n"
	"                     (default: -t -u)\n"
	"  -l, --listening    listening sockets only (TCP listen, UDP unconnected)\n"
	"  -a, --all          every state, incl. time-wait and bound-but-inactive TCP\n"
	"                     (default: connected sockets only, as ss)\n"
	"  -p, --processes    owner column: comm(pid=N,fd=N) for every holder\n"
	"  -e, --extended     uid and inode columns\n"
	"  -n, --numeric      accepted for ss habits (portsec never resolves names)\n"
	"  -4, --ipv4  -6, --ipv6\n"
	"  -H, --no-header    no column header\n"
	"      --all-netns    every network namespace of the host (needs root)\n"
	"  -N, --netns NAME   one namespace: /run/netns name, docker:<id> or inode\n"
	"      --source S     sockdiag (default), procfs (the independent /proc/net view), both\n"
	"      --json         one JSON document (docs/json.md); implies owner details\n"
	"      --jsonl        one JSON object per socket per line\n"
	"      --no-color     no ANSI colour even on a terminal\n"
	"\n"
	"filters (ANDed):  port N|N/tcp|LO-HI   sport N   dport N   proc NAME   pid N\n"
	"                  user NAME|UID   state STATE   netns NAME|INODE   scope loopback|any|address\n"
	"STATE: listen established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait\n"
	"       last-ack closing bound-inactive unconnected connected (ss's `sport = :22` works too)\n";

enum { O_ALLNETNS = 256, O_SOURCE, O_JSON, O_JSONL, O_NOCOLOR, O_FORMAT };

static const struct option longopts[] = {
	{"tcp", no_argument, NULL, 't'},
	{"udp", no_argument, NULL, 'u'},
	{"raw", no_argument, NULL, 'w'},
	{"packet", no_argument, NULL, '0'},
	{"listening", no_argument, NULL, 'l'},
	{"all", no_argument, NULL, 'a'},
	{"processes", no_argument, NULL, 'p'},
	{"owners", no_argument, NULL, 'p'},
	{"extended", no_argument, NULL, 'e'},
	{"numeric", no_argument, NULL, 'n'},
	{"ipv4", no_argument, NULL, '4'},
	{"ipv6", no_argument, NULL, '6'},
	{"no-header", no_argument, NULL, 'H'},
	{"netns", required_argument, NULL, 'N'},
	{"all-netns", no_argument, NULL, O_ALLNETNS},
	{"source", required_argument, NULL, O_SOURCE},
	{"json", no_argument, NULL, O_JSON},
	{"jsonl", no_argument, NULL, O_JSONL},
	{"format", required_argument, NULL, O_FORMAT},
	{"no-color", no_argument, NULL, O_NOCOLOR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* value after a filter keyword, accepting ss's "= :22" / "eq 22" forms */
static const char *filter_value(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && (strcmp(argv[*i + 1], "=") == 0 || strcmp(argv[*i + 1], "==") == 0 ||
			      strcmp(argv[*i + 1], "eq") == 0))
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
static bool filter_has(const struct ps_filter *f, const char *w)
{
	switch (w[0]) {
	case 'p': return w[1] == 'o' ? f->have_port : w[1] == 'i' ? f->have_pid : f->proc != NULL;
	case 's': return w[1] == 'p' ? f->have_sport : w[1] == 'c' ? f->scope >= 0 : false;
	case 'd': return f->have_dport;
	case 'u': return f->have_uid;
	case 'n': return f->netns != NULL;
	}
	return false;
}

/* filters: words ANDed, as documented; a word given twice (port 22 port 80)
 * must hold twice, so each repeat goes into the next filter of the chain
 * (state words are the exception: `state a state b` is either, as in ss) */
static int parse_filters(struct cli *c, int argc, char **argv, struct ps_filter *chain, size_t *nchain,
			 bool *have_states)
{
	struct ps_filter *f = &chain[0];
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		const char *v;
		int r;
		if (strcmp(w, "state") != 0 && filter_has(f, w)) {
			if (*nchain == MAX_FILTERS)
				return cli_usage(c, "too many filter words (at most %d of one kind)", MAX_FILTERS);
			f = &chain[(*nchain)++];
			ps_filter_init(f);
		}
		if (strcmp(w, "port") == 0 || strcmp(w, "sport") == 0 || strcmp(w, "dport") == 0) {
			if (!(v = filter_value(argc, argv, &i)))
				return cli_usage(c, "filter '%s' needs a value", w);
			struct ps_portspec ps;
			if ((r = ps_parse_portspec(v, &ps)) != PS_OK)
				return cli_bad_port(c, "port", v, r);
			if (w[0] == 'p') {
				f->have_port = true;
				f->port = ps;
			} else if (w[0] == 's') {
				f->have_sport = true;
				f->sport = ps;
			} else {
				f->have_dport = true;
				f->dport = ps;
			}
		} else if (strcmp(w, "proc") == 0 || strcmp(w, "process") == 0) {
			if (!(v = filter_value(argc, argv, &i)) || !*v)
				return cli_usage(c, "filter 'proc' needs a process name");
			f->proc = v;
		} else if (strcmp(w, "pid") == 0) {
			uint64_t pid;
			if (!(v = filter_value(argc, argv, &i)))
				return cli_usage(c, "filter 'pid' needs a number");
			if (ps_parse_uint(v, 1, 0x7fffffff, &pid) != PS_OK)
				return cli_usage(c, "invalid pid '%s'", v);
			f->have_pid = true;
			f->pid = (int32_t)pid;
		} else if (strcmp(w, "user") == 0 || strcmp(w, "uid") == 0) {
			if (!(v = filter_value(argc, argv, &i)) || !*v)
				return cli_usage(c, "filter 'user' needs a name or uid");
			uint64_t uid;
			if (ps_parse_uint(v, 0, 0xffffffffu, &uid) == PS_OK) {
				f->uid = (uint32_t)uid;
			} else {
				if (cli_uid_of(v, &f->uid) != 0)
					return cli_usage(c, "unknown user '%s' (not in /etc/passwd)", v);
			}
			f->have_uid = true;
		} else if (strcmp(w, "state") == 0) {
			unsigned m;
			if (!(v = filter_value(argc, argv, &i)))
				return cli_usage(c, "filter 'state' needs a state name");
			if (ps_state_parse(v, &m) != PS_OK)
				return cli_usage(c, "unknown state '%s' (see `portsec list --help`)", v);
			chain[0].states = (*have_states ? chain[0].states : 0) | m;
			*have_states = true;
		} else if (strcmp(w, "netns") == 0) {
			if (!(v = filter_value(argc, argv, &i)) || !*v)
				return cli_usage(c, "filter 'netns' needs a name or inode");
			f->netns = v;
		} else if (strcmp(w, "scope") == 0) {
			if (!(v = filter_value(argc, argv, &i)))
				return cli_usage(c, "filter 'scope' needs loopback, any or address");
			if (strcmp(v, "loopback") == 0)
				f->scope = PS_SCOPE_LOOPBACK;
			else if (strcmp(v, "any") == 0)
				f->scope = PS_SCOPE_ANY;
			else if (strcmp(v, "address") == 0)
				f->scope = PS_SCOPE_ADDRESS;
			else
				return cli_usage(c, "invalid scope '%s' (loopback, any or address)", v);
		} else {
			return cli_usage(c, "unknown filter '%s' (expected port, sport, dport, proc, pid, user, state, netns or scope)",
					 w);
		}
	}
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
	bool listening = false, all = false, procs = false, extended = false, header = true;
	bool have_states = false, all_netns = false;
	const char *format = "table";
	bool format_given = false;
	/* "port -1" would reach getopt as an option: catch negative filter values first */
	static const char *const takes_value[] = {"port", "sport", "dport", "pid", "user", "uid",
						  "=", "==", "eq"};
	for (int i = 2; i < argc; i++) {
		if (!cli_is_negative_number(argv[i]))
			continue;
		for (size_t k = 0; k < sizeof takes_value / sizeof *takes_value; k++)
			if (strcmp(argv[i - 1], takes_value[k]) == 0)
				return cli_usage(c, "invalid value '%s' for '%s': ports and ids are not negative",
						 argv[i], strcmp(argv[i - 1], "=") && strcmp(argv[i - 1], "==") &&
								  strcmp(argv[i - 1], "eq") ? argv[i - 1] : argv[i - 2]);
	}
	int vr = cli_check_values(c, argc, argv, "tuw0lapen46HN:h", longopts);
	if (vr != EXIT_OK)
		return vr;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "tuw0lapen46HN:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': io.protos |= PS_P_TCP; break;
		case 'u': io.protos |= PS_P_UDP; break;
		case 'w': io.protos |= PS_P_RAW; break;
		case '0': io.protos |= PS_P_PACKET; break;
		case 'l': listening = true; break;
		case 'a': all = true; break;
		case 'p': procs = true; break;
		case 'e': extended = true; break;
		case 'n': break;
		case '4': io.families |= 1; break;
		case '6': io.families |= 2; break;
		case 'H': header = false; break;
		case 'N':
			if (!*optarg)
				return cli_usage(c, "-N needs a namespace name");
			io.ns_mode = PS_NS_NAMED;
			io.ns_name = optarg;
			break;
		case O_ALLNETNS: all_netns = true; break;
		case O_SOURCE:
			if (strcmp(optarg, "sockdiag") == 0 || strcmp(optarg, "sock_diag") == 0)
				io.source = PS_INV_SOCKDIAG;
			else if (strcmp(optarg, "procfs") == 0)
				io.source = PS_INV_PROCFS;
			else if (strcmp(optarg, "both") == 0)
				io.source = PS_INV_BOTH;
			else
				return cli_usage(c, "invalid --source '%s' (sockdiag, procfs or both)", optarg);
			break;
		case O_JSON:
		case O_JSONL:
		case O_FORMAT: {
			const char *want = ch == O_JSON ? "json" : ch == O_JSONL ? "jsonl" : optarg;
			if (ch == O_FORMAT && !ps_list_format_by_name(optarg))
				return cli_usage(c, "unknown format '%s' (table, json, jsonl)", optarg);
			if (format_given && strcmp(format, want) != 0)
				return cli_usage(c, "output formats exclude each other: %s and %s", format, want);
			format = want;
			format_given = true;
			break;
		}
		case O_NOCOLOR: c->color = false; break;
		case 'h': cli_print(help); return EXIT_OK;
		case ':': return cli_usage(c, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return cli_usage(c, "unknown option '-%c' (see `portsec list --help`)", optopt);
			return cli_usage(c, "unknown option '%s' (see `portsec list --help`)", argv[optind - 1]);
		}
	}
	if (all_netns && io.ns_mode == PS_NS_NAMED)
		return cli_usage(c, "--all-netns and -N exclude each other");
	if (all_netns)
		io.ns_mode = PS_NS_ALL;
	int r = parse_filters(c, argc - optind, argv + optind, chain, &nchain, &have_states);
	struct ps_filter f = chain[0];
	if (r != EXIT_OK)
		return r;
	if (!io.protos)
		io.protos = PS_P_TCP | PS_P_UDP;
	/* states: explicit filter, else -a, -l, else ss's default (connected) */
	unsigned states;
	if (have_states)
		states = f.states;
	else if (all)
		states = 0;
	else if (listening)
		states = (1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE);
	else
		states = ~((1u << PS_ST_LISTEN) | (1u << PS_ST_CLOSE) | (1u << PS_ST_TIME_WAIT) |
			   (1u << PS_ST_SYN_RECV) | (1u << PS_ST_BOUND_INACTIVE) | (1u << PS_ST_UNKNOWN));
	states &= (1u << PS_ST_MAX) - 1;
	io.states = states;
	f.states = states;
	f.protos = io.protos;
	f.families = io.families;
	bool json = strcmp(format, "table") != 0;
	bool need_owner_filter = false;
	for (size_t k = 0; k < nchain; k++)
		need_owner_filter |= chain[k].proc || chain[k].have_pid;
	io.owners = procs || json || need_owner_filter;

	struct ps_inventory *inv = NULL;
	double t0 = cli_now();
	int err = ps_inventory_collect(&io, &inv);
	double t1 = cli_now();
	if (err != PS_OK) {
		int code = cli_collect_error(c, err, &io);
		if (inv)
			cli_report_sources(c, inv);
		ps_inventory_free(inv);
		return code;
	}
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
		.header = header,
		.processes = procs,
		.netns = io.ns_mode == PS_NS_ALL,
		.extended = extended,
	};
	struct ps_buf b;
	cli_buf_stdout(&b);
	const struct ps_list_format *fmt = ps_list_format_by_name(format);
	double t2 = cli_now();
	fmt->emit(&b, inv, keep, db, &oo);
	int code = cli_finish_stdout(c, &b);
	if (getenv("PORTSEC_TIMING"))
		fprintf(stderr, "portsec timing: collect %.1f ms, filter+details %.1f ms, output %.1f ms (%zu rows)\n",
			(t1 - t0) * 1e3, (t2 - t1) * 1e3, (cli_now() - t2) * 1e3, inv->nsocks);
	if (strcmp(format, "json") != 0)
		cli_report_sources(c, inv);
	free(keep);
	ps_svcdb_free(db);
	ps_inventory_free(inv);
	return code;
}
