/* cli.h - the thin CLI: command table, shared helpers, exit codes */
#ifndef PS_CLI_H
#define PS_CLI_H
#include <stdbool.h>

#include "portsec/portsec.h"

enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
	EXIT_PRIV = 4,
};

struct cli {
	const char *cmd;  /* "list", "info", ... (for messages) */
	bool color;       /* stdout is a TTY and NO_COLOR unset */
	bool no_color;    /* --no-color given */
};

int cmd_list(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_hidden(struct cli *c, int argc, char **argv);
int cmd_scan(struct cli *c, int argc, char **argv);
int cmd_open(struct cli *c, int argc, char **argv);
int cmd_close(struct cli *c, int argc, char **argv);
int cmd_enable(struct cli *c, int argc, char **argv);
int cmd_disable(struct cli *c, int argc, char **argv);
int cmd_rules(struct cli *c, int argc, char **argv);
int cmd_restore(struct cli *c, int argc, char **argv);

/* "portsec CMD: message" on stderr; returns EXIT_USAGE */
int cli_usage(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_fail(const struct cli *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ps_buf sink writing to stdout */
void cli_buf_stdout(struct ps_buf *b);
int cli_finish_stdout(const struct cli *c, struct ps_buf *b);
/* warnings and failed sources on stderr */
void cli_report_sources(const struct cli *c, const struct ps_inventory *inv);
/* exit code for a collect error */
int cli_collect_error(const struct cli *c, int err, const struct ps_inv_opts *o);
/* a word that looks like a negative number (getopt would take it as flags) */
bool cli_is_negative_number(const char *s);
/* explain a bad port spec */
int cli_bad_port(const struct cli *c, const char *what, const char *s, int err);
/* uid of a user name from /etc/passwd (no NSS: works in a static build) */
int cli_uid_of(const char *name, uint32_t *uid);
/* monotonic seconds (PORTSEC_TIMING=1 prints phase times on stderr) */
double cli_now(void);
/* read the nftables ruleset of this netns for verdicts; on failure sets
 * o->fw_error and leaves o->fw NULL (never fatal) */
void cli_read_firewall(struct ps_fw_ruleset *rs, struct ps_assess_opts *o);
/* an argument that is an option, not a value ("-x", "--dry-run"; not "-", not "-5") */
bool cli_looks_like_option(const char *v);
/* s, or its first cap-4 characters and "..." in tmp */
const char *cli_cut(const char *s, char *tmp, size_t cap);
struct option;
/* before getopt: every option that takes a value has one, and it is not an
 * option (`--iface --dry-run` is refused, never taken as a name); exit 2 */
int cli_check_values(const struct cli *c, int argc, char **argv, const char *shortopts,
		     const struct option *longopts);
/* common option: -h/--help text printer */
void cli_print(const char *text);
#endif
