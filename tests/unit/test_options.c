/* Unit tests for agent/options.c: every accepted form and every error path. */
#include "leakbridge/options.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_LEN 512
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void expect_defaults(const struct lb_options *o)
{
    ck_assert_str_eq(o->output, "leakbridge-%p-%n.json");
    ck_assert_uint_eq(o->sample, LB_SAMPLE_DEFAULT);
    ck_assert_uint_eq(o->interval_ms, 0);
    ck_assert_uint_eq(o->depth, 64);
    ck_assert(!o->gc);
    ck_assert(o->native);
    ck_assert_uint_eq(o->leak_window_ms, 10000);
}

static struct lb_options parse_ok(const char *text)
{
    struct lb_options o;
    char err[ERR_LEN] = "untouched";
    bool ok = lb_options_parse(text, &o, err, sizeof err);
    ck_assert_msg(ok, "'%s' was rejected: %s", text, err);
    ck_assert_str_eq(err, "");
    return o;
}

/* Parses text, expects failure and exactly the given one-line message. */
static void expect_error(const char *text, const char *message)
{
    struct lb_options o;
    char err[ERR_LEN] = "";
    ck_assert_msg(!lb_options_parse(text, &o, err, sizeof err), "'%s' was accepted", text);
    ck_assert_str_eq(err, message);
    ck_assert_ptr_null(strchr(err, '\n'));
}

/* --- defaults ---------------------------------------------------------------------------- */

START_TEST(test_defaults_match_the_design)
{
    struct lb_options o;
    memset(&o, 0xa5, sizeof o);
    lb_options_defaults(&o);
    expect_defaults(&o);
}
END_TEST

START_TEST(test_null_text_gives_defaults)
{
    struct lb_options o = parse_ok(NULL);
    expect_defaults(&o);
}
END_TEST

START_TEST(test_empty_text_gives_defaults)
{
    struct lb_options o = parse_ok("");
    expect_defaults(&o);
}
END_TEST

START_TEST(test_unset_options_keep_defaults_even_over_stale_contents)
{
    struct lb_options o;
    char err[ERR_LEN];
    memset(&o, 0xa5, sizeof o);
    ck_assert(lb_options_parse("gc=on", &o, err, sizeof err));
    ck_assert(o.gc);
    ck_assert_str_eq(o.output, "leakbridge-%p-%n.json");
    ck_assert_uint_eq(o.sample, LB_SAMPLE_DEFAULT);
    ck_assert_uint_eq(o.interval_ms, 0);
    ck_assert_uint_eq(o.depth, 64);
    ck_assert(o.native);
}
END_TEST

START_TEST(test_all_options_together_are_parsed)
{
    struct lb_options o =
        parse_ok("output=/tmp/heap-%t.json,sample=1m,interval=30s,depth=16,gc=on,native=off");
    ck_assert_str_eq(o.output, "/tmp/heap-%t.json");
    ck_assert_uint_eq(o.sample, 1024 * 1024);
    ck_assert_uint_eq(o.interval_ms, 30000);
    ck_assert_uint_eq(o.depth, 16);
    ck_assert(o.gc);
    ck_assert(!o.native);
}
END_TEST

START_TEST(test_order_of_options_does_not_matter)
{
    struct lb_options o = parse_ok("native=off,depth=2,output=x,interval=0,sample=0,gc=off");
    ck_assert_str_eq(o.output, "x");
    ck_assert_uint_eq(o.sample, 0);
    ck_assert_uint_eq(o.depth, 2);
    ck_assert(!o.gc);
    ck_assert(!o.native);
}
END_TEST

/* --- output ------------------------------------------------------------------------------ */

START_TEST(test_output_accepts_every_escape)
{
    struct lb_options o = parse_ok("output=a%p-%t-%n-%%.json");
    ck_assert_str_eq(o.output, "a%p-%t-%n-%%.json");
}
END_TEST

START_TEST(test_output_escaped_percent_makes_next_letter_literal)
{
    struct lb_options o = parse_ok("output=100%%x");
    ck_assert_str_eq(o.output, "100%%x");
}
END_TEST

START_TEST(test_output_may_contain_equals_sign)
{
    struct lb_options o = parse_ok("output=a=b.json,gc=on");
    ck_assert_str_eq(o.output, "a=b.json");
    ck_assert(o.gc);
}
END_TEST

START_TEST(test_output_directory_gets_the_default_name)
{
    struct lb_options o = parse_ok("output=/var/log/lb/,gc=on");
    ck_assert_str_eq(o.output, "/var/log/lb/leakbridge-%p-%n.json");
    o = parse_ok("output=reports-%p/");
    ck_assert_str_eq(o.output, "reports-%p/leakbridge-%p-%n.json");
    /* The name counts against the length limit. */
    static char text[LB_OUTPUT_MAX + 16];
    strcpy(text, "output=");
    memset(text + 7, 'a', LB_OUTPUT_MAX - 10);
    text[7 + LB_OUTPUT_MAX - 10] = '/';
    text[7 + LB_OUTPUT_MAX - 9] = '\0';
    struct lb_options bad;
    char err[512];
    ck_assert(!lb_options_parse(text, &bad, err, sizeof err));
    ck_assert_msg(strstr(err, "expected a path shorter than"), "%s", err);
}
END_TEST

START_TEST(test_output_of_maximum_length_is_accepted)
{
    static char text[LB_OUTPUT_MAX + 16];
    strcpy(text, "output=");
    memset(text + 7, 'a', LB_OUTPUT_MAX - 1);
    text[7 + LB_OUTPUT_MAX - 1] = '\0';
    struct lb_options o = parse_ok(text);
    ck_assert_uint_eq(strlen(o.output), LB_OUTPUT_MAX - 1);
    ck_assert_str_eq(o.output, text + 7);
}
END_TEST

START_TEST(test_output_too_long_is_rejected_and_named_in_short)
{
    static char text[LB_OUTPUT_MAX + 16];
    strcpy(text, "output=");
    memset(text + 7, 'a', LB_OUTPUT_MAX);
    text[7 + LB_OUTPUT_MAX] = '\0';
    /* The quoted option is cut to 80 characters so that what was expected stays visible. */
    char message[256];
    snprintf(message, sizeof message,
             "option 'output=%.70s...': expected a path shorter than %d bytes", text + 7,
             LB_OUTPUT_MAX);
    expect_error(text, message);
}
END_TEST

START_TEST(test_output_empty_is_rejected)
{
    expect_error("output=", "option 'output=': expected a non-empty path");
}
END_TEST

START_TEST(test_output_unknown_escape_is_rejected)
{
    expect_error(
        "output=heap-%x.json",
        "option 'output=heap-%x.json': expected a path whose only escapes are %p, %t, %n, %h "
        "and %%");
    expect_error("output=%P", "option 'output=%P': expected a path whose only escapes are %p, %t, "
                              "%n, %h and %%");
}
END_TEST

START_TEST(test_output_trailing_lone_percent_is_rejected)
{
    expect_error("output=heap%", "option 'output=heap%': expected a path whose only escapes are "
                                 "%p, %t, %n, %h and %%");
    expect_error("output=heap%,gc=on", "option 'output=heap%': expected a path whose only "
                                       "escapes are %p, %t, %n, %h and %%");
    expect_error("output=%%%", "option 'output=%%%': expected a path whose only escapes are %p, "
                               "%t, %n, %h and %%");
}
END_TEST

/* --- sizes ------------------------------------------------------------------------------- */

static const struct {
    const char *text;
    uint64_t bytes;
} good_sizes[] = {
    {"0", 0},
    {"1", 1},
    {"4096", 4096},
    {"007", 7},
    {"0k", 0},
    {"512k", 512 * 1024},
    {"512K", 512 * 1024},
    {"1m", 1024 * 1024},
    {"3M", 3 * 1024 * 1024},
    {"1g", UINT64_C(1) << 30},
    {"2G", UINT64_C(2) << 30},
    {"18446744073709551615", UINT64_MAX},
    {"18014398509481983k", UINT64_C(18014398509481983) * 1024},
    {"17592186044415m", UINT64_C(17592186044415) << 20},
    {"17179869183g", UINT64_C(17179869183) << 30},
};

static const char *const bad_sizes[] = {
    "",
    "k",
    "-1",
    "+1",
    " 1",
    "1 ",
    "1 k",
    "1kb",
    "1kk",
    "1t",
    "1b",
    "1.5m",
    "0x10",
    "banana",
    "18446744073709551616",    /* UINT64_MAX + 1 */
    "99999999999999999999999", /* far past it */
    "18014398509481984k",      /* overflow by the multiplier */
    "17592186044416m",
    "17179869184g",
};

START_TEST(test_valid_sizes_are_parsed)
{
    uint64_t bytes = 12345;
    ck_assert_msg(lb_options_parse_size(good_sizes[_i].text, &bytes), "'%s' rejected",
                  good_sizes[_i].text);
    ck_assert_uint_eq(bytes, good_sizes[_i].bytes);
}
END_TEST

START_TEST(test_invalid_sizes_are_rejected_and_leave_result_alone)
{
    uint64_t bytes = 12345;
    ck_assert_msg(!lb_options_parse_size(bad_sizes[_i], &bytes), "'%s' accepted", bad_sizes[_i]);
    ck_assert_uint_eq(bytes, 12345);
}
END_TEST

START_TEST(test_null_size_is_rejected)
{
    uint64_t bytes = 12345;
    ck_assert(!lb_options_parse_size(NULL, &bytes));
    ck_assert_uint_eq(bytes, 12345);
}
END_TEST

START_TEST(test_sample_option_takes_a_size)
{
    ck_assert_uint_eq(parse_ok("sample=512k").sample, 512 * 1024);
    ck_assert_uint_eq(parse_ok("sample=0").sample, 0);
}
END_TEST

START_TEST(test_bad_sample_is_rejected_and_named)
{
    expect_error("sample=banana",
                 "option 'sample=banana': expected a size in bytes such as 0, 4096, 512k or 1m");
    expect_error("sample=",
                 "option 'sample=': expected a size in bytes such as 0, 4096, 512k or 1m");
    expect_error("sample=17179869184g", "option 'sample=17179869184g': expected a size in bytes "
                                        "such as 0, 4096, 512k or 1m");
}
END_TEST

/* --- durations --------------------------------------------------------------------------- */

static const struct {
    const char *text;
    uint64_t ms;
} good_durations[] = {
    {"0", 0},
    {"0ms", 0},
    {"0s", 0},
    {"500ms", 500},
    {"1s", 1000},
    {"30s", 30000},
    {"5m", 5 * 60 * 1000},
    {"1h", 60 * 60 * 1000},
    {"0010s", 10000},
    {"18446744073709551615ms", UINT64_MAX},
    {"18446744073709551s", UINT64_C(18446744073709551000)},
    {"307445734561825m", UINT64_C(307445734561825) * 60000},
    {"5124095576030h", UINT64_C(5124095576030) * 3600000},
};

static const char *const bad_durations[] = {
    "",
    "5", /* ambiguous: seconds or milliseconds? */
    "00",
    "s",
    "ms",
    "-1s",
    "+1s",
    " 1s",
    "1s ",
    "1 s",
    "1S",
    "1H",
    "1MS",
    "1d",
    "1sec",
    "1hs",
    "1mss",
    "1.5s",
    "banana",
    "18446744073709551616ms", /* UINT64_MAX + 1 */
    "18446744073709552s",     /* overflow by the multiplier */
    "307445734561826m",
    "5124095576031h",
};

START_TEST(test_valid_durations_are_parsed)
{
    uint64_t ms = 12345;
    ck_assert_msg(lb_options_parse_duration(good_durations[_i].text, &ms), "'%s' rejected",
                  good_durations[_i].text);
    ck_assert_uint_eq(ms, good_durations[_i].ms);
}
END_TEST

START_TEST(test_invalid_durations_are_rejected_and_leave_result_alone)
{
    uint64_t ms = 12345;
    ck_assert_msg(!lb_options_parse_duration(bad_durations[_i], &ms), "'%s' accepted",
                  bad_durations[_i]);
    ck_assert_uint_eq(ms, 12345);
}
END_TEST

START_TEST(test_null_duration_is_rejected)
{
    uint64_t ms = 12345;
    ck_assert(!lb_options_parse_duration(NULL, &ms));
    ck_assert_uint_eq(ms, 12345);
}
END_TEST

START_TEST(test_leak_window_takes_a_duration_longer_than_zero)
{
    ck_assert_uint_eq(parse_ok("leak_window=30s").leak_window_ms, 30000);
    ck_assert_uint_eq(parse_ok("leak_window:5m").leak_window_ms, 300000);
    ck_assert_uint_eq(parse_ok("leak_window=1500ms").leak_window_ms, 1500);
    expect_error(
        "leak_window=0",
        "option 'leak_window=0': expected a duration longer than 0, such as 10s, 1m or 5m");
    expect_error("leak_window=10",
                 "option 'leak_window=10': expected a duration longer than 0, such as 10s, 1m or "
                 "5m");
}
END_TEST

/* owners=on and the walk's budgets (issue 20): off by default, a duration and a size. */
START_TEST(test_owners_take_a_switch_a_duration_and_a_size)
{
    struct lb_options o = parse_ok("");
    ck_assert(!o.owners);
    ck_assert_uint_eq(o.owners_time_ms, 5000);
    ck_assert_uint_eq(o.owners_memory, 1ull << 30);
    o = parse_ok("gc=on,owners=on,owners_time=30s,owners_memory=2g");
    ck_assert(o.owners && o.gc);
    ck_assert_uint_eq(o.owners_time_ms, 30000);
    ck_assert_uint_eq(o.owners_memory, 2ull << 30);
    o = parse_ok("owners:on,owners_time:0,owners_memory:0");
    ck_assert_uint_eq(o.owners_time_ms, 0);
    ck_assert_uint_eq(o.owners_memory, 0);
    expect_error("owners=yes", "option 'owners=yes': expected on or off");
    expect_error("owners_time=5", "option 'owners_time=5': expected a duration such as 0 (no "
                                  "bound), 500ms, 5s or 1m");
    expect_error("owners_memory=lots", "option 'owners_memory=lots': expected a size in bytes "
                                       "such as 0 (no bound), 256m or 2g");
}
END_TEST

/* The bounds on the agent's own memory: defaults, 0 for no bound, and what is refused. */
START_TEST(test_bounds_take_counts_and_a_size)
{
    struct lb_options o = parse_ok("");
    ck_assert_uint_eq(o.max_sites, 50000);
    ck_assert_uint_eq(o.max_memory, 1ull << 30);
    ck_assert_uint_eq(o.report_sites, 10000);
    o = parse_ok("max_sites=0,max_memory=0,report_sites=0");
    ck_assert_uint_eq(o.max_sites, 0);
    ck_assert_uint_eq(o.max_memory, 0);
    ck_assert_uint_eq(o.report_sites, 0);
    o = parse_ok("max_sites:200000,max_memory=256m,report_sites=20");
    ck_assert_uint_eq(o.max_sites, 200000);
    ck_assert_uint_eq(o.max_memory, 256ull << 20);
    ck_assert_uint_eq(o.report_sites, 20);
    ck_assert_uint_eq(parse_ok("max_sites=4294967295").max_sites, 4294967295u);
    expect_error("max_sites=4294967296", "option 'max_sites=4294967296': expected a whole number "
                                         "such as 0 (no bound), 10000 or 200000");
    expect_error("report_sites=10k", "option 'report_sites=10k': expected a whole number such as "
                                     "0 (no bound), 10000 or 200000");
    expect_error("max_memory=lots", "option 'max_memory=lots': expected a size in bytes such as 0 "
                                    "(no bound), 256m or 2g");
    expect_error("max_sites=", "option 'max_sites=': expected a whole number such as 0 (no "
                               "bound), 10000 or 200000");
}
END_TEST

START_TEST(test_dump_at_takes_rising_percents_as_a_list)
{
    struct lb_options o = parse_ok("dump_at=85,95");
    ck_assert_int_eq(o.ndump_at, 2);
    ck_assert_uint_eq(o.dump_at[0], 85);
    ck_assert_uint_eq(o.dump_at[1], 95);
    o = parse_ok("sample=0,dump_at:80,90,99,gc=on"); /* jcmd's form, and options after it */
    ck_assert_int_eq(o.ndump_at, 3);
    ck_assert_uint_eq(o.dump_at[2], 99);
    ck_assert(o.gc);
    ck_assert_int_eq(parse_ok("dump_at=100").ndump_at, 1);
    ck_assert_uint_eq(parse_ok("dump_at_bytes=3g").dump_at_bytes, 3ull << 30);
    ck_assert_int_eq(parse_ok("").ndump_at, 0);
    ck_assert_uint_eq(parse_ok("").dump_at_bytes, 0);
    const char *want = "expected percents of the memory limit from 1 to 100, rising, such as 85 "
                       "or 85,95 (at most 8)";
    const char *bad[] = {"dump_at=0",
                         "dump_at=101",
                         "dump_at=95,85",
                         "dump_at=85,85",
                         "dump_at=85%",
                         "dump_at=",
                         "dump_at=1,2,3,4,5,6,7,8,9"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        struct lb_options opts;
        char err[512];
        ck_assert_msg(!lb_options_parse(bad[i], &opts, err, sizeof err), "%s accepted", bad[i]);
        ck_assert_msg(strstr(err, want) != NULL, "%s: %s", bad[i], err);
    }
    expect_error("dump_at_bytes=0", "option 'dump_at_bytes=0': expected a size in bytes larger "
                                    "than 0, such as 3g or 1500m");
    /* A bare number after another option is still an error, not a dump_at value. */
    expect_error("gc=on,85", "option '85': expected key=value or key:value (jcmd cuts an unquoted "
                             "option string at '=': quote it, '\"key=value,...\"', or use ':')");
}
END_TEST

START_TEST(test_interval_option_takes_a_duration)
{
    ck_assert_uint_eq(parse_ok("interval=250ms").interval_ms, 250);
    ck_assert_uint_eq(parse_ok("interval=1h").interval_ms, 3600000);
    ck_assert_uint_eq(parse_ok("interval=0").interval_ms, 0);
}
END_TEST

START_TEST(test_interval_without_unit_is_rejected_and_named)
{
    expect_error("interval=5",
                 "option 'interval=5': expected a duration such as 0, 500ms, 30s, 5m or 1h");
    expect_error("interval=",
                 "option 'interval=': expected a duration such as 0, 500ms, 30s, 5m or 1h");
    expect_error("interval=2d",
                 "option 'interval=2d': expected a duration such as 0, 500ms, 30s, 5m or 1h");
}
END_TEST

/* --- depth ------------------------------------------------------------------------------- */

START_TEST(test_depth_accepts_its_whole_range)
{
    ck_assert_uint_eq(parse_ok("depth=1").depth, 1);
    ck_assert_uint_eq(parse_ok("depth=128").depth, 128);
    ck_assert_uint_eq(parse_ok("depth=256").depth, LB_DEPTH_MAX);
    ck_assert_uint_eq(parse_ok("depth=0032").depth, 32);
}
END_TEST

static const char *const bad_depths[] = {
    "0", "257", "-1", "+1", "", " 1", "1 ", "1k", "abc", "4294967297", "99999999999999999999999",
};

START_TEST(test_bad_depth_is_rejected_and_named)
{
    char text[64], message[128];
    snprintf(text, sizeof text, "depth=%s", bad_depths[_i]);
    snprintf(message, sizeof message, "option 'depth=%s': expected a whole number from 1 to 256",
             bad_depths[_i]);
    expect_error(text, message);
}
END_TEST

/* --- gc and native ----------------------------------------------------------------------- */

START_TEST(test_switches_accept_on_and_off)
{
    ck_assert(parse_ok("gc=on").gc);
    ck_assert(!parse_ok("gc=off").gc);
    ck_assert(parse_ok("native=on").native);
    ck_assert(!parse_ok("native=off").native);
}
END_TEST

START_TEST(test_bad_switch_value_is_rejected_and_named)
{
    expect_error("gc=yes", "option 'gc=yes': expected on or off");
    expect_error("gc=ON", "option 'gc=ON': expected on or off");
    expect_error("gc=", "option 'gc=': expected on or off");
    expect_error("native=1", "option 'native=1': expected on or off");
    expect_error("native=offf", "option 'native=offf': expected on or off");
    expect_error("native=o", "option 'native=o': expected on or off");
}
END_TEST

/* --- structure of the list --------------------------------------------------------------- */

START_TEST(test_empty_item_is_rejected)
{
    expect_error("gc=on,,depth=2", "empty option in 'gc=on,,depth=2': expected key=value pairs "
                                   "separated by single commas");
    expect_error(",gc=on",
                 "empty option in ',gc=on': expected key=value pairs separated by single commas");
    expect_error("gc=on,",
                 "empty option in 'gc=on,': expected key=value pairs separated by single commas");
    expect_error(",", "empty option in ',': expected key=value pairs separated by single commas");
}
END_TEST

START_TEST(test_item_without_equals_is_rejected_and_named)
{
    const char *tail = " or key:value (jcmd cuts an unquoted option string at '=': quote it, "
                       "'\"key=value,...\"', or use ':')";
    char msg[256];
    snprintf(msg, sizeof msg, "option 'gc': expected key=value%s", tail);
    expect_error("gc", msg);
    snprintf(msg, sizeof msg, "option 'native': expected key=value%s", tail);
    expect_error("depth=2,native", msg);
    /* What the JVM hands over after jcmd cut "output=/tmp/x.json,sample=0" at '='. */
    snprintf(msg, sizeof msg, "option 'output': expected key=value%s", tail);
    expect_error("output", msg);
}
END_TEST

/* jcmd cuts an unquoted option string at '=', so key:value is accepted as well. */
START_TEST(test_colon_form_is_accepted)
{
    struct lb_options o;
    char err[256];
    ck_assert(
        lb_options_parse("output:/tmp/a:b=c.json,sample:0,gc:on,interval=5m", &o, err, sizeof err));
    ck_assert_str_eq(o.output, "/tmp/a:b=c.json");
    ck_assert_uint_eq(o.sample, 0);
    ck_assert(o.gc);
    ck_assert_uint_eq(o.interval_ms, 300000);
}
END_TEST

START_TEST(test_unknown_key_is_rejected_and_named)
{
#define KNOWN                                                                                      \
    "(known: output, sample, interval, depth, gc, native, leak_window, dump_at, dump_at_bytes, "   \
    "max_sites, max_memory, report_sites, owners, owners_time, owners_memory)"
    expect_error("colour=red", "unknown option 'colour' " KNOWN);
    expect_error("gc=on,Depth=2", "unknown option 'Depth' " KNOWN);
    expect_error("=on", "unknown option '' " KNOWN);
    expect_error("gc =on", "unknown option 'gc ' " KNOWN);
#undef KNOWN
}
END_TEST

START_TEST(test_repeated_key_is_rejected_and_named)
{
    expect_error("gc=on,gc=off", "option 'gc' given twice");
    expect_error("depth=2,gc=on,depth=2", "option 'depth' given twice");
    expect_error("output=a,output=b", "option 'output' given twice");
}
END_TEST

START_TEST(test_first_error_is_reported)
{
    expect_error("depth=0,gc=maybe", "option 'depth=0': expected a whole number from 1 to 256");
    expect_error("gc=on,depth=0", "option 'depth=0': expected a whole number from 1 to 256");
}
END_TEST

/* --- the err buffer ---------------------------------------------------------------------- */

START_TEST(test_error_is_truncated_to_err_len)
{
    struct lb_options o;
    /* Heap buffers of the exact size, so that the sanitizer catches a write past the end. */
    for (size_t len = 1; len <= 12; len++) {
        char *err = malloc(len);
        ck_assert_ptr_nonnull(err);
        ck_assert(!lb_options_parse("colour=red", &o, err, len));
        ck_assert_uint_eq(strlen(err), len - 1);
        ck_assert_int_eq(strncmp(err, "unknown option 'colour'", len - 1), 0);
        free(err);
    }
}
END_TEST

START_TEST(test_missing_err_buffer_does_not_crash)
{
    struct lb_options o;
    char err[4] = "abc";
    ck_assert(!lb_options_parse("colour=red", &o, NULL, 0));
    ck_assert(!lb_options_parse("colour=red", &o, NULL, 100));
    ck_assert(!lb_options_parse("colour=red", &o, err, 0));
    ck_assert_str_eq(err, "abc");
    ck_assert(lb_options_parse("gc=on", &o, NULL, 0));
}
END_TEST

START_TEST(test_success_clears_err)
{
    struct lb_options o;
    char err[ERR_LEN] = "stale message";
    ck_assert(lb_options_parse("depth=3", &o, err, sizeof err));
    ck_assert_str_eq(err, "");
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc;

    tc = tcase_create("defaults");
    tcase_add_test(tc, test_defaults_match_the_design);
    tcase_add_test(tc, test_leak_window_takes_a_duration_longer_than_zero);
    tcase_add_test(tc, test_dump_at_takes_rising_percents_as_a_list);
    tcase_add_test(tc, test_bounds_take_counts_and_a_size);
    tcase_add_test(tc, test_owners_take_a_switch_a_duration_and_a_size);
    tcase_add_test(tc, test_null_text_gives_defaults);
    tcase_add_test(tc, test_empty_text_gives_defaults);
    tcase_add_test(tc, test_unset_options_keep_defaults_even_over_stale_contents);
    tcase_add_test(tc, test_all_options_together_are_parsed);
    tcase_add_test(tc, test_order_of_options_does_not_matter);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, test_output_accepts_every_escape);
    tcase_add_test(tc, test_output_escaped_percent_makes_next_letter_literal);
    tcase_add_test(tc, test_output_may_contain_equals_sign);
    tcase_add_test(tc, test_output_directory_gets_the_default_name);
    tcase_add_test(tc, test_output_of_maximum_length_is_accepted);
    tcase_add_test(tc, test_output_too_long_is_rejected_and_named_in_short);
    tcase_add_test(tc, test_output_empty_is_rejected);
    tcase_add_test(tc, test_output_unknown_escape_is_rejected);
    tcase_add_test(tc, test_output_trailing_lone_percent_is_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("sizes");
    tcase_add_loop_test(tc, test_valid_sizes_are_parsed, 0, COUNT(good_sizes));
    tcase_add_loop_test(tc, test_invalid_sizes_are_rejected_and_leave_result_alone, 0,
                        COUNT(bad_sizes));
    tcase_add_test(tc, test_null_size_is_rejected);
    tcase_add_test(tc, test_sample_option_takes_a_size);
    tcase_add_test(tc, test_bad_sample_is_rejected_and_named);
    suite_add_tcase(s, tc);

    tc = tcase_create("durations");
    tcase_add_loop_test(tc, test_valid_durations_are_parsed, 0, COUNT(good_durations));
    tcase_add_loop_test(tc, test_invalid_durations_are_rejected_and_leave_result_alone, 0,
                        COUNT(bad_durations));
    tcase_add_test(tc, test_null_duration_is_rejected);
    tcase_add_test(tc, test_interval_option_takes_a_duration);
    tcase_add_test(tc, test_interval_without_unit_is_rejected_and_named);
    suite_add_tcase(s, tc);

    tc = tcase_create("depth and switches");
    tcase_add_test(tc, test_depth_accepts_its_whole_range);
    tcase_add_loop_test(tc, test_bad_depth_is_rejected_and_named, 0, COUNT(bad_depths));
    tcase_add_test(tc, test_switches_accept_on_and_off);
    tcase_add_test(tc, test_bad_switch_value_is_rejected_and_named);
    suite_add_tcase(s, tc);

    tc = tcase_create("list structure");
    tcase_add_test(tc, test_empty_item_is_rejected);
    tcase_add_test(tc, test_item_without_equals_is_rejected_and_named);
    tcase_add_test(tc, test_colon_form_is_accepted);
    tcase_add_test(tc, test_unknown_key_is_rejected_and_named);
    tcase_add_test(tc, test_repeated_key_is_rejected_and_named);
    tcase_add_test(tc, test_first_error_is_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("err buffer");
    tcase_add_test(tc, test_error_is_truncated_to_err_len);
    tcase_add_test(tc, test_missing_err_buffer_does_not_crash);
    tcase_add_test(tc, test_success_clears_err);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
