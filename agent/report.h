/* The report as JSON, built with jansson from the sites' snapshots and the dump's facts
 * (report_writer.h writes it). docs/report-format.md is the contract; docs/report.schema.json
 * checks it. */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "leakbridge/options.h"
#include "snapshot.h"

/* What the agent's bounds on its own memory did (docs/options.md: max_sites, max_memory). */
struct lb_report_bounds {
    struct lb_sites_folding folding;
    uint64_t untracked_bytes, untracked_count; /* the live table was full */
};

struct lb_report_meta {
    const char *reason; /* exit, jcmd, interval, api, attach */
    long pid;
    const char *host;   /* gethostname(): the pod's name on Kubernetes, where pids repeat */
    const char *run_id; /* random at the agent's start: the same in every report of the run */
    time_t wall_time;
    uint64_t uptime_ms;
    unsigned sequence;
    const char *jvm_version, *jvm_vendor, *jvm_name;
    const struct lb_options *options;
    json_t *modules;            /* reference stolen; NULL gives [] */
    json_t *agent;              /* reference stolen; facts about the agent itself, or NULL */
    json_t *gc;                 /* reference stolen; GC facts, or NULL */
    json_t *leak_window;        /* reference stolen; can this report hold leak-suspect, or NULL */
    json_t *memory_limit;       /* reference stolen; the memory limit and usage, or NULL */
    json_t *watermark;          /* reference stolen; the threshold a watermark dump crossed */
    json_t *memory;             /* reference stolen; where the RSS is (memory.h), or NULL */
    json_t *owners;             /* reference stolen; the owners walk (owners.h), or NULL */
    unsigned previous_sequence; /* the report growth is measured against; 0: none */
    const struct lb_report_bounds *bounds; /* or NULL: nothing was folded or left untracked */
};

/* Turns one captured frame into its JSON object (a new reference). */
typedef json_t *(*lb_report_frame_fn)(void *ctx, const struct lb_site *site,
                                      const struct lb_frame *frame);

/* The whole report. Sorts snaps by live bytes; lists the sites with live blocks, and those
 * a forced GC released memory of: at most options->report_sites of them (0: all) with every
 * leak-suspect and overflow site besides, the rest summed up in "summarized". */
json_t *lb_report_build(const struct lb_report_meta *meta, struct lb_snapshot *snaps, size_t nsnaps,
                        lb_report_frame_fn frame_json, void *ctx);

#endif
