/* owners=on: for each site with live recorded blocks, what holds them (heap_paths.h): the
 * shortest paths from a GC root to the objects holding the blocks' addresses, grouped per site,
 * and the blocks whose holder no root reaches (gc-deferred for direct buffers). One heap walk
 * per dump, after the forced GC; nothing is taken on the allocation path. */
#ifndef LB_OWNERS_H
#define LB_OWNERS_H

#include <jansson.h>
#include <jni.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Paths a site lists, the most shared first; the rest are counted in other_paths. */
#define LB_OWNERS_PATHS 3
/* Blocks of one site looked for; the site's owners say how many were. */
#define LB_OWNERS_BLOCKS_PER_SITE 1000

/* Fills each snapshot's owners (a new reference, or NULL for a site with no recorded block)
 * from its blocks allocated at or after since_ms (lb_clock_ms; 0: all), and returns the
 * report's "owners" section (docs/report-format.md#owners). Runs the walk with the owners_time
 * and owners_memory budgets; jni is the calling thread's. A walk for any but the exit report
 * stops where it is once the exit report starts. */
json_t *lb_owners_find(JNIEnv *jni, struct lb_snapshot *snaps, size_t n, uint64_t since_ms,
                       bool exit_report);

/* Drops the snapshots' owners (the report holds its own references). */
void lb_owners_release(struct lb_snapshot *snaps, size_t n);

#endif
