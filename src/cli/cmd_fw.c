/* cmd_fw.c - `portsec open|close|enable|disable|rules|restore`: portsec's own
 * nftables table, changed in one transaction, checked against the rest of
 * the ruleset and the running SSH session before anything changes. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

enum { O_DRY = 1, O_RUNTIME, O_FORCE, O_FROM, O_IFACE };

#define OPT_DRY {O_DRY, 0, "dry-run", CLI_A_NONE, NULL, "print exactly what would change; change nothing", NULL, 0, 0, 0}
#define OPT_RUNTIME                                                                                              \
	{O_RUNTIME, 0, "runtime", CLI_A_NONE, NULL, "do not write the persistent ruleset (/etc/portsec/firewall.nft)", \
	 NULL, 0, 0, 0}
#define OPT_FORCE {O_FORCE, 0, "force", CLI_A_NONE, NULL, "change even when a check refuses", NULL, 0, 0, 0}
#define OPT_END {0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0}

static const struct cli_opt open_opts[] = {
	{O_FROM, 0, "from", CLI_A_CIDR, "CIDR", "only from this source network (198.18.0.0/24, 2001:db8::/32)", NULL, 0,
	 0, 0},
	{O_IFACE, 0, "iface", CLI_A_IFACE, "IF", "only on this input interface", NULL, 0, 0, 0},
	OPT_DRY,
	OPT_RUNTIME,
	OPT_FORCE,
	OPT_END,
};
static const struct cli_opt change_opts[] = {OPT_DRY, OPT_RUNTIME, OPT_FORCE, OPT_END};
static const struct cli_opt restore_opts[] = {
	{O_DRY, 0, "dry-run", CLI_A_NONE, NULL, "have nftables check the file; load nothing", NULL, 0, 0, 0},
	OPT_END,
};

static const char open_desc[] =
	"Let traffic in to a port, or shut it out, in portsec's own nftables table\n"
	"(table inet portsec, IPv4 and IPv6), in one atomic transaction.  PORTSPEC is\n"
	"22/tcp, 53/udp, 53 (tcp and udp), 8000:8100/tcp, 22,80,443/tcp or a service name.\n"
	"open adds an allow (and removes a matching deny); close removes every allow\n"
	"for the port and, unless default-deny is on (`portsec enable`), adds a deny.\n"
	"Refused (exit 1, nothing changed) when another table would still drop what\n"
	"you open, when the port is DNAT'ed past input filtering, or when closing it\n"
	"would cut the running SSH session; --force overrides.";
static const char fw_exit[] = "Exit 0 when changed (or nothing to change), 1 when refused, 2 for bad input,\n"
			      "3 when nftables failed, 4 without CAP_NET_ADMIN.";

const struct cli_spec cli_open_spec = {
	.name = "open",
	.usage = "PORTSPEC... [--from CIDR] [--iface IF] [--dry-run] [--runtime] [--force] [--json]",
	.summary = "let traffic in to a port (portsec's nftables table, atomic, persistent)",
	.description = open_desc,
	.opts = open_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = fw_exit,
	.fn = cmd_open,
};

const struct cli_spec cli_close_spec = {
	.name = "close",
	.usage = "PORTSPEC... [--from CIDR] [--iface IF] [--dry-run] [--runtime] [--force] [--json]",
	.summary = "shut a port out (refuses to cut the running SSH session)",
	.description = open_desc,
	.opts = open_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = fw_exit,
	.fn = cmd_close,
};

const struct cli_spec cli_rules_spec = {
	.name = "rules",
	.usage = "[--json] [-v]\n       portsec rules delete N [--dry-run] [--runtime] [--force] [--json]",
	.summary = "portsec's firewall rules with their effective verdict; rules delete N",
	.description = "portsec's rules, numbered, each with its effective verdict through the\n"
		       "whole ruleset (every table on the input path), the listening ports with\n"
		       "theirs, and the other firewall managers.  `rules delete N` removes rule N.",
	.opts = change_opts,
	.common = CLI_C_JSON | CLI_C_COLOR | CLI_C_VERBOSE,
	.footer = fw_exit,
	.fn = cmd_rules,
};

const struct cli_spec cli_enable_spec = {
	.name = "enable",
	.usage = "[--dry-run] [--runtime] [--force] [--json]",
	.summary = "default-deny for incoming traffic (opened ports, replies, ICMP allowed)",
	.description = "Default-deny for incoming traffic: loopback, replies, ICMP essentials and\n"
		       "the opened ports allowed; refused without an allow for the running SSH session.",
	.opts = change_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = fw_exit,
	.fn = cmd_enable,
};

const struct cli_spec cli_disable_spec = {
	.name = "disable",
	.usage = "[--dry-run] [--runtime] [--force] [--json]",
	.summary = "back to default-accept for incoming traffic",
	.description = "Back to default-accept for incoming traffic; portsec's rules stay.",
	.opts = change_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = fw_exit,
	.fn = cmd_disable,
};

const struct cli_spec cli_restore_spec = {
	.name = "restore",
	.usage = "[--dry-run] [FILE]",
	.summary = "load the saved firewall rules (run at boot by portsec-firewall.service)",
	.description = "Load the persistent ruleset (default /etc/portsec/firewall.nft) in one\n"
		       "transaction; the systemd unit portsec-firewall.service runs this at boot.",
	.opts = restore_opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = fw_exit,
	.fn = cmd_restore,
};

struct fwa {
	bool json, dry, runtime, force, verbose;
	bool have_from;
	struct ps_cidr from;
	char iface[IFNAMSIZ];
	char **args;
	int nargs;
};

static bool iface_ok(const char *v)
{
	size_t n = strlen(v);
	bool ok = n > 0 && n < IFNAMSIZ && !(v[0] == '.' && (!v[1] || (v[1] == '.' && !v[2])));
	for (size_t i = 0; ok && i < n; i++)
		if (v[i] == '/' || v[i] == ':' || v[i] == '"' || v[i] <= ' ' || v[i] > '~')
			ok = false;
	return ok;
}

/* returns EXIT_OK, an exit code, or -1 after --help */
static int parse_opts(struct cli *c, int argc, char **argv, struct fwa *fa)
{
	memset(fa, 0, sizeof *fa);
	fa->args = calloc((size_t)argc + 1, sizeof *fa->args);
	if (!fa->args)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	struct cli_args a;
	cli_args_init(&a, c, c->spec, argc, argv);
	int id;
	while ((id = cli_next(&a)) != CLI_END) {
		switch (id) {
		case CLI_POS: fa->args[fa->nargs++] = (char *)a.val; break;
		case CLI_O_JSON: fa->json = true; break;
		case O_DRY: fa->dry = true; break;
		case O_RUNTIME: fa->runtime = true; break;
		case O_FORCE: fa->force = true; break;
		case CLI_O_VERBOSE: fa->verbose = true; break;
		case O_FROM:
			if (ps_parse_cidr(a.val, &fa->from) != PS_OK &&
			    (strchr(a.val, '/') || ps_parse_addr(a.val, &fa->from) != PS_OK))
				return cli_usage(c, "invalid --from '%s': expected an address or CIDR with no host bits "
						    "set (198.18.0.0/24, 2001:db8::/32)", a.val);
			fa->have_from = true;
			break;
		case O_IFACE:
			if (!iface_ok(a.val))
				return cli_usage(c, "invalid --iface '%s': an interface name is 1-15 printable characters "
						    "without '/', ':', quotes or spaces", a.val);
			snprintf(fa->iface, sizeof fa->iface, "%s", a.val);
			break;
		}
	}
	return a.done ? -1 : a.rc;
}

/* ---- port specs: "22/tcp", "53", "8000:8100/tcp", "22,80/tcp", "ssh" ---- */

struct req {
	uint8_t proto;
	uint16_t lo, hi;
};
#define MAXREQ 4096

static int add_piece(struct cli *c, const char *piece, const char *proto, struct req *r, size_t *n,
		     struct ps_svcdb **db)
{
	char buf[64];
	if (proto && !strchr(piece, '/'))
		snprintf(buf, sizeof buf, "%s/%s", piece, proto);
	else
		snprintf(buf, sizeof buf, "%s", piece);
	struct ps_portspec ps;
	int rc = ps_parse_portspec(buf, &ps);
	if (rc != PS_OK) {
		/* a service name ("ssh", "https/tcp") */
		char name[48];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(buf, "/"), buf);
		const char *pr = strchr(buf, '/');
		bool alpha = name[0] && !(name[0] >= '0' && name[0] <= '9');
		if (alpha && (!pr || strcmp(pr, "/tcp") == 0 || strcmp(pr, "/udp") == 0)) {
			if (!*db)
				ps_svcdb_open(NULL, db);
			const struct ps_service *s[4];
			size_t k = *db ? ps_svcdb_by_name(*db, name, s, 4) : 0;
			if (k == 0)
				return cli_usage(c, "invalid port spec '%s': unknown service name '%s'", piece, name);
			ps.lo = ps.hi = s[0]->port;
			ps.protos = pr ? (strcmp(pr, "/udp") == 0 ? PS_P_UDP : PS_P_TCP) : s[0]->protos;
		} else {
			return cli_bad_port(c, "port spec", piece, rc);
		}
	}
	if (ps.lo == 0)
		return cli_usage(c, "invalid port spec '%s': port 0 cannot be opened or closed", piece);
	for (int p = 0; p < 2; p++) {
		unsigned bit = p ? PS_P_UDP : PS_P_TCP;
		if (!(ps.protos & bit))
			continue;
		if (*n >= MAXREQ)
			return cli_usage(c, "too many port specs (at most %d)", MAXREQ);
		r[(*n)++] = (struct req){p ? IPPROTO_UDP : IPPROTO_TCP, ps.lo, ps.hi};
	}
	return EXIT_OK;
}

static int parse_specs(struct cli *c, char **args, int nargs, struct req *r, size_t *n)
{
	struct ps_svcdb *db = NULL;
	int rc = EXIT_OK;
	*n = 0;
	for (int i = 0; i < nargs && rc == EXIT_OK; i++) {
		const char *s = args[i];
		if (!*s || strlen(s) > 65536) {
			rc = cli_usage(c, "invalid port spec '%s'", s);
			break;
		}
		/* a protocol at the end applies to every comma-separated piece */
		const char *slash = strrchr(s, '/');
		const char *proto = slash && !strchr(slash, ',') ? slash + 1 : NULL;
		char *copy = strdup(s);
		if (!copy)
			return cli_fail(c, EXIT_RUNTIME, "out of memory");
		char *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok && rc == EXIT_OK; tok = strtok_r(NULL, ",", &save))
			rc = add_piece(c, tok, proto, r, n, &db);
		if (rc == EXIT_OK && *n == 0)
			rc = cli_usage(c, "invalid port spec '%s'", s);
		free(copy);
	}
	if (db)
		ps_svcdb_free(db);
	return rc;
}

/* ---- reading the ruleset ---- */

static int read_ruleset(struct cli *c, struct ps_fw_ruleset *rs, struct ps_fw_own *own)
{
	ps_fw_ruleset_init(rs);
	int rc = ps_fw_read(rs, NULL);
	if (rc == PS_ERR_PERM)
		return cli_fail(c, EXIT_PRIV, "reading the nftables ruleset needs CAP_NET_ADMIN (run as root)");
	if (rc != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "cannot read the nftables ruleset: %s", ps_strerror(rc));
	if (ps_fw_own_from_ruleset(rs, own) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	return EXIT_OK;
}

/* ---- the running SSH session ---- */

struct ssh {
	uint16_t ports[32];
	size_t n;
	bool have_client;
	struct ps_cidr client;
};

static void ssh_add(struct ssh *s, uint16_t p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ports[i] == p)
			return;
	if (s->n < sizeof s->ports / sizeof s->ports[0])
		s->ports[s->n++] = p;
}

static void ssh_sessions(struct ssh *s)
{
	memset(s, 0, sizeof *s);
	uint16_t port;
	const char *env = getenv("SSH_CONNECTION");
	if (env && ps_fw_parse_ssh_connection(env, &s->client, &port) == PS_OK) {
		s->have_client = true;
		ssh_add(s, port);
	}
	/* established TCP sockets owned by sshd: the ports sessions came in on */
	struct ps_inv_opts o;
	ps_inv_opts_init(&o);
	o.protos = PS_P_TCP;
	o.states = 1u << PS_ST_ESTABLISHED;
	o.owners = true;
	struct ps_inventory *inv = NULL;
	if (ps_inventory_collect(&o, &inv) != PS_OK || !inv)
		return;
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *k = &inv->socks[i];
		for (uint32_t j = 0; j < k->owner_count; j++) {
			const struct ps_proc *pr = &inv->procs[inv->owners[k->owner_first + j].proc];
			if (strncmp(pr->comm, "sshd", 4) == 0 || strcmp(pr->comm, "dropbear") == 0)
				ssh_add(s, k->lport);
		}
	}
	ps_inventory_free(inv);
}

/* does the own table let a new connection to port in (for this client)? */
static bool own_permits(const struct ps_fw_own *o, uint16_t port, const struct ps_cidr *client)
{
	if (!o->exists)
		return true;
	for (size_t i = 0; i < o->n; i++) /* sorted: denies first */
		if (!o->e[i].iface[0] && ps_fw_entry_covers(&o->e[i], IPPROTO_TCP, port, client))
			return o->e[i].action == PS_FW_ALLOW;
	return !o->enabled;
}

/* refuse a change that would stop new SSH connections; returns count */
static size_t ssh_guard(struct cli *c, const struct ps_fw_own *before, const struct ps_fw_own *after,
			struct ps_buf *why)
{
	struct ssh s;
	ssh_sessions(&s);
	size_t bad = 0;
	for (size_t i = 0; i < s.n; i++) {
		const struct ps_cidr *cl = s.have_client ? &s.client : NULL;
		if (own_permits(before, s.ports[i], cl) && !own_permits(after, s.ports[i], cl)) {
			ps_buf_printf(why, "%sport %u/tcp carries the running SSH session", bad ? "; " : "", s.ports[i]);
			bad++;
		}
	}
	(void)c;
	return bad;
}

/* ---- checks against the rest of the ruleset ---- */

static void pkt_for(struct ps_fw_pkt *p, int family, uint8_t proto, uint16_t port, const struct fwa *a)
{
	memset(p, 0, sizeof *p);
	p->family = family;
	p->l4proto = proto;
	p->dport = port;
	if (a->have_from && a->from.family == family) {
		p->have_saddr = true;
		memcpy(p->saddr, a->from.addr, 16);
	}
	if (a->iface[0]) {
		p->have_iif = true;
		snprintf(p->iif, sizeof p->iif, "%s", a->iface);
	}
}

/* other tables: would they still drop what we open / bypass what we close? */
static size_t check_others(const struct ps_fw_ruleset *rs, const struct req *r, size_t nr, bool opening,
			   const struct fwa *a, struct ps_buf *msg, struct ps_buf *hints)
{
	struct ps_fw_table own = {.family = PS_NFP_INET, .name = PS_FW_TABLE};
	size_t bad = 0;
	for (size_t i = 0; i < nr && bad < 8; i++) {
		for (int f = 0; f < 2; f++) {
			int fam = f ? AF_INET6 : AF_INET;
			if (a->have_from && a->from.family != fam)
				continue;
			struct ps_fw_pkt p;
			pkt_for(&p, fam, r[i].proto, r[i].lo, a);
			struct ps_fw_verdict v;
			if (ps_fw_eval(rs, &p, &own, &v) != PS_OK)
				continue;
			const char *pn = r[i].proto == IPPROTO_UDP ? "udp" : "tcp";
			bool dnat = v.result == PS_FW_DNAT;
			for (size_t k = 0; k < v.nconds && !dnat; k++)
				dnat = v.conds[k].result == PS_FW_DNAT;
			if (opening && v.result == PS_FW_DROP) {
				ps_buf_printf(msg, "%s%u/%s (%s) would still be dropped by ", bad ? "; " : "", r[i].lo, pn,
					      f ? "IPv6" : "IPv4");
				ps_fw_where_text(&v.where, msg);
				if (v.where.rule && v.where.c) {
					ps_buf_puts(msg, " (");
					ps_fw_rule_text(rs, v.where.c, v.where.rule, msg);
					ps_buf_puts(msg, ")");
				}
				enum ps_fw_manager_kind mk = ps_fw_table_manager(rs, v.where.family, v.where.table);
				ps_buf_printf(msg, " [%s]", ps_fw_manager_name(mk));
				struct ps_buf h;
				ps_buf_init(&h);
				ps_fw_manager_hint(mk, &v.where, pn, r[i].lo, r[i].hi, true, &h);
				if (h.len)
					ps_buf_printf(hints, "  %.*s\n", (int)h.len, h.data);
				ps_buf_free(&h);
				bad++;
			} else if (!opening && dnat) {
				ps_buf_printf(msg, "%s%u/%s (%s): ", bad ? "; " : "", r[i].lo, pn, f ? "IPv6" : "IPv4");
				ps_fw_verdict_summary(&v, msg);
				ps_buf_puts(msg, "; closing it in the input path does not close it");
				struct ps_buf h;
				ps_buf_init(&h);
				ps_fw_manager_hint(PS_FWM_DOCKER, &v.where, pn, r[i].lo, r[i].hi, false, &h);
				ps_buf_printf(hints, "  %.*s\n", (int)h.len, h.data ? h.data : "");
				ps_buf_free(&h);
				bad++;
			}
			if (v.result == PS_FW_DROP || dnat)
				break; /* one family is enough to explain */
		}
	}
	return bad;
}

/* ---- applying ---- */

/* Apply `after` (reached from `before`); prints the result.  full = replace
 * the whole table (enable/disable/restore of a table that does not exist). */
static int commit(struct cli *c, const struct fwa *a, const struct ps_fw_own *before, const struct ps_fw_own *after,
		  bool full, const char *refused, const char *hints)
{
	struct ps_fw_plan plan;
	if (ps_fw_plan_diff(before, after, &plan) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	struct ps_buf script, err, out;
	ps_buf_init(&script);
	ps_buf_init(&err);
	ps_buf_init(&out);
	if (full || plan.create_table || plan.set_policy >= 0)
		ps_fw_own_script(after, &script);
	else
		ps_fw_plan_script(&plan, &script);
	ps_buf_putc(&script, 0); /* libnftables reads a C string */
	script.len--;
	bool nothing = ps_fw_plan_empty(&plan) && !full;
	bool applied = false, persisted = false;
	int rc = EXIT_OK;
	const char *path = ps_fw_persist_path();
	if (refused && *refused && !a->force) {
		rc = EXIT_FINDINGS;
	} else if (!nothing && !a->dry) {
		int r = ps_fw_nft_run(script.data ? script.data : "", false, &err);
		if (r != PS_OK) {
			rc = r == PS_ERR_PERM ? EXIT_PRIV : EXIT_RUNTIME;
		} else {
			applied = true;
			if (!a->runtime) {
				struct ps_buf f;
				ps_buf_init(&f);
				ps_fw_own_script(after, &f);
				int pr = ps_fw_persist(path, f.data ? f.data : "", f.len);
				ps_buf_free(&f);
				if (pr != PS_OK) {
					ps_buf_printf(&err, "changed at runtime, but writing %s failed: %s", path, ps_strerror(pr));
					rc = EXIT_RUNTIME;
				} else {
					persisted = true;
				}
			}
		}
	} else if (!nothing && a->dry) {
		/* let nftables check the transaction without committing it */
		if (ps_fw_nft_run(script.data ? script.data : "", true, &err) != PS_OK)
			rc = EXIT_RUNTIME;
	}
	bool refuse = refused && *refused && !a->force;
	if (refuse) {
		fprintf(stderr, "portsec %s: refused: %s; nothing changed (--force to override)\n", c->cmd, refused);
		if (hints && *hints && !a->json)
			fprintf(stderr, "what would fix it with the manager that owns that table:\n%s", hints);
	} else if (refused && *refused) {
		fprintf(stderr, "portsec %s: warning (--force): %s\n", c->cmd, refused);
	}
	ps_buf_putc(&err, 0);
	err.len--;
	struct ps_fw_change_doc d = {0};
	if (ps_assess_fw_change(&plan, &d) != PS_OK) {
		rc = cli_fail(c, EXIT_RUNTIME, "out of memory");
	} else {
		d.dry_run = a->dry;
		d.applied = applied;
		d.refused = refuse ? refused : NULL;
		d.forced = refused && *refused && a->force;
		d.nothing = nothing;
		d.default_deny = after->enabled;
		d.nft = script.data ? script.data : "";
		d.persisted = persisted ? path : NULL;
		d.error = err.len ? err.data : NULL;
		cli_buf_stdout(&out);
		struct ps_out_opts oo = {.color = c->color};
		ps_out_emit(&out, PS_VIEW_FW_CHANGE, a->json ? "json" : "text", &(struct ps_out_doc){.change = &d}, &oo);
		cli_finish_stdout(c, &out);
		if (err.len && !a->json)
			fprintf(stderr, "portsec %s: %s\n", c->cmd, err.data);
	}
	ps_fw_change_doc_free(&d);
	ps_buf_free(&script);
	ps_buf_free(&err);
	ps_fw_plan_free(&plan);
	return rc;
}

/* ---- commands ---- */

/* parse the options, run fn, free what parsing kept */
static int run(struct cli *c, int argc, char **argv, int (*fn)(struct cli *c, const struct fwa *a, bool flag), bool flag)
{
	struct fwa a;
	int rc = parse_opts(c, argc, argv, &a);
	if (rc == EXIT_OK)
		rc = fn(c, &a, flag);
	free(a.args);
	return rc < 0 ? EXIT_OK : rc;
}

static int do_open_close(struct cli *c, const struct fwa *ap, bool opening)
{
	const struct fwa a = *ap;
	int rc;
	if (a.nargs == 0)
		return cli_usage(c, "missing port spec (e.g. `portsec %s 8080/tcp`)", c->cmd);
	struct req *r = calloc(MAXREQ, sizeof *r);
	if (!r)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	size_t nr = 0;
	if ((rc = parse_specs(c, a.args, a.nargs, r, &nr)) != EXIT_OK) {
		free(r);
		return rc;
	}
	struct ps_fw_ruleset rs;
	struct ps_fw_own before = {0}, after = {0};
	if ((rc = read_ruleset(c, &rs, &before)) != EXIT_OK) {
		ps_fw_ruleset_free(&rs);
		free(r);
		return rc;
	}
	/* the state after every request, in order */
	if (ps_fw_own_copy(&before, &after) != PS_OK)
		rc = cli_fail(c, EXIT_RUNTIME, "out of memory");
	after.exists = true;
	for (size_t i = 0; i < nr && rc == EXIT_OK; i++) {
		struct ps_fw_entry e = {.action = opening ? PS_FW_ALLOW : PS_FW_DENY, .proto = r[i].proto,
					.lo = r[i].lo, .hi = r[i].hi, .have_src = a.have_from, .src = a.from};
		snprintf(e.iface, sizeof e.iface, "%s", a.iface);
		struct ps_fw_plan p;
		struct ps_fw_own next;
		int x = opening ? ps_fw_plan_open(&after, &e, &p) : ps_fw_plan_close(&after, &e, &p);
		if (x == PS_OK)
			x = ps_fw_own_apply_plan(&after, &p, &next);
		ps_fw_plan_free(&p);
		if (x != PS_OK) {
			rc = cli_fail(c, EXIT_RUNTIME, "out of memory");
			break;
		}
		next.exists = true;
		ps_fw_own_free(&after);
		after = next;
	}
	struct ps_buf why, hints;
	ps_buf_init(&why);
	ps_buf_init(&hints);
	if (rc == EXIT_OK) {
		check_others(&rs, r, nr, opening, &a, &why, &hints);
		if (!opening) {
			struct ps_buf s;
			ps_buf_init(&s);
			if (ssh_guard(c, &before, &after, &s))
				ps_buf_printf(&why, "%s%.*s", why.len ? "; " : "", (int)s.len, s.data);
			ps_buf_free(&s);
		} else {
			/* a broader deny of our own still covers what is opened */
			for (size_t i = 0; i < nr; i++) {
				const struct ps_cidr *src = a.have_from ? &a.from : NULL;
				for (size_t k = 0; k < after.n; k++) {
					const struct ps_fw_entry *e = &after.e[k];
					if (e->action == PS_FW_DENY && (!e->iface[0] || strcmp(e->iface, a.iface) == 0) &&
					    ps_fw_entry_covers(e, r[i].proto, r[i].lo, src)) {
						fprintf(stderr, "portsec open: warning: %u/%s stays blocked by portsec rule %zu (",
							r[i].lo, r[i].proto == IPPROTO_UDP ? "udp" : "tcp", k + 1);
						struct ps_buf t;
						ps_buf_init(&t);
						ps_fw_entry_text(e, &t);
						fprintf(stderr, "%.*s); `portsec rules delete %zu` removes it\n", (int)t.len, t.data, k + 1);
						ps_buf_free(&t);
						break;
					}
				}
			}
		}
		if (why.len)
			ps_buf_putc(&why, 0);
		rc = commit(c, &a, &before, &after, false, why.len ? why.data : NULL, hints.len ? (ps_buf_putc(&hints, 0), hints.data) : NULL);
	}
	ps_buf_free(&why);
	ps_buf_free(&hints);
	ps_fw_own_free(&before);
	ps_fw_own_free(&after);
	ps_fw_ruleset_free(&rs);
	free(r);
	return rc;
}

int cmd_open(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, do_open_close, true);
}

int cmd_close(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, do_open_close, false);
}

static int do_policy(struct cli *c, const struct fwa *ap, bool enable)
{
	const struct fwa a = *ap;
	int rc;
	if (a.nargs)
		return cli_usage(c, "unexpected argument '%s'", a.args[0]);
	if (a.have_from || a.iface[0])
		return cli_usage(c, "--from and --iface belong to open/close");
	struct ps_fw_ruleset rs;
	struct ps_fw_own before = {0}, after = {0};
	if ((rc = read_ruleset(c, &rs, &before)) != EXIT_OK) {
		ps_fw_ruleset_free(&rs);
		return rc;
	}
	ps_fw_own_copy(&before, &after);
	after.exists = true;
	after.enabled = enable;
	struct ps_buf why;
	ps_buf_init(&why);
	if (enable && ssh_guard(c, &before, &after, &why))
		ps_buf_puts(&why, " and is not opened (`portsec open 22/tcp` first)");
	if (why.len)
		ps_buf_putc(&why, 0);
	rc = commit(c, &a, &before, &after, before.enabled != enable || !before.exists, why.len ? why.data : NULL, NULL);
	ps_buf_free(&why);
	ps_fw_own_free(&before);
	ps_fw_own_free(&after);
	ps_fw_ruleset_free(&rs);
	return rc;
}

int cmd_enable(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, do_policy, true);
}

int cmd_disable(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, do_policy, false);
}

static int rules_delete(struct cli *c, const struct fwa *a)
{
	if (a->nargs != 2)
		return cli_usage(c, "usage: portsec rules delete N");
	uint64_t num;
	if (ps_parse_uint(a->args[1], 1, 1000000, &num) != PS_OK)
		return cli_usage(c, "invalid rule number '%s': expected a number from `portsec rules`", a->args[1]);
	struct ps_fw_ruleset rs;
	struct ps_fw_own before = {0}, after = {0};
	int rc = read_ruleset(c, &rs, &before);
	if (rc != EXIT_OK) {
		ps_fw_ruleset_free(&rs);
		return rc;
	}
	if (num > before.n) {
		rc = cli_usage(c, "no rule %llu: portsec has %zu rule%s", (unsigned long long)num, before.n,
			       before.n == 1 ? "" : "s");
	} else {
		ps_fw_own_copy(&before, &after);
		memmove(&after.e[num - 1], &after.e[num], (after.n - num) * sizeof *after.e);
		after.n--;
		struct ps_buf why;
		ps_buf_init(&why);
		ssh_guard(c, &before, &after, &why);
		if (why.len)
			ps_buf_putc(&why, 0);
		rc = commit(c, a, &before, &after, false, why.len ? why.data : NULL, NULL);
		ps_buf_free(&why);
	}
	ps_fw_own_free(&before);
	ps_fw_own_free(&after);
	ps_fw_ruleset_free(&rs);
	return rc;
}

/* the raw netlink dump of the ruleset, for test fixtures and fuzz corpora */
static int save_netlink(struct cli *c, const char *path)
{
	struct ps_fw_ruleset rs;
	struct ps_buf raw;
	ps_fw_ruleset_init(&rs);
	ps_buf_init(&raw);
	int r = ps_fw_read(&rs, &raw);
	int rc = EXIT_OK;
	if (r != PS_OK)
		rc = cli_fail(c, r == PS_ERR_PERM ? EXIT_PRIV : EXIT_RUNTIME, "cannot read the ruleset: %s", ps_strerror(r));
	else if (ps_fw_persist(path, raw.data ? raw.data : "", raw.len) != PS_OK)
		rc = cli_fail(c, EXIT_RUNTIME, "cannot write %s", path);
	ps_buf_free(&raw);
	ps_fw_ruleset_free(&rs);
	return rc;
}

static const char *const rules_sub[] = {"delete", "save-netlink", NULL};

static int rules_main(struct cli *c, const struct fwa *ap, bool unused)
{
	(void)unused;
	const struct fwa a = *ap;
	int rc;
	int sub = a.nargs ? cli_word(rules_sub, a.args[0]) : -1;
	if (sub == 0)
		return rules_delete(c, &a);
	if (sub == 1 && a.nargs == 2)
		return save_netlink(c, a.args[1]);
	if (a.nargs)
		return cli_usage(c, "unknown rules subcommand '%s' (rules, rules delete N)", a.args[0]);
	struct ps_fw_ruleset rs;
	struct ps_fw_own own = {0};
	if ((rc = read_ruleset(c, &rs, &own)) != EXIT_OK) {
		ps_fw_ruleset_free(&rs);
		return rc;
	}
	struct ps_fw_verdict *v = calloc(own.n + 1, sizeof *v);
	if (!v) {
		ps_fw_ruleset_free(&rs);
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	}
	for (size_t i = 0; i < own.n; i++) {
		const struct ps_fw_entry *e = &own.e[i];
		/* source and interface stay symbolic: the verdict says who can reach it */
		struct fwa q = {0};
		struct ps_fw_pkt p;
		pkt_for(&p, e->have_src ? e->src.family : AF_INET, e->proto, e->lo, &q);
		ps_fw_eval(&rs, &p, NULL, &v[i]);
	}
	/* the listeners of this namespace (no owners: cheap), each with its verdict */
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.protos = PS_P_TCP | PS_P_UDP;
	io.states = 1u << PS_ST_LISTEN;
	struct ps_inventory *inv = NULL;
	if (ps_inventory_collect(&io, &inv) != PS_OK) {
		ps_inventory_free(inv);
		inv = NULL;
		fprintf(stderr, "portsec rules: warning: listening sockets could not be listed\n");
	}
	struct ps_fw_doc doc;
	if (ps_assess_fw_doc(&rs, &own, v, inv, &doc) != PS_OK) {
		rc = cli_fail(c, EXIT_RUNTIME, "out of memory");
	} else {
		struct ps_buf out;
		cli_buf_stdout(&out);
		struct ps_out_opts oo = {.color = c->color, .verbose = a.verbose};
		ps_out_emit(&out, PS_VIEW_RULES, a.json ? "json" : "text", &(struct ps_out_doc){.rules = &doc}, &oo);
		rc = cli_finish_stdout(c, &out);
	}
	ps_fw_doc_free(&doc);
	ps_inventory_free(inv);
	free(v);
	ps_fw_own_free(&own);
	ps_fw_ruleset_free(&rs);
	return rc;
}

int cmd_rules(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, rules_main, false);
}

static int restore_main(struct cli *c, const struct fwa *ap, bool unused)
{
	(void)unused;
	const struct fwa a = *ap;
	int rc = EXIT_OK;
	if (a.nargs > 1)
		return cli_usage(c, "usage: portsec restore [FILE]");
	const char *path = a.nargs ? a.args[0] : ps_fw_persist_path();
	char *data = NULL;
	size_t len = 0;
	int r = ps_read_file_at(AT_FDCWD, path, &data, &len, 16u << 20);
	if (r != PS_OK)
		return cli_fail(c, r == PS_ERR_NOTFOUND || errno == ENOENT ? EXIT_USAGE : EXIT_RUNTIME, "cannot read %s: %s", path,
				errno == ENOENT ? "no such file" : ps_strerror(r));
	if (!strstr(data, "table inet " PS_FW_TABLE " {")) {
		free(data);
		return cli_usage(c, "%s: not a portsec ruleset (no `table inet %s`)", path, PS_FW_TABLE);
	}
	struct ps_buf err;
	ps_buf_init(&err);
	r = ps_fw_nft_run(data, a.dry, &err);
	free(data);
	if (r != PS_OK) {
		rc = cli_fail(c, r == PS_ERR_PERM ? EXIT_PRIV : EXIT_RUNTIME, "%s: %.*s", path, (int)err.len, err.data ? err.data : "");
	} else if (!a.json) {
		printf("%s %s\n", a.dry ? "checked" : "restored", path);
	}
	ps_buf_free(&err);
	return rc;
}

int cmd_restore(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, restore_main, false);
}
