/* Growth between reports and each site's status: leak-suspect, gc-deferred or live.
 *
 * The rules, in the order they are tried (docs/report-format.md says the same in words):
 *  1. forced-gc-released: a GC was forced before this dump and it released at least
 *     LB_DEFERRED_SHARE of the bytes the site had before it -> gc-deferred.
 *  2. growing: the site grew in at least LB_GROWING_REPORTS consecutive reports and its
 *     oldest block has survived at least one GC -> leak-suspect.
 *  3. old-survivors: half of the site's blocks are LB_OLD_AGE_MS old or older and have
 *     survived LB_OLD_GCS GCs or more -> leak-suspect.
 *  4. default: live. */
#ifndef LB_SITE_STATUS_H
#define LB_SITE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

#define LB_DEFERRED_SHARE 0.5
#define LB_GROWING_REPORTS 2
#define LB_OLD_AGE_MS (10u * 60u * 1000u)
#define LB_OLD_GCS 3

struct lb_site_status_entry {
    uint64_t live_bytes, live_count; /* as of the previous report */
    uint32_t streak;
};

/* What the dumper remembers from one report to the next. Zero-initialized: no report yet. */
struct lb_site_status_history {
    struct lb_site_status_entry *by_id; /* indexed by site id */
    size_t cap;
    unsigned sequence; /* the previous report's; 0 before the first */
};

/* Sets growth (against the previous report, if any), status and status_rule of every
 * snapshot, then remembers this report as the previous one. The released_* and age fields
 * must be filled in already. False when out of memory (growth is then left out). */
bool lb_site_status_judge(struct lb_site_status_history *h, struct lb_snapshot *snaps, size_t n,
                          unsigned sequence);

void lb_site_status_history_free(struct lb_site_status_history *h);

#endif
