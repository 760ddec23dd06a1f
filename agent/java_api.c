/* The natives of io.leakbridge.LeakBridge (java/api): registered with RegisterNatives when the
 * class is prepared, so the jar needs no library of its own and, without the agent, finds no
 * natives at all (its static initializer catches the UnsatisfiedLinkError and stays inactive).
 *
 * A "mark" is a tick of the agent's clock (tracker.h, the time_ms every block is stamped with);
 * liveSince aggregates the live blocks stamped at or after it by site and returns them as JSON in
 * the report's site format (docs/java-api.md), which the jar parses. */
#include "java_api.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dump.h"
#include "frame_json.h"
#include "gc.h"
#include "json_text.h"
#include "live_table.h"
#include "log.h"
#include "owners.h"
#include "pools.h"
#include "runtime.h"
#include "sampler.h"
#include "site_kind.h"
#include "sites.h"
#include "tracker.h"

#define LB_API_CLASS "io/leakbridge/LeakBridge"
#define LB_API_SIGNATURE "L" LB_API_CLASS ";"

/* The per-site sums grow to twice the largest id seen plus this, so that the sites made while
 * the live table is walked rarely need another step. */
#define SITE_SLACK 4096

static jboolean JNICALL api_active(JNIEnv *jni, jclass cls)
{
    (void)jni;
    (void)cls;
    return JNI_TRUE;
}

/* Waits for the next tick of the coarse clock and returns it: every block allocated before the
 * call is stamped earlier, every block allocated after the return is stamped at or after it. */
static jlong JNICALL api_mark(JNIEnv *jni, jclass cls)
{
    (void)jni;
    (void)cls;
    uint64_t before = lb_clock_ms(), now;
    while ((now = lb_clock_ms()) == before) {
        struct timespec ts = {0, 500000L};
        nanosleep(&ts, NULL);
    }
    return (jlong)now;
}

struct site_sum {
    const struct lb_site *site;
    uint64_t bytes, count_fp;
};

struct collect {
    uint64_t mark;
    struct site_sum *by_id; /* indexed by site id */
    size_t cap;             /* grown as ids come: sites made during the walk are counted too */
    bool failed; /* by_id could not grow: no answer rather than one without some blocks */
};

static void collect_block(uintptr_t addr, const struct lb_block *block, void *vctx)
{
    (void)addr;
    struct collect *c = vctx;
    struct lb_site *site = lb_sites_by_id(block->site_id);
    if (block->time_ms < c->mark || !site || site->kind >= LB_KIND_COUNT)
        return; /* before the mark, or the JDK's own (site_kind.h) */
    size_t id = site->id;
    if (id >= c->cap) {
        size_t cap = id * 2 + SITE_SLACK;
        struct site_sum *more = c->failed ? NULL : realloc(c->by_id, cap * sizeof *more);
        if (!more) {
            c->failed = true;
            return;
        }
        memset(more + c->cap, 0, (cap - c->cap) * sizeof *more);
        c->by_id = more;
        c->cap = cap;
    }
    struct lb_weight w;
    lb_sampler_weight(block->size, &w);
    c->by_id[id].site = site;
    c->by_id[id].bytes += w.bytes;
    c->by_id[id].count_fp += w.count_fp;
}

static int by_bytes(const void *a, const void *b)
{
    const struct site_sum *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

static json_t *site_json(const struct site_sum *s, struct lb_frame_json *resolver, json_t *owners)
{
    json_t *frames = json_array();
    for (int i = 0; frames && i < s->site->nframes; i++)
        json_array_append_new(frames, lb_frame_json_get(resolver, s->site, &s->site->frames[i]));
    json_t *site =
        json_pack("{s:I,s:s,s:I,s:I,s:o*}", "id", (json_int_t)s->site->id, "kind",
                  lb_kind_name((enum lb_kind)s->site->kind), "live_bytes", (json_int_t)s->bytes,
                  "live_count", (json_int_t)lb_sampler_count_round(s->count_fp), "frames", frames);
    const struct lb_site_overflow *o = s->site->overflow;
    if (site && o) /* a folded leak names its module (sites.h) */
        json_object_set_new(
            site, "overflow",
            json_pack("{s:o,s:I}", "module", o->module ? lb_json_text(o->module) : json_null(),
                      "folded_stacks", (json_int_t)lb_sites_folded_stacks(s->site)));
    if (site && s->site->origin == LB_ORIGIN_POOL && s->site->file)
        json_object_set_new(site, "pool", lb_json_text(s->site->file));
    if (site && owners) /* LiveOptions.owners (owners.h) */
        json_object_set(site, "owners", owners);
    return site;
}

/* {"mark":M,"now":N,"sample":S,"sites":[site...]}, sites largest first. */
/* What holds each site's blocks since the mark (owners.h), one heap walk for all of them:
 * snapshots of the summed sites, owners filled in, or NULL. */
static struct lb_snapshot *owners_since(JNIEnv *jni, const struct site_sum *sums, size_t n,
                                        uint64_t mark)
{
    struct lb_snapshot *snaps = calloc(n ? n : 1, sizeof *snaps);
    if (!snaps)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        snaps[i].site = sums[i].site;
        snaps[i].live_count = lb_sampler_count_round(sums[i].count_fp);
    }
    json_decref(lb_owners_find(jni, snaps, n, mark, false));
    return snaps;
}

static json_t *live_since(JNIEnv *jni, uint64_t mark, bool owners)
{
    lb_site_kind_settle_new();
    struct collect c = {.mark = mark};
    lb_live_table_foreach(collect_block, &c);
    if (c.failed) { /* an answer without some blocks could pass a leak: none, and OOM thrown */
        free(c.by_id);
        return NULL;
    }
    /* A pool's chunk keeps only what its blocks do not cover, as in a report. */
    struct lb_pools_share *shares;
    size_t nshares = lb_pools_shares(mark, &shares);
    for (size_t k = 0; k < nshares; k++) {
        struct site_sum *chunk = shares[k].site->id < c.cap ? &c.by_id[shares[k].site->id] : NULL;
        if (chunk && chunk->site)
            chunk->bytes -= chunk->bytes > shares[k].handed_out_bytes ? shares[k].handed_out_bytes
                                                                      : chunk->bytes;
    }
    free(shares);
    size_t n = 0;
    for (size_t i = 0; i < c.cap; i++)
        if (c.by_id[i].site)
            c.by_id[n++] = c.by_id[i];
    if (n)
        qsort(c.by_id, n, sizeof *c.by_id, by_bytes);

    json_t *result = NULL, *sites = json_array();
    struct lb_frame_json *java = lb_frame_json_new();
    struct lb_snapshot *held = owners ? owners_since(jni, c.by_id, n, mark) : NULL;
    for (size_t i = 0; sites && java && i < n; i++)
        json_array_append_new(sites, site_json(&c.by_id[i], java, held ? held[i].owners : NULL));
    lb_owners_release(held, n);
    free(held);
    if (sites && java)
        result = json_pack("{s:I,s:I,s:I,s:O}", "mark", (json_int_t)mark, "now",
                           (json_int_t)lb_clock_ms(), "sample",
                           (json_int_t)lb_runtime.options.sample, "sites", sites);
    json_decref(sites);
    lb_frame_json_free(java);
    free(c.by_id);
    return result;
}

static void throw_oom(JNIEnv *jni, const char *what)
{
    jclass oom = (*jni)->FindClass(jni, "java/lang/OutOfMemoryError");
    if (oom)
        (*jni)->ThrowNew(jni, oom, what);
}

static jstring JNICALL api_live_since(JNIEnv *jni, jclass cls, jlong mark, jboolean gc,
                                      jlong max_wait_ms, jboolean owners)
{
    (void)cls;
    if (gc)
        lb_gc_force_and_settle(jni, max_wait_ms > 0 ? (uint64_t)max_wait_ms : 0, false);
    json_t *result = live_since(jni, mark > 0 ? (uint64_t)mark : 0, gc && owners);
    /* ASCII only (\u escapes), which is also valid modified UTF-8 for NewStringUTF. */
    char *text = result ? json_dumps(result, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(result);
    if (!text) {
        throw_oom(jni, "leakbridge: no memory for the live-since answer");
        return NULL;
    }
    jstring s = (*jni)->NewStringUTF(jni, text);
    free(text);
    return s;
}

/* Writes a report (reason "api") to path, or to the output= pattern when path is null; returns
 * the absolute path written, or null when it could not be written (the agent said why on
 * stderr). */
static jstring JNICALL api_dump(JNIEnv *jni, jclass cls, jstring path, jboolean gc)
{
    (void)cls;
    const char *target = path ? (*jni)->GetStringUTFChars(jni, path, NULL) : NULL;
    if (path && !target)
        return NULL; /* OutOfMemoryError pending */
    char written[PATH_MAX + 1] = "";
    bool ok = lb_dump_write(LB_DUMP_API, target, gc, written, sizeof written);
    if (target)
        (*jni)->ReleaseStringUTFChars(jni, path, target);
    return ok ? (*jni)->NewStringUTF(jni, written) : NULL;
}

static jlong JNICALL api_sample(JNIEnv *jni, jclass cls)
{
    (void)jni;
    (void)cls;
    return (jlong)lb_runtime.options.sample;
}

static bool is_api_class(jvmtiEnv *jvmti, jclass klass)
{
    char *sig = NULL;
    if ((*jvmti)->GetClassSignature(jvmti, klass, &sig, NULL) != JVMTI_ERROR_NONE || !sig)
        return false;
    bool yes = strcmp(sig, LB_API_SIGNATURE) == 0;
    (*jvmti)->Deallocate(jvmti, (unsigned char *)sig);
    return yes;
}

static bool register_natives(JNIEnv *jni, jclass klass)
{
    static const JNINativeMethod methods[] = {
        {"active0", "()Z", (void *)api_active},
        {"mark0", "()J", (void *)api_mark},
        {"liveSince0", "(JZJZ)Ljava/lang/String;", (void *)api_live_since},
        {"dump0", "(Ljava/lang/String;Z)Ljava/lang/String;", (void *)api_dump},
        {"sample0", "()J", (void *)api_sample},
    };
    if ((*jni)->RegisterNatives(jni, klass, methods, sizeof methods / sizeof methods[0]) == 0)
        return true;
    /* A class of that name without our natives (another version of the jar): leave it be. */
    (*jni)->ExceptionClear(jni);
    lb_log("io.leakbridge.LeakBridge does not declare the natives this agent provides: the Java "
           "API stays inactive (use the jar built with this agent)");
    return false;
}

void lb_java_api_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jclass klass)
{
    if (jni && is_api_class(jvmti, klass))
        register_natives(jni, klass);
}

/* At attach the class may have been initialized without the agent: its static flag says
 * inactive, and is set here once the natives are in place. A class not yet initialized finds
 * the natives itself when its static initializer runs. */
void lb_java_api_attach(jvmtiEnv *jvmti, JNIEnv *jni)
{
    jint count = 0;
    jclass *classes = NULL;
    /* Every loaded class is a local reference: a frame of their own (see stacks.c), which
     * says it holds them, as -Xcheck:jni wants to be told before the JNI calls below. */
    if (!jni || (*jni)->PushLocalFrame(jni, 16) != 0)
        return;
    if ((*jvmti)->GetLoadedClasses(jvmti, &count, &classes) != JVMTI_ERROR_NONE) {
        (*jni)->PopLocalFrame(jni, NULL);
        return;
    }
    (*jni)->EnsureLocalCapacity(jni, count + 16);
    for (jint i = 0; i < count; i++) {
        jint status = 0;
        if (is_api_class(jvmti, classes[i]) &&
            (*jvmti)->GetClassStatus(jvmti, classes[i], &status) == JVMTI_ERROR_NONE &&
            (status & JVMTI_CLASS_STATUS_PREPARED) && register_natives(jni, classes[i]) &&
            (status & JVMTI_CLASS_STATUS_INITIALIZED)) {
            jfieldID active = (*jni)->GetStaticFieldID(jni, classes[i], "active", "Z");
            if (active)
                (*jni)->SetStaticBooleanField(jni, classes[i], active, JNI_TRUE);
            (*jni)->ExceptionClear(jni);
        }
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)classes);
    (*jni)->PopLocalFrame(jni, NULL);
}
