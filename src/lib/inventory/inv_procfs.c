/* inv_procfs.c - /proc/net/<kind> of the calling thread's network namespace,
 * read with raw syscalls (a preload hook on fopen/read cannot filter it),
 * parsed by procnet_parse.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "util/sys.h"

int ps_procfs_read(struct ps_inventory *inv, uint32_t ns, const char *proc_root,
		   const char *kind, int *err)
{
	char path[256];
	snprintf(path, sizeof path, "%s/thread-self/net/%s", proc_root, kind);
	char *buf = NULL;
	size_t len = 0;
	int r = ps_read_file_at(AT_FDCWD, path, &buf, &len, (size_t)1 << 30);
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
