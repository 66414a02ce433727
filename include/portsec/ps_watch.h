/* ps_watch.h - `portsec watch`: listeners and UDP binds as they appear and
 * go, in every network namespace, and ruleset changes, each judged against
 * the policy (ps_policy.h) with audit's check ids.
 *
 * Sources: eBPF (inventory/inv_watch.c) where it loads, else a LISTEN-only
 * sock_diag dump every poll interval; behind either, a periodic full dump
 * (reconciliation) reports what the events missed, never dropping it; the
 * nf_tables multicast group for the firewall.  Nothing here prints: events
 * go to the caller's callback. */
#ifndef PORTSEC_PS_WATCH_H
#define PORTSEC_PS_WATCH_H

#include <signal.h>

#include "ps_audit.h"
#include "ps_policy.h"
#include "ps_services.h"

enum ps_watch_action { PS_WA_LISTEN, PS_WA_CLOSE, PS_WA_BIND, PS_WA_FIREWALL, PS_WA_MAX };
const char *ps_watch_action_name(int a); /* "listen", "close", "bind", "firewall-change" */

struct ps_watch_event {
	uint8_t action;            /* enum ps_watch_action */
	const char *source;        /* "ebpf", "poll", "reconcile", "nftables" */
	int64_t time_ns;           /* CLOCK_REALTIME when emitted */
	int64_t lag_ns;            /* kernel event -> emitted (-1: not known, polled) */
	uint64_t kernel_mono_ns;   /* CLOCK_MONOTONIC of the kernel event (0: polled) */
	uint8_t proto, family;
	uint16_t port;
	char addr[48];
	uint64_t cookie;
	uint32_t netns;            /* inode */
	const char *netns_name;    /* "host" (portsec's), a /run/netns name, or NULL */
	int32_t pid;               /* 0: not known */
	const char *comm, *exe, *user, *unit, *container; /* NULL when not known */
	uint32_t uid;
	bool process_gone;         /* /proc was gone: only the event's pid and comm */
	const char *scope;         /* "loopback", "specific", "any" */
	const char *verdict;       /* audit's verdict classes; "unknown" outside portsec's namespace */
	const char *decision;      /* "no-policy", "allowed", "denied", "not-allowed", "expired" */
	const char *check;         /* the violated check id, or NULL */
	unsigned policy_line;      /* 0: none */
	/* firewall-change */
	uint32_t genid;
	unsigned verdicts_changed; /* current listeners whose verdict changed */
	const struct ps_watch_change *changes; /* the first nchanges of them */
	size_t nchanges;
};

/* a listener whose effective verdict a ruleset change moved */
struct ps_watch_change {
	uint8_t proto, family;
	uint16_t port;
	char addr[48];
	const char *from, *to; /* verdict classes */
};
#define PS_WATCH_CHANGES_MAX 64

/* the scopes of ps_watch_stats.listeners */
enum { PS_WS_LOOPBACK, PS_WS_SPECIFIC, PS_WS_ANY, PS_WS_N };
const char *ps_watch_scope_name(int s);

struct ps_watch_stats {
	uint64_t events[PS_WA_MAX];
	uint64_t violations;
	uint64_t dropped;          /* ring buffer full (kernel side) */
	uint64_t reconciled;       /* listeners the events missed, found by a full dump */
	uint64_t overflow;         /* the tracked set was full */
	unsigned incomplete;       /* warnings of the last dump: what it could not see */
	size_t tracked;
	/* listeners now, by [tcp, udp][scope][verdict class] (portsec's namespace's
	 * firewall; other namespaces count as "unknown" or "local") */
	uint32_t listeners[2][PS_WS_N][PS_VCLASS_N];
};

struct ps_watch_opts {
	const struct ps_policy *policy;  /* may change between calls of reload */
	const struct ps_svcdb *db;
	bool no_bpf;                     /* the fallback even where eBPF loads */
	unsigned poll_ms;                /* fallback dump interval (default 100) */
	unsigned reconcile_ms;           /* full dump behind the events (default 10000; at
	                                  * once after ring-buffer drops or an autobound listen) */
	volatile sig_atomic_t *stop;     /* set: return */
	volatile sig_atomic_t *reload;   /* set: call on_reload (then it is cleared) */
	void (*on_reload)(void *ctx);
	void (*emit)(void *ctx, const struct ps_watch_event *e, const struct ps_watch_stats *st);
	/* said once, before the first event: the source in use and why */
	void (*on_source)(void *ctx, const char *source, const char *detail);
	void *ctx;
	uint64_t max_events;             /* 0: no bound (tests bound it) */
	uint64_t duration_ms;            /* 0: until stop */
	const struct ps_policy *const *policy_ref; /* when set, read the policy through it (reloads) */
	/* said once, when the starting dump is done and events flow (sd_notify READY) */
	void (*on_ready)(void *ctx, const struct ps_watch_stats *st);
	/* what a dump could not see (a namespace not entered, owners not
	 * readable): each distinct text once, again when it returns after clearing */
	void (*on_warning)(void *ctx, const char *msg);
	/* one more descriptor for the caller (an HTTP server): polled with the
	 * sources, on_ext called when it is readable and at least every 200 ms */
	int ext_fd;                      /* -1 or 0 when none: set has_ext */
	bool has_ext;
	void (*on_ext)(void *ctx, const struct ps_watch_stats *st);
};

int ps_watch_run(const struct ps_watch_opts *o, struct ps_watch_stats *st);

/* Prometheus metrics of a watch (output/out_watch.c): counters fed with every
 * event, rendered with the stats in the text exposition format 0.0.4 */
#define PS_LAG_BUCKETS 12
struct ps_watch_metrics {
	uint64_t events[PS_WA_MAX];
	struct {
		char check[48];
		uint64_t n;
	} viol[16];
	size_t nviol;
	uint64_t lag_le[PS_LAG_BUCKETS]; /* not cumulative: one bucket per event */
	uint64_t lag_count;
	double lag_sum;
	uint64_t reloads, reload_failures, output_failures;
};
extern const double ps_lag_bounds[PS_LAG_BUCKETS]; /* seconds, the last is +Inf */
void ps_watch_metrics_add(struct ps_watch_metrics *m, const struct ps_watch_event *e);
void ps_watch_metrics_render(const struct ps_watch_metrics *m, const struct ps_watch_stats *st, const char *source,
			     const char *detail, struct ps_buf *b);

#endif
