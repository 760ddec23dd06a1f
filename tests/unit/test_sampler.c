/* Unit tests for agent/sampler.c: which allocations are taken and what each one stands for.
 *
 * The statistical tests compare sums of weights with the true sums of a fixed workload. The
 * sampler seeds itself from the clock, so the sample differs on every run; the bounds are set at
 * 5 standard errors of the estimate, computed from the workload itself (see
 * check_unbiased_on_mixed_workload), which makes a spurious failure a < 1e-6 event per check. */
#include "sampler.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "unit_util.h"

#define KIB ((uint64_t)1024)
#define MIB (1024 * KIB)

/* Allowed deviation, in standard errors, before a statistical check fails. P(|Z| > 5) = 5.7e-7. */
#define Z_BOUND 5.0

/* The exact selection probability p(s) = 1 - exp(-s/M), computed in long double. */
static long double prob(uint64_t size, uint64_t mean)
{
    return -expm1l(-(long double)size / (long double)mean);
}

/* --- a thread with fresh sampler state ----------------------------------------------------- */

/* Each statistical test runs its workload on a new thread: lb_sampler_tls starts at zero there,
 * so no countdown left over from another test (drawn with another mean) skews the result. */
static void run_on_fresh_thread(void *(*fn)(void *), void *arg)
{
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, fn, arg), 0);
    ck_assert_int_eq(pthread_join(tid, NULL), 0);
}

/* --- mean 0: everything, exactly ------------------------------------------------------------ */

START_TEST(test_mean_zero_takes_every_allocation_with_its_exact_size)
{
    static const size_t sizes[] = {0, 1, 7, 8, 4096, 1u << 20, (size_t)1 << 40, SIZE_MAX / 2};
    lb_sampler_set_mean(0);
    ck_assert_uint_eq(lb_sampler_mean, 0);
    for (int round = 0; round < 1000; round++) {
        for (size_t i = 0; i < UU_COUNT(sizes); i++) {
            UU_REQUIRE(lb_sampler_take(sizes[i]), "size %zu not taken with mean 0", sizes[i]);
            struct lb_weight w = {12345, 12345};
            lb_sampler_weight(sizes[i], &w);
            UU_REQUIRE(w.bytes == sizes[i] && w.count_fp == LB_COUNT_ONE,
                       "size %zu: weight (%llu, %llu)", sizes[i], (unsigned long long)w.bytes,
                       (unsigned long long)w.count_fp);
        }
    }
}
END_TEST

/* --- the weight function -------------------------------------------------------------------- */

START_TEST(test_weight_is_size_over_p_and_one_over_p)
{
    static const uint64_t means[] = {1, 64, 4096, 512 * KIB, 16 * MIB};
    static const uint64_t sizes[] = {1, 8, 63, 64, 100, 4096, 65536, 512 * KIB, 3 * MIB, 1u << 30};
    for (size_t m = 0; m < UU_COUNT(means); m++) {
        lb_sampler_set_mean(means[m]);
        for (size_t i = 0; i < UU_COUNT(sizes); i++) {
            long double p = prob(sizes[i], means[m]);
            long double want_bytes = (long double)sizes[i] / p;
            long double want_count = (long double)LB_COUNT_ONE / p;
            struct lb_weight w;
            lb_sampler_weight(sizes[i], &w);
            /* llround of a double: within one unit of the exact value. */
            ck_assert_msg(fabsl((long double)w.bytes - want_bytes) <= 1.0L,
                          "mean %llu size %llu: bytes %llu, want %.3Lf",
                          (unsigned long long)means[m], (unsigned long long)sizes[i],
                          (unsigned long long)w.bytes, want_bytes);
            ck_assert_msg(fabsl((long double)w.count_fp - want_count) <= 1.0L,
                          "mean %llu size %llu: count_fp %llu, want %.3Lf",
                          (unsigned long long)means[m], (unsigned long long)sizes[i],
                          (unsigned long long)w.count_fp, want_count);
        }
    }
}
END_TEST

START_TEST(test_weight_matches_known_values)
{
    struct lb_weight w;
    /* s == M: p = 1 - 1/e = 0.63212055882855767, 1/p = 1.5819767068693265. */
    lb_sampler_set_mean(1000000);
    lb_sampler_weight(1000000, &w);
    ck_assert_uint_eq(w.bytes, 1581977);
    ck_assert_uint_eq(w.count_fp, 103676); /* 65536 * 1.5819767 = 103676.43 */
    /* s << M: 1/p = M/s + 1/2 + s/(12M) + ..., so one byte at mean 2^20 stands for 2^20 + 0.5
     * bytes (rounded up) and 2^20 + 0.5 allocations. */
    lb_sampler_set_mean(1u << 20);
    lb_sampler_weight(1, &w);
    ck_assert_uint_eq(w.bytes, (1u << 20) + 1);
    ck_assert_uint_eq(w.count_fp, ((uint64_t)1 << 36) + LB_COUNT_ONE / 2);
    /* s >> M: p rounds to 1, the allocation stands for itself. */
    lb_sampler_set_mean(4096);
    lb_sampler_weight(64 * MIB, &w);
    ck_assert_uint_eq(w.bytes, 64 * MIB);
    ck_assert_uint_eq(w.count_fp, LB_COUNT_ONE);
    /* size 0 is counted as one allocation of nothing, whatever the mean. */
    lb_sampler_weight(0, &w);
    ck_assert_uint_eq(w.bytes, 0);
    ck_assert_uint_eq(w.count_fp, LB_COUNT_ONE);
}
END_TEST

START_TEST(test_weight_is_deterministic)
{
    uint64_t rng = 42;
    lb_sampler_set_mean(512 * KIB);
    for (int i = 0; i < 100000; i++) {
        size_t size = (size_t)(uu_rand(&rng) % (4 * MIB)) + 1;
        struct lb_weight a, b;
        lb_sampler_weight(size, &a);
        /* Whatever the sampler does in between must not change the weight of a size. */
        (void)lb_sampler_take(size);
        lb_sampler_weight(size, &b);
        UU_REQUIRE(a.bytes == b.bytes && a.count_fp == b.count_fp,
                   "size %zu: weight (%llu, %llu) then (%llu, %llu)", size,
                   (unsigned long long)a.bytes, (unsigned long long)a.count_fp,
                   (unsigned long long)b.bytes, (unsigned long long)b.count_fp);
        /* p <= 1: a sample stands for at least itself. */
        UU_REQUIRE(a.bytes >= size && a.count_fp >= LB_COUNT_ONE, "size %zu: weight (%llu, %llu)",
                   size, (unsigned long long)a.bytes, (unsigned long long)a.count_fp);
    }
}
END_TEST

START_TEST(test_weight_decreases_towards_size_as_size_grows)
{
    /* bytes/size = 1/p falls as size grows: small allocations stand for more. */
    lb_sampler_set_mean(64 * KIB);
    struct lb_weight prev;
    lb_sampler_weight(1, &prev);
    for (uint64_t s = 2; s <= 64 * MIB; s *= 2) {
        struct lb_weight w;
        lb_sampler_weight(s, &w);
        ck_assert_uint_le(w.count_fp, prev.count_fp);
        ck_assert_uint_ge(w.bytes, s);
        prev = w;
    }
    ck_assert_uint_eq(prev.count_fp, LB_COUNT_ONE);
}
END_TEST

/* --- the first sample point of a thread ------------------------------------------------------ */

#define FIRST_THREADS 100
#define FIRST_SIZE 4096u
#define FIRST_CAP 1000000

struct first_take {
    bool fresh;   /* the thread's state was all zero before its first allocation */
    long index;   /* index of the first allocation taken */
    uint64_t rng; /* the thread's generator state after the first take */
};

static void *find_first_take(void *arg)
{
    struct first_take *ft = arg;
    ft->fresh = lb_sampler_tls.rng == 0 && lb_sampler_tls.countdown == 0;
    ft->index = -1;
    for (long i = 0; i < FIRST_CAP; i++) {
        if (lb_sampler_take(FIRST_SIZE)) {
            ft->index = i;
            break;
        }
    }
    ft->rng = lb_sampler_tls.rng;
    return NULL;
}

START_TEST(test_first_sample_point_of_a_thread_is_random)
{
    /* The first point of a thread lies Exp(M) bytes in, so with 4 KiB allocations and M = 512 KiB
     * the first take is at index floor(D / 4096), geometric with mean ~127.5 and standard
     * deviation ~127. A sampler that took every thread's first allocation (countdown starting at
     * 0) would give index 0 every time; P(index 0) is really 1 - exp(-1/128) = 0.78%. */
    lb_sampler_set_mean(512 * KIB);
    static struct first_take ft[FIRST_THREADS];
    for (int t = 0; t < FIRST_THREADS; t++)
        run_on_fresh_thread(find_first_take, &ft[t]);

    int at_zero = 0;
    double sum = 0;
    for (int t = 0; t < FIRST_THREADS; t++) {
        ck_assert_msg(ft[t].fresh, "thread %d did not start with zero sampler state", t);
        ck_assert_msg(ft[t].index >= 0, "thread %d took nothing in %d allocations", t, FIRST_CAP);
        at_zero += ft[t].index == 0;
        sum += (double)ft[t].index;
    }
    /* Binomial(100, 0.0078): P(>= 10) < 1e-8. */
    ck_assert_int_lt(at_zero, 10);
    /* Mean of 100 draws: 127.5 +- 12.7; [64, 200] is > 5 standard errors on each side. */
    double mean_index = sum / FIRST_THREADS;
    ck_assert_msg(mean_index > 64 && mean_index < 200, "mean first index %.1f, want ~127.5",
                  mean_index);

    /* The points differ from thread to thread: not one fixed (or rarely varying) seed. */
    int distinct = 0;
    for (int t = 0; t < FIRST_THREADS; t++) {
        bool seen = false;
        for (int u = 0; u < t && !seen; u++)
            seen = ft[u].index == ft[t].index;
        distinct += !seen;
    }
    ck_assert_msg(distinct >= 40, "only %d distinct first indexes in %d threads", distinct,
                  FIRST_THREADS);
}
END_TEST

/* --- unbiasedness ---------------------------------------------------------------------------- */

#define MIXED_ALLOCS 2000000
#define MIXED_SEED 0x1ea4b41d9eULL

/* The workload: 90% tiny (8..64 B), 9.9% of 4 KiB, 0.1% of 1 MiB. About 2.92 GB in total:
 * 65 MB tiny, 811 MB in 4 KiB blocks and 2.05 GB in 1 MiB blocks. */
static size_t mixed_size(uint64_t *rng)
{
    uint64_t r = uu_rand(rng);
    unsigned pick = (unsigned)(r % 1000);
    if (pick < 900)
        return 8 + (size_t)((r >> 32) % 57);
    if (pick < 999)
        return 4096;
    return (size_t)MIB;
}

struct run {
    uint64_t mean;
    size_t (*next_size)(uint64_t *rng);
    uint64_t seed;
    long allocs;
    /* results */
    long double true_bytes, true_count;
    long double est_bytes, est_count; /* sums of weights of taken allocations */
    long double var_bytes, var_count; /* variance of those sums */
    long double expected_taken, var_taken;
    long taken;
    long weight_mismatches; /* a taken allocation whose weight was not s/p */
};

static void *run_workload(void *arg)
{
    struct run *r = arg;
    uint64_t rng = r->seed;
    for (long i = 0; i < r->allocs; i++) {
        size_t s = r->next_size(&rng);
        long double p = prob(s, r->mean);
        r->true_bytes += (long double)s;
        r->true_count += 1;
        /* A taken allocation adds w = s/p with probability p: variance s^2 (1-p)/p. */
        r->var_bytes += (long double)s * (long double)s * (1 - p) / p;
        r->var_count += (1 - p) / p;
        r->expected_taken += p;
        r->var_taken += p * (1 - p);
        if (lb_sampler_take(s)) {
            struct lb_weight w;
            lb_sampler_weight(s, &w);
            r->taken++;
            r->est_bytes += (long double)w.bytes;
            r->est_count += (long double)w.count_fp / LB_COUNT_ONE;
            if (fabsl((long double)w.bytes - (long double)s / p) > 1.0L)
                r->weight_mismatches++;
        }
    }
    return NULL;
}

/* Checks est within Z_BOUND standard errors of truth; slack covers rounding of the weights. */
static void expect_within(const char *what, uint64_t mean, long double est, long double truth,
                          long double var, long double slack)
{
    long double sd = sqrtl(var);
    long double bound = Z_BOUND * sd + slack;
    ck_assert_msg(fabsl(est - truth) <= bound,
                  "mean %llu: %s estimated %.0Lf, true %.0Lf, off by %.0Lf > bound %.0Lf "
                  "(%.1Lf standard errors)",
                  (unsigned long long)mean, what, est, truth, fabsl(est - truth), bound,
                  sd > 0 ? fabsl(est - truth) / sd : 0.0L);
}

/* The estimate of total bytes is a sum over allocations of w_i X_i with X_i ~ Bernoulli(p_i)
 * and w_i = s_i/p_i, so it is unbiased with variance V = sum s_i^2 (1 - p_i)/p_i. For s << M,
 * p ~= s/M and V ~= M * sum s_i = M * B: the relative standard error is sqrt(M/B) = 1/sqrt(N)
 * with N = B/M the expected number of samples. For the mixed workload (B ~= 2.92 GB):
 *   M = 512 KiB: E[N] ~= 3,360 samples (1,670 from blocks << M, 1,690 of the ~1,950 1 MiB
 *                blocks); 1/sqrt(E[N]) would say 1.7%, but the 1 MiB blocks are taken with
 *                p = 0.86 and add little variance: the exact standard error is 0.96% of B, the
 *                bound 4.8%.
 *   M = 16 KiB:  E[N] ~= 49,900; standard error 0.12%, bound 0.6%.
 *   M = 256 B:   E[N] ~= 433,600; standard error 0.0042%, bound 0.021%.
 * The count estimate is judged the same way with V = sum (1 - p_i)/p_i (at 512 KiB it rests on
 * ~120 samples of tiny blocks, so its bound is wide: 47% of the count). The number of samples
 * taken is checked too: mean sum p_i, variance sum p_i (1 - p_i). The test computes V from the
 * workload and allows 5 standard errors. */
static void check_unbiased_on_mixed_workload(uint64_t mean)
{
    lb_sampler_set_mean(mean);
    struct run r = {
        .mean = mean, .next_size = mixed_size, .seed = MIXED_SEED, .allocs = MIXED_ALLOCS};
    run_on_fresh_thread(run_workload, &r);

    ck_assert_int_eq(r.weight_mismatches, 0);
    ck_assert_msg(r.taken > 0, "nothing taken");
    expect_within("samples", mean, (long double)r.taken, r.expected_taken, r.var_taken, 0);
    expect_within("bytes", mean, r.est_bytes, r.true_bytes, r.var_bytes, (long double)r.taken);
    expect_within("count", mean, r.est_count, r.true_count, r.var_count, (long double)r.taken);
    /* Guard the guard: the bound is what the comment above says, not so wide it proves nothing. */
    ck_assert_msg(Z_BOUND * sqrtl(r.var_bytes) < 0.05L * r.true_bytes,
                  "mean %llu: byte bound %.0Lf is not under 5%% of %.0Lf", (unsigned long long)mean,
                  Z_BOUND * sqrtl(r.var_bytes), r.true_bytes);
}

START_TEST(test_estimate_is_unbiased_at_mean_512k)
{
    check_unbiased_on_mixed_workload(512 * KIB);
}
END_TEST

START_TEST(test_estimate_is_unbiased_at_mean_16k)
{
    check_unbiased_on_mixed_workload(16 * KIB);
}
END_TEST

START_TEST(test_estimate_is_unbiased_at_mean_256)
{
    check_unbiased_on_mixed_workload(256);
}
END_TEST

/* 128 KiB .. 1 MiB in 4 KiB steps. */
static size_t large_size(uint64_t *rng)
{
    return (size_t)(128 * KIB + (uu_rand(rng) % 225) * 4 * KIB);
}

START_TEST(test_allocations_much_larger_than_mean_are_all_taken_at_their_size)
{
    /* s/M >= 32: p = 1 - exp(-32) differs from 1 by 1.3e-14, so every allocation is taken (a miss
     * has probability < 1e-13 per allocation) and stands for exactly itself. */
    lb_sampler_set_mean(4 * KIB);
    struct run r = {.mean = 4 * KIB, .next_size = large_size, .seed = 7, .allocs = 200000};
    run_on_fresh_thread(run_workload, &r);
    ck_assert_int_eq(r.weight_mismatches, 0);
    ck_assert_int_eq(r.taken, r.allocs);
    ck_assert_msg(r.est_bytes == r.true_bytes, "estimated %.0Lf bytes, true %.0Lf", r.est_bytes,
                  r.true_bytes);
    ck_assert_msg(r.est_count == r.true_count, "estimated %.3Lf allocations, true %.0Lf",
                  r.est_count, r.true_count);
}
END_TEST

/* Sizes around the mean: 1 to 4 times M = 64 KiB, where p goes from 0.63 to 0.98. */
static size_t near_mean_size(uint64_t *rng)
{
    return (size_t)(64 * KIB + uu_rand(rng) % (192 * KIB + 1));
}

START_TEST(test_estimate_is_unbiased_for_sizes_near_the_mean)
{
    /* Neither regime of the approximations: p ranges over 0.63..0.98, ~88% of the 500,000
     * allocations are taken; the standard error of the bytes is ~0.04%. */
    lb_sampler_set_mean(64 * KIB);
    struct run r = {.mean = 64 * KIB, .next_size = near_mean_size, .seed = 99, .allocs = 500000};
    run_on_fresh_thread(run_workload, &r);
    ck_assert_int_eq(r.weight_mismatches, 0);
    ck_assert_int_lt(r.taken, r.allocs); /* sampling really happened */
    expect_within("samples", r.mean, (long double)r.taken, r.expected_taken, r.var_taken, 0);
    expect_within("bytes", r.mean, r.est_bytes, r.true_bytes, r.var_bytes, (long double)r.taken);
    expect_within("count", r.mean, r.est_count, r.true_count, r.var_count, (long double)r.taken);
}
END_TEST

/* --- thread-local state ------------------------------------------------------------------------
 */

#define TLS_THREADS 4
#define TLS_ALLOCS 300000

struct tls_run {
    pthread_barrier_t *start;
    uint64_t seed;
    bool fresh;
    const struct lb_sampler_tls *state; /* this thread's lb_sampler_tls */
    long broken_steps; /* countdown moved other than by this thread's own allocations */
    struct run r;
};

static void *tls_worker(void *arg)
{
    struct tls_run *t = arg;
    t->state = &lb_sampler_tls;
    t->fresh = lb_sampler_tls.rng == 0 && lb_sampler_tls.countdown == 0;
    pthread_barrier_wait(t->start); /* all four allocate at the same time */
    uint64_t rng = t->seed;
    struct run *r = &t->r;
    for (long i = 0; i < TLS_ALLOCS; i++) {
        size_t s = mixed_size(&rng);
        bool seeded = lb_sampler_tls.rng != 0;
        int64_t before = lb_sampler_tls.countdown;
        bool taken = lb_sampler_take(s);
        int64_t after = lb_sampler_tls.countdown;
        /* Once seeded, only this thread's allocations move its countdown: down by s when not
         * taken, to a fresh interval >= 1 when taken. Shared state would break this at once. */
        if (seeded && (taken ? after < 1 : (after != before - (int64_t)s || after <= 0)))
            t->broken_steps++;
        long double p = prob(s, r->mean);
        r->true_bytes += (long double)s;
        r->var_bytes += (long double)s * (long double)s * (1 - p) / p;
        if (taken) {
            struct lb_weight w;
            lb_sampler_weight(s, &w);
            r->taken++;
            r->est_bytes += (long double)w.bytes;
        }
    }
    return NULL;
}

START_TEST(test_sampler_state_is_per_thread)
{
    lb_sampler_set_mean(64 * KIB);
    /* Give this thread a state of its own and remember it. */
    for (int i = 0; i < 1000; i++)
        (void)lb_sampler_take(1000);
    ck_assert_uint_ne(lb_sampler_tls.rng, 0);
    struct lb_sampler_tls mine = lb_sampler_tls;

    pthread_barrier_t start;
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, TLS_THREADS), 0);
    static struct tls_run runs[TLS_THREADS];
    memset(runs, 0, sizeof runs);
    for (int t = 0; t < TLS_THREADS; t++) {
        runs[t].start = &start;
        runs[t].seed = 1000 + (uint64_t)t;
        runs[t].r.mean = 64 * KIB;
    }
    uu_run_threads(TLS_THREADS, tls_worker, runs, sizeof runs[0]);
    pthread_barrier_destroy(&start);

    /* The other threads' 1.2 million allocations did not touch this thread's state. */
    ck_assert_int_eq(lb_sampler_tls.countdown, mine.countdown);
    ck_assert_uint_eq(lb_sampler_tls.rng, mine.rng);
    for (int t = 0; t < TLS_THREADS; t++) {
        ck_assert_msg(runs[t].fresh, "thread %d did not start with zero state", t);
        ck_assert_ptr_ne(runs[t].state, &lb_sampler_tls);
        for (int u = 0; u < t; u++)
            ck_assert_ptr_ne(runs[t].state, runs[u].state);
        ck_assert_int_eq(runs[t].broken_steps, 0);
        /* And each thread's sample, on its own, estimates its own bytes (~2,300 samples each). */
        expect_within("bytes of one thread", 64 * KIB, runs[t].r.est_bytes, runs[t].r.true_bytes,
                      runs[t].r.var_bytes, (long double)runs[t].r.taken);
    }
}
END_TEST

static Suite *sampler_suite(void)
{
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("weights");
    tcase_add_test(tc, test_mean_zero_takes_every_allocation_with_its_exact_size);
    tcase_add_test(tc, test_weight_is_size_over_p_and_one_over_p);
    tcase_add_test(tc, test_weight_matches_known_values);
    tcase_add_test(tc, test_weight_is_deterministic);
    tcase_add_test(tc, test_weight_decreases_towards_size_as_size_grows);
    suite_add_tcase(s, tc);

    tc = tcase_create("sampling");
    tcase_add_test(tc, test_first_sample_point_of_a_thread_is_random);
    tcase_add_test(tc, test_estimate_is_unbiased_at_mean_512k);
    tcase_add_test(tc, test_estimate_is_unbiased_at_mean_16k);
    tcase_add_test(tc, test_estimate_is_unbiased_at_mean_256);
    tcase_add_test(tc, test_allocations_much_larger_than_mean_are_all_taken_at_their_size);
    tcase_add_test(tc, test_estimate_is_unbiased_for_sizes_near_the_mean);
    tcase_add_test(tc, test_sampler_state_is_per_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(sampler_suite());
}
