/* sysfile.c - raw syscalls and whole-file reads on top of them */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "portsec/portsec.h"
#include "sys.h"

#if defined(__x86_64__)
static inline long raw3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}
static inline long raw4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return ret;
}
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
static inline long raw4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
static inline long raw3(long n, long a, long b, long c)
{
	return raw4(n, a, b, c, 0);
}
#else
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(n, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
}
static inline long raw3(long n, long a, long b, long c)
{
	long r = syscall(n, a, b, c);
	return r < 0 ? -errno : r;
}
static inline long raw4(long n, long a, long b, long c, long d)
{
	long r = syscall(n, a, b, c, d);
	return r < 0 ? -errno : r;
}
#endif

long ps_sys_openat(int dirfd, const char *path, int flags)
{
	return raw4(SYS_openat, dirfd, (long)path, flags | O_CLOEXEC, 0);
}

long ps_sys_read(int fd, void *buf, size_t n)
{
	long r;
	do
		r = raw3(SYS_read, fd, (long)buf, (long)n);
	while (r == -EINTR);
	return r;
}

long ps_sys_close(int fd)
{
	return raw3(SYS_close, fd, 0, 0);
}

long ps_sys_getdents64(int fd, void *buf, size_t n)
{
	return raw3(SYS_getdents64, fd, (long)buf, (long)n);
}

long ps_sys_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	return raw4(SYS_readlinkat, dirfd, (long)path, (long)buf, (long)n);
}

long ps_sys_socket(int domain, int type, int protocol)
{
	return raw3(SYS_socket, domain, type, protocol);
}

long ps_sys_bind(int fd, const void *addr, unsigned len)
{
	return raw3(SYS_bind, fd, (long)addr, (long)len);
}

long ps_sys_setsockopt(int fd, int level, int name, const void *val, unsigned len)
{
	return raw6(SYS_setsockopt, fd, level, name, (long)val, (long)len, 0);
}

long ps_sys_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, unsigned alen)
{
	long r;
	do
		r = raw6(SYS_sendto, fd, (long)buf, (long)n, flags, (long)addr, (long)alen);
	while (r == -EINTR);
	return r;
}

long ps_sys_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, unsigned *alen)
{
	long r;
	do
		r = raw6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)addr, (long)alen);
	while (r == -EINTR);
	return r;
}

long ps_sys_getxattr(const char *path, const char *name, void *val, size_t n)
{
	return raw4(SYS_getxattr, (long)path, (long)name, (long)val, (long)n);
}

int ps_read_file_at(int dirfd, const char *path, char **out, size_t *len, size_t max)
{
	long fd = ps_sys_openat(dirfd, path, O_RDONLY);
	if (fd < 0) {
		errno = (int)-fd;
		return errno == EACCES || errno == EPERM ? PS_ERR_PERM : PS_ERR_SYS;
	}
	size_t cap = 16384, n = 0;
	char *b = malloc(cap);
	if (!b) {
		ps_sys_close((int)fd);
		return PS_ERR_NOMEM;
	}
	for (;;) {
		if (cap - n < 4096) {
			if (cap >= max) {
				break; /* truncated at max */
			}
			size_t nc = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(b, nc);
			if (!nb) {
				free(b);
				ps_sys_close((int)fd);
				return PS_ERR_NOMEM;
			}
			b = nb;
			cap = nc;
		}
		long r = ps_sys_read((int)fd, b + n, cap - n - 1);
		if (r < 0) {
			free(b);
			ps_sys_close((int)fd);
			errno = (int)-r;
			return PS_ERR_SYS;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	ps_sys_close((int)fd);
	b[n] = '\0';
	*out = b;
	*len = n;
	return PS_OK;
}

long ps_read_small_at(int dirfd, const char *path, char *dst, size_t cap)
{
	if (cap == 0)
		return -1;
	long fd = ps_sys_openat(dirfd, path, O_RDONLY);
	if (fd < 0) {
		errno = (int)-fd;
		return -1;
	}
	size_t n = 0;
	while (n < cap - 1) {
		long r = ps_sys_read((int)fd, dst + n, cap - 1 - n);
		if (r < 0) {
			ps_sys_close((int)fd);
			errno = (int)-r;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		/* /proc and sysfs files hand out everything they have in one read:
		 * a short read is the end (saves a syscall per file on a /proc walk) */
		if ((size_t)r < cap - 1 - (n - (size_t)r))
			break;
	}
	ps_sys_close((int)fd);
	dst[n] = '\0';
	return (long)n;
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

int ps_write_atomic(const char *path, const char *data, size_t len, unsigned mode)
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
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
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
