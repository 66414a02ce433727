/* inv_netns.c - finding network namespaces: our own, the ones named in
 * /run/netns and /run/docker/netns (Docker's are invisible to `ip netns`),
 * those processes live in (from the owner walk), and those only a socket
 * keeps alive (SIOCGSKNS, in inventory.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util/sys.h"

int ps_netns_self(const char *proc_root, uint64_t *ino, uint64_t *dev)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof path, "%s/thread-self/ns/net", proc_root);
	if (stat(path, &st) != 0)
		return PS_ERR_SYS;
	*ino = st.st_ino;
	*dev = st.st_dev;
	return PS_OK;
}

static void scan_dir(struct ps_inventory *inv, const char *dir, const char *prefix,
		     const char *via)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	unsigned guard = 0;
	while ((e = readdir(d)) && guard++ < 100000) {
		if (e->d_name[0] == '.')
			continue;
		char path[160];
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		struct ps_netns ns;
		memset(&ns, 0, sizeof ns);
		ns.inode = st.st_ino;
		ns.dev = st.st_dev;
		snprintf(ns.name, sizeof ns.name, "%s%s", prefix, e->d_name);
		snprintf(ns.path, sizeof ns.path, "%s", path);
		ns.found_via = via;
		int f = ps_inventory_find_netns(inv, ns.inode);
		if (f >= 0) {
			struct ps_netns *x = &inv->netns[f];
			if (!x->name[0])
				memcpy(x->name, ns.name, sizeof x->name);
			if (!x->path[0])
				memcpy(x->path, ns.path, sizeof x->path);
			continue;
		}
		ps_inventory_add_netns(inv, &ns, NULL);
	}
	closedir(d);
}

void ps_netns_scan_files(struct ps_inventory *inv)
{
	scan_dir(inv, "/run/netns", "", "/run/netns");
	scan_dir(inv, "/run/docker/netns", "docker:", "docker");
}

int ps_netns_open_fd(const struct ps_inventory *inv, uint32_t idx, const char *proc_root)
{
	const struct ps_netns *ns = &inv->netns[idx];
	char path[192];
	if (ns->path[0])
		snprintf(path, sizeof path, "%s", ns->path);
	else if (ns->holder_pid)
		snprintf(path, sizeof path, "%s/%d/ns/net", proc_root, ns->holder_pid);
	else {
		errno = ENOENT;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the file may have been re-pointed since we looked: check the inode */
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_ino != ns->inode) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/* the initial PID namespace's inode (PROC_PID_INIT_INO, include/linux/proc_ns.h) */
#define PID_INIT_INO 0xEFFFFFFCull

bool ps_netns_child_pidns(const char *proc_root)
{
	char path[128], buf[4096];
	/* our PID namespace is not the initial one: other processes may own
	 * sockets we cannot see.  With a /proc mounted for a child namespace,
	 * NSpid shows one level only, so the namespace link decides first. */
	snprintf(path, sizeof path, "%s/self/ns/pid", proc_root);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n > 5) {
		buf[n] = 0;
		const char *br = strchr(buf, '[');
		if (br && strtoull(br + 1, NULL, 10) != PID_INIT_INO)
			return true;
	}
	snprintf(path, sizeof path, "%s/self/status", proc_root);
	if (ps_read_small_at(AT_FDCWD, path, buf, sizeof buf) <= 0)
		return false;
	const char *p = strstr(buf, "\nNSpid:");
	if (!p)
		return false;
	p += 7;
	int fields = 0;
	bool in = false;
	for (; *p && *p != '\n'; p++) {
		bool ws = *p == ' ' || *p == '\t';
		if (!ws && !in)
			fields++;
		in = !ws;
	}
	return fields > 1;
}
