#include "dumper.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "java_names.h"
#include "log.h"
#include "runtime.h"
#include "site_kind.h"
#include "tracker.h"
#include "watermark.h"

/* The dumper thread: jcmd requests and interval dumps run here, never in an event callback. */
static pthread_mutex_t request_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t request_cond;
static unsigned pending_jcmd, pending_attach;
static bool stopping, running;
static lb_dumper_task_fn task; /* when it runs next (lb_clock_ms), and how often it was set */
static uint64_t task_at;
static unsigned task_set;

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
    (void)arg;
    uint64_t interval = lb_runtime.options.interval_ms;
    uint64_t next = interval ? lb_clock_ms() + interval : 0;
    bool watching = lb_watermark_start(&lb_runtime.options);
    uint64_t next_check = lb_clock_ms();
    pthread_mutex_lock(&request_lock);
    while (!stopping) {
        int reason = -1;
        if (pending_jcmd) {
            pending_jcmd--;
            reason = LB_DUMP_JCMD;
        } else if (pending_attach) {
            pending_attach--;
            reason = LB_DUMP_ATTACH;
        } else if (interval && lb_clock_ms() >= next) {
            next += interval;
            if (next <= lb_clock_ms()) /* a dump outlasted the interval: skip, don't pile up */
                next = lb_clock_ms() + interval;
            reason = LB_DUMP_INTERVAL;
        }
        if (reason >= 0) {
            pthread_mutex_unlock(&request_lock);
            lb_dump_on_dumper_thread((enum lb_dump_reason)reason);
            pthread_mutex_lock(&request_lock);
            continue;
        }
        if (watching && lb_clock_ms() >= next_check) {
            next_check = lb_clock_ms() + LB_WATERMARK_CHECK_MS;
            pthread_mutex_unlock(&request_lock);
            json_t *crossed = lb_watermark_check();
            if (crossed)
                lb_dump_watermark(crossed);
            pthread_mutex_lock(&request_lock);
            continue;
        }
        if (names_wanted) {
            names_wanted = false;
            pthread_mutex_unlock(&request_lock);
            lb_java_names_remember();
            lb_site_kind_settle_new();
            pthread_mutex_lock(&request_lock);
            continue;
        }
        if (task && lb_clock_ms() >= task_at) {
            lb_dumper_task_fn fn = task;
            unsigned set = task_set;
            pthread_mutex_unlock(&request_lock);
            uint64_t again = fn(jvmti, jni);
            pthread_mutex_lock(&request_lock);
            if (task_set == set) { /* not set again while it ran */
                task = again ? fn : NULL;
                task_at = lb_clock_ms() + again;
            }
            continue;
        }
        /* Sleep until the earliest of the interval dump, the watermark check and the task. */
        uint64_t wake = interval ? next : 0;
        if (watching && (!wake || next_check < wake))
            wake = next_check;
        if (task && (!wake || task_at < wake))
            wake = task_at;
        if (wake) {
            uint64_t now = lb_clock_ms();
            struct timespec until = monotonic_after(wake > now ? wake - now : 0);
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
    lb_tracker_on_new_site(new_site);
    return true;
}

void lb_dumper_request(enum lb_dump_reason reason)
{
    pthread_mutex_lock(&request_lock);
    bool handed_over = running && !stopping;
    if (handed_over) {
        if (reason == LB_DUMP_ATTACH)
            pending_attach++;
        else
            pending_jcmd++;
        pthread_cond_signal(&request_cond);
    }
    pthread_mutex_unlock(&request_lock);
    if (!handed_over)
        lb_dump(reason);
}

bool lb_dumper_schedule(lb_dumper_task_fn fn)
{
    pthread_mutex_lock(&request_lock);
    bool scheduled = running && !stopping;
    if (scheduled) {
        task = fn;
        task_at = 0;
        task_set++;
        pthread_cond_signal(&request_cond);
    }
    pthread_mutex_unlock(&request_lock);
    return scheduled;
}

void lb_dumper_stop(void)
{
    pthread_mutex_lock(&request_lock);
    stopping = true;
    unsigned jcmd = pending_jcmd, attach = pending_attach;
    pending_jcmd = pending_attach = 0;
    pthread_cond_signal(&request_cond);
    pthread_mutex_unlock(&request_lock);
    /* Asked for and never written: said, so that whoever asked does not wait for a file. */
    if (jcmd + attach)
        lb_log("%u dump%s asked for (jcmd or attach) and still waiting when the JVM exited %s not "
               "written: the exit report has what %s would have had",
               jcmd + attach, jcmd + attach == 1 ? "" : "s", jcmd + attach == 1 ? "was" : "were",
               jcmd + attach == 1 ? "it" : "they");
}
