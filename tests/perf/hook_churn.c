/* The library whose malloc and free hook_cost.c hooks: jni-malloc-churn's loop (churn.h) with
 * blocks of 64 B..1 KiB, sizes that glibc serves from its per-thread cache at a fixed cost
 * whatever the heap's layout, so that the instructions of a pair are the same before and after
 * the hooks are installed and their difference is the hooks' alone. Built -O2 like a real
 * library. */
#include "churn.h"

/* 64 B .. 1 KiB; and jni-malloc-churn's 64 B .. 64 KiB for hook_cost's scaling mode. */
#define HOOK_CHURN_SHIFTS 5
#define HOOK_CHURN_WIDE_SHIFTS 11

long hook_churn(long pairs, long seed);
long hook_churn_wide(long pairs, long seed);

long hook_churn(long pairs, long seed)
{
    return lb_churn(pairs, (uint64_t)seed, HOOK_CHURN_SHIFTS);
}

long hook_churn_wide(long pairs, long seed)
{
    return lb_churn(pairs, (uint64_t)seed, HOOK_CHURN_WIDE_SHIFTS);
}
