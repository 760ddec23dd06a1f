/* Unit tests for agent/live_table.c: the address -> block table, alone and under concurrent use.
 *
 * Every block written to the table carries data derived from its address (make_block), so a
 * block read back can be checked against the address it came with. */
#include "live_table.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit_util.h"

/* Address i of range r: 16-byte aligned like malloc's, ranges far apart, never 0 or 1. */
static uintptr_t addr_of(unsigned range, size_t i)
{
    return ((uintptr_t)(range + 1) << 36) + (uintptr_t)i * 16;
}

static struct lb_block make_block(uintptr_t addr)
{
    struct lb_block b = {
        .size = ((uint64_t)addr * 3 + 7) & LB_BLOCK_SIZE_MAX,
        .site_id = ((uint64_t)addr ^ 0x5a5a5a5a0ULL) & LB_BLOCK_SITE_ID_MAX,
        .time_ms = ((uint64_t)addr >> 4) & LB_BLOCK_TIME_MAX,
        .gc_epoch = ((uint64_t)addr >> 8) & LB_BLOCK_EPOCH_MAX,
    };
    return b;
}

static bool block_matches(uintptr_t addr, const struct lb_block *b)
{
    struct lb_block want = make_block(addr);
    return b->size == want.size && b->site_id == want.site_id && b->time_ms == want.time_ms &&
           b->gc_epoch == want.gc_epoch;
}

static void insert_ok(uintptr_t addr)
{
    struct lb_block b = make_block(addr), stale;
    enum lb_insert_result r = lb_live_table_insert(addr, &b, &stale);
    UU_REQUIRE(r == LB_INSERT_ADDED, "insert of %#lx gave %d, not LB_INSERT_ADDED",
               (unsigned long)addr, (int)r);
}

static void remove_ok(uintptr_t addr)
{
    struct lb_block got;
    memset(&got, 0, sizeof got);
    UU_REQUIRE(lb_live_table_remove(addr, &got), "address %#lx not found", (unsigned long)addr);
    UU_REQUIRE(block_matches(addr, &got), "address %#lx came back with another block",
               (unsigned long)addr);
}

/* A remove that must miss, and must leave *removed alone. */
static void remove_misses(uintptr_t addr)
{
    struct lb_block got = make_block(12345), untouched = got;
    UU_REQUIRE(!lb_live_table_remove(addr, &got), "address %#lx was found", (unsigned long)addr);
    UU_REQUIRE(memcmp(&got, &untouched, sizeof got) == 0, "miss on %#lx wrote *removed",
               (unsigned long)addr);
}

static size_t live_now(void)
{
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    return st.live;
}

static void setup(void)
{
    lb_live_table_reset();
}

static void teardown(void)
{
    lb_live_table_reset();
}

/* --- basics --------------------------------------------------------------------------------- */

static void count_visit(uintptr_t addr, const struct lb_block *block, void *ctx)
{
    (void)addr;
    (void)block;
    (*(size_t *)ctx)++;
}

START_TEST(test_empty_table_holds_nothing)
{
    struct lb_live_table_stats st;
    memset(&st, 0xff, sizeof st);
    lb_live_table_stats(&st);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.slots, 0);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(st.retired_bytes, 0);
    size_t visits = 0;
    lb_live_table_foreach(count_visit, &visits);
    ck_assert_uint_eq(visits, 0);
    remove_misses(addr_of(0, 1));
}
END_TEST

START_TEST(test_inserted_block_is_found_and_removed_with_its_data)
{
    uintptr_t a = addr_of(0, 42);
    insert_ok(a);
    ck_assert_uint_eq(live_now(), 1);
    remove_ok(a);
    ck_assert_uint_eq(live_now(), 0);
}
END_TEST

START_TEST(test_free_of_unrecorded_address_is_a_miss)
{
    for (size_t i = 0; i < 100; i++)
        insert_ok(addr_of(0, i * 2));
    /* Odd indexes, neighbours 8 bytes off, and other ranges were never inserted. */
    for (size_t i = 0; i < 100; i++) {
        remove_misses(addr_of(0, i * 2 + 1));
        remove_misses(addr_of(0, i * 2) + 8);
        remove_misses(addr_of(1, i * 2));
    }
    ck_assert_uint_eq(live_now(), 100);
    for (size_t i = 0; i < 100; i++)
        remove_ok(addr_of(0, i * 2));
}
END_TEST

START_TEST(test_second_remove_of_same_address_is_a_miss)
{
    uintptr_t a = addr_of(0, 7);
    insert_ok(a);
    remove_ok(a);
    remove_misses(a);
    ck_assert_uint_eq(live_now(), 0);
}
END_TEST

START_TEST(test_removed_address_can_be_recorded_again)
{
    uintptr_t a = addr_of(0, 9);
    for (int i = 0; i < 1000; i++) {
        insert_ok(a);
        remove_ok(a);
    }
    remove_misses(a);
}
END_TEST

START_TEST(test_insert_of_present_address_replaces_and_returns_stale_block)
{
    uintptr_t a = addr_of(0, 3);
    insert_ok(a);
    struct lb_block fresh = make_block(addr_of(5, 5)), stale;
    memset(&stale, 0, sizeof stale);
    ck_assert_int_eq(lb_live_table_insert(a, &fresh, &stale), LB_INSERT_REPLACED);
    ck_assert(block_matches(a, &stale)); /* the old block, for the caller to count freed */
    ck_assert_uint_eq(live_now(), 1);    /* one address, one record */
    struct lb_block got;
    ck_assert(lb_live_table_remove(a, &got));
    ck_assert_mem_eq(&got, &fresh, sizeof got); /* the new block is the one kept */
    remove_misses(a);
}
END_TEST

/* --- growth --------------------------------------------------------------------------------- */

#define GROW_N 200000

struct seen {
    unsigned char *hits; /* visits per index */
    size_t visits;
    size_t bad; /* visits to an address outside the range, or with the wrong block */
};

static void mark_visit(uintptr_t addr, const struct lb_block *block, void *ctx)
{
    struct seen *s = ctx;
    s->visits++;
    uintptr_t base = addr_of(0, 0);
    if (addr < base || (addr - base) % 16 != 0 || (addr - base) / 16 >= GROW_N ||
        !block_matches(addr, block)) {
        s->bad++;
        return;
    }
    s->hits[(addr - base) / 16]++;
}

START_TEST(test_growth_past_200000_entries_keeps_every_entry)
{
    for (size_t i = 0; i < GROW_N; i++)
        insert_ok(addr_of(0, i));
    ck_assert_uint_eq(live_now(), GROW_N);
    for (size_t i = 0; i < GROW_N; i += 2)
        remove_ok(addr_of(0, i));
    ck_assert_uint_eq(live_now(), GROW_N / 2);

    struct seen s = {calloc(GROW_N, 1), 0, 0};
    ck_assert_ptr_nonnull(s.hits);
    lb_live_table_foreach(mark_visit, &s);
    ck_assert_uint_eq(s.bad, 0);
    ck_assert_uint_eq(s.visits, GROW_N / 2);
    for (size_t i = 0; i < GROW_N; i++)
        UU_REQUIRE(s.hits[i] == i % 2, "index %zu visited %d times", i, s.hits[i]);
    free(s.hits);

    for (size_t i = 1; i < GROW_N; i += 2)
        remove_ok(addr_of(0, i));
    for (size_t i = 0; i < GROW_N; i += 997)
        remove_misses(addr_of(0, i));
    ck_assert_uint_eq(live_now(), 0);
}
END_TEST

START_TEST(test_stats_describe_the_tables)
{
    for (size_t i = 0; i < 50000; i++)
        insert_ok(addr_of(0, i));
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    ck_assert_uint_eq(st.live, 50000);
    /* Open addressing at most 70% full, and each slot holds at least a key and a block. */
    ck_assert_uint_ge(st.slots * 7, st.live * 10);
    ck_assert_uint_ge(st.bytes, st.slots * (sizeof(uintptr_t) + sizeof(struct lb_block)));
    /* Grown by 1.35 times from 70% full: at least half full, at most 48 bytes a block. */
    ck_assert_uint_le(st.slots * 5, st.live * 10);
    ck_assert_msg(st.bytes <= st.live * 48, "%zu bytes for %zu blocks", st.bytes, st.live);
    /* Probes stay short: linear probing at most 70% full averages under 1.2 slots past the
     * first for a present key (every key of a shard starting in one part of its table did not). */
    size_t displacement = lb_live_table_displacement();
    ck_assert_msg(displacement * 10 <= st.live * 12, "%zu slots of displacement for %zu blocks",
                  displacement, st.live);
    /* With no lock-free reader about, an outgrown table is freed at the next insert. */
    ck_assert_uint_eq(st.retired_bytes, 0);
}
END_TEST

/* --- memory under churn --------------------------------------------------------------------- */

#define CHURN_BOUND ((size_t)1 << 20)

static void expect_small_footprint(const char *what)
{
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    ck_assert_msg(st.bytes + st.retired_bytes < CHURN_BOUND,
                  "%s: tables hold %zu bytes + %zu retired, bound %zu", what, st.bytes,
                  st.retired_bytes, CHURN_BOUND);
}

START_TEST(test_churn_of_few_addresses_keeps_memory_bounded)
{
    /* 4.8 million operations on four addresses: each remove leaves a tombstone that the next
     * insert of the same address must reuse (or clear), never a slot more or a table more. */
    uintptr_t a[4] = {addr_of(0, 1), addr_of(0, 2), addr_of(1, 1), addr_of(2, 77)};
    for (int round = 0; round < 600000; round++) {
        for (int i = 0; i < 4; i++) {
            struct lb_block b = make_block(a[i]), stale;
            if (lb_live_table_insert(a[i], &b, &stale) != LB_INSERT_ADDED)
                ck_abort_msg("round %d: insert of %#lx not added", round, (unsigned long)a[i]);
        }
        for (int i = 0; i < 4; i++) {
            struct lb_block got;
            if (!lb_live_table_remove(a[i], &got) || !block_matches(a[i], &got))
                ck_abort_msg("round %d: remove of %#lx failed", round, (unsigned long)a[i]);
        }
    }
    ck_assert_uint_eq(live_now(), 0);
    expect_small_footprint("four addresses");
}
END_TEST

START_TEST(test_churn_of_fresh_addresses_keeps_memory_bounded)
{
    /* Like a real allocator: every block at a new address, at most 16 live. 1,000,000
     * tombstones must be cleared as they pile up. */
    for (size_t i = 0; i < 1000000; i++) {
        uintptr_t a = addr_of(0, i);
        struct lb_block b = make_block(a), stale;
        if (lb_live_table_insert(a, &b, &stale) != LB_INSERT_ADDED)
            ck_abort_msg("insert %zu not added", i);
        if (i >= 16) {
            struct lb_block got;
            uintptr_t old = addr_of(0, i - 16);
            if (!lb_live_table_remove(old, &got) || !block_matches(old, &got))
                ck_abort_msg("remove %zu failed", i - 16);
        }
    }
    ck_assert_uint_eq(live_now(), 16);
    expect_small_footprint("fresh addresses");
}
END_TEST

START_TEST(test_bursts_of_fresh_addresses_keep_retired_tables_bounded)
{
    /* A program that allocates 20,000 blocks, frees them all, and does it again at new addresses
     * (a batch job, a connection pool being recycled). The live count goes up and down the same
     * way every round, so the memory the table holds must stop growing after the first rounds:
     * live_table.c frees an outgrown table once no lock-free reader can hold it. */
    size_t next = 0;
    size_t footprint_after_round_3 = 0;
    struct lb_live_table_stats st;
    for (int round = 1; round <= 40; round++) {
        size_t first = next;
        for (int i = 0; i < 20000; i++)
            insert_ok(addr_of(0, next++));
        for (size_t i = first; i < next; i++) {
            struct lb_block got;
            if (!lb_live_table_remove(addr_of(0, i), &got))
                ck_abort_msg("round %d: address %zu lost", round, i);
        }
        lb_live_table_stats(&st);
        UU_REQUIRE(st.live == 0, "round %d: %zu blocks left", round, st.live);
        if (round == 3)
            footprint_after_round_3 = st.bytes + st.retired_bytes;
    }
    ck_assert_msg(st.retired_bytes <= st.bytes,
                  "after 40 rounds %zu bytes of retired tables, more than the %zu bytes of the "
                  "current ones",
                  st.retired_bytes, st.bytes);
    ck_assert_msg(st.bytes + st.retired_bytes <= 2 * footprint_after_round_3,
                  "tables grew from %zu bytes after round 3 to %zu (%zu retired) after round 40",
                  footprint_after_round_3, st.bytes + st.retired_bytes, st.retired_bytes);
}
END_TEST

/* --- foreach -------------------------------------------------------------------------------- */

START_TEST(test_foreach_visits_exactly_the_live_blocks_with_their_data)
{
    for (size_t i = 0; i < 5000; i++)
        insert_ok(addr_of(0, i));
    for (size_t i = 0; i < 5000; i += 3)
        remove_ok(addr_of(0, i));
    /* A replaced block is visited once, with its new data. */
    struct lb_block fresh = make_block(addr_of(0, 1)), stale;
    ck_assert_int_eq(lb_live_table_insert(addr_of(0, 1), &fresh, &stale), LB_INSERT_REPLACED);

    struct seen s = {calloc(GROW_N, 1), 0, 0};
    ck_assert_ptr_nonnull(s.hits);
    lb_live_table_foreach(mark_visit, &s);
    ck_assert_uint_eq(s.bad, 0);
    ck_assert_uint_eq(s.visits, live_now());
    for (size_t i = 0; i < GROW_N; i++) {
        int want = i < 5000 && i % 3 != 0;
        UU_REQUIRE(s.hits[i] == want, "index %zu visited %d times, want %d", i, s.hits[i], want);
    }
    free(s.hits);
}
END_TEST

/* The copy's race, made to happen: between the copy's first read of a slot's key and its read
 * of the block, another thread frees that address and the slot is reused for another
 * address. The copy must not pair the first address with the second one's block (a torn
 * entry); it may drop the first address, which was removed meanwhile. */
static uintptr_t reuse_victim;
static void reuse_slot_once(uintptr_t key, void *slot)
{
    if (key != reuse_victim)
        return;
    uintptr_t other = addr_of(7, 1);
    struct lb_block b = make_block(other);
    lb_live_table_test_reuse(slot, other, &b);
    reuse_victim = 0;
}

static void check_pairs(uintptr_t addr, const struct lb_block *block, void *ctx)
{
    if (!block_matches(addr, block))
        (*(size_t *)ctx)++;
}

START_TEST(test_copy_never_pairs_an_address_with_another_ones_block)
{
    for (size_t i = 0; i < 1000; i++)
        insert_ok(addr_of(0, i));
    reuse_victim = addr_of(0, 500);
    lb_live_table_test_copy_hook = reuse_slot_once;
    size_t torn = 0;
    lb_live_table_foreach(check_pairs, &torn);
    lb_live_table_test_copy_hook = NULL;
    ck_assert_msg(reuse_victim == 0, "the copy never read the victim's slot");
    ck_assert_uint_eq(torn, 0);
}
END_TEST

START_TEST(test_reset_forgets_everything)
{
    for (size_t i = 0; i < 10000; i++)
        insert_ok(addr_of(0, i));
    lb_live_table_reset();
    struct lb_live_table_stats st;
    lb_live_table_stats(&st);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(st.retired_bytes, 0);
    remove_misses(addr_of(0, 5));
    insert_ok(addr_of(0, 5)); /* and works afterwards */
    ck_assert_uint_eq(live_now(), 1);
}
END_TEST

/* --- concurrency ---------------------------------------------------------------------------- */

#define WRITERS 4
#define WRITER_INSERTS 400000
/* Blocks live for the whole test, in range RESIDENT_RANGE (enough that each shard's copy takes
 * a while): every foreach, which copies the shards without their locks, must see each of them
 * once, however the writers' churn rebuilds the shards under the copy. */
#define RESIDENTS 200000
#define RESIDENT_RANGE (WRITERS + 2)

struct shared {
    pthread_barrier_t start;
    _Atomic int writers_done;
};

struct worker {
    struct shared *sh;
    unsigned range;
    /* writer results */
    long inserted, removed, lost, wrong_data, double_removes, not_added;
    /* reader results */
    long misses_checked, false_hits, foreach_calls, foreach_visits, foreach_bad;
    long residents_missed, residents_twice;
    unsigned char *resident_seen; /* per resident: visits in the current foreach */
};

static void writer_remove(struct worker *w, size_t i)
{
    uintptr_t a = addr_of(w->range, i);
    struct lb_block got;
    if (!lb_live_table_remove(a, &got)) {
        w->lost++;
        return;
    }
    w->removed++;
    if (!block_matches(a, &got))
        w->wrong_data++;
    if (i % 64 == 0 && lb_live_table_remove(a, &got))
        w->double_removes++;
}

static void writer_insert(struct worker *w, size_t i)
{
    uintptr_t a = addr_of(w->range, i);
    struct lb_block b = make_block(a), stale;
    if (lb_live_table_insert(a, &b, &stale) != LB_INSERT_ADDED)
        w->not_added++;
    w->inserted++;
}

static void *writer(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(&w->sh->start);
    size_t next = 0;
    for (int round = 0; w->inserted < WRITER_INSERTS; round++) {
        size_t n = (size_t)64 << (round % 8), first = next;
        if (round % 2 == 0) {
            /* A burst of 64 .. 8192 blocks at fresh addresses, then all freed: shards grow and
             * are replaced by new tables while the other threads look up in them. */
            for (size_t i = 0; i < n; i++)
                writer_insert(w, next++);
            for (size_t i = first; i < next; i++)
                writer_remove(w, i);
        } else {
            /* A steady state: 256 live, each new block at a fresh address. Tombstones pile up
             * and the shards are rebuilt in place, moving keys under lock-free readers. */
            for (size_t i = 0; i < 4 * n; i++) {
                writer_insert(w, next++);
                if (next - first > 256)
                    writer_remove(w, next - 257);
            }
            for (size_t i = next - 256; i < next; i++)
                writer_remove(w, i);
        }
    }
    atomic_fetch_add(&w->sh->writers_done, 1);
    return NULL;
}

static void check_visit(uintptr_t addr, const struct lb_block *block, void *ctx)
{
    struct worker *w = ctx;
    w->foreach_visits++;
    if (addr >= addr_of(RESIDENT_RANGE, 0) && addr < addr_of(RESIDENT_RANGE, RESIDENTS)) {
        size_t i = (addr - addr_of(RESIDENT_RANGE, 0)) / 16;
        if (addr != addr_of(RESIDENT_RANGE, i) || !block_matches(addr, block))
            w->foreach_bad++;
        else if (w->resident_seen[i] < 255)
            w->resident_seen[i]++;
        return;
    }
    uintptr_t off = addr - addr_of(0, 0);
    /* Only writers' addresses (ranges 0..3, 16-aligned), each with its own block. */
    if (addr < addr_of(0, 0) || addr >= addr_of(WRITERS, 0) || off % 16 != 0 ||
        !block_matches(addr, block))
        w->foreach_bad++;
}

static void *reader(void *arg)
{
    struct worker *w = arg;
    uint64_t rng = 77;
    pthread_barrier_wait(&w->sh->start);
    while (atomic_load(&w->sh->writers_done) < WRITERS) {
        for (int i = 0; i < 2000; i++) {
            /* Never inserted: 8 bytes off a writer's address (same neighbourhood, same shards
             * under rebuild), or an address of a range no writer uses. */
            uint64_t r = uu_rand(&rng);
            uintptr_t a = (r & 1) ? addr_of((unsigned)((r >> 1) % WRITERS), (r >> 8) % 300000) + 8
                                  : addr_of(WRITERS + 1, (r >> 8) % 1000000);
            struct lb_block got;
            if (lb_live_table_remove(a, &got))
                w->false_hits++;
            w->misses_checked++;
        }
        memset(w->resident_seen, 0, RESIDENTS);
        lb_live_table_foreach(check_visit, w);
        w->foreach_calls++;
        for (size_t i = 0; i < RESIDENTS; i++) {
            w->residents_missed += w->resident_seen[i] == 0;
            w->residents_twice += w->resident_seen[i] > 1;
        }
    }
    return NULL;
}

static void *run_role(void *arg)
{
    struct worker *w = arg;
    return w->range < WRITERS ? writer(arg) : reader(arg);
}

START_TEST(test_concurrent_writers_and_reader_keep_the_table_exact)
{
    static struct shared sh;
    static struct worker ws[WRITERS + 1];
    memset(ws, 0, sizeof ws);
    atomic_store(&sh.writers_done, 0);
    ck_assert_int_eq(pthread_barrier_init(&sh.start, NULL, WRITERS + 1), 0);
    for (unsigned t = 0; t <= WRITERS; t++) {
        ws[t].sh = &sh;
        ws[t].range = t; /* 0..3 write, 4 reads */
    }
    static unsigned char seen[RESIDENTS];
    ws[WRITERS].resident_seen = seen;
    for (size_t i = 0; i < RESIDENTS; i++)
        insert_ok(addr_of(RESIDENT_RANGE, i));
    uu_run_threads(WRITERS + 1, run_role, ws, sizeof ws[0]);
    pthread_barrier_destroy(&sh.start);
    for (size_t i = 0; i < RESIDENTS; i++)
        remove_ok(addr_of(RESIDENT_RANGE, i));

    for (int t = 0; t < WRITERS; t++) {
        struct worker *w = &ws[t];
        ck_assert_int_ge(w->inserted, WRITER_INSERTS);
        ck_assert_int_eq(w->not_added, 0);
        ck_assert_msg(w->lost == 0, "writer %d: %ld of its own blocks not found on remove", t,
                      w->lost);
        ck_assert_int_eq(w->removed, w->inserted); /* each one true exactly once ... */
        ck_assert_int_eq(w->double_removes, 0);    /* ... and never twice */
        ck_assert_int_eq(w->wrong_data, 0);
    }
    struct worker *r = &ws[WRITERS];
    ck_assert_int_eq(r->false_hits, 0);
    ck_assert_int_eq(r->foreach_bad, 0);
    ck_assert_msg(r->residents_missed == 0 && r->residents_twice == 0,
                  "foreach missed %ld and saw %ld twice of the blocks live throughout",
                  r->residents_missed, r->residents_twice);
    ck_assert_int_gt(r->foreach_calls, 0); /* the reader really ran alongside */
    ck_assert_int_gt(r->misses_checked, 0);

    ck_assert_uint_eq(live_now(), 0);
    size_t visits = 0;
    lb_live_table_foreach(count_visit, &visits);
    ck_assert_uint_eq(visits, 0);
}
END_TEST

static Suite *live_table_suite(void)
{
    Suite *s = suite_create("live_table");
    TCase *tc = tcase_create("basics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_empty_table_holds_nothing);
    tcase_add_test(tc, test_inserted_block_is_found_and_removed_with_its_data);
    tcase_add_test(tc, test_free_of_unrecorded_address_is_a_miss);
    tcase_add_test(tc, test_second_remove_of_same_address_is_a_miss);
    tcase_add_test(tc, test_removed_address_can_be_recorded_again);
    tcase_add_test(tc, test_insert_of_present_address_replaces_and_returns_stale_block);
    tcase_add_test(tc, test_foreach_visits_exactly_the_live_blocks_with_their_data);
    tcase_add_test(tc, test_copy_never_pairs_an_address_with_another_ones_block);
    tcase_add_test(tc, test_reset_forgets_everything);
    suite_add_tcase(s, tc);

    tc = tcase_create("growth and memory");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_growth_past_200000_entries_keeps_every_entry);
    tcase_add_test(tc, test_stats_describe_the_tables);
    tcase_add_test(tc, test_churn_of_few_addresses_keeps_memory_bounded);
    tcase_add_test(tc, test_churn_of_fresh_addresses_keeps_memory_bounded);
    tcase_add_test(tc, test_bursts_of_fresh_addresses_keep_retired_tables_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_concurrent_writers_and_reader_keep_the_table_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(live_table_suite());
}
