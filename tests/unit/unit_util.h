/* Small helpers shared by the unit tests: a fixed-seed random generator, running a function on
 * several threads, and the usual main(). Header-only so that each test links only the agent
 * sources tests/CMakeLists.txt names for it. */
#ifndef LB_UNIT_UTIL_H
#define LB_UNIT_UTIL_H

#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define UU_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ck_assert for hot loops: every passing ck_assert records its location, which costs far more
 * than the check itself (most of the run time of a million-iteration loop under ASan). */
#define UU_REQUIRE(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* splitmix64: a deterministic stream from a fixed seed, so that workloads repeat exactly. */
static inline uint64_t uu_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Runs fn(args + i * arg_size) on n threads at once and waits for all of them. Threads must not
 * call ck_assert (it longjmps out of the main thread's test): they record what they saw in their
 * argument and the test checks it after this returns. */
static inline void uu_run_threads(int n, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t tids[64];
    ck_assert_int_le(n, 64);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&tids[i], NULL, fn, (char *)args + (size_t)i * arg_size),
                         0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
}

/* Runs the suite the way every unit test does; the exit status says whether all tests passed. */
static inline int uu_run_suite(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
