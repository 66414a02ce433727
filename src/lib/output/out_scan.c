/* out_scan.c - `portsec scan` results in nmap's normal, XML (nmap.dtd 1.05)
 * and grepable forms, as JSON Lines (one host per line) and as the JSON
 * document of DESIGN.md.  All from the same ps_scan_result. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "out_internal.h"
#include "portsec/ps_output.h"
#include "portsec/ps_scan.h"

static const char *proto_name(uint8_t p)
{
	return p == PS_PROTO_UDP ? "udp" : "tcp";
}

static const char *svc_name(const struct ps_scan_port *sp, const struct ps_svcdb *db)
{
	if (sp->ver && sp->ver->service[0])
		return sp->ver->service;
	if (sp->service)
		return sp->service;
	const struct ps_service *s = db ? ps_svcdb_by_port(db, sp->port, sp->proto == PS_PROTO_UDP ? PS_P_UDP : PS_P_TCP)
				       : NULL;
	return s ? s->name : NULL;
}

/* which states of a host/proto are folded into "Not shown" (nmap: a
 * non-open state with more than 25 ports) */
static bool folded(const struct ps_scan_host *H, int pi, unsigned st, bool all)
{
	return !all && st != PS_PST_OPEN && st != PS_PST_NONE && H->counts[pi][st] > 25;
}

/* long: "Sun Nov 22 05:10:00 2026" (nmap's), else "2026-11-22 05:10 UTC" */
static void fmt_time(char *dst, size_t cap, uint64_t t, bool lng)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	if (lng)
		strftime(dst, cap, "%a %b %e %H:%M:%S %Y", &tm);
	else
		strftime(dst, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

/* reasons of a folded state: counted over the ports kept one by one; the
 * host's most common state is not kept, its reason follows the scan type */
static void fold_reasons(const struct ps_scan_result *r, const struct ps_scan_host *H, uint8_t proto, unsigned st,
			 uint32_t rc[PS_RS_MAX])
{
	memset(rc, 0, sizeof(uint32_t) * PS_RS_MAX);
	uint32_t seen = 0;
	for (size_t i = 0; i < H->nports; i++)
		if (H->ports[i].proto == proto && H->ports[i].state == st && H->ports[i].reason < PS_RS_MAX)
			rc[H->ports[i].reason]++, seen++;
	int pi = proto == PS_PROTO_UDP;
	uint32_t all = H->counts[pi][st];
	if (all > seen && H->common[pi] == st)
		for (unsigned k = 0; k < 4; k++)
			if (H->common_reasons[pi][k].count && seen + H->common_reasons[pi][k].count <= all) {
				rc[H->common_reasons[pi][k].reason] += H->common_reasons[pi][k].count;
				seen += H->common_reasons[pi][k].count;
			}
	if (all > seen) {
		unsigned dflt = PS_RS_NO_RESPONSE;
		if (st == PS_PST_CLOSED)
			dflt = proto == PS_PROTO_UDP ? PS_RS_PORT_UNREACH
						     : r->tcp_type == PS_SCAN_CONNECT ? PS_RS_CONN_REFUSED : PS_RS_RESET;
		rc[dflt] += all - seen;
	}
}

static void version_text(char *dst, size_t cap, const struct ps_banner_info *v)
{
	snprintf(dst, cap, "%s%s%s%s%s%s", v->product, v->version[0] ? " " : "", v->version,
		 v->extrainfo[0] ? " (" : "", v->extrainfo, v->extrainfo[0] ? ")" : "");
}

/* ---------------- normal ---------------- */
static void normal(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_svcdb *db,
		   const struct ps_scan_meta *m)
{
	char ts[64];
	fmt_time(ts, sizeof ts, r->start_time, false);
	ps_buf_printf(b, "Starting portsec %s scan at %s\n", m->version, ts);
	for (unsigned i = 0; i < r->nnotes; i++)
		ps_buf_printf(b, "Note: %s\n", r->notes[i]);
	for (size_t h = 0; h < r->nhosts; h++) {
		const struct ps_scan_host *H = &r->hosts[h];
		if (!H->status)
			continue;
		char a[64];
		ps_fmt_addr(a, sizeof a, H->addr.family, H->addr.addr);
		ps_buf_printf(b, "portsec scan report for %s%s%s%s\n", a, H->netns[0] ? " (this machine, netns " : "",
			      H->netns, H->netns[0] ? ")" : "");
		if (H->srtt_us && !H->local)
			ps_buf_printf(b, "Host is up, received %s (%.5fs latency).\n", ps_reason_name(H->reason),
				      H->srtt_us / 1e6);
		else
			ps_buf_printf(b, "Host is up, received %s.\n", ps_reason_name(H->reason));
		bool any_port = false;
		for (int pi = 0; pi < 2; pi++) {
			uint8_t proto = pi ? PS_PROTO_UDP : PS_PROTO_TCP;
			bool first = true;
			for (unsigned st = 1; st < PS_PST_MAX; st++) {
				if (!folded(H, pi, st, m->all))
					continue;
				uint32_t rc[PS_RS_MAX];
				fold_reasons(r, H, proto, st, rc);
				for (unsigned k = 0; k < PS_RS_MAX; k++) {
					if (!rc[k])
						continue;
					ps_buf_printf(b, "%s%u %s %s ports (%s)", first ? "Not shown: " : ", ", rc[k],
						      ps_pstate_name(st), proto_name(proto), ps_reason_name(k));
					first = false;
				}
			}
			if (!first)
				ps_buf_putc(b, '\n');
		}
		size_t shown = 0;
		for (size_t i = 0; i < H->nports; i++) {
			const struct ps_scan_port *sp = &H->ports[i];
			int pi = sp->proto == PS_PROTO_UDP;
			if (folded(H, pi, sp->state, m->all) || (m->open_only && sp->state != PS_PST_OPEN &&
								  sp->state != PS_PST_OPEN_FILTERED))
				continue;
			if (!shown++) {
				ps_buf_printf(b, "%-9s %-13s %-12s%s%s%s\n", "PORT", "STATE", "SERVICE", m->reason ? " REASON      " : "",
					      m->versions ? " VERSION" : "", "");
				any_port = true;
			}
			char pp[16];
			snprintf(pp, sizeof pp, "%u/%s", sp->port, proto_name(sp->proto));
			const char *sv = svc_name(sp, db);
			ps_buf_printf(b, "%-9s %-13s %-12s", pp, ps_pstate_name(sp->state), sv ? sv : "unknown");
			if (m->reason) {
				if (sp->ttl)
					ps_buf_printf(b, " %s ttl %u", ps_reason_name(sp->reason), sp->ttl);
				else
					ps_buf_printf(b, " %-12s", ps_reason_name(sp->reason));
			}
			if (m->versions && sp->ver) {
				char v[220];
				version_text(v, sizeof v, sp->ver);
				ps_buf_printf(b, " %s", v);
			} else if (m->versions && sp->banner)
				ps_buf_printf(b, " \"%s\"", sp->banner);
			if (sp->owner)
				{
				ps_buf_puts(b, "  [");
				ps_buf_puts_term(b, sp->owner);
				ps_buf_putc(b, ']');
			}
			ps_buf_putc(b, '\n');
		}
		if (!any_port && (H->counts[2][PS_PST_CLOSED] || H->counts[2][PS_PST_FILTERED] ||
				  H->counts[2][PS_PST_OPEN_FILTERED])) {
			uint32_t tot = 0;
			for (unsigned st = 1; st < PS_PST_MAX; st++)
				tot += H->counts[2][st];
			ps_buf_printf(b, "All %u scanned ports on %s are in ignored states.\n", tot, a);
		}
		if (H->note[0])
			ps_buf_printf(b, "Note: %s\n", H->note);
		if (H->timed_out)
			ps_buf_printf(b, "Note: %u port%s not scanned: the scan stopped (--host-timeout or interrupted) first.\n",
				      H->counts[2][PS_PST_NONE], H->counts[2][PS_PST_NONE] == 1 ? "" : "s");
		ps_buf_putc(b, '\n');
	}
	size_t down = r->nhosts - r->hosts_up;
	if (r->nhosts == 1 && down == 1)
		ps_buf_printf(b, "Note: Host seems down (no answer to any probe). Try -Pn if it blocks discovery probes.\n");
	if (r->stats.interrupted)
		ps_buf_printf(b, "Interrupted: results are what was found before the stop.\n");
	if (r->stats.rate_limited_icmp)
		ps_buf_printf(b, "UDP: the target rate-limits ICMP (%.1f port-unreachable/s measured); the scan paced itself to it.\n",
			      r->stats.icmp_per_s);
	ps_buf_printf(b, "portsec done: %zu IP address%s (%u host%s up) scanned in %.2f seconds\n", r->nhosts,
		      r->nhosts == 1 ? "" : "es", r->hosts_up, r->hosts_up == 1 ? "" : "s", r->stats.elapsed_ms / 1000);
	if (m->stats)
		ps_buf_printf(b, "Probes: %llu sent (%llu retransmitted, %llu for host discovery), %llu answers, "
				 "%llu invalid, %llu late; peak rate %.0f/s, srtt %.3f ms, timeout %.1f ms\n",
			      (unsigned long long)r->stats.sent, (unsigned long long)r->stats.retransmits,
			      (unsigned long long)r->stats.discovery_sent, (unsigned long long)r->stats.replies,
			      (unsigned long long)r->stats.invalid_replies, (unsigned long long)r->stats.late_replies,
			      r->stats.max_rate_seen, r->stats.srtt_us / 1000.0, r->stats.timeout_us / 1000.0);
}

/* ---------------- XML ---------------- */
static void xml_attr(struct ps_buf *b, const char *name, const char *v)
{
	ps_buf_printf(b, " %s=\"", name);
	for (const char *p = v; p && *p; p++) {
		switch (*p) {
		case '&': ps_buf_puts(b, "&amp;"); break;
		case '<': ps_buf_puts(b, "&lt;"); break;
		case '>': ps_buf_puts(b, "&gt;"); break;
		case '"': ps_buf_puts(b, "&quot;"); break;
		default:
			if ((unsigned char)*p < 0x20)
				ps_buf_printf(b, "&#%d;", *p);
			else
				ps_buf_putc(b, *p);
		}
	}
	ps_buf_putc(b, '"');
}

static void ranges(struct ps_buf *b, const uint16_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && p[j + 1] == p[j] + 1)
			j++;
		if (i)
			ps_buf_putc(b, ',');
		if (j > i)
			ps_buf_printf(b, "%u-%u", p[i], p[j]);
		else
			ps_buf_printf(b, "%u", p[i]);
		i = j + 1;
	}
}

void ps_out_scan_xml_head(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_scan_meta *m)
{
	char ts[64];
	fmt_time(ts, sizeof ts, r->start_time, true);
	ps_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n");
	ps_buf_puts(b, "<!-- portsec ");
	ps_buf_puts(b, m->version);
	ps_buf_puts(b, " scan initiated ");
	ps_buf_puts(b, ts);
	ps_buf_puts(b, " as: ");
	for (const char *p = m->args; p && *p; p++)
		ps_buf_putc(b, p[0] == '-' && p[1] == '-' ? '=' : *p); /* no "--" inside a comment */
	ps_buf_puts(b, " -->\n<nmaprun");
	/* nmap.dtd allows only scanner="nmap"; profile_name says who wrote it */
	xml_attr(b, "scanner", "nmap");
	xml_attr(b, "args", m->args);
	ps_buf_printf(b, " start=\"%llu\"", (unsigned long long)r->start_time);
	xml_attr(b, "startstr", ts);
	xml_attr(b, "version", m->version);
	char prof[64];
	snprintf(prof, sizeof prof, "portsec %s", m->version);
	xml_attr(b, "profile_name", prof);
	ps_buf_puts(b, " xmloutputversion=\"1.05\">\n");
	if (r->tcp_type) {
		ps_buf_printf(b, "<scaninfo type=\"%s\" protocol=\"tcp\" numservices=\"%zu\" services=\"",
			      r->tcp_type == PS_SCAN_SYN ? "syn" : "connect", r->ports.ntcp);
		ranges(b, r->ports.tcp, r->ports.ntcp);
		ps_buf_puts(b, "\"/>\n");
	}
	if (r->udp) {
		ps_buf_printf(b, "<scaninfo type=\"udp\" protocol=\"udp\" numservices=\"%zu\" services=\"", r->ports.nudp);
		ranges(b, r->ports.udp, r->ports.nudp);
		ps_buf_puts(b, "\"/>\n");
	}
	ps_buf_puts(b, "<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");
}

static void xml_host(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_scan_host *H,
		     const struct ps_svcdb *db, const struct ps_scan_meta *m)
{
	char a[64];
	ps_fmt_addr(a, sizeof a, H->addr.family, H->addr.addr);
	ps_buf_printf(b, "<host starttime=\"%llu\" endtime=\"%llu\"", (unsigned long long)r->start_time,
		      (unsigned long long)(r->start_time + (uint64_t)(r->stats.elapsed_ms / 1000)));
	if (H->note[0]) /* ndiff fails on script results that differ: a plain attribute */
		xml_attr(b, "comment", H->note);
	if (H->timed_out)
		ps_buf_puts(b, " timedout=\"true\"");
	ps_buf_putc(b, '>');
	ps_buf_printf(b, "<status state=\"%s\" reason=\"%s\" reason_ttl=\"%u\"/>\n", H->status ? "up" : "down",
		      H->status ? ps_reason_name(H->reason) : "no-response", H->ttl);
	ps_buf_printf(b, "<address addr=\"%s\" addrtype=\"%s\"/>\n<hostnames>\n</hostnames>\n", a,
		      H->addr.family == AF_INET ? "ipv4" : "ipv6");
	if (!H->status) {
		ps_buf_puts(b, "</host>\n");
		return;
	}
	ps_buf_puts(b, "<ports>");
	for (int pi = 0; pi < 2; pi++) {
		uint8_t proto = pi ? PS_PROTO_UDP : PS_PROTO_TCP;
		for (unsigned st = 1; st < PS_PST_MAX; st++) {
			if (!folded(H, pi, st, m->all))
				continue;
			ps_buf_printf(b, "<extraports state=\"%s\" count=\"%u\">\n", ps_pstate_name(st), H->counts[pi][st]);
			uint32_t rc[PS_RS_MAX];
			fold_reasons(r, H, proto, st, rc);
			for (unsigned k = 0; k < PS_RS_MAX; k++)
				if (rc[k])
					ps_buf_printf(b, "<extrareasons reason=\"%s\" count=\"%u\" proto=\"%s\"/>\n",
						      ps_reason_name(k), rc[k], proto_name(proto));
			ps_buf_puts(b, "</extraports>\n");
		}
	}
	for (size_t i = 0; i < H->nports; i++) {
		const struct ps_scan_port *sp = &H->ports[i];
		if (folded(H, sp->proto == PS_PROTO_UDP, sp->state, m->all))
			continue;
		ps_buf_printf(b, "<port protocol=\"%s\" portid=\"%u\"><state state=\"%s\" reason=\"%s\" reason_ttl=\"%u\"/>",
			      proto_name(sp->proto), sp->port, ps_pstate_name(sp->state), ps_reason_name(sp->reason), sp->ttl);
		/* the owning process (inside view) in nmap's own <owner> element */
		if (sp->owner) {
			ps_buf_puts(b, "<owner");
			xml_attr(b, "name", sp->owner);
			ps_buf_puts(b, "/>");
		}
		const char *sv = svc_name(sp, db);
		if (sv || sp->ver || sp->banner) {
			ps_buf_puts(b, "<service");
			xml_attr(b, "name", sv ? sv : "unknown");
			if (sp->ver && sp->ver->product[0])
				xml_attr(b, "product", sp->ver->product);
			if (sp->ver && sp->ver->version[0])
				xml_attr(b, "version", sp->ver->version);
			if (sp->ver && sp->ver->extrainfo[0])
				xml_attr(b, "extrainfo", sp->ver->extrainfo);
			if (sp->banner) /* what the service said, as nmap keeps unmatched responses */
				xml_attr(b, "servicefp", sp->banner);
			ps_buf_puts(b, sp->ver ? " method=\"probed\" conf=\"10\"/>" : " method=\"table\" conf=\"3\"/>");
		}
		ps_buf_puts(b, "</port>\n");
	}
	ps_buf_puts(b, "</ports>\n");
	ps_buf_printf(b, "<times srtt=\"%u\" rttvar=\"%u\" to=\"%u\"/>\n", H->srtt_us, H->rttvar_us, H->to_us);
	ps_buf_puts(b, "</host>\n");
}

static void xml(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_svcdb *db,
		const struct ps_scan_meta *m)
{
	ps_out_scan_xml_head(b, r, m);
	for (size_t h = 0; h < r->nhosts; h++)
		xml_host(b, r, &r->hosts[h], db, m);
	uint64_t end = r->start_time + (uint64_t)(r->stats.elapsed_ms / 1000);
	char ts[64];
	fmt_time(ts, sizeof ts, end, true);
	char sum[200];
	snprintf(sum, sizeof sum, "portsec done at %s; %zu IP address%s (%u host%s up) scanned in %.2f seconds", ts,
		 r->nhosts, r->nhosts == 1 ? "" : "es", r->hosts_up, r->hosts_up == 1 ? "" : "s",
		 r->stats.elapsed_ms / 1000);
	ps_buf_printf(b, "<runstats><finished time=\"%llu\"", (unsigned long long)end);
	xml_attr(b, "timestr", ts);
	xml_attr(b, "summary", sum);
	ps_buf_printf(b, " elapsed=\"%.2f\"", r->stats.elapsed_ms / 1000);
	/* an interrupted scan is not a success (nmap.dtd: exit="error" errormsg) */
	if (r->stats.interrupted) {
		ps_buf_puts(b, " exit=\"error\"");
		xml_attr(b, "errormsg", "interrupted (Ctrl-C or SIGTERM): results are what was found before the stop");
	} else {
		ps_buf_puts(b, " exit=\"success\"");
	}
	ps_buf_printf(b, "/><hosts up=\"%u\" down=\"%zu\" total=\"%zu\"/>\n", r->hosts_up, r->nhosts - r->hosts_up,
		      r->nhosts);
	ps_buf_puts(b, "</runstats>\n</nmaprun>\n");
}

/* ---------------- grepable ---------------- */
static void grepable(struct ps_buf *b, const struct ps_scan_result *r, const struct ps_svcdb *db,
		     const struct ps_scan_meta *m)
{
	char ts[64];
	fmt_time(ts, sizeof ts, r->start_time, true);
	ps_buf_printf(b, "# portsec %s scan initiated %s as: %s\n", m->version, ts, m->args ? m->args : "");
	for (size_t h = 0; h < r->nhosts; h++) {
		const struct ps_scan_host *H = &r->hosts[h];
		char a[64];
		ps_fmt_addr(a, sizeof a, H->addr.family, H->addr.addr);
		ps_buf_printf(b, "Host: %s ()\tStatus: %s\n", a, H->status ? "Up" : "Down");
		if (!H->status)
			continue;
		ps_buf_printf(b, "Host: %s ()\tPorts: ", a);
		bool first = true;
		for (size_t i = 0; i < H->nports; i++) {
			const struct ps_scan_port *sp = &H->ports[i];
			if (folded(H, sp->proto == PS_PROTO_UDP, sp->state, m->all))
				continue;
			const char *sv = svc_name(sp, db);
			char v[220] = "";
			if (sp->ver)
				version_text(v, sizeof v, sp->ver);
			for (char *c = v; *c; c++)
				if (*c == '/')
					*c = '|';
			ps_buf_printf(b, "%s%u/%s/%s//%s//%s/", first ? "" : ", ", sp->port, ps_pstate_name(sp->state),
				      proto_name(sp->proto), sv ? sv : "", v);
			first = false;
		}
		for (int pi = 0; pi < 2; pi++)
			for (unsigned st = 1; st < PS_PST_MAX; st++)
				if (folded(H, pi, st, m->all))
					ps_buf_printf(b, "\tIgnored State: %s (%u)", ps_pstate_name(st), H->counts[pi][st]);
		ps_buf_putc(b, '\n');
	}
	uint64_t end = r->start_time + (uint64_t)(r->stats.elapsed_ms / 1000);
	fmt_time(ts, sizeof ts, end, true);
	ps_buf_printf(b, "# portsec done at %s -- %zu IP address%s (%u host%s up) scanned in %.2f seconds\n", ts,
		      r->nhosts, r->nhosts == 1 ? "" : "es", r->hosts_up, r->hosts_up == 1 ? "" : "s",
		      r->stats.elapsed_ms / 1000);
}

/* ---------------- JSON ---------------- */
static void json_host(struct ps_json *j, const struct ps_scan_host *H, const struct ps_svcdb *db,
		      const struct ps_scan_meta *m)
{
	char a[64];
	ps_fmt_addr(a, sizeof a, H->addr.family, H->addr.addr);
	ps_json_obj_begin(j);
	ps_json_key(j, "addr");
	ps_json_str(j, a);
	ps_json_key(j, "family");
	ps_json_str(j, H->addr.family == AF_INET ? "inet" : "inet6");
	ps_json_key(j, "status");
	ps_json_str(j, H->status ? "up" : "down");
	ps_json_key(j, "reason");
	ps_json_str(j, H->status ? ps_reason_name(H->reason) : "no-response");
	ps_json_key(j, "local");
	ps_json_bool(j, H->local);
	ps_json_key(j, "netns");
	ps_json_str(j, H->netns[0] ? H->netns : NULL);
	ps_json_key(j, "ports");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < H->nports; i++) {
		const struct ps_scan_port *sp = &H->ports[i];
		if (m->open_only && sp->state != PS_PST_OPEN && sp->state != PS_PST_OPEN_FILTERED)
			continue;
		ps_json_obj_begin(j);
		ps_json_key(j, "proto");
		ps_json_str(j, proto_name(sp->proto));
		ps_json_key(j, "port");
		ps_json_u64(j, sp->port);
		ps_json_key(j, "state");
		ps_json_str(j, ps_pstate_name(sp->state));
		ps_json_key(j, "reason");
		ps_json_str(j, ps_reason_name(sp->reason));
		ps_json_key(j, "ttl");
		ps_json_u64(j, sp->ttl);
		ps_json_key(j, "service");
		ps_json_str(j, svc_name(sp, db));
		ps_json_key(j, "banner");
		ps_json_str(j, sp->banner);
		if (sp->ver) {
			ps_json_key(j, "product");
			ps_json_str(j, sp->ver->product[0] ? sp->ver->product : NULL);
			ps_json_key(j, "version");
			ps_json_str(j, sp->ver->version[0] ? sp->ver->version : NULL);
		}
		ps_json_key(j, "owner");
		ps_json_str(j, sp->owner);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
	ps_json_key(j, "counts");
	ps_json_obj_begin(j);
	for (unsigned st = PS_PST_OPEN; st < PS_PST_MAX; st++) {
		if (st == PS_PST_UNFILTERED && !H->counts[2][st])
			continue;
		ps_json_key(j, ps_pstate_name(st));
		ps_json_u64(j, H->counts[2][st]);
	}
	ps_json_obj_end(j);
	ps_json_key(j, "timed_out");
	ps_json_bool(j, H->timed_out);
	ps_json_key(j, "not_scanned");
	ps_json_u64(j, H->counts[2][PS_PST_NONE]);
	ps_json_key(j, "note");
	ps_json_str(j, H->note[0] ? H->note : NULL);
	ps_json_obj_end(j);
}

static void json_stats(struct ps_json *j, const struct ps_scan_result *r)
{
	const struct ps_scan_stats *s = &r->stats;
	ps_json_obj_begin(j);
	ps_json_key(j, "hosts_total");
	ps_json_u64(j, r->nhosts);
	ps_json_key(j, "hosts_up");
	ps_json_u64(j, r->hosts_up);
	ps_json_key(j, "down");
	ps_json_u64(j, r->nhosts - r->hosts_up);
	ps_json_key(j, "elapsed_s");
	ps_json_dbl(j, s->elapsed_ms / 1000);
	ps_json_key(j, "probes_sent");
	ps_json_u64(j, s->sent);
	ps_json_key(j, "retransmits");
	ps_json_u64(j, s->retransmits);
	ps_json_key(j, "discovery_probes");
	ps_json_u64(j, s->discovery_sent);
	ps_json_key(j, "replies");
	ps_json_u64(j, s->replies);
	ps_json_key(j, "invalid_replies");
	ps_json_u64(j, s->invalid_replies);
	ps_json_key(j, "late_replies");
	ps_json_u64(j, s->late_replies);
	ps_json_key(j, "peak_rate");
	ps_json_dbl(j, s->max_rate_seen);
	ps_json_key(j, "srtt_ms");
	ps_json_dbl(j, s->srtt_us / 1000.0);
	ps_json_key(j, "timeout_ms");
	ps_json_dbl(j, s->timeout_us / 1000.0);
	ps_json_key(j, "icmp_rate_limited");
	ps_json_bool(j, s->rate_limited_icmp);
	ps_json_key(j, "icmp_per_s");
	ps_json_dbl(j, s->icmp_per_s);
	ps_json_key(j, "udp_unresolved");
	ps_json_u64(j, s->udp_unresolved);
	ps_json_key(j, "interrupted");
	ps_json_bool(j, s->interrupted);
	ps_json_key(j, "scan_type");
	ps_json_str(j, r->tcp_type == PS_SCAN_SYN ? "syn" : r->tcp_type == PS_SCAN_CONNECT ? "connect" : NULL);
	ps_json_key(j, "udp");
	ps_json_bool(j, r->udp);
	ps_json_key(j, "seed");
	ps_json_u64(j, r->seed);
	if (r->shard_n > 1) {
		ps_json_key(j, "shard");
		char sh[32];
		snprintf(sh, sizeof sh, "%u/%u", r->shard_k, r->shard_n);
		ps_json_str(j, sh);
	}
	ps_json_key(j, "notes");
	ps_json_arr_begin(j);
	for (unsigned i = 0; i < r->nnotes; i++)
		ps_json_str(j, r->notes[i]);
	ps_json_arr_end(j);
	ps_json_obj_end(j);
}

int ps_out_scan(struct ps_buf *b, const char *format, const struct ps_scan_result *r, const struct ps_svcdb *db,
		const struct ps_scan_meta *m)
{
	if (strcmp(format, "normal") == 0)
		normal(b, r, db, m);
	else if (strcmp(format, "xml") == 0)
		xml(b, r, db, m);
	else if (strcmp(format, "grepable") == 0)
		grepable(b, r, db, m);
	else if (strcmp(format, "json") == 0) {
		struct ps_json j;
		ps_json_init(&j, b, false);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "hosts");
		ps_json_arr_begin(&j);
		for (size_t h = 0; h < r->nhosts; h++)
			if (r->hosts[h].status || m->all || r->nhosts <= 256)
				json_host(&j, &r->hosts[h], db, m);
		ps_json_arr_end(&j);
		ps_json_key(&j, "stats");
		json_stats(&j, r);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
	} else if (strcmp(format, "jsonl") == 0) {
		for (size_t h = 0; h < r->nhosts; h++) {
			if (!r->hosts[h].status && !m->all && r->nhosts > 256)
				continue;
			struct ps_json j;
			ps_json_init(&j, b, false);
			json_host(&j, &r->hosts[h], db, m);
			ps_buf_putc(b, '\n');
		}
		struct ps_json j;
		ps_json_init(&j, b, false);
		ps_json_obj_begin(&j);
		ps_json_key(&j, "stats");
		json_stats(&j, r);
		ps_json_obj_end(&j);
		ps_buf_putc(b, '\n');
	} else
		return -1;
	return b->err;
}
