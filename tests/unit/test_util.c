/* unit tests: util (port, port spec, CIDR parsers; buffer; JSON writer) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"
#include "util/arena.h"

static void test_port_valid(void **st)
{
	(void)st;
	uint16_t p = 1;
	assert_int_equal(ps_parse_port("0", &p), PS_OK);
	assert_int_equal(p, 0);
	assert_int_equal(ps_parse_port("22", &p), PS_OK);
	assert_int_equal(p, 22);
	assert_int_equal(ps_parse_port("65535", &p), PS_OK);
	assert_int_equal(p, 65535);
}

static void test_port_invalid(void **st)
{
	(void)st;
	uint16_t p = 7;
	const char *bad_syntax[] = {"", "-1", "+1", "0x50", " 22", "22 ", "2 2", "22/tcp", "abc", "1e3"};
	for (size_t i = 0; i < sizeof bad_syntax / sizeof *bad_syntax; i++)
		assert_int_equal(ps_parse_port(bad_syntax[i], &p), PS_ERR_INVAL);
	assert_int_equal(ps_parse_port("65536", &p), PS_ERR_RANGE);
	assert_int_equal(ps_parse_port("99999999999999999999999", &p), PS_ERR_RANGE);
	assert_int_equal(p, 7); /* untouched on error */
}

static void test_portspec(void **st)
{
	(void)st;
	struct ps_portspec s;
	assert_int_equal(ps_parse_portspec("22", &s), PS_OK);
	assert_int_equal(s.lo, 22);
	assert_int_equal(s.hi, 22);
	assert_int_equal(s.protos, PS_P_TCP | PS_P_UDP);
	assert_false(s.proto_given);
	assert_int_equal(ps_parse_portspec("53/udp", &s), PS_OK);
	assert_int_equal(s.protos, PS_P_UDP);
	assert_true(s.proto_given);
	assert_int_equal(ps_parse_portspec("8000:8100/tcp", &s), PS_OK);
	assert_int_equal(s.lo, 8000);
	assert_int_equal(s.hi, 8100);
	assert_int_equal(s.protos, PS_P_TCP);
	assert_int_equal(ps_parse_portspec("1-1024", &s), PS_OK);
	assert_int_equal(s.hi, 1024);
	assert_int_equal(ps_parse_portspec("22/tcpx", &s), PS_ERR_INVAL);
	assert_int_equal(ps_parse_portspec("22/", &s), PS_ERR_INVAL);
	assert_int_equal(ps_parse_portspec("/tcp", &s), PS_ERR_INVAL);
	assert_int_equal(ps_parse_portspec("9-1", &s), PS_ERR_RANGE);
	assert_int_equal(ps_parse_portspec("1-2-3", &s), PS_ERR_INVAL);
	assert_int_equal(ps_parse_portspec("65536/tcp", &s), PS_ERR_RANGE);
	assert_int_equal(ps_parse_portspec("0x50", &s), PS_ERR_INVAL);
	assert_int_equal(ps_parse_portspec("-1", &s), PS_ERR_INVAL);
}

static void test_cidr(void **st)
{
	(void)st;
	struct ps_cidr c;
	assert_int_equal(ps_parse_cidr("198.18.0.0/15", &c), PS_OK);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 15);
	uint8_t in[4] = {198, 19, 255, 1}, out[4] = {198, 20, 0, 1};
	assert_true(ps_cidr_contains(&c, AF_INET, in));
	assert_false(ps_cidr_contains(&c, AF_INET, out));
	assert_int_equal(ps_parse_cidr("198.18.0.1/15", &c), PS_ERR_RANGE); /* host bits */
	assert_int_equal(ps_parse_cidr("198.18.0.0/33", &c), PS_ERR_RANGE);
	assert_int_equal(ps_parse_cidr("198.18.0/16", &c), PS_ERR_INVAL);
	assert_int_equal(ps_parse_cidr("2001:db8::/32", &c), PS_OK);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(ps_parse_cidr("2001:db8::/129", &c), PS_ERR_RANGE);
	assert_int_equal(ps_parse_addr("::1", &c), PS_OK);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(ps_parse_addr("1.2.3.4/8", &c), PS_ERR_INVAL);
}

static int collect(void *ctx, const char *d, size_t n)
{
	struct ps_buf *dst = ctx;
	ps_buf_put(dst, d, n);
	return 0;
}

static void test_buf_sink(void **st)
{
	(void)st;
	struct ps_buf out, b;
	ps_buf_init(&out);
	ps_buf_init(&b);
	b.sink = collect;
	b.sink_ctx = &out;
	b.flush_at = 10;
	for (int i = 0; i < 100; i++)
		ps_buf_putu(&b, (uint64_t)i);
	ps_buf_flush(&b);
	assert_int_equal(b.len, 0);
	assert_true(out.len == 190);
	assert_memory_equal(out.data, "0123456789101112", 16);
	ps_buf_free(&b);
	ps_buf_free(&out);
}

static void test_json(void **st)
{
	(void)st;
	struct ps_buf b;
	ps_buf_init(&b);
	struct ps_json j;
	ps_json_init(&j, &b, false);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "s");
	ps_json_str(&j, "a\"b\\c\n\x01");
	ps_json_key(&j, "n");
	ps_json_i64(&j, -42);
	ps_json_key(&j, "bad");
	ps_json_strn(&j, "x\xff" "y", 3);
	ps_json_key(&j, "a");
	ps_json_arr_begin(&j);
	ps_json_u64(&j, 1);
	ps_json_null(&j);
	ps_json_bool(&j, true);
	ps_json_arr_end(&j);
	ps_json_key(&j, "e");
	ps_json_arr_begin(&j);
	ps_json_arr_end(&j);
	ps_json_obj_end(&j);
	ps_buf_putc(&b, '\0');
	assert_string_equal(b.data, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":-42,\"bad\":\"x\\ufffdy\","
				    "\"a\":[1,null,true],\"e\":[]}");
	ps_buf_free(&b);
}

static void test_fmt_addr(void **st)
{
	(void)st;
	char a[64];
	uint8_t v4[4] = {198, 18, 0, 255};
	assert_int_equal(ps_fmt_addr(a, sizeof a, AF_INET, v4), 12);
	assert_string_equal(a, "198.18.0.255");
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	ps_fmt_addr(a, sizeof a, AF_INET6, v6);
	assert_string_equal(a, "2001:db8::1");
}

/* small allocations share 64 KiB chunks (a bug once gave each its own once
 * the first chunk filled: 10,000 strings cost 570 MB); big ones stand alone
 * without stealing the current chunk; printf results are whole */
__attribute__((format(printf, 2, 3))) static char *aprintf(struct ps_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = ps_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return s;
}

static void test_arena(void **st)
{
	(void)st;
	struct ps_arena a;
	ps_arena_init(&a);
	for (int i = 0; i < 10000; i++)
		assert_non_null(ps_arena_alloc(&a, 60));
	assert_true(ps_arena_chunks(&a) <= 11); /* 640,000 bytes in 64 KiB chunks */
	size_t before = ps_arena_chunks(&a);
	char *big = ps_arena_alloc(&a, 100000);
	assert_non_null(big);
	memset(big, 'x', 100000);
	assert_int_equal(ps_arena_chunks(&a), before + 1);
	for (int i = 0; i < 20000; i++) {
		char *s = aprintf(&a, "row %d of %s", i, "many");
		char want[40];
		snprintf(want, sizeof want, "row %d of many", i);
		assert_string_equal(s, want);
	}
	assert_true(ps_arena_chunks(&a) <= before + 1 + 8);
	char *longs = aprintf(&a, "%070000d", 7); /* longer than a chunk */
	assert_int_equal(strlen(longs), 70000);
	ps_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_port_valid), cmocka_unit_test(test_port_invalid),
		cmocka_unit_test(test_portspec),   cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_buf_sink),   cmocka_unit_test(test_json),
		cmocka_unit_test(test_fmt_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
