/* scan_udp.c - the UDP engine (no privilege needed).
 *
 * One unconnected UDP socket per family sends the protocol payload of each
 * port (an empty datagram where none is known).  Answers come back on the
 * socket (open, udp-response); ICMP errors come back on its error queue
 * (IP_RECVERR), which names the original destination: port-unreachable is
 * closed, any other unreachable is filtered, silence is open|filtered.
 *
 * Linux targets send about one port-unreachable per second per peer after a
 * burst of 6 (net.ipv4.icmp_ratelimit), so after the fast pass most closed
 * ports are silent too.  A silent probe costs the target no token, so the
 * resolution phase cycles through the silent ports at a gentle pace faster
 * than the target's ICMP rate: every token the target regains becomes one
 * port-unreachable, i.e. one closed port found, at the target's own pace.
 * After each cycle it pauses until the target has tokens again and sends all
 * still-silent ports followed, back to back, by a "canary" to a port known to
 * be closed: if the canary is answered, the target had a token for every
 * closed port of the burst, so the silent ones are open|filtered.  What the
 * time budget leaves undecided is reported as such
 * (reason icmp-rate-limited), never guessed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portsec/ps_error.h"
#include "scan_int.h"

#define UBATCH 64
/* Linux refills one ICMP token per second per peer (net.ipv4.icmp_ratelimit
 * = 1000 ms): a host that answers none of the cycle's probes for this long
 * sends no port-unreachable at all */
#define NOICMP_MS 3500.0

struct uhost {
	uint32_t *q;            /* silent slots still to resolve */
	size_t qn, cur;         /* how many, the cycle's position */
	double next;            /* next probe of the cycle */
	double verify_at;       /* the pause ends: send the verification burst */
	bool pausing, verifying, canary_ok;
	double verify_sent;
	uint32_t canary_slot;   /* a slot known closed (port-unreach) */
	bool have_canary, limited, done;
	double last_icmp;       /* when the host last answered with ICMP */
	uint64_t icmp_resolve;
};

struct uctx {
	struct scan_pass *p;
	int fd4, fd6;
	struct uhost *uh;      /* resolution phase only */
	double last_icmp_ms;
};

static int open_udp(int family, uint16_t *port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, sz = 8 << 20;
	setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, family == AF_INET ? IP_RECVERR : IPV6_RECVERR,
		   &one, sizeof one);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_family = (sa_family_t)family;
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	/* the same port for both families when we can */
	((struct sockaddr_in *)&ss)->sin_port = htons(*port);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		((struct sockaddr_in *)&ss)->sin_port = 0;
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
			close(fd);
			return -1;
		}
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static bool sa_parse(const struct sockaddr_storage *ss, int *family, uint8_t addr[16], uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
		*family = AF_INET;
		memcpy(addr, &sa->sin_addr, 4);
		*port = ntohs(sa->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
		*family = AF_INET6;
		memcpy(addr, &sa->sin6_addr, 16);
		*port = ntohs(sa->sin6_port);
		return true;
	}
	return false;
}

static int send_one(struct uctx *u, uint64_t t)
{
	struct scan_pass *p = u->p;
	const struct ps_host_addr *H = &p->hosts[t % p->nhosts];
	uint16_t port = p->ports[t / p->nhosts];
	size_t len;
	const uint8_t *pl = ps_udp_payload(port, &len, NULL);
	struct sockaddr_storage ss;
	socklen_t sl = scan_sockaddr(&ss, H, port);
	int fd = H->family == AF_INET ? u->fd4 : u->fd6;
	p->tries[t]++;
	p->sent_us[t] = scan_now_us(p);
	p->stats->sent++;
	if (p->tries[t] > 1)
		p->stats->retransmits++;
	for (int spin = 0; spin < 100; spin++) {
		if (sendto(fd, pl ? pl : (const uint8_t *)"", len, 0, (struct sockaddr *)&ss, sl) >= 0)
			return PS_OK;
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
			continue;
		}
		/* an ICMP error of an earlier probe also sets the socket's pending
		 * error, which this sendto() reported instead of sending (the
		 * error queue still holds the details): send again */
		if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
		    errno == EPROTO || errno == ENOPROTOOPT || errno == EACCES)
			continue;
		/* EPERM from a local firewall, no route: the timeout tells */
		return PS_OK;
	}
	return PS_OK;
}

static void on_icmp(struct uctx *u, int family, const uint8_t *addr, uint16_t port, uint8_t origin, uint8_t type,
		    uint8_t code)
{
	struct scan_pass *p = u->p;
	long h = scan_host_find(p, family, addr);
	int32_t slot = p->slot_of_port[port];
	if (h < 0 || slot < 0)
		return;
	atomic_fetch_add(&p->icmp_errors, 1);
	u->last_icmp_ms = ps_mono_ms();
	uint64_t t = scan_t(p, (size_t)h, (size_t)slot);
	bool v4 = origin == SO_EE_ORIGIN_ICMP;
	if ((v4 && type == 3 && code == 3) || (!v4 && type == 1 && code == 4)) {
		scan_answer(p, t, PS_PST_CLOSED, PS_RS_PORT_UNREACH, 0, true);
		scan_host_answer(p, (size_t)h, PS_RS_PORT_UNREACH, 0);
		if (u->uh) {
			struct uhost *x = &u->uh[h];
			x->last_icmp = ps_mono_ms();
			if (!x->have_canary)
				x->canary_slot = (uint32_t)slot, x->have_canary = true;
			if (x->verifying && (uint32_t)slot == x->canary_slot)
				x->canary_ok = true;
			else
				x->icmp_resolve++;
		}
		return;
	}
	uint8_t st, rs;
	if (ps_icmp_verdict(v4 ? AF_INET : AF_INET6, type, code, &st, &rs))
		scan_answer(p, t, st, rs, 0, true);
}

static void drain(struct uctx *u, int fd)
{
	struct scan_pass *p = u->p;
	for (int round = 0; round < 256; round++) {
		/* errors first */
		struct scan_icmp_err e;
		if (scan_errqueue(fd, &e)) {
			on_icmp(u, e.family, e.addr, e.port, e.origin, e.type, e.code);
			continue;
		}
		uint8_t data[512];
		struct sockaddr_storage name;
		struct iovec iov = {data, sizeof data};
		struct msghdr m = {.msg_name = &name, .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t r;
		m.msg_namelen = sizeof name;
		r = recvmsg(fd, &m, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue; /* a pending error reported through recv */
		}
		int fam;
		uint8_t addr[16];
		uint16_t port;
		if (!sa_parse(&name, &fam, addr, &port))
			continue;
		long h = scan_host_find(p, fam, addr);
		int32_t slot = p->slot_of_port[port];
		if (h < 0 || slot < 0) {
			atomic_fetch_add(&p->invalid, 1);
			continue;
		}
		scan_answer(p, scan_t(p, (size_t)h, (size_t)slot), PS_PST_OPEN, PS_RS_UDP_RESPONSE, 0, true);
		scan_host_answer(p, (size_t)h, PS_RS_UDP_RESPONSE, 0);
	}
}

static void pump(struct uctx *u, int timeout_ms)
{
	struct pollfd pf[2];
	nfds_t n = 0;
	if (u->fd4 >= 0)
		pf[n++] = (struct pollfd){.fd = u->fd4, .events = POLLIN};
	if (u->fd6 >= 0)
		pf[n++] = (struct pollfd){.fd = u->fd6, .events = POLLIN};
	if (poll(pf, n, timeout_ms) <= 0)
		return;
	for (nfds_t i = 0; i < n; i++)
		if (pf[i].revents & (POLLIN | POLLERR))
			drain(u, pf[i].fd);
}

static bool stopped(const struct scan_pass *p)
{
	return p->o->stop && *p->o->stop;
}

/* phase 1: every port, paced, retried; silence -> open|filtered for now */
static int fast_pass(struct uctx *u)
{
	struct scan_pass *p = u->p;
	const struct ps_timing *tm = p->tm;
	const struct ps_scan_opts *o = p->o;
	struct ps_perm perm;
	ps_perm_init(&perm, p->n, o->seed_given ? o->seed : ((uint64_t)p->key[0] << 32 | p->key[5]));
	uint64_t total = ps_shard_len(p->n, o->shard_k, o->shard_n), next = 0, decided = 0;
	/* UDP has no congestion signal worth adapting to here: a fixed pace */
	struct pacer pc;
	pacer_init(&pc, tm->max_rate > 0 ? tm->max_rate : 1e6);
	struct fifo q = {0};
	unsigned tries = tm->max_retries < 1 ? 1 : 2; /* silence twice is enough: phase 2 decides */
	double last_prog = 0;
	while ((next < total || q.len) && !stopped(p)) {
		unsigned budget = pacer_take(&pc, UBATCH), used = 0;
		uint64_t t;
		while (used < budget &&
		       (t = scan_fifo_due(p, &q, tries, PS_PST_OPEN_FILTERED, &decided)) != SCAN_NOT_DUE) {
			fifo_pop(&q);
			send_one(u, t);
			fifo_push(&q, t);
			used++;
		}
		while (used < budget && next < total) {
			t = scan_target_of(p, &perm, next++);
			send_one(u, t);
			if (fifo_push(&q, t) != PS_OK) {
				fifo_free(&q);
				return PS_ERR_NOMEM;
			}
			used++;
		}
		if (used < budget)
			pc.tokens += budget - used;
		pump(u, used ? 0 : 1);
		scan_progress(p, "udp", decided, total, pc.rate, &last_prog);
	}
	pump(u, 5);
	fifo_free(&q);
	return PS_OK;
}

/* phase 2: tell closed from open|filtered at the target's ICMP pace */
static bool silent(const struct scan_pass *p, uint64_t t)
{
	return atomic_load(&p->st[t]) == PS_PST_OPEN_FILTERED && p->rs[t] == PS_RS_NO_RESPONSE;
}

static int resolve(struct uctx *u)
{
	struct scan_pass *p = u->p;
	const struct ps_scan_opts *o = p->o;
	struct uhost *uh = calloc(p->nhosts, sizeof *uh);
	if (!uh)
		return PS_ERR_NOMEM;
	size_t active = 0;
	uint64_t total = 0;
	double start = ps_mono_ms();
	for (size_t h = 0; h < p->nhosts; h++) {
		struct uhost *x = &uh[h];
		x->done = true;
		size_t n = 0;
		for (size_t s = 0; s < p->nports; s++) {
			uint64_t t = scan_t(p, h, s);
			if (atomic_load(&p->st[t]) == PS_PST_CLOSED && p->rs[t] == PS_RS_PORT_UNREACH && !x->have_canary)
				x->canary_slot = (uint32_t)s, x->have_canary = true;
			n += silent(p, t);
		}
		/* no port-unreachable in the fast pass: the host sends no ICMP, or
		 * an earlier scan left its rate limit with no tokens.  The cycle
		 * finds out: the first answer there becomes the canary, and a host
		 * still silent after NOICMP_MS sends none */
		if (!n)
			continue; /* nothing to tell apart */
		x->q = malloc(n * sizeof *x->q);
		if (!x->q) {
			for (size_t k = 0; k < h; k++)
				free(uh[k].q);
			free(uh);
			return PS_ERR_NOMEM;
		}
		for (size_t s = 0; s < p->nports; s++)
			if (silent(p, scan_t(p, h, s)))
				x->q[x->qn++] = (uint32_t)s;
		x->done = false;
		x->next = x->last_icmp = start;
		active++;
		total += x->qn;
	}
	u->uh = uh;
	uint64_t budget = o->udp_budget_ms;
	double last_prog = 0;
	uint64_t resolved = 0;
	while (active && !stopped(p)) {
		double now = ps_mono_ms();
		if (budget && now - start > (double)budget)
			break;
		if (p->tm->host_timeout_ms && now - p->t0 > (double)p->tm->host_timeout_ms)
			break;
		double to_ms = scan_timeout_us(p) / 1000.0 + 2;
		/* the target's ICMP rate as seen so far (Linux default: 1/s) */
		uint64_t got = 0;
		for (size_t h = 0; h < p->nhosts; h++)
			got += uh[h].icmp_resolve;
		double secs = (now - start) / 1000.0;
		double rate = secs > 5 && got > 3 ? (double)got / secs / (double)active : 1.0;
		if (rate < 0.2)
			rate = 0.2;
		double gap = 1000.0 / (rate * 10 < 10 ? 10 : rate * 10 > 200 ? 200 : rate * 10);
		double pause = 1500.0 / rate > 5000 ? 5000 : 1500.0 / rate;
		double wake = now + 50;
		for (size_t h = 0; h < p->nhosts; h++) {
			struct uhost *x = &uh[h];
			if (x->done)
				continue;
			if (!x->have_canary && now - start > NOICMP_MS) { /* it sends no ICMP at all */
				x->done = true;
				active--;
				continue;
			}
			if (now - x->last_icmp > 120000) { /* the host stopped answering at all */
				x->done = true;
				active--;
				continue;
			}
			if (x->verifying) {
				if (!x->canary_ok && now - x->verify_sent < to_ms) {
					if (x->verify_sent + to_ms < wake)
						wake = x->verify_sent + to_ms;
					continue;
				}
				x->verifying = false;
				if (x->canary_ok) {
					/* a token was left after every closed port of the burst:
					 * the silent ones are open|filtered */
					for (size_t i = 0; i < x->qn; i++)
						if (silent(p, scan_t(p, h, x->q[i])))
							p->rs[scan_t(p, h, x->q[i])] = PS_RS_NONE, resolved++;
					x->done = true;
					active--;
					continue;
				}
				x->limited = true;
			}
			if (x->pausing) {
				if (now < x->verify_at) {
					if (x->verify_at < wake)
						wake = x->verify_at;
					continue;
				}
				if (!x->have_canary) { /* nothing to verify against yet: cycle again */
					x->pausing = false;
					x->cur = 0;
					continue;
				}
				/* the verification burst: every silent port, then the canary */
				x->pausing = false;
				size_t w = 0;
				for (size_t i = 0; i < x->qn; i++)
					if (silent(p, scan_t(p, h, x->q[i])))
						x->q[w++] = x->q[i];
					else
						resolved++;
				x->qn = w;
				for (size_t i = 0; i < x->qn; i++)
					send_one(u, scan_t(p, h, x->q[i]));
				x->canary_ok = false;
				x->verifying = true;
				x->verify_sent = ps_mono_ms();
				send_one(u, scan_t(p, h, x->canary_slot));
				x->cur = 0;
				x->next = x->verify_sent + to_ms;
				continue;
			}
			/* the cycle: one silent port every gap ms */
			if (now < x->next) {
				if (x->next < wake)
					wake = x->next;
				continue;
			}
			while (x->cur < x->qn && !silent(p, scan_t(p, h, x->q[x->cur])))
				x->cur++;
			if (x->cur >= x->qn) {
				x->pausing = true;
				x->verify_at = now + pause;
				continue;
			}
			send_one(u, scan_t(p, h, x->q[x->cur++]));
			x->next = now + gap;
		}
		double w = wake - ps_mono_ms();
		pump(u, w <= 0 ? 0 : w > 50 ? 50 : (int)w + 1);
		scan_progress(p, "udp-resolve", resolved + got, total, rate, &last_prog);
	}
	/* statistics and what the budget left undecided */
	double secs = (ps_mono_ms() - start) / 1000.0;
	uint64_t icmp = 0;
	for (size_t h = 0; h < p->nhosts; h++) {
		struct uhost *x = &uh[h];
		icmp += x->icmp_resolve;
		if (x->limited)
			p->stats->rate_limited_icmp = true;
		if (!x->q)
			continue;
		for (size_t s = 0; s < p->nports; s++) {
			uint64_t t = scan_t(p, h, s);
			if (atomic_load(&p->st[t]) == PS_PST_OPEN_FILTERED && p->rs[t] == PS_RS_NO_RESPONSE) {
				p->rs[t] = PS_RS_RATE_LIMITED;
				p->stats->udp_unresolved++;
			}
		}
		free(x->q);
	}
	for (uint64_t t = 0; t < p->n; t++)
		if (atomic_load(&p->st[t]) == PS_PST_OPEN_FILTERED && p->rs[t] == PS_RS_NONE)
			p->rs[t] = PS_RS_NO_RESPONSE;
	if (secs > 0.5)
		p->stats->icmp_per_s = (double)icmp / secs;
	u->uh = NULL;
	free(uh);
	return PS_OK;
}

int scan_udp_pass(struct scan_pass *p)
{
	struct uctx u = {.p = p, .fd4 = -1, .fd6 = -1};
	bool v4 = false, v6 = false;
	for (size_t h = 0; h < p->nhosts; h++)
		if (p->hosts[h].family == AF_INET)
			v4 = true;
		else
			v6 = true;
	uint16_t port = p->sport;
	if (v4 && (u.fd4 = open_udp(AF_INET, &port)) < 0)
		return PS_ERR_SYS;
	if (v6 && (u.fd6 = open_udp(AF_INET6, &port)) < 0) {
		if (u.fd4 >= 0)
			close(u.fd4);
		return PS_ERR_SYS;
	}
	int rc = fast_pass(&u);
	if (rc == PS_OK && !stopped(p))
		rc = resolve(&u);
	p->stats->replies += atomic_load(&p->replies);
	p->stats->icmp_errors += atomic_load(&p->icmp_errors);
	if (u.fd4 >= 0)
		close(u.fd4);
	if (u.fd6 >= 0)
		close(u.fd6);
	return rc;
}
