/* cli_opt.h - every command's options as one declarative table.
 *
 * A command declares a `struct cli_spec`: its usage line, description, option
 * table and the common options it takes.  The same table drives the parser
 * (cli_next), `--help` (cli_help) and `portsec help`; the man pages and shell
 * completion are generated from it too (cli_spec_list walks every table). */
#ifndef PS_CLI_OPT_H
#define PS_CLI_OPT_H
#include <stdbool.h>
#include <stdint.h>

struct cli;
struct ps_buf;

/* what an option's value is: validated by the parser, named in the help and
 * used by completion (files, namespaces, interfaces, choices) */
enum cli_arg {
	CLI_A_NONE = 0, /* a flag */
	CLI_A_STR,      /* any non-empty text */
	CLI_A_UINT,     /* decimal in [min, max]: cli_args.num */
	CLI_A_CHOICE,   /* one word of .choices: cli_args.num is its index */
	CLI_A_TIME,     /* 500ms, 30s, 5m, 1h, 2 (seconds): cli_args.num in ms */
	CLI_A_RATE,     /* a positive number: cli_args.dnum */
	CLI_A_PORTS,    /* a port spec (checked by the command) */
	CLI_A_FILE,     /* a path; "-" is stdin/stdout where the help says so */
	CLI_A_NETNS,    /* a network namespace name (/run/netns) or inode */
	CLI_A_IFACE,    /* an interface name */
	CLI_A_CIDR,     /* an address or network */
};

enum {
	CLI_F_DASH1 = 1,  /* .name is a single-dash word: nmap's -sS, -oX, -iL */
	CLI_F_HIDDEN = 2, /* accepted, not listed in the help (aliases, no-ops) */
};

/* ids the common options return (a command's own ids stay below 1000) */
enum {
	CLI_O_JSON = 1000,
	CLI_O_NETNS,
	CLI_O_NOCOLOR,
	CLI_O_COLOR,
	CLI_O_VERBOSE,
	CLI_O_HELP,
	CLI_O_SECTION = 2000, /* a heading line in the help, not an option */
};

/* which common options a command takes (help is always taken) */
enum {
	CLI_C_JSON = 1,
	CLI_C_NETNS = 2,
	CLI_C_COLOR = 4, /* --no-color and --color=auto|always|never */
	CLI_C_VERBOSE = 8,
};

struct cli_opt {
	int id;             /* what cli_next returns; 0 ends a table */
	char shrt;          /* -x, or 0 */
	const char *name;   /* --name (or a DASH1 word); NULL for a short-only option */
	enum cli_arg arg;
	const char *meta;   /* the value's name in the help: NAME, FILE, N */
	const char *help;   /* '\n' continues on the next help line */
	const char *choices; /* CHOICE: space-separated words */
	uint64_t min, max;  /* UINT */
	unsigned flags;
};

struct cli_spec {
	const char *name;        /* "list" */
	const char *usage;       /* after "portsec NAME ": "[OPTIONS] [FILTER...]" */
	const char *summary;     /* one line: `portsec help`, the man page's NAME */
	const char *description; /* paragraphs, '\n'-separated */
	const struct cli_opt *opts;
	unsigned common;               /* CLI_C_* */
	const char *const *value_words; /* positional words whose next word is their value */
	const char *footer;            /* filters, exit status: after the options */
	bool dash1;                    /* nmap style: single-dash words, no bundling of short flags */
	void (*help_more)(struct ps_buf *b); /* printed after the footer (the top level: commands) */
	int (*fn)(struct cli *c, int argc, char **argv);
};

/* the parser's state; argv[0] is the command's name */
struct cli_args {
	struct cli *c;
	const struct cli_spec *spec;
	int argc;
	char **argv;
	int i;
	const char *bundle; /* the rest of -tulpn */
	bool dd;            /* after "--" */
	int pending;        /* value words still to take as positional */
	/* the current option */
	const struct cli_opt *opt;
	const char *val;
	uint64_t num;
	double dnum;
	char shown[48]; /* how the user wrote the option, for messages */
	int rc;         /* after CLI_END: EXIT_OK, or the exit code of an error/--help */
	bool done;      /* --help was printed: return rc */
};

enum { CLI_END = 0, CLI_POS = -1 };

void cli_args_init(struct cli_args *a, struct cli *c, const struct cli_spec *s, int argc, char **argv);
/* the next option's id (a->opt, a->val, a->num), CLI_POS for a positional
 * word (a->val), or CLI_END: then a->rc says whether parsing ended in an
 * error (reported, one line) or --help (printed, a->done) */
int cli_next(struct cli_args *a);
/* "--json" or "-N": how the current option is named in messages */
const char *cli_opt_shown(const struct cli_args *a);

/* --help, generated from the spec */
void cli_help(struct ps_buf *b, const struct cli_spec *s);
/* the common options' table (CLI_C_* picks) */
const struct cli_opt *cli_common_opts(void);
unsigned cli_common_bit(int id);
/* every command's spec, NULL-terminated (main.c) */
const struct cli_spec *const *cli_spec_list(void);
const struct cli_spec *cli_spec_find(const char *name);
void cli_commands_help(struct ps_buf *b);

/* a command that takes only positional words (and the common options): up to
 * max of them into pos; returns the count, or -1 after an error or --help
 * (then *rc is the exit code) */
int cli_positionals(struct cli *c, const struct cli_spec *s, int argc, char **argv, const char **pos, int max,
		    int *rc);

/* a word of a NULL-terminated list: its index, or -1 */
int cli_word(const char *const *words, const char *w);
#endif
