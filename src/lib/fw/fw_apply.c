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

int ps_fw_persist(const char *path, const char *data, size_t len)
{
	return ps_write_atomic(path, data, len, 0600);
}
