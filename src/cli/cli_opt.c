/* cli_opt.c - the table-driven option parser and the generated --help.
 *
 * Rules, the same for every command:
 *   --name value, --name=value; -x value, -xvalue; bundled flags -tulpn;
 *   nmap-style commands (spec->dash1) take single-dash words (-sS, -oX FILE)
 *   and attached short values (-p22, -T4) but no bundles;
 *   a value that is itself an option (`--iface --dry-run`) is refused as a
 *   missing value, never taken; "-5" is a value, not a flag, unless the
 *   command has a -5 option; options may follow positional words; "--" ends
 *   the options. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_opt common[] = {
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "one JSON document (docs/json.md)", NULL, 0, 0, 0},
	{CLI_O_NETNS, 'N', "netns", CLI_A_NETNS, "NAME",
	 "one network namespace: a /run/netns name, docker:<id> or an inode", NULL, 0, 0, 0},
	{CLI_O_VERBOSE, 'v', "verbose", CLI_A_NONE, NULL, "say more", NULL, 0, 0, 0},
	{CLI_O_NOCOLOR, 0, "no-color", CLI_A_NONE, NULL, "no ANSI colour, even on a terminal", NULL, 0, 0, 0},
	{CLI_O_COLOR, 0, "color", CLI_A_CHOICE, "WHEN", "colour: auto (a terminal without NO_COLOR), always, never",
	 "auto always never", 0, 0, 0},
	{CLI_O_HELP, 'h', "help", CLI_A_NONE, NULL, "this help", NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_opt *cli_common_opts(void)
{
	return common;
}

unsigned cli_common_bit(int id)
{
	switch (id) {
	case CLI_O_JSON: return CLI_C_JSON;
	case CLI_O_NETNS: return CLI_C_NETNS;
	case CLI_O_VERBOSE: return CLI_C_VERBOSE;
	case CLI_O_NOCOLOR:
	case CLI_O_COLOR: return CLI_C_COLOR;
	}
	return 0;
}

static bool takes_common(const struct cli_spec *s, int id)
{
	return id == CLI_O_HELP || (s->common & cli_common_bit(id));
}

int cli_word(const char *const *words, const char *w)
{
	for (int i = 0; words && words[i]; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

int cli_positionals(struct cli *c, const struct cli_spec *s, int argc, char **argv, const char **pos, int max,
		    int *rc)
{
	struct cli_args a;
	cli_args_init(&a, c, s, argc, argv);
	int n = 0;
	while (cli_next(&a) != CLI_END) {
		if (n == max) {
			*rc = cli_usage(c, "too many arguments (see `portsec %s --help`)", s->name);
			return -1;
		}
		pos[n++] = a.val;
	}
	*rc = a.rc;
	return a.rc || a.done ? -1 : n;
}

/* a command's own option first (it may narrow a common one), then the common ones */
typedef bool (*opt_match)(const struct cli_opt *o, const char *name, size_t n, char shrt);

static bool match_long(const struct cli_opt *o, const char *name, size_t n, char shrt)
{
	(void)shrt;
	return o->name && !(o->flags & CLI_F_DASH1) && strlen(o->name) == n && strncmp(o->name, name, n) == 0;
}

static bool match_dash1(const struct cli_opt *o, const char *name, size_t n, char shrt)
{
	(void)shrt;
	return o->name && (o->flags & CLI_F_DASH1) && strlen(o->name) == n && strncmp(o->name, name, n) == 0;
}

static bool match_short(const struct cli_opt *o, const char *name, size_t n, char shrt)
{
	(void)name;
	(void)n;
	return o->shrt && o->shrt == shrt;
}

static const struct cli_opt *find(const struct cli_spec *s, opt_match m, const char *name, size_t n, char shrt)
{
	for (const struct cli_opt *o = s->opts; o && o->id; o++)
		if (o->id != CLI_O_SECTION && m(o, name, n, shrt))
			return o;
	for (const struct cli_opt *o = common; o->id; o++)
		if (takes_common(s, o->id) && m(o, name, n, shrt))
			return o;
	return NULL;
}

void cli_args_init(struct cli_args *a, struct cli *c, const struct cli_spec *s, int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	a->c = c;
	a->spec = s;
	a->argc = argc;
	a->argv = argv;
	a->i = 1;
}

const char *cli_opt_shown(const struct cli_args *a)
{
	return a->shown;
}

__attribute__((format(printf, 2, 3))) static int fail(struct cli_args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	a->rc = cli_vusage(a->c, fmt, ap);
	va_end(ap);
	return CLI_END;
}

/* "30s", "500ms", "5m", "1h", "2" (seconds) -> ms */
static int parse_time_ms(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e9 || (s[0] < '0' || s[0] > '9'))
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0) {
			*out = (uint64_t)(v * units[i].mul);
			return 0;
		}
	return -1;
}

/* the value of a->opt is a->val: check it by type */
static int check_value(struct cli_args *a)
{
	const struct cli_opt *o = a->opt;
	const char *v = a->val;
	char t[80];
	if (!*v)
		return fail(a, "option '%s' needs a value", a->shown);
	v = cli_cut(v, t, sizeof t);
	switch (o->arg) {
	case CLI_A_UINT:
		if (ps_parse_uint(a->val, o->min, o->max, &a->num) != PS_OK)
			return fail(a, "invalid value '%s' for '%s' (a number from %llu to %llu)", v, a->shown,
				    (unsigned long long)o->min, (unsigned long long)o->max);
		break;
	case CLI_A_CHOICE: {
		char w[32];
		const char *p = o->choices;
		for (unsigned k = 0; p && *p; k++) {
			size_t n = strcspn(p, " ");
			snprintf(w, sizeof w, "%.*s", (int)n, p);
			if (strcmp(w, a->val) == 0) {
				a->num = k;
				return CLI_POS; /* ok */
			}
			p += n + (p[n] == ' ');
		}
		return fail(a, "invalid value '%s' for '%s' (one of: %s)", v, a->shown, o->choices);
	}
	case CLI_A_TIME:
		if (parse_time_ms(a->val, &a->num) != 0)
			return fail(a, "invalid time '%s' for '%s' (e.g. 500ms, 30s, 5m, 1h)", v, a->shown);
		break;
	case CLI_A_RATE: {
		char *end;
		errno = 0;
		a->dnum = strtod(a->val, &end);
		if (errno || end == a->val || *end || !(a->dnum > 0) || a->dnum > 1e8)
			return fail(a, "invalid value '%s' for '%s' (a number above 0)", v, a->shown);
		break;
	}
	default:
		break;
	}
	return CLI_POS;
}

/* the option a->opt was found; take its value (attached, or the next word) */
static int take(struct cli_args *a, const char *attached, bool has_attached)
{
	a->val = NULL;
	a->num = 0;
	a->dnum = 0;
	if (a->opt->arg == CLI_A_NONE) {
		if (has_attached)
			return fail(a, "option '%s' takes no value", a->shown);
		return a->opt->id;
	}
	if (has_attached) {
		a->val = attached;
	} else {
		if (a->i >= a->argc)
			return fail(a, "option '%s' needs a value", a->shown);
		const char *nx = a->argv[a->i];
		char t[80];
		if (cli_looks_like_option(nx))
			return fail(a, "option '%s' needs a value ('%s' is an option, not a value)", a->shown,
				    cli_cut(nx, t, sizeof t));
		a->val = nx;
		a->i++;
	}
	if (check_value(a) == CLI_END)
		return CLI_END;
	return a->opt->id;
}

static void shown(struct cli_args *a, const char *dash, const char *name, size_t n)
{
	if (n > sizeof a->shown - 8)
		snprintf(a->shown, sizeof a->shown, "%s%.*s...", dash, (int)(sizeof a->shown - 8), name);
	else
		snprintf(a->shown, sizeof a->shown, "%s%.*s", dash, (int)n, name);
}

static int unknown(struct cli_args *a, const char *what)
{
	return fail(a, "unknown option '%s' (see `portsec %s%s--help`)", what, a->spec->name, *a->spec->name ? " " : "");
}

static int short_opt(struct cli_args *a)
{
	char ch = *a->bundle++;
	char s[2] = {ch, 0};
	shown(a, "-", s, 1);
	a->opt = find(a->spec, match_short, NULL, 0, ch);
	if (!a->opt) {
		char w[3] = {'-', ch, 0};
		a->bundle = NULL;
		return unknown(a, w);
	}
	if (a->opt->arg == CLI_A_NONE) {
		if (!*a->bundle)
			a->bundle = NULL;
		return a->opt->id;
	}
	/* the first flag that takes a value ends the bundle: -N name, -Nname */
	const char *rest = a->bundle;
	a->bundle = NULL;
	return take(a, rest, *rest != 0);
}

static int positional(struct cli_args *a, const char *w)
{
	a->val = w;
	a->opt = NULL;
	if (a->pending > 0)
		a->pending--;
	/* a filter word (`port`, `pid`, `=`) takes the next word as its value, even "-4" */
	if (cli_word(a->spec->value_words, w) >= 0)
		a->pending = 1;
	return CLI_POS;
}

static int next(struct cli_args *a);

/* the options every command handles the same way are handled here */
int cli_next(struct cli_args *a)
{
	for (;;) {
		int id = next(a);
		if (id == CLI_O_HELP) {
			struct ps_buf b;
			cli_buf_stdout(&b);
			cli_help(&b, a->spec);
			a->rc = cli_finish_stdout(a->c, &b);
			a->done = true;
			return CLI_END;
		}
		if (id == CLI_O_NOCOLOR)
			a->c->color = false;
		else if (id == CLI_O_COLOR)
			a->c->color = a->num == 1 || (a->num == 0 && a->c->color);
		else
			return id;
	}
}

static int next(struct cli_args *a)
{
	if (a->rc || a->done)
		return CLI_END;
	if (a->bundle)
		return short_opt(a);
	if (a->i >= a->argc)
		return CLI_END;
	const char *w = a->argv[a->i++];
	if (a->dd || a->pending > 0 || w[0] != '-' || !w[1])
		return positional(a, w);
	if (strcmp(w, "--") == 0) {
		a->dd = true;
		return next(a);
	}
	if (w[1] == '-') {
		const char *name = w + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		shown(a, "--", name, n);
		if (!(a->opt = find(a->spec, match_long, name, n, 0)))
			return unknown(a, a->shown);
		return take(a, eq ? eq + 1 : NULL, eq != NULL);
	}
	/* "-5": a value unless the command has a -5 */
	if (cli_is_negative_number(w) && !find(a->spec, match_short, NULL, 0, w[1]))
		return positional(a, w);
	if (a->spec->dash1) {
		size_t n = strlen(w + 1);
		shown(a, "-", w + 1, n);
		if ((a->opt = find(a->spec, match_dash1, w + 1, n, 0)))
			return take(a, NULL, false);
		shown(a, "-", w + 1, 1);
		a->opt = find(a->spec, match_short, NULL, 0, w[1]);
		if (!a->opt || (a->opt->arg == CLI_A_NONE && w[2])) {
			shown(a, "-", w + 1, n);
			return unknown(a, a->shown);
		}
		return take(a, w + 2, w[2] != 0);
	}
	a->bundle = w + 1;
	return short_opt(a);
}

/* ---- help ---- */

static void opt_left(struct ps_buf *b, const struct cli_opt *o)
{
	size_t start = b->len;
	ps_buf_puts(b, "  ");
	if (o->flags & CLI_F_DASH1)
		ps_buf_printf(b, "-%s", o->name);
	else if (o->shrt && o->name)
		ps_buf_printf(b, "-%c, --%s", o->shrt, o->name);
	else if (o->shrt)
		ps_buf_printf(b, "-%c", o->shrt);
	else
		ps_buf_printf(b, "    --%s", o->name);
	if (o->arg != CLI_A_NONE)
		ps_buf_printf(b, " %s", o->meta ? o->meta : "VALUE");
	size_t w = b->len - start;
	if (w >= 24)
		ps_buf_puts(b, "\n                        ");
	else
		ps_buf_printf(b, "%*s", (int)(24 - w), "");
}

static void opt_help(struct ps_buf *b, const char *h)
{
	for (const char *p = h; *p;) {
		size_t n = strcspn(p, "\n");
		ps_buf_printf(b, "%.*s\n", (int)n, p);
		p += n;
		if (*p == '\n' && *++p)
			ps_buf_puts(b, "                        ");
	}
}

static void opts_help(struct ps_buf *b, const struct cli_spec *s, const struct cli_opt *opts, bool is_common)
{
	for (const struct cli_opt *o = opts; o && o->id; o++) {
		if (o->id == CLI_O_SECTION) {
			ps_buf_printf(b, "%s:\n", o->help);
			continue;
		}
		if (o->flags & CLI_F_HIDDEN)
			continue;
		if (is_common) {
			if (!takes_common(s, o->id))
				continue;
			/* the command declared its own wording of it */
			bool own = false;
			for (const struct cli_opt *m = s->opts; m && m->id && !own; m++)
				own = m->id == o->id;
			if (own)
				continue;
		}
		opt_left(b, o);
		opt_help(b, o->help);
	}
}

void cli_help(struct ps_buf *b, const struct cli_spec *s)
{
	ps_buf_printf(b, "usage: portsec %s%s%s\n\n", s->name, *s->name ? " " : "", s->usage);
	if (s->description)
		ps_buf_printf(b, "%s\n\n", s->description);
	opts_help(b, s, s->opts, false);
	ps_buf_puts(b, "Common options:\n");
	opts_help(b, s, common, true);
	if (s->footer)
		ps_buf_printf(b, "\n%s\n", s->footer);
	if (s->help_more)
		s->help_more(b);
}
