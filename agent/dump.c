#include "dump.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ages.h"
#include "arena.h"
#include "clock.h"
#include "frame_json.h"
#include "gc.h"
#include "json_text.h"
#include "hotspot.h"
#include "leakbridge/output_path.h"
#include "leakbridge/report_format.h"
#include "leakbridge/state_file.h"
#include "leakbridge/units.h"
#include "leakbridge/version.h"
#include "live_table.h"
#include "jmx.h"
#include "log.h"
#include "memory_limit.h"
#include "memory.h"
#include "pools.h"
#include "report.h"
#include "report_writer.h"
#include "runtime.h"
#include "site_kind.h"
#include "site_status.h"
#include "symbols.h"
#include "tracker.h"

/* How long a forced GC may wait for Cleaners and finalizers before the dump goes on. */
#define GC_SETTLE_MAX_MS 3000

const char *lb_dump_reason_name(enum lb_dump_reason reason)
{
    static const char *const names[] = {"exit",   "jcmd",      "interval", "api",
                                        "attach", "watermark", "mxbean"};
    return (unsigned)reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}

/* Held for a whole dump: dumps are serialized, hooks never take it. */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned dump_sequence;
static struct lb_site_status_history history;
/* Guards history and last_path for readers outside a dump (the MXBean); a dump holds it only
 * while it judges growth and when it notes the path it wrote, so a reader never waits for a
 * forced GC or a write. */
static pthread_mutex_t history_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_path[LB_OUTPUT_MAX + PATH_MAX + 2];

static json_t *agent_facts(uint64_t held_us)
{
    struct lb_live_table_stats ts;
    lb_live_table_stats(&ts);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o*}", "version", LB_VERSION, "mode",
                     lb_runtime.attached ? "attach" : "startup", "tracked_blocks",
                     (json_int_t)ts.live, "live_table_bytes", (json_int_t)ts.bytes,
                     "live_table_retired_bytes", (json_int_t)ts.retired_bytes, "arena_bytes",
                     (json_int_t)lb_arena_mapped_bytes(), "dump_longest_lock_us",
                     (json_int_t)held_us, "pool_api", lb_pools_json());
}

static JNIEnv *current_jni(void)
{
    JNIEnv *jni = NULL;
    if ((*lb_runtime.vm)->GetEnv(lb_runtime.vm, (void **)&jni, JNI_VERSION_1_6) != JNI_OK)
        return NULL;
    return jni;
}

/* Forces a GC and sets each site's released_* to what its live figures dropped by. */
static struct lb_snapshot *gc_and_snapshot(JNIEnv *jni, size_t *n, json_t **gc_json)
{
    struct lb_snapshot *before = NULL, *after = NULL;
    size_t nbefore = lb_snapshot_take(&before);
    uint64_t start = lb_clock_ms();
    bool forced = lb_gc_force_and_settle(jni, GC_SETTLE_MAX_MS);
    uint64_t waited = lb_clock_ms() - start;
    *n = lb_snapshot_take(&after);
    uint64_t released_bytes = 0, released_count = 0;
    if (forced && before && after) {
        /* Snapshots list sites newest first, and sites are only ever added. */
        size_t skip = *n - nbefore;
        for (size_t i = 0; i < nbefore; i++) {
            struct lb_snapshot *a = &after[skip + i], *b = &before[i];
            if (a->site != b->site)
                break;
            a->has_released = true;
            a->released_bytes = b->live_bytes > a->live_bytes ? b->live_bytes - a->live_bytes : 0;
            a->released_count = b->live_count > a->live_count ? b->live_count - a->live_count : 0;
            released_bytes += a->released_bytes;
            released_count += a->released_count;
        }
    }
    free(before);
    *gc_json =
        json_pack("{s:I,s:b,s:I,s:I,s:I}", "cycles", (json_int_t)atomic_load(&lb_clock_gc_epoch),
                  "forced", forced, "wait_ms", (json_int_t)waited, "released_bytes",
                  (json_int_t)released_bytes, "released_count", (json_int_t)released_count);
    return after;
}

static void say_written(json_t *report, const char *shown, enum lb_dump_reason reason, uint64_t ms)
{
    json_t *totals = json_object_get(report, "totals");
    char live[LB_UNITS_MAX];
    lb_units_bytes(json_integer_value(json_object_get(totals, "live_bytes")), live);
    size_t suspects = 0, i;
    json_t *site;
    json_array_foreach(json_object_get(report, "sites"), i, site)
    {
        const char *status = json_string_value(json_object_get(site, "status"));
        suspects += status && strcmp(status, "leak-suspect") == 0;
    }
    char suspect_text[64] = "";
    if (suspects)
        snprintf(suspect_text, sizeof suspect_text, ", %zu leak-suspect", suspects);
    json_int_t blocks = json_integer_value(json_object_get(totals, "live_count"));
    json_int_t sites = json_integer_value(json_object_get(totals, "sites"));
    lb_log("report written to %s (%s) in %llu ms: %s live in %lld %s at %lld %s%s%s", shown,
           lb_dump_reason_name(reason), (unsigned long long)ms, live, (long long)blocks,
           lb_units_plural(blocks, "block", "blocks"), (long long)sites,
           lb_units_plural(sites, "site", "sites"), suspect_text,
           lb_runtime.options.sample ? ", estimated from samples" : "");
}

/* The exit report waits this long for a dump in progress, then gives up: a dump stuck in a
 * forced GC that the exiting JVM will never run must not hang the exit too. */
#define EXIT_WAIT_S 10

static bool lock_for(enum lb_dump_reason reason)
{
    if (reason != LB_DUMP_EXIT) {
        pthread_mutex_lock(&dump_lock);
        return true;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += EXIT_WAIT_S;
    if (pthread_mutex_timedlock(&dump_lock, &until) == 0)
        return true;
    lb_log("no exit report: the dump in progress did not finish within %d s", EXIT_WAIT_S);
    return false;
}

/* The memory section. JMX figures (Java code) only on the dumper thread: the exit report runs
 * in VMDeath on an application thread, and the Java API's dump on the caller's. */
static json_t *memory_section(const struct lb_snapshot *snaps, size_t n, bool java_allowed)
{
    struct lb_memory_input in = {.agent_bytes = lb_arena_mapped_bytes(),
                                 .jdk_major = atoi(lb_runtime.jvm_version)};
    for (size_t i = 0; snaps && i < n; i++) {
        unsigned kind = snaps[i].site->kind;
        /* A pool's chunks count whole here: the blocks carved from them are in the chunks. */
        uint64_t bytes = snaps[i].live_bytes + snaps[i].pool_handed_out_bytes;
        if (kind == LB_KIND_MALLOC || kind == LB_KIND_DIRECT_BUFFER || kind == LB_KIND_UNSAFE)
            in.tracked_bytes += bytes;
        else if (kind == LB_KIND_MMAP)
            in.tracked_mmap_bytes += bytes;
    }
    static struct lb_jmx jmx; /* under dump_lock; too large for the dumper's stack */
    JNIEnv *jni = java_allowed ? current_jni() : NULL;
    if (jni) {
        uint64_t start = lb_clock_us();
        lb_jmx_read(jni, lb_hotspot_nmt_on(), &jmx);
        in.jmx = &jmx;
        in.jmx_us = lb_clock_us() - start;
    }
    return lb_memory_section(&in);
}

/* The report's "memory_limit": the limit the process lives under and its usage now. */
static json_t *limit_json(void)
{
    struct lb_memory_limit m;
    lb_memory_limit_now(&m);
    json_t *o = json_pack("{s:i}", "cgroup_version", m.cgroup_version);
    if (o && m.dir[0])
        json_object_set_new(o, "cgroup", lb_json_text(m.dir));
    const struct {
        const char *name;
        int64_t value;
    } figures[] = {{"limit_bytes", m.limit_bytes},
                   {"high_bytes", m.high_bytes},
                   {"usage_bytes", m.usage_bytes},
                   {"working_set_bytes", m.working_set_bytes},
                   {"rss_bytes", m.rss_bytes}};
    for (size_t i = 0; o && i < sizeof figures / sizeof figures[0]; i++)
        if (figures[i].value >= 0)
            json_object_set_new(o, figures[i].name, json_integer(figures[i].value));
    return o;
}

static bool dump(enum lb_dump_reason reason, const char *path_wanted, bool force_gc, char *written,
                 size_t written_len, json_t *watermark, bool java_allowed)
{
    if (!lock_for(reason)) {
        json_decref(watermark);
        return false;
    }
    uint64_t started = lb_clock_ms();
    bool ok = false;
    /* A dump that waited for the exit report to finish has nothing left to say. */
    if (atomic_load(&lb_runtime.phase) != LB_PHASE_LIVE)
        goto out;
    unsigned seq = ++dump_sequence;
    /* The report's time and uptime are read together, before a forced GC, so that time minus
     * uptime is the same for every report of the run (the command tells JVMs apart by it). */
    time_t now = time(NULL);
    uint64_t uptime = lb_clock_ms();
    char path[LB_OUTPUT_MAX], shown[LB_OUTPUT_MAX + PATH_MAX + 2], err[LB_OUTPUT_MAX + 256];
    if (path_wanted) {
        if (snprintf(path, sizeof path, "%s", path_wanted) >= (int)sizeof path) {
            lb_log("cannot write report: path '%.200s...' is too long", path_wanted);
            goto out;
        }
    } else if (!lb_output_path_expand(
                   lb_runtime.options.output,
                   &(struct lb_output_path_values){(long)getpid(), now, seq, NULL}, path,
                   sizeof path)) {
        lb_log("cannot write report: output path '%s' is too long", lb_runtime.options.output);
        goto out;
    }
    lb_output_path_absolute(path, shown, sizeof shown);

    struct lb_snapshot *snaps = NULL;
    size_t n;
    json_t *gc = NULL;
    bool exiting = reason == LB_DUMP_EXIT;
    lb_site_kind_settle_new(); /* the JDK's own sites are left out of every report */
    if ((force_gc || lb_runtime.options.gc) && (!exiting || lb_gc_can_force_at_exit())) {
        /* At exit, no Java code is run: a Cleaner that blocks must not hang the JVM's exit. */
        snaps = gc_and_snapshot(exiting ? NULL : current_jni(), &n, &gc);
    } else {
        n = lb_snapshot_take(&snaps);
        gc = json_pack("{s:I,s:b}", "cycles", (json_int_t)atomic_load(&lb_clock_gc_epoch), "forced",
                       false);
    }
    lb_live_table_foreach_longest_hold_ns();
    if (snaps) {
        lb_ages_fill(snaps, n, lb_clock_ms(), atomic_load(&lb_clock_gc_epoch));
        lb_pools_apply(snaps, n); /* before growth is judged: a chunk's site is free space */
    }
    uint64_t held_us = lb_live_table_foreach_longest_hold_ns() / 1000;
    unsigned previous = history.sequence;
    json_t *window_json = NULL;
    if (snaps) {
        struct lb_site_status_window window;
        pthread_mutex_lock(&history_lock);
        lb_site_status_judge(&history, snaps, n, seq, uptime, lb_runtime.options.leak_window_ms,
                             lb_runtime.options.sample, &window);
        pthread_mutex_unlock(&history_lock);
        window_json = json_pack("{s:I,s:I,s:i,s:b}", "window_ms", (json_int_t)window.window_ms,
                                "observed_ms", (json_int_t)window.observed_ms, "reports",
                                (int)window.reports, "decidable", window.decidable);
    }
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    json_t *memory = memory_section(snaps, n, java_allowed);
    struct lb_frame_json *java = lb_frame_json_new();
    struct lb_report_meta meta = {
        .reason = lb_dump_reason_name(reason),
        .pid = (long)getpid(),
        .wall_time = now,
        .uptime_ms = uptime,
        .host = host,
        .run_id = lb_runtime.run_id,
        .sequence = seq,
        .jvm_version = lb_runtime.jvm_version,
        .jvm_vendor = lb_runtime.jvm_vendor,
        .jvm_name = lb_runtime.jvm_name,
        .options = &lb_runtime.options,
        .modules = lb_symbols_modules_json(),
        .agent = agent_facts(held_us),
        .gc = gc,
        .leak_window = window_json,
        .memory_limit = limit_json(),
        .watermark = watermark,
        .memory = memory,
        .previous_sequence = previous,
    };
    json_t *report =
        java && snaps ? lb_report_build(&meta, snaps, n, lb_frame_json_get, java) : NULL;
    if (!report) {
        json_decref(meta.modules);
        json_decref(meta.agent);
        json_decref(meta.gc);
        json_decref(meta.leak_window);
        json_decref(meta.memory_limit);
        json_decref(meta.watermark);
        json_decref(meta.memory);
    }
    watermark = NULL; /* the report has it */
    lb_frame_json_free(java);
    free(snaps);
    if (!report) {
        lb_log("cannot write report to %s: out of memory", shown);
        goto out;
    }
    ok = lb_report_writer_write(report, path, err, sizeof err);
    if (ok) {
        say_written(report, shown, reason, lb_clock_ms() - started);
        pthread_mutex_lock(&history_lock);
        snprintf(last_path, sizeof last_path, "%s", shown);
        pthread_mutex_unlock(&history_lock);
        if (written)
            snprintf(written, written_len, "%s", shown);
    } else {
        lb_log("%s", err);
    }
    json_decref(report);
out:
    json_decref(watermark); /* NULL once the report took it */
    pthread_mutex_unlock(&dump_lock);
    return ok;
}

bool lb_dump_previous_live(uint32_t site_id, uint64_t *live_bytes, unsigned *sequence)
{
    pthread_mutex_lock(&history_lock);
    bool known = history.sequence != 0;
    *live_bytes = known && site_id < history.cap ? history.by_id[site_id].live_bytes : 0;
    *sequence = history.sequence;
    pthread_mutex_unlock(&history_lock);
    return known;
}

void lb_dump_last_path(char *out, size_t len)
{
    pthread_mutex_lock(&history_lock);
    snprintf(out, len, "%s", last_path);
    pthread_mutex_unlock(&history_lock);
}

void lb_dump_check_output(void)
{
    char why[LB_OUTPUT_MAX + 256];
    if (!lb_output_path_check(lb_runtime.options.output, why, sizeof why))
        lb_log("%s", why);
    else
        lb_output_path_remove_stale(lb_runtime.options.output);
}

bool lb_dump_write(enum lb_dump_reason reason, const char *path_wanted, bool force_gc,
                   char *written, size_t written_len)
{
    return dump(reason, path_wanted, force_gc, written, written_len, NULL, false);
}

bool lb_dump_watermark(json_t *watermark)
{
    return dump(LB_DUMP_WATERMARK, NULL, false, NULL, 0, watermark, true);
}

bool lb_dump(enum lb_dump_reason reason)
{
    return dump(reason, NULL, false, NULL, 0, NULL, false);
}

bool lb_dump_on_dumper_thread(enum lb_dump_reason reason)
{
    return dump(reason, NULL, false, NULL, 0, NULL, true);
}
