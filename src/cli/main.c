/* main.c - portsec's command table, `portsec help` and the exit codes.
 * Each subcommand lives in cmd_<name>.c with its option table (cli_opt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_spec *const commands[] = {
	&cli_list_spec,    &cli_info_spec,    &cli_report_spec,   &cli_audit_spec,  &cli_watch_spec,  &cli_scan_spec,
	&cli_hidden_spec,  &cli_open_spec,    &cli_close_spec,    &cli_rules_spec,  &cli_enable_spec,
	&cli_disable_spec, &cli_restore_spec, &cli_policy_spec,   &cli_baseline_spec, &cli_help_spec,
	NULL,
};

const struct cli_spec *const *cli_spec_list(void)
{
	return commands;
}

const struct cli_spec *cli_spec_find(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void cli_commands_help(struct ps_buf *b)
{
	ps_buf_puts(b, "\nCommands:\n");
	for (size_t i = 0; commands[i]; i++)
		ps_buf_printf(b, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	ps_buf_puts(b, "\n`portsec help COMMAND` or `portsec COMMAND --help` for a command's options.\n"
		       "Exit codes: 0 ok, 1 findings, 2 usage or input error, 3 runtime error,\n"
		       "4 missing privilege or an incomplete check.\n");
}

static const struct cli_opt help_opts[] = {{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0}};

const struct cli_spec cli_help_spec = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "the commands, or one command's options",
	.description = "Without COMMAND: every command.  With it: the same text as `portsec COMMAND --help`.",
	.opts = help_opts,
	.fn = cmd_help,
};

int cmd_help(struct cli *c, int argc, char **argv)
{
	const char *what = NULL;
	int rc;
	if (cli_positionals(c, &cli_help_spec, argc, argv, &what, 1, &rc) < 0)
		return rc;
	struct ps_buf b;
	cli_buf_stdout(&b);
	if (!what) {
		cli_help(&b, &cli_top_spec);
	} else {
		const struct cli_spec *s = cli_spec_find(what);
		if (!s) {
			ps_buf_free(&b);
			return cli_usage(c, "unknown command '%s' (try `portsec help`)", what);
		}
		cli_help(&b, s);
	}
	return cli_finish_stdout(c, &b);
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	const char *nc = getenv("NO_COLOR");
	c.color = isatty(STDOUT_FILENO) && !(nc && *nc);
	/* no command, or only options: the host report */
	if (argc < 2 || argv[1][0] == '-') {
		c.cmd = "report";
		c.spec = &cli_top_spec;
		return cmd_report(&c, argc, argv);
	}
	const struct cli_spec *s = cli_spec_find(argv[1]);
	if (!s) {
		fprintf(stderr, "portsec: unknown command '%s' (try `portsec help`)\n", argv[1]);
		return EXIT_USAGE;
	}
	c.cmd = s->name;
	c.spec = s;
	return s->fn(&c, argc - 1, argv + 1);
}
