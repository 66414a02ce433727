/* fuzz: sock_diag replies (first byte picks the protocol the dump asked for) */
#include <stdint.h>
#include <string.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uint8_t protos[] = {PS_PROTO_TCP, PS_PROTO_UDP, PS_PROTO_RAW, PS_PROTO_PACKET};
	uint8_t proto = protos[data[0] & 3];
	/* netlink messages are 4-aligned in the kernel's buffer */
	static uint32_t aligned[1 << 16];
	size_t n = size - 1 > sizeof aligned ? sizeof aligned : size - 1;
	memcpy(aligned, data + 1, n);
	struct ps_inventory *inv = ps_inventory_new();
	if (!inv)
		return 0;
	struct ps_netns ns = {.inode = 1, .current = true};
	ps_inventory_add_netns(inv, &ns, NULL);
	bool done;
	int kerr;
	ps_sockdiag_parse(inv, 0, proto, aligned, n, &done, &kerr);
	for (size_t i = 0; i < inv->nsocks; i++) {
		/* everything parsed must be printable by the model */
		(void)ps_state_name(inv->socks[i].proto, inv->socks[i].state);
		if (inv->socks[i].has_filter && inv->socks[i].filter_first + inv->socks[i].filter_len > inv->ninsns)
			__builtin_trap();
	}
	ps_inventory_free(inv);
	return 0;
}
