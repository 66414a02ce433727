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
#endif
