#include "ages.h"

#include <stdlib.h>

#include "live_table.h"
#include "sampler.h"

struct age_entry {
    uint64_t time_ms;  /* allocation time: ascending time is descending age */
    uint64_t count_fp; /* the block's estimated count */
    uint32_t gc_epoch;
};

struct walk {
    uint32_t *index_of_id; /* site id -> snapshot index + 1; 0: not in the snapshot */
    uint32_t max_id;
    size_t *fill;  /* per snapshot: entries so far (count pass) or next free slot */
    size_t *limit; /* per snapshot: end of its slots (fill pass); NULL in the count pass */
    struct age_entry *entries;
};

static long snapshot_of(const struct walk *w, const struct lb_block *b)
{
    uint32_t id = b->site->id;
    return id <= w->max_id ? (long)w->index_of_id[id] - 1 : -1;
}

static void count_block(uintptr_t addr, const struct lb_block *b, void *ctx)
{
    (void)addr;
    struct walk *w = ctx;
    long i = snapshot_of(w, b);
    if (i >= 0)
        w->fill[i]++;
}

static void store_block(uintptr_t addr, const struct lb_block *b, void *ctx)
{
    (void)addr;
    struct walk *w = ctx;
    long i = snapshot_of(w, b);
    /* Blocks allocated since the count pass find their site's slots full: left out. */
    if (i < 0 || w->fill[i] == w->limit[i])
        return;
    struct lb_weight weight;
    lb_sampler_weight(b->size, &weight);
    w->entries[w->fill[i]++] =
        (struct age_entry){b->time_ms, weight.count_fp, (uint32_t)b->gc_epoch};
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

static void summarize(struct lb_site_snapshot *sn, struct age_entry *e, size_t n, uint64_t now_ms,
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

bool lb_ages_fill(struct lb_site_snapshot *snaps, size_t n, uint64_t now_ms, uint32_t gc_epoch)
{
    struct walk w = {0};
    for (size_t i = 0; i < n; i++)
        if (snaps[i].site->id > w.max_id)
            w.max_id = snaps[i].site->id;
    bool ok = false;
    size_t *end = calloc(n + 1, sizeof *end);   /* per snapshot: count, then end of its slots */
    size_t *next = calloc(n + 1, sizeof *next); /* per snapshot: next free slot */
    w.index_of_id = calloc((size_t)w.max_id + 1, sizeof *w.index_of_id);
    if (!end || !next || !w.index_of_id)
        goto out;
    for (size_t i = 0; i < n; i++)
        w.index_of_id[snaps[i].site->id] = (uint32_t)i + 1;

    w.fill = end;
    lb_table_foreach(count_block, &w);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        next[i] = total;
        total += end[i];
        end[i] = total;
    }
    w.entries = malloc((total ? total : 1) * sizeof *w.entries);
    if (!w.entries)
        goto out;
    w.fill = next;
    w.limit = end;
    lb_table_foreach(store_block, &w);
    for (size_t i = 0; i < n; i++) {
        size_t first = i ? end[i - 1] : 0;
        summarize(&snaps[i], &w.entries[first], next[i] - first, now_ms, gc_epoch);
    }
    ok = true;
out:
    free(end);
    free(next);
    free(w.index_of_id);
    free(w.entries);
    return ok;
}
