/* arena.c - bump allocator in 64 KiB chunks (bigger requests get their own) */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct ps_arena_chunk {
	struct ps_arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

#define CHUNK 65536

void ps_arena_init(struct ps_arena *a)
{
	memset(a, 0, sizeof *a);
}

void ps_arena_free(struct ps_arena *a)
{
	if (!a)
		return;
	struct ps_arena_chunk *c = a->head;
	while (c) {
		struct ps_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	memset(a, 0, sizeof *a);
}

void *ps_arena_alloc(struct ps_arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (!a->head || a->used + n > a->size) {
		size_t sz = n > CHUNK / 4 ? n : CHUNK;
		struct ps_arena_chunk *c = malloc(sizeof *c + sz);
		if (!c)
			return NULL;
		c->size = sz;
		if (sz > CHUNK / 4 && a->head) {
			/* big one-off: keep the current chunk as the bump target */
			c->next = a->head->next;
			a->head->next = c;
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->used = 0;
		a->size = sz;
	}
	void *p = a->head->data + a->used;
	a->used += n;
	return p;
}

char *ps_arena_strndup(struct ps_arena *a, const char *s, size_t n)
{
	char *p = ps_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
