#include "sampler.h"

#include <math.h>
#include <time.h>

uint64_t lb_sampler_mean;
__thread struct lb_sampler_tls lb_sampler_tls __attribute__((tls_model("initial-exec")));

void lb_sampler_set_mean(uint64_t mean_bytes)
{
    lb_sampler_mean = mean_bytes;
}

static uint64_t next_random(void)
{
    /* xorshift64*: a few cycles, good enough for spacing samples. */
    uint64_t x = lb_sampler_tls.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    lb_sampler_tls.rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void seed_thread(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed =
        (uint64_t)(uintptr_t)&lb_sampler_tls ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    lb_sampler_tls.rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* Distance to the next sample point: exponential with the configured mean. */
static int64_t draw_interval(void)
{
    double u = (double)((next_random() >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
    double d = -log(u) * (double)lb_sampler_mean;
    return d >= 9.0e18 ? INT64_MAX : (int64_t)d + 1;
}

bool lb_sampler_crossed(size_t size)
{
    if (lb_sampler_mean == 0) {
        lb_sampler_tls.countdown = 0;
        return true;
    }
    if (lb_sampler_tls.rng == 0) {
        /* A new thread: place its first sample point, then judge this allocation against it. */
        seed_thread();
        lb_sampler_tls.countdown = draw_interval() - (int64_t)size;
        if (lb_sampler_tls.countdown > 0)
            return false;
    }
    /* Points after the end of this allocation are independent of those inside it. */
    lb_sampler_tls.countdown = draw_interval();
    return true;
}

void lb_sampler_weight(size_t size, struct lb_weight *w)
{
    if (lb_sampler_mean == 0 || size == 0) {
        w->bytes = size;
        w->count_fp = LB_COUNT_ONE;
        return;
    }
    double p = -expm1(-(double)size / (double)lb_sampler_mean);
    w->bytes = (uint64_t)llround((double)size / p);
    w->count_fp = (uint64_t)llround((double)LB_COUNT_ONE / p);
}
