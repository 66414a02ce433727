/* finding.c - names of the model's enums: severities, views, and the outside
 * view's port states and reasons */

#include <string.h>

#include "portsec/ps_model.h"

const char *ps_severity_name(int sev)
{
	switch (sev) {
	case PS_SEV_HIGH: return "high";
	case PS_SEV_MEDIUM: return "medium";
	case PS_SEV_LOW: return "low";
	default: return "info";
	}
}

const char *ps_view_name(unsigned bit)
{
	switch (bit) {
	case PS_VIEW_SOCKDIAG: return "sock_diag";
	case PS_VIEW_PROCFS: return "procfs";
	case PS_VIEW_FDWALK: return "fd_walk";
	case PS_VIEW_SOCKSTAT: return "sockstat";
	case PS_VIEW_BIND: return "bind_probe";
	case PS_VIEW_CONNECT: return "connect_probe";
	case PS_VIEW_LIBC: return "libc";
	}
	return "unknown";
}

static const char *const pst_names[PS_PST_MAX] = {
	[PS_PST_NONE] = "unknown", [PS_PST_OPEN] = "open", [PS_PST_CLOSED] = "closed",
	[PS_PST_FILTERED] = "filtered", [PS_PST_OPEN_FILTERED] = "open|filtered",
	[PS_PST_UNFILTERED] = "unfiltered",
};
const char *ps_pstate_name(unsigned st)
{
	return st < PS_PST_MAX ? pst_names[st] : "unknown";
}

static const char *const rs_names[PS_RS_MAX] = {
	[PS_RS_NONE] = "unknown", [PS_RS_SYN_ACK] = "syn-ack", [PS_RS_RESET] = "reset",
	[PS_RS_CONN_REFUSED] = "conn-refused", [PS_RS_NO_RESPONSE] = "no-response",
	[PS_RS_NET_UNREACH] = "net-unreach", [PS_RS_HOST_UNREACH] = "host-unreach",
	[PS_RS_PROTO_UNREACH] = "proto-unreach", [PS_RS_PORT_UNREACH] = "port-unreach",
	[PS_RS_NET_PROHIBITED] = "net-prohibited", [PS_RS_HOST_PROHIBITED] = "host-prohibited",
	[PS_RS_ADMIN_PROHIBITED] = "admin-prohibited", [PS_RS_UDP_RESPONSE] = "udp-response",
	[PS_RS_ECHO_REPLY] = "echo-reply", [PS_RS_TIMESTAMP_REPLY] = "timestamp-reply",
	[PS_RS_USER_SET] = "user-set", [PS_RS_LOCALHOST] = "localhost-response",
	[PS_RS_NO_ROUTE] = "no-route", [PS_RS_ADDR_UNREACH] = "addr-unreach",
	[PS_RS_HOST_TIMEOUT] = "host-timeout", [PS_RS_RATE_LIMITED] = "icmp-rate-limited",
};
const char *ps_reason_name(unsigned r)
{
	return r < PS_RS_MAX && rs_names[r] ? rs_names[r] : "unknown";
}


struct ps_finding *ps_finding_push(struct ps_finding **v, size_t *n, size_t *cap, const char *kind, int sev)
{
	struct ps_finding *arr = *v;
	struct ps_finding *f = PS_VEC_PUSH(arr, *n, *cap);
	*v = arr;
	if (!f)
		return NULL;
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->severity = (uint8_t)sev;
	f->sock = -1;
	return f;
}
