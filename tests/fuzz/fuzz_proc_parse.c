/* fuzz: what the owner walk reads from /proc (cgroup, fd link, cmdline) and /etc/passwd */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_user(void *ctx, uint32_t uid, const char *name, size_t n)
{
	(void)ctx;
	(void)uid;
	volatile char c = n ? name[n - 1] : 0;
	(void)c;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char path[256], unit[64], cont[64];
	ps_cgroup_parse(buf, size, path, sizeof path, unit, sizeof unit, cont, sizeof cont);
	uint64_t ino;
	ps_parse_socket_link(buf, size, &ino);
	ps_passwd_parse(buf, size, on_user, NULL);
	char cg[64];
	ps_cgroup2_mount(buf, size, cg, sizeof cg);
	ps_cmdline_clean(buf, size);
	free(buf);
	return 0;
}
