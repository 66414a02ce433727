/* cmd_hidden.c - `portsec hidden`: hidden ports and backdoors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: portsec hidden [OPTIONS]\n"
	"\n"
	"Find sockets, ports and passive backdoors hidden from the usual tools, by\n"
	"comparing views of the kernel socket by socket: sock_diag and /proc/net (raw\n"
	"syscalls), every process's fds, the kernel's sockstat counters, libc's reads\n"
	"(what a preload rootkit filters), and a bind() probe of every TCP and UDP port\n"
	"in IPv4 and IPv6.  Also: packet and raw sockets with their owners and decoded\n"
	"BPF filters, eBPF socket filters and probe_write_user programs, processes\n"
	"whose name does not fit their executable or whose executable was deleted,\n"
	"/etc/ld.so.preload and LD_PRELOAD, known backdoor ports (a hint).\n"
	"Legitimate one-view cases (bound-only, time-wait, dual-stack, v6-only,\n"
	"REUSEPORT, owners out of sight) are not findings; -v explains them.\n"
	"\n"
	"  --json              the JSON document (findings, checks with timings)\n"
	"  -v, --verbose       also info findings that explain legitimate cases\n"
	"  --no-probe          cross-view only: no bind() sweep\n"
	"  --probe-reserved    also probe ports in ip_local_reserved_ports (skipped by\n"
	"                      default so a service starting there never finds them taken)\n"
	"  --connect           also connect() to every port on 127.0.0.1 and ::1\n"
	"  --no-libc-view      skip the comparison with libc's reads\n"
	"  --allow NAME        a capture tool you allow to hold packet sockets: its\n"
	"                      executable's path or basename (never its self-chosen\n"
	"                      name); repeatable\n"
	"  -N, --netns NAME    check the namespace /run/netns/NAME (or a path to a netns file)\n"
	"  --threads N         worker threads (default: CPUs)\n"
	"  --no-color          no ANSI colours\n"
	"\n"
	"Exit 0 when nothing of medium or high severity was found, 1 when something\n"
	"was, 2 for bad usage, 3 when the views could not be read, 4 when a check\n"
	"could not run or saw only part of what it covers (no privilege).  Run as root:\n"
	"without it the probes of ports below 1024, other users' processes and eBPF\n"
	"programs are out of reach (the checks say so).\n";

enum { O_JSON = 256, O_NOPROBE, O_RESERVED, O_CONNECT, O_NOLIBC, O_ALLOW, O_THREADS, O_NOCOLOR };

static const struct option longopts[] = {
	{"json", no_argument, NULL, O_JSON},
	{"verbose", no_argument, NULL, 'v'},
	{"no-probe", no_argument, NULL, O_NOPROBE},
	{"probe-reserved", no_argument, NULL, O_RESERVED},
	{"connect", no_argument, NULL, O_CONNECT},
	{"no-libc-view", no_argument, NULL, O_NOLIBC},
	{"allow", required_argument, NULL, O_ALLOW},
	{"netns", required_argument, NULL, 'N'},
	{"threads", required_argument, NULL, O_THREADS},
	{"no-color", no_argument, NULL, O_NOCOLOR},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
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
	int vr = cli_check_values(c, argc, argv, "hvN:", longopts);
	if (vr != EXIT_OK)
		return vr;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "+hvN:", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON: json = true; break;
		case 'v': ho.verbose = true; break;
		case O_NOPROBE: ho.bind_probes = false; break;
		case O_RESERVED: ho.probe_reserved = true; break;
		case O_CONNECT: ho.connect_probes = true; break;
		case O_NOLIBC: ho.libc_view = false; break;
		case O_ALLOW:
			if (!*optarg)
				return cli_usage(c, "--allow needs a program name");
			if (nallow == MAX_ALLOW)
				return cli_usage(c, "too many --allow (at most %d)", MAX_ALLOW);
			allow[nallow++] = optarg;
			break;
		case 'N': netns = optarg; break;
		case O_THREADS: {
			uint64_t v;
			if (ps_parse_uint(optarg, 1, 64, &v) != PS_OK)
				return cli_usage(c, "bad --threads '%s' (1-64)", optarg);
			ho.threads = (int)v;
			break;
		}
		case O_NOCOLOR: c->color = false; break;
		case 'h': cli_print(help); return EXIT_OK;
		default:
			if (optopt == 'N' || (optopt == 0 && strcmp(argv[optind - 1], "--netns") == 0))
				return cli_usage(c, "-N needs a namespace name");
			if (optopt && optopt < 256)
				return cli_usage(c, "unknown option '-%c' (see `portsec hidden --help`)", optopt);
			if (optopt >= 256)
				return cli_usage(c, "option '%s' needs a value", argv[optind - 1]);
			return cli_usage(c, "unknown option '%s' (see `portsec hidden --help`)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s' (see `portsec hidden --help`)", argv[optind]);
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
	ps_out_hidden(&b, json, r, &oo);
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
