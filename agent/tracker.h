/* What every hook does once it has decided to record: weigh the allocation, intern its site,
 * count it, and put the block in the live table; and on free, the reverse. Hooks capture the
 * stack themselves (Java only, or mixed), because only they know which frames to take. */
#ifndef LB_TRACKER_H
#define LB_TRACKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live_table.h"
#include "sites.h"

/* Full GC cycles finished so far; blocks remember it to tell how many GCs they survived. */
extern _Atomic uint32_t lb_gc_epoch;

/* Milliseconds since the agent started, from a clock that costs a few nanoseconds. */
uint64_t lb_clock_ms(void);
void lb_clock_start(void);

/* Recorded blocks allocated before lb_track_old_before_ms (an lb_clock_ms() time; 0: none)
 * that were freed since it was set: a forced GC watches it to see when the Cleaners and
 * finalizers it released have run, whatever else the program frees meanwhile. */
extern _Atomic uint64_t lb_track_old_before_ms;
extern _Atomic uint64_t lb_track_old_frees;

/* fn is called, with no lock of the tracker held, when a sample made a site newer than any seen
 * before: the dumper thread then looks up the site's Java names while its classes are loaded. */
void lb_track_on_new_site(void (*fn)(void));

/* Stops all recording and forgetting for good: for a child process made by fork(), where the
 * threads that may hold the tracker's locks do not exist. */
void lb_track_stop(void);

/* Records a sampled allocation. */
void lb_track_alloc(uintptr_t addr, size_t size, enum lb_origin origin,
                    const struct lb_frame *frames, int nframes, lb_sites_classify_fn classify);

/* Forgets addr, if recorded, and counts it freed. Call before the memory is really freed, so
 * that no other thread can be handed the same address while it is still in the table. The
 * common case, an address never recorded, costs one inlined load. */
void lb_track_forget(uintptr_t addr);
static inline void lb_track_free(uintptr_t addr)
{
    if (lb_table_may_hold(addr))
        lb_track_forget(addr);
}

/* For realloc: takes addr out of the table without counting it freed yet. */
bool lb_track_take(uintptr_t addr, struct lb_block *block);
/* ... then either the realloc worked and the old block is counted freed, */
void lb_track_release(const struct lb_block *block);
/* ... or it failed, the old block is still the caller's, and it goes back. */
void lb_track_put_back(uintptr_t addr, const struct lb_block *block);

#endif
