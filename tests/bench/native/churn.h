/* The malloc/free churn of the benchmark's jni-malloc-churn workload (benchnative.c), shared
 * with the hooks' instruction-count guard (tests/perf/hook_churn.c), which churns smaller
 * blocks through the same loop. */
#ifndef LB_BENCH_CHURN_H
#define LB_BENCH_CHURN_H

#include <stdint.h>
#include <stdlib.h>

/* xorshift64: sizes of 64 B << (0 .. shifts - 1), the same sequence for the same seed. */
static inline size_t lb_churn_next_size(uint64_t *x, unsigned shifts)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (size_t)64 << (*x % shifts);
}

/* pairs malloc/free pairs, each block written at both ends; -1 if a malloc fails. */
static inline long lb_churn(long pairs, uint64_t seed, unsigned shifts)
{
    uint64_t x = seed | 1;
    long sum = 0;
    for (long i = 0; i < pairs; i++) {
        size_t size = lb_churn_next_size(&x, shifts);
        unsigned char *p = malloc(size);
        if (!p)
            return -1;
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)(i >> 8);
        sum += p[0] + p[size - 1];
        free(p);
    }
    return sum;
}

#endif
