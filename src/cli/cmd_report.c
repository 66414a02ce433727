/* cmd_report.c - `portsec` with no arguments: the host report */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { O_CUR = 1, O_VERSION };

static const struct cli_opt opts[] = {
	{O_CUR, 0, "current-netns", CLI_A_NONE, NULL, "only the namespace portsec runs in (default: every namespace)",
	 NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

static const char desc[] =
	"The host report: listeners grouped by exposure (all interfaces, specific\n"
	"addresses, loopback only) with owner and service, connection counts, sockets\n"
	"in other network namespaces, and warnings in plain words.";
static const char foot[] = "Exit 0, 1 when a warning of medium or high severity is present, 2 for bad usage,\n"
			   "3 when no socket source could be read.";

const struct cli_spec cli_report_spec = {
	.name = "report",
	.usage = "[--json] [--current-netns] [--no-color]",
	.summary = "the host report (what `portsec` alone prints)",
	.description = desc,
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = foot,
	.fn = cmd_report,
};

/* bare `portsec [OPTIONS]`: the report, plus --version, and the command list in --help */
static const struct cli_opt top_opts[] = {
	{O_CUR, 0, "current-netns", CLI_A_NONE, NULL, "only the namespace portsec runs in (default: every namespace)",
	 NULL, 0, 0, 0},
	{O_VERSION, 'V', "version", CLI_A_NONE, NULL, "the version", NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_spec cli_top_spec = {
	.name = "",
	.usage = "[--json] [--current-netns] [--no-color]       the host report\n"
		 "       portsec COMMAND [OPTIONS] [ARGS]",
	.summary = "port security: listeners, owners, firewall verdicts, scans, hidden ports",
	.description = desc,
	.opts = top_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = foot,
	.help_more = cli_commands_help,
	.fn = cmd_report,
};

int cmd_report(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_ALL;
	struct cli_args ca;
	cli_args_init(&ca, c, c->spec ? c->spec : &cli_report_spec, argc, argv);
	int id;
	while ((id = cli_next(&ca)) != CLI_END) {
		switch (id) {
		case CLI_O_JSON: json = true; break;
		case O_CUR: io.ns_mode = PS_NS_CURRENT; break;
		case O_VERSION: printf("portsec %s\n", ps_version()); return EXIT_OK;
		case CLI_POS: return cli_usage(c, "unexpected argument '%s' (see `portsec --help`)", ca.val);
		}
	}
	if (ca.rc || ca.done)
		return ca.rc;

	io.protos = PS_P_ALL;
	io.owners = true;
	io.states = 0;
	struct ps_inventory *inv;
	int err = cli_collect(c, &io, &inv);
	if (err != EXIT_OK)
		return err;
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
		ps_out_emit(&b, PS_VIEW_REPORT, json ? "json" : "text", &(struct ps_out_doc){.ctx = &ctx, .a = a, .db = db},
			    &oo);
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
