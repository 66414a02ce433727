/* scan_conn.c - the unprivileged TCP engine: non-blocking connect()s, many
 * in flight, on one epoll.  SO_LINGER 0 closes every socket with a RST, so
 * no TIME_WAIT piles up.  IP_RECVERR/IPV6_RECVERR put the ICMP error that
 * ended a connect on the socket's error queue: ECONNREFUSED from an ICMP
 * port-unreachable (a firewall's REJECT) is "filtered, port-unreach", not
 * "closed" - the distinction nmap -sT misses. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portsec/ps_error.h"
#include "scan_int.h"

struct cslot {
	int fd;
	uint32_t gen;
	uint64_t t;
	uint32_t start_us;
};

static void finish(struct scan_pass *p, struct cslot *s, int err, int ep)
{
	size_t h = (size_t)(s->t % p->nhosts);
	uint8_t st = 0, rs = 0;
	struct scan_icmp_err ie;
	if (err == 0) {
		st = PS_PST_OPEN, rs = PS_RS_SYN_ACK;
		/* a connect to our own address can pick the target port as its
		 * source port and connect to itself (TCP simultaneous open): no
		 * listener there, the port is closed */
		struct sockaddr_storage me, peer;
		socklen_t ml = sizeof me, pl = sizeof peer;
		if (getsockname(s->fd, (struct sockaddr *)&me, &ml) == 0 &&
		    getpeername(s->fd, (struct sockaddr *)&peer, &pl) == 0 && ml == pl && memcmp(&me, &peer, ml) == 0)
			st = PS_PST_CLOSED, rs = PS_RS_CONN_REFUSED;
	} else if (scan_errqueue(s->fd, &ie) &&
		   ps_icmp_verdict(ie.origin == SO_EE_ORIGIN_ICMP ? AF_INET : AF_INET6, ie.type, ie.code, &st, &rs)) {
		/* st/rs from the ICMP error */
	} else if (err == ECONNREFUSED) {
		st = PS_PST_CLOSED, rs = PS_RS_CONN_REFUSED;
	} else if (err == EHOSTUNREACH || err == ENETUNREACH || err == EACCES || err == EPERM) {
		st = PS_PST_FILTERED;
		rs = err == ENETUNREACH ? PS_RS_NET_UNREACH : err == EHOSTUNREACH ? PS_RS_HOST_UNREACH
										   : PS_RS_ADMIN_PROHIBITED;
	}
	if (st) {
		scan_answer(p, s->t, st, rs, 0, err == 0 || err == ECONNREFUSED);
		if (rs != PS_RS_NET_UNREACH && rs != PS_RS_HOST_UNREACH)
			scan_host_answer(p, h, rs, 0);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	s->gen++;
}

int scan_connect_pass(struct scan_pass *p)
{
	const struct ps_timing *tm = p->tm;
	const struct ps_scan_opts *o = p->o;
	unsigned maxpar = tm->max_parallel ? tm->max_parallel : 1024;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < maxpar + 64u) {
			rl.rlim_cur = rl.rlim_max < maxpar + 64u ? rl.rlim_max : maxpar + 64u;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < maxpar + 64u)
			maxpar = rl.rlim_cur > 96 ? (unsigned)rl.rlim_cur - 64 : 32;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return PS_ERR_SYS;
	struct cslot *slots = calloc(maxpar, sizeof *slots);
	uint32_t *freel = malloc(maxpar * sizeof *freel);
	struct epoll_event *evs = malloc(256 * sizeof *evs);
	struct fifo inflight = {0}, retry = {0};
	int rc = PS_OK;
	if (!slots || !freel || !evs) {
		rc = PS_ERR_NOMEM;
		goto out;
	}
	size_t nfree = maxpar;
	for (unsigned i = 0; i < maxpar; i++)
		slots[i].fd = -1, freel[i] = maxpar - 1 - i;
	struct ps_perm perm;
	ps_perm_init(&perm, p->n, o->seed_given ? o->seed : ((uint64_t)p->key[0] << 32 | p->key[5]));
	uint64_t total = ps_shard_len(p->n, o->shard_k, o->shard_n), next = 0, decided = 0;
	struct pacer pc;
	pacer_init(&pc, tm->max_rate > 0 ? tm->max_rate : 1e7);
	double last_prog = 0, stall_since = 0;
	double deadline = tm->host_timeout_ms ? p->t0 + (double)tm->host_timeout_ms : 0;
	int one = 1;
	struct linger lg = {1, 0};
	while ((next < total || retry.len || nfree < maxpar) && !(o->stop && *o->stop)) {
		if (deadline && ps_mono_ms() > deadline)
			break;
		/* start connects */
		unsigned budget = pacer_take(&pc, nfree < 256 ? (unsigned)nfree : 256);
		unsigned used = 0;
		while (used < budget && nfree && (retry.len || next < total)) {
			uint64_t t;
			if (retry.len) {
				t = retry.v[retry.head];
				retry.head = (retry.head + 1) % retry.cap, retry.len--;
			} else
				t = scan_target_of(p, &perm, next++);
			const struct ps_host_addr *H = &p->hosts[t % p->nhosts];
			uint16_t port = p->ports[t / p->nhosts];
			int fam = H->family;
			int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS) {
					fifo_push(&retry, t);
					break;
				}
				rc = PS_ERR_SYS;
				goto out;
			}
			setsockopt(fd, fam == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, fam == AF_INET ? IP_RECVERR : IPV6_RECVERR,
				   &one, sizeof one);
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			struct sockaddr_storage ss;
			socklen_t sl = scan_sockaddr(&ss, H, port);
			uint32_t si = freel[--nfree];
			struct cslot *s = &slots[si];
			s->fd = fd, s->t = t, s->start_us = scan_now_us(p);
			p->tries[t]++;
			p->sent_us[t] = s->start_us;
			p->stats->sent++;
			if (p->tries[t] > 1)
				p->stats->retransmits++;
			used++;
			int r = connect(fd, (struct sockaddr *)&ss, sl);
			if (r == 0 || errno != EINPROGRESS) {
				int err = r == 0 ? 0 : errno;
				if (err == EADDRNOTAVAIL || err == EAGAIN) {
					/* out of local ports: back off and retry */
					close(fd);
					s->fd = -1, s->gen++;
					freel[nfree++] = si;
					p->tries[t]--;
					fifo_push(&retry, t);
					/* nothing in flight will free a port: give up after 2 s
					 * rather than spin (the ephemeral range is exhausted) */
					if (nfree == maxpar) {
						double now = ps_mono_ms();
						if (!stall_since)
							stall_since = now;
						else if (now - stall_since > 2000) {
							errno = EADDRNOTAVAIL;
							rc = PS_ERR_SYS;
							goto out;
						}
					}
					break;
				}
				s->fd = fd;
				finish(p, s, err, ep);
				freel[nfree++] = si;
				decided++;
				continue;
			}
			stall_since = 0;
			struct epoll_event ev = {.events = EPOLLOUT | EPOLLERR, .data.u64 = (uint64_t)si << 32 | s->gen};
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			fifo_push(&inflight, (uint64_t)si << 32 | s->gen);
		}
		if (used < budget)
			pc.tokens += budget - used;
		/* completions */
		int wait = nfree == maxpar ? 0 : 1;
		if (used == 0 && nfree == maxpar && (retry.len || next < total))
			wait = 1;
		int n = epoll_wait(ep, evs, 256, wait);
		for (int i = 0; i < n; i++) {
			uint32_t si = (uint32_t)(evs[i].data.u64 >> 32), gen = (uint32_t)evs[i].data.u64;
			struct cslot *s = &slots[si];
			if (s->fd < 0 || s->gen != gen)
				continue;
			int err = 0;
			socklen_t el = sizeof err;
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			finish(p, s, err, ep);
			freel[nfree++] = si;
			decided++;
		}
		/* timeouts, oldest first */
		uint32_t to = scan_timeout_us(p), now_us = scan_now_us(p);
		while (inflight.len) {
			uint64_t v = inflight.v[inflight.head];
			struct cslot *s = &slots[v >> 32];
			if (s->fd < 0 || s->gen != (uint32_t)v) {
				inflight.head = (inflight.head + 1) % inflight.cap, inflight.len--;
				continue;
			}
			if (now_us - s->start_us < to)
				break;
			inflight.head = (inflight.head + 1) % inflight.cap, inflight.len--;
			uint64_t t = s->t;
			epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
			close(s->fd);
			s->fd = -1, s->gen++;
			freel[nfree++] = (uint32_t)(v >> 32);
			if (p->tries[t] < scan_max_tries(p, total))
				fifo_push(&retry, t);
			else {
				uint8_t none = PS_PST_NONE;
				if (atomic_compare_exchange_strong(&p->st[t], &none, PS_PST_FILTERED))
					p->rs[t] = PS_RS_NO_RESPONSE;
				decided++;
			}
		}
		scan_progress(p, "connect", decided, total, pc.rate, &last_prog);
	}
out:
	for (unsigned i = 0; slots && i < maxpar; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	p->stats->replies += atomic_load(&p->replies);
	fifo_free(&inflight);
	fifo_free(&retry);
	free(slots);
	free(freel);
	free(evs);
	close(ep);
	return rc;
}
