/* cli_util.c - messages, exit codes, stdout sink */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

__attribute__((format(printf, 2, 0))) static void vmsg(const struct cli *c, const char *fmt, va_list ap)
{
	/* one line, cut: a 100,000-character argument is not echoed whole */
	char line[400];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "portsec%s%s: %s%s\n", c && c->cmd ? " " : "", c && c->cmd ? c->cmd : "", line,
		n >= (int)sizeof line ? "..." : "");
}

int cli_usage(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_vusage(const struct cli *c, const char *fmt, va_list ap)
{
	vmsg(c, fmt, ap);
	return EXIT_USAGE;
}

int cli_fail(const struct cli *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
	return code;
}

static int write_all(void *ctx, const char *d, size_t n)
{
	(void)ctx;
	while (n) {
		ssize_t w = write(STDOUT_FILENO, d, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return PS_ERR_SYS;
		}
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

void cli_buf_stdout(struct ps_buf *b)
{
	ps_buf_init(b);
	b->sink = write_all;
	b->flush_at = 256 * 1024;
}

int cli_finish_stdout(const struct cli *c, struct ps_buf *b)
{
	int r = ps_buf_flush(b);
	ps_buf_free(b);
	if (r != 0) {
		if (errno == EPIPE)
			return EXIT_OK;
		return cli_fail(c, EXIT_RUNTIME, "writing output: %s", strerror(errno));
	}
	return EXIT_OK;
}

void cli_report_sources(const struct cli *c, const struct ps_inventory *inv)
{
	for (size_t i = 0; i < inv->nwarnings; i++)
		fprintf(stderr, "portsec %s: warning: %s\n", c->cmd, inv->warnings[i]);
	/* sources used in place of the usual one are said, not hidden */
	for (size_t i = 0; i < inv->nsources; i++) {
		const struct ps_source_info *s = &inv->sources[i];
		if (s->ok && s->detail[0] && strncmp(s->name, "/proc/net/", 10) == 0)
			fprintf(stderr, "portsec %s: note: %s: %s\n", c->cmd, s->name, s->detail);
	}
}

int cli_collect_error(const struct cli *c, int err, const struct ps_inv_opts *o)
{
	if (err == PS_ERR_NOTFOUND)
		return cli_usage(c, "unknown network namespace '%s' (not in /run/netns, /run/docker/netns, or a process's namespace inode)",
				 o->ns_name ? o->ns_name : "");
	if (err == PS_ERR_PERM)
		return cli_fail(c, EXIT_PRIV, "permission denied: %s", o->ns_mode == PS_NS_NAMED
									? "entering another network namespace needs root (CAP_SYS_ADMIN)"
									: "no socket source could be read");
	return cli_fail(c, EXIT_RUNTIME, "could not list sockets: %s (%s)", ps_strerror(err),
			strerror(errno));
}

int cli_collect(const struct cli *c, const struct ps_inv_opts *o, struct ps_inventory **inv)
{
	*inv = NULL;
	int err = ps_inventory_collect(o, inv);
	if (err == PS_OK)
		return EXIT_OK;
	int code = cli_collect_error(c, err, o);
	if (*inv)
		cli_report_sources(c, *inv);
	ps_inventory_free(*inv);
	*inv = NULL;
	return code;
}

bool cli_is_negative_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

int cli_bad_port(const struct cli *c, const char *what, const char *s, int err)
{
	if (err == PS_ERR_RANGE)
		return cli_usage(c, "invalid %s '%s': out of range (ports are 0-65535, ranges low-high)", what, s);
	return cli_usage(c, "invalid %s '%s': expected PORT, PORT/tcp, PORT/udp or LOW-HIGH (decimal)", what, s);
}

struct uid_find {
	const char *name;
	uint32_t uid;
	bool found;
};

static int uid_cb(void *ctx, uint32_t uid, const char *name, size_t n)
{
	struct uid_find *u = ctx;
	if (strlen(u->name) == n && memcmp(u->name, name, n) == 0) {
		u->uid = uid;
		u->found = true;
		return 1; /* stop */
	}
	return 0;
}

int cli_uid_of(const char *name, uint32_t *uid)
{
	char *buf;
	size_t len;
	if (ps_read_file_at(AT_FDCWD, "/etc/passwd", &buf, &len, 16u << 20) != PS_OK)
		return -1;
	struct uid_find u = {name, 0, false};
	ps_passwd_parse(buf, len, uid_cb, &u);
	free(buf);
	if (!u.found)
		return -1;
	*uid = u.uid;
	return 0;
}

double cli_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cli_read_firewall(struct ps_fw_ruleset *rs, struct ps_assess_opts *o)
{
	ps_fw_ruleset_init(rs);
	int rc = ps_fw_read(rs, NULL);
	if (rc == PS_OK) {
		o->fw = rs;
		o->fw_error = NULL;
	} else {
		o->fw = NULL;
		o->fw_error = rc == PS_ERR_PERM ? "reading the nftables ruleset needs CAP_NET_ADMIN"
						: "the nftables ruleset could not be read";
	}
}

bool cli_looks_like_option(const char *v)
{
	return v[0] == '-' && v[1] && !cli_is_negative_number(v);
}

/* shown names are cut: a 100,000-character argument is not echoed whole */
const char *cli_cut(const char *s, char *tmp, size_t cap)
{
	size_t n = strlen(s);
	if (n < cap)
		return s;
	snprintf(tmp, cap, "%.*s...", (int)(cap - 4), s);
	return tmp;
}
