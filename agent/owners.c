#include "owners.h"

#include <stdlib.h>
#include <string.h>

#include "heap_paths.h"
#include "live_table.h"
#include "log.h"
#include "peek.h"
#include "ptr_map.h"
#include "runtime.h"
#include "sampler.h"
#include "symbols.h"

struct block {
    uintptr_t addr;
    uint64_t size;  /* as allocated */
    uint64_t bytes; /* weighted: what the block counts for in its site */
    uint32_t snap;
};

struct collect {
    struct lb_ptr_map index; /* site -> its snapshot + 1 */
    const struct lb_snapshot *snaps;
    uint32_t *per_site;
    struct block *blocks;
    size_t n, cap; /* cap: what the snapshots' live counts allow for */
    uint64_t since_ms;
};

static void collect_block(uintptr_t addr, const struct lb_block *b, void *ctx)
{
    struct collect *c = ctx;
    if ((addr >> 63) || b->time_ms < c->since_ms) /* a pool block's key is no address */
        return;
    uintptr_t i = (uintptr_t)lb_ptr_map_get(&c->index, lb_sites_by_id(b->site_id));
    if (!i || c->per_site[i - 1] >= LB_OWNERS_BLOCKS_PER_SITE)
        return;
    if (c->n == c->cap)
        return; /* blocks recorded since the snapshot */
    struct lb_weight w;
    lb_sampler_weight(b->size, &w);
    c->blocks[c->n++] = (struct block){addr, b->size, w.bytes, (uint32_t)(i - 1)};
    c->per_site[i - 1]++;
}

static int by_addr(const void *a, const void *b)
{
    const struct block *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* One site's distinct paths while its owners are grouped. */
struct group {
    const char *key;
    json_t *path; /* borrowed from the first owner on it */
    uint64_t blocks, bytes;
};

struct tally {
    uint64_t blocks, bytes;
};

static int by_blocks(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    return (x->blocks < y->blocks) - (x->blocks > y->blocks);
}

static json_t *tally_json(const struct tally *t)
{
    return json_pack("{s:I,s:I}", "blocks", (json_int_t)t->blocks, "bytes", (json_int_t)t->bytes);
}

/* The site's owners from its blocks [first, last) in the by-site order. */
static json_t *site_owners(const struct lb_snapshot *sn, const struct block *blocks,
                           const struct lb_heap_owner *owners, const size_t *order, size_t first,
                           size_t last, const char *exhausted)
{
    size_t count = last - first;
    struct group *groups = calloc(count ? count : 1, sizeof *groups);
    json_t *holders = json_array();
    if (!groups || !holders) {
        free(groups);
        json_decref(holders);
        return NULL;
    }
    size_t ngroups = 0;
    struct tally unreachable = {0}, collected = {0}, none = {0}, unknown = {0};
    bool direct = sn->site->kind == LB_KIND_DIRECT_BUFFER;
    for (size_t k = first; k < last; k++) {
        const struct lb_heap_owner *o = &owners[order[k]];
        uint64_t bytes = blocks[order[k]].bytes;
        struct tally *t = NULL;
        switch (o->state) {
        case LB_HOLDER_REACHABLE: {
            size_t g = 0;
            while (g < ngroups && strcmp(groups[g].key, o->key) != 0)
                g++;
            if (g == ngroups)
                groups[ngroups++] = (struct group){o->key, o->path, 0, 0};
            groups[g].blocks++;
            groups[g].bytes += bytes;
            continue;
        }
        case LB_HOLDER_UNREACHABLE:
            t = &unreachable;
            bool seen = false;
            for (size_t h = 0; h < json_array_size(holders) && !seen; h++)
                seen = strcmp(json_string_value(json_array_get(holders, h)), o->holder_class) == 0;
            if (!seen && json_array_size(holders) < 8)
                json_array_append_new(holders, json_string(o->holder_class));
            break;
        case LB_HOLDER_NONE:
            /* A direct buffer's memory is freed by its Cleaner: with no buffer left to hold
             * the address, the buffer was collected and the Cleaner has not run yet. */
            t = direct ? &collected : &none;
            break;
        default:
            t = &unknown;
            break;
        }
        t->blocks++;
        t->bytes += bytes;
    }
    qsort(groups, ngroups, sizeof *groups, by_blocks);
    json_t *j = json_object();
    json_object_set_new(j, "examined", json_integer((json_int_t)count));
    json_t *paths = json_array();
    struct tally other = {0};
    for (size_t g = 0; g < ngroups; g++) {
        if (g >= LB_OWNERS_PATHS) {
            other.blocks += groups[g].blocks;
            other.bytes += groups[g].bytes;
            continue;
        }
        json_t *p = json_deep_copy(groups[g].path);
        json_object_set_new(p, "blocks", json_integer((json_int_t)groups[g].blocks));
        json_object_set_new(p, "bytes", json_integer((json_int_t)groups[g].bytes));
        json_array_append_new(paths, p);
    }
    json_object_set_new(j, "paths", paths);
    if (other.blocks) {
        json_t *o = tally_json(&other);
        json_object_set_new(o, "paths", json_integer((json_int_t)(ngroups - LB_OWNERS_PATHS)));
        json_object_set_new(j, "other_paths", o);
    }
    if (unreachable.blocks || collected.blocks) {
        json_t *u = json_pack(
            "{s:I,s:I,s:I,s:o,s:b}", "blocks", (json_int_t)(unreachable.blocks + collected.blocks),
            "bytes", (json_int_t)(unreachable.bytes + collected.bytes), "collected",
            (json_int_t)collected.blocks, "holders", holders, "gc_deferred", direct);
        json_object_set_new(j, "unreachable", u);
    } else {
        json_decref(holders);
    }
    if (none.blocks)
        json_object_set_new(j, "without_holder", tally_json(&none));
    if (unknown.blocks) {
        json_t *u = tally_json(&unknown);
        json_object_set_new(u, "reason", json_string(exhausted ? exhausted : "error"));
        json_object_set_new(j, "unknown", u);
    }
    free(groups);
    return j;
}

/* The native steps: blocks no Java object holds may hang from a block one does (zstd's window
 * buffers from the ZSTD_DStream its stream holds). Every block with a path is read (through
 * lb_peek: a block freed meanwhile costs nothing) for words that are the start of a block
 * without holder, which then gets the path on to it; three levels at most, NATIVE_SCAN_BYTES
 * read in all. */
#define NATIVE_SCAN_BYTES (64u << 20)
#define NATIVE_LEVELS 3

static size_t find_block(const struct block *blocks, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (blocks[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && blocks[lo].addr == addr ? lo : SIZE_MAX;
}

/* "ZSTD_createDStream": the function that allocated the site's blocks (its first native frame),
 * or NULL. A new reference to the frame's JSON holds the text. */
static json_t *allocator_frame(const struct lb_site *site)
{
    for (int i = 0; i < site->nframes; i++)
        if (site->frames[i].type == LB_FRAME_NATIVE)
            return lb_symbols_frame_json(&site->frames[i], site->module_gen);
    return NULL;
}

static void hang_from(struct lb_heap_owner *child, const struct lb_heap_owner *parent,
                      const struct lb_site *site, uint64_t offset)
{
    json_t *frame = allocator_frame(site);
    const char *fn = json_string_value(json_object_get(frame, "symbol"));
    char step_text[256];
    snprintf(step_text, sizeof step_text, " \xe2\x86\x92 native block of %s (+0x%llx)",
             fn ? fn : "?", (unsigned long long)offset);
    json_t *path = json_deep_copy(parent->path);
    json_t *step = json_pack("{s:s,s:b,s:I,s:I}", "class", "(native block)", "native", true, "site",
                             (json_int_t)site->id, "offset", (json_int_t)offset);
    if (fn)
        json_object_set_new(step, "function", json_string(fn));
    json_array_append_new(json_object_get(path, "steps"), step);
    const char *text = json_string_value(json_object_get(path, "text"));
    size_t tlen = strlen(text ? text : ""), klen = strlen(parent->key), slen = strlen(step_text);
    char *joined = malloc(tlen + slen + 1), *key = malloc(klen + slen + 1);
    if (!path || !step || !joined || !key) {
        json_decref(path);
        free(joined);
        free(key);
        json_decref(frame);
        return;
    }
    memcpy(joined, text ? text : "", tlen);
    memcpy(joined + tlen, step_text, slen + 1);
    memcpy(key, parent->key, klen);
    memcpy(key + klen, step_text, slen + 1);
    json_object_set_new(path, "text", json_string(joined));
    free(joined);
    child->path = path;
    child->key = key;
    child->state = LB_HOLDER_REACHABLE;
    json_decref(frame);
}

static void link_native(const struct block *blocks, struct lb_heap_owner *owners, size_t n,
                        const struct lb_snapshot *snaps)
{
    bool *scanned = calloc(n ? n : 1, sizeof *scanned);
    uint64_t *buf = malloc(64 << 10);
    size_t budget = NATIVE_SCAN_BYTES;
    for (int level = 0; scanned && buf && level < NATIVE_LEVELS; level++) {
        bool linked = false;
        for (size_t p = 0; p < n && budget; p++) {
            if (owners[p].state != LB_HOLDER_REACHABLE || scanned[p] || !owners[p].key)
                continue;
            scanned[p] = true;
            uint64_t size = blocks[p].size < budget ? blocks[p].size : budget;
            budget -= size;
            for (uint64_t at = 0; at + 8 <= size; at += 64 << 10) {
                size_t len = size - at < (64 << 10) ? (size_t)(size - at) & ~(size_t)7 : 64 << 10;
                if (!lb_peek(blocks[p].addr + at, buf, len))
                    break;
                for (size_t w = 0; w < len / 8; w++) {
                    size_t c = buf[w] ? find_block(blocks, n, buf[w]) : SIZE_MAX;
                    if (c == SIZE_MAX || c == p || owners[c].state != LB_HOLDER_NONE)
                        continue;
                    hang_from(&owners[c], &owners[p], snaps[blocks[p].snap].site, at + 8 * w);
                    linked = true;
                }
            }
        }
        if (!linked)
            break;
    }
    free(scanned);
    free(buf);
}

static int by_snap(const void *a, const void *b, void *ctx)
{
    const struct block *blocks = ctx;
    const size_t *x = a, *y = b;
    uint32_t sx = blocks[*x].snap, sy = blocks[*y].snap;
    return sx != sy ? (sx > sy) - (sx < sy) : (*x > *y) - (*x < *y);
}

json_t *lb_owners_find(JNIEnv *jni, struct lb_snapshot *snaps, size_t n, uint64_t since_ms,
                       bool exit_report)
{
    struct collect c = {.snaps = snaps, .since_ms = since_ms};
    c.per_site = calloc(n ? n : 1, sizeof *c.per_site);
    if (!c.per_site || !lb_ptr_map_init(&c.index, n)) {
        free(c.per_site);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c.cap += snaps[i].live_count < LB_OWNERS_BLOCKS_PER_SITE ? snaps[i].live_count
                                                                 : LB_OWNERS_BLOCKS_PER_SITE;
    c.blocks = malloc((c.cap ? c.cap : 1) * sizeof *c.blocks);
    if (!c.blocks) {
        lb_ptr_map_free(&c.index);
        free(c.per_site);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        snaps[i].owners = NULL;
        void **cell = snaps[i].live_count && snaps[i].site->kind < LB_KIND_COUNT
                          ? lb_ptr_map_put(&c.index, snaps[i].site)
                          : NULL; /* the JDK's own are in no report (site_kind.h) */
        if (cell)
            *cell = (void *)(uintptr_t)(i + 1);
    }
    lb_live_table_foreach(collect_block, &c);
    lb_ptr_map_free(&c.index);
    json_t *section = NULL;
    struct lb_heap_owner *owners = NULL;
    size_t *order = NULL;
    qsort(c.blocks, c.n, sizeof *c.blocks, by_addr);
    owners = calloc(c.n ? c.n : 1, sizeof *owners);
    order = malloc((c.n ? c.n : 1) * sizeof *order);
    if (!owners || !order)
        goto out;
    for (size_t i = 0; i < c.n; i++) {
        owners[i].addr = c.blocks[i].addr;
        order[i] = i;
    }
    struct lb_heap_paths_stats st;
    const struct lb_options *o = &lb_runtime.options;
    lb_heap_paths_find(jni, owners, c.n, o->owners_time_ms, o->owners_memory,
                       exit_report ? NULL : &lb_runtime.exiting, &st);
    link_native(c.blocks, owners, c.n, snaps);
    qsort_r(order, c.n, sizeof *order, by_snap, c.blocks);
    json_t *without = json_array();
    for (size_t k = 0; k < c.n;) {
        size_t end = k;
        uint32_t s = c.blocks[order[k]].snap;
        while (end < c.n && c.blocks[order[end]].snap == s)
            end++;
        snaps[s].owners = site_owners(&snaps[s], c.blocks, owners, order, k, end, st.exhausted);
        json_t *paths = json_object_get(snaps[s].owners, "paths");
        if (json_array_size(paths) == 0 && json_object_get(snaps[s].owners, "unknown"))
            json_array_append_new(without, json_integer((json_int_t)snaps[s].site->id));
        k = end;
    }
    section = json_pack("{s:I,s:I,s:i,s:b,s:I,s:I,s:I,s:I,s:o}", "walk_ms", (json_int_t)st.walk_ms,
                        "longest_pause_ms", (json_int_t)st.longest_ms, "passes", (int)st.passes,
                        "shortest", st.shortest, "objects", (json_int_t)st.objects, "memory_bytes",
                        (json_int_t)st.memory_bytes, "blocks", (json_int_t)c.n, "time_budget_ms",
                        (json_int_t)o->owners_time_ms, "sites_without_path", without);
    json_object_set_new(section, "memory_budget_bytes", json_integer((json_int_t)o->owners_memory));
    json_object_set_new(section, "exhausted",
                        st.exhausted ? json_string(st.exhausted) : json_null());
    if (st.error) {
        json_object_set_new(section, "error", json_string(st.error));
        lb_log("owners: no heap walk: %s", st.error);
    } else if (st.exhausted) {
        lb_log("owners: the heap walk ran out of %s after %llu objects; %zu sites got no path",
               st.exhausted, (unsigned long long)st.objects, json_array_size(without));
    }
out:
    lb_heap_paths_free(owners, owners ? c.n : 0);
    free(owners);
    free(order);
    free(c.blocks);
    free(c.per_site);
    return section;
}

void lb_owners_release(struct lb_snapshot *snaps, size_t n)
{
    for (size_t i = 0; snaps && i < n; i++) {
        json_decref(snaps[i].owners);
        snaps[i].owners = NULL;
    }
}
