/* cmd_info.c - `portsec info PORT[/PROTO] | SERVICE-NAME ...` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { O_CUR = 1 };

static const struct cli_opt opts[] = {
	{O_CUR, 0, "current-netns", CLI_A_NONE, NULL, "only the namespace portsec runs in", NULL, 0, 0, 0},
	{CLI_O_NETNS, 'N', "netns", CLI_A_NETNS, "NAME", "only that namespace", NULL, 0, 0, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_spec cli_info_spec = {
	.name = "info",
	.usage = "[--json] [-N NAME | --current-netns] PORT[/tcp|/udp] | SERVICE ...",
	.summary = "what a port is, what Linux does with it here, who holds it",
	.description = "What a port is (service names, IANA range), what Linux does with it here\n"
		       "(ephemeral range, unprivileged port start, reserved ports) and who holds it now,\n"
		       "on which address, in every network namespace.  `portsec info ssh`, `portsec info 22`.",
	.opts = opts,
	.common = CLI_C_JSON | CLI_C_COLOR,
	.footer = "Exit 0, 2 for an unknown port or service, 3 when no socket source could be read.",
	.fn = cmd_info,
};

static bool starts_digit(const char *s)
{
	return s[0] >= '0' && s[0] <= '9';
}

static int info_run(struct cli *c, bool json, struct ps_inv_opts *iop, int nargs, char **pos);

/* the ports asked for: numbers with an optional /proto, or service names */
static int queries(struct cli *c, const struct ps_svcdb *db, int nargs, char **pos, struct ps_info_query *q,
		   size_t *nq)
{
	for (int i = 0; i < nargs; i++) {
		const char *a = pos[i];
		if (cli_is_negative_number(a))
			return cli_usage(c, "invalid port '%s': ports are 0-65535", a);
		if (starts_digit(a)) {
			struct ps_portspec ps;
			int r = ps_parse_portspec(a, &ps);
			if (r != PS_OK)
				return cli_bad_port(c, "port", a, r);
			if (ps.lo != ps.hi)
				return cli_usage(c, "invalid port '%s': info takes single ports, not ranges", a);
			q[(*nq)++] = (struct ps_info_query){ps.lo, ps.protos, a};
			continue;
		}
		/* a name, optionally with /proto */
		char name[80];
		unsigned want = PS_P_TCP | PS_P_UDP;
		snprintf(name, sizeof name, "%s", a);
		char *slash = strchr(name, '/');
		if (slash) {
			*slash = '\0';
			if (strcmp(slash + 1, "tcp") == 0)
				want = PS_P_TCP;
			else if (strcmp(slash + 1, "udp") == 0)
				want = PS_P_UDP;
			else
				return cli_usage(c, "invalid protocol in '%s' (tcp or udp)", a);
		}
		const struct ps_service *res[16];
		size_t n = ps_svcdb_by_name(db, name, res, 16);
		size_t added = 0;
		for (size_t k = 0; k < n && *nq < 128; k++) {
			if (!(res[k]->protos & want))
				continue;
			/* merge tcp+udp of the same port into one query */
			bool merged = false;
			for (size_t m = 0; m < *nq; m++)
				if (q[m].port == res[k]->port && q[m].asked == a) {
					q[m].protos |= res[k]->protos;
					merged = true;
				}
			if (!merged)
				q[(*nq)++] = (struct ps_info_query){res[k]->port, res[k]->protos, a};
			added++;
		}
		if (!added)
			return cli_usage(c, "unknown port or service name '%s'", a);
	}
	return EXIT_OK;
}

int cmd_info(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct ps_inv_opts io;
	ps_inv_opts_init(&io);
	io.ns_mode = PS_NS_ALL;
	char **pos = calloc((size_t)argc + 1, sizeof *pos);
	if (!pos)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	int nargs = 0;
	struct cli_args ca;
	cli_args_init(&ca, c, &cli_info_spec, argc, argv);
	int id;
	while ((id = cli_next(&ca)) != CLI_END) {
		switch (id) {
		case CLI_POS: pos[nargs++] = (char *)ca.val; break;
		case CLI_O_JSON: json = true; break;
		case O_CUR: io.ns_mode = PS_NS_CURRENT; break;
		case CLI_O_NETNS:
			io.ns_mode = PS_NS_NAMED;
			io.ns_name = ca.val;
			break;
		}
	}
	int code = info_run(c, json, &io, ca.rc || ca.done ? -1 : nargs, pos);
	free(pos);
	return ca.rc || ca.done ? ca.rc : code;
}

static int info_run(struct cli *c, bool json, struct ps_inv_opts *iop, int nargs, char **pos)
{
	if (nargs < 0)
		return EXIT_OK;
	struct ps_inv_opts io = *iop;
	if (nargs < 1)
		return cli_usage(c, "which port? `portsec info 22`, `portsec info 53/udp`, `portsec info ssh`");
	if (nargs > 64)
		return cli_usage(c, "too many ports (at most 64)");

	struct ps_svcdb *db = NULL;
	if (ps_svcdb_open(NULL, &db) != PS_OK)
		return cli_fail(c, EXIT_RUNTIME, "out of memory");
	struct ps_info_query q[128];
	size_t nq = 0;
	int qr = queries(c, db, nargs, pos, q, &nq);
	if (qr != EXIT_OK) {
		ps_svcdb_free(db);
		return qr;
	}

	io.protos = PS_P_TCP | PS_P_UDP;
	io.owners = true;
	io.states = 0;
	struct ps_inventory *inv;
	int err = cli_collect(c, &io, &inv);
	if (err != EXIT_OK) {
		ps_svcdb_free(db);
		return err;
	}
	/* details only for the rows we talk about */
	bool *keep = calloc(inv->nsocks ? inv->nsocks : 1, sizeof *keep);
	if (keep) {
		for (size_t i = 0; i < inv->nsocks; i++)
			for (size_t k = 0; k < nq; k++)
				if (inv->socks[i].lport == q[k].port)
					keep[i] = true;
		ps_inventory_load_details(inv, keep, 0);
		free(keep);
	}
	struct ps_port_sysctls sys;
	ps_sysctls_read(&sys);
	struct ps_out_opts oo = {.color = c->color};
	/* per-port verdicts in the order the info formatter reads them */
	uint16_t ports[256];
	uint8_t protos[256];
	size_t np = 0;
	for (size_t k = 0; k < nq; k++)
		for (unsigned bit = PS_P_TCP; bit <= PS_P_UDP; bit <<= 1)
			if (q[k].protos & bit) {
				ports[np] = q[k].port;
				protos[np++] = bit == PS_P_TCP ? PS_PROTO_TCP : PS_PROTO_UDP;
			}
	struct ps_assess_opts ao = {.db = db, .ports = ports, .port_protos = protos, .nports = np};
	struct ps_fw_ruleset fw;
	cli_read_firewall(&fw, &ao);
	struct ps_assessment *a = NULL;
	int code;
	if (ps_assess(inv, &ao, &a) != PS_OK) {
		code = cli_fail(c, EXIT_RUNTIME, "out of memory");
	} else {
		struct ps_buf b;
		cli_buf_stdout(&b);
		struct ps_out_doc d = {.q = q, .nq = nq, .a = a, .db = db, .sys = &sys};
		ps_out_emit(&b, PS_VIEW_INFO, json ? "json" : "text", &d, &oo);
		code = cli_finish_stdout(c, &b);
	}
	ps_assess_free(a);
	ps_fw_ruleset_free(&fw);
	if (!json)
		cli_report_sources(c, inv);
	ps_inventory_free(inv);
	ps_svcdb_free(db);
	return code;
}
