#include "gc.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "runtime.h"
#include "tracker.h"

/* Frees arrive in bursts after a GC; this much quiet means reference processing is done. */
#define QUIET_MS 100
#define POLL_MS 10

static _Atomic bool exit_gc_hangs;
static _Atomic int forcing; /* ForceGarbageCollection calls not returned yet */

/* ZGC's driver and director threads: "ZDriver" (JDK 17), "ZDriverMajor"/"ZDriverMinor" (21+),
 * "ZDirector" (both); Shenandoah's "Shenandoah Cont"(rol thread) and workers. G1, Parallel and
 * Serial run a forced GC on the VM thread, which still works at VM death. */
void lb_gc_check_collector(void)
{
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks)
        return;
    bool concurrent = false;
    struct dirent *d;
    while (!concurrent && (d = readdir(tasks)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        char path[64], name[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%.20s/comm", d->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        if (fgets(name, sizeof name, f))
            concurrent = strncmp(name, "ZDriver", 7) == 0 || strncmp(name, "ZDirector", 9) == 0 ||
                         strncmp(name, "Shenandoah", 10) == 0;
        fclose(f);
    }
    closedir(tasks);
    atomic_store(&exit_gc_hangs, concurrent);
}

bool lb_gc_can_force_at_exit(void)
{
    return !atomic_load(&exit_gc_hangs) && atomic_load(&forcing) == 0;
}

/* A dump other than the exit report stops waiting once the exit report has started. */
static bool given_up(bool exit_report)
{
    return !exit_report && atomic_load(&lb_runtime.exiting);
}

void JNICALL lb_gc_on_finish(jvmtiEnv *jvmti)
{
    (void)jvmti;
    atomic_fetch_add_explicit(&lb_clock_gc_epoch, 1, memory_order_relaxed);
}

/* Frees of blocks older than the forced GC: they stop once the Cleaners and finalizers the
 * GC released have run, even while the program goes on allocating and freeing. */
static uint64_t old_frees(void)
{
    return atomic_load_explicit(&lb_tracker_old_frees, memory_order_relaxed);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* java.lang.ref.Reference.waitForReferenceProcessing() (JDK 9+, private): returns once the
 * Reference Handler has processed what the GC found, true if it had to wait. It runs the
 * internal Cleaners of direct buffers itself. Only called from Java threads, never at exit. */
static void wait_for_reference_processing(JNIEnv *jni, uint64_t deadline_ms)
{
    if (given_up(false))
        return;
    jclass ref = (*jni)->FindClass(jni, "java/lang/ref/Reference");
    jmethodID wait =
        ref ? (*jni)->GetStaticMethodID(jni, ref, "waitForReferenceProcessing", "()Z") : NULL;
    if (!wait) {
        (*jni)->ExceptionClear(jni);
        return;
    }
    while (lb_clock_ms() < deadline_ms && !given_up(false)) {
        jboolean waited = (*jni)->CallStaticBooleanMethod(jni, ref, wait);
        if ((*jni)->ExceptionCheck(jni)) {
            (*jni)->ExceptionClear(jni);
            break;
        }
        if (!waited)
            break;
    }
    (*jni)->DeleteLocalRef(jni, ref);
}

/* Ends this call's count of old frees, unless another call (the exit report's) took it over. */
static void stop_counting(uint64_t start)
{
    atomic_compare_exchange_strong(&lb_tracker_old_before_ms, &start, 0);
}

bool lb_gc_force_and_settle(JNIEnv *jni, uint64_t max_wait_ms, bool exit_report)
{
    jvmtiEnv *jvmti = lb_runtime.jvmti;
    uint64_t start = lb_clock_ms(), deadline = start + max_wait_ms;
    if (given_up(exit_report))
        return false;
    /* The clock ticks in milliseconds: a block of this very tick counts as new. */
    atomic_store(&lb_tracker_old_before_ms, start);
    atomic_fetch_add(&forcing, 1);
    jvmtiError e = (*jvmti)->ForceGarbageCollection(jvmti);
    atomic_fetch_sub(&forcing, 1);
    if (e != JVMTI_ERROR_NONE) {
        stop_counting(start);
        return false;
    }
    if (jni && atomic_load(&lb_runtime.phase) == LB_PHASE_LIVE)
        wait_for_reference_processing(jni, deadline);
    /* Finalizers and java.lang.ref.Cleaner run on their own threads: wait for quiet. */
    uint64_t last = old_frees(), quiet_since = lb_clock_ms();
    while (lb_clock_ms() < deadline && lb_clock_ms() - quiet_since < QUIET_MS &&
           !given_up(exit_report)) {
        sleep_ms(POLL_MS);
        uint64_t now = old_frees();
        if (now != last) {
            last = now;
            quiet_since = lb_clock_ms();
        }
    }
    stop_counting(start);
    return true;
}
