/* Unit tests for agent/tracker.c: what a hook's record and free do to the live table and to the
 * site counters, including the realloc protocol (take, then release or put back). */
#include "tracker.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "unit_util.h"

#define ADDR(i) ((uintptr_t)0x7f0000000000ULL + (uintptr_t)(i)*64)

static const struct lb_frame stack_a[2] = {{0x1000, 3, LB_FRAME_JAVA}, {0x2000, 9, LB_FRAME_JAVA}};
static const struct lb_frame stack_b[2] = {{0x3000, 1, LB_FRAME_JAVA}, {0x2000, 9, LB_FRAME_JAVA}};
static const struct lb_frame stack_c[1] = {{0x401000, -1, LB_FRAME_NATIVE}};

/* The site lb_tracker_alloc uses for a stack (interning is idempotent). */
static struct lb_site *site_of(enum lb_origin origin, const struct lb_frame *frames, int n)
{
    struct lb_site *s = lb_sites_intern(origin, frames, n, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

struct counters {
    uint64_t live_bytes, live_count_fp, allocated_bytes, allocated_count_fp, freed_bytes,
        freed_count_fp;
};

static struct counters read_counters(const struct lb_site *s)
{
    struct counters c = {
        lb_sites_live_bytes(s),           lb_sites_live_count_fp(s),
        atomic_load(&s->allocated_bytes), atomic_load(&s->allocated_count_fp),
        atomic_load(&s->freed_bytes),     atomic_load(&s->freed_count_fp),
    };
    return c;
}

/* Counters of a site with exact weights (mean 0): blocks and bytes allocated and freed. */
static void expect_exact(const struct lb_site *s, uint64_t alloc_n, uint64_t alloc_b,
                         uint64_t freed_n, uint64_t freed_b)
{
    struct counters c = read_counters(s);
    ck_assert_uint_eq(c.allocated_bytes, alloc_b);
    ck_assert_uint_eq(c.allocated_count_fp, alloc_n * LB_COUNT_ONE);
    ck_assert_uint_eq(c.freed_bytes, freed_b);
    ck_assert_uint_eq(c.freed_count_fp, freed_n * LB_COUNT_ONE);
    ck_assert_uint_eq(c.live_bytes, alloc_b - freed_b);
    ck_assert_uint_eq(c.live_count_fp, (alloc_n - freed_n) * LB_COUNT_ONE);
}

static size_t tracked_blocks(void)
{
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    return st.live;
}

static void setup(void)
{
    lb_live_table_reset();
    lb_sites_reset();
    lb_sampler_set_mean(0);
    atomic_store(&lb_clock_gc_epoch, 0);
    lb_clock_start();
}

static void teardown(void)
{
    lb_live_table_reset();
    lb_sites_reset();
    atomic_store(&lb_clock_gc_epoch, 0);
}

/* --- alloc and free ------------------------------------------------------------------------- */

START_TEST(test_alloc_then_free_leaves_site_with_nothing_live)
{
    lb_tracker_alloc(ADDR(1), 1000, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    struct lb_site *s = site_of(LB_ORIGIN_UNSAFE, stack_a, 2);
    expect_exact(s, 1, 1000, 0, 0);
    ck_assert_uint_eq(tracked_blocks(), 1);
    lb_tracker_free(ADDR(1));
    expect_exact(s, 1, 1000, 1, 1000);
    ck_assert_uint_eq(tracked_blocks(), 0);
    ck_assert_uint_eq(lb_sites_count(), 1);
}
END_TEST

START_TEST(test_free_of_unknown_address_changes_nothing)
{
    lb_tracker_alloc(ADDR(1), 1000, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    struct lb_site *s = site_of(LB_ORIGIN_UNSAFE, stack_a, 2);
    lb_tracker_free(ADDR(2));
    lb_tracker_free(ADDR(1) + 8);
    expect_exact(s, 1, 1000, 0, 0);
    ck_assert_uint_eq(tracked_blocks(), 1);
    lb_tracker_free(ADDR(1));
    lb_tracker_free(ADDR(1)); /* the second free of the address is unknown too */
    expect_exact(s, 1, 1000, 1, 1000);
    ck_assert_uint_eq(tracked_blocks(), 0);
}
END_TEST

START_TEST(test_block_records_size_site_and_gc_epoch)
{
    atomic_store(&lb_clock_gc_epoch, 5);
    lb_tracker_alloc(ADDR(3), 4242, LB_ORIGIN_MALLOC, stack_c, 1, NULL);
    struct lb_block b;
    ck_assert(lb_tracker_take(ADDR(3), &b));
    ck_assert_uint_eq(b.size, 4242);
    ck_assert_ptr_eq(lb_sites_by_id(b.site_id), site_of(LB_ORIGIN_MALLOC, stack_c, 1));
    ck_assert_uint_eq(b.gc_epoch, 5);
    ck_assert_uint_le(b.time_ms, lb_clock_ms());
    lb_tracker_release(&b);

    /* An epoch beyond the 20-bit field is kept at its maximum, not wrapped to a small one. */
    atomic_store(&lb_clock_gc_epoch, 0x100005);
    lb_tracker_alloc(ADDR(4), 1, LB_ORIGIN_MALLOC, stack_c, 1, NULL);
    ck_assert(lb_tracker_take(ADDR(4), &b));
    ck_assert_uint_eq(b.gc_epoch, LB_BLOCK_EPOCH_MAX);
    lb_tracker_release(&b);

    /* A block past 16 TiB (a reservation) does not fit the field: counted untracked, whole. */
    uint64_t untracked = atomic_load(&lb_tracker_untracked_bytes);
    lb_tracker_alloc(ADDR(5), LB_BLOCK_SIZE_MAX + 1, LB_ORIGIN_MALLOC, stack_c, 1, NULL);
    ck_assert(!lb_tracker_take(ADDR(5), &b));
    ck_assert_uint_eq(atomic_load(&lb_tracker_untracked_bytes) - untracked, LB_BLOCK_SIZE_MAX + 1);
}
END_TEST

static enum lb_kind always_direct(enum lb_origin origin, const struct lb_frame *frames, int n)
{
    (void)origin;
    (void)frames;
    (void)n;
    return LB_KIND_DIRECT_BUFFER;
}

START_TEST(test_site_kind_comes_from_classify_or_is_malloc)
{
    lb_tracker_alloc(ADDR(1), 10, LB_ORIGIN_UNSAFE, stack_a, 2, always_direct);
    lb_tracker_alloc(ADDR(2), 10, LB_ORIGIN_UNSAFE, stack_b, 2, NULL);
    lb_tracker_alloc(ADDR(3), 10, LB_ORIGIN_MMAP, stack_c, 1, NULL);
    ck_assert_uint_eq(site_of(LB_ORIGIN_UNSAFE, stack_a, 2)->kind, LB_KIND_DIRECT_BUFFER);
    ck_assert_uint_eq(site_of(LB_ORIGIN_UNSAFE, stack_b, 2)->kind, LB_KIND_MALLOC);
    ck_assert_uint_eq(site_of(LB_ORIGIN_MMAP, stack_c, 1)->kind, LB_KIND_MALLOC);
    ck_assert_uint_eq(lb_sites_count(), 3);
}
END_TEST

/* --- realloc protocol ----------------------------------------------------------------------- */

START_TEST(test_take_then_put_back_restores_the_block)
{
    lb_tracker_alloc(ADDR(1), 300, LB_ORIGIN_MALLOC, stack_a, 2, NULL);
    struct lb_site *s = site_of(LB_ORIGIN_MALLOC, stack_a, 2);
    struct lb_block b;
    ck_assert(lb_tracker_take(ADDR(1), &b));
    ck_assert_uint_eq(b.size, 300);
    ck_assert_ptr_eq(lb_sites_by_id(b.site_id), s);
    ck_assert_uint_eq(tracked_blocks(), 0);
    expect_exact(s, 1, 300, 0, 0); /* taken is not freed */

    lb_tracker_put_back(ADDR(1), &b); /* the realloc failed */
    ck_assert_uint_eq(tracked_blocks(), 1);
    expect_exact(s, 1, 300, 0, 0);
    /* The block is recorded as before: a free finds it and counts it once. */
    lb_tracker_free(ADDR(1));
    expect_exact(s, 1, 300, 1, 300);
    ck_assert_uint_eq(tracked_blocks(), 0);
}
END_TEST

START_TEST(test_take_then_release_counts_the_block_freed)
{
    lb_tracker_alloc(ADDR(1), 300, LB_ORIGIN_MALLOC, stack_a, 2, NULL);
    struct lb_site *s = site_of(LB_ORIGIN_MALLOC, stack_a, 2);
    struct lb_block b;
    ck_assert(lb_tracker_take(ADDR(1), &b));
    lb_tracker_release(&b); /* the realloc moved it */
    expect_exact(s, 1, 300, 1, 300);
    ck_assert_uint_eq(tracked_blocks(), 0);
    lb_tracker_free(ADDR(1)); /* no longer recorded: not counted twice */
    expect_exact(s, 1, 300, 1, 300);
}
END_TEST

START_TEST(test_take_of_unknown_address_is_a_miss)
{
    lb_tracker_alloc(ADDR(1), 300, LB_ORIGIN_MALLOC, stack_a, 2, NULL);
    struct lb_block b, untouched;
    memset(&b, 0x5c, sizeof b);
    untouched = b;
    ck_assert(!lb_tracker_take(ADDR(2), &b));
    ck_assert_mem_eq(&b, &untouched, sizeof b);
    ck_assert(lb_tracker_take(ADDR(1), &b));
    ck_assert(!lb_tracker_take(ADDR(1), &b)); /* taken already */
    lb_tracker_release(&b);
}
END_TEST

START_TEST(test_put_back_over_a_block_recorded_meanwhile_counts_that_block_freed)
{
    /* Between take and put_back the address was handed out again through a path whose free no
     * hook saw. The address can only hold one block: the one put back stays, the other is freed. */
    lb_tracker_alloc(ADDR(1), 300, LB_ORIGIN_MALLOC, stack_a, 2, NULL);
    struct lb_site *sa = site_of(LB_ORIGIN_MALLOC, stack_a, 2);
    struct lb_block b;
    ck_assert(lb_tracker_take(ADDR(1), &b));
    lb_tracker_alloc(ADDR(1), 70, LB_ORIGIN_MALLOC, stack_b, 2, NULL);
    struct lb_site *sb = site_of(LB_ORIGIN_MALLOC, stack_b, 2);
    lb_tracker_put_back(ADDR(1), &b);
    expect_exact(sb, 1, 70, 1, 70);
    expect_exact(sa, 1, 300, 0, 0);
    ck_assert_uint_eq(tracked_blocks(), 1);
    lb_tracker_free(ADDR(1));
    expect_exact(sa, 1, 300, 1, 300);
    expect_exact(sb, 1, 70, 1, 70);
}
END_TEST

/* --- unseen frees --------------------------------------------------------------------------- */

START_TEST(test_second_alloc_at_same_address_counts_the_first_freed)
{
    /* The first block's free went by where no hook saw it; the allocator handed the address
     * out again. The first block is counted freed, not leaked forever. */
    lb_tracker_alloc(ADDR(1), 100, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    lb_tracker_alloc(ADDR(1), 200, LB_ORIGIN_UNSAFE, stack_b, 2, NULL);
    struct lb_site *sa = site_of(LB_ORIGIN_UNSAFE, stack_a, 2);
    struct lb_site *sb = site_of(LB_ORIGIN_UNSAFE, stack_b, 2);
    expect_exact(sa, 1, 100, 1, 100);
    expect_exact(sb, 1, 200, 0, 0);
    ck_assert_uint_eq(tracked_blocks(), 1);
    lb_tracker_free(ADDR(1));
    expect_exact(sa, 1, 100, 1, 100);
    expect_exact(sb, 1, 200, 1, 200);

    /* Also when both blocks come from the same site. */
    lb_tracker_alloc(ADDR(2), 50, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    lb_tracker_alloc(ADDR(2), 60, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    expect_exact(sa, 3, 210, 2, 150);
    lb_tracker_free(ADDR(2));
    expect_exact(sa, 3, 210, 3, 210);
    ck_assert_uint_eq(tracked_blocks(), 0);
}
END_TEST

/* --- exact and estimated counts ------------------------------------------------------------- */

#define EXACT_BLOCKS 20000

START_TEST(test_counts_are_exact_with_mean_zero)
{
    const struct lb_frame *stacks[3] = {stack_a, stack_b, stack_c};
    const int depth[3] = {2, 2, 1};
    const enum lb_origin origin[3] = {LB_ORIGIN_UNSAFE, LB_ORIGIN_MALLOC, LB_ORIGIN_MMAP};
    uint64_t alloc_n[3] = {0}, alloc_b[3] = {0}, freed_n[3] = {0}, freed_b[3] = {0};
    size_t *sizes = calloc(EXACT_BLOCKS, sizeof *sizes);
    ck_assert_ptr_nonnull(sizes);
    uint64_t rng = 5;
    for (size_t i = 0; i < EXACT_BLOCKS; i++) {
        int k = (int)(i % 3);
        sizes[i] = (size_t)(uu_rand(&rng) % 100000);
        lb_tracker_alloc(ADDR(i), sizes[i], origin[k], stacks[k], depth[k], NULL);
        alloc_n[k]++;
        alloc_b[k] += sizes[i];
    }
    for (size_t i = 0; i < EXACT_BLOCKS; i++) {
        if (uu_rand(&rng) % 4 == 0)
            continue; /* a quarter stays live */
        int k = (int)(i % 3);
        lb_tracker_free(ADDR(i));
        freed_n[k]++;
        freed_b[k] += sizes[i];
    }
    size_t live = 0;
    for (int k = 0; k < 3; k++) {
        struct lb_site *s = site_of(origin[k], stacks[k], depth[k]);
        expect_exact(s, alloc_n[k], alloc_b[k], freed_n[k], freed_b[k]);
        ck_assert_uint_eq(lb_sampler_count_round(lb_sites_live_count_fp(s)),
                          alloc_n[k] - freed_n[k]);
        live += alloc_n[k] - freed_n[k];
    }
    ck_assert_uint_eq(tracked_blocks(), live);
    ck_assert_uint_eq(lb_sites_count(), 3);
    free(sizes);
}
END_TEST

START_TEST(test_free_subtracts_exactly_what_alloc_added_when_sampling)
{
    /* With a sampling mean the weights are estimates, but a free must take back exactly the
     * weight its allocation added, or live bytes would drift (or wrap below zero). */
    lb_sampler_set_mean(64 * 1024);
    uint64_t rng = 11, want_bytes = 0, want_count = 0;
    for (size_t i = 0; i < 5000; i++) {
        size_t size = (size_t)(uu_rand(&rng) % 300000) + 1;
        struct lb_weight w;
        lb_sampler_weight(size, &w);
        want_bytes += w.bytes;
        want_count += w.count_fp;
        lb_tracker_alloc(ADDR(i), size, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    }
    struct lb_site *s = site_of(LB_ORIGIN_UNSAFE, stack_a, 2);
    struct counters c = read_counters(s);
    ck_assert_uint_eq(c.allocated_bytes, want_bytes);
    ck_assert_uint_eq(c.allocated_count_fp, want_count);
    ck_assert_uint_eq(c.live_bytes, want_bytes);
    for (size_t i = 0; i < 5000; i++)
        lb_tracker_free(ADDR(i));
    c = read_counters(s);
    ck_assert_uint_eq(c.live_bytes, 0);
    ck_assert_uint_eq(c.live_count_fp, 0);
    ck_assert_uint_eq(c.freed_bytes, want_bytes);
    ck_assert_uint_eq(c.freed_count_fp, want_count);
    lb_sampler_set_mean(0);
}
END_TEST

/* --- threads -------------------------------------------------------------------------------- */

#define TRACK_THREADS 4
#define TRACK_ROUNDS 50000

struct tracker_worker {
    pthread_barrier_t *start;
    unsigned index;
    uint64_t bytes; /* bytes this thread allocated */
};

static void *alloc_and_free(void *arg)
{
    struct tracker_worker *w = arg;
    pthread_barrier_wait(w->start);
    for (unsigned r = 0; r < TRACK_ROUNDS; r++) {
        uintptr_t a = ADDR((uintptr_t)w->index * 1000000 + r);
        size_t size = 1 + (r % 1000);
        w->bytes += size;
        lb_tracker_alloc(a, size, LB_ORIGIN_MALLOC, r % 2 ? stack_a : stack_b, 2, NULL);
        if (r >= 100) /* keep up to 100 live per thread */
            lb_tracker_free(ADDR((uintptr_t)w->index * 1000000 + r - 100));
    }
    for (unsigned r = TRACK_ROUNDS - 100; r < TRACK_ROUNDS; r++)
        lb_tracker_free(ADDR((uintptr_t)w->index * 1000000 + r));
    return NULL;
}

START_TEST(test_threads_sharing_sites_leave_nothing_live)
{
    pthread_barrier_t start;
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, TRACK_THREADS), 0);
    static struct tracker_worker ws[TRACK_THREADS];
    memset(ws, 0, sizeof ws);
    uint64_t total = 0;
    for (unsigned t = 0; t < TRACK_THREADS; t++) {
        ws[t].start = &start;
        ws[t].index = t;
    }
    uu_run_threads(TRACK_THREADS, alloc_and_free, ws, sizeof ws[0]);
    pthread_barrier_destroy(&start);
    for (unsigned t = 0; t < TRACK_THREADS; t++)
        total += ws[t].bytes;

    struct counters a = read_counters(site_of(LB_ORIGIN_MALLOC, stack_a, 2));
    struct counters b = read_counters(site_of(LB_ORIGIN_MALLOC, stack_b, 2));
    ck_assert_uint_eq(lb_sites_count(), 2);
    ck_assert_uint_eq(a.live_bytes + b.live_bytes, 0);
    ck_assert_uint_eq(a.live_count_fp + b.live_count_fp, 0);
    ck_assert_uint_eq(a.allocated_bytes + b.allocated_bytes, total);
    ck_assert_uint_eq(a.freed_bytes + b.freed_bytes, total);
    ck_assert_uint_eq(a.allocated_count_fp + b.allocated_count_fp,
                      (uint64_t)TRACK_THREADS * TRACK_ROUNDS * LB_COUNT_ONE);
    ck_assert_uint_eq(tracked_blocks(), 0);
}
END_TEST

/* The stop is for good: this test case runs last. After it (a forked child), nothing is
 * recorded, forgotten or taken, and no lock is touched, so a block live before the stop stays
 * counted live. */
START_TEST(test_after_stop_nothing_is_recorded_or_forgotten)
{
    lb_tracker_alloc(ADDR(1), 1000, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    struct lb_site *s = site_of(LB_ORIGIN_UNSAFE, stack_a, 2);
    lb_tracker_stop();
    lb_tracker_alloc(ADDR(2), 500, LB_ORIGIN_UNSAFE, stack_a, 2, NULL);
    lb_tracker_free(ADDR(1));
    struct lb_block block;
    ck_assert(!lb_tracker_take(ADDR(1), &block));
    expect_exact(s, 1, 1000, 0, 0);
    ck_assert_uint_eq(tracked_blocks(), 1);
}
END_TEST

static Suite *tracker_suite(void)
{
    Suite *s = suite_create("tracker");
    TCase *tc = tcase_create("alloc and free");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_alloc_then_free_leaves_site_with_nothing_live);
    tcase_add_test(tc, test_free_of_unknown_address_changes_nothing);
    tcase_add_test(tc, test_block_records_size_site_and_gc_epoch);
    tcase_add_test(tc, test_site_kind_comes_from_classify_or_is_malloc);
    suite_add_tcase(s, tc);

    tc = tcase_create("realloc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_take_then_put_back_restores_the_block);
    tcase_add_test(tc, test_take_then_release_counts_the_block_freed);
    tcase_add_test(tc, test_take_of_unknown_address_is_a_miss);
    tcase_add_test(tc, test_put_back_over_a_block_recorded_meanwhile_counts_that_block_freed);
    suite_add_tcase(s, tc);

    tc = tcase_create("counts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_second_alloc_at_same_address_counts_the_first_freed);
    tcase_add_test(tc, test_counts_are_exact_with_mean_zero);
    tcase_add_test(tc, test_free_subtracts_exactly_what_alloc_added_when_sampling);
    tcase_add_test(tc, test_threads_sharing_sites_leave_nothing_live);
    suite_add_tcase(s, tc);

    tc = tcase_create("stop (last)");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_after_stop_nothing_is_recorded_or_forgotten);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(tracker_suite());
}
