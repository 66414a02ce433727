/* scan_int.h - what the scan engines share: the target space of one pass
 * (hosts x probe slots), its per-target state arrays, the address map for
 * replies, the RTT estimator and the pacing clock. */
#ifndef PS_SCAN_INT_H
#define PS_SCAN_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "portsec/ps_scan.h"

/* probe kinds of the raw engine */
enum { PK_SYN = 1, PK_ACK, PK_ECHO, PK_TSTAMP };

struct scan_pass {
	const struct ps_host_addr *hosts;
	size_t nhosts;
	const uint16_t *ports;       /* probe slot -> destination port */
	const uint8_t *kinds;        /* probe slot -> PK_* (NULL: all PK_SYN / UDP) */
	size_t nports;
	uint64_t n;                  /* nhosts * nports */
	/* per target t = slot * nhosts + host */
	_Atomic uint8_t *st;         /* enum ps_pstate (PS_PST_NONE = undecided) */
	uint8_t *rs;                 /* enum ps_reason */
	uint8_t *ttl;
	uint8_t *tries;
	uint32_t *sent_us;           /* last send, microseconds since pass start */
	/* per host */
	_Atomic uint8_t *host_up;    /* 0 unknown, 1 answered something */
	uint8_t *host_reason, *host_ttl;
	uint32_t *src4;              /* IPv4 source address per host (0 = not looked up) */
	/* reply lookup */
	uint32_t *hmap;              /* open addressing: host index + 1, 0 empty */
	size_t hmap_mask;
	int32_t *slot_of_port;       /* [65536] -> slot or -1 (TCP/UDP ports) */
	/* cookie */
	uint8_t key[16];
	uint16_t sport;
	double t0;                   /* ps_mono_ms() at pass start */
	/* RTT estimate (receiver writes, sender reads) */
	_Atomic uint32_t srtt_us, rttvar_us, to_us;
	_Atomic uint64_t replies, invalid, late, retry_answers, icmp_errors, open;
	const struct ps_timing *tm;
	const struct ps_scan_opts *o;
	struct ps_scan_stats *stats;
};

int scan_pass_init(struct scan_pass *p, const struct ps_host_addr *hosts, size_t nhosts, const uint16_t *ports,
		   const uint8_t *kinds, size_t nports, const struct ps_scan_opts *o, struct ps_scan_stats *stats);
void scan_pass_free(struct scan_pass *p);
/* host index of an address, or -1 */
long scan_host_find(const struct scan_pass *p, int family, const uint8_t *addr);
uint32_t scan_cookie(const struct scan_pass *p, int family, const uint8_t *addr, uint16_t dport);
uint32_t scan_now_us(const struct scan_pass *p);
/* a reply for target t: set state (stronger answers override weaker) */
void scan_answer(struct scan_pass *p, uint64_t t, uint8_t state, uint8_t reason, uint8_t ttl, bool rtt_sample);
void scan_host_answer(struct scan_pass *p, size_t h, uint8_t reason, uint8_t ttl);
/* RTT sample in microseconds */
void scan_rtt_sample(struct scan_pass *p, uint32_t us);
/* current retransmission timeout */
uint32_t scan_timeout_us(const struct scan_pass *p);
/* target index of the i-th probe of this shard (permutation applied) */
uint64_t scan_target_of(const struct scan_pass *p, const struct ps_perm *perm, uint64_t i);
void scan_progress(struct scan_pass *p, const char *phase, uint64_t done, uint64_t total, double rate,
		   double *last_ms);

/* token-bucket pacing */
struct pacer {
	double rate, tokens, last_ms, burst;
};
void pacer_init(struct pacer *pc, double rate);
/* how many probes may go now (<= want) */
unsigned pacer_take(struct pacer *pc, unsigned want);
/* ms until one token is there */
double pacer_wait_ms(const struct pacer *pc);

/* a FIFO of outstanding targets in send order */
struct fifo {
	uint64_t *v;
	size_t cap, head, len;
};
int fifo_push(struct fifo *f, uint64_t t);
void fifo_free(struct fifo *f);
uint64_t fifo_pop(struct fifo *f);
#define SCAN_NOT_DUE UINT64_MAX
/* the head of q: answered targets are dropped, targets past their last try
 * get final_state (no-response); returns the target whose retransmission is
 * due (still in q: fifo_pop it to resend), or SCAN_NOT_DUE */
unsigned scan_max_tries(const struct scan_pass *p, uint64_t probes);
uint64_t scan_fifo_due(struct scan_pass *p, struct fifo *q, unsigned max_tries, uint8_t final_state,
		       uint64_t *decided);

/* a socket address for a host and port; returns its length */
struct sockaddr_storage;
unsigned scan_sockaddr(struct sockaddr_storage *ss, const struct ps_host_addr *h, uint16_t port);
/* an ICMP error from a socket's error queue (IP_RECVERR / IPV6_RECVERR) */
struct scan_icmp_err {
	int family;           /* of the original destination */
	uint8_t addr[16];     /* the original destination (the probed host) */
	uint16_t port;        /* its port */
	uint8_t origin;       /* SO_EE_ORIGIN_ICMP or SO_EE_ORIGIN_ICMP6 */
	uint8_t type, code;
};
/* false when the queue is empty (or holds no ICMP error) */
bool scan_errqueue(int fd, struct scan_icmp_err *e);

/* engines */
int scan_raw_pass(struct scan_pass *p);      /* SYN / ACK / ICMP probes */
int scan_connect_pass(struct scan_pass *p);  /* TCP connect() */
int scan_udp_pass(struct scan_pass *p);      /* UDP payloads + ICMP errors */
/* -sV subset: banners of the open TCP ports */
void scan_banners(struct ps_scan_result *r, const struct ps_scan_opts *o);

static inline uint64_t scan_t(const struct scan_pass *p, size_t host, size_t slot)
{
	return (uint64_t)slot * p->nhosts + host;
}

#endif
