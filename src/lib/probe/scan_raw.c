/* scan_raw.c - the raw-socket engine: TCP SYN (and, for host discovery,
 * TCP ACK, ICMP echo and timestamp) probes.
 *
 * Send path (the calling thread): walks the shard's permutation, paces with
 * a token bucket, batches with sendmmsg(), keeps outstanding targets in a
 * FIFO and retransmits those still unanswered when the RTT-adaptive timeout
 * expires; after max_retries it calls them filtered (no-response).
 * Receive path (a second thread): raw TCP and ICMP sockets with a classic
 * BPF filter on our source port; every reply is validated against the
 * keyed cookie (SYN: ack == cookie+1; ACK: RST seq == cookie; ICMP errors:
 * the quoted sequence number) before it may change a state. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portsec/ps_error.h"
#include "scan_int.h"

#define BATCH 64

struct raw_ctx {
	struct scan_pass *p;
	int s4send, s4tcp, s4icmp, s6tcp, s6icmp, route4;
	_Atomic bool stop_rx;
	bool have4, have6;
};

struct batch {
	int fd;
	unsigned n;
	uint8_t buf[BATCH][64];
	struct sockaddr_storage sa[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mh[BATCH];
};

static void attach_port_filter(int fd, uint16_t sport, bool ip_header)
{
	/* ip_header: IPv4 raw socket (IP header first), else the TCP header first */
	struct sock_filter f4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sport, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter f6[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sport, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = ip_header ? 5 : 4, .filter = ip_header ? f4 : f6};
	setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static void big_buffers(int fd)
{
	int sz = 32 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	int ssz = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &ssz, sizeof ssz) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &ssz, sizeof ssz);
}

static int open_sockets(struct raw_ctx *c)
{
	struct scan_pass *p = c->p;
	c->s4send = c->s4tcp = c->s4icmp = c->s6tcp = c->s6icmp = c->route4 = -1;
	for (size_t h = 0; h < p->nhosts; h++) {
		if (p->hosts[h].family == AF_INET)
			c->have4 = true;
		else
			c->have6 = true;
	}
	int one = 1;
	if (c->have4) {
		c->s4send = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		c->s4tcp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
		c->s4icmp = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
		c->route4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->s4send < 0 || c->s4tcp < 0 || c->s4icmp < 0 || c->route4 < 0)
			return errno == EPERM || errno == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
		big_buffers(c->s4send);
		big_buffers(c->s4tcp);
		big_buffers(c->s4icmp);
		attach_port_filter(c->s4tcp, p->sport, true);
	}
	if (c->have6) {
		c->s6tcp = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
		c->s6icmp = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
		if (c->s6tcp < 0 || c->s6icmp < 0)
			return errno == EPERM || errno == EACCES ? PS_ERR_PERM : PS_ERR_SYS;
		int off = 16;
		setsockopt(c->s6tcp, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof off);
		setsockopt(c->s6tcp, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
		setsockopt(c->s6icmp, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(c->s6icmp, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
		big_buffers(c->s6tcp);
		big_buffers(c->s6icmp);
		attach_port_filter(c->s6tcp, p->sport, false);
	}
	return PS_OK;
}

static void close_sockets(struct raw_ctx *c)
{
	int *fds[] = {&c->s4send, &c->s4tcp, &c->s4icmp, &c->s6tcp, &c->s6icmp, &c->route4};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (*fds[i] >= 0)
			close(*fds[i]), *fds[i] = -1;
}

/* ---------------- receive ---------------- */
static uint16_t echo_id(const struct scan_pass *p, const struct ps_host_addr *h)
{
	return (uint16_t)scan_cookie(p, h->family, h->addr, 0);
}

static void on_packet(struct raw_ctx *c, struct ps_pkt *k)
{
	struct scan_pass *p = c->p;
	int fam = k->family;
	if (k->kind == PS_PK_TCP) {
		if (k->dport != p->sport)
			return;
		long h = scan_host_find(p, fam, k->src);
		int32_t slot = p->slot_of_port[k->sport];
		if (h < 0 || slot < 0) {
			atomic_fetch_add(&p->invalid, 1);
			return;
		}
		uint64_t t = scan_t(p, (size_t)h, (size_t)slot);
		uint8_t kind = p->kinds ? p->kinds[slot] : PK_SYN;
		uint32_t ck = scan_cookie(p, fam, k->src, k->sport);
		if (kind == PK_SYN && k->ack == ck + 1 && (k->flags & (PS_TH_SYN | PS_TH_ACK)) == (PS_TH_SYN | PS_TH_ACK)) {
			scan_answer(p, t, PS_PST_OPEN, PS_RS_SYN_ACK, k->ttl, true);
			scan_host_answer(p, (size_t)h, PS_RS_SYN_ACK, k->ttl);
		} else if (kind == PK_SYN && (k->flags & PS_TH_RST) && k->ack == ck + 1) {
			scan_answer(p, t, PS_PST_CLOSED, PS_RS_RESET, k->ttl, true);
			scan_host_answer(p, (size_t)h, PS_RS_RESET, k->ttl);
		} else if (kind == PK_ACK && (k->flags & PS_TH_RST) && k->seq == ck) {
			scan_answer(p, t, PS_PST_UNFILTERED, PS_RS_RESET, k->ttl, true);
			scan_host_answer(p, (size_t)h, PS_RS_RESET, k->ttl);
		} else
			atomic_fetch_add(&p->invalid, 1);
		return;
	}
	if (k->kind == PS_PK_ECHO_REPLY || k->kind == PS_PK_TS_REPLY) {
		long h = scan_host_find(p, fam, k->src);
		if (h < 0 || !p->kinds || k->icmp_seq >= p->nports || k->icmp_id != echo_id(p, &p->hosts[h])) {
			atomic_fetch_add(&p->invalid, 1);
			return;
		}
		uint8_t want = k->kind == PS_PK_ECHO_REPLY ? PK_ECHO : PK_TSTAMP;
		if (p->kinds[k->icmp_seq] != want)
			return;
		uint8_t rs = want == PK_ECHO ? PS_RS_ECHO_REPLY : PS_RS_TIMESTAMP_REPLY;
		scan_answer(p, scan_t(p, (size_t)h, k->icmp_seq), PS_PST_OPEN, rs, k->ttl, true);
		scan_host_answer(p, (size_t)h, rs, k->ttl);
		return;
	}
	if (k->kind == PS_PK_ICMP_ERR) {
		long h = scan_host_find(p, fam, k->inner_dst);
		if (h < 0)
			return;
		atomic_fetch_add(&p->icmp_errors, 1);
		uint8_t st, rs;
		if (!ps_icmp_verdict(fam, k->icmp_type, k->icmp_code, &st, &rs))
			return;
		bool from_target = memcmp(k->src, k->inner_dst, fam == AF_INET ? 4 : 16) == 0;
		uint8_t proto = k->inner_proto;
		if ((proto == IPPROTO_TCP) && k->sport == p->sport) {
			int32_t slot = p->slot_of_port[k->dport];
			if (slot < 0 || k->seq != scan_cookie(p, fam, k->inner_dst, k->dport)) {
				atomic_fetch_add(&p->invalid, 1);
				return;
			}
			scan_answer(p, scan_t(p, (size_t)h, (size_t)slot), st, rs, k->ttl, true);
		} else if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && p->kinds) {
			if (k->icmp_id != echo_id(p, &p->hosts[h]) || k->icmp_seq >= p->nports)
				return;
			scan_answer(p, scan_t(p, (size_t)h, k->icmp_seq), st, rs, k->ttl, false);
		} else
			return;
		if (from_target)
			scan_host_answer(p, (size_t)h, rs, k->ttl);
	}
}

static void drain(struct raw_ctx *c, int fd, int family, bool icmp)
{
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	static _Thread_local uint8_t bufs[BATCH][1600];
	struct sockaddr_in6 from[BATCH];
	char ctl[BATCH][64];
	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof bufs[i];
			memset(&mh[i].msg_hdr, 0, sizeof mh[i].msg_hdr);
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
			mh[i].msg_hdr.msg_name = &from[i];
			mh[i].msg_hdr.msg_namelen = sizeof from[i];
			mh[i].msg_hdr.msg_control = ctl[i];
			mh[i].msg_hdr.msg_controllen = sizeof ctl[i];
		}
		int n = recvmmsg(fd, mh, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct ps_pkt k;
			memset(&k, 0, sizeof k);
			size_t len = mh[i].msg_len;
			int rc;
			if (family == AF_INET)
				rc = ps_pkt_parse_ip4(bufs[i], len, &k);
			else {
				rc = icmp ? ps_pkt_parse_icmp6(bufs[i], len, &k) : ps_pkt_parse_tcp6(bufs[i], len, &k);
				memcpy(k.src, &from[i].sin6_addr, 16);
				for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh[i].msg_hdr); cm;
				     cm = CMSG_NXTHDR(&mh[i].msg_hdr, cm))
					if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT) {
						int hl;
						memcpy(&hl, CMSG_DATA(cm), sizeof hl);
						k.ttl = (uint8_t)hl;
					}
			}
			if (rc == PS_OK)
				on_packet(c, &k);
		}
		if (n < BATCH)
			return;
	}
}

static void *rx_main(void *arg)
{
	struct raw_ctx *c = arg;
	struct pollfd pf[4];
	int fam[4];
	bool icmp[4];
	int n = 0;
	if (c->s4tcp >= 0)
		pf[n] = (struct pollfd){.fd = c->s4tcp, .events = POLLIN}, fam[n] = AF_INET, icmp[n++] = false;
	if (c->s4icmp >= 0)
		pf[n] = (struct pollfd){.fd = c->s4icmp, .events = POLLIN}, fam[n] = AF_INET, icmp[n++] = true;
	if (c->s6tcp >= 0)
		pf[n] = (struct pollfd){.fd = c->s6tcp, .events = POLLIN}, fam[n] = AF_INET6, icmp[n++] = false;
	if (c->s6icmp >= 0)
		pf[n] = (struct pollfd){.fd = c->s6icmp, .events = POLLIN}, fam[n] = AF_INET6, icmp[n++] = true;
	while (!atomic_load(&c->stop_rx)) {
		if (poll(pf, (nfds_t)n, 5) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (pf[i].revents & POLLIN)
				drain(c, pf[i].fd, fam[i], icmp[i]);
	}
	/* what is queued already */
	for (int i = 0; i < n; i++)
		drain(c, pf[i].fd, fam[i], icmp[i]);
	return NULL;
}

/* ---------------- send ---------------- */
static int flush(struct raw_ctx *c, struct batch *b)
{
	(void)c;
	unsigned off = 0;
	int spins = 0;
	while (off < b->n) {
		int r = sendmmsg(b->fd, b->mh + off, b->n - off, 0);
		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			if (++spins > 1000)
				break;
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
			continue;
		}
		off++; /* skip the one that failed (EPERM from an output firewall,
			* ENETUNREACH): it will time out and be retried or called filtered */
	}
	b->n = 0;
	return PS_OK;
}

static bool src_for(struct raw_ctx *c, size_t h, uint8_t out[4])
{
	struct scan_pass *p = c->p;
	if (!p->src4[h]) {
		struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9)};
		memcpy(&d.sin_addr, p->hosts[h].addr, 4);
		struct sockaddr_in s;
		socklen_t sl = sizeof s;
		if (connect(c->route4, (struct sockaddr *)&d, sizeof d) != 0 ||
		    getsockname(c->route4, (struct sockaddr *)&s, &sl) != 0)
			return false;
		memcpy(&p->src4[h], &s.sin_addr, 4);
		if (!p->src4[h])
			return false;
	}
	memcpy(out, &p->src4[h], 4);
	return true;
}

/* queue the probe for target t; false when it cannot be sent (no route) */
static bool queue_probe(struct raw_ctx *c, struct batch *b4, struct batch *b4i, struct batch *b6, struct batch *b6i,
			uint64_t t, uint16_t *ipid)
{
	struct scan_pass *p = c->p;
	size_t h = (size_t)(t % p->nhosts), slot = (size_t)(t / p->nhosts);
	const struct ps_host_addr *H = &p->hosts[h];
	uint8_t kind = p->kinds ? p->kinds[slot] : PK_SYN;
	uint16_t port = p->ports[slot];
	bool v4 = H->family == AF_INET;
	bool icmp = kind == PK_ECHO || kind == PK_TSTAMP;
	if (kind == PK_TSTAMP && !v4)
		return false; /* no ICMPv6 timestamp */
	struct batch *b = v4 ? (icmp ? b4i : b4) : (icmp ? b6i : b6);
	unsigned i = b->n;
	uint8_t *buf = b->buf[i];
	size_t len;
	if (icmp) {
		uint16_t id = echo_id(p, H);
		len = v4 ? ps_pkt_icmp4(buf, kind == PK_ECHO ? 8 : 13, id, (uint16_t)slot)
			 : ps_pkt_icmp6_echo(buf, id, (uint16_t)slot);
	} else {
		uint32_t ck = scan_cookie(p, H->family, H->addr, port);
		uint32_t seq = kind == PK_SYN ? ck : ck ^ 0x5a5a5a5a;
		uint32_t ack = kind == PK_SYN ? 0 : ck;
		uint8_t fl = kind == PK_SYN ? PS_TH_SYN : PS_TH_ACK;
		if (v4) {
			uint8_t src[4];
			if (!src_for(c, h, src))
				return false;
			len = ps_pkt_tcp4(buf, src, H->addr, p->sport, port, seq, ack, fl, 64, (*ipid)++);
		} else
			len = ps_pkt_tcp6(buf, p->sport, port, seq, ack, fl);
	}
	socklen_t sl = scan_sockaddr(&b->sa[i], H, 0); /* raw sockets: port 0 */
	b->iov[i] = (struct iovec){.iov_base = buf, .iov_len = len};
	memset(&b->mh[i], 0, sizeof b->mh[i]);
	b->mh[i].msg_hdr.msg_name = &b->sa[i];
	b->mh[i].msg_hdr.msg_namelen = sl;
	b->mh[i].msg_hdr.msg_iov = &b->iov[i];
	b->mh[i].msg_hdr.msg_iovlen = 1;
	b->n++;
	p->tries[t]++;
	p->sent_us[t] = scan_now_us(p);
	p->stats->sent++;
	if (p->tries[t] > 1)
		p->stats->retransmits++;
	if (b->n == BATCH)
		flush(c, b);
	return true;
}

int scan_raw_pass(struct scan_pass *p)
{
	struct raw_ctx c = {.p = p};
	int rc = open_sockets(&c);
	if (rc != PS_OK) {
		close_sockets(&c);
		return rc;
	}
	struct batch *bs = calloc(4, sizeof *bs);
	if (!bs) {
		close_sockets(&c);
		return PS_ERR_NOMEM;
	}
	bs[0].fd = c.s4send, bs[1].fd = c.s4icmp, bs[2].fd = c.s6tcp, bs[3].fd = c.s6icmp;
	pthread_t rx;
	if (pthread_create(&rx, NULL, rx_main, &c) != 0) {
		free(bs);
		close_sockets(&c);
		return PS_ERR_SYS;
	}
	const struct ps_timing *tm = p->tm;
	const struct ps_scan_opts *o = p->o;
	struct ps_perm perm;
	ps_perm_init(&perm, p->n, o->seed_given ? o->seed : ((uint64_t)p->key[0] << 32 | p->key[5]));
	uint64_t total = ps_shard_len(p->n, o->shard_k, o->shard_n);
	double rate = tm->max_rate > 0 ? tm->max_rate : 1e7;
	double cap = rate;
	struct pacer pc;
	pacer_init(&pc, rate);
	struct fifo q = {0};
	uint64_t next = 0, decided = 0;
	uint16_t ipid = (uint16_t)p->key[3];
	double last_adapt = ps_mono_ms(), last_prog = 0;
	uint64_t last_replies = 0, last_retry = 0;
	double loss_floor = 0; /* the path's own steady loss (share of answers) */
	double deadline = tm->host_timeout_ms ? p->t0 + (double)tm->host_timeout_ms : 0;
	while ((next < total || q.len) && !(o->stop && *o->stop)) {
		double now = ps_mono_ms();
		if (deadline && now > deadline)
			break;
		unsigned budget = pacer_take(&pc, BATCH);
		unsigned used = 0;
		/* 1. expired probes: resend or give up */
		uint64_t t;
		while (used < budget &&
		       (t = scan_fifo_due(p, &q, scan_max_tries(p, total), PS_PST_FILTERED, &decided)) !=
			       SCAN_NOT_DUE) {
			fifo_pop(&q);
			if (queue_probe(&c, &bs[0], &bs[1], &bs[2], &bs[3], t, &ipid)) {
				fifo_push(&q, t);
				used++;
			}
		}
		/* 2. new probes */
		while (used < budget && next < total) {
			t = scan_target_of(p, &perm, next++);
			if (queue_probe(&c, &bs[0], &bs[1], &bs[2], &bs[3], t, &ipid)) {
				if (fifo_push(&q, t) != PS_OK) {
					rc = PS_ERR_NOMEM;
					goto out;
				}
				used++;
			} else {
				scan_answer(p, t, PS_PST_FILTERED, PS_RS_NO_ROUTE, 0, false);
				decided++;
			}
		}
		for (int i = 0; i < 4; i++)
			if (bs[i].n)
				flush(&c, &bs[i]);
		if (used < budget)
			pc.tokens += budget - used; /* give back what was not used */
		/* 3. adapt the rate to congestion: answers that needed a
		 * retransmission mean drops.  A path that loses a steady share of
		 * packets whatever the rate (a lossy link) is no reason to slow
		 * down: only loss above the path's own floor is congestion.  The
		 * floor follows the loss seen, rising at most 0.01 a window (0.2 a
		 * second), so a jump in loss (congestion) is answered at once. */
		if (now - last_adapt >= 50) {
			uint64_t rep = atomic_load(&p->replies), rtr = atomic_load(&p->retry_answers);
			uint64_t dr = rep - last_replies, dt = rtr - last_retry;
			double wl = dr ? (double)dt / (double)dr : 0;
			bool congested = dr >= 20 && wl > 2 * loss_floor + 0.03;
			if (dr >= 20)
				loss_floor = wl < loss_floor + 0.01 ? wl : loss_floor + 0.01;
			if (congested)
				rate = rate * 0.6 > (tm->min_rate > 0 ? tm->min_rate : 100) ? rate * 0.6
											 : (tm->min_rate > 0 ? tm->min_rate : 100);
			else if (rate < cap)
				rate = rate * 1.25 < cap ? rate * 1.25 : cap;
			pc.rate = rate;
			pc.burst = rate / 100 > 64 ? rate / 100 : (rate < 64 ? 1 : 64);
			last_replies = rep, last_retry = rtr, last_adapt = now;
			if (rate > p->stats->max_rate_seen)
				p->stats->max_rate_seen = rate;
		}
		scan_progress(p, p->kinds ? "discovery" : "syn", decided, total, rate, &last_prog);
		if (used == 0) {
			/* nothing to send now: sleep until a token or the head's deadline */
			double wait = pacer_wait_ms(&pc);
			if (q.len && next >= total) {
				uint64_t head = q.v[q.head];
				double due = ((double)p->sent_us[head] + scan_timeout_us(p) - scan_now_us(p)) / 1000.0;
				wait = due > wait ? due : wait;
			}
			if (wait > 2)
				wait = 2;
			if (wait < 0.05)
				wait = 0.05;
			struct timespec ts = {0, (long)(wait * 1e6)};
			nanosleep(&ts, NULL);
		}
	}
	/* late answers: one more smoothed RTT (bounded) */
	{
		uint32_t srtt = atomic_load(&p->srtt_us);
		double g = srtt ? 2.0 * srtt / 1000.0 + 2 : 10;
		if (g > 200)
			g = 200;
		struct timespec ts = {(time_t)(g / 1000), (long)((g - (double)(time_t)(g / 1000) * 1000) * 1e6)};
		nanosleep(&ts, NULL);
	}
out:
	atomic_store(&c.stop_rx, true);
	pthread_join(rx, NULL);
	p->stats->replies += atomic_load(&p->replies);
	p->stats->invalid_replies += atomic_load(&p->invalid);
	p->stats->late_replies += atomic_load(&p->late);
	p->stats->icmp_errors += atomic_load(&p->icmp_errors);
	p->stats->final_rate = rate;
	if (rate > p->stats->max_rate_seen)
		p->stats->max_rate_seen = rate;
	fifo_free(&q);
	free(bs);
	close_sockets(&c);
	return rc;
}
