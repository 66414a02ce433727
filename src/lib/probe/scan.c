/* scan.c - `portsec scan` orchestration: timing templates, the shared pass
 * state (per-target arrays, reply address map, RTT estimator, pacing),
 * the order of passes (ports, then discovery for silent hosts, then
 * banners) and the result model built from the pass arrays. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portsec/ps_error.h"
#include "scan_int.h"

void ps_timing_template(int level, struct ps_timing *t)
{
	memset(t, 0, sizeof *t);
	t->level = level;
	t->max_rate = PS_SCAN_DEFAULT_MAX_RATE;
	switch (level) {
	case 0:
		t->min_rtt_us = t->initial_rtt_us = t->max_rtt_us = 300000000u;
		t->max_retries = 10, t->max_rate = 1.0 / 300, t->max_parallel = 1;
		break;
	case 1:
		t->min_rtt_us = t->initial_rtt_us = t->max_rtt_us = 15000000u;
		t->max_retries = 10, t->max_rate = 1.0 / 15, t->max_parallel = 1;
		break;
	case 2:
		t->min_rtt_us = 100000, t->initial_rtt_us = 1000000, t->max_rtt_us = 10000000;
		t->max_retries = 10, t->max_rate = 2.5, t->max_parallel = 1;
		break;
	case 3:
		t->min_rtt_us = 50000, t->initial_rtt_us = 1000000, t->max_rtt_us = 10000000;
		t->max_retries = 2, t->max_parallel = 512;
		break;
	case 5:
		t->min_rtt_us = 10000, t->initial_rtt_us = 250000, t->max_rtt_us = 300000;
		t->max_retries = 1, t->max_parallel = 4096;
		t->host_timeout_ms = 15 * 60 * 1000;
		break;
	default: /* 4 */
		t->level = 4;
		t->min_rtt_us = 20000, t->initial_rtt_us = 500000, t->max_rtt_us = 1250000;
		t->max_retries = 2, t->max_parallel = 2048;
		break;
	}
}

void ps_scan_opts_init(struct ps_scan_opts *o)
{
	memset(o, 0, sizeof *o);
	ps_timing_template(4, &o->timing);
}

/* ---------------- pacing and FIFO ---------------- */
void pacer_init(struct pacer *pc, double rate)
{
	pc->rate = rate > 0 ? rate : 1e9;
	pc->burst = pc->rate / 100 > 64 ? pc->rate / 100 : 64; /* 10 ms worth, at least a batch */
	if (pc->rate < 64)
		pc->burst = 1;
	pc->tokens = pc->burst < 1 ? pc->burst : 1;
	pc->last_ms = ps_mono_ms();
}

unsigned pacer_take(struct pacer *pc, unsigned want)
{
	double now = ps_mono_ms();
	pc->tokens += (now - pc->last_ms) * pc->rate / 1000.0;
	pc->last_ms = now;
	if (pc->tokens > pc->burst)
		pc->tokens = pc->burst;
	if (pc->tokens < 1)
		return 0;
	unsigned n = pc->tokens < want ? (unsigned)pc->tokens : want;
	pc->tokens -= n;
	return n;
}

double pacer_wait_ms(const struct pacer *pc)
{
	double need = 1 - pc->tokens;
	return need <= 0 ? 0 : need * 1000.0 / pc->rate;
}

int fifo_push(struct fifo *f, uint64_t t)
{
	if (f->len == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 4096;
		uint64_t *nv = malloc(nc * sizeof *nv);
		if (!nv)
			return PS_ERR_NOMEM;
		for (size_t i = 0; i < f->len; i++)
			nv[i] = f->v[(f->head + i) % f->cap];
		free(f->v);
		f->v = nv, f->cap = nc, f->head = 0;
	}
	f->v[(f->head + f->len) % f->cap] = t;
	f->len++;
	return PS_OK;
}

void fifo_free(struct fifo *f)
{
	free(f->v);
	memset(f, 0, sizeof *f);
}

uint64_t fifo_pop(struct fifo *f)
{
	uint64_t t = f->v[f->head];
	f->head = (f->head + 1) % f->cap, f->len--;
	return t;
}

/* how many times a probe may go out before silence means filtered.  The
 * template's retries hold on a clean path; where answers show loss (the
 * share of answers that needed a retransmission), a closed port whose every
 * answer is lost would be called filtered: raise the tries until that is
 * expected for under 0.01 of the scan's probes (each closed port has
 * loss^tries of losing every answer), as nmap raises its
 * retransmissions (up to its 10) when it sees drops.  --max-retries fixes them. */
unsigned scan_max_tries(const struct scan_pass *p, uint64_t probes)
{
	const struct ps_timing *tm = p->tm;
	unsigned tries = tm->max_retries + 1;
	if (tm->retries_fixed)
		return tries;
	uint64_t rep = atomic_load_explicit(&p->replies, memory_order_relaxed);
	uint64_t rtr = atomic_load_explicit(&p->retry_answers, memory_order_relaxed);
	if (rep < 50 || rtr == 0)
		return tries;
	double loss = (double)rtr / (double)rep;
	if (loss > 0.5)
		loss = 0.5;
	double expect = (double)(probes ? probes : 1);
	for (unsigned k = 0; k < tries; k++)
		expect *= loss;
	while (expect > 0.01 && tries < 11) {
		expect *= loss;
		tries++;
	}
	return tries;
}

uint64_t scan_fifo_due(struct scan_pass *p, struct fifo *q, unsigned max_tries, uint8_t final_state,
		       uint64_t *decided)
{
	uint32_t to = scan_timeout_us(p), now_us = scan_now_us(p);
	while (q->len) {
		uint64_t t = q->v[q->head];
		if (atomic_load_explicit(&p->st[t], memory_order_acquire) != PS_PST_NONE) {
			fifo_pop(q), (*decided)++;
			continue;
		}
		/* each retransmission waits twice as long as the one before (up to
		 * 1 s): a target that lost its SYN-ACK answers a repeated SYN only
		 * after net.ipv4.tcp_invalid_ratelimit (500 ms) or its own SYN-ACK
		 * retransmission (1 s), so quick repeats alone would call an open
		 * port filtered */
		unsigned k = p->tries[t] > 1 ? p->tries[t] - 1u : 0;
		uint64_t wait = (uint64_t)to << (k > 6 ? 6 : k);
		if (wait > 1000000)
			wait = to > 1000000 ? to : 1000000;
		if (now_us - p->sent_us[t] < wait)
			return SCAN_NOT_DUE;
		if (p->tries[t] >= max_tries) {
			uint8_t none = PS_PST_NONE;
			if (atomic_compare_exchange_strong(&p->st[t], &none, final_state))
				p->rs[t] = PS_RS_NO_RESPONSE;
			fifo_pop(q), (*decided)++;
			continue;
		}
		return t;
	}
	return SCAN_NOT_DUE;
}

unsigned scan_sockaddr(struct sockaddr_storage *ss, const struct ps_host_addr *h, uint16_t port)
{
	memset(ss, 0, sizeof *ss);
	if (h->family == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)ss;
		sa->sin_family = AF_INET, sa->sin_port = htons(port);
		memcpy(&sa->sin_addr, h->addr, 4);
		return sizeof *sa;
	}
	struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
	sa->sin6_family = AF_INET6, sa->sin6_port = htons(port);
	memcpy(&sa->sin6_addr, h->addr, 16);
	return sizeof *sa;
}

bool scan_errqueue(int fd, struct scan_icmp_err *e)
{
	char ctl[512];
	uint8_t data[64];
	struct sockaddr_storage name;
	for (int round = 0; round < 16; round++) {
		struct iovec iov = {data, sizeof data};
		struct msghdr m = {.msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
				   .msg_control = ctl, .msg_controllen = sizeof ctl};
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return false;
		memset(e, 0, sizeof *e);
		if (name.ss_family == AF_INET) {
			const struct sockaddr_in *sa = (const struct sockaddr_in *)&name;
			e->family = AF_INET, e->port = ntohs(sa->sin_port);
			memcpy(e->addr, &sa->sin_addr, 4);
		} else if (name.ss_family == AF_INET6) {
			const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)&name;
			e->family = AF_INET6, e->port = ntohs(sa->sin6_port);
			memcpy(e->addr, &sa->sin6_addr, 16);
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof ee);
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			e->origin = ee.ee_origin, e->type = ee.ee_type, e->code = ee.ee_code;
			return true;
		}
		/* a local error (not ICMP): look at the next one */
	}
	return false;
}

/* ---------------- pass state ---------------- */
static uint64_t addr_hash(int family, const uint8_t *a)
{
	uint64_t x = (uint64_t)family * 0x9e3779b97f4a7c15ULL;
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		x = (x ^ a[i]) * 0x100000001b3ULL;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 32);
}

long scan_host_find(const struct scan_pass *p, int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = addr_hash(family, addr) & p->hmap_mask, k = 0; k <= p->hmap_mask; i = (i + 1) & p->hmap_mask, k++) {
		uint32_t v = p->hmap[i];
		if (!v)
			return -1;
		const struct ps_host_addr *h = &p->hosts[v - 1];
		if (h->family == family && memcmp(h->addr, addr, n) == 0)
			return (long)v - 1;
	}
	return -1;
}

int scan_pass_init(struct scan_pass *p, const struct ps_host_addr *hosts, size_t nhosts, const uint16_t *ports,
		   const uint8_t *kinds, size_t nports, const struct ps_scan_opts *o, struct ps_scan_stats *stats)
{
	memset(p, 0, sizeof *p);
	p->hosts = hosts, p->nhosts = nhosts, p->ports = ports, p->kinds = kinds, p->nports = nports;
	p->n = (uint64_t)nhosts * nports;
	p->o = o, p->tm = &o->timing, p->stats = stats;
	if (p->n == 0)
		return PS_ERR_INVAL;
	if (p->n > PS_SCAN_MAX_PROBES)
		return PS_ERR_RANGE;
	p->st = calloc(p->n, 1);
	p->rs = calloc(p->n, 1);
	p->ttl = calloc(p->n, 1);
	p->tries = calloc(p->n, 1);
	p->sent_us = calloc(p->n, sizeof *p->sent_us);
	p->host_up = calloc(nhosts, 1);
	p->host_reason = calloc(nhosts, 1);
	p->host_ttl = calloc(nhosts, 1);
	p->src4 = calloc(nhosts, sizeof *p->src4);
	size_t hs = 16;
	while (hs < nhosts * 2)
		hs <<= 1;
	p->hmap = calloc(hs, sizeof *p->hmap);
	p->hmap_mask = hs - 1;
	p->slot_of_port = malloc(65536 * sizeof *p->slot_of_port);
	if (!p->st || !p->rs || !p->ttl || !p->tries || !p->sent_us || !p->host_up || !p->host_reason ||
	    !p->host_ttl || !p->src4 || !p->hmap || !p->slot_of_port) {
		scan_pass_free(p);
		return PS_ERR_NOMEM;
	}
	for (size_t i = 0; i < nhosts; i++) {
		size_t j = addr_hash(hosts[i].family, hosts[i].addr) & p->hmap_mask;
		while (p->hmap[j])
			j = (j + 1) & p->hmap_mask;
		p->hmap[j] = (uint32_t)i + 1;
	}
	for (size_t i = 0; i < 65536; i++)
		p->slot_of_port[i] = -1;
	for (size_t s = 0; s < nports; s++)
		if (!kinds || kinds[s] == PK_SYN || kinds[s] == PK_ACK)
			p->slot_of_port[ports[s]] = (int32_t)s;
	/* the cookie key: from the seed when given (shards agree), else random */
	uint64_t k[2] = {o->seed ^ 0x5ca1ab1e0ddba11ULL, o->seed * 0x9e3779b97f4a7c15ULL + 1};
	if (!o->seed_given && getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
		k[0] ^= (uint64_t)getpid() << 32 ^ (uint64_t)ps_mono_ms();
	}
	memcpy(p->key, k, 16);
	if (o->source_port)
		p->sport = o->source_port;
	else {
		uint16_t r;
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			r = (uint16_t)getpid();
		p->sport = (uint16_t)(40000 + r % 20000);
	}
	atomic_store(&p->to_us, o->timing.initial_rtt_us);
	p->t0 = ps_mono_ms();
	return PS_OK;
}

void scan_pass_free(struct scan_pass *p)
{
	free((void *)p->st);
	free(p->rs);
	free(p->ttl);
	free(p->tries);
	free(p->sent_us);
	free((void *)p->host_up);
	free(p->host_reason);
	free(p->host_ttl);
	free(p->src4);
	free(p->hmap);
	free(p->slot_of_port);
	memset(p, 0, sizeof *p);
}

uint32_t scan_cookie(const struct scan_pass *p, int family, const uint8_t *addr, uint16_t dport)
{
	uint8_t m[21];
	memset(m, 0, sizeof m);
	m[0] = (uint8_t)family;
	memcpy(m + 1, addr, family == AF_INET ? 4 : 16);
	m[17] = (uint8_t)(dport >> 8), m[18] = (uint8_t)dport;
	m[19] = (uint8_t)(p->sport >> 8), m[20] = (uint8_t)p->sport;
	return (uint32_t)ps_siphash(p->key, m, sizeof m);
}

uint32_t scan_now_us(const struct scan_pass *p)
{
	return (uint32_t)((ps_mono_ms() - p->t0) * 1000.0);
}

void scan_rtt_sample(struct scan_pass *p, uint32_t us)
{
	/* RFC 6298, integer microseconds; one writer (the receiver) */
	uint32_t srtt = atomic_load_explicit(&p->srtt_us, memory_order_relaxed);
	uint32_t var = atomic_load_explicit(&p->rttvar_us, memory_order_relaxed);
	if (srtt == 0) {
		srtt = us ? us : 1;
		var = us / 2;
	} else {
		uint32_t d = us > srtt ? us - srtt : srtt - us;
		var = (3 * var + d) / 4;
		srtt = (7 * srtt + us) / 8;
	}
	uint64_t to = (uint64_t)srtt + 4ull * var;
	if (to < p->tm->min_rtt_us)
		to = p->tm->min_rtt_us;
	if (to > p->tm->max_rtt_us)
		to = p->tm->max_rtt_us;
	atomic_store_explicit(&p->srtt_us, srtt, memory_order_relaxed);
	atomic_store_explicit(&p->rttvar_us, var, memory_order_relaxed);
	atomic_store_explicit(&p->to_us, (uint32_t)to, memory_order_relaxed);
}

uint32_t scan_timeout_us(const struct scan_pass *p)
{
	return atomic_load_explicit(&p->to_us, memory_order_relaxed);
}

static unsigned strength(uint8_t st)
{
	switch (st) {
	case PS_PST_OPEN:
	case PS_PST_CLOSED:
		return 3;
	case PS_PST_FILTERED:
	case PS_PST_UNFILTERED:
		return 2; /* ICMP said so */
	default:
		return 0;
	}
}

void scan_answer(struct scan_pass *p, uint64_t t, uint8_t state, uint8_t reason, uint8_t ttl, bool rtt_sample)
{
	uint8_t cur = atomic_load_explicit(&p->st[t], memory_order_relaxed);
	/* a timeout's "filtered, no-response" is the weakest word */
	bool timed_out = (cur == PS_PST_FILTERED || cur == PS_PST_OPEN_FILTERED) && p->rs[t] == PS_RS_NO_RESPONSE;
	if (cur != PS_PST_NONE && !timed_out && strength(cur) >= strength(state))
		return;
	p->rs[t] = reason;
	p->ttl[t] = ttl;
	atomic_store_explicit(&p->st[t], state, memory_order_release);
	atomic_fetch_add_explicit(&p->replies, 1, memory_order_relaxed);
	if (state == PS_PST_OPEN && cur != PS_PST_OPEN)
		atomic_fetch_add_explicit(&p->open, 1, memory_order_relaxed);
	if (timed_out)
		atomic_fetch_add_explicit(&p->late, 1, memory_order_relaxed);
	uint8_t tries = p->tries[t];
	if (tries > 1)
		atomic_fetch_add_explicit(&p->retry_answers, 1, memory_order_relaxed);
	else if (rtt_sample && tries == 1) {
		uint32_t now = scan_now_us(p), sent = p->sent_us[t];
		if (now >= sent)
			scan_rtt_sample(p, now - sent);
	}
}

void scan_host_answer(struct scan_pass *p, size_t h, uint8_t reason, uint8_t ttl)
{
	uint8_t zero = 0;
	if (atomic_compare_exchange_strong(&p->host_up[h], &zero, 1)) {
		p->host_reason[h] = reason;
		p->host_ttl[h] = ttl;
	}
}

uint64_t scan_target_of(const struct scan_pass *p, const struct ps_perm *perm, uint64_t i)
{
	const struct ps_scan_opts *o = p->o;
	uint64_t idx = o->shard_n > 1 ? i * o->shard_n + (o->shard_k - 1) : i;
	uint64_t x = ps_perm_at(perm, idx);
	/* x -> (host, slot): spread consecutive probes over hosts */
	return scan_t(p, (size_t)(x % p->nhosts), (size_t)(x / p->nhosts));
}

void scan_progress(struct scan_pass *p, const char *phase, uint64_t done, uint64_t total, double rate,
		   double *last_ms)
{
	const struct ps_scan_opts *o = p->o;
	if (!o->progress)
		return;
	double now = ps_mono_ms();
	double every = o->progress_every_ms > 0 ? o->progress_every_ms : 1000;
	if (*last_ms > 0 && now - *last_ms < every)
		return;
	if (*last_ms == 0) { /* the first report after one interval */
		*last_ms = now;
		return;
	}
	*last_ms = now;
	struct ps_scan_progress pr = {.phase = phase, .done = done, .total = total, .rate = rate};
	pr.elapsed_ms = now - p->t0;
	pr.eta_ms = done ? pr.elapsed_ms * (double)(total - done) / (double)done : -1;
	pr.found_open = atomic_load_explicit(&p->open, memory_order_relaxed);
	o->progress(o->progress_ctx, &pr);
}

/* ---------------- results ---------------- */
static int cmp_port(const void *a, const void *b)
{
	const struct ps_scan_port *x = a, *y = b;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->port - (int)y->port;
}

/* fold one pass into the per-host results */
static int collect(struct ps_scan_result *r, const struct scan_pass *p, uint8_t proto, bool all)
{
	int pi = proto == PS_PROTO_TCP ? 0 : 1;
	for (size_t h = 0; h < p->nhosts; h++) {
		struct ps_scan_host *H = &r->hosts[h];
		uint32_t cnt[PS_PST_MAX] = {0};
		for (size_t s = 0; s < p->nports; s++)
			cnt[atomic_load(&p->st[scan_t(p, h, s)])]++;
		uint8_t common = PS_PST_CLOSED;
		uint32_t best = 0;
		for (unsigned st = PS_PST_OPEN; st < PS_PST_MAX; st++)
			if (st != PS_PST_OPEN && cnt[st] > best)
				best = cnt[st], common = (uint8_t)st;
		H->common[pi] = common;
		/* the reasons of the ports not kept one by one */
		if (!all && cnt[common] > 25) {
			uint32_t rc[PS_RS_MAX] = {0};
			for (size_t s = 0; s < p->nports; s++) {
				uint64_t t = scan_t(p, h, s);
				if (atomic_load(&p->st[t]) == common && p->rs[t] < PS_RS_MAX)
					rc[p->rs[t]]++;
			}
			unsigned k = 0;
			for (unsigned why = 0; why < PS_RS_MAX && k < 4; why++)
				if (rc[why])
					H->common_reasons[pi][k].reason = (uint8_t)why, H->common_reasons[pi][k++].count = rc[why];
		}
		size_t add = 0;
		for (size_t s = 0; s < p->nports; s++) {
			uint8_t st = atomic_load(&p->st[scan_t(p, h, s)]);
			if (st != PS_PST_NONE && (all || st != common || cnt[st] <= 25))
				add++;
		}
		for (unsigned st = 0; st < PS_PST_MAX; st++) {
			H->counts[pi][st] += cnt[st];
			H->counts[2][st] += cnt[st];
		}
		/* probes never decided: --host-timeout or Ctrl-C stopped the pass */
		if (cnt[PS_PST_NONE])
			H->timed_out = true;
		if (!add)
			continue;
		size_t cap = H->nports; /* filled to the brim by the pass before */
		if (PS_VEC_RESERVE(H->ports, cap, H->nports + add) != 0)
			return PS_ERR_NOMEM;
		for (size_t s = 0; s < p->nports; s++) {
			uint64_t t = scan_t(p, h, s);
			uint8_t st = atomic_load(&p->st[t]);
			if (st == PS_PST_NONE || !(all || st != common || cnt[st] <= 25))
				continue;
			struct ps_scan_port *sp = &H->ports[H->nports++];
			memset(sp, 0, sizeof *sp);
			sp->port = p->ports[s];
			sp->proto = proto;
			sp->state = st;
			sp->reason = p->rs[t];
			sp->ttl = p->ttl[t];
		}
		qsort(H->ports, H->nports, sizeof *H->ports, cmp_port);
		if (p->host_up[h] && !H->status) {
			H->status = 1;
			H->reason = p->host_reason[h];
			H->ttl = p->host_ttl[h];
		}
	}
	return PS_OK;
}

static void mark_up_from(struct ps_scan_result *r, const struct scan_pass *p)
{
	for (size_t h = 0; h < p->nhosts; h++)
		if (p->host_up[h] && !r->hosts[h].status) {
			r->hosts[h].status = 1;
			r->hosts[h].reason = p->host_reason[h];
			r->hosts[h].ttl = p->host_ttl[h];
		}
}

static void note(struct ps_scan_result *r, const char *text)
{
	if (r->nnotes < sizeof r->notes / sizeof r->notes[0])
		snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "%s", text);
}

bool ps_scan_can_raw(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* host discovery for the hosts that answered nothing */
static int discover(struct ps_scan_result *r, const struct ps_scan_opts *o, bool raw)
{
	size_t n = 0;
	for (size_t h = 0; h < r->nhosts; h++)
		n += !r->hosts[h].status;
	if (!n)
		return PS_OK;
	struct ps_host_addr *silent = malloc(n * sizeof *silent);
	size_t *back = malloc(n * sizeof *back);
	if (!silent || !back) {
		free(silent);
		free(back);
		return PS_ERR_NOMEM;
	}
	n = 0;
	for (size_t h = 0; h < r->nhosts; h++)
		if (!r->hosts[h].status)
			back[n] = h, silent[n++] = r->hosts[h].addr;
	/* nmap's defaults: ICMP echo, TCP SYN to 443, TCP ACK to 80, ICMP
	 * timestamp; without raw sockets: connect() to 80 and 443 */
	static const uint16_t rports[4] = {0, 443, 80, 0};
	static const uint8_t rkinds[4] = {PK_ECHO, PK_SYN, PK_ACK, PK_TSTAMP};
	static const uint16_t cports[2] = {80, 443};
	/* these hosts already let every port probe time out, each retried: four
	 * kinds of discovery probe get one retransmission at most */
	struct ps_scan_opts d = *o;
	if (d.timing.max_retries > 1)
		d.timing.max_retries = 1;
	struct scan_pass p;
	int rc = raw ? scan_pass_init(&p, silent, n, rports, rkinds, 4, &d, &r->stats)
		     : scan_pass_init(&p, silent, n, cports, NULL, 2, &d, &r->stats);
	if (rc == PS_OK) {
		uint64_t before = r->stats.sent;
		rc = raw ? scan_raw_pass(&p) : scan_connect_pass(&p);
		r->stats.discovery_sent += r->stats.sent - before;
		for (size_t i = 0; i < n; i++)
			if (p.host_up[i] && !r->hosts[back[i]].status) {
				struct ps_scan_host *H = &r->hosts[back[i]];
				H->status = 1;
				H->reason = p.host_reason[i];
				H->ttl = p.host_ttl[i];
			}
		scan_pass_free(&p);
	}
	free(silent);
	free(back);
	return rc;
}

/* ports of a host that stayed undecided (Ctrl-C) are not counted; a host
 * that is down has its port counts cleared: nmap lists no ports for it */
static void finish_hosts(struct ps_scan_result *r)
{
	r->hosts_up = 0;
	for (size_t h = 0; h < r->nhosts; h++) {
		struct ps_scan_host *H = &r->hosts[h];
		if (H->status) {
			r->hosts_up++;
			continue;
		}
		for (size_t i = 0; i < H->nports; i++)
			free(H->ports[i].banner);
		free(H->ports);
		H->ports = NULL;
		H->nports = 0;
		memset(H->counts, 0, sizeof H->counts);
	}
}

int ps_scan_run(const struct ps_scan_opts *o, struct ps_scan_result **out)
{
	*out = NULL;
	if (!o->targets || o->targets->n == 0)
		return PS_ERR_INVAL;
	if (!o->ping_only && !o->ports.ntcp && !o->ports.nudp)
		return PS_ERR_INVAL;
	if (o->shard_n > 1 && (o->shard_k < 1 || o->shard_k > o->shard_n))
		return PS_ERR_INVAL;
	uint64_t nh = o->targets->n;
	if (nh * o->ports.ntcp > PS_SCAN_MAX_PROBES || nh * o->ports.nudp > PS_SCAN_MAX_PROBES)
		return PS_ERR_RANGE;
	bool raw = (o->syn || o->ping_only || (o->udp && !o->connect)) && ps_scan_can_raw();
	if (o->syn && !raw)
		return PS_ERR_PERM;
	struct ps_scan_result *r = calloc(1, sizeof *r);
	if (!r)
		return PS_ERR_NOMEM;
	r->nhosts = o->targets->n;
	r->hosts = calloc(r->nhosts, sizeof *r->hosts);
	if (!r->hosts) {
		free(r);
		return PS_ERR_NOMEM;
	}
	for (size_t h = 0; h < r->nhosts; h++)
		r->hosts[h].addr = o->targets->a[h];
	r->start_time = (uint64_t)time(NULL);
	r->seed = o->seed;
	r->shard_k = o->shard_k, r->shard_n = o->shard_n;
	r->tcp_type = o->ping_only ? 0 : o->syn ? PS_SCAN_SYN : (o->connect ? PS_SCAN_CONNECT : 0);
	r->udp = o->udp && !o->ping_only;
	/* what was scanned, kept for the XML scaninfo and grepable header */
	if (r->tcp_type)
		for (size_t i = 0; i < o->ports.ntcp; i++)
			ps_scan_ports_add(&r->ports, PS_P_TCP, o->ports.tcp[i]);
	if (r->udp)
		for (size_t i = 0; i < o->ports.nudp; i++)
			ps_scan_ports_add(&r->ports, PS_P_UDP, o->ports.udp[i]);
	double t0 = ps_mono_ms();
	int rc = PS_OK;
	struct scan_pass p;
	if (r->tcp_type && o->ports.ntcp) {
		rc = scan_pass_init(&p, o->targets->a, o->targets->n, o->ports.tcp, NULL, o->ports.ntcp, o, &r->stats);
		if (rc == PS_OK) {
			rc = r->tcp_type == PS_SCAN_SYN ? scan_raw_pass(&p) : scan_connect_pass(&p);
			if (rc == PS_OK) {
				mark_up_from(r, &p);
				r->stats.srtt_us = atomic_load(&p.srtt_us);
				r->stats.timeout_us = atomic_load(&p.to_us);
				for (size_t h = 0; h < r->nhosts; h++) {
					r->hosts[h].srtt_us = r->stats.srtt_us;
					r->hosts[h].rttvar_us = atomic_load(&p.rttvar_us);
					r->hosts[h].to_us = r->stats.timeout_us;
				}
				rc = collect(r, &p, PS_PROTO_TCP, o->all_ports_listed);
			}
			scan_pass_free(&p);
		}
	}
	if (rc == PS_OK && r->udp && o->ports.nudp && !(o->stop && *o->stop)) {
		rc = scan_pass_init(&p, o->targets->a, o->targets->n, o->ports.udp, NULL, o->ports.nudp, o, &r->stats);
		if (rc == PS_OK) {
			rc = scan_udp_pass(&p);
			if (rc == PS_OK) {
				mark_up_from(r, &p);
				rc = collect(r, &p, PS_PROTO_UDP, o->all_ports_listed);
				/* per-host note on ports the ICMP limit kept apart */
				for (size_t h = 0; h < r->nhosts; h++) {
					uint32_t lim = 0;
					for (size_t s = 0; s < p.nports; s++)
						lim += p.rs[scan_t(&p, h, s)] == PS_RS_RATE_LIMITED;
					if (lim)
						snprintf(r->hosts[h].note, sizeof r->hosts[h].note,
							 "%u UDP ports could not be told apart (closed or open|filtered): "
							 "the target limits ICMP port-unreachable replies (~%.1f/s measured)",
							 lim, r->stats.icmp_per_s);
				}
			}
			scan_pass_free(&p);
		}
	}
	if (rc == PS_OK && o->no_ping) {
		for (size_t h = 0; h < r->nhosts; h++)
			if (!r->hosts[h].status)
				r->hosts[h].status = 1, r->hosts[h].reason = PS_RS_USER_SET;
	} else if (rc == PS_OK && !(o->stop && *o->stop)) {
		rc = discover(r, o, raw);
		if (rc == PS_OK && !raw)
			note(r, "host discovery used TCP connect() to ports 80 and 443 (no raw sockets)");
	}
	if (rc != PS_OK) {
		ps_scan_result_free(r);
		return rc;
	}
	finish_hosts(r);
	if (o->versions && r->tcp_type && !(o->stop && *o->stop))
		scan_banners(r, o);
	r->stats.elapsed_ms = ps_mono_ms() - t0;
	r->stats.interrupted = o->stop && *o->stop;
	*out = r;
	return PS_OK;
}

void ps_scan_result_free(struct ps_scan_result *r)
{
	if (!r)
		return;
	for (size_t h = 0; h < r->nhosts; h++) {
		for (size_t i = 0; i < r->hosts[h].nports; i++) {
			free(r->hosts[h].ports[i].banner);
			free(r->hosts[h].ports[i].ver);
			free(r->hosts[h].ports[i].owner);
		}
		free(r->hosts[h].ports);
	}
	free(r->hosts);
	ps_scan_ports_free(&r->ports);
	free(r);
}

void ps_scan_mark_local(struct ps_scan_result *r)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) != 0)
		return;
	for (size_t h = 0; h < r->nhosts; h++) {
		struct ps_scan_host *H = &r->hosts[h];
		const uint8_t *a = H->addr.addr;
		static const uint8_t lo6[16] = {[15] = 1};
		if ((H->addr.family == AF_INET && a[0] == 127) ||
		    (H->addr.family == AF_INET6 && memcmp(a, lo6, 16) == 0))
			H->local = true;
		for (struct ifaddrs *i = ifa; i && !H->local; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != H->addr.family)
				continue;
			const void *ia = H->addr.family == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr
							     : (const void *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
			if (memcmp(ia, a, H->addr.family == AF_INET ? 4 : 16) == 0)
				H->local = true;
		}
		if (H->local && H->status && H->reason != PS_RS_USER_SET)
			H->reason = PS_RS_LOCALHOST;
	}
	freeifaddrs(ifa);
}

void ps_scan_attach_owners(struct ps_scan_result *r, const struct ps_inventory *inv)
{
	static const uint8_t zero[16];
	uint32_t cur = 0;
	for (size_t k = 0; k < inv->nnetns; k++)
		if (inv->netns[k].current)
			cur = (uint32_t)k;
	for (size_t h = 0; h < r->nhosts; h++) {
		struct ps_scan_host *H = &r->hosts[h];
		if (!H->status)
			continue;
		long ns = ps_inventory_netns_of_addr(inv, H->addr.family, H->addr.addr);
		if (ns < 0 && H->local)
			ns = (long)cur; /* loopback */
		if (ns < 0)
			continue;
		if (!H->local) {
			H->local = true;
			const struct ps_netns *N = &inv->netns[ns];
			if (N->name[0])
				snprintf(H->netns, sizeof H->netns, "%s", N->name);
			else
				snprintf(H->netns, sizeof H->netns, "netns:%llu", (unsigned long long)N->inode);
		}
		size_t alen = H->addr.family == AF_INET ? 4 : 16;
		for (size_t i = 0; i < H->nports; i++) {
			struct ps_scan_port *sp = &H->ports[i];
			if (sp->state != PS_PST_OPEN && sp->state != PS_PST_OPEN_FILTERED)
				continue;
			const struct ps_socket *best = NULL;
			for (size_t k = 0; k < inv->nsocks; k++) {
				const struct ps_socket *s = &inv->socks[k];
				if (s->lport != sp->port || s->proto != sp->proto || s->netns != (uint32_t)ns)
					continue;
				if (sp->proto == PS_PROTO_TCP && s->state != PS_ST_LISTEN)
					continue;
				bool match = s->family == H->addr.family &&
					     (memcmp(s->laddr, H->addr.addr, alen) == 0 || memcmp(s->laddr, zero, alen) == 0);
				/* a dual-stack [::] socket takes IPv4 too */
				if (!match && s->family == AF_INET6 && H->addr.family == AF_INET && s->v6only != 1 &&
				    memcmp(s->laddr, zero, 16) == 0)
					match = true;
				if (match && (!best || s->owner_count > best->owner_count))
					best = s;
			}
			if (!best || !best->owner_count)
				continue;
			const struct ps_owner *ow = &inv->owners[best->owner_first];
			const struct ps_proc *pr = &inv->procs[ow->proc];
			const char *user = ps_inventory_username(inv, pr->uid);
			char buf[160], who[48];
			if (user)
				snprintf(who, sizeof who, "user %s", user);
			else
				snprintf(who, sizeof who, "uid %u", pr->uid);
			snprintf(buf, sizeof buf, "%s (pid %d, %s%s%s)", pr->comm, (int)pr->pid, who,
				 H->netns[0] ? ", netns " : "", H->netns);
			free(sp->owner);
			sp->owner = strdup(buf);
		}
	}
}
