/* fuzz: the byte parsers of `portsec hidden`: classic BPF instructions as
 * text, environment blocks, /etc/ld.so.preload, /proc/net/sockstat{,6}, and
 * the process-name rule.  The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

static void sink(void *ctx, const char *s, size_t n)
{
	size_t *total = ctx;
	if (n == 0 || s[0] == '#')
		__builtin_trap(); /* empty entries and comments are never reported */
	*total += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0] % 5;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (sel) {
	case 0: { /* cBPF program: 8 bytes an instruction */
		size_t cnt = n / 8;
		for (size_t i = 0; i < cnt && i < 4096; i++) {
			struct ps_bpf_insn in;
			memcpy(&in.code, p + i * 8, 2);
			in.jt = (uint8_t)p[i * 8 + 2];
			in.jf = (uint8_t)p[i * 8 + 3];
			memcpy(&in.k, p + i * 8 + 4, 4);
			char line[128];
			size_t l = ps_bpf_insn_format(&in, (unsigned)i, (unsigned)cnt, line, sizeof line);
			if (l >= sizeof line || strlen(line) != l)
				__builtin_trap();
			char tiny[5];
			ps_bpf_insn_format(&in, (unsigned)i, (unsigned)cnt, tiny, sizeof tiny);
		}
		break;
	}
	case 1: { /* environment block */
		size_t vl = 0;
		const char *v = ps_environ_get(p, n, "LD_PRELOAD", &vl);
		if (v && (v < p || v + vl > p + n))
			__builtin_trap();
		break;
	}
	case 2: {
		size_t total = 0;
		size_t c = ps_preload_parse(p, n, sink, &total);
		if (total > n || c > n)
			__builtin_trap();
		break;
	}
	case 3: {
		struct ps_sockstat s = {0};
		ps_sockstat_parse(p, n, n & 1, &s);
		break;
	}
	case 4: { /* name + NUL + exe basename */
		const char *z = memchr(p, '\0', n);
		if (!z)
			break;
		char *exe = malloc(n - (size_t)(z - p));
		if (!exe)
			break;
		memcpy(exe, z + 1, n - (size_t)(z - p) - 1);
		exe[n - (size_t)(z - p) - 1] = '\0';
		ps_name_fits_exe(p, (size_t)(z - p), exe);
		ps_exe_is_interpreter(exe);
		free(exe);
		break;
	}
	}
	return 0;
}
