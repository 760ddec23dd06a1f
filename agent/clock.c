#include "clock.h"

#include <time.h>

_Atomic uint32_t lb_clock_gc_epoch;
static uint64_t origin_ms;

/* The coarse clock is read from the vDSO without a system call: allocation times need no more
 * than its few milliseconds of resolution. */
static uint64_t coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void lb_clock_start(void)
{
    origin_ms = coarse_ms();
}

uint64_t lb_clock_ms(void)
{
    return coarse_ms() - origin_ms;
}

uint64_t lb_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
