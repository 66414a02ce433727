/* cmd_info.c - `portsec info PORT[/PROTO] | SERVICE-NAME ...` */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: portsec info [--json] [-N NAME | --current-netns] PORT[/tcp|/udp] | SERVICE ...\n"
	"\n"
	"What a port is (service names, IANA range), what Linux does with it here\n"
	"(ephemeral range, unprivileged port start, reserved ports) and who holds it now,\n"
	"on which address, in every network namespace.  `portsec info ssh`, `portsec info 22`.\n"
	"\n"
	"      --json            one JSON document\n"
	"      --current-netns   only the namespace portsec runs in\n"
	"  -N, --netns NAME      only that namespace\n"
	"      --no-color        no ANSI colour\n";

enum { O_JSON = 256, O_CUR, O_NOCOLOR };

static const struct option longopts[] = {
	{"json", no_argument, NULL, O_JSON},
	{"current-netns", no_argument, NULL, O_CUR},
	{"netns", required_argument, NULL, 'N'},
	{"no-color", no_argument, NULL, O_NOCOLOR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static bool starts_digit(const char *s)
{
	return s[0] >= '0' && s[0] <= '9';
}

int cmd_info(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_ALL;
	for (int i = 1; i < argc; i++)
		if (cli_is_negative_number(argv[i]))
			return cli_usage(c, "invalid port '%s': ports are 0-65535", argv[i]);
	int vr = cli_check_values(c, argc, argv, "N:h", longopts);
	if (vr != EXIT_OK)
		return vr;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "N:h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON: json = true; break;
		case O_CUR: io.ns_mode = PS_NS_CURRENT; break;
		case 'N':
			io.ns_mode = PS_NS_NAMED;
			io.ns_name = optarg;
			break;
		case O_NOCOLOR: c->color = false; break;
		case 'h': cli_print(help); return EXIT_OK;
		default:
			if (optopt)
				return cli_usage(c, "unknown option '-%c' (see `portsec info --help`)", optopt);
			return cli_usage(c, "unknown option '%s' (see `portsec info --help`)", argv[optind - 1]);
		}
	}
	int nargs = argc - optind;
	if (nargs < 1)
		return cli_usage(c, "which port? `portsec info 22`, `portsec info 53/udp`, `portsec info ssh`");
	if (nargs > 64)
		return cli_usage(c, "too many ports (at most 64)");

	struct ps_svcdb *db = NULL;
	if (ps_svcdb_open(NULL, &db) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	struct ps_info_query q[128];
	size_t nq = 0;
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];
		if (starts_digit(a)) {
			struct ps_portspec ps;
			int r = ps_parse_portspec(a, &ps);
			if (r != PS_OK) {
				ps_svcdb_free(db);
				return cli_bad_port(c, "port", a, r);
			}
			if (ps.lo != ps.hi) {
				ps_svcdb_free(db);
				return cli_usage(c, "invalid port '%s': info takes single ports, not ranges", a);
			}
			q[nq++] = (struct ps_info_query){ps.lo, ps.protos, a};
			continue;
		}
		/* a name, optionally with /proto */
		char name[80];
		unsigned want = PS_P_TCP | PS_P_UDP;
		snprintf(name, sizeof name, "%s", a);
		char *slash = strchr(name, '/');
		if (slash) {
			*slash = '\0';
			if (strcmp(slash + 1, "tcp") == 0)
				want = PS_P_TCP;
			else if (strcmp(slash + 1, "udp") == 0)
				want = PS_P_UDP;
			else {
				ps_svcdb_free(db);
				return cli_usage(c, "invalid protocol in '%s' (tcp or udp)", a);
			}
		}
		const struct ps_service *res[16];
		size_t n = ps_svcdb_by_name(db, name, res, 16);
		size_t added = 0;
		for (size_t k = 0; k < n && nq < 128; k++) {
			if (!(res[k]->protos & want))
				continue;
			/* merge tcp+udp of the same port into one query */
			bool merged = false;
			for (size_t m = 0; m < nq; m++)
				if (q[m].port == res[k]->port && q[m].asked == a) {
					q[m].protos |= res[k]->protos;
					merged = true;
				}
			if (!merged)
				q[nq++] = (struct ps_info_query){res[k]->port, res[k]->protos, a};
			added++;
		}
		if (!added) {
			ps_svcdb_free(db);
			return cli_usage(c, "unknown port or service name '%s'", a);
		}
	}

	io.protos = PS_P_TCP | PS_P_UDP;
	io.owners = true;
	io.states = 0;
	struct ps_inventory *inv = NULL;
	int err = ps_inventory_collect(&io, &inv);
	if (err != PS_OK) {
		int code = cli_collect_error(c, err, &io);
		ps_inventory_free(inv);
		ps_svcdb_free(db);
		return code;
	}
	/* details only for the rows we talk about */
	bool *keep = calloc(inv->nsocks ? inv->nsocks : 1, sizeof *keep);
	if (keep) {
		for (size_t i = 0; i < inv->nsocks; i++)
			for (size_t k = 0; k < nq; k++)
				if (inv->socks[i].lport == q[k].port)
					keep[i] = true;
		ps_inventory_load_details(inv, keep, 0);
		free(keep);
	}
	struct ps_port_sysctls sys;
	ps_sysctls_read(&sys);
	struct ps_out_opts oo = {.color = c->color};
	/* per-port verdicts in the order ps_out_info reads them */
	uint16_t ports[256];
	uint8_t protos[256];
	size_t np = 0;
	for (size_t k = 0; k < nq; k++)
		for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1)
			if (q[k].protos & bit) {
				ports[np] = q[k].port;
				protos[np++] = bit == PS_P_TCP ? PS_PROTO_TCP : PS_PROTO_UDP;
			}
	struct ps_assess_opts ao = {.db = db, .ports = ports, .port_protos = protos, .nports = np};
	struct ps_fw_ruleset fw;
	cli_read_firewall(&fw, &ao);
	struct ps_assessment *a = NULL;
	int code;
	if (ps_assess(inv, &ao, &a) != PS_OK) {
		code = cli_fail(c, EXIT_RUNTIME, "out of memory");
	} else {
		struct ps_buf b;
		cli_buf_stdout(&b);
		ps_out_info(&b, json, q, nq, a, db, &sys, &oo);
		code = cli_finish_stdout(c, &b);
	}
	ps_assess_free(a);
	ps_fw_ruleset_free(&fw);
	if (!json)
		cli_report_sources(c, inv);
	ps_inventory_free(inv);
	ps_svcdb_free(db);
	return code;
}
