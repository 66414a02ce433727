/* cmd_hidden.c - `portsec hidden`: hidden ports and backdoors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { O_NOPROBE = 1, O_RESERVED, O_CONNECT, O_NOLIBC, O_ALLOW, O_THREADS };

static const struct cli_opt opts[] = {
	{CLI_O_JSON, 0, "json", CLI_A_NONE, NULL, "the JSON document (findings, checks with timings)", NULL, 0, 0, 0},
	{CLI_O_VERBOSE, 'v', "verbose", CLI_A_NONE, NULL, "also info findings that explain legitimate cases", NULL, 0,
	 0, 0},
	{O_NOPROBE, 0, "no-probe", CLI_A_NONE, NULL, "cross-view only: no bind() sweep", NULL, 0, 0, 0},
	{O_RESERVED, 0, "probe-reserved", CLI_A_NONE, NULL,
	 "also probe ports in ip_local_reserved_ports (skipped by\ndefault so a service starting there never finds them taken)",
	 NULL, 0, 0, 0},
	{O_CONNECT, 0, "connect", CLI_A_NONE, NULL, "also connect() to every port on 127.0.0.1 and ::1", NULL, 0, 0, 0},
	{O_NOLIBC, 0, "no-libc-view", CLI_A_NONE, NULL, "skip the comparison with libc's reads", NULL, 0, 0, 0},
	{O_ALLOW, 0, "allow", CLI_A_STR, "NAME",
	 "a capture tool you allow to hold packet sockets: its\nexecutable's path or basename (never its self-chosen\nname); repeatable",
	 NULL, 0, 0, 0},
	{CLI_O_NETNS, 'N', "netns", CLI_A_NETNS, "NAME", "check the namespace /run/netns/NAME (or a path to a netns file)",
	 NULL, 0, 0, 0},
	{O_THREADS, 0, "threads", CLI_A_UINT, "N", "worker threads (default: CPUs)", NULL, 1, 64, 0},
	{0, 0, NULL, 0, NULL, NULL, NULL, 0, 0, 0},
};

const struct cli_spec cli_hidden_spec = {
	.name = "hidden",
	.usage = "[OPTIONS]",
	.summary = "ports and backdoors hidden from the usual tools (cross-view + bind sweep)",
	.description =
		"Find sockets, ports and passive backdoors hidden from the usual tools, by\n"
		"comparing views of the kernel socket by socket: sock_diag and /proc/net (raw\n"
		"syscalls), every process's fds, the kernel's sockstat counters, libc's reads\n"
		"(what a preload rootkit filters), and a bind() probe of every TCP and UDP port\n"
		"in IPv4 and IPv6.  Also: packet and raw sockets with their owners and decoded\n"
		"BPF filters, eBPF socket filters and probe_write_user programs, processes\n"
		"whose name does not fit their executable or whose executable was deleted,\n"
		"/etc/ld.so.preload and LD_PRELOAD, known backdoor ports (a hint).\n"
		"Legitimate one-view cases (bound-only, time-wait, dual-stack, v6-only,\n"
		"REUSEPORT, owners out of sight) are not findings; -v explains them.",
	.opts = opts,
	.common = CLI_C_COLOR,
	.footer = "Exit 0 when nothing of medium or high severity was found, 1 when something\n"
		  "was, 2 for bad usage, 3 when the views could not be read, 4 when a check\n"
		  "could not run or saw only part of what it covers (no privilege).  Run as root:\n"
		  "without it the probes of ports below 1024, other users' processes and eBPF\n"
		  "programs are out of reach (the checks say so).",
	.fn = cmd_hidden,
};

#define MAX_ALLOW 64

static int enter_netns(const struct cli *c, const char *name)
{
	char path[512];
	if (!*name || strlen(name) > 200 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cli_usage(c, "bad namespace name '%s'", name);
	if (strchr(name, '/'))
		snprintf(path, sizeof path, "%s", name);
	else
		snprintf(path, sizeof path, "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(c, errno == EACCES ? EXIT_PRIV : EXIT_USAGE, "no network namespace '%s' (%s)",
				name, strerror(errno));
	if (setns(fd, CLONE_NEWNET) != 0) {
		int e = errno;
		close(fd);
		return cli_fail(c, e == EPERM ? EXIT_PRIV : EXIT_USAGE, "cannot enter namespace '%s': %s%s",
				name, strerror(e), e == EPERM ? " (needs CAP_SYS_ADMIN; run as root)" : "");
	}
	close(fd);
	return EXIT_OK;
}

int cmd_hidden(struct cli *c, int argc, char **argv)
{
	bool json = false;
	struct ps_hidden_opts ho;
	ps_hidden_opts_init(&ho);
	const char *allow[MAX_ALLOW];
	size_t nallow = 0;
	const char *netns = NULL;
	struct cli_args a;
	cli_args_init(&a, c, &cli_hidden_spec, argc, argv);
	int id;
	while ((id = cli_next(&a)) != CLI_END) {
		switch (id) {
		case CLI_O_JSON: json = true; break;
		case CLI_O_VERBOSE: ho.verbose = true; break;
		case O_NOPROBE: ho.bind_probes = false; break;
		case O_RESERVED: ho.probe_reserved = true; break;
		case O_CONNECT: ho.connect_probes = true; break;
		case O_NOLIBC: ho.libc_view = false; break;
		case O_ALLOW:
			if (nallow == MAX_ALLOW)
				return cli_usage(c, "too many --allow (at most %d)", MAX_ALLOW);
			allow[nallow++] = a.val;
			break;
		case CLI_O_NETNS: netns = a.val; break;
		case O_THREADS: ho.threads = (int)a.num; break;
		case CLI_POS: return cli_usage(c, "unexpected argument '%s' (see `portsec hidden --help`)", a.val);
		}
	}
	if (a.rc || a.done)
		return a.rc;
	ho.allow = allow;
	ho.nallow = nallow;
	if (netns) {
		int r = enter_netns(c, netns);
		if (r != EXIT_OK)
			return r;
	}
	if (geteuid() != 0)
		fprintf(stderr, "portsec hidden: warning: not root: ports below 1024, other users' processes and eBPF programs cannot be checked; the checks below say what was skipped\n");
	double t0 = cli_now();
	struct ps_hidden_report *r = NULL;
	int err = ps_hidden_run(&ho, &r);
	if (err != PS_OK) {
		ps_hidden_free(r);
		if (err == PS_ERR_PERM)
			return cli_fail(c, EXIT_PRIV, "cannot read the socket views: permission denied");
		return cli_fail(c, EXIT_RUNTIME, "cannot read the socket views: %s", ps_strerror(err));
	}
	if (getenv("PORTSEC_TIMING"))
		fprintf(stderr, "portsec hidden: %.1f ms\n", (cli_now() - t0) * 1e3);
	cli_report_sources(c, r->inv);
	struct ps_out_opts oo = {.color = c->color, .verbose = ho.verbose};
	struct ps_buf b;
	cli_buf_stdout(&b);
	ps_out_emit(&b, PS_VIEW_HIDDEN, json ? "json" : "text", &(struct ps_out_doc){.hidden = r}, &oo);
	int code = cli_finish_stdout(c, &b);
	bool findings = r->by_severity[PS_SEV_HIGH] + r->by_severity[PS_SEV_MEDIUM] > 0;
	bool complete = ps_hidden_complete(r);
	ps_hidden_free(r);
	/* findings first (they are real); else a check that could not run makes
	 * the all-clear incomplete: exit 4, never a silent pass */
	if (code == EXIT_OK && findings)
		return EXIT_FINDINGS;
	if (code == EXIT_OK && !complete) {
		fprintf(stderr, "portsec hidden: incomplete: some checks could not run (first line of the output); run as root\n");
		return EXIT_PRIV;
	}
	return code;
}
