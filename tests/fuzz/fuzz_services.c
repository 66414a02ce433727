/* fuzz: /etc/services, nmap-services and the reserved-ports sysctl text */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_svc(void *ctx, const char *name, uint16_t port, unsigned proto, const char *aliases)
{
	(void)ctx;
	if (!name[0] || !(proto & (PS_P_TCP | PS_P_UDP)) || strlen(aliases) > 400)
		__builtin_trap();
	(void)port;
	return 0;
}

static int on_nmap(void *ctx, const char *name, uint16_t port, unsigned proto, double freq)
{
	(void)ctx;
	(void)port;
	if (!name[0] || strlen(name) > 64 || !(proto & (PS_P_TCP | PS_P_UDP)) || !(freq >= 0.0 && freq <= 1.0))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	ps_etc_services_parse(buf, size, on_svc, NULL);
	ps_nmap_services_parse(buf, size, on_nmap, NULL);
	ps_reserved_contains(buf, (uint16_t)size);
	free(buf);
	return 0;
}
