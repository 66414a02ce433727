/* ps_scan.h - `portsec scan`: the outside view.
 *
 * Three engines share one target space and one result model:
 *  - SYN (raw sockets, CAP_NET_RAW): a sender that walks a keyed permutation
 *    of hosts x ports and a receiver thread that validates replies
 *    statelessly (the sequence number is a keyed SipHash of the target), with
 *    per-probe retransmission on an RTT-adaptive timeout;
 *  - connect (no privilege): non-blocking connect()s on epoll, IP_RECVERR
 *    tells an ICMP rejection from a TCP reset;
 *  - UDP (no privilege): protocol payloads from one socket per family,
 *    ICMP errors from the socket's error queue, and a resolution phase that
 *    paces itself to the target's ICMP rate limit.
 * Host discovery (ICMP echo, TCP SYN 443, TCP ACK 80, ICMP timestamp) runs
 * after the port probes, only for hosts that answered none of them.
 *
 * The pure parts (target and port specs, the permutation, packet building
 * and parsing) have no I/O and are unit-tested and fuzzed. */
#ifndef PORTSEC_PS_SCAN_H
#define PORTSEC_PS_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_model.h"


/* ---------------- targets ---------------- */
enum ps_target_kind { PS_TGT_V4, PS_TGT_V6, PS_TGT_NAME };
/* one token of nmap's target syntax: 198.18.0.1, 198.18.0.0/16,
 * 198.18.1-3.1-254, 198.18.*.1, 2001:db8::1, 2001:db8::/120, host.name */
struct ps_target_spec {
	enum ps_target_kind kind;
	uint8_t lo[4], hi[4];     /* V4: inclusive range per octet */
	uint32_t net, mask;       /* V4 CIDR (host order); mask 0 = octet form */
	uint8_t addr6[16];        /* V6: network (host bits cleared) */
	uint8_t prefix6;
	char name[256];           /* NAME */
};
/* PS_OK, PS_ERR_INVAL (syntax), PS_ERR_RANGE (a v4 /0../7 or v6 shorter than /104) */
int ps_target_spec_parse(const char *tok, struct ps_target_spec *out);
/* number of addresses the spec covers (NAME: 0) */
uint64_t ps_target_spec_count(const struct ps_target_spec *s);

struct ps_host_addr {
	uint8_t family;    /* AF_INET / AF_INET6 */
	uint8_t addr[16];
};
/* a sorted, de-duplicated address set */
struct ps_targets {
	struct ps_host_addr *a;
	size_t n, cap;
	size_t limit;      /* refuse to grow past this (0 = PS_SCAN_MAX_HOSTS) */
};
#define PS_SCAN_MAX_HOSTS (1u << 24)
#define PS_SCAN_MAX_PROBES (1ull << 27) /* hosts x ports per protocol in one run */
/* expand a V4/V6 spec into t (not yet sorted); PS_ERR_RANGE past the limit */
int ps_targets_add_spec(struct ps_targets *t, const struct ps_target_spec *s);
int ps_targets_add(struct ps_targets *t, int family, const uint8_t *addr);
/* sort + unique, then drop every address of ex (may be NULL); returns
 * how many were excluded */
size_t ps_targets_finish(struct ps_targets *t, const struct ps_targets *ex);
void ps_targets_free(struct ps_targets *t);
/* multicast, limited broadcast or unspecified ("what" says which) */
bool ps_addr_is_special(int family, const uint8_t *addr, const char **what);

/* ---------------- ports ---------------- */
struct ps_scan_ports {
	uint16_t *tcp, *udp;   /* sorted, unique */
	size_t ntcp, nudp;
	size_t tcap, ucap;     /* allocated (PS_VEC) */
};
/* nmap's -p: "22,80,1000-2000", "-" / "1-" / "-1024", "U:53,T:80,443",
 * service names (resolved through lookup; NULL = names refused).
 * default_protos: which protocols an item without T:/U: belongs to
 * (PS_P_TCP|PS_P_UDP bits; the scan types asked for). */
/* lookup: the ports named `name` for one protocol bit (nmap's -p http is
 * 80 and 8008): up to max into ports, how many */
typedef size_t (*ps_port_lookup_fn)(void *ctx, const char *name, unsigned proto, uint16_t *ports, size_t max);
int ps_scan_ports_parse(const char *spec, unsigned default_protos, ps_port_lookup_fn lookup, void *ctx,
			struct ps_scan_ports *out, char *err, size_t errlen);
/* the n most frequently open ports (nmap-services order) for proto */
int ps_scan_ports_top(unsigned proto, size_t n, struct ps_scan_ports *out);
int ps_scan_ports_add(struct ps_scan_ports *p, unsigned proto, uint16_t port);
void ps_scan_ports_finish(struct ps_scan_ports *p); /* sort + unique */
/* leave out of p every port of x (both finished) */
void ps_scan_ports_subtract(struct ps_scan_ports *p, const struct ps_scan_ports *x);
void ps_scan_ports_free(struct ps_scan_ports *p);
/* ports of the ranked list (index 0 = most frequent) */
const uint16_t *ps_top_ports(unsigned proto, size_t *n);

/* ---------------- permutation and sharding ---------------- */
/* a keyed bijection on [0,n): a 4-round Feistel cipher over a x b >= n with
 * cycle walking (masscan's BlackRock construction) */
struct ps_perm {
	uint64_t n, a, b;
	uint64_t k0, k1;
};
void ps_perm_init(struct ps_perm *p, uint64_t n, uint64_t seed);
uint64_t ps_perm_at(const struct ps_perm *p, uint64_t i);
/* shard k of count (1-based, masscan's K/N): the indices i with
 * i % count == k-1; first index and how many */
uint64_t ps_shard_len(uint64_t n, unsigned k, unsigned count);

/* SipHash-2-4 (the stateless cookie) */
uint64_t ps_siphash(const uint8_t key[16], const void *data, size_t len);

/* ---------------- packets (pure) ---------------- */
enum ps_pkt_kind {
	PS_PK_NONE = 0,
	PS_PK_TCP,
	PS_PK_ICMP_ERR,    /* destination unreachable etc. quoting our packet */
	PS_PK_ECHO_REPLY,
	PS_PK_TS_REPLY,    /* ICMP timestamp reply */
	PS_PK_UDP,
};
struct ps_pkt {
	enum ps_pkt_kind kind;
	uint8_t family;
	uint8_t src[16], dst[16];
	uint8_t ttl;
	/* TCP (or the quoted inner header of an ICMP error) */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint8_t inner_proto;              /* quoted packet's protocol */
	uint8_t inner_src[16], inner_dst[16];
};
enum { PS_TH_FIN = 0x01, PS_TH_SYN = 0x02, PS_TH_RST = 0x04, PS_TH_PSH = 0x08, PS_TH_ACK = 0x10 };
/* an IPv4 datagram as a raw socket delivers it (IP header first) */
int ps_pkt_parse_ip4(const void *buf, size_t len, struct ps_pkt *out);
/* an IPv6 raw socket's payload: TCP segment or ICMPv6 message (no IPv6
 * header; src/dst/hop limit come from recvmsg and are filled by the caller) */
int ps_pkt_parse_tcp6(const void *buf, size_t len, struct ps_pkt *out);
int ps_pkt_parse_icmp6(const void *buf, size_t len, struct ps_pkt *out);
/* map an ICMP(v6) error to a port state and reason (SYN scan rules):
 * returns false when the message says nothing about the port */
bool ps_icmp_verdict(int family, uint8_t type, uint8_t code, uint8_t *state, uint8_t *reason);

/* build probes; return the length written (buf >= 64 bytes) */
size_t ps_pkt_tcp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
		   uint32_t seq, uint32_t ack, uint8_t flags, uint8_t ttl, uint16_t ipid);
/* IPv6: the TCP segment only (the kernel computes the checksum: IPV6_CHECKSUM) */
size_t ps_pkt_tcp6(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags);
size_t ps_pkt_icmp4(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq);
size_t ps_pkt_icmp6_echo(uint8_t *buf, uint16_t id, uint16_t seq);
uint16_t ps_inet_csum(const void *data, size_t len, uint32_t sum);

/* UDP payloads for well-known services; NULL (len 0) = send an empty datagram */
const uint8_t *ps_udp_payload(uint16_t port, size_t *len, const char **name);
size_t ps_udp_payload_count(void);

/* banners: what an open TCP service said first (or to a HEAD) -> service */
struct ps_banner_info {
	char service[24];
	char product[64];
	char version[48];
	char extrainfo[80];
};
bool ps_banner_identify(const char *data, size_t len, uint16_t port, struct ps_banner_info *out);

/* ---------------- scan configuration ---------------- */
enum ps_scan_type { PS_SCAN_SYN = 1, PS_SCAN_CONNECT, PS_SCAN_UDP };

struct ps_timing {
	int level;                  /* -T0..5 */
	uint32_t min_rtt_us, initial_rtt_us, max_rtt_us;
	unsigned max_retries;       /* the floor: raised under measured loss unless retries_fixed */
	bool retries_fixed;         /* --max-retries given: never more */
	double min_rate, max_rate;  /* probes per second (0 = none) */
	uint32_t scan_delay_us;     /* between probes to one host (T0-T2) */
	unsigned max_parallel;      /* connect: sockets in flight */
	uint64_t host_timeout_ms;   /* 0 = none */
};
void ps_timing_template(int level, struct ps_timing *t);
#define PS_SCAN_DEFAULT_MAX_RATE 100000.0

struct ps_scan_progress {
	const char *phase;          /* "syn", "connect", "udp", "udp-resolve", "discovery", "banners" */
	uint64_t done, total;       /* probe targets decided / all in this phase */
	double elapsed_ms;
	double eta_ms;              /* < 0 unknown */
	double rate;                /* current probes/s */
	uint64_t found_open;
};

struct ps_scan_opts {
	struct ps_targets *targets;
	struct ps_scan_ports ports;
	bool syn, connect, udp;     /* which engines (syn and connect exclusive) */
	bool no_ping;               /* -Pn: every host up, no discovery */
	bool ping_only;             /* -sn: discovery only */
	bool versions;              /* -sV subset: banners */
	bool all_ports_listed;      /* --all: no "Not shown" folding */
	struct ps_timing timing;
	uint64_t seed;              /* permutation and cookie key */
	bool seed_given;
	unsigned shard_k, shard_n;  /* 0/0 = whole scan */
	uint16_t source_port;       /* 0 = random */
	uint64_t udp_budget_ms;     /* UDP resolution phase bound (0 = default) */
	volatile sig_atomic_t *stop;/* set by a signal handler: finish cleanly */
	void (*progress)(void *ctx, const struct ps_scan_progress *p);
	void *progress_ctx;
	double progress_every_ms;   /* 0 = every 1000 ms when progress is set */
};
void ps_scan_opts_init(struct ps_scan_opts *o);

/* ---------------- results ---------------- */
struct ps_scan_port {
	uint16_t port;
	uint8_t proto;      /* PS_PROTO_TCP / PS_PROTO_UDP */
	uint8_t state;      /* enum ps_pstate */
	uint8_t reason;     /* enum ps_reason */
	uint8_t ttl;
	const char *service;     /* table name or NULL (static storage) */
	char *banner;            /* first line the service said, or NULL */
	struct ps_banner_info *ver; /* -sV match or NULL */
	char *owner;             /* local target: "sshd (pid 812, user root)" or NULL */
};

struct ps_scan_host {
	struct ps_host_addr addr;
	uint8_t status;          /* 0 down, 1 up */
	uint8_t reason;          /* why up (enum ps_reason) */
	uint8_t ttl;
	bool local;              /* an address of this host: this namespace, loopback, or another namespace */
	char netns[96];          /* the other namespace it lives in ("" = this one) */
	bool timed_out;          /* --host-timeout hit */
	uint32_t counts[3][PS_PST_MAX]; /* [0] tcp, [1] udp, [2] both */
	uint8_t common[2];       /* per proto: the most common state (not kept port by port) */
	struct { uint8_t reason; uint32_t count; } common_reasons[2][4]; /* its reasons */
	struct ps_scan_port *ports; /* the non-folded ports, sorted by proto, port */
	size_t nports;
	uint32_t srtt_us, rttvar_us, to_us;
	char note[256];          /* e.g. "target limits ICMP to ~1/s: 412 UDP ports not told apart" */
};

struct ps_scan_stats {
	uint64_t sent, retransmits, replies, invalid_replies;
	uint64_t icmp_errors, late_replies;
	uint64_t discovery_sent;
	double max_rate_seen, final_rate;
	double elapsed_ms;
	uint32_t srtt_us, timeout_us;
	bool rate_limited_icmp;     /* UDP: the target's ICMP limit was detected */
	double icmp_per_s;          /* its measured rate */
	uint64_t udp_unresolved;    /* ports reported open|filtered for lack of ICMP tokens */
	bool interrupted;
};

struct ps_scan_result {
	struct ps_scan_host *hosts;     /* every target host (up and down), in target order */
	size_t nhosts;
	unsigned hosts_up;
	struct ps_scan_stats stats;
	int tcp_type;                   /* PS_SCAN_SYN / PS_SCAN_CONNECT / 0 */
	bool udp;
	struct ps_scan_ports ports;     /* what was scanned (a copy) */
	char notes[8][200];             /* engine notes (fallbacks, limits) */
	unsigned nnotes;
	uint64_t start_time;            /* unix seconds */
	uint64_t seed;
	unsigned shard_k, shard_n;
};

/* run the scan.  PS_ERR_PERM when raw sockets were asked for without
 * privilege (the caller decides whether to fall back to connect),
 * PS_ERR_INVAL for an empty or impossible scan, PS_ERR_RANGE past
 * PS_SCAN_MAX_PROBES.  On PS_OK *out holds every host. */
int ps_scan_run(const struct ps_scan_opts *o, struct ps_scan_result **out);
void ps_scan_result_free(struct ps_scan_result *r);
/* may this process use raw sockets? */
bool ps_scan_can_raw(void);
/* addresses of this namespace's interfaces: mark hosts local */
void ps_scan_mark_local(struct ps_scan_result *r);
/* name the owner of every open port of a host that lives on this machine,
 * from an inventory of listening sockets with owners and interface
 * addresses (this namespace, or every namespace: then hosts that are
 * addresses of another namespace are marked local with its name) */
void ps_scan_attach_owners(struct ps_scan_result *r, const struct ps_inventory *inv);

#endif
