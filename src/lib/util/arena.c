/* arena.c - bump allocator in 64 KiB chunks (bigger requests get their own) */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
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
		if (n > CHUNK / 4 && a->head) {
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

char *ps_arena_vprintf(struct ps_arena *a, const char *fmt, va_list ap)
{
	/* one pass when it fits what is left of the current chunk */
	size_t room = a->head && a->size > a->used ? a->size - a->used : 0;
	va_list aq;
	va_copy(aq, ap);
	int n = room ? vsnprintf((char *)a->head->data + a->used, room, fmt, aq) : -1;
	va_end(aq);
	if (n >= 0 && (size_t)n < room) {
		char *p = (char *)a->head->data + a->used;
		a->used += ((size_t)n + 1 + 7) & ~(size_t)7;
		if (a->used > a->size)
			a->used = a->size;
		return p;
	}
	if (n < 0) {
		va_copy(aq, ap);
		n = vsnprintf(NULL, 0, fmt, aq);
		va_end(aq);
		if (n < 0)
			n = 0;
	}
	char *p = ps_arena_alloc(a, (size_t)n + 1);
	if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

size_t ps_arena_chunks(const struct ps_arena *a)
{
	size_t n = 0;
	for (const struct ps_arena_chunk *c = a->head; c; c = c->next)
		n++;
	return n;
}
