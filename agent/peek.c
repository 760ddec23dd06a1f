#include "peek.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* A seccomp profile may forbid process_vm_readv; /proc/self/mem answers the same way. */
static _Atomic bool no_readv;

static bool read_proc_mem(uintptr_t addr, void *out, size_t len)
{
    static _Atomic int mem_fd = -1;
    int fd = atomic_load(&mem_fd);
    if (fd < 0) {
        fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        int expected = -1;
        if (!atomic_compare_exchange_strong(&mem_fd, &expected, fd)) {
            close(fd);
            fd = expected;
        }
    }
    return pread(fd, out, len, (off_t)addr) == (ssize_t)len;
}

bool lb_peek(uintptr_t addr, void *out, size_t len)
{
    if (!addr || !len || addr + len < addr)
        return false;
    if (!atomic_load_explicit(&no_readv, memory_order_relaxed)) {
        struct iovec local = {out, len}, remote = {(void *)addr, len};
        ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (got == (ssize_t)len)
            return true;
        if (got >= 0 || (errno != EPERM && errno != ENOSYS))
            return false;
        atomic_store(&no_readv, true);
    }
    return read_proc_mem(addr, out, len);
}

#define BATCH 1024 /* IOV_MAX */

size_t lb_peek_batch(const uintptr_t *addrs, size_t n, size_t len, void *out)
{
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < BATCH ? n - done : BATCH;
        struct iovec local = {(char *)out + done * len, k * len}, remote[BATCH];
        for (size_t i = 0; i < k; i++)
            remote[i] = (struct iovec){(void *)addrs[done + i], len};
        ssize_t got = atomic_load_explicit(&no_readv, memory_order_relaxed)
                          ? -1
                          : process_vm_readv(getpid(), &local, 1, remote, k, 0);
        if (got < 0) {
            /* One at a time, as lb_peek does (and its fallback to /proc/self/mem). */
            for (size_t i = 0; i < k; i++, done++)
                if (!lb_peek(addrs[done], (char *)out + done * len, len))
                    return done;
            continue;
        }
        done += (size_t)got / len;
        if ((size_t)got < k * len)
            return done;
    }
    return done;
}

uint64_t lb_peek_word(uintptr_t addr)
{
    uint64_t v = 0;
    return lb_peek(addr, &v, sizeof v) ? v : 0;
}

bool lb_peek_string(uintptr_t addr, char *out, size_t len)
{
    if (!addr || len < 2)
        return false;
    /* Page by page: the string may end just before an unmapped page. */
    size_t got = 0;
    while (got < len - 1) {
        size_t page_left = 4096 - ((addr + got) & 4095), want = len - 1 - got;
        if (want > page_left)
            want = page_left;
        if (!lb_peek(addr + got, out + got, want))
            return false;
        char *nul = memchr(out + got, '\0', want);
        if (nul)
            return true;
        got += want;
    }
    out[len - 1] = '\0';
    return false;
}
