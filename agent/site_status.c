#include "site_status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grows an array of n entries of size bytes to cap, filling the new ones with fill's bytes. */
static bool grow(void **p, size_t *n, size_t cap, size_t size, int fill)
{
    if (cap <= *n)
        return true;
    void *more = realloc(*p, cap * size);
    if (!more)
        return false;
    memset((char *)more + *n * size, fill, (cap - *n) * size);
    *p = more;
    *n = cap;
    return true;
}

static size_t cap_for(uint32_t max_id)
{
    size_t cap = 64;
    while (cap <= max_id)
        cap *= 2;
    return cap;
}

static void drop_checkpoint(struct lb_site_status_history *h, int i)
{
    free(h->checkpoints[i].base);
    free(h->checkpoints[i].low);
    free(h->checkpoints[i].rises);
    free(h->checkpoints[i].freed);
    memmove(&h->checkpoints[i], &h->checkpoints[i + 1],
            (size_t)(h->ncheckpoints - i - 1) * sizeof h->checkpoints[0]);
    h->ncheckpoints--;
}

/* Counts this report in every checkpoint: for each site, whether it rose since the previous
 * report (h->by_id still holds that report's figures) and, from the first report in which it
 * was above the checkpoint, the lowest it has been since. A site newer than a checkpoint was
 * at 0 there. */
static bool observe(struct lb_site_status_history *h, const struct lb_snapshot *snaps, size_t n,
                    size_t cap)
{
    for (int c = 0; c < h->ncheckpoints; c++) {
        struct lb_site_status_checkpoint *cp = &h->checkpoints[c];
        size_t had[4] = {cp->cap, cp->cap, cp->cap, cp->cap};
        if (!grow((void **)&cp->base, &had[0], cap, sizeof *cp->base, 0) ||
            !grow((void **)&cp->freed, &had[1], cap, sizeof *cp->freed, 0) ||
            !grow((void **)&cp->low, &had[2], cap, sizeof *cp->low, 0xff) ||
            !grow((void **)&cp->rises, &had[3], cap, sizeof *cp->rises, 0))
            return false;
        cp->cap = cap;
        for (size_t i = 0; i < n; i++) {
            uint32_t id = snaps[i].site->id;
            uint64_t v = snaps[i].live_bytes;
            if (v < cp->low[id] && (cp->low[id] != UINT64_MAX || v > cp->base[id]))
                cp->low[id] = v;
            if (v > h->by_id[id].live_bytes)
                cp->rises[id]++;
        }
        cp->reports_since++;
    }
    return true;
}

/* The newest checkpoint at least window_ms old with a report between it and this one. */
static const struct lb_site_status_checkpoint *baseline(const struct lb_site_status_history *h,
                                                        uint64_t now_ms, uint64_t window_ms)
{
    for (int c = h->ncheckpoints - 1; c >= 0; c--) {
        const struct lb_site_status_checkpoint *cp = &h->checkpoints[c];
        if (cp->time_ms + window_ms <= now_ms && cp->reports_since >= 2)
            return cp;
    }
    return NULL;
}

/* Checkpoints older than the baseline are never needed again; this report becomes one if
 * the newest is a quarter window old. */
static bool checkpoint(struct lb_site_status_history *h, const struct lb_snapshot *snaps, size_t n,
                       size_t cap, uint64_t now_ms, uint64_t window_ms,
                       const struct lb_site_status_checkpoint *base)
{
    while (base && h->ncheckpoints > 1 && &h->checkpoints[0] != base) {
        drop_checkpoint(h, 0);
        base--;
    }
    if (h->ncheckpoints && now_ms < h->checkpoints[h->ncheckpoints - 1].time_ms + window_ms / 4)
        return true;
    if (h->ncheckpoints == LB_SITE_STATUS_CHECKPOINTS)
        drop_checkpoint(h, 0);
    struct lb_site_status_checkpoint cp = {.time_ms = now_ms, .cap = cap};
    cp.base = calloc(cap, sizeof *cp.base);
    cp.low = malloc(cap * sizeof *cp.low);
    cp.rises = calloc(cap, sizeof *cp.rises);
    cp.freed = calloc(cap, sizeof *cp.freed);
    if (!cp.base || !cp.low || !cp.rises || !cp.freed) {
        free(cp.base);
        free(cp.low);
        free(cp.rises);
        free(cp.freed);
        return false;
    }
    memset(cp.low, 0xff, cap * sizeof *cp.low);
    for (size_t i = 0; i < n; i++) {
        cp.base[snaps[i].site->id] = snaps[i].live_bytes;
        cp.freed[snaps[i].site->id] = snaps[i].freed_bytes;
    }
    h->checkpoints[h->ncheckpoints++] = cp;
    return true;
}

/* Under sampling, the estimate of a site that frees as much as it allocates wanders as its
 * sampled blocks are replaced: by about sqrt(2 * freed * mean) for `freed` bytes freed (and
 * as many allocated) since the baseline. Growth must exceed twice that and one sample. A leak
 * frees nothing, so any sampled growth counts. Exact: any byte. */
static uint64_t margin(uint64_t freed_since, uint64_t sample)
{
    if (!sample)
        return 0;
    return (uint64_t)(2.0 * sqrt(2.0 * (double)freed_since * (double)sample)) + sample;
}

/* Rule 2: since the baseline the site rose in at least two reports (one allocation kept is
 * not growth), once above the baseline it stayed above it, and it is above it now by more
 * than the margin. */
static bool kept_growing(const struct lb_site_status_checkpoint *base, const struct lb_snapshot *sn,
                         uint64_t sample)
{
    uint32_t id = sn->site->id;
    if (!base || id >= base->cap)
        return false;
    uint64_t b = base->base[id];
    uint64_t freed = sn->freed_bytes > base->freed[id] ? sn->freed_bytes - base->freed[id] : 0;
    return base->rises[id] >= 2 && base->low[id] != UINT64_MAX && base->low[id] > b &&
           sn->live_bytes > b + margin(freed, sample);
}

static void judge(struct lb_snapshot *sn, const struct lb_site_status_checkpoint *base,
                  uint64_t sample)
{
    uint64_t before = sn->live_bytes + sn->released_bytes;
    if (sn->has_released && sn->released_bytes > 0 &&
        (double)sn->released_bytes >= LB_DEFERRED_SHARE * (double)before) {
        sn->status = "gc-deferred";
        sn->status_rule = "forced-gc-released";
    } else if (sn->has_age && sn->gcs_survived_max >= 1 && kept_growing(base, sn, sample)) {
        sn->status = "leak-suspect";
        sn->status_rule = "growing";
    } else {
        sn->status = "live";
        sn->status_rule = "default";
    }
}

static void growth(struct lb_site_status_history *h, struct lb_snapshot *sn)
{
    struct lb_site_status_entry *e = &h->by_id[sn->site->id];
    if (h->sequence) {
        bool grew = sn->live_bytes > e->live_bytes;
        sn->has_growth = true;
        sn->growth_bytes = (int64_t)sn->live_bytes - (int64_t)e->live_bytes;
        sn->growth_count = (int64_t)sn->live_count - (int64_t)e->live_count;
        sn->growth_streak = grew ? e->streak + 1 : 0;
    }
    e->live_bytes = sn->live_bytes;
    e->live_count = sn->live_count;
    e->streak = sn->growth_streak;
}

bool lb_site_status_judge(struct lb_site_status_history *h, struct lb_snapshot *snaps, size_t n,
                          unsigned sequence, uint64_t now_ms, uint64_t window_ms, uint64_t sample,
                          struct lb_site_status_window *window)
{
    uint32_t max_id = 0;
    for (size_t i = 0; i < n; i++)
        if (snaps[i].site->id > max_id)
            max_id = snaps[i].site->id;
    size_t cap = cap_for(max_id);
    if (!h->reports)
        h->first_ms = now_ms;
    h->reports++;
    bool ok =
        grow((void **)&h->by_id, &h->cap, cap, sizeof *h->by_id, 0) && observe(h, snaps, n, cap);
    const struct lb_site_status_checkpoint *base = ok ? baseline(h, now_ms, window_ms) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (ok)
            growth(h, &snaps[i]);
        judge(&snaps[i], base, sample);
    }
    if (window)
        *window = (struct lb_site_status_window){window_ms, now_ms - h->first_ms, h->reports,
                                                 base != NULL};
    ok = ok && checkpoint(h, snaps, n, cap, now_ms, window_ms, base);
    if (ok)
        h->sequence = sequence;
    return ok;
}

void lb_site_status_history_free(struct lb_site_status_history *h)
{
    while (h->ncheckpoints)
        drop_checkpoint(h, h->ncheckpoints - 1);
    free(h->by_id);
    memset(h, 0, sizeof *h);
}
