/* Unit tests for agent/arena.c: zeroed, aligned blocks of every size class, reuse of freed
 * blocks, large blocks, and many threads at once.
 *
 * Built twice: test_arena under the sanitizers, where the arena hands out calloc's blocks, and
 * test_arena_mapped without them, where it hands out its own mappings (LB_EXPECT_MAPPED). */
#include "arena.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit_util.h"

#ifndef LB_EXPECT_MAPPED
#define LB_EXPECT_MAPPED 0
#endif

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Sizes around every class boundary: 1..1024 by granule, powers of two to 64 KiB, large. */
static const size_t sizes[] = {1,     8,     63,    64,    65,    80,     127,     128,    200,
                               1000,  1023,  1024,  1025,  2047,  2048,   2049,    4096,   4128,
                               16384, 32769, 65535, 65536, 65537, 200000, 1048576, 3 << 20};

START_TEST(test_path_is_the_expected_one)
{
    ck_assert_int_eq(lb_arena_mapped(), LB_EXPECT_MAPPED);
    void *p = lb_arena_calloc(100);
    ck_assert_ptr_nonnull(p);
    /* Either way the agent's own memory is counted (under ASan: what it asked calloc for). */
    if (LB_EXPECT_MAPPED)
        ck_assert_uint_ge(lb_arena_mapped_bytes(), 100);
    else
        ck_assert_uint_eq(lb_arena_mapped_bytes(), 100);
    lb_arena_free(p, 100);
    if (!LB_EXPECT_MAPPED)
        ck_assert_uint_eq(lb_arena_mapped_bytes(), 0);
}
END_TEST

START_TEST(test_zeroed_aligned_writable)
{
    for (size_t i = 0; i < UU_COUNT(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *p = lb_arena_calloc(n);
        ck_assert_msg(p != NULL, "no block of %zu bytes", n);
        if (LB_EXPECT_MAPPED)
            ck_assert_msg((uintptr_t)p % LB_ARENA_ALIGN == 0, "%zu bytes at %p", n, (void *)p);
        else
            ck_assert_msg((uintptr_t)p % 16 == 0, "%zu bytes at %p", n, (void *)p);
        ck_assert_msg(all_zero(p, n), "block of %zu bytes not zeroed", n);
        memset(p, 0xA5, n); /* all of it is ours (ASan would say otherwise) */
        lb_arena_free(p, n);
    }
}
END_TEST

START_TEST(test_zero_size_and_null)
{
    ck_assert_ptr_null(lb_arena_calloc(0));
    lb_arena_free(NULL, 0);
    lb_arena_free(NULL, 100);
    if (LB_EXPECT_MAPPED) { /* ASan's calloc aborts on such sizes instead of failing */
        ck_assert_ptr_null(lb_arena_calloc(SIZE_MAX));
        ck_assert_ptr_null(lb_arena_calloc(SIZE_MAX - 100));
    }
}
END_TEST

/* A freed block comes back, zeroed again, for the next request of its class. */
START_TEST(test_reuse)
{
    for (size_t i = 0; i < UU_COUNT(sizes); i++) {
        size_t n = sizes[i];
        unsigned char *p = lb_arena_calloc(n);
        ck_assert_ptr_nonnull(p);
        memset(p, 0xFF, n);
        lb_arena_free(p, n);
        size_t mapped = lb_arena_mapped_bytes();
        unsigned char *q = lb_arena_calloc(n);
        ck_assert_ptr_nonnull(q);
        ck_assert_msg(all_zero(q, n), "reused block of %zu bytes not zeroed", n);
        if (LB_EXPECT_MAPPED && n <= 65536) {
            ck_assert_msg(q == p, "%zu bytes: freed block %p not reused (got %p)", n, (void *)p,
                          (void *)q);
            ck_assert_uint_eq(lb_arena_mapped_bytes(), mapped);
        }
        lb_arena_free(q, n);
    }
}
END_TEST

/* Large blocks are mappings of their own: freeing one gives its pages back. */
START_TEST(test_large_blocks_unmapped)
{
    size_t before = lb_arena_mapped_bytes();
    void *p = lb_arena_calloc(1000000);
    ck_assert_ptr_nonnull(p);
    if (LB_EXPECT_MAPPED)
        ck_assert_uint_eq(lb_arena_mapped_bytes(), before + 1003520); /* pages */
    lb_arena_free(p, 1000000);
    ck_assert_uint_eq(lb_arena_mapped_bytes(), before);
}
END_TEST

/* Blocks live at the same time never overlap, across many chunks. */
START_TEST(test_no_overlap)
{
    enum { N = 6000 };
    static unsigned char *blocks[N];
    static size_t lens[N];
    uint64_t rng = 42;
    for (int i = 0; i < N; i++) {
        lens[i] = 1 + uu_rand(&rng) % 3000;
        blocks[i] = lb_arena_calloc(lens[i]);
        UU_REQUIRE(blocks[i] != NULL, "block %d", i);
        memset(blocks[i], (unsigned char)i, lens[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < lens[i]; k++)
            UU_REQUIRE(blocks[i][k] == (unsigned char)i, "block %d overwritten at %zu", i, k);
    for (int i = 0; i < N; i += 2)
        lb_arena_free(blocks[i], lens[i]);
    for (int i = 0; i < N; i += 2) {
        blocks[i] = lb_arena_calloc(lens[i]);
        UU_REQUIRE(blocks[i] != NULL, "block %d again", i);
        memset(blocks[i], (unsigned char)i, lens[i]);
    }
    for (int i = 0; i < N; i++) {
        for (size_t k = 0; k < lens[i]; k++)
            UU_REQUIRE(blocks[i][k] == (unsigned char)i, "block %d overwritten at %zu", i, k);
        lb_arena_free(blocks[i], lens[i]);
    }
}
END_TEST

struct churn_arg {
    unsigned seed;
    int errors;
};

static void *churn(void *varg)
{
    struct churn_arg *a = varg;
    enum { LIVE = 64 };
    unsigned char *live[LIVE] = {0};
    size_t lens[LIVE] = {0};
    uint64_t rng = a->seed;
    for (int round = 0; round < 20000; round++) {
        unsigned k = (unsigned)(uu_rand(&rng) % LIVE);
        if (live[k]) {
            for (size_t i = 0; i < lens[k]; i++)
                if (live[k][i] != (unsigned char)(a->seed + k))
                    a->errors++;
            lb_arena_free(live[k], lens[k]);
        }
        lens[k] = 1 + uu_rand(&rng) % 5000;
        live[k] = lb_arena_calloc(lens[k]);
        if (!live[k] || !all_zero(live[k], lens[k])) {
            a->errors++;
            live[k] = NULL;
            continue;
        }
        memset(live[k], (unsigned char)(a->seed + k), lens[k]);
    }
    for (unsigned k = 0; k < LIVE; k++)
        lb_arena_free(live[k], lens[k]);
    return NULL;
}

START_TEST(test_threads)
{
    struct churn_arg args[4];
    for (unsigned i = 0; i < UU_COUNT(args); i++)
        args[i] = (struct churn_arg){.seed = 1000 + i * 77, .errors = 0};
    uu_run_threads((int)UU_COUNT(args), churn, args, sizeof args[0]);
    for (unsigned i = 0; i < UU_COUNT(args); i++)
        ck_assert_int_eq(args[i].errors, 0);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_path_is_the_expected_one);
    tcase_add_test(tc, test_zeroed_aligned_writable);
    tcase_add_test(tc, test_zero_size_and_null);
    tcase_add_test(tc, test_reuse);
    tcase_add_test(tc, test_large_blocks_unmapped);
    tcase_add_test(tc, test_no_overlap);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(arena_suite());
}
