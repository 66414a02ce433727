/* inv_procfs.c - /proc/net/<kind> of the calling thread's network namespace,
 * read with raw syscalls (a preload hook on fopen/read cannot filter it),
 * parsed by procnet_parse.c.  via_libc reads it through stdio instead: the
 * libc view `portsec hidden` holds against the raw one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "util/sys.h"

static int read_libc(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == EACCES || errno == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	while (b) {
		if (cap - n < 4096) {
			char *nb = cap < ((size_t)1 << 30) ? realloc(b, cap * 2) : NULL;
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (!b)
		return PS_ERR_NOMEM;
	if (bad) {
		free(b);
		return PS_ERR_SYS;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return PS_OK;
}

int ps_procfs_read(struct ps_inventory *inv, uint32_t ns, const char *proc_root,
		   const char *kind, bool via_libc, int *err)
{
	char path[256];
	snprintf(path, sizeof path, "%s/thread-self/net/%s", proc_root, kind);
	char *buf = NULL;
	size_t len = 0;
	int r = via_libc ? read_libc(path, &buf, &len)
			 : ps_read_file_at(AT_FDCWD, path, &buf, &len, (size_t)1 << 30);
	if (r != PS_OK) {
		*err = errno;
		return r;
	}
	unsigned bad = 0;
	r = ps_procnet_parse(inv, ns, kind, buf, len, &bad);
	free(buf);
	if (r == PS_ERR_INVAL) {
		*err = (int)bad; /* line number */
		return PS_ERR_PROTO;
	}
	return r;
}

int ps_sockstat_read(const char *proc_root, struct ps_sockstat *out)
{
	static const char *const files[] = {"sockstat", "sockstat6"};
	*out = (struct ps_sockstat){0};
	for (int f = 0; f < 2; f++) {
		char path[128], buf[2048];
		snprintf(path, sizeof path, "%s/thread-self/net/%s", proc_root, files[f]);
		long n = ps_read_small_at(AT_FDCWD, path, buf, sizeof buf);
		if (n > 0)
			ps_sockstat_parse(buf, (size_t)n, f == 1, out);
	}
	return out->ok4 ? PS_OK : PS_ERR_SYS;
}
