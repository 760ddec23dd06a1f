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

/* Recorded blocks allocated before lb_tracker_old_before_ms (an lb_clock_ms() time; 0: none)
 * that were freed since it was set: a forced GC watches it to see when the Cleaners and
 * finalizers it released have run, whatever else the program frees meanwhile. */
extern _Atomic uint64_t lb_tracker_old_before_ms;
extern _Atomic uint64_t lb_tracker_old_frees;

/* fn is called, with no lock of the tracker held, when a sample made a site newer than any seen
 * before: the dumper thread then looks up the site's Java names while its classes are loaded. */
void lb_tracker_on_new_site(void (*fn)(void));

/* Stops all recording and forgetting for good: for a child process made by fork(), where the
 * threads that may hold the tracker's locks do not exist. */
void lb_tracker_stop(void);

/* Bounds the agent's own memory (docs/options.md: max_sites, max_memory): at most max_sites
 * sites before new stacks fold into overflow sites grouped by module (sites.h), and at most
 * max_memory bytes of the agent's arena (0: no bound for either). Call before any recording. */
void lb_tracker_set_limits(size_t max_sites, size_t max_memory);

/* Sampled allocations that were counted nowhere because the live table could not grow (the
 * arena's limit, or out of memory): their frees could not have been seen. Weighted like a
 * site's figures (sampler.h: bytes, and counts in units of 1/LB_COUNT_ONE). */
extern _Atomic uint64_t lb_tracker_untracked_bytes;
extern _Atomic uint64_t lb_tracker_untracked_count_fp;

/* Records a sampled allocation; a file mapping names its file (a path from file_paths.h).
 * Returns its site (NULL: none, or the agent stopped), which lb_tracker_alloc_site takes for a
 * later allocation with the same origin, frames and file while the loaded modules' generation
 * is the same. */
struct lb_site *lb_tracker_alloc_file(uintptr_t addr, size_t size, enum lb_origin origin,
                                      const struct lb_frame *frames, int nframes,
                                      lb_sites_kind_fn kind_of, const char *file);
void lb_tracker_alloc_site(uintptr_t addr, size_t size, struct lb_site *site);
static inline void lb_tracker_alloc(uintptr_t addr, size_t size, enum lb_origin origin,
                                    const struct lb_frame *frames, int nframes,
                                    lb_sites_kind_fn kind_of)
{
    lb_tracker_alloc_file(addr, size, origin, frames, nframes, kind_of, NULL);
}

/* Forgets addr, if recorded, and counts it freed. Call before the memory is really freed, so
 * that no other thread can be handed the same address while it is still in the table. The
 * common case, an address never recorded, costs one inlined load. */
void lb_tracker_forget(uintptr_t addr);
static inline void lb_tracker_free(uintptr_t addr)
{
    if (lb_live_table_may_hold(addr))
        lb_tracker_forget(addr);
}

/* For realloc: takes addr out of the table without counting it freed yet. */
bool lb_tracker_take(uintptr_t addr, struct lb_block *block);
/* ... then either the realloc worked and the old block is counted freed, */
void lb_tracker_release(const struct lb_block *block);
/* ... or it failed, the old block is still the caller's, and it goes back. */
void lb_tracker_put_back(uintptr_t addr, const struct lb_block *block);

#endif
