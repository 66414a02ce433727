/* json.c - a small streaming JSON writer (RFC 8259 escaping) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "portsec/portsec.h"

void ps_json_init(struct ps_json *j, struct ps_buf *b, bool pretty)
{
	memset(j, 0, sizeof *j);
	j->b = b;
	j->pretty = pretty;
}

static void indent(struct ps_json *j)
{
	if (!j->pretty)
		return;
	ps_buf_putc(j->b, '\n');
	ps_buf_pad(j->b, (size_t)j->depth * 2);
}

/* before a value: comma if needed (not after a key) */
static void sep(struct ps_json *j)
{
	if (j->depth > 0 && j->depth < 32) {
		if (j->need_comma[j->depth]) {
			ps_buf_putc(j->b, ',');
		}
		j->need_comma[j->depth] = true;
		indent(j);
	}
}

static void value_prefix(struct ps_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	sep(j);
}

void ps_json_key(struct ps_json *j, const char *k)
{
	sep(j);
	ps_buf_putc(j->b, '"');
	ps_json_escape(j->b, k, strlen(k));
	ps_buf_puts(j->b, j->pretty ? "\": " : "\":");
	j->after_key = true;
}

static void open(struct ps_json *j, char c)
{
	value_prefix(j);
	ps_buf_putc(j->b, c);
	if (j->depth < 31)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct ps_json *j, char c)
{
	bool had = j->need_comma[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	ps_buf_putc(j->b, c);
}

void ps_json_obj_begin(struct ps_json *j) { open(j, '{'); }
void ps_json_obj_end(struct ps_json *j) { close_(j, '}'); }
void ps_json_arr_begin(struct ps_json *j) { open(j, '['); }
void ps_json_arr_end(struct ps_json *j) { close_(j, ']'); }

void ps_json_escape(struct ps_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		ps_buf_put(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': ps_buf_puts(b, "\\\""); break;
		case '\\': ps_buf_puts(b, "\\\\"); break;
		case '\n': ps_buf_puts(b, "\\n"); break;
		case '\r': ps_buf_puts(b, "\\r"); break;
		case '\t': ps_buf_puts(b, "\\t"); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			ps_buf_put(b, u, 6);
		}
		}
	}
	ps_buf_put(b, s + start, n - start);
}

/* bytes that are not valid UTF-8 are replaced so the document stays valid */
static void put_utf8_safe(struct ps_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;
	while (i < n) {
		unsigned char c = u[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			if ((u[i + k] & 0xc0) != 0x80)
				ok = false;
		if (ok && len == 2 && c < 0xc2)
			ok = false;
		if (!ok) {
			ps_json_escape(b, s + start, i - start);
			ps_buf_puts(b, "\\ufffd");
			i++;
			start = i;
			continue;
		}
		i += len;
	}
	ps_json_escape(b, s + start, n - start);
}

void ps_json_strn(struct ps_json *j, const char *s, size_t n)
{
	value_prefix(j);
	ps_buf_putc(j->b, '"');
	put_utf8_safe(j->b, s, n);
	ps_buf_putc(j->b, '"');
}

void ps_json_str(struct ps_json *j, const char *s)
{
	if (!s) {
		ps_json_null(j);
		return;
	}
	ps_json_strn(j, s, strlen(s));
}

void ps_json_u64(struct ps_json *j, uint64_t v)
{
	value_prefix(j);
	ps_buf_putu(j->b, v);
}

void ps_json_i64(struct ps_json *j, int64_t v)
{
	value_prefix(j);
	if (v < 0) {
		ps_buf_putc(j->b, '-');
		ps_buf_putu(j->b, (uint64_t)(-(v + 1)) + 1);
	} else {
		ps_buf_putu(j->b, (uint64_t)v);
	}
}

void ps_json_dbl(struct ps_json *j, double v)
{
	value_prefix(j);
	if (!isfinite(v)) {
		ps_buf_puts(j->b, "null");
		return;
	}
	ps_buf_printf(j->b, "%.6g", v);
}

void ps_json_bool(struct ps_json *j, bool v)
{
	value_prefix(j);
	ps_buf_puts(j->b, v ? "true" : "false");
}

void ps_json_null(struct ps_json *j)
{
	value_prefix(j);
	ps_buf_puts(j->b, "null");
}
