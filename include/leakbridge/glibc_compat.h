/* LB_OLD: a wrapper that calls the oldest version of a glibc function, for the self-contained
 * build (LB_SELF_CONTAINED, docs/release.md). Every object of the agent or the command is linked
 * with -Wl,--wrap=NAME, which sends its calls of NAME to __wrap_NAME; LB_OLD(ret, NAME,
 * "GLIBC_x", (params), (args)) defines __wrap_NAME to call NAME@GLIBC_x, under the local name
 * lb_old_NAME. cmake/self_contained.cmake reads the LB_OLD lines and the __wrap_ declarations of
 * common/glibc_compat.c and cli/glibc_compat_main.c for the --wrap options: a name is written
 * once. tests/release/check_portable.py fails on any version newer than 2.17 that is left. */
#ifndef LEAKBRIDGE_GLIBC_COMPAT_H
#define LEAKBRIDGE_GLIBC_COMPAT_H

#define LB_OLD(ret, name, version, params, args)                                                   \
    __asm__(".symver lb_old_" #name "," #name "@" version);                                        \
    ret lb_old_##name params;                                                                      \
    ret __wrap_##name params;                                                                      \
    ret __wrap_##name params                                                                       \
    {                                                                                              \
        return lb_old_##name args;                                                                 \
    }

#endif
