/* inv_watch.c - the listen/bind event source of `portsec watch`: the CO-RE
 * program of src/bpf/watch.bpf.c (skeleton generated at build time),
 * loaded with libbpf, read from its ring buffer.  Load failures are returned
 * with libbpf's reason so the caller can say which fallback it takes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portsec/portsec.h"

#ifndef PORTSEC_BPF
/* built without clang/bpftool/BTF: the caller falls back to sock_diag */
int ps_listen_src_open_bpf(struct ps_listen_src **out, char *why, size_t cap)
{
	*out = NULL;
	snprintf(why, cap, "eBPF not built in (clang, bpftool or kernel BTF missing at build time)");
	return PS_ERR_UNSUPPORTED;
}
const char *ps_listen_src_name(const struct ps_listen_src *s)
{
	(void)s;
	return "none";
}
int ps_listen_src_fd(const struct ps_listen_src *s)
{
	(void)s;
	return -1;
}
int ps_listen_src_consume(struct ps_listen_src *s, void (*cb)(void *ctx, const struct ps_listen_ev *e), void *ctx)
{
	(void)s, (void)cb, (void)ctx;
	return 0;
}
uint64_t ps_listen_src_dropped(const struct ps_listen_src *s)
{
	(void)s;
	return 0;
}
void ps_listen_src_close(struct ps_listen_src *s)
{
	(void)s;
}
#else
#include <bpf/libbpf.h>

#include "watch_event.h"
#include "watch.skel.h"

struct ps_listen_src {
	struct watch_bpf *skel;
	struct ring_buffer *rb;
	int cgfd;
	struct bpf_link *l_state, *l_b4, *l_b6;
	void (*cb)(void *ctx, const struct ps_listen_ev *e);
	void *ctx;
	const char *hooks;
};

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ps_listen_src *s = ctx;
	if (size < sizeof(struct ps_wev))
		return 0;
	const struct ps_wev *w = data;
	struct ps_listen_ev e = {.mono_ns = w->ts_ns, .cookie = w->cookie, .netns = w->netns, .tgid = w->tgid,
				 .pid = w->pid, .uid = w->uid, .kind = w->kind, .proto = w->proto, .family = w->family,
				 .port = w->port};
	memcpy(e.comm, w->comm, sizeof e.comm);
	e.comm[sizeof e.comm - 1] = 0;
	memcpy(e.addr, w->addr, 16);
	if (s->cb)
		s->cb(s->ctx, &e);
	return 0;
}

void ps_listen_src_close(struct ps_listen_src *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	bpf_link__destroy(s->l_b6);
	bpf_link__destroy(s->l_b4);
	bpf_link__destroy(s->l_state);
	if (s->cgfd >= 0)
		close(s->cgfd);
	watch_bpf__destroy(s->skel);
	free(s);
}

int ps_listen_src_open_bpf(struct ps_listen_src **out, char *why, size_t cap)
{
	*out = NULL;
	libbpf_set_print(silent);
	struct ps_listen_src *s = calloc(1, sizeof *s);
	if (!s)
		return PS_ERR_NOMEM;
	s->cgfd = -1;
	int err = 0;
	const char *step = "open";
	s->skel = watch_bpf__open();
	if (!s->skel) {
		err = -errno;
		goto fail;
	}
	step = "load (verifier)";
	if ((err = watch_bpf__load(s->skel)) != 0)
		goto fail;
	step = "attach tp_btf/inet_sock_set_state";
	s->l_state = bpf_program__attach(s->skel->progs.on_state);
	if (!s->l_state) {
		err = -errno;
		goto fail;
	}
	/* the bind hooks hang on the root of the cgroup v2 hierarchy, wherever
	 * it is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host) */
	step = "find the cgroup v2 hierarchy in /proc/self/mountinfo (none mounted: cgroup v1 only)";
	char cg[256], *mi = NULL;
	size_t mlen = 0;
	bool have_cg = ps_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, &mlen, 1u << 22) == PS_OK &&
		       ps_cgroup2_mount(mi, mlen, cg, sizeof cg);
	free(mi);
	if (!have_cg) {
		err = -ENOENT;
		goto fail;
	}
	step = "open the root cgroup";
	s->cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->cgfd < 0) {
		err = -errno;
		goto fail;
	}
	step = "attach cgroup/bind4";
	s->l_b4 = bpf_program__attach_cgroup(s->skel->progs.watch_bind4, s->cgfd);
	if (!s->l_b4) {
		err = -errno;
		goto fail;
	}
	step = "attach cgroup/bind6";
	s->l_b6 = bpf_program__attach_cgroup(s->skel->progs.watch_bind6, s->cgfd);
	if (!s->l_b6) {
		err = -errno;
		goto fail;
	}
	step = "ring buffer";
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_sample, s, NULL);
	if (!s->rb) {
		err = -errno;
		goto fail;
	}
	s->hooks = "ebpf (tp_btf/inet_sock_set_state, cgroup/bind4, cgroup/bind6)";
	*out = s;
	return PS_OK;
fail:
	snprintf(why, cap, "eBPF %s failed: %s", step, strerror(err < 0 ? -err : EINVAL));
	ps_listen_src_close(s);
	return err == -EPERM || err == -EACCES ? PS_ERR_PERM : PS_ERR_SYS;
}

const char *ps_listen_src_name(const struct ps_listen_src *s)
{
	return s->hooks;
}

int ps_listen_src_fd(const struct ps_listen_src *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

int ps_listen_src_consume(struct ps_listen_src *s, void (*cb)(void *ctx, const struct ps_listen_ev *e), void *ctx)
{
	s->cb = cb;
	s->ctx = ctx;
	int n = ring_buffer__consume(s->rb);
	return n < 0 ? PS_ERR_SYS : n;
}

uint64_t ps_listen_src_dropped(const struct ps_listen_src *s)
{
	uint32_t k = 0;
	uint64_t v = 0;
	if (bpf_map__lookup_elem(s->skel->maps.dropped, &k, sizeof k, &v, sizeof v, 0) != 0)
		return 0;
	return v;
}
#endif
