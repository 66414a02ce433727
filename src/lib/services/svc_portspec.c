/* svc_portspec.c - port specs as users type them: "22", "22/tcp", "53/udp",
 * "8000:8100/tcp", "8000-8100" (pure; fuzzed through fuzz_parse) */
#include <string.h>
#include <strings.h>

#include "portsec/ps_error.h"
#include "portsec/ps_model.h"
#include "portsec/ps_services.h"

int ps_parse_portspec(const char *s, struct ps_portspec *out)
{
	if (!s || !*s)
		return PS_ERR_INVAL;
	struct ps_portspec p = {.protos = PS_P_TCP | PS_P_UDP};
	const char *slash = strchr(s, '/');
	size_t nlen = slash ? (size_t)(slash - s) : strlen(s);
	if (slash) {
		const char *pr = slash + 1;
		if (strcasecmp(pr, "tcp") == 0)
			p.protos = PS_P_TCP;
		else if (strcasecmp(pr, "udp") == 0)
			p.protos = PS_P_UDP;
		else
			return PS_ERR_INVAL;
		p.proto_given = true;
	}
	const char *sep = NULL;
	for (size_t i = 0; i < nlen; i++)
		if (s[i] == ':' || s[i] == '-') {
			if (sep)
				return PS_ERR_INVAL;
			sep = s + i;
		}
	uint64_t lo, hi;
	int r;
	if (sep) {
		if ((r = ps_parse_uint_n(s, (size_t)(sep - s), 65535, &lo)) != PS_OK)
			return r;
		if ((r = ps_parse_uint_n(sep + 1, nlen - (size_t)(sep + 1 - s), 65535, &hi)) != PS_OK)
			return r;
		if (lo > hi)
			return PS_ERR_RANGE;
	} else {
		if ((r = ps_parse_uint_n(s, nlen, 65535, &lo)) != PS_OK)
			return r;
		hi = lo;
	}
	p.lo = (uint16_t)lo;
	p.hi = (uint16_t)hi;
	*out = p;
	return PS_OK;
}
