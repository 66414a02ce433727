// SPDX-License-Identifier: GPL-2.0
/* watch.bpf.c - the kernel side of `portsec watch` (CO-RE, libbpf):
 *  - tp_btf/inet_sock_set_state: TCP sockets entering or leaving LISTEN;
 *  - cgroup/bind4, cgroup/bind6 on the root cgroup: every bind() (UDP and
 *    TCP), allowed through unchanged.
 * Each event carries pid, tgid, comm, the netns inode, the socket cookie,
 * family, protocol, address and port, into one ring buffer.  Nothing here
 * decides anything: the user-space side judges. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "watch_event.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* 1 MiB: bounded whatever the event rate */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&dropped, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* who and when: the task that caused the event */
static __always_inline void fill_task(struct ps_wev *e)
{
	__u64 id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = id >> 32;
	e->pid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof e->comm);
}

#define TCP_LISTEN 10
#define TCP_CLOSE 7

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_state, const struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_LISTEN && oldstate != TCP_LISTEN)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	struct ps_wev *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_task(e);
	e->kind = newstate == TCP_LISTEN ? PS_WEV_LISTEN : PS_WEV_CLOSE;
	e->proto = IPPROTO_TCP;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->cookie = bpf_get_socket_cookie((void *)sk);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (e->family == 2 /* AF_INET */) {
		__builtin_memset(e->addr, 0, sizeof e->addr);
		__u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->addr, &a, 4);
	} else {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int on_bind(struct bpf_sock_addr *ctx, int v6)
{
	struct ps_wev *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
	if (!e) {
		count_drop();
		return 1;
	}
	fill_task(e);
	e->kind = PS_WEV_BIND;
	e->proto = ctx->protocol;
	e->family = v6 ? 10 : 2;
	e->port = bpf_ntohs((__u16)ctx->user_port);
	e->cookie = bpf_get_socket_cookie(ctx);
	e->netns = 0;
	__builtin_memset(e->addr, 0, sizeof e->addr);
	if (v6) {
		e->addr32[0] = ctx->user_ip6[0];
		e->addr32[1] = ctx->user_ip6[1];
		e->addr32[2] = ctx->user_ip6[2];
		e->addr32[3] = ctx->user_ip6[3];
	} else {
		e->addr32[0] = ctx->user_ip4;
	}
	bpf_ringbuf_submit(e, 0);
	return 1; /* allow: portsec watches, it never blocks */
}

SEC("cgroup/bind4")
int watch_bind4(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, 0);
}

SEC("cgroup/bind6")
int watch_bind6(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, 1);
}
