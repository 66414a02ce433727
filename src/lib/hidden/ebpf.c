/* ebpf.c - eBPF programs that can hide or wait (through libbpf):
 *   - socket_filter programs: the kernel exports only classic filters per
 *     socket, so an eBPF filter on any socket is invisible to ss -b; we list
 *     the loaded ones and the processes holding them;
 *   - programs calling bpf_probe_write_user: how eBPF rootkits rewrite what
 *     ss and ps read (LinkPro, VoidLink).
 * Needs CAP_SYS_ADMIN (or CAP_BPF + CAP_PERFMON); without it the check says so. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_PROGS 4096
#define HELPER_PROBE_WRITE_USER 36

static const char *type_name(uint32_t t)
{
	switch (t) {
	case BPF_PROG_TYPE_SOCKET_FILTER: return "socket_filter";
	case BPF_PROG_TYPE_KPROBE: return "kprobe";
	case BPF_PROG_TYPE_SCHED_CLS: return "sched_cls (tc)";
	case BPF_PROG_TYPE_SCHED_ACT: return "sched_act (tc)";
	case BPF_PROG_TYPE_TRACEPOINT: return "tracepoint";
	case BPF_PROG_TYPE_XDP: return "xdp";
	case BPF_PROG_TYPE_CGROUP_SKB: return "cgroup_skb";
	case BPF_PROG_TYPE_CGROUP_SOCK: return "cgroup_sock";
	case BPF_PROG_TYPE_TRACING: return "tracing";
	case BPF_PROG_TYPE_LSM: return "lsm";
	}
	return "other";
}

/* processes holding an fd to program id (from the walk's bpf-prog fds) */
static void holders(struct hctx *c, struct ps_finding *f, uint32_t id)
{
	const struct ps_inventory *inv = c->inv;
	unsigned n = 0;
	for (size_t i = 0; i < inv->nbpffds && f; i++) {
		const struct ps_fdref *b = &inv->bpffds[i];
		char path[96], buf[512];
		snprintf(path, sizeof path, "%s/%d/fdinfo/%d", inv->proc_root, b->pid, b->fd);
		if (ps_read_small_at(AT_FDCWD, path, buf, sizeof buf) <= 0)
			continue;
		const char *p = strstr(buf, "prog_id:");
		if (!p || strtoul(p + 8, NULL, 10) != id)
			continue;
		if (n++ < 10)
			h_ev(c, f, "held by pid %d (%s) fd %d", b->pid, b->comm, b->fd);
		if (!f->pid)
			f->pid = b->pid;
	}
	if (!n && f)
		h_ev(c, f, "no process holds it: it is pinned or attached (to a socket, an interface or a hook)");
}

static bool calls_write_user(int fd, uint32_t xlated_len)
{
	if (!xlated_len || xlated_len > (1u << 24))
		return false;
	struct bpf_insn *ins = malloc(xlated_len);
	if (!ins)
		return false;
	struct bpf_prog_info info;
	memset(&info, 0, sizeof info);
	info.xlated_prog_len = xlated_len;
	info.xlated_prog_insns = (uint64_t)(uintptr_t)ins;
	uint32_t il = sizeof info;
	bool hit = false;
	if (bpf_obj_get_info_by_fd(fd, &info, &il) == 0) {
		size_t n = info.xlated_prog_len / sizeof *ins;
		if (n > xlated_len / sizeof *ins)
			n = xlated_len / sizeof *ins;
		for (size_t i = 0; i < n && !hit; i++)
			hit = ins[i].code == (BPF_JMP | BPF_CALL) && ins[i].src_reg == 0 &&
			      ins[i].imm == HELPER_PROBE_WRITE_USER;
	}
	free(ins);
	return hit;
}

void h_ebpf(struct hctx *c)
{
	struct ps_check *k = h_check(c, "ebpf");
	double t0 = h_now_ms();
	size_t first = c->r->nfindings;
	uint32_t id = 0;
	unsigned total = 0, sockf = 0, writers = 0, unreadable = 0;
	int err = 0;
	for (unsigned guard = 0; guard < MAX_PROGS; guard++) {
		if (bpf_prog_get_next_id(id, &id) != 0) {
			if (errno != ENOENT)
				err = errno;
			break;
		}
		int fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			unreadable++;
			continue;
		}
		total++;
		struct bpf_prog_info info;
		memset(&info, 0, sizeof info);
		uint32_t il = sizeof info;
		if (bpf_obj_get_info_by_fd(fd, &info, &il) != 0) {
			unreadable++;
			close(fd);
			continue;
		}
		if (calls_write_user(fd, info.xlated_prog_len)) {
			writers++;
			struct ps_finding *f = h_add(c, "ebpf-write-user", PS_SEV_HIGH,
						     "eBPF program id %u '%s' (%s) calls bpf_probe_write_user: it can rewrite what programs read (the eBPF rootkit technique)",
						     id, info.name, type_name(info.type));
			holders(c, f, id);
		}
		if (info.type == BPF_PROG_TYPE_SOCKET_FILTER) {
			sockf++;
			struct ps_finding *f = h_add(c, "ebpf-socket-filter", PS_SEV_MEDIUM,
						     "eBPF socket filter id %u '%s' is loaded: the kernel shows no socket's eBPF filter, so it may sit on any socket unseen (ss -b shows classic filters only)",
						     id, info.name);
			holders(c, f, id);
			if (f)
				h_ev(c, f, "%u instructions, loaded by uid %u", info.xlated_prog_len / 8,
				     info.created_by_uid);
		}
		close(fd);
	}
	k->findings = h_count_since(c, first);
	if (err)
		h_check_done(k, false, t0, "cannot list eBPF programs: %s%s", strerror(err),
			     err == EPERM ? " (needs CAP_SYS_ADMIN or CAP_BPF; run as root)" : "");
	else
		h_check_done(k, unreadable == 0, t0,
			     "%u programs: %u socket filters, %u calling bpf_probe_write_user%s", total, sockf,
			     writers, unreadable ? "; some unreadable" : "");
}
