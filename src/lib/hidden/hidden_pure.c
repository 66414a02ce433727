/* hidden_pure.c - the pure pieces of `portsec hidden`: names, environment
 * blocks, process-name rules, ld.so.preload, and whether a listing explains
 * an in-use port.  No I/O (unit-tested and fuzzed). */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"
#include "portsec/ps_hidden.h"



const char *ps_environ_get(const char *buf, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;
		if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			if (vlen)
				*vlen = (size_t)(e - p) - nl - 1;
			return p + nl + 1;
		}
		p = e + 1;
	}
	return NULL;
}

bool ps_exe_is_interpreter(const char *b)
{
	static const char *const pre[] = {"python", "perl", "ruby", "node", "nodejs", "java",
					  "php", "lua", "tclsh", "wish", "bash", "dash", "sh",
					  "zsh", "ksh", "mksh", "busybox", "guile", "Rscript", "pwsh",
					  "dotnet", "mono", "gjs", "erl", "beam.smp", "qemu-"};
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		size_t n = strlen(pre[i]);
		if (strncmp(b, pre[i], n) != 0)
			continue;
		/* "python3.11", "perl5.36", "sh" - but not "shd" or "nodemon" */
		char c = b[n];
		if (c == '\0' || (c >= '0' && c <= '9') || c == '.' || c == '-' || pre[i][n - 1] == '-')
			return true;
	}
	return false;
}

bool ps_name_fits_exe(const char *name, size_t n, const char *exe_base)
{
	/* argv[0]'s first word; a path keeps only its last component */
	size_t i = 0;
	while (i < n && name[i] != ' ' && name[i] != '\0')
		i++;
	n = i;
	const char *slash = NULL;
	for (size_t k = 0; k < n; k++)
		if (name[k] == '/')
			slash = name + k;
	if (slash) {
		n -= (size_t)(slash + 1 - name);
		name = slash + 1;
	}
	while (n && name[n - 1] == ':') /* "sshd:", "postgres:" */
		n--;
	if (n && name[0] == '-') { /* login shells: "-bash" */
		name++;
		n--;
	}
	if (n == 0)
		return false;
	size_t eb = strlen(exe_base);
	if (n == eb && memcmp(name, exe_base, n) == 0)
		return true;
	/* comm is the basename cut at 15 */
	if (n == 15 && eb > 15 && memcmp(name, exe_base, 15) == 0)
		return true;
	/* "python3" for python3.11; "vim" for vim.basic; "systemd-journal" */
	if (n < eb && memcmp(name, exe_base, n) == 0 &&
	    (exe_base[n] == '.' || exe_base[n] == '-' || exe_base[n] == '_' ||
	     (exe_base[n] >= '0' && exe_base[n] <= '9')))
		return true;
	/* "nc.openbsd" invoked as "nc" is the same case; the reverse ("sshd"
	 * exe "sshd-session") too */
	if (eb < n && memcmp(name, exe_base, eb) == 0 && (name[eb] == '-' || name[eb] == '.'))
		return true;
	return false;
}

size_t ps_preload_parse(const char *buf, size_t len, void (*cb)(void *, const char *, size_t),
			void *ctx)
{
	/* ld.so: entries separated by whitespace or ':'; '#' starts a comment
	 * to the end of the line */
	size_t count = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		char c = *p;
		if (c == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '\0') {
			p++;
			continue;
		}
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != ':' &&
		       *p != '#' && *p != '\0')
			p++;
		if (cb)
			cb(ctx, s, (size_t)(p - s));
		count++;
	}
	return count;
}

static bool mapped_v4(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

bool ps_port_explained(const struct ps_inventory *inv, uint8_t proto, uint16_t port, bool v6_space,
		       uint32_t netns)
{
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->proto != proto || s->lport != port || s->netns != netns)
			continue;
		if (s->family == AF_INET) {
			if (!v6_space)
				return true;
		} else if (s->family == AF_INET6) {
			bool any = ps_addr_is_any(AF_INET6, s->laddr);
			if (v6_space && !mapped_v4(s->laddr))
				return true;
			/* a v4-mapped address lives in the IPv4 space; so does [::]
			 * unless IPV6_V6ONLY (unknown counts as dual-stack) */
			if (!v6_space && (mapped_v4(s->laddr) || (any && s->v6only != 1)))
				return true;
			/* a connected (or time-wait) IPv6 socket without IPV6_V6ONLY on a
			 * specific address: tcp_v6_connect gives it the placeholder IPv4
			 * address 127.0.0.6, which an IPv4 wildcard bind (the sweep's
			 * probe) collides with; a bound listener there does not (measured:
			 * bash's /dev/tcp/::1 client leaves such a FIN-WAIT-2 mini-socket) */
			bool connected = s->tw_mini || (s->state != PS_ST_LISTEN && s->state != PS_ST_BOUND_INACTIVE &&
							s->state != PS_ST_CLOSE);
			if (!v6_space && !any && connected && s->v6only != 1)
				return true;
		}
	}
	return false;
}
