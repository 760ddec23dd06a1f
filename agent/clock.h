/* The agent's two clocks, on the ground floor: milliseconds since the agent started, and full GC
 * cycles finished. Every live block records both at allocation, so a dump can tell its age and
 * how many GCs it survived. */
#ifndef LB_CLOCK_H
#define LB_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

/* Starts the millisecond clock (at load). */
void lb_clock_start(void);

/* Milliseconds since lb_clock_start, from a clock that costs a few nanoseconds. */
uint64_t lb_clock_ms(void);

/* Microseconds of the monotonic clock (a system call's worth, for timing a dump's parts). */
uint64_t lb_clock_us(void);

/* GCs finished so far: gc.c counts them in the GarbageCollectionFinish event. */
extern _Atomic uint32_t lb_clock_gc_epoch;

#endif
