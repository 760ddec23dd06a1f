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
#include "sites.h"
#include "unit_util.h"

/* A real site with this id (blocks name their site by id: sites.h), made with stacks of their
 * own until the id exists. */
static struct lb_site *site_with_id(uint32_t id)
{
    static uintptr_t next_pc = 0x1000;
    struct lb_site *site;
    while (!(site = lb_sites_by_id(id))) {
        struct lb_frame f = {.id = next_pc++, .bci = -1, .type = LB_FRAME_NATIVE};
        ck_assert_ptr_nonnull(lb_sites_intern(LB_ORIGIN_MALLOC, &f, 1, NULL));
    }
    return site;
}

static struct lb_snapshot snap(uint32_t id, uint64_t live_bytes, uint64_t live_count)
{
    return (struct lb_snapshot){
        .site = site_with_id(id), .live_bytes = live_bytes, .live_count = live_count};
}

#define WINDOW 10000u

/* Judges one report at time t (ms) with the default-like window, exact figures. */
static bool judge_at(struct lb_site_status_history *h, struct lb_snapshot *s, size_t n,
                     unsigned seq, uint64_t t)
{
    return lb_site_status_judge(h, s, n, seq, t, WINDOW, 0, NULL);
}

/* A site that survived a GC, with live bytes at time t. */
static struct lb_snapshot aged(uint32_t id, uint64_t live_bytes)
{
    struct lb_snapshot s = snap(id, live_bytes, live_bytes / 100);
    s.has_age = true;
    s.gcs_survived_max = 1;
    return s;
}

START_TEST(test_first_report_has_no_growth_and_later_ones_count_streaks)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s[2] = {snap(1, 100, 1), snap(2, 50, 1)};
    ck_assert(judge_at(&h, s, 2, 1, 0));
    ck_assert(!s[0].has_growth && !s[1].has_growth);
    ck_assert_str_eq(s[0].status, "live");
    ck_assert_str_eq(s[0].status_rule, "default");

    struct lb_snapshot t[3] = {snap(3, 10, 1), snap(1, 300, 3), snap(2, 20, 1)};
    ck_assert(judge_at(&h, t, 3, 2, 1000));
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
    ck_assert(judge_at(&h, u, 1, 3, 2000));
    ck_assert_int_eq(u[0].growth_bytes, 0);
    ck_assert_uint_eq(u[0].growth_streak, 0); /* no growth ends the streak */
    lb_site_status_history_free(&h);
}
END_TEST

/* Reports every step ms from 0 to end, the site at bytes(t); returns the last one judged. */
static struct lb_snapshot run(struct lb_site_status_history *h, uint64_t step, uint64_t end,
                              uint64_t (*bytes)(uint64_t t), struct lb_site_status_window *w)
{
    struct lb_snapshot s = {0};
    unsigned seq = 0;
    for (uint64_t t = 0; t <= end; t += step) {
        s = aged(1, bytes(t));
        ck_assert(lb_site_status_judge(h, &s, 1, ++seq, t, WINDOW, 0, w));
    }
    return s;
}

static uint64_t steady(uint64_t t)
{
    return 4096 + t * 4; /* 4 KB a second, from 4 KB */
}

START_TEST(test_growth_kept_over_the_window_is_leak_suspect_from_then_on)
{
    struct lb_site_status_history h = {0};
    struct lb_site_status_window w;
    struct lb_snapshot s = run(&h, 2000, 8000, steady, &w);
    ck_assert_str_eq(s.status, "live"); /* 8 s in: no report 10 s old yet */
    ck_assert(!w.decidable);
    ck_assert_uint_eq(w.reports, 5);
    ck_assert_uint_eq(w.observed_ms, 8000);
    lb_site_status_history_free(&h);

    s = run(&h, 2000, 20000, steady, &w);
    ck_assert_str_eq(s.status, "leak-suspect");
    ck_assert_str_eq(s.status_rule, "growing");
    ck_assert(w.decidable);
    ck_assert_uint_eq(w.window_ms, WINDOW);
    lb_site_status_history_free(&h);
}
END_TEST

START_TEST(test_extra_reports_at_any_moment_never_clear_a_steady_leak)
{
    struct lb_site_status_history h = {0};
    unsigned seq = 0;
    /* Interval reports every 2 s, and jcmd reports between them at odd moments. */
    uint64_t times[] = {0,     2000,  2100,  4000,  6000,  6001,  6050,  8000,  10000, 10500,
                        12000, 12001, 13999, 14000, 16000, 16300, 18000, 18001, 20000, 20002};
    for (size_t i = 0; i < UU_COUNT(times); i++) {
        struct lb_snapshot s = aged(1, steady(times[i]));
        ck_assert(lb_site_status_judge(&h, &s, 1, ++seq, times[i], WINDOW, 0, NULL));
        if (times[i] >= 12000)
            ck_assert_msg(strcmp(s.status, "leak-suspect") == 0, "at %llu ms: %s",
                          (unsigned long long)times[i], s.status);
    }
    ck_assert_int_le(h.ncheckpoints, LB_SITE_STATUS_CHECKPOINTS);
    lb_site_status_history_free(&h);
}
END_TEST

static uint64_t cache_then_flat(uint64_t t)
{
    return t < 15000 ? t * 100 : 1500000; /* fills for 15 s, then stays */
}

START_TEST(test_a_cache_that_stops_growing_is_live_again_after_the_window)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s = run(&h, 1000, 14000, cache_then_flat, NULL);
    ck_assert_str_eq(s.status, "leak-suspect"); /* while it grows, it looks like one */
    lb_site_status_history_free(&h);
    s = run(&h, 1000, 30000, cache_then_flat, NULL);
    ck_assert_str_eq(s.status, "live");
    ck_assert_str_eq(s.status_rule, "default");
    lb_site_status_history_free(&h);
}
END_TEST

static uint64_t sawtooth(uint64_t t)
{
    return (t % 6000) * 100; /* fills for 6 s, is emptied, fills again */
}

START_TEST(test_memory_that_drops_back_below_the_baseline_is_not_a_leak)
{
    struct lb_site_status_history h = {0};
    for (uint64_t end = 10000; end <= 40000; end += 1000) {
        struct lb_snapshot s = run(&h, 1000, end, sawtooth, NULL);
        ck_assert_msg(strcmp(s.status, "live") == 0, "at %llu ms", (unsigned long long)end);
        lb_site_status_history_free(&h);
    }
}
END_TEST

START_TEST(test_growth_without_a_gc_survived_is_live)
{
    struct lb_site_status_history h = {0};
    unsigned seq = 0;
    struct lb_snapshot s = {0};
    for (uint64_t t = 0; t <= 20000; t += 2000) {
        s = snap(1, steady(t), 1);
        s.has_age = true; /* gcs_survived_max 0: maybe memory waiting for a GC */
        ck_assert(lb_site_status_judge(&h, &s, 1, ++seq, t, WINDOW, 0, NULL));
    }
    ck_assert_str_eq(s.status, "live");
    lb_site_status_history_free(&h);
}
END_TEST

START_TEST(test_one_allocation_kept_is_not_growth_but_a_new_growing_site_is)
{
    struct lb_site_status_history h = {0};
    unsigned seq = 0;
    struct lb_snapshot s[3];
    for (uint64_t t = 0; t <= 40000; t += 2000) {
        s[0] = aged(1, 100);
        s[1] = aged(2, t >= 12000 ? 65536 : 0);                   /* one buffer, kept since 12 s */
        s[2] = aged(3, t >= 12000 ? 4096 + (t - 12000) * 10 : 0); /* born at 12 s, grows since */
        ck_assert(lb_site_status_judge(&h, s, 3, ++seq, t, WINDOW, 0, NULL));
        ck_assert_str_eq(s[0].status, "live"); /* flat since the start */
        ck_assert_msg(strcmp(s[1].status, "live") == 0, "one kept buffer at %llu ms: %s",
                      (unsigned long long)t, s[1].status);
        if (t >= 14000)
            ck_assert_msg(strcmp(s[2].status, "leak-suspect") == 0, "at %llu ms: %s",
                          (unsigned long long)t, s[2].status);
    }
    lb_site_status_history_free(&h);
}
END_TEST

static uint64_t noisy_flat(uint64_t t)
{
    /* A flat 64 MiB estimated from samples while it is all replaced every 10 s: wanders by a
     * few sample means. */
    static const int64_t noise[] = {0, 3, -2, 5, -4, 1, 4, -3, 2, -1, 5, 0, -5, 3, 4, -2};
    return (uint64_t)((int64_t)(64u << 20) + noise[(t / 1000) % 16] * (int64_t)(2u << 20));
}

START_TEST(test_sampling_noise_on_a_flat_site_is_not_growth)
{
    struct lb_site_status_history h = {0};
    unsigned seq = 0;
    struct lb_snapshot s;
    for (uint64_t t = 0; t <= 60000; t += 1000) {
        s = aged(1, noisy_flat(t));
        s.freed_bytes = t * ((64u << 20) / 10000); /* 64 MiB freed (and allocated) per 10 s */
        ck_assert(lb_site_status_judge(&h, &s, 1, ++seq, t, WINDOW, 2u << 20, NULL));
        ck_assert_msg(strcmp(s.status, "live") == 0, "at %llu ms", (unsigned long long)t);
    }
    lb_site_status_history_free(&h);
    /* The same site leaking 8 MiB a second on top of its churn is a leak: 80 MiB a window
     * against a margin of 2 sqrt(2 * 64 MiB * 2 MiB) + 2 MiB = 34 MiB. (4 MiB a second is at
     * the resolution: a longer leak_window separates it.) */
    for (uint64_t t = 0; t <= 20000; t += 2000) {
        s = aged(1, noisy_flat(t) + t * 8192);
        s.freed_bytes = t * ((64u << 20) / 10000);
        ck_assert(lb_site_status_judge(&h, &s, 1, ++seq, t, WINDOW, 2u << 20, NULL));
    }
    ck_assert_str_eq(s.status, "leak-suspect");
    lb_site_status_history_free(&h);
    /* A leak that frees nothing counts from one sample's worth. */
    for (uint64_t t = 0; t <= 20000; t += 2000) {
        s = aged(1, (64u << 20) + t * 400);
        ck_assert(lb_site_status_judge(&h, &s, 1, ++seq, t, WINDOW, 2u << 20, NULL));
    }
    ck_assert_str_eq(s.status, "leak-suspect");
    lb_site_status_history_free(&h);
}
END_TEST

START_TEST(test_forced_gc_releasing_half_is_gc_deferred_and_wins_over_growth)
{
    struct lb_site_status_history h = {0};
    struct lb_snapshot s = run(&h, 2000, 20000, steady, NULL);
    ck_assert_str_eq(s.status, "leak-suspect");
    s = aged(1, steady(22000));
    s.has_released = true;
    s.released_bytes = s.live_bytes; /* half of what it had before the GC */
    ck_assert(judge_at(&h, &s, 1, 100, 22000));
    ck_assert_str_eq(s.status, "gc-deferred");
    ck_assert_str_eq(s.status_rule, "forced-gc-released");

    s = aged(1, steady(24000));
    s.has_released = true;
    s.released_bytes = s.live_bytes - 1; /* just under half */
    ck_assert(judge_at(&h, &s, 1, 101, 24000));
    ck_assert_str_ne(s.status, "gc-deferred");

    s = aged(1, 0); /* everything released: still listed, as gc-deferred */
    s.has_released = true;
    s.released_bytes = 1000;
    ck_assert(judge_at(&h, &s, 1, 102, 26000));
    ck_assert_str_eq(s.status, "gc-deferred");
    lb_site_status_history_free(&h);
}
END_TEST

/* --- ages ------------------------------------------------------------------------------------ */

static void put(uintptr_t addr, uint32_t site, uint64_t time_ms, uint32_t epoch)
{
    struct lb_block b = {
        .size = 64, .site_id = site_with_id(site)->id, .time_ms = time_ms, .gc_epoch = epoch};
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
        sites[i] = site_with_id(i + 100);
        /* Site i: i % 7 + 1 blocks, the oldest allocated at i ms; the extra site's at 0. */
        for (uint32_t k = 0; k <= i % 7; k++) {
            struct lb_block b = {.size = 64,
                                 .site_id = sites[i]->id,
                                 .time_ms = i < SITES ? i + 10 * k : 0,
                                 .gc_epoch = k};
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
    free(sites);
    free(s);
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("site_status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_first_report_has_no_growth_and_later_ones_count_streaks);
    tcase_add_test(tc, test_growth_kept_over_the_window_is_leak_suspect_from_then_on);
    tcase_add_test(tc, test_extra_reports_at_any_moment_never_clear_a_steady_leak);
    tcase_add_test(tc, test_a_cache_that_stops_growing_is_live_again_after_the_window);
    tcase_add_test(tc, test_memory_that_drops_back_below_the_baseline_is_not_a_leak);
    tcase_add_test(tc, test_growth_without_a_gc_survived_is_live);
    tcase_add_test(tc, test_one_allocation_kept_is_not_growth_but_a_new_growing_site_is);
    tcase_add_test(tc, test_sampling_noise_on_a_flat_site_is_not_growth);
    tcase_add_test(tc, test_forced_gc_releasing_half_is_gc_deferred_and_wins_over_growth);
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
