/* Where each thread's stack is: the stack pointer of every task of the process, from
 * /proc/self/task/TID/syscall (a blocked thread's registers: its next-to-last field). A thread
 * running on a CPU at that instant shows "running" and is asked again after a yield and once
 * more after all the others; one still running is counted but not located. (/proc/TID/stat's
 * kstkesp is 0 for live threads on current kernels.) */
#ifndef LB_TASK_STACKS_H
#define LB_TASK_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_task_stacks {
    size_t tasks;   /* threads of the process */
    size_t located; /* of which a stack pointer is known: the first `located` of sp */
    uintptr_t *sp;
    size_t sp_bytes;
};

/* Reads every task's stack pointer (the calling thread's is its own, in the read). Returns
 * false, with out empty, if /proc/self/task cannot be read. */
bool lb_task_stacks_read(struct lb_task_stacks *out);

void lb_task_stacks_free(struct lb_task_stacks *s);

#endif
