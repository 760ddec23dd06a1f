/* Unit tests for agent/sites.c: interning stacks into sites, ids, the list of all sites, the
 * classify callback and the counters. */
#include "sites.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_util.h"

static struct lb_frame java(uintptr_t method, int32_t bci)
{
    struct lb_frame f = {.id = method, .bci = bci, .type = LB_FRAME_JAVA};
    return f;
}

static struct lb_frame native(uintptr_t pc)
{
    struct lb_frame f = {.id = pc, .bci = -1, .type = LB_FRAME_NATIVE};
    return f;
}

/* A stack of n frames that differs for every seed. */
static void make_stack(struct lb_frame *frames, int n, uint64_t seed)
{
    uint64_t rng = seed;
    for (int i = 0; i < n; i++)
        frames[i] = (i % 3 == 2) ? native(0x400000 + (uu_rand(&rng) % 0x100000))
                                 : java(0x7f0000000000 + (uu_rand(&rng) % 0x10000) * 8,
                                        (int32_t)(uu_rand(&rng) % 200));
}

static struct lb_site *intern(enum lb_origin origin, const struct lb_frame *frames, int n)
{
    struct lb_site *s = lb_sites_intern(origin, frames, n, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void setup(void)
{
    lb_sites_reset();
}

static void teardown(void)
{
    lb_sites_reset();
}

/* --- identity ------------------------------------------------------------------------------- */

START_TEST(test_equal_stacks_intern_to_the_same_site)
{
    struct lb_frame a[5], b[5];
    make_stack(a, 5, 1);
    memcpy(b, a, sizeof a); /* equal contents, another array */
    struct lb_site *s = intern(LB_ORIGIN_UNSAFE, a, 5);
    ck_assert_ptr_eq(intern(LB_ORIGIN_UNSAFE, b, 5), s);
    ck_assert_ptr_eq(intern(LB_ORIGIN_UNSAFE, a, 5), s);
    ck_assert_uint_eq(lb_sites_count(), 1);
    /* The site keeps its own copy of the frames. */
    memset(a, 0, sizeof a);
    ck_assert_ptr_eq(intern(LB_ORIGIN_UNSAFE, b, 5), s);
    ck_assert_uint_eq(s->nframes, 5);
    ck_assert_mem_eq(s->frames, b, sizeof b);
    ck_assert_uint_eq(s->origin, LB_ORIGIN_UNSAFE);
}
END_TEST

START_TEST(test_stacks_differing_anywhere_intern_to_different_sites)
{
    struct lb_frame base[4];
    make_stack(base, 4, 2);
    struct lb_site *s0 = intern(LB_ORIGIN_UNSAFE, base, 4);

    struct lb_frame v[4];
    struct lb_site *seen[16];
    int n = 0;
    seen[n++] = s0;
    /* Another method id, bci, frame type, in the leaf and in the root frame. */
    for (int at = 0; at < 4; at += 3) {
        memcpy(v, base, sizeof v);
        v[at].id += 8;
        seen[n++] = intern(LB_ORIGIN_UNSAFE, v, 4);
        memcpy(v, base, sizeof v);
        v[at].bci += 1;
        seen[n++] = intern(LB_ORIGIN_UNSAFE, v, 4);
        memcpy(v, base, sizeof v);
        v[at].type = v[at].type == LB_FRAME_JAVA ? LB_FRAME_NATIVE : LB_FRAME_JAVA;
        seen[n++] = intern(LB_ORIGIN_UNSAFE, v, 4);
    }
    /* Two frames swapped. */
    memcpy(v, base, sizeof v);
    v[1] = base[2];
    v[2] = base[1];
    seen[n++] = intern(LB_ORIGIN_UNSAFE, v, 4);
    /* Same frames, other origin. */
    seen[n++] = intern(LB_ORIGIN_MALLOC, base, 4);
    seen[n++] = intern(LB_ORIGIN_MMAP, base, 4);
    /* A prefix and an extension of the same stack. */
    seen[n++] = intern(LB_ORIGIN_UNSAFE, base, 3);
    struct lb_frame longer[5];
    memcpy(longer, base, sizeof base);
    longer[4] = java(0x1234, 5);
    seen[n++] = intern(LB_ORIGIN_UNSAFE, longer, 5);

    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            ck_assert_msg(seen[i] != seen[j], "variants %d and %d share a site", j, i);
    ck_assert_uint_eq(lb_sites_count(), (size_t)n);
    /* And the original is still found as itself. */
    ck_assert_ptr_eq(intern(LB_ORIGIN_UNSAFE, base, 4), s0);
}
END_TEST

START_TEST(test_zero_frame_stack_is_a_valid_site)
{
    /* Whatever the array holds past nframes is not part of the stack. */
    struct lb_frame none[1] = {java(0x1000, 0)}, other_none[1] = {java(0x2000, 1)};
    struct lb_frame one[1] = {java(0x1000, 0)};
    struct lb_site *s = intern(LB_ORIGIN_MALLOC, none, 0);
    ck_assert_uint_eq(s->nframes, 0);
    ck_assert_uint_eq(s->id, 1);
    ck_assert_uint_eq(s->origin, LB_ORIGIN_MALLOC);
    ck_assert_ptr_eq(intern(LB_ORIGIN_MALLOC, none, 0), s);
    ck_assert_ptr_eq(intern(LB_ORIGIN_MALLOC, other_none, 0), s);
    /* Not the same as an empty stack of another origin, nor as a one-frame stack. */
    struct lb_site *other_origin = intern(LB_ORIGIN_UNSAFE, none, 0);
    struct lb_site *one_frame = intern(LB_ORIGIN_MALLOC, one, 1);
    ck_assert_ptr_ne(other_origin, s);
    ck_assert_ptr_ne(one_frame, s);
    ck_assert_ptr_ne(one_frame, other_origin);
    ck_assert_uint_eq(lb_sites_count(), 3);
}
END_TEST

START_TEST(test_many_distinct_stacks_are_all_kept)
{
    /* More stacks than hash buckets: chains must hold them all. */
    enum { N = 100000, DEPTH = 6 };
    struct lb_site **sites = calloc(N, sizeof *sites);
    ck_assert_ptr_nonnull(sites);
    struct lb_frame f[DEPTH];
    for (int i = 0; i < N; i++) {
        make_stack(f, DEPTH, (uint64_t)i + 1000);
        sites[i] = lb_sites_intern(LB_ORIGIN_UNSAFE, f, DEPTH, NULL);
        UU_REQUIRE(sites[i] != NULL, "stack %d not interned", i);
        UU_REQUIRE(sites[i]->id == (uint32_t)i + 1, "stack %d got id %u", i, sites[i]->id);
    }
    ck_assert_uint_eq(lb_sites_count(), N);
    for (int i = 0; i < N; i++) {
        make_stack(f, DEPTH, (uint64_t)i + 1000);
        UU_REQUIRE(lb_sites_intern(LB_ORIGIN_UNSAFE, f, DEPTH, NULL) == sites[i],
                   "stack %d found as another site", i);
    }
    ck_assert_uint_eq(lb_sites_count(), N);
    free(sites);
}
END_TEST

/* --- ids and the list of all sites ------------------------------------------------------------ */

START_TEST(test_ids_count_up_in_creation_order)
{
    struct lb_frame f[3];
    struct lb_site *s[10];
    for (int i = 0; i < 10; i++) {
        make_stack(f, 3, (uint64_t)i + 50);
        s[i] = intern(LB_ORIGIN_UNSAFE, f, 3);
        ck_assert_uint_eq(s[i]->id, (uint32_t)i + 1);
        ck_assert_ptr_eq(lb_sites_by_id(s[i]->id), s[i]); /* what blocks name their site by */
        ck_assert_uint_eq(lb_sites_count(), (size_t)i + 1);
        /* Finding an old site again does not use up an id. */
        make_stack(f, 3, 50);
        ck_assert_ptr_eq(intern(LB_ORIGIN_UNSAFE, f, 3), s[0]);
    }
    ck_assert_uint_eq(s[0]->id, 1);
    ck_assert_ptr_null(lb_sites_by_id(0));
    ck_assert_ptr_null(lb_sites_by_id(11));
    ck_assert_ptr_null(lb_sites_by_id(UINT32_MAX));
}
END_TEST

START_TEST(test_all_sites_are_walked_newest_first)
{
    ck_assert_ptr_null(lb_sites_first());
    enum { N = 500 };
    struct lb_frame f[2];
    for (int i = 0; i < N; i++) {
        make_stack(f, 2, (uint64_t)i + 7);
        intern((enum lb_origin)(i % 3), f, 2);
    }
    uint32_t expect = N;
    size_t walked = 0;
    for (const struct lb_site *s = lb_sites_first(); s; s = s->all_next) {
        ck_assert_uint_eq(s->id, expect);
        make_stack(f, 2, (uint64_t)(s->id - 1) + 7);
        ck_assert_uint_eq(s->origin, (s->id - 1) % 3);
        ck_assert_mem_eq(s->frames, f, sizeof f);
        expect--;
        walked++;
    }
    ck_assert_uint_eq(walked, N);
    ck_assert_uint_eq(expect, 0);
}
END_TEST

START_TEST(test_reset_forgets_all_sites_and_restarts_ids)
{
    struct lb_frame f[2];
    make_stack(f, 2, 3);
    intern(LB_ORIGIN_UNSAFE, f, 2);
    make_stack(f, 2, 4);
    intern(LB_ORIGIN_UNSAFE, f, 2);
    lb_sites_reset();
    ck_assert_uint_eq(lb_sites_count(), 0);
    ck_assert_ptr_null(lb_sites_first());
    struct lb_site *s = intern(LB_ORIGIN_UNSAFE, f, 2); /* seen before the reset: new again */
    ck_assert_uint_eq(s->id, 1);
    ck_assert_uint_eq(lb_sites_count(), 1);
}
END_TEST

/* --- classify ------------------------------------------------------------------------------- */

static struct {
    int calls;
    enum lb_origin origin;
    int nframes;
    struct lb_frame first;
} classified;

/* Kind from the leaf frame: 0xD.. methods are direct buffers, 0xE.. unsafe; native frames mmap. */
static enum lb_kind classify_by_leaf(enum lb_origin origin, const struct lb_frame *frames,
                                     int nframes)
{
    classified.calls++;
    classified.origin = origin;
    classified.nframes = nframes;
    if (nframes == 0)
        return LB_KIND_UNSAFE;
    classified.first = frames[0];
    if (frames[0].type == LB_FRAME_NATIVE)
        return LB_KIND_MMAP;
    if (frames[0].id >> 12 == 0xD)
        return LB_KIND_DIRECT_BUFFER;
    if (frames[0].id >> 12 == 0xE)
        return LB_KIND_UNSAFE;
    return LB_KIND_MALLOC;
}

START_TEST(test_classify_is_asked_for_new_stacks_only_and_its_kind_kept)
{
    memset(&classified, 0, sizeof classified);
    struct lb_frame d[2] = {java(0xD010, 3), java(0x9000, 1)};
    struct lb_frame u[2] = {java(0xE020, 3), java(0x9000, 1)};
    struct lb_frame m[1] = {native(0x401234)};
    struct lb_frame c[3] = {java(0x5000, 0), java(0x6000, 1), java(0x7000, 2)};

    struct lb_site *sd = lb_sites_intern(LB_ORIGIN_UNSAFE, d, 2, classify_by_leaf);
    ck_assert_int_eq(classified.calls, 1);
    ck_assert_int_eq(classified.origin, LB_ORIGIN_UNSAFE);
    ck_assert_int_eq(classified.nframes, 2);
    ck_assert_mem_eq(&classified.first, &d[0], sizeof d[0]);
    ck_assert_uint_eq(sd->kind, LB_KIND_DIRECT_BUFFER);

    struct lb_site *su = lb_sites_intern(LB_ORIGIN_UNSAFE, u, 2, classify_by_leaf);
    struct lb_site *sm = lb_sites_intern(LB_ORIGIN_MMAP, m, 1, classify_by_leaf);
    struct lb_site *sc = lb_sites_intern(LB_ORIGIN_MALLOC, c, 3, classify_by_leaf);
    ck_assert_int_eq(classified.calls, 4);
    ck_assert_int_eq(classified.origin, LB_ORIGIN_MALLOC);
    ck_assert_int_eq(classified.nframes, 3);
    ck_assert_uint_eq(su->kind, LB_KIND_UNSAFE);
    ck_assert_uint_eq(sm->kind, LB_KIND_MMAP);
    ck_assert_uint_eq(sc->kind, LB_KIND_MALLOC);

    /* Known stacks: found without asking again, and the kind stays what it was. */
    for (int i = 0; i < 100; i++) {
        ck_assert_ptr_eq(lb_sites_intern(LB_ORIGIN_UNSAFE, d, 2, classify_by_leaf), sd);
        ck_assert_ptr_eq(lb_sites_intern(LB_ORIGIN_MMAP, m, 1, classify_by_leaf), sm);
        ck_assert_ptr_eq(lb_sites_intern(LB_ORIGIN_MALLOC, c, 3, NULL), sc);
    }
    ck_assert_int_eq(classified.calls, 4);
    ck_assert_uint_eq(sd->kind, LB_KIND_DIRECT_BUFFER);
    ck_assert_uint_eq(sm->kind, LB_KIND_MMAP);
}
END_TEST

START_TEST(test_without_classify_a_site_is_malloc)
{
    struct lb_frame f[1] = {java(0xD010, 3)};
    ck_assert_uint_eq(intern(LB_ORIGIN_UNSAFE, f, 1)->kind, LB_KIND_MALLOC);
    ck_assert_uint_eq(intern(LB_ORIGIN_MMAP, f, 1)->kind, LB_KIND_MALLOC);
}
END_TEST

/* --- counters ------------------------------------------------------------------------------- */

static void expect_counters(const struct lb_site *s, uint64_t live_b, uint64_t live_c,
                            uint64_t alloc_b, uint64_t alloc_c, uint64_t freed_b, uint64_t freed_c)
{
    ck_assert_uint_eq(lb_sites_live_bytes(s), live_b);
    ck_assert_uint_eq(lb_sites_live_count_fp(s), live_c);
    ck_assert_uint_eq(atomic_load(&s->allocated_bytes), alloc_b);
    ck_assert_uint_eq(atomic_load(&s->allocated_count_fp), alloc_c);
    ck_assert_uint_eq(atomic_load(&s->freed_bytes), freed_b);
    ck_assert_uint_eq(atomic_load(&s->freed_count_fp), freed_c);
}

START_TEST(test_add_and_sub_keep_live_equal_to_allocated_minus_freed)
{
    struct lb_frame f[1] = {java(0x42, 0)};
    struct lb_site *s = intern(LB_ORIGIN_UNSAFE, f, 1);
    expect_counters(s, 0, 0, 0, 0, 0, 0);
    struct lb_weight a = {100, LB_COUNT_ONE}, b = {5000, 3 * LB_COUNT_ONE / 2};
    lb_sites_add(s, &a);
    expect_counters(s, 100, LB_COUNT_ONE, 100, LB_COUNT_ONE, 0, 0);
    lb_sites_add(s, &b);
    lb_sites_add(s, &a);
    expect_counters(s, 5200, 7 * LB_COUNT_ONE / 2, 5200, 7 * LB_COUNT_ONE / 2, 0, 0);
    lb_sites_sub(s, &b);
    expect_counters(s, 200, 2 * LB_COUNT_ONE, 5200, 7 * LB_COUNT_ONE / 2, 5000,
                    3 * LB_COUNT_ONE / 2);
    lb_sites_sub(s, &a);
    lb_sites_sub(s, &a);
    expect_counters(s, 0, 0, 5200, 7 * LB_COUNT_ONE / 2, 5200, 7 * LB_COUNT_ONE / 2);
}
END_TEST

/* --- concurrency ---------------------------------------------------------------------------- */

#define THREADS 4
#define STACKS 16
#define ROUNDS 20000

static struct lb_frame shared_stacks[STACKS][8];
static _Atomic int concurrent_classify_calls;

static enum lb_kind classify_counting(enum lb_origin origin, const struct lb_frame *frames,
                                      int nframes)
{
    (void)origin;
    (void)nframes;
    atomic_fetch_add(&concurrent_classify_calls, 1);
    usleep(2000); /* slow, like a classifier asking the JVM: the other threads race past */
    return frames[0].id % 2 ? LB_KIND_UNSAFE : LB_KIND_DIRECT_BUFFER;
}

struct interner {
    pthread_barrier_t *start;
    unsigned seed;
    struct lb_site *got[STACKS]; /* the site this thread got for each stack */
    long disagreements;          /* the same stack gave another site later */
    long failures;
};

static void *intern_many(void *arg)
{
    struct interner *it = arg;
    uint64_t rng = it->seed;
    pthread_barrier_wait(it->start);
    for (int r = 0; r < ROUNDS; r++) {
        int k = (int)(uu_rand(&rng) % STACKS);
        struct lb_site *s =
            lb_sites_intern(LB_ORIGIN_UNSAFE, shared_stacks[k], 1 + k % 8, classify_counting);
        struct lb_weight w = {(uint64_t)k + 1, LB_COUNT_ONE};
        if (!s) {
            it->failures++;
            continue;
        }
        lb_sites_add(s, &w);
        if (r % 2)
            lb_sites_sub(s, &w);
        if (!it->got[k])
            it->got[k] = s;
        else if (it->got[k] != s)
            it->disagreements++;
    }
    return NULL;
}

START_TEST(test_concurrent_interning_makes_one_site_per_stack)
{
    for (int k = 0; k < STACKS; k++)
        make_stack(shared_stacks[k], 8, (uint64_t)k + 300);
    atomic_store(&concurrent_classify_calls, 0);
    pthread_barrier_t start;
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
    static struct interner its[THREADS];
    memset(its, 0, sizeof its);
    for (int t = 0; t < THREADS; t++) {
        its[t].start = &start;
        its[t].seed = (unsigned)t * 7919u + 1;
    }
    uu_run_threads(THREADS, intern_many, its, sizeof its[0]);
    pthread_barrier_destroy(&start);

    ck_assert_uint_eq(lb_sites_count(), STACKS);
    bool id_used[STACKS + 1] = {false};
    for (int k = 0; k < STACKS; k++) {
        struct lb_site *s = lb_sites_intern(LB_ORIGIN_UNSAFE, shared_stacks[k], 1 + k % 8, NULL);
        for (int t = 0; t < THREADS; t++) {
            ck_assert_int_eq(its[t].failures, 0);
            ck_assert_int_eq(its[t].disagreements, 0);
            ck_assert_ptr_eq(its[t].got[k], s);
        }
        ck_assert_uint_ge(s->id, 1);
        ck_assert_uint_le(s->id, STACKS);
        ck_assert(!id_used[s->id]);
        id_used[s->id] = true;
        ck_assert_uint_eq(s->kind,
                          shared_stacks[k][0].id % 2 ? LB_KIND_UNSAFE : LB_KIND_DIRECT_BUFFER);
        /* Counters added from four threads at once still add up. */
        uint64_t alloc = atomic_load(&s->allocated_bytes), freed = atomic_load(&s->freed_bytes);
        ck_assert_uint_ge(alloc, freed);
        ck_assert_uint_eq(lb_sites_live_bytes(s), alloc - freed);
        ck_assert_uint_eq(lb_sites_live_count_fp(s),
                          atomic_load(&s->allocated_count_fp) - atomic_load(&s->freed_count_fp));
        ck_assert_uint_eq(alloc % ((uint64_t)k + 1), 0);
    }
    /* Classify may race for a new stack, but never runs for a stack already interned: at most
     * one call per thread per stack. */
    ck_assert_int_ge(atomic_load(&concurrent_classify_calls), STACKS);
    ck_assert_int_le(atomic_load(&concurrent_classify_calls), STACKS * THREADS);

    /* Every add of the 4 x 20,000 rounds is counted, every other one freed again. */
    uint64_t allocs = 0, frees = 0;
    for (const struct lb_site *s = lb_sites_first(); s; s = s->all_next) {
        allocs += atomic_load(&s->allocated_count_fp);
        frees += atomic_load(&s->freed_count_fp);
    }
    ck_assert_uint_eq(allocs, (uint64_t)THREADS * ROUNDS * LB_COUNT_ONE);
    ck_assert_uint_eq(frees, (uint64_t)THREADS * ROUNDS / 2 * LB_COUNT_ONE);
}
END_TEST

/* --- bounds ---------------------------------------------------------------------------------- */

/* Groups stacks by their first frame's parity: "libeven.so" or none. */
static const char *module_by_parity(const struct lb_frame *frames, int nframes, uint32_t gen)
{
    (void)gen;
    return nframes > 0 && frames[0].id % 2 == 0 ? "libeven.so" : NULL;
}

static enum lb_kind classify_unsafe(enum lb_origin origin, const struct lb_frame *frames, int n)
{
    (void)origin;
    (void)frames;
    (void)n;
    return LB_KIND_UNSAFE;
}

START_TEST(test_stacks_past_max_sites_fold_per_origin_kind_and_module)
{
    lb_sites_set_limit(3, module_by_parity);
    struct lb_frame f[4];
    struct lb_site *own[3];
    for (int i = 0; i < 3; i++) {
        make_stack(f, 4, (uint64_t)i + 1);
        own[i] = intern(LB_ORIGIN_MALLOC, f, 4);
        ck_assert_ptr_null(own[i]->overflow);
    }
    struct lb_sites_folding folding;
    lb_sites_folding(&folding);
    ck_assert(!folding.by_count && folding.folds == 0);
    /* 200 more stacks: half fold at libeven.so's overflow site, half at the module-less one. */
    struct lb_site *even = NULL, *odd = NULL;
    for (int i = 0; i < 200; i++) {
        make_stack(f, 4, (uint64_t)i + 100);
        f[0] = java((uintptr_t)(0x1000 + 2 * i + (i % 2)), 0);
        struct lb_site *s = intern(LB_ORIGIN_MALLOC, f, 4);
        ck_assert_ptr_nonnull(s->overflow);
        ck_assert_int_eq(s->nframes, 0);
        struct lb_site **slot = i % 2 ? &odd : &even;
        if (!*slot)
            *slot = s;
        ck_assert_ptr_eq(s, *slot);
    }
    ck_assert_ptr_ne(even, odd);
    ck_assert_str_eq(even->overflow->module, "libeven.so");
    ck_assert_ptr_null(odd->overflow->module);
    /* A stack that has a site of its own keeps it. */
    make_stack(f, 4, 1);
    ck_assert_ptr_eq(intern(LB_ORIGIN_MALLOC, f, 4), own[0]);
    /* Another origin or kind is another overflow site. */
    make_stack(f, 4, 7777);
    f[0] = java(0x2000, 0);
    struct lb_site *mmap_site = intern(LB_ORIGIN_MMAP, f, 4);
    struct lb_site *unsafe = lb_sites_intern(LB_ORIGIN_MALLOC, f, 4, classify_unsafe);
    ck_assert_ptr_ne(mmap_site, even);
    ck_assert_ptr_ne(unsafe, even);
    ck_assert_ptr_ne(unsafe, mmap_site);
    ck_assert_uint_eq(unsafe->kind, LB_KIND_UNSAFE);
    /* The same folded stack again: one more allocation, not one more stack. */
    make_stack(f, 4, 100);
    f[0] = java(0x1000, 0);
    ck_assert_ptr_eq(intern(LB_ORIGIN_MALLOC, f, 4), even);
    ck_assert_uint_eq(atomic_load(&even->overflow->folds), 101);
    uint64_t stacks = lb_sites_folded_stacks(even);
    ck_assert_msg(stacks >= 95 && stacks <= 101, "100 folded stacks estimated as %llu",
                  (unsigned long long)stacks);
    ck_assert_uint_eq(lb_sites_folded_stacks(own[0]), 0);
    lb_sites_folding(&folding);
    ck_assert(folding.by_count && !folding.by_memory);
    ck_assert_uint_eq(folding.folds, 203);
    ck_assert_uint_eq(folding.overflow_sites, 4);
    ck_assert_uint_eq(lb_sites_count(), 3 + 4);
    lb_sites_set_limit(0, NULL);
}
END_TEST

/* The sketch's estimate over many stacks stays within a few percent. */
START_TEST(test_folded_stacks_are_estimated_closely)
{
    lb_sites_set_limit(1, NULL);
    struct lb_frame f[3];
    make_stack(f, 3, 1);
    intern(LB_ORIGIN_MALLOC, f, 3);
    struct lb_site *o = NULL;
    const int n = 50000;
    for (int i = 0; i < n; i++) {
        make_stack(f, 3, (uint64_t)i + 10);
        o = intern(LB_ORIGIN_MALLOC, f, 3);
    }
    double got = (double)lb_sites_folded_stacks(o);
    ck_assert_msg(got > n * 0.9 && got < n * 1.1, "%d stacks estimated as %.0f", n, got);
    lb_sites_set_limit(0, NULL);
}
END_TEST

static Suite *sites_suite(void)
{
    Suite *s = suite_create("sites");
    TCase *tc = tcase_create("identity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_equal_stacks_intern_to_the_same_site);
    tcase_add_test(tc, test_stacks_differing_anywhere_intern_to_different_sites);
    tcase_add_test(tc, test_zero_frame_stack_is_a_valid_site);
    tcase_add_test(tc, test_many_distinct_stacks_are_all_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("ids and list");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ids_count_up_in_creation_order);
    tcase_add_test(tc, test_all_sites_are_walked_newest_first);
    tcase_add_test(tc, test_reset_forgets_all_sites_and_restarts_ids);
    suite_add_tcase(s, tc);

    tc = tcase_create("classify and counters");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_classify_is_asked_for_new_stacks_only_and_its_kind_kept);
    tcase_add_test(tc, test_without_classify_a_site_is_malloc);
    tcase_add_test(tc, test_add_and_sub_keep_live_equal_to_allocated_minus_freed);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_stacks_past_max_sites_fold_per_origin_kind_and_module);
    tcase_add_test(tc, test_folded_stacks_are_estimated_closely);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_concurrent_interning_makes_one_site_per_stack);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(sites_suite());
}
