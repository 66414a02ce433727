/* fuzz: user-typed values (ports, port specs, addresses, CIDRs, state names) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uint16_t p;
	uint64_t u;
	struct ps_portspec ps;
	struct ps_cidr c;
	unsigned m;
	ps_parse_port(s, &p);
	ps_parse_uint(s, 0, 1000, &u);
	if (ps_parse_portspec(s, &ps) == PS_OK && ps.lo > ps.hi)
		__builtin_trap();
	if (ps_parse_cidr(s, &c) == PS_OK) {
		uint8_t a[16] = {0};
		ps_cidr_contains(&c, c.family, c.addr);
		ps_cidr_contains(&c, AF_INET, a);
		if (c.prefix > (c.family == AF_INET ? 32 : 128))
			__builtin_trap();
	}
	ps_parse_addr(s, &c);
	ps_state_parse(s, &m);
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_json j;
	ps_json_init(&j, &b, false);
	ps_json_strn(&j, s, size);
	ps_buf_free(&b);
	free(s);
	return 0;
}
