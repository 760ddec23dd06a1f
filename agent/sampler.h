/* Which allocations are recorded, and what each recorded one stands for.
 *
 * Byte sampling as in jemalloc: sample points fall on the stream of allocated bytes as a Poisson
 * process with mean spacing `mean` bytes, so an allocation of s bytes is recorded with
 * probability p(s) = 1 - exp(-s/mean). A recorded allocation then stands for s/p(s) bytes and
 * 1/p(s) allocations, which makes every sum of recorded weights an unbiased estimate of the
 * true sum. p depends only on s, so a free recomputes exactly the weight its allocation added.
 * mean == 0 records everything with weight (s, 1). */
#ifndef LB_SAMPLER_H
#define LB_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Counts are kept in fixed point so that fractional estimates add up without drift. */
#define LB_COUNT_ONE ((uint64_t)1 << 16)

struct lb_weight {
    uint64_t bytes;    /* estimated bytes this record stands for */
    uint64_t count_fp; /* estimated allocations, times LB_COUNT_ONE */
};

struct lb_sampler_tls {
    int64_t countdown; /* bytes left before the next sample point */
    uint64_t rng;      /* xorshift state; 0 = this thread has not drawn yet */
};

extern uint64_t lb_sampler_mean;
extern __thread struct lb_sampler_tls lb_sampler_tls __attribute__((tls_model("initial-exec")));

/* Set once, before hooks run: a thread keeps counting down to the sample point it drew. */
void lb_sampler_set_mean(uint64_t mean_bytes);

/* Slow path of lb_sampler_take: a sample point was crossed (or the thread is new). */
bool lb_sampler_crossed(size_t size);

/* The hot path of every hook: true when this allocation is to be recorded. One thread-local
 * subtraction and test; mean 0 keeps the countdown at 0, so every allocation takes the slow
 * path, which says yes. */
static inline bool lb_sampler_take(size_t size)
{
    lb_sampler_tls.countdown -= (int64_t)size;
    if (__builtin_expect(lb_sampler_tls.countdown > 0, 1))
        return false;
    return lb_sampler_crossed(size);
}

/* The estimate one recorded allocation of `size` bytes stands for. */
void lb_sampler_weight(size_t size, struct lb_weight *w);

/* Rounds a fixed-point count to a whole number for reports. */
static inline uint64_t lb_sampler_count_round(uint64_t count_fp)
{
    return (count_fp + LB_COUNT_ONE / 2) / LB_COUNT_ONE;
}

#endif
