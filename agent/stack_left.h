/* How much of the calling thread's stack is left: a hook runs on whatever stack the allocating
 * thread has, and a library's own thread may have a small one with little of it left. */
#ifndef LB_STACK_LEFT_H
#define LB_STACK_LEFT_H

#include <stddef.h>

/* Bytes between the caller's frame and the lowest usable byte of this thread's stack (the
 * glibc guard page is below it, and so are the JVM's guard zones on the threads it knows). The
 * bounds are read once per thread (pthread_getattr_np and a read of the lowest pages, on the
 * first call) and kept in thread-local storage. 0 when the stack pointer is outside them: a
 * fiber's or a signal's own stack, whose size is not known. SIZE_MAX on the process's first
 * thread, whose stack grows on demand up to its limit (ulimit -s), and when the bounds cannot
 * be read. */
size_t lb_stack_left_bytes(void);

#endif
