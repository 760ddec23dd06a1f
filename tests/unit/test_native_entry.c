/* Unit tests for agent/native_entry.c: a function called through its stub gets every argument
 * (registers, vector registers, the stack) and returns as if called directly, and each call
 * leaves the thread's mark: a new count, the slot of the return address and that address. */
#include "native_entry.h"

#include <check.h>
#include <stdint.h>

#include "unit_util.h"

/* Twelve integers (six on the stack) and ten doubles (two on the stack), mixed. */
typedef double (*many_fn)(long, double, long, double, long, double, long, double, long, double,
                          long, double, long, double, long, double, long, double, long, double,
                          long, double);

static __attribute__((noinline)) double many(long a, double b, long c, double d, long e, double f,
                                             long g, double h, long i, double j, long k, double l,
                                             long m, double n, long o, double p, long q, double r,
                                             long s, double t, long u, double v)
{
    return (double)(a + 2 * c + 3 * e + 5 * g + 7 * i + 11 * k + 13 * m + 17 * o + 19 * q + 23 * s +
                    29 * u) +
           b + 2 * d + 3 * f + 5 * h + 7 * j + 11 * l + 13 * n + 17 * p + 19 * r + 23 * t + 29 * v;
}

/* The marks, as seen from inside the function the stub jumps to. */
static struct lb_native_entry seen;
static uintptr_t seen_slot_value;

static __attribute__((noinline)) long look(long x)
{
    seen = lb_native_entry;
    seen_slot_value = seen.slot ? *(const uintptr_t *)seen.slot : 0;
    return x * 3;
}

START_TEST(test_arguments_and_result_pass_through)
{
    many_fn direct = many;
    many_fn stubbed = (many_fn)lb_native_entry_stub((void *)many);
    ck_assert_ptr_nonnull((void *)stubbed);
    double want = direct(1, 0.5, 2, 0.25, 3, 0.125, 4, 1.5, 5, 2.5, 6, 3.5, 7, 4.5, 8, 5.5, 9, 6.5,
                         10, 7.5, 11, 8.5);
    double got = stubbed(1, 0.5, 2, 0.25, 3, 0.125, 4, 1.5, 5, 2.5, 6, 3.5, 7, 4.5, 8, 5.5, 9, 6.5,
                         10, 7.5, 11, 8.5);
    ck_assert(want == got);
    ck_assert(lb_native_entry_is_stub((void *)stubbed));
    ck_assert(!lb_native_entry_is_stub((void *)many));
}
END_TEST

START_TEST(test_each_call_marks_count_slot_and_return_address)
{
    long (*stubbed)(long) = (long (*)(long))lb_native_entry_stub((void *)look);
    ck_assert_ptr_nonnull((void *)stubbed);
    uint64_t before = lb_native_entry.count;
    ck_assert_int_eq(stubbed(7), 21);
    ck_assert_uint_eq(seen.count, before + 1);
    ck_assert(seen.slot != 0);
    ck_assert_uint_eq(seen.ret, seen_slot_value); /* the slot held the return address */
    ck_assert_int_eq(stubbed(8), 24);
    ck_assert_uint_eq(seen.count, before + 2);
    ck_assert_int_eq(look(9), 27); /* a direct call leaves no mark */
    ck_assert_uint_eq(seen.count, before + 2);
}
END_TEST

static void *call_on_thread(void *arg)
{
    long (*stubbed)(long) = (long (*)(long))lb_native_entry_stub((void *)look);
    uint64_t *out = arg;
    stubbed(1);
    out[0] = lb_native_entry.count; /* this thread's own count: one call */
    return NULL;
}

START_TEST(test_marks_are_per_thread_and_stubs_shared_per_target)
{
    void *a = lb_native_entry_stub((void *)look), *b = lb_native_entry_stub((void *)look);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, lb_native_entry_stub((void *)many));
    uint64_t counts[4][8];
    uu_run_threads(4, call_on_thread, counts, sizeof counts[0]);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(counts[i][0], 1);
}
END_TEST

static long fns_base(long x)
{
    return x + 1;
}

START_TEST(test_many_stubs_span_blocks)
{
    /* More targets than one block holds: every stub still reaches its own target. */
    static char targets[300];
    void *stubs[300];
    for (int i = 0; i < 300; i++) {
        stubs[i] = lb_native_entry_stub(&targets[i]);
        ck_assert_ptr_nonnull(stubs[i]);
        ck_assert(lb_native_entry_is_stub(stubs[i]));
    }
    for (int i = 0; i < 300; i++)
        ck_assert_ptr_eq(lb_native_entry_stub(&targets[i]), stubs[i]);
    long (*f)(long) = (long (*)(long))lb_native_entry_stub((void *)fns_base);
    ck_assert_int_eq(f(41), 42);
}
END_TEST

static Suite *native_entry_suite(void)
{
    Suite *s = suite_create("native_entry");
    TCase *tc = tcase_create("stubs");
    tcase_add_test(tc, test_arguments_and_result_pass_through);
    tcase_add_test(tc, test_each_call_marks_count_slot_and_return_address);
    tcase_add_test(tc, test_marks_are_per_thread_and_stubs_shared_per_target);
    tcase_add_test(tc, test_many_stubs_span_blocks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(native_entry_suite());
}
