/* The hooks' cost in instructions, without a JVM, for tests/perf/test_hook_cost.py: the agent's
 * own malloc hooks are installed (as for a JNI library) into libhook_churn.so (hook_churn.c),
 * whose loop makes PAIRS malloc/free pairs, first before the hooks are installed (bare) and
 * then through them (hooked). Each of the two phases runs under callgrind's client requests:
 * the statistics are zeroed before it and dumped after it, named "bare" and "hooked", so the
 * test reads the instructions of each phase alone and divides their difference by PAIRS.
 *
 *   hook_cost LIBHOOK_CHURN fast|exact PAIRS
 *
 * fast: a sample every 2^62 bytes, so that no allocation is sampled: the hooks' fast path (the
 * sampler's countdown in malloc, the live table's filter in free). exact: sample=0, every
 * allocation sampled: the native stack walk (libunwind; the thread is unknown to the fake
 * JavaVM, as a library's own pthread is to a real one, so there are no Java frames), the
 * weight, the site lookup and the live table, and on free the table's removal.
 *
 *   hook_cost LIBHOOK_CHURN scaling SAMPLE PAIRS
 *
 * A benchmark, not for callgrind (docs/performance.md, scaling): jni-malloc-churn's sizes
 * (hook_churn_wide, 64 B..64 KiB) with a sample every SAMPLE bytes (0: every allocation), PAIRS
 * pairs on each of 1 and then 2 threads side by side, twice, before and after the hooks are
 * installed; prints each thread's CPU time per pair, averaged over the threads: a shared cache
 * line or lock on the hooks' path would make the 2-thread figures dearer than the 1-thread
 * ones once the hooks are in. */
#include <dlfcn.h>
#include <jni.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "clock.h"
#include "malloc_hooks.h"
#include "modules.h"
#include "runtime.h"
#include "sampler.h"
#include "stacks.h"
#include "tracker.h"

typedef long (*churn_fn)(long pairs, long seed);

/* A JavaVM whose GetEnv says the calling thread is not attached. */
static jint JNICALL get_env(JavaVM *vm, void **env, jint version)
{
    (void)vm;
    (void)version;
    *env = NULL;
    return JNI_EDETACHED;
}
static struct JNIInvokeInterface_ invoke = {.GetEnv = get_env};
static JavaVM fake_vm = &invoke;

/* PAIRS pairs in calls of 1,000, as Bench's MallocChurn makes them; the same seeds each time. */
static long churn(churn_fn fn, long pairs)
{
    long sum = 0;
    for (long done = 0; done < pairs; done += 1000)
        sum += fn(pairs - done < 1000 ? pairs - done : 1000, done + 1);
    return sum;
}

static long measured(const char *name, churn_fn fn, long pairs)
{
    CALLGRIND_ZERO_STATS;
    long sum = churn(fn, pairs);
    CALLGRIND_DUMP_STATS_AT(name);
    return sum;
}

/* One thread of the scaling mode: a warm-up, then PAIRS pairs timed by the thread's CPU clock. */
struct churner {
    churn_fn fn;
    long pairs, seed;
    double cpu_ns;
};

static void *churner_run(void *arg)
{
    struct churner *c = arg;
    c->fn(c->pairs / 10, c->seed);
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (long done = 0; done < c->pairs; done += 1000)
        c->fn(1000, done + c->seed);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    c->cpu_ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    return NULL;
}

/* PAIRS pairs on each of 1, then 2 threads, twice; prints the CPU ns per pair of each. */
static void scaling(const char *what, churn_fn fn, long pairs)
{
    for (int round = 0; round < 4; round++) {
        int n = 1 + round % 2;
        pthread_t threads[2];
        struct churner c[2];
        for (int i = 0; i < n; i++) {
            c[i] = (struct churner){.fn = fn, .pairs = pairs, .seed = 7919L * i + 1};
            pthread_create(&threads[i], NULL, churner_run, &c[i]);
        }
        double cpu = 0;
        for (int i = 0; i < n; i++) {
            pthread_join(threads[i], NULL);
            cpu += c[i].cpu_ns;
        }
        printf("%-6s %d thread%s %7.1f ns of CPU per pair\n", what, n, n == 1 ? " " : "s",
               cpu / n / (double)pairs);
    }
}

int main(int argc, char **argv)
{
    bool scale = argc == 5 && strcmp(argv[2], "scaling") == 0;
    long pairs = argc == 4 || scale ? strtol(argv[argc - 1], NULL, 10) : 0;
    bool exact = argc == 4 && strcmp(argv[2], "exact") == 0;
    if (pairs <= 0 || (!exact && !scale && strcmp(argv[2], "fast") != 0)) {
        fprintf(stderr, "usage: hook_cost LIBHOOK_CHURN fast|exact PAIRS\n"
                        "       hook_cost LIBHOOK_CHURN scaling SAMPLE PAIRS\n");
        return 2;
    }
    lb_options_defaults(&lb_runtime.options);
    lb_runtime.vm = &fake_vm;
    lb_clock_start();
    lb_sampler_set_mean(scale ? strtoull(argv[3], NULL, 10) : exact ? 0 : (uint64_t)1 << 62);
    lb_tracker_set_limits(lb_runtime.options.max_sites, lb_runtime.options.max_memory);
    if (!lb_malloc_hooks_init()) {
        fprintf(stderr, "hook_cost: no malloc found\n");
        return 1;
    }
    lb_modules_refresh(LB_ROLE_JVM, NULL);
    lb_stacks_init();
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    churn_fn fn = lib ? (churn_fn)dlsym(lib, scale ? "hook_churn_wide" : "hook_churn") : NULL;
    if (!fn) {
        fprintf(stderr, "hook_cost: %s\n", dlerror());
        return 1;
    }
    if (scale)
        scaling("bare", fn, pairs);
    /* Warm: the loop, glibc's bins and the caches, before anything is counted. */
    long bare = churn(fn, pairs);
    bare ^= measured("bare", fn, pairs);

    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    struct lb_module *m = lb_modules_find((uintptr_t)fn);
    if (!m) {
        fprintf(stderr, "hook_cost: %s is not among the modules\n", argv[1]);
        return 1;
    }
    atomic_store(&m->role, LB_ROLE_JNI);
    lb_malloc_hooks_install(m, LB_TRACK_ALL);
    atomic_store(&lb_runtime.phase, LB_PHASE_LIVE);
    /* Warm again: the site, the live table's size, libunwind's cache. */
    long hooked = churn(fn, pairs);
    hooked ^= measured("hooked", fn, pairs);
    if (scale)
        scaling("hooked", fn, pairs);

    /* What the hooks recorded: in exact mode every allocation of both hooked runs, in fast mode
     * none; the test checks these, so that a harness whose hooks were not in place fails. */
    uint64_t allocated = 0;
    for (const struct lb_site *s = lb_sites_first(); s; s = s->all_next)
        allocated += atomic_load(&s->allocated_count_fp);
    printf("pairs %ld mode %s sites %zu recorded %llu same %d\n", pairs, argv[2], lb_sites_count(),
           (unsigned long long)lb_sampler_count_round(allocated), bare == hooked);
    return bare == hooked ? 0 : 1;
}
