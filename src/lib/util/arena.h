/* arena.h - a bump allocator: many small strings, freed in one call.
 * Private to the library. */
#ifndef PS_ARENA_H
#define PS_ARENA_H
#include <stddef.h>

struct ps_arena_chunk;
struct ps_arena {
	struct ps_arena_chunk *head;
	size_t used, size;
};
void ps_arena_init(struct ps_arena *a);
void ps_arena_free(struct ps_arena *a);
void *ps_arena_alloc(struct ps_arena *a, size_t n); /* 8-aligned, NULL on OOM */
char *ps_arena_strndup(struct ps_arena *a, const char *s, size_t n);
#include <stdarg.h>
/* printf into the arena (one pass when it fits the current chunk) */
char *ps_arena_vprintf(struct ps_arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* how many chunks it holds (tests: small allocations share chunks) */
size_t ps_arena_chunks(const struct ps_arena *a);
#endif
