/* procnet_parse.c - pure parser of /proc/net/{tcp,udp,raw}{,6} and
 * /proc/net/packet.  The whole file in, rows out; strict about fields,
 * tolerant of trailing columns the kernel may add. */
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

#define MAXTOK 20

/* split [p, end) into whitespace-separated tokens */
static size_t tokenize(const char *p, const char *end, const char **tok, size_t *tlen)
{
	size_t n = 0;
	while (p < end && n < MAXTOK) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		tok[n] = s;
		tlen[n] = (size_t)(p - s);
		n++;
	}
	return n;
}

static bool hexval(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 16)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

static bool decval(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* "0100007F:0277" or 32 hex digits + ":PPPP"; words are in host byte order
 * as the kernel prints the raw __be32 values with %08X */
static bool parse_endpoint(const char *s, size_t n, int family, uint8_t *addr, uint16_t *port)
{
	size_t words = family == AF_INET ? 1 : 4;
	if (n != words * 8 + 5 || s[words * 8] != ':')
		return false;
	for (size_t w = 0; w < words; w++) {
		uint64_t v;
		if (!hexval(s + w * 8, 8, &v))
			return false;
		uint32_t v32 = (uint32_t)v;
		memcpy(addr + w * 4, &v32, 4);
	}
	uint64_t p;
	if (!hexval(s + words * 8 + 1, 4, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static int parse_inet_line(struct ps_inventory *inv, uint32_t ns, uint8_t proto, int family,
			   const char **tok, const size_t *tl, size_t nt)
{
	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ... */
	if (nt < 10 || tl[0] < 2 || tok[0][tl[0] - 1] != ':')
		return PS_ERR_INVAL;
	uint8_t la[16] = {0}, ra[16] = {0};
	uint16_t lp, rp;
	uint64_t st, uid, ino, txq, rxq, tr;
	if (!parse_endpoint(tok[1], tl[1], family, la, &lp) ||
	    !parse_endpoint(tok[2], tl[2], family, ra, &rp) || !hexval(tok[3], tl[3], &st) ||
	    tl[4] != 17 || tok[4][8] != ':' || !hexval(tok[4], 8, &txq) ||
	    !hexval(tok[4] + 9, 8, &rxq) || !decval(tok[7], tl[7], &uid) ||
	    !decval(tok[9], tl[9], &ino) || uid > UINT32_MAX || tl[5] < 3 || tok[5][2] != ':' ||
	    !hexval(tok[5], 2, &tr))
		return PS_ERR_INVAL;
	struct ps_socket *s = ps_inventory_add_socket(inv);
	if (!s)
		return PS_ERR_NOMEM;
	s->netns = ns;
	s->family = (uint8_t)family;
	s->proto = proto;
	s->state = st < PS_ST_MAX ? (uint8_t)st : PS_ST_UNKNOWN;
	memcpy(s->laddr, la, 16);
	memcpy(s->raddr, ra, 16);
	s->lport = lp;
	s->rport = rp;
	s->wqueue = (uint32_t)txq;
	s->rqueue = (uint32_t)rxq;
	s->uid = (uint32_t)uid;
	s->inode = ino;
	s->sources = PS_SRC_PROCFS;
	/* "tr" 3: the timewait timer (get_timewait4_sock), whatever the substate */
	s->tw_mini = proto == PS_PROTO_TCP && tr == 3;
	if (proto == PS_PROTO_RAW)
		s->protocol = lp;
	return PS_OK;
}

static int parse_packet_line(struct ps_inventory *inv, uint32_t ns, const char **tok,
			     const size_t *tl, size_t nt)
{
	/* sk RefCnt Type Proto Iface R Rmem User Inode */
	if (nt < 9)
		return PS_ERR_INVAL;
	uint64_t sk, ref, type, proto, ifc, run, rmem, uid, ino;
	if (!hexval(tok[0], tl[0], &sk) || !decval(tok[1], tl[1], &ref) ||
	    !decval(tok[2], tl[2], &type) || !hexval(tok[3], tl[3], &proto) ||
	    !decval(tok[4], tl[4], &ifc) || !decval(tok[5], tl[5], &run) ||
	    !decval(tok[6], tl[6], &rmem) || !decval(tok[7], tl[7], &uid) ||
	    !decval(tok[8], tl[8], &ino) || proto > 0xffff || uid > UINT32_MAX ||
	    ifc > UINT32_MAX || type > 255)
		return PS_ERR_INVAL;
	(void)sk;
	(void)ref;
	(void)run;
	(void)rmem;
	struct ps_socket *s = ps_inventory_add_socket(inv);
	if (!s)
		return PS_ERR_NOMEM;
	s->netns = ns;
	s->family = AF_PACKET;
	s->proto = PS_PROTO_PACKET;
	s->state = PS_ST_CLOSE;
	s->pkt_type = (uint8_t)type;
	s->protocol = (uint16_t)proto;
	s->ifindex = (uint32_t)ifc;
	s->uid = (uint32_t)uid;
	s->inode = ino;
	s->sources = PS_SRC_PROCFS;
	return PS_OK;
}

int ps_procnet_parse(struct ps_inventory *inv, uint32_t ns, const char *kind, const char *buf,
		     size_t len, unsigned *bad_line)
{
	uint8_t proto;
	int family = AF_INET;
	bool packet = false;
	if (strcmp(kind, "tcp") == 0 || strcmp(kind, "tcp6") == 0)
		proto = PS_PROTO_TCP;
	else if (strcmp(kind, "udp") == 0 || strcmp(kind, "udp6") == 0)
		proto = PS_PROTO_UDP;
	else if (strcmp(kind, "raw") == 0 || strcmp(kind, "raw6") == 0)
		proto = PS_PROTO_RAW;
	else if (strcmp(kind, "packet") == 0) {
		proto = PS_PROTO_PACKET;
		packet = true;
	} else
		return PS_ERR_INVAL;
	if (kind[strlen(kind) - 1] == '6')
		family = AF_INET6;

	const char *p = buf, *end = buf + len;
	unsigned lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		const char *tok[MAXTOK];
		size_t tl[MAXTOK];
		size_t nt = tokenize(p, le, tok, tl);
		if (lineno == 1 || nt == 0) { /* header, blank */
			p = nl ? nl + 1 : end;
			continue;
		}
		int r = packet ? parse_packet_line(inv, ns, tok, tl, nt)
			       : parse_inet_line(inv, ns, proto, family, tok, tl, nt);
		if (r != PS_OK) {
			if (bad_line)
				*bad_line = lineno;
			return r;
		}
		p = nl ? nl + 1 : end;
	}
	return PS_OK;
}

/* ---- /proc/net/sockstat{,6} ----
 *   sockets: used 190
 *   TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 1
 *   UDP: inuse 1 mem 0
 *   UDPLITE: inuse 0
 *   RAW: inuse 0
 *   FRAG: inuse 0 memory 0
 * sockstat6: "TCP6: inuse 1", "UDP6: inuse 0", "UDPLITE6: inuse 0", "RAW6: ..." */
static bool field(const char **tok, const size_t *tl, size_t nt, const char *name, uint32_t *out)
{
	size_t n = strlen(name);
	for (size_t i = 1; i + 1 < nt; i += 2) {
		uint64_t v;
		if (tl[i] == n && memcmp(tok[i], name, n) == 0) {
			if (!decval(tok[i + 1], tl[i + 1], &v) || v > UINT32_MAX)
				return false;
			*out = (uint32_t)v;
			return true;
		}
	}
	return false;
}

int ps_sockstat_parse(const char *buf, size_t len, bool v6, struct ps_sockstat *out)
{
	static const struct { const char *tag; bool v6; size_t off; } L[] = {
		{"TCP:", false, offsetof(struct ps_sockstat, tcp)},
		{"UDP:", false, offsetof(struct ps_sockstat, udp)},
		{"UDPLITE:", false, offsetof(struct ps_sockstat, udplite)},
		{"RAW:", false, offsetof(struct ps_sockstat, raw)},
		{"TCP6:", true, offsetof(struct ps_sockstat, tcp6)},
		{"UDP6:", true, offsetof(struct ps_sockstat, udp6)},
		{"UDPLITE6:", true, offsetof(struct ps_sockstat, udplite6)},
		{"RAW6:", true, offsetof(struct ps_sockstat, raw6)},
	};
	const char *p = buf, *end = buf + len;
	unsigned found = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *tok[MAXTOK];
		size_t tl[MAXTOK];
		size_t nt = tokenize(p, le, tok, tl);
		p = nl ? nl + 1 : end;
		if (nt < 3)
			continue;
		for (size_t k = 0; k < sizeof L / sizeof L[0]; k++) {
			size_t n = strlen(L[k].tag);
			if (L[k].v6 != v6 || tl[0] != n || memcmp(tok[0], L[k].tag, n) != 0)
				continue;
			uint32_t v;
			if (!field(tok, tl, nt, "inuse", &v))
				return PS_ERR_INVAL;
			memcpy((char *)out + L[k].off, &v, sizeof v);
			found++;
			if (!v6 && k == 0 && !field(tok, tl, nt, "tw", &out->tcp_tw))
				return PS_ERR_INVAL;
		}
	}
	if (!found)
		return PS_ERR_INVAL;
	if (v6)
		out->ok6 = true;
	else
		out->ok4 = true;
	return PS_OK;
}
