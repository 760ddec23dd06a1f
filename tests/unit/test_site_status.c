/* Unit tests for agent/site_status.c (growth between reports, the status rules) and agent/ages.c
 * (block ages per site from the live table). */
#include "site_status.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ages.h"
#include "clock.h"
#include "live_table.h"
#include "sampler.h"
#include "unit_util.h"

static struct lb_site *site_with_id(uint32_t id)
{
    static struct lb_site sites[16];
    ck_assert_uint_lt(id, UU_COUNT(sites));
    sites[id].id = id;
    return &sites[id];
}

static struct lb_snapshot snap(uint32_t id, uint64_t live_bytes, uint64_t live_count)
{
    return (struct lb_snapshot){
        .site = site_with_id(id), .live_bytes = live_bytes, .live_count = live_count};
}

START_TEST(test_first_report_has_no_growth_and_later_ones_count_streaks)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s[2] = {snap(1, 100, 1), snap(2, 50, 1)};
    ck_assert(lb_site_status_judge(&h, s, 2, 1));
    ck_assert(!s[0].has_growth && !s[1].has_growth);
    ck_assert_str_eq(s[0].status, "live");
    ck_assert_str_eq(s[0].status_rule, "default");

    struct lb_snapshot t[3] = {snap(3, 10, 1), snap(1, 300, 3), snap(2, 20, 1)};
    ck_assert(lb_site_status_judge(&h, t, 3, 2));
    ck_assert(t[1].has_growth);
    ck_assert_int_eq(t[1].growth_bytes, 200);
    ck_assert_int_eq(t[1].growth_count, 2);
    ck_assert_uint_eq(t[1].growth_streak, 1);
    ck_assert_int_eq(t[2].growth_bytes, -30);
    ck_assert_uint_eq(t[2].growth_streak, 0);
    ck_assert_int_eq(t[0].growth_bytes, 10); /* new since the last report: grew from nothing */
    ck_assert_uint_eq(t[0].growth_streak, 1);
    ck_assert_uint_eq(h.sequence, 2);

    struct lb_snapshot u[1] = {snap(1, 300, 3)};
    ck_assert(lb_site_status_judge(&h, u, 1, 3));
    ck_assert_int_eq(u[0].growth_bytes, 0);
    ck_assert_uint_eq(u[0].growth_streak, 0); /* no growth ends the streak */
    lb_site_status_history_free(&h);
}
END_TEST

static void grow_three_times(struct lb_site_status_history *h, struct lb_snapshot *last,
                             bool survived)
{
    for (unsigned r = 1; r <= 3; r++) {
        *last = snap(1, 100 * r, r);
        last->has_age = true;
        last->gcs_survived_max = survived ? 1 : 0;
        ck_assert(lb_site_status_judge(h, last, 1, r));
    }
}

START_TEST(test_growing_in_two_reports_after_surviving_a_gc_is_leak_suspect)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s;
    grow_three_times(&h, &s, true);
    ck_assert_uint_eq(s.growth_streak, 2);
    ck_assert_str_eq(s.status, "leak-suspect");
    ck_assert_str_eq(s.status_rule, "growing");
    lb_site_status_history_free(&h);

    /* The same growth without any GC survived may be memory waiting for one. */
    grow_three_times(&h, &s, false);
    ck_assert_str_eq(s.status, "live");
    lb_site_status_history_free(&h);
}
END_TEST

START_TEST(test_forced_gc_releasing_half_is_gc_deferred_and_wins_over_growth)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s;
    grow_three_times(&h, &s, true);
    s = snap(1, 400, 4);
    s.has_released = true;
    s.released_bytes = 400; /* 800 before the GC, half released */
    s.has_age = true;
    s.gcs_survived_max = 2;
    ck_assert(lb_site_status_judge(&h, &s, 1, 4));
    ck_assert_str_eq(s.status, "gc-deferred");
    ck_assert_str_eq(s.status_rule, "forced-gc-released");

    s = snap(1, 401, 4);
    s.has_released = true;
    s.released_bytes = 399; /* just under half */
    ck_assert(lb_site_status_judge(&h, &s, 1, 5));
    ck_assert_str_ne(s.status, "gc-deferred");

    s = snap(1, 0, 0); /* everything released: still listed, as gc-deferred */
    s.has_released = true;
    s.released_bytes = 1000;
    ck_assert(lb_site_status_judge(&h, &s, 1, 6));
    ck_assert_str_eq(s.status, "gc-deferred");
    lb_site_status_history_free(&h);
}
END_TEST

START_TEST(test_old_survivors_need_both_age_and_gcs)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s = snap(1, 100, 1);
    s.has_age = true;
    s.age_p50_ms = LB_OLD_AGE_MS;
    s.gcs_survived_p50 = LB_OLD_GCS;
    ck_assert(lb_site_status_judge(&h, &s, 1, 1));
    ck_assert_str_eq(s.status_rule, "old-survivors");
    ck_assert_str_eq(s.status, "leak-suspect");

    s.age_p50_ms = LB_OLD_AGE_MS - 1;
    ck_assert(lb_site_status_judge(&h, &s, 1, 2));
    ck_assert_str_eq(s.status, "live");
    s.age_p50_ms = LB_OLD_AGE_MS;
    s.gcs_survived_p50 = LB_OLD_GCS - 1;
    ck_assert(lb_site_status_judge(&h, &s, 1, 3));
    ck_assert_str_eq(s.status, "live");
    lb_site_status_history_free(&h);
}
END_TEST

/* --- ages ------------------------------------------------------------------------------------ */

static void put(uintptr_t addr, uint32_t site, uint64_t time_ms, uint32_t epoch)
{
    struct lb_block b = {
        .size = 64, .site = site_with_id(site), .time_ms = time_ms, .gc_epoch = epoch};
    struct lb_block old;
    ck_assert_int_eq(lb_live_table_insert(addr, &b, &old), LB_INSERT_ADDED);
}

START_TEST(test_ages_give_oldest_median_and_gcs_per_site)
{
    lb_sampler_set_mean(0);
    lb_live_table_reset();
    /* Site 1: ten blocks allocated at 0, 100, ..., 900 ms, after 0..9 GCs. */
    for (uint32_t i = 0; i < 10; i++)
        put(0x10000 + 64 * i, 1, 100 * i, i);
    /* Site 2: one block; site 3 has none in the table. */
    put(0x90000, 2, 500, 4);
    struct lb_snapshot s[3] = {snap(1, 640, 10), snap(2, 64, 1), snap(3, 0, 0)};
    ck_assert(lb_ages_fill(s, 3, 1000, 10));
    ck_assert(s[0].has_age);
    ck_assert_uint_eq(s[0].age_oldest_ms, 1000);
    ck_assert_uint_eq(s[0].age_p50_ms, 600); /* 5 of 10 are at least 600 ms old */
    ck_assert_uint_eq(s[0].age_p90_ms, 1000);
    ck_assert_uint_eq(s[0].gcs_survived_max, 10);
    ck_assert_uint_eq(s[0].gcs_survived_p50, 6);
    ck_assert(s[1].has_age);
    ck_assert_uint_eq(s[1].age_oldest_ms, 500);
    ck_assert_uint_eq(s[1].gcs_survived_max, 6);
    ck_assert(!s[2].has_age);
    lb_live_table_reset();
}
END_TEST

/* Thousands of sites, each with its own number of blocks, and blocks of a site that is not in
 * the snapshot (interned after it): each site gets exactly its own blocks' ages. */
START_TEST(test_ages_of_many_sites_come_from_their_own_blocks_only)
{
    enum { SITES = 3000 };
    lb_sampler_set_mean(0);
    lb_live_table_reset();
    struct lb_site **sites = calloc(SITES + 1, sizeof *sites);
    struct lb_snapshot *s = calloc(SITES, sizeof *s);
    ck_assert(sites && s);
    uintptr_t addr = 0x100000;
    for (uint32_t i = 0; i <= SITES; i++) {
        sites[i] = calloc(1, sizeof **sites);
        ck_assert_ptr_nonnull(sites[i]);
        sites[i]->id = i + 100;
        /* Site i: i % 7 + 1 blocks, the oldest allocated at i ms; the extra site's at 0. */
        for (uint32_t k = 0; k <= i % 7; k++) {
            struct lb_block b = {
                .size = 64, .site = sites[i], .time_ms = i < SITES ? i + 10 * k : 0, .gc_epoch = k};
            struct lb_block old;
            ck_assert_int_eq(lb_live_table_insert(addr, &b, &old), LB_INSERT_ADDED);
            addr += 64;
        }
        if (i < SITES)
            s[i] = (struct lb_snapshot){.site = sites[i]};
    }
    ck_assert(lb_ages_fill(s, SITES, 100000, 50));
    for (uint32_t i = 0; i < SITES; i++) {
        ck_assert(s[i].has_age);
        ck_assert_uint_eq(s[i].age_oldest_ms, 100000 - i);
        ck_assert_uint_eq(s[i].gcs_survived_max, 50);
        /* The youngest block is at i + 10 * (i % 7): the 90% point is never younger. */
        ck_assert_uint_ge(s[i].age_p90_ms, 100000 - i - 10 * (i % 7));
    }
    lb_live_table_reset();
    for (uint32_t i = 0; i <= SITES; i++)
        free(sites[i]);
    free(sites);
    free(s);
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_first_report_has_no_growth_and_later_ones_count_streaks);
    tcase_add_test(tc, test_growing_in_two_reports_after_surviving_a_gc_is_leak_suspect);
    tcase_add_test(tc, test_forced_gc_releasing_half_is_gc_deferred_and_wins_over_growth);
    tcase_add_test(tc, test_old_survivors_need_both_age_and_gcs);
    suite_add_tcase(s, tc);
    tc = tcase_create("ages");
    tcase_add_test(tc, test_ages_give_oldest_median_and_gcs_per_site);
    tcase_add_test(tc, test_ages_of_many_sites_come_from_their_own_blocks_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(classify_suite());
}
