/* scan_pkt.c - probe packets built and replies parsed, bytes in and bytes
 * out (no I/O; fuzzed by fuzz_scan), the UDP payload table and the banner
 * matcher. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "portsec/ps_error.h"
#include "portsec/ps_scan.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)), wr16(p + 2, (uint16_t)v); }

uint16_t ps_inet_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	while (len > 1) {
		sum += rd16(p);
		p += 2, len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* the TCP header nmap sends with a SYN: 24 bytes, MSS 1460 */
static size_t tcp_hdr(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	bool syn = flags & PS_TH_SYN;
	size_t hl = syn ? 24 : 20;
	memset(t, 0, hl);
	wr16(t, sport);
	wr16(t + 2, dport);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	wr16(t + 14, 1024);
	if (syn) {
		t[20] = 2, t[21] = 4;
		wr16(t + 22, 1460);
	}
	return hl;
}

size_t ps_pkt_tcp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
		   uint32_t seq, uint32_t ack, uint8_t flags, uint8_t ttl, uint16_t ipid)
{
	uint8_t *ip = buf, *t = buf + 20;
	size_t tl = tcp_hdr(t, sport, dport, seq, ack, flags);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + tl));
	wr16(ip + 4, ipid);
	ip[8] = ttl;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	wr16(ip + 10, ps_inet_csum(ip, 20, 0));
	uint32_t ps = rd16(src) + rd16(src + 2) + rd16(dst) + rd16(dst + 2) + IPPROTO_TCP + (uint32_t)tl;
	wr16(t + 16, ps_inet_csum(t, tl, ps));
	return 20 + tl;
}

size_t ps_pkt_tcp6(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	return tcp_hdr(buf, sport, dport, seq, ack, flags);
}

size_t ps_pkt_icmp4(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq)
{
	size_t len = type == 13 ? 20 : 8; /* timestamp request carries 3 stamps */
	memset(buf, 0, len);
	buf[0] = type;
	wr16(buf + 4, id);
	wr16(buf + 6, seq);
	wr16(buf + 2, ps_inet_csum(buf, len, 0));
	return len;
}

size_t ps_pkt_icmp6_echo(uint8_t *buf, uint16_t id, uint16_t seq)
{
	memset(buf, 0, 8);
	buf[0] = 128;
	wr16(buf + 4, id);
	wr16(buf + 6, seq);
	return 8; /* the kernel fills the ICMPv6 checksum */
}

static int parse_tcp(const uint8_t *t, size_t len, struct ps_pkt *o)
{
	if (len < 20)
		return PS_ERR_TRUNC;
	o->sport = rd16(t);
	o->dport = rd16(t + 2);
	o->seq = rd32(t + 4);
	o->ack = rd32(t + 8);
	o->flags = t[13];
	return PS_OK;
}

/* the quoted packet inside an ICMPv4 error: IPv4 header + at least 8 bytes */
static int parse_inner4(const uint8_t *q, size_t len, struct ps_pkt *o)
{
	if (len < 20 || (q[0] >> 4) != 4)
		return PS_ERR_PROTO;
	size_t ihl = (size_t)(q[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 8)
		return PS_ERR_TRUNC;
	o->inner_proto = q[9];
	memcpy(o->inner_src, q + 12, 4);
	memcpy(o->inner_dst, q + 16, 4);
	const uint8_t *l4 = q + ihl;
	o->sport = rd16(l4);
	o->dport = rd16(l4 + 2);
	if (o->inner_proto == IPPROTO_TCP)
		o->seq = rd32(l4 + 4); /* the first 8 bytes are always quoted */
	else if (o->inner_proto == IPPROTO_ICMP) {
		o->icmp_id = rd16(l4 + 4);
		o->icmp_seq = rd16(l4 + 6);
	}
	return PS_OK;
}

int ps_pkt_parse_ip4(const void *buf, size_t len, struct ps_pkt *o)
{
	const uint8_t *p = buf;
	memset(o, 0, sizeof *o);
	if (len < 20 || (p[0] >> 4) != 4)
		return PS_ERR_PROTO;
	size_t ihl = (size_t)(p[0] & 15) * 4;
	size_t tot = rd16(p + 2);
	if (ihl < 20 || len < ihl)
		return PS_ERR_TRUNC;
	if (tot >= ihl && tot < len)
		len = tot; /* ignore link padding */
	if (rd16(p + 6) & 0x1fff)
		return PS_ERR_PROTO; /* a non-first fragment */
	o->family = AF_INET;
	o->ttl = p[8];
	memcpy(o->src, p + 12, 4);
	memcpy(o->dst, p + 16, 4);
	const uint8_t *l4 = p + ihl;
	size_t l4len = len - ihl;
	switch (p[9]) {
	case IPPROTO_TCP:
		o->kind = PS_PK_TCP;
		return parse_tcp(l4, l4len, o);
	case IPPROTO_ICMP:
		if (l4len < 8)
			return PS_ERR_TRUNC;
		o->icmp_type = l4[0];
		o->icmp_code = l4[1];
		o->icmp_id = rd16(l4 + 4);
		o->icmp_seq = rd16(l4 + 6);
		if (l4[0] == 0) {
			o->kind = PS_PK_ECHO_REPLY;
			return PS_OK;
		}
		if (l4[0] == 14) {
			o->kind = PS_PK_TS_REPLY;
			return PS_OK;
		}
		if (l4[0] == 3 || l4[0] == 11 || l4[0] == 12 || l4[0] == 4 || l4[0] == 5) {
			o->kind = PS_PK_ICMP_ERR;
			uint16_t id = o->icmp_id, sq = o->icmp_seq;
			int rc = parse_inner4(l4 + 8, l4len - 8, o);
			if (o->inner_proto != IPPROTO_ICMP)
				o->icmp_id = id, o->icmp_seq = sq;
			return rc;
		}
		return PS_ERR_PROTO;
	case IPPROTO_UDP:
		if (l4len < 8)
			return PS_ERR_TRUNC;
		o->kind = PS_PK_UDP;
		o->sport = rd16(l4);
		o->dport = rd16(l4 + 2);
		return PS_OK;
	default:
		return PS_ERR_PROTO;
	}
}

int ps_pkt_parse_tcp6(const void *buf, size_t len, struct ps_pkt *o)
{
	o->kind = PS_PK_TCP;
	o->family = AF_INET6;
	return parse_tcp(buf, len, o);
}

int ps_pkt_parse_icmp6(const void *buf, size_t len, struct ps_pkt *o)
{
	const uint8_t *p = buf;
	o->family = AF_INET6;
	if (len < 8)
		return PS_ERR_TRUNC;
	o->icmp_type = p[0];
	o->icmp_code = p[1];
	o->icmp_id = rd16(p + 4);
	o->icmp_seq = rd16(p + 6);
	if (p[0] == 129) {
		o->kind = PS_PK_ECHO_REPLY;
		return PS_OK;
	}
	if (p[0] >= 1 && p[0] <= 4) {
		/* quoted IPv6 header + upper layer; extension headers are walked */
		const uint8_t *q = p + 8;
		size_t ql = len - 8;
		if (ql < 40 || (q[0] >> 4) != 6)
			return PS_ERR_TRUNC;
		o->kind = PS_PK_ICMP_ERR;
		memcpy(o->inner_src, q + 8, 16);
		memcpy(o->inner_dst, q + 24, 16);
		uint8_t nh = q[6];
		size_t off = 40;
		for (int hops = 0; hops < 8; hops++) {
			if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, dest options */
				if (ql < off + 8)
					return PS_ERR_TRUNC;
				nh = q[off];
				off += ((size_t)q[off + 1] + 1) * 8;
				continue;
			}
			break;
		}
		o->inner_proto = nh;
		if (ql < off + 8)
			return PS_ERR_TRUNC;
		const uint8_t *l4 = q + off;
		o->sport = rd16(l4);
		o->dport = rd16(l4 + 2);
		if (nh == IPPROTO_TCP)
			o->seq = rd32(l4 + 4);
		else if (nh == IPPROTO_ICMPV6) {
			o->icmp_id = rd16(l4 + 4);
			o->icmp_seq = rd16(l4 + 6);
		}
		return PS_OK;
	}
	return PS_ERR_PROTO;
}

bool ps_icmp_verdict(int family, uint8_t type, uint8_t code, uint8_t *state, uint8_t *reason)
{
	if (family == AF_INET) {
		if (type != 3)
			return false;
		static const uint8_t map[16] = {
			[0] = PS_RS_NET_UNREACH, [1] = PS_RS_HOST_UNREACH, [2] = PS_RS_PROTO_UNREACH,
			[3] = PS_RS_PORT_UNREACH, [9] = PS_RS_NET_PROHIBITED, [10] = PS_RS_HOST_PROHIBITED,
			[13] = PS_RS_ADMIN_PROHIBITED,
		};
		if (code >= 16 || !map[code])
			return false;
		*state = PS_PST_FILTERED;
		*reason = map[code];
		return true;
	}
	if (type != 1)
		return false;
	switch (code) {
	case 0: *reason = PS_RS_NO_ROUTE; break;
	case 1: *reason = PS_RS_ADMIN_PROHIBITED; break;
	case 3: *reason = PS_RS_ADDR_UNREACH; break;
	case 4: *reason = PS_RS_PORT_UNREACH; break;
	default: return false;
	}
	*state = PS_PST_FILTERED;
	return true;
}

/* ---------------- UDP payloads ---------------- */
struct udp_payload {
	uint16_t port;
	const char *name;
	const uint8_t *data;
	size_t len;
};

#define P(port, name, ...)                                                                              \
	{port, name, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})}

/* DNS: standard query, id 0x7073 ("ps"), RD, one question "version.bind" TXT CH */
#define DNS_VERSION_BIND                                                                                \
	0x70, 0x73, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7, 'v', 'e', 'r', 's', 'i',  \
		'o', 'n', 4, 'b', 'i', 'n', 'd', 0, 0x00, 0x10, 0x00, 0x03
/* mDNS: query _services._dns-sd._udp.local PTR (unicast response bit) */
#define MDNS_SERVICES                                                                                   \
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 9, '_', 's', 'e', 'r', 'v',  \
		'i', 'c', 'e', 's', 7, '_', 'd', 'n', 's', '-', 's', 'd', 4, '_', 'u', 'd', 'p', 5, 'l',     \
		'o', 'c', 'a', 'l', 0, 0x00, 0x0c, 0x80, 0x01

static const struct udp_payload payloads[] = {
	P(7, "echo", 'p', 'o', 'r', 't', 's', 'e', 'c', '\r', '\n'),
	P(53, "dns", DNS_VERSION_BIND),
	/* TFTP read request for a file that should not exist: an error packet answers */
	P(69, "tftp", 0x00, 0x01, 'p', 's', '.', 't', 'x', 't', 0x00, 'o', 'c', 't', 'e', 't', 0x00),
	/* ONC RPC portmapper NULL call (xid 0x70730001) */
	P(111, "rpcbind", 0x70, 0x73, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	/* NTP v4 client request (mode 3) */
	P(123, "ntp", 0xe3, 0x00, 0x04, 0xfa, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	/* NetBIOS name service: node status request for "*" */
	P(137, "netbios-ns", 0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 'C',
	  'K', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
	  'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 0x00, 0x00, 0x21, 0x00, 0x01),
	/* SNMPv1 get-request, community "public", sysDescr.0 */
	P(161, "snmp", 0x30, 0x26, 0x02, 0x01, 0x00, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x19, 0x02,
	  0x01, 0x70, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01,
	  0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00),
	/* CLDAP rootDSE search (objectClass present) */
	P(389, "ldap", 0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00,
	  0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, 'o', 'b', 'j', 'e', 'c', 't', 'c',
	  'l', 'a', 's', 's', 0x30, 0x00),
	/* IKEv1 main mode, one SA proposal (initiator cookie "portsec!") */
	P(500, "isakmp", 'p', 'o', 'r', 't', 's', 'e', 'c', '!', 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0x02, 0x00,
	  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x01, 0x00,
	  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x18, 0x01, 0x01,
	  0x00, 0x00, 0x80, 0x01, 0x00, 0x05, 0x80, 0x02, 0x00, 0x02, 0x80, 0x03, 0x00, 0x01, 0x80, 0x04, 0x00,
	  0x02),
	/* RIPv2 request for the whole table */
	P(520, "rip", 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0x10),
	/* MS-SQL browser: enumerate instances */
	P(1434, "ms-sql-m", 0x02),
	/* SSDP discovery */
	P(1900, "upnp", 'M', '-', 'S', 'E', 'A', 'R', 'C', 'H', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '1', '.',
	  '1', '\r', '\n', 'H', 'O', 'S', 'T', ':', ' ', '2', '3', '9', '.', '2', '5', '5', '.', '2', '5', '5',
	  '.', '2', '5', '0', ':', '1', '9', '0', '0', '\r', '\n', 'M', 'A', 'N', ':', ' ', '"', 's', 's', 'd',
	  'p', ':', 'd', 'i', 's', 'c', 'o', 'v', 'e', 'r', '"', '\r', '\n', 'M', 'X', ':', ' ', '1', '\r', '\n',
	  'S', 'T', ':', ' ', 's', 's', 'd', 'p', ':', 'a', 'l', 'l', '\r', '\n', '\r', '\n'),
	/* NAT-PMP external address request */
	P(5351, "nat-pmp", 0x00, 0x00),
	P(5353, "mdns", MDNS_SERVICES),
	/* SIP OPTIONS */
	P(5060, "sip", 'O', 'P', 'T', 'I', 'O', 'N', 'S', ' ', 's', 'i', 'p', ':', 'n', 'm', ' ', 'S', 'I', 'P',
	  '/', '2', '.', '0', '\r', '\n', 'V', 'i', 'a', ':', ' ', 'S', 'I', 'P', '/', '2', '.', '0', '/', 'U',
	  'D', 'P', ' ', 'n', 'm', ';', 'b', 'r', 'a', 'n', 'c', 'h', '=', 'z', '9', 'h', 'G', '4', 'b', 'K', 'p',
	  's', '\r', '\n', 'F', 'r', 'o', 'm', ':', ' ', '<', 's', 'i', 'p', ':', 'p', 's', '@', 'n', 'm', '>',
	  ';', 't', 'a', 'g', '=', '1', '\r', '\n', 'T', 'o', ':', ' ', '<', 's', 'i', 'p', ':', 'n', 'm', '>',
	  '\r', '\n', 'C', 'a', 'l', 'l', '-', 'I', 'D', ':', ' ', '5', '0', '0', '0', '\r', '\n', 'C', 'S', 'e',
	  'q', ':', ' ', '4', '2', ' ', 'O', 'P', 'T', 'I', 'O', 'N', 'S', '\r', '\n', 'M', 'a', 'x', '-', 'F',
	  'o', 'r', 'w', 'a', 'r', 'd', 's', ':', ' ', '7', '0', '\r', '\n', 'C', 'o', 'n', 't', 'e', 'n', 't',
	  '-', 'L', 'e', 'n', 'g', 't', 'h', ':', ' ', '0', '\r', '\n', '\r', '\n'),
	/* memcached over UDP: frame header + "version" */
	P(11211, "memcache", 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 'v', 'e', 'r', 's', 'i', 'o', 'n',
	  '\r', '\n'),
	/* Quake3/ioquake status (a common game server probe) */
	P(27960, "quake3", 0xff, 0xff, 0xff, 0xff, 'g', 'e', 't', 's', 't', 'a', 't', 'u', 's'),
};

const uint8_t *ps_udp_payload(uint16_t port, size_t *len, const char **name)
{
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++)
		if (payloads[i].port == port) {
			*len = payloads[i].len;
			if (name)
				*name = payloads[i].name;
			return payloads[i].data;
		}
	*len = 0;
	if (name)
		*name = NULL;
	return NULL;
}

size_t ps_udp_payload_count(void)
{
	return sizeof payloads / sizeof payloads[0];
}

/* ---------------- banners ---------------- */

/* copy a token of printable characters */
static void tok(char *dst, size_t cap, const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n && w + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			break;
		dst[w++] = isprint(c) ? (char)c : '.';
	}
	dst[w] = 0;
}

static size_t line_len(const char *d, size_t len)
{
	size_t i = 0;
	while (i < len && d[i] != '\r' && d[i] != '\n')
		i++;
	return i;
}

static const char *memmem_ci(const char *h, size_t hl, const char *n)
{
	size_t nl = strlen(n);
	for (size_t i = 0; i + nl <= hl; i++)
		if (strncasecmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

bool ps_banner_identify(const char *d, size_t len, uint16_t port, struct ps_banner_info *o)
{
	(void)port;
	memset(o, 0, sizeof *o);
	if (len == 0)
		return false;
	size_t l1 = line_len(d, len);
	if (len >= 4 && memcmp(d, "SSH-", 4) == 0) {
		/* SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 */
		snprintf(o->service, sizeof o->service, "ssh");
		const char *sw = memchr(d + 4, '-', l1 > 4 ? l1 - 4 : 0);
		if (sw) {
			sw++;
			size_t rest = l1 - (size_t)(sw - d);
			size_t sp = 0;
			while (sp < rest && sw[sp] != ' ')
				sp++;
			const char *us = memchr(sw, '_', sp);
			if (us) {
				tok(o->product, sizeof o->product, sw, (size_t)(us - sw));
				tok(o->version, sizeof o->version, us + 1, sp - (size_t)(us - sw) - 1);
			} else
				tok(o->product, sizeof o->product, sw, sp);
			if (sp < rest)
				tok(o->extrainfo, sizeof o->extrainfo, sw + sp + 1, rest - sp - 1);
			if (strcmp(o->product, "OpenSSH") == 0 && o->version[0]) {
				/* keep nmap's spelling of the protocol version */
				char tmp[80];
				snprintf(tmp, sizeof tmp, "%s", o->extrainfo);
				snprintf(o->extrainfo, sizeof o->extrainfo, "%s%sprotocol %.3s", tmp, tmp[0] ? "; " : "",
					 d + 4);
			}
		}
		return true;
	}
	if (len >= 5 && memcmp(d, "HTTP/", 5) == 0) {
		snprintf(o->service, sizeof o->service, "http");
		const char *srv = memmem_ci(d, len, "\nServer:");
		if (srv) {
			srv += 8;
			while ((size_t)(srv - d) < len && *srv == ' ')
				srv++;
			size_t n = line_len(srv, len - (size_t)(srv - d));
			const char *slash = memchr(srv, '/', n);
			if (slash) {
				tok(o->product, sizeof o->product, srv, (size_t)(slash - srv));
				size_t vn = n - (size_t)(slash - srv) - 1;
				const char *sp = memchr(slash + 1, ' ', vn);
				tok(o->version, sizeof o->version, slash + 1, sp ? (size_t)(sp - slash - 1) : vn);
				if (sp)
					tok(o->extrainfo, sizeof o->extrainfo, sp + 1, n - (size_t)(sp + 1 - srv));
			} else
				tok(o->product, sizeof o->product, srv, n);
		}
		return true;
	}
	if (len >= 3 && memcmp(d, "+OK", 3) == 0) {
		snprintf(o->service, sizeof o->service, "pop3");
		tok(o->extrainfo, sizeof o->extrainfo, d + 3 + (len > 3 && d[3] == ' '), l1 > 4 ? l1 - 4 : 0);
		return true;
	}
	if (len >= 4 && memcmp(d, "* OK", 4) == 0) {
		snprintf(o->service, sizeof o->service, "imap");
		tok(o->extrainfo, sizeof o->extrainfo, d + 5, l1 > 5 ? l1 - 5 : 0);
		return true;
	}
	if (len >= 4 && memcmp(d, "220", 3) == 0 && (d[3] == ' ' || d[3] == '-')) {
		/* SMTP and FTP both greet with 220 */
		bool smtp = memmem_ci(d, l1, "SMTP") != NULL || memmem_ci(d, l1, "Postfix") != NULL ||
			    memmem_ci(d, l1, "Exim") != NULL || memmem_ci(d, l1, "Sendmail") != NULL;
		bool ftp = memmem_ci(d, l1, "FTP") != NULL;
		if (!smtp && !ftp)
			smtp = port == 25 || port == 587 || port == 465, ftp = !smtp;
		snprintf(o->service, sizeof o->service, "%s", smtp && !ftp ? "smtp" : "ftp");
		static const char *const products[] = {"Postfix", "Exim", "Sendmail", "OpenSMTPD", "vsFTPd",
						       "ProFTPD", "Pure-FTPd", "FileZilla"};
		for (size_t i = 0; i < sizeof products / sizeof products[0]; i++) {
			const char *m = memmem_ci(d, l1, products[i]);
			if (m) {
				snprintf(o->product, sizeof o->product, "%s", products[i]);
				const char *v = m + strlen(products[i]);
				if ((size_t)(v - d) < l1 && (*v == ' ' || *v == '/') && (size_t)(v + 1 - d) < l1 &&
				    isdigit((unsigned char)v[1])) {
					size_t vn = 0;
					while ((size_t)(v + 1 + vn - d) < l1 && v[1 + vn] != ' ' && v[1 + vn] != ')')
						vn++;
					tok(o->version, sizeof o->version, v + 1, vn);
				}
				break;
			}
		}
		return true;
	}
	return false;
}
