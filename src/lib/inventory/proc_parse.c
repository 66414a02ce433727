/* proc_parse.c - pure parsers for what the owner walk reads from /proc:
 * fd links, cgroup files (unit, container), cmdline, and /etc/passwd. */
#include <stdio.h>
#include <string.h>

#include "portsec/portsec.h"

bool ps_parse_socket_link(const char *link, size_t len, uint64_t *inode)
{
	static const char pre[] = "socket:[";
	if (len < sizeof pre + 1 || memcmp(link, pre, sizeof pre - 1) != 0 || link[len - 1] != ']')
		return false;
	uint64_t v = 0;
	size_t i = sizeof pre - 1, end = len - 1;
	if (i == end || end - i > 20)
		return false;
	for (; i < end; i++) {
		if (link[i] < '0' || link[i] > '9')
			return false;
		uint64_t d = (uint64_t)(link[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*inode = v;
	return true;
}

static void copy_out(char *dst, size_t cap, const char *s, size_t n)
{
	if (cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static bool all_hex(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* container runtimes' cgroup naming */
static bool container_of_component(const char *c, size_t n, const char *parent, size_t pn,
				   char *out, size_t cap)
{
	static const struct { const char *prefix, *suffix, *runtime; } pat[] = {
		{"docker-", ".scope", "docker"},
		{"cri-containerd-", ".scope", "containerd"},
		{"crio-", ".scope", "cri-o"},
		{"libpod-", ".scope", "podman"},
	};
	for (size_t i = 0; i < sizeof pat / sizeof pat[0]; i++) {
		size_t pl = strlen(pat[i].prefix), sl = strlen(pat[i].suffix);
		if (n > pl + sl && memcmp(c, pat[i].prefix, pl) == 0 && ends_with(c, n, pat[i].suffix) &&
		    all_hex(c + pl, n - pl - sl)) {
			char tmp[128];
			int k = snprintf(tmp, sizeof tmp, "%s:%.*s", pat[i].runtime, (int)(n - pl - sl), c + pl);
			copy_out(out, cap, tmp, k > 0 ? (size_t)k : 0);
			return true;
		}
	}
	/* cgroupfs driver: /docker/<64hex>, /kubepods/.../<64hex>, /lxc.payload.NAME */
	if (pn == 6 && memcmp(parent, "docker", 6) == 0 && n == 64 && all_hex(c, n)) {
		char tmp[128];
		int k = snprintf(tmp, sizeof tmp, "docker:%.*s", (int)n, c);
		copy_out(out, cap, tmp, k > 0 ? (size_t)k : 0);
		return true;
	}
	if (n == 64 && all_hex(c, n) && pn >= 8 && memcmp(parent, "kubepods", 8) == 0) {
		char tmp[128];
		int k = snprintf(tmp, sizeof tmp, "kubepods:%.*s", (int)n, c);
		copy_out(out, cap, tmp, k > 0 ? (size_t)k : 0);
		return true;
	}
	if (n > 12 && memcmp(c, "lxc.payload.", 12) == 0) {
		char tmp[128];
		int k = snprintf(tmp, sizeof tmp, "lxc:%.*s", (int)(n - 12), c + 12);
		copy_out(out, cap, tmp, k > 0 ? (size_t)k : 0);
		return true;
	}
	return false;
}

static bool is_unit(const char *c, size_t n)
{
	static const char *const suf[] = {".service", ".scope", ".socket", ".mount", ".swap", ".timer"};
	for (size_t i = 0; i < sizeof suf / sizeof suf[0]; i++)
		if (ends_with(c, n, suf[i]) && n > strlen(suf[i]))
			return true;
	return false;
}

void ps_cgroup_parse(const char *buf, size_t len, char *path, size_t path_cap, char *unit,
		     size_t unit_cap, char *container, size_t container_cap)
{
	copy_out(path, path_cap, "", 0);
	copy_out(unit, unit_cap, "", 0);
	copy_out(container, container_cap, "", 0);
	const char *best = NULL, *first = NULL, *sysd = NULL;
	size_t best_n = 0, first_n = 0, sysd_n = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		/* id:controllers:path */
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (c2) {
			const char *cp = c2 + 1;
			size_t cn = (size_t)(le - cp);
			if (!first) {
				first = cp;
				first_n = cn;
			}
			if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
				best = cp;
				best_n = cn;
			}
			if ((size_t)(c2 - c1 - 1) == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0) {
				sysd = cp;
				sysd_n = cn;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!best) {
		best = sysd ? sysd : first;
		best_n = sysd ? sysd_n : first_n;
	}
	if (!best)
		return;
	copy_out(path, path_cap, best, best_n);

	/* walk components */
	const char *prev = "";
	size_t prev_n = 0;
	const char *q = best, *qe = best + best_n;
	const char *last_unit = NULL;
	size_t last_unit_n = 0;
	bool have_container = false;
	while (q < qe) {
		while (q < qe && *q == '/')
			q++;
		const char *s = q;
		while (q < qe && *q != '/')
			q++;
		size_t n = (size_t)(q - s);
		if (n == 0)
			break;
		if (!have_container)
			have_container = container_of_component(s, n, prev, prev_n, container, container_cap);
		if (is_unit(s, n)) {
			/* user@UID.service is the user manager; units below it are the user's */
			last_unit = s;
			last_unit_n = n;
		}
		prev = s;
		prev_n = n;
	}
	if (last_unit)
		copy_out(unit, unit_cap, last_unit, last_unit_n);
}

int ps_passwd_parse(const char *buf, size_t len,
		    int (*cb)(void *ctx, uint32_t uid, const char *name, size_t n), void *ctx)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t)(le - c2 - 1)) : NULL;
		if (c3 && c1 > p && p[0] != '#' && p[0] != '+' && p[0] != '-') {
			uint64_t uid = 0;
			bool ok = c3 > c2 + 1 && c3 - c2 - 1 <= 10;
			for (const char *d = c2 + 1; ok && d < c3; d++) {
				if (*d < '0' || *d > '9')
					ok = false;
				else
					uid = uid * 10 + (uint64_t)(*d - '0');
			}
			if (ok && uid <= UINT32_MAX) {
				int r = cb(ctx, (uint32_t)uid, p, (size_t)(c1 - p));
				if (r != 0)
					return r;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return PS_OK;
}

size_t ps_cmdline_clean(char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\0')
			buf[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			buf[i] = '?';
	}
	buf[len] = '\0';
	return len;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS";
 * the mount point's spaces are octal escapes (\040), kept as they are:
 * such a path is refused rather than guessed */
bool ps_cgroup2_mount(const char *buf, size_t len, char *dir, size_t cap)
{
	bool found = false;
	size_t i = 0;
	if (cap == 0)
		return false;
	while (i < len) {
		size_t e = i;
		while (e < len && buf[e] != '\n')
			e++;
		/* fields 5 (mount point) and the one after " - " (fstype) */
		const char *f[5] = {0};
		size_t fl[5] = {0}, nf = 0, k = i;
		while (k < e && nf < 5) {
			while (k < e && buf[k] == ' ')
				k++;
			size_t st = k;
			while (k < e && buf[k] != ' ')
				k++;
			if (k > st)
				f[nf] = buf + st, fl[nf++] = k - st;
		}
		const char *dash = NULL;
		for (size_t j = k; j + 2 < e && !dash; j++)
			if (buf[j] == ' ' && buf[j + 1] == '-' && buf[j + 2] == ' ')
				dash = buf + j + 3;
		if (nf == 5 && dash && (size_t)(buf + e - dash) >= 8 && memcmp(dash, "cgroup2 ", 8) == 0 &&
		    fl[4] < cap && !memchr(f[4], '\\', fl[4])) {
			bool pref = fl[4] == 14 && memcmp(f[4], "/sys/fs/cgroup", 14) == 0;
			if (!found || pref) {
				memcpy(dir, f[4], fl[4]);
				dir[fl[4]] = '\0';
				found = true;
				if (pref)
					return true;
			}
		}
		i = e + 1;
	}
	return found;
}
