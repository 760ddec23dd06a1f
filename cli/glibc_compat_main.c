/* glibc 2.17 for the self-contained command: what an executable needs besides
 * common/glibc_compat.c (include/leakbridge/glibc_compat.h).
 *
 * __libc_start_main got a new version at 2.34, which runs the executable's constructors itself;
 * until then the executable passed a function that ran them (init). The old version is given
 * one here, and both glibcs call it rather than their own loop. glob got a new version at 2.27
 * (for GLOB_ALTDIRFUNC, which the command does not use); pthread_create and pthread_join moved
 * into libc at 2.34. */
#include <glob.h>
#include <pthread.h>

#include "leakbridge/glibc_compat.h"

LB_OLD(int, glob, "GLIBC_2.2.5",
       (const char *pattern, int flags, int (*err)(const char *, int), glob_t *g),
       (pattern, flags, err, g))
LB_OLD(int, pthread_create, "GLIBC_2.2.5",
       (pthread_t * t, const pthread_attr_t *attr, void *(*run)(void *), void *arg),
       (t, attr, run, arg))
LB_OLD(int, pthread_join, "GLIBC_2.2.5", (pthread_t t, void **result), (t, result))

typedef int (*lb_main_fn)(int, char **, char **);
typedef void (*lb_init_fn)(int, char **, char **);
extern lb_init_fn __init_array_start[], __init_array_end[];
extern void _init(void);

static int run_constructors(int argc, char **argv, char **envp)
{
    _init();
    for (lb_init_fn *f = __init_array_start; f < __init_array_end; f++)
        (*f)(argc, argv, envp);
    return 0;
}

__asm__(".symver lb_old_libc_start_main,__libc_start_main@GLIBC_2.2.5");
int lb_old_libc_start_main(lb_main_fn main_fn, int argc, char **argv, lb_main_fn init,
                           void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
int __wrap___libc_start_main(lb_main_fn main_fn, int argc, char **argv, lb_main_fn init,
                             void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
int __wrap___libc_start_main(lb_main_fn main_fn, int argc, char **argv, lb_main_fn init,
                             void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    (void)init;
    return lb_old_libc_start_main(main_fn, argc, argv, run_constructors, fini, rtld_fini,
                                  stack_end);
}
