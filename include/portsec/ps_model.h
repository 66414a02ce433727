/* ps_model.h - the one result model shared by every view.
 *
 * A socket row (struct ps_socket) is an observation of an endpoint key
 * (netns, family, proto, local address, port) by one or more sources, with
 * its state and owners.  Rows, owners, processes and namespaces live in one
 * struct ps_inventory that owns all their memory (freed by
 * ps_inventory_free).  Later views (scan, firewall, hidden) attach to the
 * same keys. */
#ifndef PORTSEC_PS_MODEL_H
#define PORTSEC_PS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_util.h"

enum ps_proto {
	PS_PROTO_TCP = 1,
	PS_PROTO_UDP = 2,
	PS_PROTO_RAW = 3,
	PS_PROTO_PACKET = 4,
};

/* socket states: the kernel's TCP numbering (include/net/tcp_states.h).
 * UDP and raw sockets use ESTABLISHED (connected) and CLOSE (unconnected). */
enum ps_state {
	PS_ST_UNKNOWN = 0,
	PS_ST_ESTABLISHED = 1,
	PS_ST_SYN_SENT,
	PS_ST_SYN_RECV,
	PS_ST_FIN_WAIT1,
	PS_ST_FIN_WAIT2,
	PS_ST_TIME_WAIT,
	PS_ST_CLOSE,
	PS_ST_CLOSE_WAIT,
	PS_ST_LAST_ACK,
	PS_ST_LISTEN,
	PS_ST_CLOSING,
	PS_ST_NEW_SYN_RECV,
	PS_ST_BOUND_INACTIVE, /* TCP socket bound, never listen()ed or connect()ed */
	PS_ST_MAX
};

/* views that can observe a socket */
enum ps_source {
	PS_SRC_SOCKDIAG = 1u << 0, /* NETLINK_SOCK_DIAG dump */
	PS_SRC_PROCFS = 1u << 1,   /* /proc/net/{tcp,udp,raw,packet}{,6} */
	PS_SRC_FDWALK = 1u << 2,   /* an inode seen in /proc/PID/fd */
};

/* why a socket has no owner */
enum ps_owner_note {
	PS_ON_NONE = 0,          /* owners present (or not looked for) */
	PS_ON_TIME_WAIT,         /* time-wait: the kernel holds it, no file */
	PS_ON_ORPHAN,            /* inode 0: closed by its process, kernel finishing */
	PS_ON_OTHER_PIDNS,       /* we run in a child PID namespace; owner may be outside */
	PS_ON_PERM_DENIED,       /* some /proc/PID/fd of that uid could not be read */
	PS_ON_NO_OWNER,          /* no process holds it (fd in flight, kernel, or hidden) */
	PS_ON_NOT_WALKED,        /* owners were not asked for */
};

enum ps_scope {
	PS_SCOPE_ANY = 0,     /* wildcard address: every interface */
	PS_SCOPE_LOOPBACK,    /* 127/8, ::1, ::ffff:127/104 */
	PS_SCOPE_ADDRESS,     /* one specific address */
};

enum ps_iana_range { PS_RANGE_WELL_KNOWN, PS_RANGE_REGISTERED, PS_RANGE_DYNAMIC };

struct ps_netns {
	uint64_t inode;
	uint64_t dev;
	char name[96];      /* "" when unnamed; "/run/netns" name or "docker:<id>" */
	bool current;       /* the namespace portsec started in */
	bool entered;       /* dumped successfully */
	int holder_pid;     /* one process living in it, 0 if none */
	const char *found_via; /* "self", "process", "/run/netns", "docker", "socket" */
	unsigned nprocs;    /* processes living in it */
	char path[160];     /* a file that names it (for setns), "" if none */
};

struct ps_proc {
	int32_t pid;
	uint32_t uid;
	char comm[16];
	uint64_t netns_inode; /* the process's own netns (0 if unknown) */
	bool details;         /* exe, cmdline, cgroup loaded */
	bool exe_deleted;
	char *exe;            /* NULL if unreadable */
	char *cmdline;        /* argv joined by spaces */
	char *cgroup;         /* cgroup v2 path (or first v1 line's path) */
	char *unit;           /* systemd unit from the cgroup path, or NULL */
	char *container;      /* container id/name from the cgroup path, or NULL */
};

struct ps_owner {
	uint32_t proc;  /* index into ps_inventory.procs */
	int32_t fd;
};

struct ps_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct ps_socket {
	uint64_t inode;
	uint64_t cookie;
	uint32_t netns;       /* index into ps_inventory.netns */
	uint32_t uid;
	uint32_t ifindex;     /* bound device (0 = any) */
	uint32_t rqueue, wqueue;
	uint32_t owner_first; /* index into ps_inventory.owners */
	uint32_t owner_count;
	uint32_t filter_first; /* index into ps_inventory.insns (packet filter) */
	uint32_t filter_len;   /* 0 = no classic filter seen */
	uint16_t lport, rport;
	uint16_t protocol;    /* raw: IP protocol; packet: ethertype (host order) */
	uint8_t family;       /* AF_INET, AF_INET6, AF_PACKET */
	uint8_t proto;        /* enum ps_proto */
	uint8_t state;        /* enum ps_state */
	uint8_t sources;      /* enum ps_source bits */
	int8_t v6only;        /* -1 unknown / not applicable */
	uint8_t owner_note;   /* enum ps_owner_note */
	uint8_t pkt_type;     /* packet sockets: SOCK_RAW or SOCK_DGRAM */
	bool has_filter;      /* packet: a filter is attached (even if not readable) */
	bool tw_mini;         /* a time-wait mini-socket (the kernel's timewait timer runs),
			       * whatever its substate: TIME-WAIT or an orphaned FIN-WAIT-2 */
	uint8_t laddr[16], raddr[16];
};

struct ps_source_info {
	char name[40];        /* e.g. "sock_diag tcp6", "/proc/net/raw", "proc fd walk" */
	uint64_t netns_inode;
	bool ok;
	uint32_t rows;
	char detail[160];     /* why it failed or what was skipped */
};

/* the kernel's own counters of hashed sockets (/proc/net/sockstat{,6}) of
 * one network namespace: "inuse" per protocol, plus TCP time-wait */
struct ps_sockstat {
	bool ok4, ok6;
	uint32_t tcp, tcp_tw, udp, udplite, raw;
	uint32_t tcp6, udp6, udplite6, raw6;
};

/* a socket file descriptor seen by the /proc/PID/fd walk (hidden checks) */
struct ps_fdref {
	int32_t pid;
	int32_t fd;
	uint64_t inode;  /* socket inode, or 0 for a bpf-prog fd */
	uint32_t uid;
	char comm[16];
};

struct ps_arena; /* bump allocator (src/lib/util) */

struct ps_inventory {
	struct ps_socket *socks;
	size_t nsocks, socks_cap;
	struct ps_owner *owners;
	size_t nowners;
	struct ps_proc *procs;
	size_t nprocs, procs_cap;
	struct ps_netns *netns;
	size_t nnetns, netns_cap;
	struct ps_bpf_insn *insns;
	size_t ninsns, insns_cap;
	struct ps_source_info *sources;
	size_t nsources, sources_cap;
	char **warnings;
	size_t nwarnings, warnings_cap;
	/* interface names per namespace (index -> name) */
	struct ps_iface { uint32_t netns; uint32_t index; char name[16]; } *ifaces;
	size_t nifaces, ifaces_cap;
	/* interface addresses per namespace (which namespace an address lives in) */
	struct ps_ns_addr { uint32_t netns; uint8_t family; uint8_t addr[16]; } *addrs;
	size_t naddrs, addrs_cap;
	/* uid -> user name */
	struct ps_user { uint32_t uid; char *name; } *users;
	size_t nusers;
	/* facts of the run */
	bool walked;              /* the /proc fd walk ran */
	unsigned walk_procs;      /* processes visited */
	unsigned walk_denied;     /* processes whose fd table was unreadable */
	uint32_t *denied_uids;    /* uids of those processes */
	size_t ndenied_uids;
	bool child_pidns;         /* we run in a non-initial PID namespace */
	bool bound_inactive_view; /* kernel can dump bound-inactive TCP */
	char kernel[65];
	char proc_root[64];        /* "/proc" unless testing */
	/* asked for by `hidden` (ps_inv_opts.crosscheck) */
	struct ps_sockstat counters_before, counters_after; /* around the dumps */
	struct ps_fdref *unmatched; /* socket fds whose inode no row has */
	size_t nunmatched;
	struct ps_fdref *bpffds;    /* fds that are eBPF programs (anon_inode:bpf-prog) */
	size_t nbpffds;
	bool unmatched_truncated;
	struct ps_arena *arena;
};

const char *ps_proto_name(uint8_t proto);              /* "tcp", "udp", "raw", "packet" */
const char *ps_family_name(uint8_t family);            /* "inet", "inet6", "packet" */
const char *ps_state_name(uint8_t proto, uint8_t state); /* "listen", "unconnected", ... */
int ps_state_parse(const char *s, unsigned *mask);     /* name -> bit mask (1 << state) */
const char *ps_owner_note_name(uint8_t note);          /* NULL for PS_ON_NONE */
enum ps_scope ps_scope_of(uint8_t family, const uint8_t *addr);
const char *ps_scope_name(enum ps_scope s);
enum ps_iana_range ps_iana_range_of(uint16_t port);
const char *ps_iana_range_name(enum ps_iana_range r);
bool ps_addr_is_any(uint8_t family, const uint8_t *addr);
bool ps_socket_is_listener(const struct ps_socket *s); /* tcp listen or udp/raw unconnected */

/* one classic BPF instruction as tcpdump -d prints it ("(001) jeq #0x800
 * jt 2 jf 5"); idx is its position, total the program length (jump targets
 * past the end are marked).  Returns the length written (truncated to cap). */
size_t ps_bpf_insn_format(const struct ps_bpf_insn *in, unsigned idx, unsigned total, char *dst,
			  size_t cap);

/* inventory container helpers (used by collectors and tests) */
struct ps_inventory *ps_inventory_new(void);
void ps_inventory_free(struct ps_inventory *inv);
struct ps_socket *ps_inventory_add_socket(struct ps_inventory *inv);
int ps_inventory_add_netns(struct ps_inventory *inv, const struct ps_netns *ns, uint32_t *idx);
int ps_inventory_find_netns(const struct ps_inventory *inv, uint64_t inode);
int ps_inventory_warn(struct ps_inventory *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct ps_source_info *ps_inventory_add_source(struct ps_inventory *inv, const char *name,
					       uint64_t netns_inode);
int ps_inventory_add_insns(struct ps_inventory *inv, const struct ps_bpf_insn *in, size_t n,
			   uint32_t *first);
const char *ps_inventory_username(const struct ps_inventory *inv, uint32_t uid);
const char *ps_inventory_ifname(const struct ps_inventory *inv, uint32_t netns, uint32_t index);
int ps_inventory_add_iface(struct ps_inventory *inv, uint32_t netns, uint32_t index, const char *name);
int ps_inventory_add_addr(struct ps_inventory *inv, uint32_t netns, int family, const uint8_t *addr);
/* the namespace (index) an interface address lives in, or -1 */
long ps_inventory_netns_of_addr(const struct ps_inventory *inv, int family, const uint8_t *addr);
char *ps_inventory_strdup(struct ps_inventory *inv, const char *s, size_t n);
const struct ps_proc *ps_socket_owner_proc(const struct ps_inventory *inv,
					   const struct ps_socket *s, uint32_t k);

/* ---- findings: what a check concluded (hidden, the report, audit, watch) ---- */
enum ps_severity { PS_SEV_INFO = 0, PS_SEV_LOW, PS_SEV_MEDIUM, PS_SEV_HIGH };
const char *ps_severity_name(int sev);

/* views that can see (or miss) a socket, in findings' views_seen/missing */
enum ps_view {
	PS_VIEW_SOCKDIAG = 1u << 0,
	PS_VIEW_PROCFS = 1u << 1,
	PS_VIEW_FDWALK = 1u << 2,
	PS_VIEW_SOCKSTAT = 1u << 3,
	PS_VIEW_BIND = 1u << 4,
	PS_VIEW_CONNECT = 1u << 5,
	PS_VIEW_LIBC = 1u << 6,
	PS_VIEW_COUNT = 7,
};
const char *ps_view_name(unsigned bit); /* "sock_diag", "procfs", "fd_walk", ... */

/* one finding: a check id, a severity, a line in plain words, the endpoint
 * it concerns (if any), evidence lines and a remediation.  Its strings belong
 * to whoever made it (an arena of the hidden report or the assessment). */
struct ps_finding {
	const char *kind;        /* the check id (static, docs/checks.md): "hidden-port", ... */
	uint8_t severity;        /* enum ps_severity */
	char *summary;           /* one line in plain words */
	bool has_endpoint;
	uint8_t proto, family;   /* PS_PROTO_*, AF_* (0 = both spaces) */
	uint16_t port;
	uint8_t addr[16];
	uint64_t inode;
	int32_t sock;            /* row of the report's inventory, or -1 */
	int32_t pid;             /* the process concerned (0 = none) */
	unsigned views_seen, views_missing; /* enum ps_view bits */
	char *remediation;       /* one line a user can paste, or NULL */
	char **evidence;         /* lines */
	size_t nevidence, evidence_cap;
};

/* one more finding at the end of (*v, *n, *cap), zeroed but for its id,
 * severity and sock = -1; NULL when out of memory */
struct ps_finding *ps_finding_push(struct ps_finding **v, size_t *n, size_t *cap, const char *kind, int sev);

/* ---- the outside view: port states and reasons (nmap's words) ---- */
enum ps_pstate {
	PS_PST_NONE = 0,       /* not decided yet */
	PS_PST_OPEN,
	PS_PST_CLOSED,
	PS_PST_FILTERED,
	PS_PST_OPEN_FILTERED,  /* UDP: silence */
	PS_PST_UNFILTERED,
	PS_PST_MAX
};
const char *ps_pstate_name(unsigned st); /* "open", "closed", "filtered", "open|filtered", ... */

enum ps_reason {
	PS_RS_NONE = 0,
	PS_RS_SYN_ACK,
	PS_RS_RESET,
	PS_RS_CONN_REFUSED,
	PS_RS_NO_RESPONSE,
	PS_RS_NET_UNREACH,
	PS_RS_HOST_UNREACH,
	PS_RS_PROTO_UNREACH,
	PS_RS_PORT_UNREACH,
	PS_RS_NET_PROHIBITED,
	PS_RS_HOST_PROHIBITED,
	PS_RS_ADMIN_PROHIBITED,
	PS_RS_UDP_RESPONSE,
	PS_RS_ECHO_REPLY,
	PS_RS_TIMESTAMP_REPLY,
	PS_RS_USER_SET,
	PS_RS_LOCALHOST,
	PS_RS_NO_ROUTE,
	PS_RS_ADDR_UNREACH,
	PS_RS_HOST_TIMEOUT,   /* --host-timeout or Ctrl-C before an answer */
	PS_RS_RATE_LIMITED,   /* UDP: closed or open|filtered, the ICMP limit kept us from telling */
	PS_RS_MAX
};
const char *ps_reason_name(unsigned r); /* "syn-ack", "reset", "no-response", ... */

/* a port spec (parsed by ps_parse_portspec, ps_services.h): "22", "22/tcp", "53/udp", "8000:8100/tcp", "8000-8100".
 * protos is PS_P_TCP|PS_P_UDP when no protocol is given. */
struct ps_portspec {
	uint16_t lo, hi;
	unsigned protos;
	bool proto_given;
};

/* filters: the words users type after `portsec list` (ss-like). */
struct ps_filter {
	unsigned protos;        /* PS_P_* (0 = all) */
	unsigned families;      /* bit 0 inet, bit 1 inet6 (0 = all) */
	unsigned states;        /* 1 << state (0 = all); UDP maps listen->unconnected */
	bool have_port, have_sport, have_dport;
	struct ps_portspec port, sport, dport;
	const char *proc;       /* comm or exe basename */
	bool have_pid;
	int32_t pid;
	bool have_uid;
	uint32_t uid;
	const char *netns;      /* name or inode number */
	int scope;              /* -1 = any, else enum ps_scope */
};
void ps_filter_init(struct ps_filter *f);
bool ps_filter_match(const struct ps_filter *f, const struct ps_inventory *inv,
		     const struct ps_socket *s);

#endif
