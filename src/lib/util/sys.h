/* sys.h - raw system calls that do not go through libc's wrappers.
 *
 * A preload rootkit hooks libc (fopen, open, read, readdir, recvmsg); the
 * views that decide what is hidden must not trust those hooks, so the few
 * calls on those paths are issued directly (inline syscall instruction on
 * x86-64 and aarch64, libc's syscall(2) elsewhere).  Return -errno on error. */
#ifndef PS_SYS_H
#define PS_SYS_H
#include <stddef.h>
#include <sys/types.h>

long ps_sys_openat(int dirfd, const char *path, int flags);
long ps_sys_read(int fd, void *buf, size_t n);
long ps_sys_close(int fd);
long ps_sys_getdents64(int fd, void *buf, size_t n);
long ps_sys_readlinkat(int dirfd, const char *path, char *buf, size_t n);
/* the netlink path of the sock_diag views (libmnl builds and parses the
 * messages; these move them) */
long ps_sys_socket(int domain, int type, int protocol);
long ps_sys_bind(int fd, const void *addr, unsigned len);
long ps_sys_setsockopt(int fd, int level, int name, const void *val, unsigned len);
long ps_sys_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, unsigned alen);
long ps_sys_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, unsigned *alen);
/* "system.sockprotoname" of a socket fd link under /proc: which protocol */
long ps_sys_getxattr(const char *path, const char *name, void *val, size_t n);
#endif
