#include "report.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "leakbridge/report_format.h"

static int by_live_bytes(const void *a, const void *b)
{
    const struct lb_snapshot *x = a, *y = b;
    if (x->live_bytes != y->live_bytes)
        return x->live_bytes > y->live_bytes ? -1 : 1;
    return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

static json_t *amounts(uint64_t live_bytes, uint64_t live_count)
{
    return json_pack("{s:I,s:I}", "live_bytes", (json_int_t)live_bytes, "live_count",
                     (json_int_t)live_count);
}

static json_t *options_json(const struct lb_options *o)
{
    json_t *j = json_pack("{s:o,s:I,s:I,s:i,s:b,s:b,s:I}", "output", lb_json_text(o->output),
                          "sample", (json_int_t)o->sample, "interval_ms",
                          (json_int_t)o->interval_ms, "depth", (int)o->depth, "gc", o->gc, "native",
                          o->native, "leak_window_ms", (json_int_t)o->leak_window_ms);
    json_t *dump_at = json_array();
    for (int i = 0; i < o->ndump_at; i++)
        json_array_append_new(dump_at, json_integer(o->dump_at[i]));
    json_object_set_new(j, "dump_at", dump_at);
    json_object_set_new(j, "dump_at_bytes", json_integer((json_int_t)o->dump_at_bytes));
    json_object_set_new(j, "max_sites", json_integer((json_int_t)o->max_sites));
    json_object_set_new(j, "max_memory", json_integer((json_int_t)o->max_memory));
    json_object_set_new(j, "report_sites", json_integer((json_int_t)o->report_sites));
    json_object_set_new(j, "owners", json_boolean(o->owners));
    json_object_set_new(j, "owners_time_ms", json_integer((json_int_t)o->owners_time_ms));
    json_object_set_new(j, "owners_memory", json_integer((json_int_t)o->owners_memory));
    return j;
}

/* What an overflow site folded: its module (null: none of the stacks passed through a JNI
 * library or dependency) and how many stacks and allocations. */
static json_t *overflow_json(const struct lb_site *site)
{
    const struct lb_site_overflow *o = site->overflow;
    return json_pack("{s:o,s:I,s:I}", "module", o->module ? lb_json_text(o->module) : json_null(),
                     "folded_stacks", (json_int_t)lb_sites_folded_stacks(site),
                     "folded_allocations",
                     (json_int_t)atomic_load_explicit(&o->folds, memory_order_relaxed));
}

/* Sums of the sites a report does not list one by one. */
struct summary {
    uint64_t sites, live_bytes, live_count, allocated_bytes, allocated_count, freed_count;
    uint64_t kind_sites[LB_KIND_COUNT], kind_bytes[LB_KIND_COUNT], kind_count[LB_KIND_COUNT];
};

static void summary_add(struct summary *sum, const struct lb_snapshot *sn)
{
    sum->sites++;
    sum->live_bytes += sn->live_bytes;
    sum->live_count += sn->live_count;
    sum->allocated_bytes += sn->allocated_bytes;
    sum->allocated_count += sn->allocated_count;
    sum->freed_count += sn->freed_count;
    sum->kind_sites[sn->site->kind]++;
    sum->kind_bytes[sn->site->kind] += sn->live_bytes;
    sum->kind_count[sn->site->kind] += sn->live_count;
}

/* The sums, and per kind the sites, live bytes and blocks (the kinds with a site only), so that
 * a gate on some kinds (leakbridge check --kind) still counts what it cannot see one by one. */
static json_t *summary_json(const struct summary *sum)
{
    json_t *by_kind = json_object();
    for (int k = 0; k < LB_KIND_COUNT; k++)
        if (sum->kind_sites[k])
            json_object_set_new(by_kind, lb_kind_name((enum lb_kind)k),
                                json_pack("{s:I,s:I,s:I}", "sites", (json_int_t)sum->kind_sites[k],
                                          "live_bytes", (json_int_t)sum->kind_bytes[k],
                                          "live_count", (json_int_t)sum->kind_count[k]));
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "sites", (json_int_t)sum->sites, "live_bytes",
                     (json_int_t)sum->live_bytes, "live_count", (json_int_t)sum->live_count,
                     "allocated_bytes", (json_int_t)sum->allocated_bytes, "allocated_count",
                     (json_int_t)sum->allocated_count, "freed_count", (json_int_t)sum->freed_count,
                     "by_kind", by_kind);
}

/* The report's "bounds": the limits, what was folded into overflow sites (each one listed,
 * listed in "sites" or not), what could not be tracked, and what "sites" leaves out. */
static json_t *bounds_json(const struct lb_report_meta *meta, const struct lb_snapshot *snaps,
                           size_t nsnaps, const struct summary *summarized)
{
    const struct lb_options *o = meta->options;
    struct lb_report_bounds none = {0};
    const struct lb_report_bounds *b = meta->bounds ? meta->bounds : &none;
    json_t *folded = json_array();
    uint64_t stacks = 0;
    for (size_t i = 0; i < nsnaps; i++) {
        const struct lb_snapshot *sn = &snaps[i];
        if (!sn->site->overflow || sn->site->kind >= LB_KIND_COUNT)
            continue;
        json_t *one = overflow_json(sn->site);
        stacks += (uint64_t)json_integer_value(json_object_get(one, "folded_stacks"));
        json_object_set_new(one, "site", json_integer((json_int_t)sn->site->id));
        json_object_set_new(one, "kind", json_string(lb_kind_name((enum lb_kind)sn->site->kind)));
        json_object_set_new(one, "live_bytes", json_integer((json_int_t)sn->live_bytes));
        json_object_set_new(one, "live_count", json_integer((json_int_t)sn->live_count));
        json_object_set_new(one, "allocated_bytes", json_integer((json_int_t)sn->allocated_bytes));
        json_array_append_new(folded, one);
    }
    json_t *reached = json_array();
    if (b->folding.by_count)
        json_array_append_new(reached, json_string("max_sites"));
    if (b->folding.by_memory || b->untracked_count)
        json_array_append_new(reached, json_string("max_memory"));
    json_t *j = json_pack(
        "{s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:I,s:I}", "max_sites", (json_int_t)o->max_sites,
        "max_memory", (json_int_t)o->max_memory, "report_sites", (json_int_t)o->report_sites,
        "reached", reached, "folded_stacks", (json_int_t)stacks, "folded_allocations",
        (json_int_t)b->folding.folds, "overflow_sites", folded, "untracked_bytes",
        (json_int_t)b->untracked_bytes, "untracked_count", (json_int_t)b->untracked_count);
    if (j)
        json_object_set_new(j, "summarized", summary_json(summarized));
    return j;
}

static json_t *site_json(const struct lb_snapshot *sn, lb_report_frame_fn frame_json, void *ctx)
{
    json_t *frames = json_array();
    for (int i = 0; i < sn->site->nframes; i++)
        json_array_append_new(frames, frame_json(ctx, sn->site, &sn->site->frames[i]));
    json_t *site = json_pack(
        "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "id", (json_int_t)sn->site->id, "kind",
        lb_kind_name((enum lb_kind)sn->site->kind), "status", sn->status ? sn->status : "live",
        "live_bytes", (json_int_t)sn->live_bytes, "live_count", (json_int_t)sn->live_count,
        "allocated_bytes", (json_int_t)sn->allocated_bytes, "allocated_count",
        (json_int_t)sn->allocated_count, "freed_count", (json_int_t)sn->freed_count);
    if (!site) {
        json_decref(frames);
        return NULL;
    }
    if (sn->status_rule)
        json_object_set_new(site, "status_rule", json_string(sn->status_rule));
    if (sn->site->file) /* a pool's tag, or a mapped file's path */
        json_object_set_new(site, sn->site->origin == LB_ORIGIN_POOL ? "pool" : "file",
                            lb_json_text(sn->site->file));
    if (sn->pool_chunks)
        json_object_set_new(site, "pool_chunks",
                            json_pack("{s:o,s:I,s:I}", "pool", lb_json_text(sn->pool_chunks),
                                      "capacity_bytes", (json_int_t)sn->pool_capacity_bytes,
                                      "handed_out_bytes", (json_int_t)sn->pool_handed_out_bytes));
    if (sn->site->overflow)
        json_object_set_new(site, "overflow", overflow_json(sn->site));
    if (sn->has_growth)
        json_object_set_new(site, "growth",
                            json_pack("{s:I,s:I,s:I}", "bytes", (json_int_t)sn->growth_bytes,
                                      "count", (json_int_t)sn->growth_count, "streak",
                                      (json_int_t)sn->growth_streak));
    if (sn->has_age)
        json_object_set_new(
            site, "age",
            json_pack("{s:I,s:I,s:I,s:I,s:I}", "oldest_ms", (json_int_t)sn->age_oldest_ms, "p50_ms",
                      (json_int_t)sn->age_p50_ms, "p90_ms", (json_int_t)sn->age_p90_ms,
                      "gcs_survived_max", (json_int_t)sn->gcs_survived_max, "gcs_survived_p50",
                      (json_int_t)sn->gcs_survived_p50));
    if (sn->has_released)
        json_object_set_new(site, "gc_released",
                            json_pack("{s:I,s:I}", "bytes", (json_int_t)sn->released_bytes, "count",
                                      (json_int_t)sn->released_count));
    if (sn->owners) /* owners=on (owners.h) */
        json_object_set(site, "owners", sn->owners);
    json_object_set_new(site, "frames", frames);
    return site;
}

static void format_utc(time_t t, char *out, size_t len, const char *fmt)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, fmt, &tm);
}

json_t *lb_report_build(const struct lb_report_meta *meta, struct lb_snapshot *snaps, size_t nsnaps,
                        lb_report_frame_fn frame_json, void *ctx)
{
    qsort(snaps, nsnaps, sizeof *snaps, by_live_bytes);

    uint64_t live_bytes = 0, live_count = 0, alloc_bytes = 0, alloc_count = 0, freed_count = 0;
    uint64_t kind_bytes[LB_KIND_COUNT] = {0}, kind_count[LB_KIND_COUNT] = {0};
    size_t live_sites = 0, seen = 0, listed = 0;
    uint64_t limit = meta->options->report_sites;
    struct summary summarized = {0};
    json_t *sites = json_array();
    for (size_t i = 0; i < nsnaps; i++) {
        const struct lb_snapshot *sn = &snaps[i];
        if (sn->site->kind >= LB_KIND_COUNT)
            continue; /* the JDK's own (sites.h): nothing is recorded there */
        seen++;
        live_bytes += sn->live_bytes;
        live_count += sn->live_count;
        alloc_bytes += sn->allocated_bytes;
        alloc_count += sn->allocated_count;
        freed_count += sn->freed_count;
        kind_bytes[sn->site->kind] += sn->live_bytes;
        kind_count[sn->site->kind] += sn->live_count;
        bool live = sn->live_count > 0 || sn->live_bytes > 0;
        if (live)
            live_sites++;
        if (!live && !(sn->has_released && sn->released_bytes > 0))
            continue;
        /* Past the limit only what a verdict or the bounds depend on is listed. */
        bool suspect = sn->status && strcmp(sn->status, "leak-suspect") == 0;
        if (limit && listed >= limit && !suspect && !sn->site->overflow) {
            summary_add(&summarized, sn);
            continue;
        }
        listed++;
        json_array_append_new(sites, site_json(sn, frame_json, ctx));
    }
    json_t *by_kind = json_object();
    for (int k = 0; k < LB_KIND_COUNT; k++)
        json_object_set_new(by_kind, lb_kind_name((enum lb_kind)k),
                            amounts(kind_bytes[k], kind_count[k]));

    char when[32];
    format_utc(meta->wall_time, when, sizeof when, "%Y-%m-%dT%H:%M:%SZ");
    bool estimated = meta->options->sample != 0;
    json_t *report = json_pack("{s:s,s:i,s:I,s:s,s:i,s:s,s:I}", "format", LB_REPORT_FORMAT,
                               "version", LB_REPORT_VERSION, "pid", (json_int_t)meta->pid, "reason",
                               meta->reason, "sequence", (int)meta->sequence, "time", when,
                               "uptime_ms", (json_int_t)meta->uptime_ms);
    if (meta->run_id && meta->run_id[0])
        json_object_set_new(report, "run_id", json_string(meta->run_id));
    if (meta->host && meta->host[0])
        json_object_set_new(report, "host", lb_json_text(meta->host));
    if (meta->previous_sequence)
        json_object_set_new(report, "previous_sequence",
                            json_integer((json_int_t)meta->previous_sequence));
    /* Where the RSS is comes first: half the incidents are answered there. */
    if (meta->memory)
        json_object_set_new(report, "memory", meta->memory);
    json_object_set_new(report, "jvm",
                        json_pack("{s:o,s:o,s:o}", "version", lb_json_text(meta->jvm_version),
                                  "vendor", lb_json_text(meta->jvm_vendor), "name",
                                  lb_json_text(meta->jvm_name)));
    json_object_set_new(report, "options", options_json(meta->options));
    json_object_set_new(report, "sampling",
                        json_pack("{s:I,s:b}", "mean_bytes", (json_int_t)meta->options->sample,
                                  "estimated", estimated));
    json_t *totals = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "live_bytes",
                               (json_int_t)live_bytes, "live_count", (json_int_t)live_count,
                               "allocated_bytes", (json_int_t)alloc_bytes, "allocated_count",
                               (json_int_t)alloc_count, "freed_count", (json_int_t)freed_count,
                               "sites", (json_int_t)live_sites, "sites_seen", (json_int_t)seen);
    json_object_set_new(totals, "by_kind", by_kind);
    json_object_set_new(report, "totals", totals);
    json_object_set_new(report, "modules", meta->modules ? meta->modules : json_array());
    if (meta->gc)
        json_object_set_new(report, "gc", meta->gc);
    if (meta->leak_window)
        json_object_set_new(report, "leak_window", meta->leak_window);
    if (meta->memory_limit)
        json_object_set_new(report, "memory_limit", meta->memory_limit);
    if (meta->watermark)
        json_object_set_new(report, "watermark", meta->watermark);
    if (meta->agent)
        json_object_set_new(report, "agent", meta->agent);
    if (meta->owners) /* owners=on (owners.h) */
        json_object_set_new(report, "owners", meta->owners);
    json_object_set_new(report, "bounds", bounds_json(meta, snaps, nsnaps, &summarized));
    json_object_set_new(report, "sites", sites);
    return report;
}
