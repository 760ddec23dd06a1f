/* The agent's options: "key=value,key=value" as given after -agentpath:...= */
#ifndef LB_OPTIONS_H
#define LB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_OUTPUT_MAX 4096
#define LB_DEPTH_MAX 256
/* 2 MiB: on a JNI malloc/free churn of 64 B-64 KiB blocks the overhead was 1.65x at 512 KiB,
 * 1.45x at 1 MiB and 1.3x at 2 MiB (docs/performance.md), while a leak of 100 MB in ~100 KB
 * blocks is still estimated within about 10%. */
#define LB_SAMPLE_DEFAULT (2u * 1024u * 1024u)

/* leak-suspect means "kept growing over this window" (docs/report-format.md#status): long
 * enough that a buffer pool filling up at start is not a leak, short enough that a test JVM of
 * a few tens of seconds with interval dumps gets a verdict. */
#define LB_LEAK_WINDOW_DEFAULT_MS 10000u

/* The agent's own memory (docs/options.md): sites before new stacks fold into overflow sites,
 * bytes of its arena (sites and live tables), and sites listed in full in a report. 50,000
 * sites of 64 frames take about 100 MB; a report lists 10,000 sites in about 25 MB. */
#define LB_MAX_SITES_DEFAULT 50000u
#define LB_MAX_MEMORY_DEFAULT ((uint64_t)1 << 30)
#define LB_REPORT_SITES_DEFAULT 10000u

/* owners=on (docs/options.md): the heap walk's budget per dump. A walk stops every Java thread
 * while it runs (a safepoint); 20 million objects took 27 s for the first pass and 1.6 GB
 * on JDK 17 (docs/performance.md, Owners). */
#define LB_OWNERS_TIME_DEFAULT_MS 5000u
#define LB_OWNERS_MEMORY_DEFAULT ((uint64_t)1 << 30)

/* At most this many dump_at thresholds. */
#define LB_DUMP_AT_MAX 8

struct lb_options {
    char output[LB_OUTPUT_MAX];      /* path pattern with %p %t %n %% */
    uint64_t sample;                 /* mean bytes between samples; 0 = record every allocation */
    uint64_t interval_ms;            /* dump period; 0 = never */
    uint32_t depth;                  /* frames per stack, 1..LB_DEPTH_MAX */
    bool gc;                         /* force a GC before each dump */
    bool native;                     /* track the malloc family in JNI libraries */
    uint64_t leak_window_ms;         /* growth over this long makes a leak-suspect; > 0 */
    uint8_t dump_at[LB_DUMP_AT_MAX]; /* watermark dumps at these percents of the memory limit */
    int ndump_at;                    /* 0: none */
    uint64_t dump_at_bytes;          /* a watermark dump when RSS reaches this; 0: none */
    uint64_t max_sites;              /* sites before stacks are folded; 0: no bound */
    uint64_t max_memory;             /* bytes of the agent's arena; 0: no bound */
    uint64_t report_sites;           /* sites a report lists in full; 0: all */
    bool owners;                     /* a heap walk per dump with gc=on: what holds each block */
    uint64_t owners_time_ms;         /* the walk's time budget; 0: no bound */
    uint64_t owners_memory;          /* the walk's memory budget; 0: no bound */
};

void lb_options_defaults(struct lb_options *opts);

/* Parses text (NULL or "" means all defaults) into *opts. On a bad, unknown or repeated
 * option returns false and writes one line naming the option and what was expected. */
bool lb_options_parse(const char *text, struct lb_options *opts, char *err, size_t err_len);

/* Parses "512k", "1m", "4096", "0" (powers of 1024). */
bool lb_options_parse_size(const char *text, uint64_t *bytes);

/* Parses "0", "250ms", "30s", "5m", "1h". */
bool lb_options_parse_duration(const char *text, uint64_t *ms);

#endif
