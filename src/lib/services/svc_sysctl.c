/* svc_sysctl.c - what Linux does with ports here: the ephemeral range, the
 * first unprivileged port, reserved ports (per network namespace) */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "portsec/portsec.h"

void ps_sysctls_read(struct ps_port_sysctls *s)
{
	char buf[512];
	memset(s, 0, sizeof *s);
	if (ps_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof buf) > 0) {
		unsigned lo, hi;
		if (sscanf(buf, "%u %u", &lo, &hi) == 2 && lo <= 65535 && hi <= 65535) {
			s->eph_lo = (uint16_t)lo;
			s->eph_hi = (uint16_t)hi;
			s->have_range = true;
		}
	}
	if (ps_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_unprivileged_port_start", buf,
			     sizeof buf) > 0) {
		unsigned v;
		if (sscanf(buf, "%u", &v) == 1) {
			s->unpriv_start = v;
			s->have_unpriv = true;
		}
	}
	long n = ps_read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_local_reserved_ports", s->reserved,
				  sizeof s->reserved);
	if (n >= 0) {
		while (n > 0 && (s->reserved[n - 1] == '\n' || s->reserved[n - 1] == ' '))
			s->reserved[--n] = '\0';
		s->have_reserved = true;
	}
}

bool ps_reserved_contains(const char *list, uint16_t port)
{
	const char *p = list;
	while (*p) {
		unsigned lo = 0, hi;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 6) {
			lo = lo * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (!digits)
			return false;
		hi = lo;
		if (*p == '-') {
			p++;
			hi = 0;
			digits = 0;
			while (*p >= '0' && *p <= '9' && digits < 6) {
				hi = hi * 10 + (unsigned)(*p++ - '0');
				digits++;
			}
			if (!digits)
				return false;
		}
		if (port >= lo && port <= hi)
			return true;
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	return false;
}
