/* test_scan.c - the pure half of `portsec scan`: nmap target and port
 * syntax, the keyed permutation and sharding, packets built and parsed,
 * ICMP verdicts, UDP payloads and banners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "portsec/portsec.h"

static void test_target_syntax(void **st)
{
	(void)st;
	struct ps_target_spec s;
	assert_int_equal(ps_target_spec_parse("198.18.1-3.1-254", &s), PS_OK);
	assert_int_equal(s.kind, PS_TGT_V4);
	assert_int_equal(ps_target_spec_count(&s), 3 * 254);
	assert_int_equal(ps_target_spec_parse("198.18.0.0/16", &s), PS_OK);
	assert_int_equal(ps_target_spec_count(&s), 65536);
	assert_int_equal(ps_target_spec_parse("198.18.5.7/24", &s), PS_OK); /* host bits cleared, as nmap */
	assert_int_equal(s.net, 0xc6120500u);
	assert_int_equal(ps_target_spec_parse("198.18.*.1", &s), PS_OK);
	assert_int_equal(ps_target_spec_count(&s), 256);
	assert_int_equal(ps_target_spec_parse("198.18.-.1", &s), PS_OK); /* nmap: "-" is 0-255 */
	assert_int_equal(ps_target_spec_count(&s), 256);
	assert_int_equal(ps_target_spec_parse("198.18.5-.1", &s), PS_OK);
	assert_int_equal(ps_target_spec_count(&s), 251);
	assert_int_equal(ps_target_spec_parse("2001:db8::/120", &s), PS_OK);
	assert_int_equal(s.kind, PS_TGT_V6);
	assert_int_equal(ps_target_spec_count(&s), 256);
	assert_int_equal(ps_target_spec_parse("host-1.example", &s), PS_OK);
	assert_int_equal(s.kind, PS_TGT_NAME);
	const char *bad[] = {"", "198.18.1", "198.18.1.2.3", "198.18.1.300", "198.18.5-2.1", "1.2.3.4/33",
			     "1.2.3.4/", "1.2-3.4.5/24", "-x", "a b", "::1/129", "2001:db8::/64", "10.0.0.0/4", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_not_equal(ps_target_spec_parse(bad[i], &s), PS_OK);
}

static void test_targets_set(void **st)
{
	(void)st;
	struct ps_targets t = {0}, ex = {0};
	struct ps_target_spec s;
	ps_target_spec_parse("198.18.0.0/30", &s);
	ps_targets_add_spec(&t, &s);
	ps_target_spec_parse("198.18.0.1-2", &s);
	ps_targets_add_spec(&t, &s); /* duplicates */
	ps_target_spec_parse("198.18.0.2", &s);
	ps_targets_add_spec(&ex, &s);
	ps_targets_finish(&ex, NULL);
	assert_int_equal(ps_targets_finish(&t, &ex), 1);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.a[2].addr[3], 3);
	const char *what;
	uint8_t mc[4] = {224, 0, 0, 1}, bc[4] = {255, 255, 255, 255}, u[4] = {198, 18, 0, 1};
	assert_true(ps_addr_is_special(AF_INET, mc, &what));
	assert_string_equal(what, "multicast");
	assert_true(ps_addr_is_special(AF_INET, bc, &what));
	assert_false(ps_addr_is_special(AF_INET, u, &what));
	/* the host limit */
	struct ps_targets lim = {.limit = 100};
	ps_target_spec_parse("198.18.0.0/24", &s);
	assert_int_equal(ps_targets_add_spec(&lim, &s), PS_ERR_RANGE);
	ps_targets_free(&lim);
	ps_targets_free(&t);
	ps_targets_free(&ex);
}

static size_t lookup(void *ctx, const char *name, unsigned proto, uint16_t *ports, size_t max)
{
	(void)ctx;
	if (strcmp(name, "http") == 0 && proto == PS_P_TCP && max >= 2) {
		ports[0] = 80;
		ports[1] = 8008; /* a name may stand for several ports */
		return 2;
	}
	return 0;
}

static void test_port_syntax(void **st)
{
	(void)st;
	struct ps_scan_ports p = {0};
	char err[128];
	assert_int_equal(ps_scan_ports_parse("22,80,1000-1002", PS_P_TCP, NULL, NULL, &p, err, sizeof err), PS_OK);
	assert_int_equal(p.ntcp, 5);
	assert_int_equal(p.nudp, 0);
	ps_scan_ports_free(&p);
	assert_int_equal(ps_scan_ports_parse("U:53,161,T:80,443", PS_P_TCP | PS_P_UDP, NULL, NULL, &p, err, sizeof err),
			 PS_OK);
	assert_int_equal(p.nudp, 2);
	assert_int_equal(p.ntcp, 2);
	assert_int_equal(p.udp[1], 161);
	ps_scan_ports_free(&p);
	assert_int_equal(ps_scan_ports_parse("-", PS_P_TCP, NULL, NULL, &p, err, sizeof err), PS_OK);
	assert_int_equal(p.ntcp, 65535);
	ps_scan_ports_free(&p);
	assert_int_equal(ps_scan_ports_parse("60000-", PS_P_TCP, NULL, NULL, &p, err, sizeof err), PS_OK);
	assert_int_equal(p.ntcp, 5536);
	ps_scan_ports_free(&p);
	assert_int_equal(ps_scan_ports_parse("http,22,22", PS_P_TCP, lookup, NULL, &p, err, sizeof err), PS_OK);
	assert_int_equal(p.ntcp, 3);
	assert_int_equal(p.tcp[2], 8008);
	ps_scan_ports_free(&p);
	const char *bad[] = {"", "70000", "5-3", "22,", ",22", "S:1", "x", "1-2-3", "U:", NULL};
	for (int i = 0; bad[i]; i++) {
		err[0] = 0;
		assert_int_not_equal(ps_scan_ports_parse(bad[i], PS_P_TCP, NULL, NULL, &p, err, sizeof err), PS_OK);
		assert_true(err[0] != 0);
	}
	size_t n;
	const uint16_t *top = ps_top_ports(PS_P_TCP, &n);
	assert_int_equal(n, 1000);
	assert_int_equal(top[0], 80);
	assert_int_equal(ps_scan_ports_top(PS_P_UDP, 100, &p), PS_OK);
	assert_int_equal(p.nudp, 100);
	ps_scan_ports_free(&p);
}

static void test_permutation(void **st)
{
	(void)st;
	static const uint64_t sizes[] = {1, 2, 3, 7, 100, 1000, 65535, 65536, 100003};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		uint64_t n = sizes[k];
		uint8_t *seen = calloc(n, 1);
		struct ps_perm p;
		ps_perm_init(&p, n, 42 + k);
		uint64_t moved = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t v = ps_perm_at(&p, i);
			assert_true(v < n);
			assert_int_equal(seen[v], 0);
			seen[v] = 1;
			moved += v != i;
		}
		if (n >= 100)
			assert_true(moved > n / 2); /* an actual shuffle */
		free(seen);
	}
	/* same seed, same order; another seed, another order */
	struct ps_perm a, b, c;
	ps_perm_init(&a, 5000, 7);
	ps_perm_init(&b, 5000, 7);
	ps_perm_init(&c, 5000, 8);
	unsigned same = 0;
	for (uint64_t i = 0; i < 5000; i++) {
		assert_int_equal(ps_perm_at(&a, i), ps_perm_at(&b, i));
		same += ps_perm_at(&a, i) == ps_perm_at(&c, i);
	}
	assert_true(same < 100);
}

static void test_shards(void **st)
{
	(void)st;
	/* K/N shards of one permutation cover [0,n) exactly once */
	for (unsigned N = 1; N <= 7; N++) {
		uint64_t n = 10007;
		uint8_t *seen = calloc(n, 1);
		struct ps_perm p;
		ps_perm_init(&p, n, 99);
		uint64_t total = 0;
		for (unsigned k = 1; k <= N; k++) {
			uint64_t len = ps_shard_len(n, k, N);
			total += len;
			for (uint64_t i = 0; i < len; i++) {
				uint64_t idx = N > 1 ? i * N + (k - 1) : i;
				assert_true(idx < n);
				uint64_t v = ps_perm_at(&p, idx);
				assert_int_equal(seen[v], 0);
				seen[v] = 1;
			}
		}
		assert_int_equal(total, n);
		free(seen);
	}
	assert_int_equal(ps_shard_len(3, 5, 5), 0);
	assert_int_equal(ps_shard_len(10, 0, 3), 0);
}

static void test_packets(void **st)
{
	(void)st;
	uint8_t buf[64];
	uint8_t src[4] = {198, 19, 1, 1}, dst[4] = {198, 19, 1, 2};
	size_t n = ps_pkt_tcp4(buf, src, dst, 40000, 22, 0xdeadbeef, 0, PS_TH_SYN, 64, 7);
	assert_int_equal(n, 44);
	assert_int_equal(ps_inet_csum(buf, 20, 0), 0); /* IP header checksum verifies */
	struct ps_pkt k;
	assert_int_equal(ps_pkt_parse_ip4(buf, n, &k), PS_OK);
	assert_int_equal(k.kind, PS_PK_TCP);
	assert_int_equal(k.sport, 40000);
	assert_int_equal(k.dport, 22);
	assert_int_equal(k.seq, 0xdeadbeef);
	assert_int_equal(k.flags, PS_TH_SYN);
	assert_int_equal(k.ttl, 64);
	/* TCP checksum over the pseudo header verifies to 0 */
	uint32_t ps = (198 << 8 | 19) + (1 << 8 | 1) + (198 << 8 | 19) + (1 << 8 | 2) + 6 + 24;
	assert_int_equal(ps_inet_csum(buf + 20, 24, ps), 0);
	/* an ICMP port-unreachable quoting that SYN */
	uint8_t ic[20 + 8 + 44];
	memcpy(ic, buf, 20);
	ic[9] = 1;
	ic[12] = 198, ic[13] = 19, ic[14] = 1, ic[15] = 2;
	ic[16] = 198, ic[17] = 19, ic[18] = 1, ic[19] = 1;
	ic[2] = 0, ic[3] = sizeof ic;
	memset(ic + 20, 0, 8);
	ic[20] = 3, ic[21] = 3;
	memcpy(ic + 28, buf, 44);
	assert_int_equal(ps_pkt_parse_ip4(ic, sizeof ic, &k), PS_OK);
	assert_int_equal(k.kind, PS_PK_ICMP_ERR);
	assert_int_equal(k.inner_proto, 6);
	assert_memory_equal(k.inner_dst, dst, 4);
	assert_int_equal(k.dport, 22);
	assert_int_equal(k.seq, 0xdeadbeef);
	uint8_t s8, r8;
	assert_true(ps_icmp_verdict(AF_INET, 3, 3, &s8, &r8));
	assert_int_equal(s8, PS_PST_FILTERED);
	assert_string_equal(ps_reason_name(r8), "port-unreach");
	assert_true(ps_icmp_verdict(AF_INET, 3, 13, &s8, &r8));
	assert_string_equal(ps_reason_name(r8), "admin-prohibited");
	assert_false(ps_icmp_verdict(AF_INET, 3, 4, &s8, &r8)); /* frag needed: says nothing */
	assert_true(ps_icmp_verdict(AF_INET6, 1, 4, &s8, &r8));
	assert_false(ps_icmp_verdict(AF_INET6, 2, 0, &s8, &r8));
	/* truncated input never parses */
	for (size_t len = 0; len < 40; len++)
		assert_int_not_equal(ps_pkt_parse_ip4(buf, len, &k), PS_OK);
	/* SipHash-2-4 reference vector (key 00..0f, empty message) */
	uint8_t key[16];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	assert_true(ps_siphash(key, "", 0) == 0x726fdb47dd0e0e31ULL);
}

static void test_payloads_banners(void **st)
{
	(void)st;
	assert_true(ps_udp_payload_count() >= 12);
	size_t len;
	const char *name;
	const uint8_t *d = ps_udp_payload(53, &len, &name);
	assert_non_null(d);
	assert_string_equal(name, "dns");
	assert_int_equal(d[5], 1); /* one question */
	assert_null(ps_udp_payload(40000, &len, NULL));
	struct ps_banner_info b;
	const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	assert_true(ps_banner_identify(ssh, sizeof ssh - 1, 22, &b));
	assert_string_equal(b.service, "ssh");
	assert_string_equal(b.product, "OpenSSH");
	assert_string_equal(b.version, "9.2p1");
	const char http[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n";
	assert_true(ps_banner_identify(http, sizeof http - 1, 8000, &b));
	assert_string_equal(b.service, "http");
	assert_string_equal(b.product, "nginx");
	assert_string_equal(b.version, "1.22.1");
	const char smtp[] = "220 mx.example ESMTP Postfix (Debian/GNU)\r\n";
	assert_true(ps_banner_identify(smtp, sizeof smtp - 1, 25, &b));
	assert_string_equal(b.service, "smtp");
	assert_string_equal(b.product, "Postfix");
	const char ftp[] = "220 (vsFTPd 3.0.3)\r\n";
	assert_true(ps_banner_identify(ftp, sizeof ftp - 1, 21, &b));
	assert_string_equal(b.service, "ftp");
	assert_string_equal(b.version, "3.0.3");
	assert_true(ps_banner_identify("+OK Dovecot ready.\r\n", 20, 110, &b));
	assert_string_equal(b.service, "pop3");
	assert_true(ps_banner_identify("* OK [CAPABILITY IMAP4rev1] ready\r\n", 35, 143, &b));
	assert_string_equal(b.service, "imap");
	assert_false(ps_banner_identify("\x16\x03\x01", 3, 443, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_syntax), cmocka_unit_test(test_targets_set),
		cmocka_unit_test(test_port_syntax),   cmocka_unit_test(test_permutation),
		cmocka_unit_test(test_shards),        cmocka_unit_test(test_packets),
		cmocka_unit_test(test_payloads_banners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
