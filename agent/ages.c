#include "ages.h"

#include <stdlib.h>

#include "live_table.h"
#include "ptr_map.h"
#include "sampler.h"

struct age_entry {
    uint64_t time_ms;  /* allocation time: ascending time is descending age */
    uint64_t count_fp; /* the block's estimated count */
    uint32_t gc_epoch;
    uint32_t snapshot; /* index in the snapshots */
};

/* The one pass over the live table: every block of a snapshotted site, in table order. */
struct walk {
    /* site -> its snapshot, keyed by the site's address: a few hundred kilobytes for 10,000
     * sites, where reading each block's site->id would touch a cache line of every site. */
    struct lb_ptr_map index;
    const struct lb_snapshot *snaps;
    size_t *count; /* per snapshot */
    struct age_entry *entries;
    size_t n, cap;
    bool failed; /* out of memory: the ages are left out */
};

static void collect_block(uintptr_t addr, const struct lb_block *b, void *ctx)
{
    (void)addr;
    struct walk *w = ctx;
    const struct lb_snapshot *sn = lb_ptr_map_get(&w->index, lb_sites_by_id(b->site_id));
    if (!sn || w->failed)
        return; /* a site interned after the snapshot */
    size_t i = (size_t)(sn - w->snaps);
    if (w->n == w->cap) {
        size_t cap = w->cap * 2 + 1024;
        struct age_entry *more = realloc(w->entries, cap * sizeof *more);
        if (!more) {
            w->failed = true;
            return;
        }
        w->entries = more;
        w->cap = cap;
    }
    struct lb_weight weight;
    lb_sampler_weight(b->size, &weight);
    w->entries[w->n++] =
        (struct age_entry){b->time_ms, weight.count_fp, (uint32_t)b->gc_epoch, (uint32_t)i};
    w->count[i]++;
}

static int by_time(const void *a, const void *b)
{
    const struct age_entry *x = a, *y = b;
    return (x->time_ms > y->time_ms) - (x->time_ms < y->time_ms);
}

static uint32_t survived(uint32_t epoch_now, uint32_t epoch)
{
    return epoch_now > epoch ? epoch_now - epoch : 0;
}

/* The entry below which (oldest first) share of the total count lies. */
static const struct age_entry *quantile(const struct age_entry *e, size_t n, uint64_t total,
                                        double share)
{
    double target = share * (double)total, seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += (double)e[i].count_fp;
        if (seen >= target)
            return &e[i];
    }
    return &e[n - 1];
}

static void summarize(struct lb_snapshot *sn, struct age_entry *e, size_t n, uint64_t now_ms,
                      uint32_t epoch_now)
{
    if (n == 0)
        return;
    qsort(e, n, sizeof *e, by_time);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += e[i].count_fp;
    /* Oldest first, so "half the blocks are at least this old" is the 50% point. */
    const struct age_entry *p50 = quantile(e, n, total, 0.5);
    const struct age_entry *p90 = quantile(e, n, total, 0.1);
    sn->has_age = true;
    sn->age_oldest_ms = now_ms > e[0].time_ms ? now_ms - e[0].time_ms : 0;
    sn->age_p50_ms = now_ms > p50->time_ms ? now_ms - p50->time_ms : 0;
    sn->age_p90_ms = now_ms > p90->time_ms ? now_ms - p90->time_ms : 0;
    sn->gcs_survived_max = survived(epoch_now, e[0].gc_epoch);
    sn->gcs_survived_p50 = survived(epoch_now, p50->gc_epoch);
}

bool lb_ages_fill(struct lb_snapshot *snaps, size_t n, uint64_t now_ms, uint32_t gc_epoch)
{
    struct walk w = {0};
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    w.cap = st.live + st.live / 8 + 1024; /* room for blocks added during the walk, mostly */
    w.entries = malloc(w.cap * sizeof *w.entries);
    w.count = calloc(n + 1, sizeof *w.count);
    size_t *next = calloc(n + 1, sizeof *next);
    struct age_entry *grouped = NULL;
    bool ok = false;
    if (!w.entries || !w.count || !next || !lb_ptr_map_init(&w.index, n))
        goto out;
    w.snaps = snaps;
    for (size_t i = 0; i < n; i++) {
        void **cell = lb_ptr_map_put(&w.index, snaps[i].site);
        if (!cell)
            goto out;
        *cell = &snaps[i];
    }
    lb_live_table_foreach(collect_block, &w);
    if (w.failed)
        goto out;
    /* Grouped by snapshot, in one stable counting pass. */
    grouped = malloc((w.n ? w.n : 1) * sizeof *grouped);
    if (!grouped)
        goto out;
    for (size_t i = 0, first = 0; i < n; i++) {
        next[i] = first;
        first += w.count[i];
    }
    for (size_t k = 0; k < w.n; k++)
        grouped[next[w.entries[k].snapshot]++] = w.entries[k];
    for (size_t i = 0, first = 0; i < n; i++) {
        summarize(&snaps[i], &grouped[first], w.count[i], now_ms, gc_epoch);
        first += w.count[i];
    }
    ok = true;
out:
    lb_ptr_map_free(&w.index);
    free(w.count);
    free(w.entries);
    free(next);
    free(grouped);
    return ok;
}
