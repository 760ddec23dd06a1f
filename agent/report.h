/* The report: JSON built with jansson from a snapshot of the sites, written whole (temporary
 * file, then rename) so that a reader never sees half of one. docs/report-format.md is the
 * contract; docs/report.schema.json checks it. */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "leakbridge/options.h"
#include "sites.h"

/* A site's counters read once, so that a report adds up even while threads allocate. */
struct lb_site_snapshot {
    const struct lb_site *site;
    uint64_t live_bytes, live_count;
    uint64_t allocated_bytes, allocated_count;
    uint64_t freed_bytes, freed_count;

    /* What the dumper found out about the site for this dump (ages.h, classify.h). */
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
};

/* Reads every site's counters; *out is malloc'd, the caller frees it. Returns the count. */
size_t lb_report_snapshot(struct lb_site_snapshot **out);

struct lb_report_meta {
    const char *reason; /* exit, jcmd, interval, api, attach */
    long pid;
    time_t wall_time;
    uint64_t uptime_ms;
    unsigned sequence;
    const char *jvm_version, *jvm_vendor, *jvm_name;
    const struct lb_options *options;
    json_t *modules;            /* reference stolen; NULL gives [] */
    json_t *agent;              /* reference stolen; facts about the agent itself, or NULL */
    json_t *gc;                 /* reference stolen; GC facts, or NULL */
    unsigned previous_sequence; /* the report growth is measured against; 0: none */
};

/* Turns one captured frame into its JSON object (a new reference). */
typedef json_t *(*lb_report_frame_fn)(void *ctx, const struct lb_site *site,
                                      const struct lb_frame *frame);

/* The whole report. Sorts snaps by live bytes; lists the sites with live blocks, and those
 * a forced GC released memory of. */
json_t *lb_report_build(const struct lb_report_meta *meta, struct lb_site_snapshot *snaps,
                        size_t nsnaps, lb_report_frame_fn frame_json, void *ctx);

/* Writes report to path through a temporary file in the same directory and a rename. On failure
 * returns false and writes one line saying what failed into err. */
bool lb_report_write(json_t *report, const char *path, char *err, size_t err_len);

/* A JSON string of text; bytes that are not valid UTF-8 become '?', NULL becomes "". */
json_t *lb_json_text(const char *text);

#endif
