#include "site_status.h"

#include <stdlib.h>
#include <string.h>

static bool ensure(struct lb_site_status_history *h, uint32_t max_id)
{
    if (max_id < h->cap)
        return true;
    size_t cap = h->cap ? h->cap : 64;
    while (cap <= max_id)
        cap *= 2;
    struct lb_site_status_entry *p = realloc(h->by_id, cap * sizeof *p);
    if (!p)
        return false;
    memset(p + h->cap, 0, (cap - h->cap) * sizeof *p);
    h->by_id = p;
    h->cap = cap;
    return true;
}

static void judge(struct lb_snapshot *sn)
{
    uint64_t before = sn->live_bytes + sn->released_bytes;
    if (sn->has_released && sn->released_bytes > 0 &&
        (double)sn->released_bytes >= LB_DEFERRED_SHARE * (double)before) {
        sn->status = "gc-deferred";
        sn->status_rule = "forced-gc-released";
    } else if (sn->has_growth && sn->growth_streak >= LB_GROWING_REPORTS && sn->has_age &&
               sn->gcs_survived_max >= 1) {
        sn->status = "leak-suspect";
        sn->status_rule = "growing";
    } else if (sn->has_age && sn->age_p50_ms >= LB_OLD_AGE_MS &&
               sn->gcs_survived_p50 >= LB_OLD_GCS) {
        sn->status = "leak-suspect";
        sn->status_rule = "old-survivors";
    } else {
        sn->status = "live";
        sn->status_rule = "default";
    }
}

bool lb_site_status_judge(struct lb_site_status_history *h, struct lb_snapshot *snaps, size_t n,
                          unsigned sequence)
{
    uint32_t max_id = 0;
    for (size_t i = 0; i < n; i++)
        if (snaps[i].site->id > max_id)
            max_id = snaps[i].site->id;
    bool ok = ensure(h, max_id);
    for (size_t i = 0; i < n; i++) {
        struct lb_snapshot *sn = &snaps[i];
        if (ok) {
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
        judge(sn);
    }
    if (ok)
        h->sequence = sequence;
    return ok;
}

void lb_site_status_history_free(struct lb_site_status_history *h)
{
    free(h->by_id);
    memset(h, 0, sizeof *h);
}
