/* fuzz: the scan's pure parsers - reply packets (IPv4 datagrams, IPv6 TCP
 * segments and ICMPv6 messages), nmap target and port syntax, banners */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_pkt k;
	memset(&k, 0, sizeof k);
	ps_pkt_parse_ip4(data, size, &k);
	memset(&k, 0, sizeof k);
	ps_pkt_parse_tcp6(data, size, &k);
	memset(&k, 0, sizeof k);
	ps_pkt_parse_icmp6(data, size, &k);
	uint8_t st, rs;
	if (size >= 2 && ps_icmp_verdict(data[0] & 1 ? 2 : 10, data[0], data[1], &st, &rs) &&
	    (st >= PS_PST_MAX || rs >= PS_RS_MAX))
		__builtin_trap();
	struct ps_banner_info bi;
	ps_banner_identify((const char *)data, size, 25, &bi);
	if (strnlen(bi.product, sizeof bi.product) == sizeof bi.product)
		__builtin_trap();
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct ps_target_spec ts;
	if (ps_target_spec_parse(s, &ts) == PS_OK && ts.kind != PS_TGT_NAME) {
		uint64_t n = ps_target_spec_count(&ts);
		if (n == 0)
			__builtin_trap();
		if (n <= 4096) {
			struct ps_targets t = {0};
			if (ps_targets_add_spec(&t, &ts) == PS_OK && t.n != n)
				__builtin_trap();
			ps_targets_finish(&t, NULL);
			ps_targets_free(&t);
		}
	}
	if (size < 64) { /* a spec like "1-65535" expands to 64k ports: keep it fast */
		struct ps_scan_ports p = {0};
		char err[128];
		if (ps_scan_ports_parse(s, PS_P_TCP | PS_P_UDP, NULL, NULL, &p, err, sizeof err) == PS_OK) {
			for (size_t i = 1; i < p.ntcp; i++)
				if (p.tcp[i] <= p.tcp[i - 1])
					__builtin_trap();
			ps_scan_ports_free(&p);
		}
	}
	free(s);
	return 0;
}
