/* buf.c - growable output buffer with an optional flushing sink */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

void ps_buf_init(struct ps_buf *b)
{
	memset(b, 0, sizeof *b);
}

void ps_buf_free(struct ps_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static int grow_slow(struct ps_buf *b, size_t need);

/* the fast path inline: most puts fit */
static inline int grow(struct ps_buf *b, size_t need)
{
	if (__builtin_expect(b->len + need <= b->cap && !b->err, 1))
		return 0;
	return grow_slow(b, need);
}

static int grow_slow(struct ps_buf *b, size_t need)
{
	if (b->err)
		return -1;
	if (b->len + need <= b->cap)
		return 0;
	if (b->sink && b->len > 0) {
		if (ps_buf_flush(b) != 0)
			return -1;
		if (b->len + need <= b->cap)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + need) {
		if (cap > ((size_t)-1) / 2) {
			b->err = PS_ERR_NOMEM;
			return -1;
		}
		cap *= 2;
	}
	char *d = realloc(b->data, cap);
	if (!d) {
		b->err = PS_ERR_NOMEM;
		return -1;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

int ps_buf_flush(struct ps_buf *b)
{
	if (b->err)
		return b->err;
	if (b->sink && b->len) {
		int r = b->sink(b->sink_ctx, b->data, b->len);
		if (r != 0) {
			b->err = r;
			return r;
		}
		b->len = 0;
	}
	return 0;
}

static inline void maybe_flush(struct ps_buf *b)
{
	if (b->sink && b->flush_at && b->len >= b->flush_at)
		ps_buf_flush(b);
}

void ps_buf_put(struct ps_buf *b, const void *p, size_t n)
{
	if (n == 0 || grow(b, n) != 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	maybe_flush(b);
}

void ps_buf_puts(struct ps_buf *b, const char *s)
{
	ps_buf_put(b, s, strlen(s));
}

void ps_buf_putc(struct ps_buf *b, char c)
{
	if (grow(b, 1) != 0)
		return;
	b->data[b->len++] = c;
	maybe_flush(b);
}

void ps_buf_pad(struct ps_buf *b, size_t n)
{
	if (n == 0 || grow(b, n) != 0)
		return;
	memset(b->data + b->len, ' ', n);
	b->len += n;
}

void ps_buf_putu(struct ps_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ps_buf_put(b, tmp + i, sizeof tmp - i);
}

void ps_buf_printf(struct ps_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		ps_buf_put(b, small, (size_t)n);
		return;
	}
	if (grow(b, (size_t)n + 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	maybe_flush(b);
}

size_t ps_fmt_addr(char *dst, size_t cap, int family, const uint8_t *addr)
{
	if (cap == 0)
		return 0;
	if (family == AF_INET) {
		/* hand-rolled: this runs for every row of a 100k listing */
		char tmp[16];
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				tmp[n++] = (char)('0' + v / 100);
			if (v >= 10)
				tmp[n++] = (char)('0' + (v / 10) % 10);
			tmp[n++] = (char)('0' + v % 10);
			if (i < 3)
				tmp[n++] = '.';
		}
		if (n >= cap)
			n = cap - 1;
		memcpy(dst, tmp, n);
		dst[n] = '\0';
		return n;
	}
	if (family == AF_INET6) {
		char tmp[INET6_ADDRSTRLEN];
		if (!inet_ntop(AF_INET6, addr, tmp, sizeof tmp))
			tmp[0] = '\0';
		size_t n = strlen(tmp);
		if (n >= cap)
			n = cap - 1;
		memcpy(dst, tmp, n);
		dst[n] = '\0';
		return n;
	}
	dst[0] = '\0';
	return 0;
}

size_t ps_fmt_endpoint(char *dst, size_t cap, uint8_t family, const uint8_t *addr, uint16_t port,
		       bool wildcard_star)
{
	char a[64];
	size_t n = ps_fmt_addr(a, sizeof a, family, addr);
	size_t k = 0;
	if (cap < 72)
		return 0;
	if (family == AF_INET6) {
		dst[k++] = '[';
		memcpy(dst + k, a, n);
		k += n;
		dst[k++] = ']';
	} else {
		memcpy(dst + k, a, n);
		k += n;
	}
	dst[k++] = ':';
	if (wildcard_star && port == 0) {
		dst[k++] = '*';
	} else {
		char tmp[8];
		size_t i = sizeof tmp;
		unsigned v = port;
		do {
			tmp[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(dst + k, tmp + i, sizeof tmp - i);
		k += sizeof tmp - i;
	}
	dst[k] = '\0';
	return k;
}

void *ps_vec_grow_(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (!elem || need > SIZE_MAX / elem)
		return NULL;
	size_t nc = *cap ? *cap : 16;
	while (nc < need)
		nc = nc > SIZE_MAX / 2 / elem ? need : nc * 2;
	void *p = realloc(arr, nc * elem);
	if (p)
		*cap = nc;
	return p;
}

void ps_buf_puts_term(struct ps_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || grow(b, n) != 0)
		return;
	char *d = b->data + b->len; /* one copy, control bytes replaced on the way */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		d[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	b->len += n;
	maybe_flush(b);
}

const char *ps_term_str(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	if (!cap)
		return dst;
	for (; s && s[i] && i + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	dst[i] = 0;
	return dst;
}
