/* Reading reports: loads a report file, checks every field the commands use and gives them a
 * typed view of it. A file is read a piece at a time: every member but the sites is kept as a
 * JSON document (root); each site is parsed alone, checked, kept as the structs below (its
 * strings interned: one copy of each class, method or module name) and its JSON let go, so
 * that a report of 200,000 sites takes less memory than its text. Strings point into the
 * document or into the report's interned strings, which the report owns. */
#ifndef LBC_REPORT_READER_H
#define LBC_REPORT_READER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LBC_ERR_MAX 512
/* Frames a site may have: the agent writes at most 256 (its depth option); a stack deeper than
 * this is refused rather than walked recursively. */
#define LBC_FRAMES_MAX 4096

enum lbc_frame_type { LBC_FRAME_JAVA, LBC_FRAME_NATIVE, LBC_FRAME_OTHER };

struct lbc_frame {
    enum lbc_frame_type type;
    const char *type_name; /* as written, for a type this reader does not know */
    /* Java frames */
    const char *class_name;
    const char *method;
    const char *signature; /* NULL when absent */
    const char *file;      /* NULL when absent */
    int64_t line;          /* -1 when absent */
    /* native frames */
    const char *module;    /* NULL when null */
    const char *symbol;    /* NULL when null */
    const char *offset;    /* "0x..." */
    int64_t symbol_offset; /* -1 when absent */
    /* The frame's object, only when it has a type or members this reader does not know (a
     * later version's): written out as it was (lbc_reader_frame_json). NULL otherwise. */
    json_t *json;
};

/* owners=on (docs/report-format.md#owners): what holds a site's blocks. */
#define LBC_OWNER_PATHS_MAX 8 /* paths kept per site; the agent lists at most 3 */

struct lbc_owner_path {
    const char *text; /* root first, steps joined by " → " */
    int64_t blocks, bytes;
};

struct lbc_owners {
    int64_t examined;
    size_t npaths;
    struct lbc_owner_path paths[LBC_OWNER_PATHS_MAX];
    int64_t other_blocks;                  /* on paths not listed */
    int64_t unreachable_blocks, collected; /* no GC root reaches the holder; of them, collected */
    bool gc_deferred;                      /* ... and a Cleaner frees them (direct buffers) */
    const char *holder;                    /* the first unreachable holder's class, or NULL */
    int64_t without_holder_blocks;         /* no object holds the address */
    int64_t unknown_blocks;                /* the walk ran out of its budget first */
    const char *unknown_reason;            /* time, memory, error */
};

struct lbc_site {
    int64_t id;
    const char *kind;
    const char *status;
    const char *status_rule; /* NULL when absent */
    int64_t live_bytes, live_count;
    int64_t allocated_bytes, allocated_count, freed_count;
    bool has_growth;
    int64_t growth_bytes, growth_count, growth_streak;
    bool has_gc_released;
    int64_t gc_released_bytes, gc_released_count;
    int64_t inputs;  /* reports a merged site appeared in; 1 for an ordinary report */
    bool has_inputs; /* whether the site says so */
    /* An overflow site (docs/report-format.md#bounds): stacks folded past the agent's bounds. */
    bool overflow;
    const char *overflow_module; /* NULL: Java code, Unsafe, direct buffers, the JDK */
    int64_t folded_stacks, folded_allocations;
    /* A pool's blocks (kind pool): its tag; a chunk of a pool: the pool whose free space the
     * site's bytes are (docs/pool-api.md). NULL when not. */
    const char *pool, *pool_chunks;
    int64_t pool_capacity_bytes, pool_handed_out_bytes;
    struct lbc_owners *owners; /* NULL without (most sites): a site stays small */
    size_t nframes;
    struct lbc_frame *frames; /* leaf first */
};

/* The memory section (docs/report-format.md#memory): where the process's RSS is. */
#define LBC_MEMORY_ITEMS_MAX 1024 /* regions, parts of a region, findings: at most this many */

struct lbc_region_part {
    const char *name;
    int64_t rss_bytes;
};

/* A region. Any region may carry any figure: a figure is -1 (a text NULL) when the region has
 * none or it is null, so that a region or figure of a later version is shown as it is. */
struct lbc_region {
    json_t *json; /* the region's object in the document (borrowed) */
    const char *name;
    int64_t rss_bytes;
    bool exact;
    const char *figures_from;                       /* jmx, perf_data, none */
    int64_t used_bytes, committed_bytes, max_bytes; /* java_heap, metaspace, code_cache */
    const char *collector;                          /* java_heap */
    int64_t count;                                  /* thread_stacks: threads */
    const char *allocator;                          /* malloc */
    int64_t in_use_bytes, free_bytes, arenas, tracked_bytes;
    int64_t cds_rss_bytes; /* mapped_files */
    size_t nparts;         /* other */
    struct lbc_region_part *parts;
};

struct lbc_finding {
    json_t *json; /* the finding's object (borrowed) */
    const char *code, *message;
    int64_t inputs; /* merged reports: how many inputs had it; 1 otherwise */
};

struct lbc_memory {
    int64_t rss_bytes, unexplained_bytes; /* the regions and unexplained_bytes add up to rss */
    size_t nregions, nfindings;
    struct lbc_region *regions; /* in the report's order, each name once */
    struct lbc_finding *findings;
};

/* memory_limit: each figure -1 when absent. */
struct lbc_memory_limit {
    int64_t limit_bytes, usage_bytes, working_set_bytes, rss_bytes;
};

struct lbc_strings;
struct lbc_stream;

struct lbc_report {
    json_t *root;                /* the document, with its sites left out (an empty array) */
    struct lbc_strings *strings; /* the sites' strings, interned */
    struct lbc_stream *stream;   /* the parse, which holds the header's strings */
    const char *path;            /* as the user named it */
    int64_t pid, sequence, uptime_ms;
    const char *reason, *time;
    /* When the JVM's agent started, in ms since the epoch: time minus uptime_ms, so within a
     * few seconds (time has whole seconds and is taken before a dump's forced GC); has_start is
     * false when time is not of the form 2026-11-22T03:00:00Z. */
    bool has_start;
    int64_t start_ms;
    const char *host;     /* the optional "host"; NULL when absent */
    const char *run_id;   /* the optional "run_id"; NULL when absent */
    const char *jvm_base; /* base of libjvm.so in modules ("0x7f..."): per process; NULL if none */
    /* The optional leak_window: whether this report can hold a leak-suspect verdict. */
    bool has_leak_window, decidable;
    int64_t window_ms, observed_ms, window_reports;
    const char *jvm_version, *jvm_vendor, *jvm_name;
    const char *output; /* the agent's output pattern */
    int64_t sample_mean;
    bool estimated;
    int64_t merged_inputs;          /* 0 unless written by leakbridge merge */
    int64_t live_bytes, live_count; /* sums over sites */
    bool has_memory;                /* the optional memory section (agents from 0.2) */
    struct lbc_memory memory;
    bool has_memory_limit; /* the optional memory_limit */
    struct lbc_memory_limit memory_limit;
    size_t nsites;
    struct lbc_site *sites; /* in the report's order: largest live_bytes first */
};

/* Loads and checks the report at path. On failure returns NULL and writes one line saying what
 * was wrong, without the file name (the caller adds it). The caller frees with
 * lbc_reader_free. */
struct lbc_report *lbc_reader_load(const char *path, char *err, size_t err_len);

/* The same over a document in memory; takes over root's reference (also on failure). */
struct lbc_report *lbc_reader_from_json(json_t *root, const char *path, char *err, size_t err_len);

/* Loads path or prints "leakbridge: PATH: WHY" on stderr and returns NULL. */
struct lbc_report *lbc_reader_open(const char *path);

/* Loads the n reports at paths into out[], two at a time (a second thread: each big report
 * takes seconds). When one cannot be read, says so as lbc_reader_open does for the first such
 * path only, frees the others, leaves out[] NULL and returns false. */
bool lbc_reader_open_all(char *const *paths, size_t n, struct lbc_report **out);

void lbc_reader_free(struct lbc_report *report);

/* A frame as the report has it ({"type": "java", "class", ...}): built from its fields, or the
 * frame's own object when it has more. NULL when out of memory. */
json_t *lbc_reader_frame_json(const struct lbc_frame *f);

/* A site's frames as a JSON array, leaf first. NULL when out of memory. */
json_t *lbc_reader_frames_json(const struct lbc_site *s);

#endif
