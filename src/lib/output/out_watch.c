/* out_watch.c - `portsec watch --metrics-listen`: counters fed by every
 * event, and the Prometheus text exposition format (0.0.4) of them with the
 * watch's stats (listeners now, drops, reconciliation). */
#include <string.h>

#include "out_internal.h"
#include "portsec/ps_watch.h"

const double ps_lag_bounds[PS_LAG_BUCKETS] = {1e-5, 2.5e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1.0, 0};

/* the policy checks watch reports: always present, so a rate() starts at 0 */
static const char *const known_checks[] = {"policy-denied", "policy-not-allowed", "policy-rule-expired",
					   "policy-firewall-mismatch"};

void ps_watch_metrics_add(struct ps_watch_metrics *m, const struct ps_watch_event *e)
{
	if (e->action < PS_WA_MAX)
		m->events[e->action]++;
	if (e->check) {
		size_t i = 0;
		while (i < m->nviol && strcmp(m->viol[i].check, e->check) != 0)
			i++;
		if (i == m->nviol && m->nviol < sizeof m->viol / sizeof *m->viol) {
			size_t n = strlen(e->check);
			n = n < sizeof m->viol[i].check - 1 ? n : sizeof m->viol[i].check - 1;
			memcpy(m->viol[i].check, e->check, n);
			m->viol[i].check[n] = 0;
			m->nviol++;
		}
		if (i < m->nviol)
			m->viol[i].n++;
	}
	if (e->lag_ns >= 0) {
		double s = (double)e->lag_ns / 1e9;
		int k = 0;
		while (k < PS_LAG_BUCKETS - 1 && s > ps_lag_bounds[k])
			k++;
		m->lag_le[k]++;
		m->lag_count++;
		m->lag_sum += s;
	}
}

static void head(struct ps_buf *b, const char *name, const char *type, const char *help)
{
	ps_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t viol_of(const struct ps_watch_metrics *m, const char *check)
{
	for (size_t i = 0; i < m->nviol; i++)
		if (strcmp(m->viol[i].check, check) == 0)
			return m->viol[i].n;
	return 0;
}

void ps_watch_metrics_render(const struct ps_watch_metrics *m, const struct ps_watch_stats *st, const char *source,
			     const char *detail, struct ps_buf *b)
{
	head(b, "portsec_listeners", "gauge",
	     "Listening TCP sockets and bound UDP sockets now, in every network namespace, by protocol, scope and "
	     "effective firewall verdict.");
	for (int p = 0; p < 2; p++)
		for (int s = 0; s < PS_WS_N; s++)
			for (int v = 0; v < PS_VCLASS_N; v++)
				ps_buf_printf(b, "portsec_listeners{proto=\"%s\",scope=\"%s\",verdict=\"%s\"} %u\n",
					      p ? "udp" : "tcp", ps_watch_scope_name(s), ps_verdict_class_name(v),
					      st->listeners[p][s][v]);
	head(b, "portsec_events_total", "counter", "Events reported, by action.");
	for (int a = 0; a < PS_WA_MAX; a++)
		ps_buf_printf(b, "portsec_events_total{action=\"%s\"} %llu\n", ps_watch_action_name(a),
			      (unsigned long long)m->events[a]);
	head(b, "portsec_policy_violations_total", "counter", "Events the policy does not allow, by check id.");
	size_t nk = sizeof known_checks / sizeof *known_checks;
	for (size_t i = 0; i < nk; i++)
		ps_buf_printf(b, "portsec_policy_violations_total{check=\"%s\"} %llu\n", known_checks[i],
			      (unsigned long long)viol_of(m, known_checks[i]));
	for (size_t i = 0; i < m->nviol; i++) {
		bool known = false;
		for (size_t k = 0; k < nk; k++)
			known |= strcmp(m->viol[i].check, known_checks[k]) == 0;
		if (known)
			continue;
		ps_buf_puts(b, "portsec_policy_violations_total{check=\"");
		ps_prom_label(b, m->viol[i].check);
		ps_buf_printf(b, "\"} %llu\n", (unsigned long long)m->viol[i].n);
	}
	head(b, "portsec_event_lag_seconds", "histogram",
	     "From the kernel event to the report (eBPF events; polled ones have no kernel time).");
	uint64_t cum = 0;
	for (int k = 0; k < PS_LAG_BUCKETS; k++) {
		cum += m->lag_le[k];
		if (k == PS_LAG_BUCKETS - 1)
			ps_buf_printf(b, "portsec_event_lag_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		else
			ps_buf_printf(b, "portsec_event_lag_seconds_bucket{le=\"%g\"} %llu\n", ps_lag_bounds[k],
				      (unsigned long long)cum);
	}
	ps_buf_printf(b, "portsec_event_lag_seconds_sum %.9f\nportsec_event_lag_seconds_count %llu\n", m->lag_sum,
		      (unsigned long long)m->lag_count);
	head(b, "portsec_events_dropped_total", "counter",
	     "Kernel events lost because the ring buffer was full (the next full dump still reports their listeners).");
	ps_buf_printf(b, "portsec_events_dropped_total %llu\n", (unsigned long long)st->dropped);
	head(b, "portsec_reconciled_total", "counter", "Listeners the events missed, found by the periodic full dump.");
	ps_buf_printf(b, "portsec_reconciled_total %llu\n", (unsigned long long)st->reconciled);
	head(b, "portsec_tracked_overflow_total", "counter",
	     "Listeners not tracked because the bounded tracked set was full.");
	ps_buf_printf(b, "portsec_tracked_overflow_total %llu\n", (unsigned long long)st->overflow);
	head(b, "portsec_policy_reloads_total", "counter", "SIGHUP policy reloads, by result.");
	ps_buf_printf(b, "portsec_policy_reloads_total{result=\"ok\"} %llu\nportsec_policy_reloads_total{result=\"refused\"} %llu\n",
		      (unsigned long long)m->reloads, (unsigned long long)m->reload_failures);
	head(b, "portsec_output_failures_total", "counter", "Events that could not be written to the journal or syslog.");
	ps_buf_printf(b, "portsec_output_failures_total %llu\n", (unsigned long long)m->output_failures);
	head(b, "portsec_dump_warnings", "gauge",
	     "What the last full dump could not see (a namespace not entered, owners not readable): 0 when complete.");
	ps_buf_printf(b, "portsec_dump_warnings %u\n", st->incomplete);
	head(b, "portsec_source_info", "gauge", "The event source in use (ebpf or poll) and what it attached.");
	ps_buf_puts(b, "portsec_source_info{source=\"");
	ps_prom_label(b, source);
	ps_buf_puts(b, "\",detail=\"");
	ps_prom_label(b, detail);
	ps_buf_puts(b, "\"} 1\n");
}
