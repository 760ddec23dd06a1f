#include "dumper.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ages.h"
#include "arena.h"
#include "leakbridge/output_path.h"
#include "leakbridge/state_file.h"
#include "leakbridge/units.h"
#include "leakbridge/version.h"
#include "classify.h"
#include "gc.h"
#include "java_frames.h"
#include "live_table.h"
#include "log.h"
#include "report.h"
#include "symbols.h"
#include "tracker.h"

/* How long a forced GC may wait for Cleaners and finalizers before the dump goes on. */
#define GC_SETTLE_MAX_MS 3000

/* Held for a whole dump: dumps are serialized, hooks never take it. */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned dump_sequence;
static struct lb_history history;

static json_t *frame_json(void *ctx, const struct lb_site *site, const struct lb_frame *frame)
{
    struct lb_java_resolver *java = ctx;
    if (frame->type == LB_FRAME_JAVA)
        return lb_java_resolver_frame(java, frame);
    return lb_symbols_frame_json(frame, site->module_gen);
}

static json_t *agent_facts(uint64_t held_us)
{
    struct lb_table_stats ts;
    lb_table_stats(&ts);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "version", LB_VERSION, "mode",
                     lb_agent.attached ? "attach" : "startup", "tracked_blocks",
                     (json_int_t)ts.live, "live_table_bytes", (json_int_t)ts.bytes,
                     "live_table_retired_bytes", (json_int_t)ts.retired_bytes, "arena_bytes",
                     (json_int_t)lb_arena_mapped_bytes(), "dump_longest_lock_us",
                     (json_int_t)held_us);
}

static JNIEnv *current_jni(void)
{
    JNIEnv *jni = NULL;
    if ((*lb_agent.vm)->GetEnv(lb_agent.vm, (void **)&jni, JNI_VERSION_1_6) != JNI_OK)
        return NULL;
    return jni;
}

/* Forces a GC and sets each site's released_* to what its live figures dropped by. */
static struct lb_site_snapshot *gc_and_snapshot(JNIEnv *jni, size_t *n, json_t **gc_json)
{
    struct lb_site_snapshot *before = NULL, *after = NULL;
    size_t nbefore = lb_report_snapshot(&before);
    uint64_t start = lb_clock_ms();
    bool forced = lb_gc_force_and_settle(jni, GC_SETTLE_MAX_MS);
    uint64_t waited = lb_clock_ms() - start;
    *n = lb_report_snapshot(&after);
    uint64_t released_bytes = 0, released_count = 0;
    if (forced && before && after) {
        /* Snapshots list sites newest first, and sites are only ever added. */
        size_t skip = *n - nbefore;
        for (size_t i = 0; i < nbefore; i++) {
            struct lb_site_snapshot *a = &after[skip + i], *b = &before[i];
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
    *gc_json = json_pack("{s:I,s:b,s:I,s:I,s:I}", "cycles", (json_int_t)atomic_load(&lb_gc_epoch),
                         "forced", forced, "wait_ms", (json_int_t)waited, "released_bytes",
                         (json_int_t)released_bytes, "released_count", (json_int_t)released_count);
    return after;
}

static void say_written(json_t *report, const char *shown, const char *reason, uint64_t ms)
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
    lb_log("report written to %s (%s) in %llu ms: %s live in %lld blocks at %lld sites%s%s", shown,
           reason, (unsigned long long)ms, live,
           (long long)json_integer_value(json_object_get(totals, "live_count")),
           (long long)json_integer_value(json_object_get(totals, "sites")), suspect_text,
           lb_agent.options.sample ? ", estimated from samples" : "");
}

/* The exit report waits this long for a dump in progress, then gives up: a dump stuck in a
 * forced GC that the exiting JVM will never run must not hang the exit too. */
#define EXIT_WAIT_S 10

static bool lock_for(const char *reason)
{
    if (strcmp(reason, "exit") != 0) {
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

bool lb_dump_write(const char *reason, const char *path_wanted, bool force_gc, char *written,
                   size_t written_len)
{
    if (!lock_for(reason))
        return false;
    uint64_t started = lb_clock_ms();
    bool ok = false;
    /* A dump that waited for the exit report to finish has nothing left to say. */
    if (atomic_load(&lb_agent.phase) != LB_PHASE_LIVE)
        goto out;
    unsigned seq = ++dump_sequence;
    time_t now = time(NULL);
    char path[LB_OUTPUT_MAX], shown[LB_OUTPUT_MAX + PATH_MAX + 2], err[LB_OUTPUT_MAX + 256];
    if (path_wanted) {
        if (snprintf(path, sizeof path, "%s", path_wanted) >= (int)sizeof path) {
            lb_log("cannot write report: path '%.200s...' is too long", path_wanted);
            goto out;
        }
    } else if (!lb_output_path_expand(
                   lb_agent.options.output,
                   &(struct lb_output_path_values){(long)getpid(), now, seq, NULL}, path,
                   sizeof path)) {
        lb_log("cannot write report: output path '%s' is too long", lb_agent.options.output);
        goto out;
    }
    lb_output_path_absolute(path, shown, sizeof shown);

    struct lb_site_snapshot *snaps = NULL;
    size_t n;
    json_t *gc = NULL;
    bool exiting = strcmp(reason, "exit") == 0;
    if ((force_gc || lb_agent.options.gc) && (!exiting || lb_gc_can_force_at_exit())) {
        /* At exit, no Java code is run: a Cleaner that blocks must not hang the JVM's exit. */
        snaps = gc_and_snapshot(exiting ? NULL : current_jni(), &n, &gc);
    } else {
        n = lb_report_snapshot(&snaps);
        gc = json_pack("{s:I,s:b}", "cycles", (json_int_t)atomic_load(&lb_gc_epoch), "forced",
                       false);
    }
    lb_table_foreach_longest_hold_ns();
    if (snaps)
        lb_ages_fill(snaps, n, lb_clock_ms(), atomic_load(&lb_gc_epoch));
    uint64_t held_us = lb_table_foreach_longest_hold_ns() / 1000;
    unsigned previous = history.sequence;
    if (snaps)
        lb_classify(&history, snaps, n, seq);
    struct lb_java_resolver *java = lb_java_resolver_new();
    struct lb_report_meta meta = {
        .reason = reason,
        .pid = (long)getpid(),
        .wall_time = now,
        .uptime_ms = lb_clock_ms(),
        .sequence = seq,
        .jvm_version = lb_agent.jvm_version,
        .jvm_vendor = lb_agent.jvm_vendor,
        .jvm_name = lb_agent.jvm_name,
        .options = &lb_agent.options,
        .modules = lb_symbols_modules_json(),
        .agent = agent_facts(held_us),
        .gc = gc,
        .previous_sequence = previous,
    };
    json_t *report = java && snaps ? lb_report_build(&meta, snaps, n, frame_json, java) : NULL;
    if (!report) {
        json_decref(meta.modules);
        json_decref(meta.agent);
        json_decref(meta.gc);
    }
    lb_java_resolver_free(java);
    free(snaps);
    if (!report) {
        lb_log("cannot write report to %s: out of memory", shown);
        goto out;
    }
    ok = lb_report_write(report, path, err, sizeof err);
    if (ok) {
        say_written(report, shown, reason, lb_clock_ms() - started);
        if (written)
            snprintf(written, written_len, "%s", shown);
    } else {
        lb_log("%s", err);
    }
    json_decref(report);
out:
    pthread_mutex_unlock(&dump_lock);
    return ok;
}

void lb_dump_check_output(void)
{
    char why[LB_OUTPUT_MAX + 256];
    if (!lb_output_path_check(lb_agent.options.output, why, sizeof why))
        lb_log("%s", why);
}

static char published[PATH_MAX + 64]; /* the state file this agent wrote, or "" */

void lb_dump_publish_output(void)
{
    char dir[PATH_MAX], pattern[LB_OUTPUT_MAX + PATH_MAX + 2];
    lb_output_path_absolute(lb_agent.options.output, pattern, sizeof pattern);
    if (lb_state_file_dir(getenv("XDG_RUNTIME_DIR"), dir, sizeof dir) &&
        lb_state_file_write(dir, (long)getpid(), pattern))
        lb_state_file_path(dir, (long)getpid(), published, sizeof published);
    else
        lb_log("'leakbridge dump %ld' will need --output: cannot note where reports go (%s)",
               (long)getpid(), strerror(errno));
}

void lb_dump_unpublish_output(void)
{
    if (published[0])
        unlink(published);
}

bool lb_dump(const char *reason)
{
    return lb_dump_write(reason, NULL, false, NULL, 0);
}

/* The dumper thread: jcmd requests and interval dumps run here, never in an event callback. */
static pthread_mutex_t request_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t request_cond;
static unsigned pending_jcmd, pending_attach;
static bool stopping, running;

static struct timespec monotonic_after(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static bool names_wanted;

/* A sample made a new site: its Java names are looked up now, before a class loader that is
 * about to go takes them with it. */
static void new_site(void)
{
    pthread_mutex_lock(&request_lock);
    names_wanted = true;
    pthread_cond_signal(&request_cond);
    pthread_mutex_unlock(&request_lock);
}

static void JNICALL dumper_main(jvmtiEnv *jvmti, JNIEnv *jni, void *arg)
{
    (void)jvmti;
    (void)jni;
    (void)arg;
    uint64_t interval = lb_agent.options.interval_ms;
    uint64_t next = interval ? lb_clock_ms() + interval : 0;
    pthread_mutex_lock(&request_lock);
    while (!stopping) {
        const char *reason = NULL;
        if (pending_jcmd) {
            pending_jcmd--;
            reason = "jcmd";
        } else if (pending_attach) {
            pending_attach--;
            reason = "attach";
        } else if (interval && lb_clock_ms() >= next) {
            next += interval;
            if (next <= lb_clock_ms()) /* a dump outlasted the interval: skip, don't pile up */
                next = lb_clock_ms() + interval;
            reason = "interval";
        }
        if (reason) {
            pthread_mutex_unlock(&request_lock);
            lb_dump(reason);
            pthread_mutex_lock(&request_lock);
            continue;
        }
        if (names_wanted) {
            names_wanted = false;
            pthread_mutex_unlock(&request_lock);
            lb_java_frames_remember();
            pthread_mutex_lock(&request_lock);
            continue;
        }
        if (interval) {
            uint64_t now = lb_clock_ms();
            struct timespec until = monotonic_after(next > now ? next - now : 0);
            pthread_cond_timedwait(&request_cond, &request_lock, &until);
        } else {
            pthread_cond_wait(&request_cond, &request_lock);
        }
    }
    running = false;
    pthread_mutex_unlock(&request_lock);
}

bool lb_dumper_start(jvmtiEnv *jvmti, JNIEnv *jni)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&request_cond, &attr);
    pthread_condattr_destroy(&attr);

    jclass cls = (*jni)->FindClass(jni, "java/lang/Thread");
    jmethodID init = cls ? (*jni)->GetMethodID(jni, cls, "<init>", "(Ljava/lang/String;)V") : NULL;
    jstring name = init ? (*jni)->NewStringUTF(jni, "leakbridge dumper") : NULL;
    jobject thread = name ? (*jni)->NewObject(jni, cls, init, name) : NULL;
    if (!thread) {
        (*jni)->ExceptionClear(jni);
        lb_log("cannot create the dumper thread: jcmd dumps are written on the jcmd thread, "
               "interval dumps are off");
        return false;
    }
    pthread_mutex_lock(&request_lock);
    running = true;
    pthread_mutex_unlock(&request_lock);
    jvmtiError e =
        (*jvmti)->RunAgentThread(jvmti, thread, dumper_main, NULL, JVMTI_THREAD_NORM_PRIORITY);
    if (e != JVMTI_ERROR_NONE) {
        pthread_mutex_lock(&request_lock);
        running = false;
        pthread_mutex_unlock(&request_lock);
        lb_log("cannot start the dumper thread (JVMTI error %d): jcmd dumps are written on the "
               "jcmd thread, interval dumps are off",
               (int)e);
        return false;
    }
    lb_track_on_new_site(new_site);
    return true;
}

void lb_dumper_request(const char *reason)
{
    pthread_mutex_lock(&request_lock);
    bool handed_over = running && !stopping;
    if (handed_over) {
        if (strcmp(reason, "attach") == 0)
            pending_attach++;
        else
            pending_jcmd++;
        pthread_cond_signal(&request_cond);
    }
    pthread_mutex_unlock(&request_lock);
    if (!handed_over)
        lb_dump(reason);
}

void lb_dumper_stop(void)
{
    pthread_mutex_lock(&request_lock);
    stopping = true;
    pthread_cond_signal(&request_cond);
    pthread_mutex_unlock(&request_lock);
}
