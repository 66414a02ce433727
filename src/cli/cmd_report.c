/* cmd_report.c - `portsec` with no arguments: the host report */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: portsec [report] [--json] [--current-netns] [--no-color]\n"
	"\n"
	"The host report: listeners grouped by exposure (all interfaces, specific\n"
	"addresses, loopback only) with owner and service, connection counts, sockets\n"
	"in other network namespaces, and warnings in plain words.\n"
	"Exit 1 when a warning of medium or high severity is present.\n";

enum { O_JSON = 256, O_CUR, O_NOCOLOR };

static const struct option longopts[] = {
	{"json", no_argument, NULL, O_JSON},
	{"current-netns", no_argument, NULL, O_CUR},
	{"no-color", no_argument, NULL, O_NOCOLOR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_report(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_ALL;
	int vr = cli_check_values(c, argc, argv, "h", longopts);
	if (vr != EXIT_OK)
		return vr;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON: json = true; break;
		case O_CUR: io.ns_mode = PS_NS_CURRENT; break;
		case O_NOCOLOR: c->color = false; break;
		case 'h': cli_print(help); return EXIT_OK;
		default:
			if (optopt)
				return cli_usage(c, "unknown option '-%c' (see `portsec --help`)", optopt);
			return cli_usage(c, "unknown option '%s' (see `portsec --help`)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s' (see `portsec --help`)", argv[optind]);

	io.protos = PS_P_ALL;
	io.owners = true;
	io.states = 0;
	struct ps_inventory *inv = NULL;
	int err = ps_inventory_collect(&io, &inv);
	if (err != PS_OK) {
		int code = cli_collect_error(c, err, &io);
		ps_inventory_free(inv);
		return code;
	}
	bool *keep = calloc(inv->nsocks ? inv->nsocks : 1, sizeof *keep);
	if (keep) {
		for (size_t i = 0; i < inv->nsocks; i++)
			keep[i] = inv->netns[inv->socks[i].netns].current &&
				  ps_socket_is_listener(&inv->socks[i]);
		ps_inventory_load_details(inv, keep, 0);
		free(keep);
	}
	struct ps_svcdb *db = NULL;
	ps_svcdb_open(NULL, &db);
	char host[256] = "?";
	gethostname(host, sizeof host - 1);
	struct utsname u;
	const char *kernel = uname(&u) == 0 ? u.release : "?";
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	struct ps_report_ctx ctx = {host, kernel, when};
	struct ps_out_opts oo = {.color = c->color};
	struct ps_assess_opts ao = {.db = db};
	struct ps_fw_ruleset fw;
	cli_read_firewall(&fw, &ao);
	struct ps_assessment *a = NULL;
	int code = EXIT_OK;
	if (ps_assess(inv, &ao, &a) != PS_OK) {
		code = cli_fail(c, EXIT_RUNTIME, "out of memory");
	} else {
		struct ps_buf b;
		cli_buf_stdout(&b);
		ps_out_report(&b, json, &ctx, a, db, &oo);
		code = cli_finish_stdout(c, &b);
		/* medium or high findings make exit 1 (the findings contract) */
		if (code == EXIT_OK && a->by_severity[PS_SEV_MEDIUM] + a->by_severity[PS_SEV_HIGH])
			code = EXIT_FINDINGS;
	}
	ps_assess_free(a);
	ps_fw_ruleset_free(&fw);
	ps_svcdb_free(db);
	ps_inventory_free(inv);
	return code;
}
