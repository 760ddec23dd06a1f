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

#include "activation.h"
#include "ages.h"
#include "allocator.h"
#include "arena.h"
#include "clock.h"
#include "frame_json.h"
#include "gc.h"
#include "json_text.h"
#include "hotspot.h"
#include "leakbridge/atomic_file.h"
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
#include "owners.h"
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

/* Held for a whole dump, the exit report's excepted: those dumps are serialized, hooks never
 * take it. The exit report never takes it: the dump holding it may be stuck in a forced GC
 * that the exiting JVM will never finish, or long in writing a huge report. */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
/* Guards the sequence, history and last_path; a dump holds it only while it takes its number
 * and judges growth, and when it notes the path it wrote, so a reader (the MXBean) or the exit
 * report never waits for a forced GC or a write. A number is taken together with the judging,
 * so that reports are judged in the order of their numbers. */
static pthread_mutex_t history_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned dump_sequence;
static struct lb_site_status_history history;
static char last_path[LB_OUTPUT_MAX + PATH_MAX + 2];
static unsigned last_path_sequence;
/* The dump other than the exit report that has its number and has not finished: the exit
 * report says it was abandoned, and removes its temporary file if it is writing. writing_lock
 * guards it and the setting of lb_runtime.exiting, so that no dump takes a number or starts
 * writing once the exit report has started (lock order: writing_lock, then history_lock). */
static pthread_mutex_t writing_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned sequence; /* 0: none */
    enum lb_dump_reason reason;
    char path[LB_OUTPUT_MAX]; /* "" until it writes */
} numbered;

/* LEAKBRIDGE_TEST_SLOW_DUMP, for tests only (docs/options.md): "gc" makes every dump but the
 * exit report hang for ever where it would force a GC (as a forced GC under ZGC did while the
 * JVM exited); "write" makes every dump but the exit report write until the JVM exits (at most
 * a minute), as a huge report would. */
enum test_slow { SLOW_NONE, SLOW_GC, SLOW_WRITE };
static enum test_slow test_slow;
#define SLOW_WRITE_MAX_MS 60000

static json_t *agent_facts(uint64_t held_us)
{
    struct lb_live_table_stats ts;
    lb_live_table_stats(&ts);
    struct lb_activation_stats as;
    lb_activation_stats(&as);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "version", LB_VERSION,
                     "mode", lb_runtime.attached ? "attach" : "startup", "tracked_blocks",
                     (json_int_t)ts.live, "live_table_bytes", (json_int_t)ts.bytes,
                     "live_table_retired_bytes", (json_int_t)ts.retired_bytes, "arena_bytes",
                     (json_int_t)lb_arena_mapped_bytes(), "dump_longest_lock_us",
                     (json_int_t)held_us, "java_walks", (json_int_t)as.kept, "java_walks_reused",
                     (json_int_t)as.reused, "native_walks_reused", (json_int_t)as.native_reused,
                     "pool_api", lb_pools_json());
}

/* One line the first time each bound is reached, at the dump that finds it (a hook cannot
 * write): from then on the report's "bounds" says what it cost. */
static void say_bounds_reached(const struct lb_report_bounds *b)
{
    static bool said_sites, said_memory;
    const struct lb_options *o = &lb_runtime.options;
    if (b->folding.by_count && !said_sites) {
        said_sites = true;
        lb_log("max_sites=%llu reached: stacks seen since are folded into one overflow site per "
               "kind and module (the report's \"bounds\" says how many)",
               (unsigned long long)o->max_sites);
    }
    if ((b->folding.by_memory || b->untracked_count) && !said_memory) {
        char limit[LB_UNITS_MAX];
        lb_units_bytes(o->max_memory, limit);
        said_memory = true;
        lb_log("max_memory=%s reached: new stacks are folded into overflow sites and blocks the "
               "live table has no room for are counted untracked (the report's \"bounds\")",
               limit);
    }
}

static JNIEnv *current_jni(void)
{
    JNIEnv *jni = NULL;
    if ((*lb_runtime.vm)->GetEnv(lb_runtime.vm, (void **)&jni, JNI_VERSION_1_6) != JNI_OK)
        return NULL;
    return jni;
}

/* Forces a GC and sets each site's released_* to what its live figures dropped by. */
static struct lb_snapshot *gc_and_snapshot(JNIEnv *jni, bool exit_report, size_t *n,
                                           json_t **gc_json)
{
    struct lb_snapshot *before = NULL, *after = NULL;
    size_t nbefore = lb_snapshot_take(&before);
    uint64_t start = lb_clock_ms();
    if (!exit_report && test_slow == SLOW_GC && !atomic_load(&lb_runtime.exiting))
        for (;;)
            sleep(60);
    bool forced = lb_gc_force_and_settle(jni, GC_SETTLE_MAX_MS, exit_report);
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

/* How often a dump waiting for another looks whether the exit report has started. */
#define LOCK_POLL_MS 20

/* Takes dump_lock for a dump other than the exit report; false once the exit report has
 * started: a jcmd or MXBean dump asked for during the exit never waits on a dump stuck in a
 * forced GC, it gives up. */
static bool lock_unless_exiting(void)
{
    while (!atomic_load(&lb_runtime.exiting)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LOCK_POLL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_mutex_timedlock(&dump_lock, &until) == 0)
            return true;
    }
    return false;
}

/* The exit report starts: every other dump gives up where it is, none takes a number or
 * starts writing, and the one numbered already is said to be abandoned (its number stays
 * without a file), its temporary file removed if it is writing (it stops at its next look). */
static void start_exit(void)
{
    char tmp[sizeof((struct lb_atomic_file *)NULL)->tmp], path[sizeof numbered.path];
    pthread_mutex_lock(&writing_lock);
    atomic_store(&lb_runtime.exiting, true);
    unsigned other = numbered.sequence;
    enum lb_dump_reason reason = numbered.reason;
    snprintf(path, sizeof path, "%s", numbered.path);
    pthread_mutex_unlock(&writing_lock);
    if (path[0] && lb_atomic_file_temp_name(path, tmp, sizeof tmp))
        unlink(tmp);
    /* Its rename, if it came first, made the report whole; after the unlink none can come. */
    if (other && !(path[0] && access(path, F_OK) == 0))
        lb_log("the %s report %u was abandoned: the JVM is exiting, the exit report is written "
               "instead",
               lb_dump_reason_name(reason), other);
}

/* A dump other than the exit report is about to write path: false if the exit report has
 * started (nothing is written then). */
static bool begin_writing(const char *path)
{
    pthread_mutex_lock(&writing_lock);
    bool go = !atomic_load(&lb_runtime.exiting);
    if (go)
        snprintf(numbered.path, sizeof numbered.path, "%s", path);
    pthread_mutex_unlock(&writing_lock);
    return go;
}

/* A dump other than the exit report is done, written or not. */
static void end_numbered(void)
{
    pthread_mutex_lock(&writing_lock);
    numbered.sequence = 0;
    numbered.path[0] = '\0';
    pthread_mutex_unlock(&writing_lock);
}

/* Asked by the report writer of a dump other than the exit report before each site and each
 * write: it stops once the exit report has started. */
static bool still_wanted(void *ctx)
{
    uint64_t *started_ms = ctx;
    while (test_slow == SLOW_WRITE && !atomic_load(&lb_runtime.exiting) &&
           lb_clock_ms() - *started_ms < SLOW_WRITE_MAX_MS)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    return !atomic_load(&lb_runtime.exiting);
}

/* The frames of a dump other than the exit report, until the exit report starts: then no more
 * are resolved (Java names take JVMTI calls), and the dump is abandoned before it writes. */
static json_t *frame_unless_exiting(void *resolver, const struct lb_site *site,
                                    const struct lb_frame *frame)
{
    return atomic_load(&lb_runtime.exiting) ? NULL : lb_frame_json_get(resolver, site, frame);
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
    /* Under dump_lock (the exit report runs no Java code); too large for the dumper's stack. */
    static struct lb_jmx jmx;
    JNIEnv *jni = java_allowed && !atomic_load(&lb_runtime.exiting) ? current_jni() : NULL;
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

/* One dump; the caller holds dump_lock, unless exit_report. */
static bool dump_locked(enum lb_dump_reason reason, const char *path_wanted, bool force_gc,
                        char *written, size_t written_len, json_t *watermark, bool java_allowed)
{
    bool exit_report = reason == LB_DUMP_EXIT;
    uint64_t started = lb_clock_ms();
    bool ok = false;
    /* A dump that waited for the exit report to start has nothing left to say. */
    if (atomic_load(&lb_runtime.phase) != LB_PHASE_LIVE ||
        (!exit_report && atomic_load(&lb_runtime.exiting)))
        goto out;
    /* The report's time and uptime are read together, before a forced GC, so that time minus
     * uptime is the same for every report of the run (the command tells JVMs apart by it). */
    time_t now = time(NULL);
    uint64_t uptime = lb_clock_ms();

    struct lb_snapshot *snaps = NULL;
    size_t n;
    json_t *gc = NULL;
    lb_site_kind_settle_new(); /* the JDK's own sites are left out of every report */
    if ((force_gc || lb_runtime.options.gc) && (!exit_report || lb_gc_can_force_at_exit())) {
        /* At exit, no Java code is run: a Cleaner that blocks must not hang the JVM's exit. */
        snaps = gc_and_snapshot(exit_report ? NULL : current_jni(), exit_report, &n, &gc);
    } else {
        n = lb_snapshot_take(&snaps);
        gc = json_pack("{s:I,s:b}", "cycles", (json_int_t)atomic_load(&lb_clock_gc_epoch), "forced",
                       false);
    }
    /* owners=on: one heap walk after the forced GC (owners.h). */
    json_t *owners = NULL;
    if (snaps && lb_runtime.options.owners && json_is_true(json_object_get(gc, "forced")) &&
        (exit_report || !atomic_load(&lb_runtime.exiting)) && current_jni())
        owners = lb_owners_find(current_jni(), snaps, n, 0, exit_report);
    lb_live_table_foreach_longest_hold_ns();
    if (snaps) {
        lb_ages_fill(snaps, n, lb_clock_ms(), atomic_load(&lb_clock_gc_epoch));
        lb_pools_apply(snaps, n); /* before growth is judged: a chunk's site is free space */
    }
    uint64_t held_us = lb_live_table_foreach_longest_hold_ns() / 1000;
    /* The number and the judging, unless the exit report started meanwhile: then this dump is
     * abandoned before it counts, and the exit report is judged against the one before. */
    pthread_mutex_lock(&writing_lock);
    bool abandoned = !exit_report && atomic_load(&lb_runtime.exiting);
    pthread_mutex_lock(&history_lock);
    unsigned seq = abandoned ? 0 : ++dump_sequence, previous = history.sequence;
    struct lb_site_status_window window = {0};
    if (snaps && !abandoned)
        lb_site_status_judge(&history, snaps, n, seq, uptime, lb_runtime.options.leak_window_ms,
                             lb_runtime.options.sample, &window);
    pthread_mutex_unlock(&history_lock);
    if (!exit_report && !abandoned) {
        numbered.sequence = seq;
        numbered.reason = reason;
    }
    pthread_mutex_unlock(&writing_lock);
    if (abandoned) {
        json_decref(gc);
        json_decref(owners);
        lb_owners_release(snaps, n);
        free(snaps);
        goto out;
    }
    json_t *window_json =
        snaps ? json_pack("{s:I,s:I,s:i,s:b}", "window_ms", (json_int_t)window.window_ms,
                          "observed_ms", (json_int_t)window.observed_ms, "reports",
                          (int)window.reports, "decidable", window.decidable)
              : NULL;
    char path[LB_OUTPUT_MAX], shown[LB_OUTPUT_MAX + PATH_MAX + 2], err[LB_OUTPUT_MAX + 256];
    bool named = true;
    if (path_wanted) {
        named = snprintf(path, sizeof path, "%s", path_wanted) < (int)sizeof path;
        if (!named)
            lb_log("cannot write report: path '%.200s...' is too long", path_wanted);
    } else if (!lb_output_path_expand(
                   lb_runtime.options.output,
                   &(struct lb_output_path_values){(long)getpid(), now, seq, NULL}, path,
                   sizeof path)) {
        named = false;
        lb_log("cannot write report: output path '%s' is too long", lb_runtime.options.output);
    }
    if (named)
        lb_output_path_absolute(path, shown, sizeof shown);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    json_t *memory = named ? memory_section(snaps, n, java_allowed) : NULL;
    struct lb_report_bounds bounds;
    lb_sites_folding(&bounds.folding);
    bounds.untracked_bytes = atomic_load(&lb_tracker_untracked_bytes);
    bounds.untracked_count = lb_sampler_count_round(atomic_load(&lb_tracker_untracked_count_fp));
    say_bounds_reached(&bounds);
    struct lb_frame_json *java = named ? lb_frame_json_new() : NULL;
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
        .modules = named ? lb_symbols_modules_json() : NULL,
        .agent = agent_facts(held_us),
        .gc = gc,
        .leak_window = window_json,
        .memory_limit = limit_json(),
        .watermark = watermark,
        .memory = memory,
        .previous_sequence = previous,
        .bounds = &bounds,
        .owners = owners,
    };
    json_t *report =
        java && snaps
            ? lb_report_build(&meta, snaps, n,
                              exit_report ? lb_frame_json_get : frame_unless_exiting, java)
            : NULL;
    if (!report) {
        json_decref(meta.modules);
        json_decref(meta.agent);
        json_decref(meta.gc);
        json_decref(meta.leak_window);
        json_decref(meta.memory_limit);
        json_decref(meta.watermark);
        json_decref(meta.memory);
        json_decref(meta.owners);
    }
    watermark = NULL; /* the report has it */
    lb_frame_json_free(java);
    lb_owners_release(snaps, n);
    free(snaps);
    if (!report) {
        if (named)
            lb_log("cannot write report to %s: out of memory", shown);
        goto out;
    }
    if (exit_report) {
        ok = lb_report_writer_write(report, path, err, sizeof err);
    } else if (begin_writing(path)) {
        ok = lb_report_writer_write_unless(report, path, still_wanted, &started, NULL, err,
                                           sizeof err);
    }
    /* The exit report said so of a write it cut short (its temporary file removed). */
    bool overtaken = !ok && !exit_report && atomic_load(&lb_runtime.exiting);
    if (ok) {
        say_written(report, shown, reason, lb_clock_ms() - started);
        pthread_mutex_lock(&history_lock);
        if (seq > last_path_sequence) {
            last_path_sequence = seq;
            snprintf(last_path, sizeof last_path, "%s", shown);
        }
        pthread_mutex_unlock(&history_lock);
        if (written)
            snprintf(written, written_len, "%s", shown);
    } else if (!overtaken) {
        lb_log("%s", err);
    }
    json_decref(report);
    /* The report's tree and text came from the process's malloc: give the pages back, or a
     * dump of 200,000 sites leaves the JVM's RSS 700 MB higher for good. */
    lb_allocator_trim();
out:
    if (!exit_report)
        end_numbered();
    json_decref(watermark); /* NULL once the report took it */
    return ok;
}

static bool dump(enum lb_dump_reason reason, const char *path_wanted, bool force_gc, char *written,
                 size_t written_len, json_t *watermark, bool java_allowed)
{
    if (reason == LB_DUMP_EXIT) {
        start_exit();
        return dump_locked(reason, path_wanted, force_gc, written, written_len, watermark, false);
    }
    if (!lock_unless_exiting()) {
        json_decref(watermark);
        return false;
    }
    bool ok =
        dump_locked(reason, path_wanted, force_gc, written, written_len, watermark, java_allowed);
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
    const char *slow = getenv("LEAKBRIDGE_TEST_SLOW_DUMP");
    test_slow = !slow                        ? SLOW_NONE
                : strcmp(slow, "gc") == 0    ? SLOW_GC
                : strcmp(slow, "write") == 0 ? SLOW_WRITE
                                             : SLOW_NONE;
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
