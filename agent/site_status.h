/* Growth between reports and each site's status: gc-deferred, leak-suspect or live.
 *
 * The rules, in the order they are tried (docs/report-format.md#status says the same in words):
 *  1. forced-gc-released: a GC was forced before this dump and it released at least
 *     LB_DEFERRED_SHARE of the bytes the site had before it -> gc-deferred.
 *  2. growing: over the last leak window the site's live bytes grew and the growth was kept:
 *     against a baseline report at least window_ms old with another report since, the site
 *     rose in at least two of the reports since, never went back down to the baseline once
 *     above it, and is above it by more than the sampling margin now; and its oldest block
 *     survived a GC -> leak-suspect.
 *  3. default: live.
 *
 * Rule 2 depends on time, not on how many reports there were: an extra dump (jcmd between two
 * interval dumps) adds an observation and never clears a steady leak; a cache that grew and
 * then stays flat for a window is live again. To judge without keeping every report, the
 * history keeps a few checkpoints (a report at least a quarter window after the previous
 * checkpoint): each holds every site's live and freed bytes then, how often it rose since and
 * the lowest it has been since it first rose above. */
#ifndef LB_SITE_STATUS_H
#define LB_SITE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

#define LB_DEFERRED_SHARE 0.5
#define LB_SITE_STATUS_CHECKPOINTS 8

struct lb_site_status_entry {
    uint64_t live_bytes, live_count; /* as of the previous report */
    uint32_t streak;
};

struct lb_site_status_checkpoint {
    uint64_t time_ms;
    uint32_t reports_since; /* reports after this one, the one being judged included */
    size_t cap;             /* entries of base and low, by site id */
    uint64_t *base;         /* live bytes at the checkpoint (0: no site yet) */
    uint64_t *freed;        /* freed bytes at the checkpoint */
    uint64_t *low; /* lowest live bytes since the site was first above base (UINT64_MAX: not yet) */
    uint32_t *rises; /* reports since in which the site was above the report before */
};

/* What the dumper remembers from one report to the next. Zero-initialized: no report yet. */
struct lb_site_status_history {
    struct lb_site_status_entry *by_id; /* indexed by site id */
    size_t cap;
    unsigned sequence; /* the previous report's; 0 before the first */
    uint64_t first_ms; /* time of the first report */
    unsigned reports;  /* judged so far */
    struct lb_site_status_checkpoint checkpoints[LB_SITE_STATUS_CHECKPOINTS]; /* oldest first */
    int ncheckpoints;
};

/* The report's "leak_window": whether this report's history can hold a leak-suspect verdict. */
struct lb_site_status_window {
    uint64_t window_ms;   /* the leak_window option */
    uint64_t observed_ms; /* from the run's first report to this one */
    unsigned reports;     /* reports of the run so far, this one included */
    bool decidable;       /* a baseline report exists: rule 2 could apply */
};

/* Sets growth (against the previous report, if any), status and status_rule of every
 * snapshot, then remembers this report. The released_* and age fields must be filled in
 * already. now_ms is the report's time (lb_clock_ms), window_ms the leak window, sample the
 * sampling mean (0: exact). False when out of memory (growth is then left out, and statuses
 * judged without the window). */
bool lb_site_status_judge(struct lb_site_status_history *h, struct lb_snapshot *snaps, size_t n,
                          unsigned sequence, uint64_t now_ms, uint64_t window_ms, uint64_t sample,
                          struct lb_site_status_window *window);

void lb_site_status_history_free(struct lb_site_status_history *h);

#endif
