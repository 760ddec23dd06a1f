/* glibc 2.17 for the self-contained agent and command (include/leakbridge/glibc_compat.h).
 *
 * Linked against Debian 12's glibc, they would ask for the newest version of every versioned
 * function they call: dlopen, dlsym and the pthread functions moved into libc at 2.34, stat
 * became a real function at 2.33, log got a new version at 2.29, fmemopen at 2.22. RHEL 8
 * (2.28), Amazon Linux 2 (2.26) and CentOS 7 (2.17) would then refuse to load them. Here each
 * of those calls (ours, jansson's, libunwind's) goes to the oldest version x86-64 glibc has. In
 * today's glibc both versions are the same code (the old one kept for old binaries), except
 * fmemopen's (the old one has no binary mode, which malloc_info's text does not need).
 *
 * getrandom does not exist at 2.17: it is the system call itself. stat, fstat and lstat were
 * inline functions over __xstat, __fxstat and __lxstat until 2.33: the same here. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "leakbridge/glibc_compat.h"

LB_OLD(void *, dlopen, "GLIBC_2.2.5", (const char *file, int mode), (file, mode))
LB_OLD(void *, dlsym, "GLIBC_2.2.5", (void *handle, const char *name), (handle, name))
LB_OLD(void *, dlvsym, "GLIBC_2.2.5", (void *handle, const char *name, const char *version),
       (handle, name, version))
LB_OLD(int, dladdr, "GLIBC_2.2.5", (const void *addr, Dl_info *info), (addr, info))
LB_OLD(int, dladdr1, "GLIBC_2.3.3", (const void *addr, Dl_info *info, void **extra, int flags),
       (addr, info, extra, flags))
LB_OLD(int, dlclose, "GLIBC_2.2.5", (void *handle), (handle))
LB_OLD(char *, dlerror, "GLIBC_2.2.5", (void), ())
LB_OLD(int, pthread_once, "GLIBC_2.2.5", (pthread_once_t * once, void (*init)(void)), (once, init))
LB_OLD(int, pthread_key_create, "GLIBC_2.2.5", (pthread_key_t * key, void (*destroy)(void *)),
       (key, destroy))
LB_OLD(int, pthread_setspecific, "GLIBC_2.2.5", (pthread_key_t key, const void *value),
       (key, value))
LB_OLD(int, pthread_mutex_timedlock, "GLIBC_2.2.5",
       (pthread_mutex_t * mutex, const struct timespec *abstime), (mutex, abstime))
LB_OLD(int, pthread_condattr_setclock, "GLIBC_2.3.3", (pthread_condattr_t * attr, clockid_t clock),
       (attr, clock))
LB_OLD(int, pthread_attr_getstack, "GLIBC_2.2.5",
       (const pthread_attr_t *attr, void **addr, size_t *size), (attr, addr, size))
LB_OLD(int, pthread_getattr_np, "GLIBC_2.2.5", (pthread_t thread, pthread_attr_t *attr),
       (thread, attr))
LB_OLD(FILE *, fmemopen, "GLIBC_2.2.5", (void *buf, size_t size, const char *mode),
       (buf, size, mode))
LB_OLD(double, log, "GLIBC_2.2.5", (double x), (x))
LB_OLD(int, __xstat, "GLIBC_2.2.5", (int ver, const char *path, struct stat *st), (ver, path, st))
LB_OLD(int, __fxstat, "GLIBC_2.2.5", (int ver, int fd, struct stat *st), (ver, fd, st))
LB_OLD(int, __lxstat, "GLIBC_2.2.5", (int ver, const char *path, struct stat *st), (ver, path, st))

/* The version of struct stat that __xstat and its kin fill on x86-64 (glibc's _STAT_VER). */
#define LB_STAT_VER 1

int __wrap_stat(const char *path, struct stat *st);
int __wrap_stat(const char *path, struct stat *st)
{
    return __wrap___xstat(LB_STAT_VER, path, st);
}

int __wrap_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st)
{
    return __wrap___fxstat(LB_STAT_VER, fd, st);
}

int __wrap_lstat(const char *path, struct stat *st);
int __wrap_lstat(const char *path, struct stat *st)
{
    return __wrap___lxstat(LB_STAT_VER, path, st);
}

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned int flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned int flags)
{
    return syscall(SYS_getrandom, buf, len, flags);
}
