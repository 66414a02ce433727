/* parse.c - strict, bounded parsers for ports, port specs, addresses, CIDRs.
 * Decimal only: no sign, no blanks, no 0x, no trailing bytes. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

int ps_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !*s)
		return PS_ERR_INVAL;
	uint64_t v = 0;
	size_t i = 0;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PS_ERR_INVAL;
		if (i >= 20)
			return PS_ERR_RANGE;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PS_ERR_RANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return PS_ERR_RANGE;
	*out = v;
	return PS_OK;
}

int ps_parse_uint_n(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	char tmp[24];
	if (n == 0)
		return PS_ERR_INVAL;
	if (n >= sizeof tmp) {
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return PS_ERR_INVAL;
		return PS_ERR_RANGE;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return ps_parse_uint(tmp, 0, max, out);
}

int ps_parse_port(const char *s, uint16_t *out)
{
	uint64_t v;
	int r = ps_parse_uint(s, 0, 65535, &v);
	if (r == PS_OK)
		*out = (uint16_t)v;
	return r;
}


int ps_parse_addr(const char *s, struct ps_cidr *out)
{
	struct ps_cidr c;
	memset(&c, 0, sizeof c);
	if (!s || !*s || strlen(s) >= 64)
		return PS_ERR_INVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, c.addr) != 1)
			return PS_ERR_INVAL;
		c.family = AF_INET6;
		c.prefix = 128;
	} else {
		/* inet_pton(AF_INET) accepts only dotted quads of decimals */
		if (inet_pton(AF_INET, s, c.addr) != 1)
			return PS_ERR_INVAL;
		c.family = AF_INET;
		c.prefix = 32;
	}
	*out = c;
	return PS_OK;
}

int ps_parse_cidr(const char *s, struct ps_cidr *out)
{
	char tmp[72];
	if (!s || !*s || strlen(s) >= sizeof tmp)
		return PS_ERR_INVAL;
	strcpy(tmp, s);
	char *slash = strchr(tmp, '/');
	struct ps_cidr c;
	if (slash)
		*slash = '\0';
	int r = ps_parse_addr(tmp, &c);
	if (r != PS_OK)
		return r;
	if (slash) {
		uint64_t pl;
		r = ps_parse_uint(slash + 1, 0, c.family == AF_INET ? 32 : 128, &pl);
		if (r != PS_OK)
			return r;
		c.prefix = (uint8_t)pl;
		/* host bits must be zero, as nft and ufw insist */
		unsigned bytes = c.family == AF_INET ? 4 : 16;
		for (unsigned i = 0; i < bytes; i++) {
			unsigned bit0 = i * 8;
			uint8_t mask;
			if (bit0 + 8 <= c.prefix)
				mask = 0xff;
			else if (bit0 >= c.prefix)
				mask = 0;
			else
				mask = (uint8_t)(0xff << (8 - (c.prefix - bit0)));
			if (c.addr[i] & (uint8_t)~mask)
				return PS_ERR_RANGE;
		}
	}
	*out = c;
	return PS_OK;
}

bool ps_cidr_contains(const struct ps_cidr *net, int family, const uint8_t *addr)
{
	if (net->family != family)
		return false;
	unsigned full = net->prefix / 8, rem = net->prefix % 8;
	if (memcmp(net->addr, addr, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		if ((net->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}
