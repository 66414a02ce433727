/* internal.h - private to src/lib/fw */
#ifndef PS_FW_INTERNAL_H
#define PS_FW_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "portsec/ps_fw.h"
#include "util/arena.h"

#define PS_FW_KEYMAX 64

/* a set element as dumped, before interval ends are folded */
struct fw_raw_elem {
	uint8_t key[PS_FW_KEYMAX], key_end[PS_FW_KEYMAX];
	uint8_t klen, kelen, dlen;
	bool has_end, has_verdict;
	uint32_t flags;
	int32_t verdict;
	const char *chain;
	const uint8_t *data;
};

struct ps_arena *fw_arena(struct ps_fw_ruleset *rs);
#endif
