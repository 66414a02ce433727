/* hidden_proc.c - passive backdoors and rootkit signs around processes:
 * packet and raw sockets (with decoded classic BPF filters), processes whose
 * name does not fit their executable or whose executable is gone, and
 * preloaded libraries (/etc/ld.so.preload, LD_PRELOAD / LD_AUDIT in any
 * process's environment).  Reads go through raw syscalls. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util/sys.h"

/* ---- packet and raw sockets ---- */

/* network daemons that legitimately hold packet sockets (DHCP, ARP, LLDP,
 * 802.1X, VRRP); matched on the executable path, which a masquerading
 * process cannot fake (its own name it can) */
static const char *const benign_exe[] = {
	"/usr/sbin/dhclient", "/sbin/dhclient", "/usr/sbin/dhcpcd", "/sbin/dhcpcd",
	"/usr/sbin/NetworkManager", "/usr/lib/systemd/systemd-networkd",
	"/lib/systemd/systemd-networkd", "/usr/sbin/wpa_supplicant", "/sbin/wpa_supplicant",
	"/usr/sbin/lldpd", "/usr/sbin/hostapd", "/usr/sbin/keepalived", "/usr/sbin/arpwatch",
	"/usr/sbin/dnsmasq", "/usr/sbin/dhcpd", "/usr/sbin/radvd", "/usr/sbin/ladvd",
	"/usr/bin/udhcpc", "/sbin/udhcpc", "/usr/sbin/avahi-autoipd",
};

static bool benign_holder(const struct ps_proc *p)
{
	if (!p->exe || p->exe_deleted)
		return false;
	for (size_t i = 0; i < sizeof benign_exe / sizeof benign_exe[0]; i++)
		if (strcmp(p->exe, benign_exe[i]) == 0)
			return true;
	return false;
}

static bool allowed_holder(const struct hctx *c, const struct ps_proc *p)
{
	for (size_t i = 0; i < c->o->nallow; i++) {
		const char *a = c->o->allow[i];
		if (p->exe && !p->exe_deleted &&
		    (strcmp(a, p->exe) == 0 || strcmp(a, h_basename(p->exe)) == 0))
			return true;
	}
	return false;
}

static const char *ethertype(uint16_t t)
{
	switch (t) {
	case 0x0003: return "all (ETH_P_ALL)";
	case 0x0800: return "IPv4";
	case 0x0806: return "ARP";
	case 0x86dd: return "IPv6";
	case 0x888e: return "EAPOL";
	case 0x88cc: return "LLDP";
	case 0: return "none yet";
	}
	return NULL;
}

static bool raw_proto_routine(uint16_t p)
{
	/* ICMP, IGMP, OSPF, PIM, VRRP, ICMPv6, and IPPROTO_RAW (send only) */
	return p == 1 || p == 2 || p == 89 || p == 103 || p == 112 || p == 58 || p == 255;
}

void h_packet_raw(struct hctx *c)
{
	struct ps_check *k = h_check(c, "packet-raw-sockets");
	double t0 = h_now_ms();
	size_t first = c->r->nfindings;
	const struct ps_inventory *inv = c->inv;
	unsigned npkt = 0, nraw = 0, filtered = 0;
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		if (s->netns != c->cur || (s->proto != PS_PROTO_PACKET && s->proto != PS_PROTO_RAW))
			continue;
		bool pkt = s->proto == PS_PROTO_PACKET;
		npkt += pkt;
		nraw += !pkt;
		bool filter = pkt && (s->has_filter || s->filter_len);
		filtered += filter;
		bool allowed = false, benign = s->owner_count > 0;
		for (uint32_t o = 0; o < s->owner_count; o++) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, o);
			if (p && allowed_holder(c, p))
				allowed = true;
			if (!p || !benign_holder(p))
				benign = false;
		}
		int sev;
		const char *kind, *why;
		if (allowed) {
			sev = PS_SEV_INFO;
			why = "held by a capture tool you allowed";
		} else if (!s->owner_count && s->owner_note == PS_ON_NO_OWNER) {
			sev = PS_SEV_HIGH;
			why = "no process holds it: its owner may be hidden";
		} else if (!s->owner_count) {
			sev = PS_SEV_MEDIUM;
			why = "its owner could not be seen";
		} else if (benign) {
			sev = PS_SEV_LOW;
			why = "held by a network daemon that needs one (DHCP, ARP, LLDP, ...)";
		} else if (pkt && filter) {
			sev = PS_SEV_HIGH;
			why = "a packet socket with a BPF filter is how passive backdoors (BPFDoor) wait for a magic packet; allow real capture tools with --allow NAME";
		} else if (pkt) {
			sev = PS_SEV_MEDIUM;
			why = "a packet socket sees raw traffic (a sniffer); allow real capture tools with --allow NAME";
		} else if (raw_proto_routine(s->protocol)) {
			sev = PS_SEV_LOW;
			why = "a raw socket for a routing/diagnostic protocol";
		} else {
			sev = PS_SEV_MEDIUM;
			why = "a raw IP socket receives every packet of its protocol without a port: a passive backdoor can wait for a magic packet this way";
		}
		kind = pkt ? (filter ? "packet-filter" : "packet-socket") : "raw-socket";
		char proto[48];
		if (pkt) {
			const char *et = ethertype(s->protocol);
			if (et)
				snprintf(proto, sizeof proto, "%s", et);
			else
				snprintf(proto, sizeof proto, "ethertype 0x%04x", s->protocol);
		} else {
			snprintf(proto, sizeof proto, "IP protocol %u", s->protocol);
		}
		const char *ifn = s->ifindex ? ps_inventory_ifname(inv, s->netns, s->ifindex) : NULL;
		const struct ps_proc *p0 = s->owner_count ? ps_socket_owner_proc(inv, s, 0) : NULL;
		struct ps_finding *f = h_add(
			c, kind, sev, "%s %s socket (%s, interface %s)%s held by %s: %s",
			pkt ? "packet" : ps_family_name(s->family), pkt ? (s->pkt_type == SOCK_DGRAM ? "dgram" : "raw") : "raw",
			proto, ifn ? ifn : "any", filter ? " with a classic BPF filter" : "",
			p0 ? p0->comm : "no process", why);
		if (!f)
			continue;
		f->sock = (int32_t)i;
		f->inode = s->inode;
		f->proto = s->proto;
		f->family = s->family;
		f->views_seen = (s->sources & PS_SRC_SOCKDIAG ? PS_VIEW_SOCKDIAG : 0) |
				(s->sources & PS_SRC_PROCFS ? PS_VIEW_PROCFS : 0) |
				(s->sources & PS_SRC_FDWALK ? PS_VIEW_FDWALK : 0);
		h_ev_owners(c, f, s);
		if (filter && !s->filter_len)
			h_ev(c, f, "filter attached but not readable (needs CAP_NET_ADMIN)");
		if (s->filter_len)
			h_ev(c, f, "filter: %u classic BPF instructions (see \"filter\")", s->filter_len);
	}
	k->findings = h_count_since(c, first);
	h_check_done(k, true, t0, "%u packet sockets (%u with a filter), %u raw sockets", npkt, filtered,
		     nraw);
}

/* ---- processes: masquerade, deleted executable ---- */

/* is `name` (argv[0] or comm) another path to the same file as the exe?
 * Looked up inside the process's own root (containers). */
static bool same_file(const char *proc_root, int pid, const char *name, size_t n)
{
	char exe[64], p[512];
	struct stat a, b;
	snprintf(exe, sizeof exe, "%s/%d/exe", proc_root, pid);
	if (stat(exe, &a) != 0)
		return false;
	char word[256];
	size_t w = 0;
	while (w < n && w < sizeof word - 1 && name[w] != ' ' && name[w] != '\0')
		w++;
	memcpy(word, name, w);
	word[w] = '\0';
	while (w && word[w - 1] == ':')
		word[--w] = '\0';
	if (!w)
		return false;
	if (word[0] == '/') {
		snprintf(p, sizeof p, "%s/%d/root%s", proc_root, pid, word);
		return stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	}
	if (strchr(word, '/'))
		return false;
	static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
					   "/sbin", "/bin", "/usr/lib/systemd", "/usr/libexec"};
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		snprintf(p, sizeof p, "%s/%d/root%s/%s", proc_root, pid, dirs[d], word);
		if (stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return true;
	}
	return false;
}

static bool temp_path(const char *exe)
{
	static const char *const pre[] = {"/dev/shm/", "/tmp/", "/var/tmp/", "/run/", "/dev/", "/memfd:",
					  "/proc/"};
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(exe, pre[i], strlen(pre[i])) == 0)
			return true;
	return false;
}

static bool holds_netsock(const struct ps_inventory *inv, uint32_t proc, bool *packet)
{
	bool any = false;
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		for (uint32_t k = 0; k < s->owner_count; k++)
			if (inv->owners[s->owner_first + k].proc == proc) {
				any = true;
				if (s->proto == PS_PROTO_PACKET || s->proto == PS_PROTO_RAW)
					*packet = true;
			}
	}
	return any;
}

void h_processes(struct hctx *c)
{
	struct ps_check *k = h_check(c, "processes");
	double t0 = h_now_ms();
	size_t first = c->r->nfindings;
	const struct ps_inventory *inv = c->inv;
	unsigned checked = 0, unreadable = 0;
	for (size_t i = 0; i < inv->nprocs; i++) {
		const struct ps_proc *p = &inv->procs[i];
		if (!p->details || !p->exe) {
			unreadable++;
			continue;
		}
		checked++;
		bool packet = false;
		holds_netsock(inv, (uint32_t)i, &packet);
		const char *base = h_basename(p->exe);
		/* deleted executable */
		if (p->exe_deleted) {
			int sev;
			const char *why;
			char path[600];
			struct stat st;
			snprintf(path, sizeof path, "%s/%d/root%s", inv->proc_root, p->pid, p->exe);
			if (temp_path(p->exe)) {
				sev = PS_SEV_HIGH;
				why = "it ran from a temporary or memory-only location and deleted itself";
			} else if (stat(path, &st) == 0) {
				sev = PS_SEV_LOW;
				why = "a new file is at that path now (package upgrade?): restart it to run the new version";
			} else {
				sev = PS_SEV_MEDIUM;
				why = "nothing is at that path any more";
			}
			struct ps_finding *f = h_add(c, "deleted-exe", sev,
						     "pid %d (%s) holds network sockets and runs %s, deleted from disk: %s",
						     p->pid, p->comm, p->exe, why);
			if (f) {
				f->pid = p->pid;
				h_ev(c, f, "cmdline: %s", p->cmdline ? p->cmdline : "?");
			}
		}
		/* masquerade: neither comm nor argv[0] fits the executable */
		if (ps_exe_is_interpreter(base))
			continue;
		const char *argv0 = p->cmdline ? p->cmdline : "";
		bool comm_ok = ps_name_fits_exe(p->comm, strlen(p->comm), base);
		bool argv_ok = !*argv0 || ps_name_fits_exe(argv0, strlen(argv0), base);
		if (!comm_ok && same_file(inv->proc_root, p->pid, p->comm, strlen(p->comm)))
			comm_ok = true;
		if (!argv_ok && same_file(inv->proc_root, p->pid, argv0, strlen(argv0)))
			argv_ok = true;
		/* a renamed process (prctl) whose argv still names the exe is common
		 * (threads pools, daemons naming workers); both off is the mask */
		if (comm_ok || argv_ok)
			continue;
		struct ps_finding *f = h_add(
			c, "masquerade", packet || p->exe_deleted ? PS_SEV_HIGH : PS_SEV_MEDIUM,
			"pid %d calls itself '%s' (argv[0] '%.60s') but runs %s%s", p->pid, p->comm, argv0,
			p->exe, p->exe_deleted ? " (deleted)" : "");
		if (f) {
			f->pid = p->pid;
			h_ev(c, f, "comm '%s' and argv[0] do not match the executable's name '%s' or the same file under another name",
			     p->comm, base);
			if (packet)
				h_ev(c, f, "it holds a packet or raw socket");
		}
	}
	k->findings = h_count_since(c, first);
	k->partial = unreadable > 0 && geteuid() != 0;
	h_check_done(k, true, t0, "%u socket-holding processes checked (%u unreadable)", checked,
		     unreadable);
}

/* ---- preload ---- */

struct pl_ctx {
	struct hctx *c;
	struct ps_finding *f;
};

static void pl_entry(void *p, const char *s, size_t n)
{
	struct pl_ctx *x = p;
	h_ev(x->c, x->f, "/etc/ld.so.preload loads %.*s into every program", (int)n, s);
}

struct envscan {
	const char *proc_root;
	int32_t *pids;
	size_t n;
	char **vals; /* LD_PRELOAD or LD_AUDIT value per pid (malloc), or NULL */
	uint8_t *which; /* 1 LD_PRELOAD, 2 LD_AUDIT */
	unsigned denied;
};

static void env_one(void *p, size_t i, int tid)
{
	(void)tid;
	struct envscan *e = p;
	char path[64];
	snprintf(path, sizeof path, "%s/%d/environ", e->proc_root, e->pids[i]);
	char *buf = NULL;
	size_t len = 0;
	int r = ps_read_file_at(AT_FDCWD, path, &buf, &len, 1u << 20);
	if (r != PS_OK) {
		if (r == PS_ERR_PERM)
			__atomic_add_fetch(&e->denied, 1, __ATOMIC_RELAXED);
		return;
	}
	static const char *const names[] = {"LD_PRELOAD", "LD_AUDIT"};
	for (int k = 0; k < 2; k++) {
		size_t vl = 0;
		const char *v = ps_environ_get(buf, len, names[k], &vl);
		while (v && vl && (*v == ' ' || *v == ':')) {
			v++;
			vl--;
		}
		if (v && vl) {
			e->vals[i] = strndup(v, vl);
			e->which[i] = (uint8_t)(k + 1);
			break;
		}
	}
	free(buf);
}

static size_t dir_numbers(const char *path, bool raw, int32_t **out);

void h_preload(struct hctx *c)
{
	struct ps_check *k = h_check(c, "preload");
	double t0 = h_now_ms();
	size_t first = c->r->nfindings;
	const char *pr = c->inv->proc_root;
	char *buf = NULL;
	size_t len = 0;
	unsigned entries = 0;
	if (ps_read_file_at(AT_FDCWD, "/etc/ld.so.preload", &buf, &len, 1u << 20) == PS_OK) {
		entries = (unsigned)ps_preload_parse(buf, len, NULL, NULL);
		if (entries) {
			struct pl_ctx x = {c, NULL};
			x.f = h_add(c, "ld-so-preload", PS_SEV_HIGH,
				    "/etc/ld.so.preload makes every program load %u librar%s: the classic userland rootkit hook",
				    entries, entries == 1 ? "y" : "ies");
			ps_preload_parse(buf, len, pl_entry, &x);
		}
		free(buf);
	}
	/* every process's environment */
	struct envscan e = {.proc_root = pr};
	e.n = dir_numbers(pr, true, &e.pids);
	e.vals = calloc(e.n + 1, sizeof *e.vals);
	e.which = calloc(e.n + 1, 1);
	unsigned with = 0;
	if (e.vals && e.which) {
		ps_parallel_for(e.n, c->o->threads > 0 ? c->o->threads : ps_ncpu(), env_one, &e);
		int self = getpid();
		/* one finding per distinct value */
		for (size_t i = 0; i < e.n; i++) {
			if (!e.vals[i])
				continue;
			with++;
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = e.vals[j] && e.which[j] == e.which[i] && strcmp(e.vals[j], e.vals[i]) == 0;
			if (seen)
				continue;
			const char *var = e.which[i] == 1 ? "LD_PRELOAD" : "LD_AUDIT";
			unsigned count = 0;
			for (size_t j = i; j < e.n; j++)
				count += e.vals[j] && e.which[j] == e.which[i] && strcmp(e.vals[j], e.vals[i]) == 0;
			struct ps_finding *f = h_add(c, "ld-preload", PS_SEV_MEDIUM,
						     "%u process%s run%s with %s=%s",
						     count, count == 1 ? "" : "es", count == 1 ? "s" : "", var,
						     e.vals[i]);
			if (!f)
				continue;
			f->pid = e.pids[i];
			unsigned listed = 0;
			for (size_t j = i; j < e.n; j++) {
				if (!e.vals[j] || e.which[j] != e.which[i] || strcmp(e.vals[j], e.vals[i]) != 0)
					continue;
				char comm[32] = "?", path[64];
				snprintf(path, sizeof path, "%s/%d/comm", pr, e.pids[j]);
				long n = ps_read_small_at(AT_FDCWD, path, comm, sizeof comm);
				if (n > 0 && comm[n - 1] == '\n')
					comm[n - 1] = '\0';
				if (listed++ < 20)
					h_ev(c, f, "pid %d (%s)%s", e.pids[j], comm,
					     e.pids[j] == self ? ": portsec itself; its views use raw syscalls and do not go through the library, the libc-view check shows what it hides" : "");
			}
		}
	}
	for (size_t i = 0; i < e.n; i++)
		free(e.vals ? e.vals[i] : NULL);
	free(e.vals);
	free(e.which);
	free(e.pids);
	k->findings = h_count_since(c, first);
	k->partial = e.denied > 0 && geteuid() != 0;
	h_check_done(k, true, t0,
		     "/etc/ld.so.preload: %u entries; %zu process environments read (%u unreadable), %u with LD_PRELOAD/LD_AUDIT",
		     entries, e.n, e.denied, with);
}

/* ---- the libc view of processes: readdir of /proc and /proc/PID/fd ---- */

/* libc functions a userland rootkit overrides to hide ports and processes */
static const char *const hooked[] = {
	"readdir", "readdir64", "opendir", "fopen", "fopen64", "fgets", "open", "open64", "openat",
	"stat", "lstat", "fstatat", "readlink", "readlinkat", "recvmsg", "recvfrom", "read", "access",
};

/* the objects whose exported symbols take the place of libc's for this
 * process, as "LIB (readdir, fopen, ...)"; empty when libc answers itself */
static void shadowing(char *dst, size_t cap)
{
	dst[0] = '\0';
	/* libc's own definitions, to compare with what the program resolves */
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	const char *libs[4] = {0};
	char syms[4][160];
	unsigned nl = 0;
	for (size_t i = 0; libc && i < sizeof hooked / sizeof hooked[0]; i++) {
		/* what the program's calls reach after its own definitions (a
		 * sanitizer build intercepts these itself and then calls the next) */
		void *fn = dlsym(RTLD_NEXT, hooked[i]), *own = dlsym(libc, hooked[i]);
		Dl_info d;
		if (!fn || fn == own || !dladdr(fn, &d) || !d.dli_fname)
			continue;
		unsigned k = 0;
		while (k < nl && strcmp(libs[k], d.dli_fname) != 0)
			k++;
		if (k == nl) {
			if (nl == 4)
				continue;
			libs[nl] = d.dli_fname;
			syms[nl++][0] = '\0';
		}
		size_t l = strlen(syms[k]);
		snprintf(syms[k] + l, sizeof syms[k] - l, "%s%s", l ? ", " : "", hooked[i]);
	}
	for (unsigned k = 0; k < nl; k++) {
		size_t l = strlen(dst);
		snprintf(dst + l, cap - l, "%s%s exports %s in place of libc's", l ? "; " : "", libs[k], syms[k]);
	}
	if (libc)
		dlclose(libc);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* numeric entries of a directory: through raw getdents64 (raw) or libc's readdir */
static size_t dir_numbers(const char *path, bool raw, int32_t **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	if (raw) {
		long dfd = ps_sys_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			return 0;
		_Alignas(8) char dbuf[16384];
		for (unsigned guard = 0; guard < 100000; guard++) {
			long r = ps_sys_getdents64((int)dfd, dbuf, sizeof dbuf);
			if (r <= 0)
				break;
			for (long off = 0; off < r;) {
				unsigned short reclen;
				memcpy(&reclen, dbuf + off + 16, sizeof reclen); /* linux_dirent64.d_reclen */
				const char *name = dbuf + off + 19;
				off += reclen;
				char *end;
				long v = strtol(name, &end, 10);
				int32_t *p;
				if (*end || v < 0 || !(p = PS_VEC_PUSH(*out, n, cap)))
					continue;
				*p = (int32_t)v;
			}
		}
		ps_sys_close((int)dfd);
	} else {
		DIR *d = opendir(path);
		if (!d)
			return 0;
		struct dirent *e;
		for (unsigned guard = 0; (e = readdir(d)) && guard < 4000000; guard++) {
			char *end;
			long v = strtol(e->d_name, &end, 10);
			int32_t *p;
			if (*end || v < 0 || !(p = PS_VEC_PUSH(*out, n, cap)))
				continue;
			*p = (int32_t)v;
		}
		closedir(d);
	}
	if (n)
		qsort(*out, n, sizeof **out, cmp_i32);
	return n;
}

static bool has_i32(const int32_t *v, size_t n, int32_t x)
{
	return n && bsearch(&x, v, n, sizeof *v, cmp_i32) != NULL;
}

/* what libc's listing lacks of the raw one, confirmed by a second libc read
 * (a process or fd born between the two reads is not hidden) */
static size_t libc_misses(const char *path, int32_t **miss)
{
	int32_t *raw, *l1, *l2;
	size_t nl1 = dir_numbers(path, false, &l1);
	size_t nr = dir_numbers(path, true, &raw);
	size_t nl2 = dir_numbers(path, false, &l2);
	size_t n = 0, cap = 0;
	*miss = NULL;
	for (size_t i = 0; i < nr; i++) {
		int32_t *p;
		if (!has_i32(l1, nl1, raw[i]) && !has_i32(l2, nl2, raw[i]) && (p = PS_VEC_PUSH(*miss, n, cap)))
			*p = raw[i];
	}
	free(raw);
	free(l1);
	free(l2);
	return n;
}

static void ev_proc_sockets(struct hctx *c, struct ps_finding *f, int32_t pid)
{
	const struct ps_inventory *inv = c->inv;
	unsigned shown = 0;
	for (size_t i = 0; i < inv->nsocks && shown < 8; i++) {
		const struct ps_socket *s = &inv->socks[i];
		for (uint32_t k = 0; k < s->owner_count; k++) {
			const struct ps_proc *p = ps_socket_owner_proc(inv, s, k);
			if (!p || p->pid != pid)
				continue;
			char ep[80];
			ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
			h_ev(c, f, "holds %s %s %s", ps_proto_name(s->proto), ps_state_name(s->proto, s->state), ep);
			if (!f->has_endpoint)
				h_endpoint(f, s);
			shown++;
			break;
		}
	}
}

/* what lsof and ss -p do with an owner: stat /proc/PID, readlink its socket
 * fds.  A hook there (an ENOENT, another target) takes the owner away */
static void libc_links(struct hctx *c, const char *shadow, unsigned *links, unsigned *stats)
{
	const struct ps_inventory *inv = c->inv;
	const char *pr = inv->proc_root;
	int32_t last = -1;
	for (size_t i = 0; i < inv->nsocks; i++) {
		const struct ps_socket *s = &inv->socks[i];
		for (uint32_t o = 0; o < s->owner_count; o++) {
			const struct ps_owner *ow = &inv->owners[s->owner_first + o];
			const struct ps_proc *p = &inv->procs[ow->proc];
			char lp[128], raw[64], lib[64];
			struct stat sb;
			if (p->pid != last) {
				last = p->pid;
				snprintf(lp, sizeof lp, "%s/%d", pr, p->pid);
				long rfd = -1;
				if (stat(lp, &sb) != 0 && (rfd = ps_sys_openat(AT_FDCWD, lp, O_RDONLY | O_DIRECTORY)) >= 0) {
					int e = errno;
					ps_sys_close((int)rfd);
					errno = e;
					(*stats)++;
					struct ps_finding *f = h_add(c, "process-hidden-from-libc", PS_SEV_HIGH,
								     "process %d (%s) is hidden from libc's stat of %s (%s) but the kernel has it: ps, lsof and ss -p lose it",
								     p->pid, p->comm, lp, strerror(errno));
					if (f) {
						f->pid = p->pid;
						if (shadow[0])
							h_ev(c, f, "%s", shadow);
						ev_proc_sockets(c, f, p->pid);
					}
				}
			}
			snprintf(lp, sizeof lp, "%s/%d/fd/%d", pr, p->pid, ow->fd);
			long rl = ps_sys_readlinkat(AT_FDCWD, lp, raw, sizeof raw - 1);
			if (rl <= 0)
				continue; /* closed meanwhile */
			raw[rl] = '\0';
			ssize_t ll = readlink(lp, lib, sizeof lib - 1);
			if (ll >= 0)
				lib[ll] = '\0';
			if (ll >= 0 && strcmp(lib, raw) == 0)
				continue;
			/* read both again: an fd reused meanwhile is no hook */
			rl = ps_sys_readlinkat(AT_FDCWD, lp, raw, sizeof raw - 1);
			if (rl <= 0 || (raw[rl] = '\0', strncmp(raw, "socket:[", 8) != 0))
				continue;
			ll = readlink(lp, lib, sizeof lib - 1);
			if (ll >= 0)
				lib[ll] = '\0';
			if (ll >= 0 && strcmp(lib, raw) == 0)
				continue;
			(*links)++;
			char ep[80];
			ps_fmt_endpoint(ep, sizeof ep, s->family, s->laddr, s->lport, false);
			struct ps_finding *f = h_add(c, "process-hidden-from-libc", PS_SEV_HIGH,
						     "fd %d of process %d (%s) is %s (%s %s), but libc's readlink says %s: lsof and ss -p lose that owner",
						     ow->fd, p->pid, p->comm, raw, ps_proto_name(s->proto), ep,
						     ll >= 0 ? lib : strerror(errno));
			if (f) {
				f->pid = p->pid;
				h_endpoint(f, s);
				if (shadow[0])
					h_ev(c, f, "%s", shadow);
			}
		}
	}
}

void h_libc_procs(struct hctx *c)
{
	struct ps_check *k = h_check(c, "libc-procs");
	double t0 = h_now_ms();
	size_t first = c->r->nfindings;
	const char *pr = c->inv->proc_root;
	char shadow[512];
	shadowing(shadow, sizeof shadow);
	int32_t *miss;
	size_t nm = libc_misses(pr, &miss);
	unsigned fds_hidden = 0, owners = 0;
	for (size_t i = 0; i < nm; i++) {
		char path[96], comm[32] = "?", exe[512] = "?";
		snprintf(path, sizeof path, "%s/%d/comm", pr, miss[i]);
		long n = ps_read_small_at(AT_FDCWD, path, comm, sizeof comm);
		if (n <= 0)
			continue; /* gone meanwhile */
		if (comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		snprintf(path, sizeof path, "%s/%d/exe", pr, miss[i]);
		long el = ps_sys_readlinkat(AT_FDCWD, path, exe, sizeof exe - 1);
		if (el > 0)
			exe[el] = '\0';
		struct ps_finding *f = h_add(c, "process-hidden-from-libc", PS_SEV_HIGH,
					     "process %d (%s, %s) is hidden from libc's readdir of %s (what ps, top, ss -p, netstat -p and lsof list) but the kernel lists it: a userland hook filters it",
					     miss[i], comm, exe, pr);
		if (!f)
			continue;
		f->pid = miss[i];
		h_ev(c, f, "%s through readdir: missing (twice); through raw getdents64: present", pr);
		if (shadow[0])
			h_ev(c, f, "%s", shadow);
		ev_proc_sockets(c, f, miss[i]);
	}
	free(miss);
	/* the fd tables of the processes that own sockets: an fd hidden there
	 * takes its socket's owner away from lsof and ss -p */
	int32_t last = -1;
	for (size_t i = 0; i < c->inv->nsocks && owners < 4096; i++) {
		const struct ps_socket *s = &c->inv->socks[i];
		for (uint32_t o = 0; o < s->owner_count; o++) {
			const struct ps_proc *p = ps_socket_owner_proc(c->inv, s, o);
			if (!p || p->pid == last)
				continue;
			last = p->pid;
			owners++;
			char path[96];
			snprintf(path, sizeof path, "%s/%d/fd", pr, p->pid);
			int32_t *fm;
			size_t nf = libc_misses(path, &fm);
			for (size_t j = 0; j < nf; j++) {
				char lp[128], tgt[64] = "?";
				snprintf(lp, sizeof lp, "%s/%d/fd/%d", pr, p->pid, fm[j]);
				long tl = ps_sys_readlinkat(AT_FDCWD, lp, tgt, sizeof tgt - 1);
				if (tl <= 0)
					continue;
				tgt[tl] = '\0';
				fds_hidden++;
				struct ps_finding *f = h_add(c, "process-hidden-from-libc", PS_SEV_HIGH,
							     "fd %d (%s) of process %d (%s) is hidden from libc's readdir of its fd table: lsof and ss -p lose that owner",
							     fm[j], tgt, p->pid, p->comm);
				if (f) {
					f->pid = p->pid;
					if (shadow[0])
						h_ev(c, f, "%s", shadow);
				}
			}
			free(fm);
		}
	}
	unsigned links = 0, stats = 0;
	libc_links(c, shadow, &links, &stats);
	k->findings = h_count_since(c, first);
	h_check_done(k, true, t0, "%s and the fd tables of %u socket owners read through readdir and raw getdents64, their socket links through readlink, the owners through stat: %zu processes, %u fds, %u links, %u stats hidden from libc%s%s",
		     pr, owners, nm, fds_hidden, links, stats, shadow[0] ? "; " : "", shadow);
}
