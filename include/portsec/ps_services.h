/* ps_services.h - port knowledge: names, IANA ranges, what Linux does with a
 * port here (sysctls).  Works offline: a built-in table of common
 * assignments, merged with /etc/services when present. */
#ifndef PORTSEC_PS_SERVICES_H
#define PORTSEC_PS_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_model.h"

/* a port spec: "22", "22/tcp", "53/udp", "8000:8100/tcp", "8000-8100" (decimal;
 * protos = PS_P_TCP|PS_P_UDP when no protocol is given) */
int ps_parse_portspec(const char *s, struct ps_portspec *out);

struct ps_service {
	uint16_t port;
	uint8_t protos;          /* PS_P_TCP | PS_P_UDP */
	const char *name;
	const char *description; /* may be "" */
	uint8_t risk;            /* 0 none, 1 should rarely face the network, 2 cleartext/admin */
};

/* the built-in table (sorted by port) */
const struct ps_service *ps_services_builtin(size_t *n);

struct ps_svcdb;
/* builtin + /etc/services (path NULL = "/etc/services"; missing file is fine) */
int ps_svcdb_open(const char *path, struct ps_svcdb **out);
void ps_svcdb_free(struct ps_svcdb *db);
/* lookup by port and one protocol bit; NULL if unknown */
const struct ps_service *ps_svcdb_by_port(const struct ps_svcdb *db, uint16_t port, unsigned proto);
/* lookup by name or alias (case-insensitive); fills up to max entries, returns count */
size_t ps_svcdb_by_name(const struct ps_svcdb *db, const char *name,
			const struct ps_service **res, size_t max);
/* aliases for a port/proto from /etc/services (space-separated), or NULL */
const char *ps_svcdb_aliases(const struct ps_svcdb *db, uint16_t port, unsigned proto);
bool ps_svcdb_has_etc(const struct ps_svcdb *db);

/* nmap's own port names and frequencies, as nmap reads them (scan):
 * path NULL = PS_NMAP_SERVICES.  A file that cannot be read (PS_ERR_NOTFOUND)
 * or holds no nmap-services line (PS_ERR_INVAL) gives the built-in table and
 * /etc/services in *out, so the caller says which it uses (ps_svcdb_source). */
#define PS_NMAP_SERVICES "/usr/share/nmap/nmap-services"
int ps_svcdb_open_nmap(const char *path, struct ps_svcdb **out);
const char *ps_svcdb_source(const struct ps_svcdb *db);
bool ps_svcdb_is_nmap(const struct ps_svcdb *db);
/* nmap-services only: the ports of proto (one bit) by frequency, most
 * often open first (nmap's --top-ports order); how many put in out */
size_t ps_svcdb_ranked(const struct ps_svcdb *db, unsigned proto, uint16_t *out, size_t max);
/* pure parser for nmap-services lines "name port/proto frequency # comment"
 * (sctp lines skipped) */
int ps_nmap_services_parse(const char *buf, size_t len,
			   int (*cb)(void *ctx, const char *name, uint16_t port, unsigned proto, double freq),
			   void *ctx);

/* pure parser for /etc/services; cb gets name, port, proto bit, aliases */
int ps_etc_services_parse(const char *buf, size_t len,
			  int (*cb)(void *ctx, const char *name, uint16_t port, unsigned proto,
				    const char *aliases),
			  void *ctx);

/* a port that old rootkits and trojans used (a hint), or NULL */
const char *ps_backdoor_port(uint16_t port, unsigned proto);

/* per-netns port sysctls */
struct ps_port_sysctls {
	bool have_range, have_unpriv, have_reserved;
	uint16_t eph_lo, eph_hi;       /* net.ipv4.ip_local_port_range */
	uint32_t unpriv_start;         /* net.ipv4.ip_unprivileged_port_start */
	char reserved[256];            /* net.ipv4.ip_local_reserved_ports (text) */
};
/* read through /proc/sys of the calling thread's netns */
void ps_sysctls_read(struct ps_port_sysctls *s);
/* is port in the reserved list text ("1,2-5,8")? */
bool ps_reserved_contains(const char *list, uint16_t port);

#endif
