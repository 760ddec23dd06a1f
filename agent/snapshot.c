#include "snapshot.h"

#include <stdlib.h>

#include "sampler.h"

void lb_snapshot_read(const struct lb_site *s, struct lb_snapshot *sn)
{
    sn->site = s;
    uint64_t alloc_fp = atomic_load_explicit(&s->allocated_count_fp, memory_order_relaxed);
    uint64_t freed_fp = atomic_load_explicit(&s->freed_count_fp, memory_order_relaxed);
    sn->allocated_bytes = atomic_load_explicit(&s->allocated_bytes, memory_order_relaxed);
    sn->live_bytes = lb_sites_live_left(
        sn->allocated_bytes, atomic_load_explicit(&s->freed_bytes, memory_order_relaxed));
    sn->freed_bytes = sn->allocated_bytes - sn->live_bytes;
    /* Live is rounded once, from the difference, and freed is what remains of allocated. */
    sn->allocated_count = lb_sampler_count_round(alloc_fp);
    sn->live_count = lb_sampler_count_round(lb_sites_live_left(alloc_fp, freed_fp));
    if (sn->live_count > sn->allocated_count)
        sn->live_count = sn->allocated_count;
    sn->freed_count = sn->allocated_count - sn->live_count;
}

size_t lb_snapshot_take(struct lb_snapshot **out)
{
    size_t cap = lb_sites_count() + 16, n = 0;
    struct lb_snapshot *snaps = calloc(cap, sizeof *snaps);
    if (!snaps) {
        *out = NULL;
        return 0;
    }
    for (struct lb_site *s = lb_sites_first(); s && n < cap; s = s->all_next)
        lb_snapshot_read(s, &snaps[n++]);
    *out = snaps;
    return n;
}
