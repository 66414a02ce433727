/* main.c - portsec's command table, global options and exit codes.
 * Each subcommand lives in cmd_<name>.c and parses its own options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"list", cmd_list, "every socket, its owners, in every namespace (ss/netstat flags)"},
	{"info", cmd_info, "what a port is, what Linux does with it here, who holds it"},
	{"report", cmd_report, "the host report (what `portsec` alone prints)"},
	{"scan", cmd_scan, "which ports of which hosts answer, as nmap reports them (SYN, connect, UDP)"},
	{"hidden", cmd_hidden, "ports and backdoors hidden from the usual tools (cross-view + bind sweep)"},
	{"open", cmd_open, "let traffic in to a port (portsec's nftables table, atomic, persistent)"},
	{"close", cmd_close, "shut a port out (refuses to cut the running SSH session)"},
	{"rules", cmd_rules, "portsec's firewall rules with their effective verdict; rules delete N"},
	{"enable", cmd_enable, "default-deny for incoming traffic (opened ports, replies, ICMP allowed)"},
	{"disable", cmd_disable, "back to default-accept for incoming traffic"},
	{"restore", cmd_restore, "load the saved firewall rules (run at boot by portsec-firewall.service)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: portsec [--json] [--no-color]          the host report\n"
		   "       portsec COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`portsec COMMAND --help` for a command's options.  Exit codes: 0 ok, 1 findings,\n"
		   "2 usage or input error, 3 runtime error, 4 missing privilege.\n");
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	const char *nc = getenv("NO_COLOR");
	c.color = isatty(STDOUT_FILENO) && !(nc && *nc);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("portsec %s\n", ps_version());
		return EXIT_OK;
	}
	/* no command, or only options: the host report */
	if (argc < 2 || argv[1][0] == '-') {
		c.cmd = "report";
		return cmd_report(&c, argc, argv);
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			c.cmd = commands[i].name;
			return commands[i].fn(&c, argc - 1, argv + 1);
		}
	fprintf(stderr, "portsec: unknown command '%s' (try `portsec --help`)\n", argv[1]);
	return EXIT_USAGE;
}
