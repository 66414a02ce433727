/* cli.h - the thin CLI: command table, shared helpers, exit codes */
#ifndef PS_CLI_H
#define PS_CLI_H
#include <stdarg.h>
#include <stdbool.h>

#include "portsec/portsec.h"
#include "cli_opt.h"

enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
	EXIT_PRIV = 4,
};

struct cli {
	const char *cmd;  /* "list", "info", ... (for messages) */
	const struct cli_spec *spec; /* the command's option table */
	bool color;       /* stdout is a TTY and NO_COLOR unset */
	bool no_color;    /* --no-color given */
};

extern const struct cli_spec cli_list_spec, cli_info_spec, cli_report_spec, cli_hidden_spec, cli_scan_spec,
	cli_open_spec, cli_close_spec, cli_enable_spec, cli_disable_spec, cli_rules_spec, cli_restore_spec,
	cli_help_spec, cli_top_spec, cli_audit_spec, cli_policy_spec, cli_baseline_spec, cli_watch_spec;
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_watch(struct cli *c, int argc, char **argv);
int cmd_policy(struct cli *c, int argc, char **argv);
int cmd_baseline(struct cli *c, int argc, char **argv);
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
int cli_vusage(const struct cli *c, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int cli_fail(const struct cli *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ps_buf sink writing to stdout */
void cli_buf_stdout(struct ps_buf *b);
int cli_finish_stdout(const struct cli *c, struct ps_buf *b);
/* warnings and failed sources on stderr */
void cli_report_sources(const struct cli *c, const struct ps_inventory *inv);
/* exit code for a collect error */
int cli_collect_error(const struct cli *c, int err, const struct ps_inv_opts *o);
/* collect the inventory; on failure the error is said (with the sources
 * that failed), *inv is NULL and the exit code returned */
int cli_collect(const struct cli *c, const struct ps_inv_opts *o, struct ps_inventory **inv);
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
int cmd_help(struct cli *c, int argc, char **argv);
#endif
