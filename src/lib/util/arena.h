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
#endif
