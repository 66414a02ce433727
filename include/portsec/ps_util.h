/* ps_util.h - bounded parsers and small helpers shared by every module.
 *
 * The parsers are strict: decimal only, no sign, no surrounding blanks, no
 * trailing garbage.  They never allocate.  Each returns PS_OK, PS_ERR_INVAL
 * (syntax) or PS_ERR_RANGE (value), and on error leaves *out untouched. */
#ifndef PORTSEC_PS_UTIL_H
#define PORTSEC_PS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* protocol bits used by port specs, filters and inventory selection */
enum {
	PS_P_TCP = 1u << 0,
	PS_P_UDP = 1u << 1,
	PS_P_RAW = 1u << 2,
	PS_P_PACKET = 1u << 3,
	PS_P_INET = PS_P_TCP | PS_P_UDP | PS_P_RAW,
	PS_P_ALL = PS_P_INET | PS_P_PACKET,
};

/* "0".."65535" */
int ps_parse_port(const char *s, uint16_t *out);
/* a decimal in [min,max] */
int ps_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* a decimal in [0,max] from the n bytes at s (not NUL-terminated) */
int ps_parse_uint_n(const char *s, size_t n, uint64_t max, uint64_t *out);


/* IPv4/IPv6 address and CIDR ("198.18.0.0/15", "2001:db8::/32", "::1").
 * family is AF_INET or AF_INET6; addr holds 4 or 16 bytes. */
struct ps_cidr {
	int family;
	uint8_t addr[16];
	uint8_t prefix;
};
int ps_parse_addr(const char *s, struct ps_cidr *out); /* prefix = full length */
int ps_parse_cidr(const char *s, struct ps_cidr *out); /* rejects host bits set */
bool ps_cidr_contains(const struct ps_cidr *net, int family, const uint8_t *addr);

/* a growable byte buffer; with a sink it flushes itself when it grows past
 * flush_at (streaming output), else it just grows. */
struct ps_buf {
	char *data;
	size_t len, cap;
	size_t flush_at;
	int (*sink)(void *ctx, const char *data, size_t len);
	void *sink_ctx;
	int err; /* first error (sticky): PS_ERR_NOMEM or the sink's */
};
void ps_buf_init(struct ps_buf *b);
void ps_buf_free(struct ps_buf *b);
void ps_buf_put(struct ps_buf *b, const void *p, size_t n);
void ps_buf_puts(struct ps_buf *b, const char *s);
void ps_buf_putc(struct ps_buf *b, char c);
void ps_buf_printf(struct ps_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_buf_putu(struct ps_buf *b, uint64_t v);
void ps_buf_pad(struct ps_buf *b, size_t n); /* n spaces */
int ps_buf_flush(struct ps_buf *b);
/* text for a terminal: control bytes (< 0x20, 0x7f) become '?', as ps shows
 * them, so a process name cannot recolour or rewrite the screen */
void ps_buf_puts_term(struct ps_buf *b, const char *s);
/* the same into a fixed buffer (cut to cap); returns dst */
const char *ps_term_str(char *dst, size_t cap, const char *s);
/* write a file atomically: a temp file in the same directory (created if
 * missing), fsync, rename, fsync of the directory; PORTSEC_FAULT=after-fsync
 * kills the process between fsync and rename (crash tests) */
int ps_write_atomic(const char *path, const char *data, size_t len, unsigned mode);
/* format an address (no brackets); returns length */
size_t ps_fmt_addr(char *dst, size_t cap, int family, const uint8_t *addr);
/* "0.0.0.0:22", "[::1]:631", "*:*" (wildcard_star: port 0 as *); returns length */
size_t ps_fmt_endpoint(char *dst, size_t cap, uint8_t family, const uint8_t *addr, uint16_t port,
		       bool wildcard_star);

/* growth of (pointer, count, capacity) arrays, typed by the pointer:
 *   struct ps_x *e = PS_VEC_PUSH(v, n, cap);     one more element (NULL: out of memory)
 *   if (PS_VEC_RESERVE(v, cap, need) != PS_OK)   room for `need` elements
 * Capacity doubles (16 at least); sizes are overflow-checked; on failure the
 * array is left as it was. */
void *ps_vec_grow_(void *arr, size_t *cap, size_t need, size_t elem);
#define PS_VEC_RESERVE(arr, cap, need)                                                          \
	__extension__({                                                                         \
		int ps_r_ = 0;                                                                  \
		size_t ps_need_ = (need);                                                       \
		if (ps_need_ > (cap)) {                                                         \
			void *ps_p_ = ps_vec_grow_((arr), &(cap), ps_need_, sizeof *(arr));     \
			if (ps_p_)                                                              \
				(arr) = ps_p_;                                                  \
			else                                                                    \
				ps_r_ = -1; /* PS_ERR_NOMEM */                                  \
		}                                                                               \
		ps_r_;                                                                          \
	})
#define PS_VEC_PUSH(arr, n, cap)                                                                \
	__extension__({                                                                         \
		__typeof__(&*(arr)) ps_e_ = 0;                                                  \
		if (PS_VEC_RESERVE(arr, cap, (n) + 1) == 0)                                     \
			ps_e_ = &(arr)[(n)++];                                                  \
		ps_e_;                                                                          \
	})

/* JSON writer on a ps_buf: commas and escaping handled; depth-limited. */
struct ps_json {
	struct ps_buf *b;
	int depth;
	bool need_comma[32];
	bool pretty;
	bool after_key;
};
void ps_json_init(struct ps_json *j, struct ps_buf *b, bool pretty);
void ps_json_obj_begin(struct ps_json *j);
void ps_json_obj_end(struct ps_json *j);
void ps_json_arr_begin(struct ps_json *j);
void ps_json_arr_end(struct ps_json *j);
void ps_json_key(struct ps_json *j, const char *k);
void ps_json_str(struct ps_json *j, const char *s); /* NULL -> null */
void ps_json_strn(struct ps_json *j, const char *s, size_t n);
void ps_json_u64(struct ps_json *j, uint64_t v);
void ps_json_i64(struct ps_json *j, int64_t v);
void ps_json_dbl(struct ps_json *j, double v);
void ps_json_bool(struct ps_json *j, bool v);
void ps_json_null(struct ps_json *j);
/* escape a string as JSON into b (without quotes) */
void ps_json_escape(struct ps_buf *b, const char *s, size_t n);

/* parallel for: runs fn(ctx, i) for i in [0,n) on up to nthreads threads
 * (the caller's thread included); items are handed out one at a time. */
int ps_parallel_for(size_t n, int nthreads, void (*fn)(void *ctx, size_t i, int tid), void *ctx);
int ps_ncpu(void);
/* CLOCK_MONOTONIC in milliseconds (for timings and bounded waits) */
double ps_mono_ms(void);

/* read a whole small file with raw open/read syscalls (no stdio, so a libc
 * hook on fopen cannot filter it).  dirfd may be AT_FDCWD.  The buffer is
 * NUL-terminated; *len excludes the NUL.  Caller frees *out. */
int ps_read_file_at(int dirfd, const char *path, char **out, size_t *len, size_t max);
/* read into a caller buffer (truncating), NUL-terminated; returns bytes or -1 */
long ps_read_small_at(int dirfd, const char *path, char *dst, size_t cap);

#endif
