/* ps_probe.h - probes that ask the kernel itself whether a port is taken.
 *
 * The bind sweep is the view no listing can lie to: bind() fails with
 * EADDRINUSE when any socket holds the port, whatever /proc or sock_diag
 * say.  One dual-stack probe per port ([::]:p with IPV6_V6ONLY off) covers
 * the IPv4 and the IPv6 space at once; a port it finds taken is probed again
 * per family (0.0.0.0:p, and [::]:p v6-only) to tell which space holds it.
 * Probes never set SO_REUSEADDR/SO_REUSEPORT, so bound-only, time-wait,
 * SO_REUSEADDR and REUSEPORT holders all collide.  Raw syscalls throughout.
 *
 * The loopback connect sweep finds listeners that accept a connection on
 * 127.0.0.1 / ::1 (self-connects are recognised and ignored). */
#ifndef PORTSEC_PS_PROBE_H
#define PORTSEC_PS_PROBE_H

#include "ps_model.h"

struct ps_bind_opts {
	unsigned protos;       /* PS_P_TCP | PS_P_UDP (0 = both) */
	uint16_t lo, hi;       /* port range (0,0 = 1..65535) */
	const uint8_t *skip;   /* 8192-byte bitmap of ports not to probe, or NULL */
	int threads;           /* 0 = number of CPUs (max 8) */
};

struct ps_bind_hit {
	uint16_t port;
	uint8_t proto;         /* PS_PROTO_TCP or PS_PROTO_UDP */
	bool v4, v6;           /* which address space has a socket on the port */
};

struct ps_bind_result {
	struct ps_bind_hit *hits;  /* sorted by proto, port */
	size_t nhits;
	unsigned probed;           /* ports probed (per protocol, summed) */
	unsigned skipped;          /* ports in the skip map (per protocol, summed) */
	unsigned denied;           /* EACCES: ports below ip_unprivileged_port_start without privilege */
	unsigned failed;           /* other errors (first one in first_errno) */
	int first_errno;
	bool dual;                 /* IPv6 available: dual-stack probes; else IPv4 only */
	double ms;
};

int ps_bind_sweep(const struct ps_bind_opts *o, struct ps_bind_result *out);
void ps_bind_result_free(struct ps_bind_result *r);
/* one port again: *v4 / *v6 set to whether that space is taken.
 * Returns PS_OK, or PS_ERR_PERM / PS_ERR_SYS when the probe could not tell. */
int ps_bind_probe_port(uint8_t proto, uint16_t port, bool *v4, bool *v6);

struct ps_connect_result {
	uint16_t *open4, *open6;  /* ports that accepted on 127.0.0.1 / ::1 */
	size_t nopen4, nopen6;
	unsigned unanswered;      /* probes that timed out (dropped by a firewall) */
	unsigned failed;
	double ms;
};
/* every port (lo..hi) on 127.0.0.1 and ::1, bounded: in_flight at once,
 * timeout_ms per batch */
int ps_connect_sweep(uint16_t lo, uint16_t hi, struct ps_connect_result *out);
void ps_connect_result_free(struct ps_connect_result *r);

#endif
