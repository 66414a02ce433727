/* fw_apply.c - apply an nft script as one transaction (libnftables, never
 * the nft program) and write the persistent ruleset crash-safely. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nftables/libnftables.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw/internal.h"
#include "portsec/ps_error.h"

int ps_fw_nft_run(const char *script, bool dry_run, struct ps_buf *err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return PS_ERR_NOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (dry_run)
		nft_ctx_set_dry_run(ctx, true);
	int rc = nft_run_cmd_from_buffer(ctx, script);
	if (rc != 0 && err) {
		const char *m = nft_ctx_get_error_buffer(ctx);
		if (m && *m) {
			/* first line only: the caller prints one line */
			size_t n = strcspn(m, "\n");
			ps_buf_put(err, m, n);
		} else {
			ps_buf_puts(err, "nftables refused the change");
		}
	}
	nft_ctx_free(ctx);
	if (rc == 0)
		return PS_OK;
	return geteuid() != 0 ? PS_ERR_PERM : PS_ERR_SYS;
}

const char *ps_fw_persist_path(void)
{
	const char *p = getenv("PORTSEC_FW_FILE");
	return p && *p ? p : "/etc/portsec/firewall.nft";
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int ps_fw_persist(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return PS_ERR_RANGE;
	/* the directory (e.g. /etc/portsec) may not exist yet */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return errno == EACCES || errno == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	const char *fault = getenv("PORTSEC_FAULT");
	if (fault && strcmp(fault, "after-fsync") == 0)
		raise(SIGKILL); /* crash test: new file written, not yet renamed */
	if (rename(tmp, path) < 0)
		goto fail;
	fsync_dir(path);
	return PS_OK;
fail: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return PS_ERR_SYS;
}
}
