/* A site's counters read once, so that a report adds up even while threads allocate; and what
 * the dump finds out about the site, each part filled by the module that knows it. */
#ifndef LB_SNAPSHOT_H
#define LB_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sites.h"

struct lb_snapshot {
    const struct lb_site *site;
    uint64_t live_bytes, live_count;
    uint64_t allocated_bytes, allocated_count;
    uint64_t freed_bytes, freed_count;

    /* What the dumper found out about the site for this dump (ages.c: age; dump.c: gc_released;
     * site_status.c: growth and status). */
    bool has_growth; /* false in the first report of a run */
    int64_t growth_bytes, growth_count;
    uint32_t growth_streak; /* consecutive reports, this one included, the site grew in */
    bool has_released;      /* a GC was forced before this dump */
    uint64_t released_bytes, released_count;
    bool has_age; /* some of the site's blocks are in the live table */
    uint64_t age_oldest_ms, age_p50_ms, age_p90_ms;
    uint32_t gcs_survived_max, gcs_survived_p50;
    const char *status;      /* "live", "leak-suspect", "gc-deferred"; NULL means "live" */
    const char *status_rule; /* or NULL */
    /* pools.c: the site's blocks are chunks of this pool (or NULL); live_bytes is then what
     * its blocks do not cover, the pool's free space. */
    const char *pool_chunks;
    uint64_t pool_capacity_bytes, pool_handed_out_bytes;
    /* owners.c (owners=on): what holds the site's blocks; a reference the report takes, or NULL. */
    json_t *owners;
};

/* Reads one site's counters into sn (its other fields are left alone): the one way a site's
 * figures are read, so that a report and the MXBean (mxbean.h) agree. */
void lb_snapshot_read(const struct lb_site *site, struct lb_snapshot *sn);

/* Reads every site's counters; *out is malloc'd, the caller frees it. Returns the count. */
size_t lb_snapshot_take(struct lb_snapshot **out);

#endif
