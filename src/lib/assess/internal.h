/* internal.h - shared inside the judging layer */
#ifndef PS_ASSESS_INTERNAL_H
#define PS_ASSESS_INTERNAL_H
#include "portsec/portsec.h"
#include "util/arena.h"

/* a copy of the buffer's text in the arena ("" when empty) */
char *as_strbuf(struct ps_arena *ar, const struct ps_buf *b);
#include <stdarg.h>
char *as_vprintf(struct ps_arena *ar, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
char *as_printf(struct ps_arena *ar, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* reach of one row (exposure, families, verdicts, text) */
void as_reach_row(struct ps_arena *ar, const struct ps_fw_ruleset *rs, const struct ps_socket *s,
		  struct ps_reach *out);
/* the built-in rules over the summary: appends findings */
int as_rules(struct ps_assessment *a, const struct ps_svcdb *db);
#endif
