#include "stack_left.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "peek.h"

#define GUARD_PAGES_MAX 64 /* the most inaccessible pages skipped at the low end */

/* initial-exec: no allocation and no call on access. low == 0: not read yet; low == 1: no
 * bounds (the first thread, or unreadable). */
static __thread uintptr_t stack_low __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_high __attribute__((tls_model("initial-exec")));

static void read_bounds(void)
{
    stack_low = 1;
    /* The first thread's bounds come from /proc/self/maps, which pthread_getattr_np reads with
     * stdio on this stack; its stack is the one that grows. */
    if (syscall(SYS_gettid) == getpid())
        return;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    void *low;
    size_t size;
    if (pthread_attr_getstack(&attr, &low, &size) == 0 && (uintptr_t)low > 1) {
        stack_low = (uintptr_t)low;
        stack_high = (uintptr_t)low + size;
    }
    pthread_attr_destroy(&attr);
    /* The JVM keeps inaccessible pages at the low end of the stacks of the threads it knows
     * (its red, yellow and reserved zones: 16 KiB on x86_64), within the bounds glibc gives:
     * they are not left to use. */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    char byte;
    for (int i = 0; i < GUARD_PAGES_MAX && stack_low > 1 && stack_low + page < stack_high &&
                    !lb_peek(stack_low, &byte, 1);
         i++)
        stack_low += page;
}

size_t lb_stack_left_bytes(void)
{
    if (__builtin_expect(stack_low == 0, 0))
        read_bounds();
    if (stack_low == 1)
        return SIZE_MAX;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return sp > stack_low && sp <= stack_high ? sp - stack_low : 0;
}
