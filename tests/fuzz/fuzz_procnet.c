/* fuzz: /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,packet} (first byte picks the file) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const kinds[] = {"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "packet", "packet"};
	struct ps_inventory *inv = ps_inventory_new();
	if (!inv)
		return 0;
	/* exact-size heap copy so ASan sees any overread */
	char *buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	unsigned bad;
	ps_procnet_parse(inv, 0, kinds[data[0] & 7], buf, size - 1, &bad);
	free(buf);
	ps_inventory_free(inv);
	return 0;
}
