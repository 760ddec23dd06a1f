/* Unit tests for the modules a report goes through: file name patterns (common/output_path.c),
 * the snapshot of site counters (snapshot.c), the JSON document built from it (report.c),
 * writing it whole (report_writer.c), and text sanitising (json_text.c). */
#include "report.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_text.h"
#include "leakbridge/output_path.h"
#include "leakbridge/report_format.h"
#include "report_writer.h"
#include "unit_util.h"

/* 2023-11-14T22:13:20Z */
#define WALL 1700000000

/* --- lb_output_path_expand ------------------------------------------------------------------ */

static bool lb_report_path(const char *pattern, long pid, time_t wall, unsigned seq, char *out,
                           size_t len)
{
    struct lb_output_path_values v = {pid, wall, seq, "pod-7"};
    return lb_output_path_expand(pattern, &v, out, len);
}

static void expect_path(const char *pattern, long pid, unsigned seq, const char *want)
{
    char out[512];
    ck_assert_msg(lb_report_path(pattern, pid, WALL, seq, out, sizeof out), "'%s' rejected",
                  pattern);
    ck_assert_str_eq(out, want);
}

START_TEST(test_path_expands_every_escape)
{
    expect_path("leakbridge-%p-%n.json", 4321, 7, "leakbridge-4321-7.json");
    expect_path("/tmp/r-%t.json", 1, 1, "/tmp/r-20231114T221320Z.json");
    expect_path("100%%-%p", 12, 1, "100%-12");
    expect_path("%p%p%n%n%%%%", 5, 42, "554242%%");
    expect_path("%%p is not a pid", 5, 1, "%p is not a pid");
    expect_path("%n", 1, 4294967295u, "4294967295");
    expect_path("plain.json", 99, 1, "plain.json");
    /* Without %n, the second report on gets its number before the extension: nothing is
     * overwritten (with %t too: two dumps in one second). */
    expect_path("plain.json", 99, 3, "plain-3.json");
    expect_path("/var/log/lb/r-%p", 7, 2, "/var/log/lb/r-7-2");
    expect_path("/tmp/r-%t.json", 1, 2, "/tmp/r-20231114T221320Z-2.json");
    expect_path("/a.b/report", 1, 4, "/a.b/report-4");
    expect_path("/tmp/.hidden", 1, 2, "/tmp/.hidden-2");
    expect_path("x-%%n.json", 1, 2, "x-%n-2.json");
    expect_path("/var/log/lb/%h-%p-%n.json", 1, 2, "/var/log/lb/pod-7-1-2.json");
    /* A stream is appended to: no number, whatever the report's. */
    expect_path("/dev/stdout", 1, 2, "/dev/stdout");
    expect_path("/proc/self/fd/2", 1, 7, "/proc/self/fd/2");
    expect_path("/a/%t/%p/%n/%%/x", 2147483647, 10, "/a/20231114T221320Z/2147483647/10/%/x");
}
END_TEST

START_TEST(test_path_rejects_unknown_and_trailing_escapes_and_empty_result)
{
    char out[64];
    ck_assert(!lb_report_path("r-%x.json", 1, WALL, 1, out, sizeof out));
    ck_assert(!lb_report_path("r-%", 1, WALL, 1, out, sizeof out));
    ck_assert(!lb_report_path("%P", 1, WALL, 1, out, sizeof out));
    ck_assert(!lb_report_path("", 1, WALL, 1, out, sizeof out));
}
END_TEST

START_TEST(test_path_that_does_not_fit_is_rejected_without_overflow)
{
    /* "/tmp/lb-123456-20231114T221320Z-9.json" is 38 characters: 39 bytes with the NUL. */
    const char *pattern = "/tmp/lb-%p-%t-%n.json";
    const char *want = "/tmp/lb-123456-20231114T221320Z-9.json";
    size_t need = strlen(want) + 1;
    char buf[128];
    for (size_t len = 1; len <= need + 2; len++) {
        memset(buf, '#', sizeof buf);
        bool ok = lb_report_path(pattern, 123456, WALL, 9, buf, len);
        if (len >= need) {
            ck_assert_msg(ok, "out_len %zu rejected", len);
            ck_assert_str_eq(buf, want);
        } else {
            /* Too short, whether the cut falls in a literal or inside an expansion. */
            ck_assert_msg(!ok, "out_len %zu accepted for %zu bytes", len, need);
        }
        for (size_t i = len; i < sizeof buf; i++)
            ck_assert_msg(buf[i] == '#', "out_len %zu: byte %zu written", len, i);
    }
}
END_TEST

/* --- lb_report_write ------------------------------------------------------------------------ */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lb-test-report-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Names in dir other than . and .., joined by '|' in readdir order; returns how many. */
static int dir_entries(const char *dir, char *names, size_t len)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n++)
            strncat(names, "|", len - strlen(names) - 1);
        strncat(names, e->d_name, len - strlen(names) - 1);
    }
    closedir(d);
    return n;
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *e;
    char p[600];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static json_t *sample_report(int n)
{
    return json_pack("{s:s,s:i,s:[i,i,i],s:{s:s,s:b,s:n},s:f}", "format", LB_REPORT_FORMAT,
                     "version", LB_REPORT_VERSION, "list", n, n + 1, n + 2, "nested", "text",
                     "caf\xc3\xa9 \xe2\x9c\x93", "flag", 1, "none", "ratio", 0.5);
}

START_TEST(test_write_produces_a_file_that_loads_back_equal)
{
    make_tmpdir();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/report.json", tmpdir);
    json_t *report = sample_report(1);
    ck_assert_msg(lb_report_writer_write(report, path, err, sizeof err), "write failed: %s", err);

    json_error_t jerr;
    json_t *back = json_load_file(path, 0, &jerr);
    ck_assert_msg(back != NULL, "cannot load back: %s", jerr.text);
    ck_assert(json_equal(back, report));
    json_decref(back);

    /* Only the report is left: the temporary file was renamed, not copied. */
    char names[1024];
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 1);
    ck_assert_str_eq(names, "report.json");

    /* Writing again replaces the report whole. */
    json_t *second = sample_report(100);
    ck_assert_msg(lb_report_writer_write(second, path, err, sizeof err), "rewrite failed: %s", err);
    back = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, second));
    ck_assert(!json_equal(back, report));
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 1);
    json_decref(back);
    json_decref(second);
    json_decref(report);
    remove_tmpdir();
}
END_TEST

/* Sites that share frame objects, more distinct frames than the frame cache starts with, and a
 * string longer than the write buffer: the file must hold exactly what json_dumps gives. */
START_TEST(test_write_streams_the_same_text_as_json_dumps)
{
    make_tmpdir();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/report.json", tmpdir);
    enum { FRAMES = 6000, SITES = 3000 };
    json_t **frames = calloc(FRAMES, sizeof *frames);
    ck_assert_ptr_nonnull(frames);
    for (int i = 0; i < FRAMES; i++)
        frames[i] = json_pack("{s:s,s:s,s:i}", "type", "java", "method", "m\"\u00e9", "line", i);
    json_t *sites = json_array();
    for (int i = 0; i < SITES; i++) {
        json_t *f = json_array();
        for (int j = 0; j < 20; j++)
            json_array_append(f, frames[(i * 7 + j * 13) % FRAMES]);
        json_array_append_new(sites,
                              json_pack("{s:i,s:s,s:o}", "id", i, "kind", "malloc", "frames", f));
    }
    size_t huge_len = (size_t)3 << 20;
    char *huge = malloc(huge_len + 1);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'x', huge_len);
    huge[huge_len] = '\0';
    json_t *report = json_pack("{s:s,s:{s:s},s:o,s:[]}", "format", LB_REPORT_FORMAT, "agent",
                               "note", huge, "sites", sites, "after");
    free(huge);
    ck_assert_msg(lb_report_writer_write(report, path, err, sizeof err), "write failed: %s", err);

    char *want = json_dumps(report, JSON_COMPACT);
    ck_assert_ptr_nonnull(want);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t want_len = strlen(want);
    char *got = malloc(want_len + 2);
    ck_assert_ptr_nonnull(got);
    size_t got_len = fread(got, 1, want_len + 2, f);
    fclose(f);
    ck_assert_uint_eq(got_len, want_len + 1);
    ck_assert_int_eq(got[want_len], '\n');
    ck_assert(memcmp(got, want, want_len) == 0);
    free(got);
    free(want);
    for (int i = 0; i < FRAMES; i++)
        json_decref(frames[i]);
    free(frames);
    json_decref(report);
    remove_tmpdir();
}
END_TEST

START_TEST(test_write_to_a_bare_file_name_uses_the_current_directory)
{
    make_tmpdir();
    char cwd[1024], err[512] = "";
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(tmpdir), 0);
    json_t *report = sample_report(3);
    bool ok = lb_report_writer_write(report, "bare.json", err, sizeof err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(ok, "write failed: %s", err);
    char path[512], names[1024];
    snprintf(path, sizeof path, "%s/bare.json", tmpdir);
    json_t *back = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, report));
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 1);
    json_decref(back);
    json_decref(report);
    remove_tmpdir();
}
END_TEST

START_TEST(test_write_into_missing_directory_fails_with_one_line_and_creates_nothing)
{
    make_tmpdir();
    char path[512], err[512], names[1024];
    snprintf(path, sizeof path, "%s/missing/report.json", tmpdir);
    memset(err, 0, sizeof err);
    json_t *report = sample_report(1);
    ck_assert(!lb_report_writer_write(report, path, err, sizeof err));
    ck_assert_msg(strstr(err, path) != NULL, "message does not name the path: '%s'", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "message does not say why: '%s'", err);
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 0);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);
    json_decref(report);
    remove_tmpdir();
}
END_TEST

START_TEST(test_write_over_a_directory_fails_and_leaves_no_temporary_file)
{
    make_tmpdir();
    char path[512], err[512] = "", names[1024];
    snprintf(path, sizeof path, "%s/taken", tmpdir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    json_t *report = sample_report(1);
    ck_assert(!lb_report_writer_write(report, path, err, sizeof err));
    ck_assert_msg(strstr(err, path) != NULL, "message does not name the path: '%s'", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 1);
    ck_assert_str_eq(names, "taken");
    json_decref(report);
    remove_tmpdir();
}
END_TEST

/* Says "go on" this many times, then "stop". */
static bool go_on_times(void *ctx)
{
    int *left = ctx;
    return (*left)-- > 0;
}

START_TEST(test_write_abandoned_midway_leaves_nothing_and_says_so)
{
    make_tmpdir();
    char path[512], err[512] = "", names[1024];
    snprintf(path, sizeof path, "%s/report.json", tmpdir);
    json_t *report = sample_report(1), *sites = json_array();
    for (int i = 0; i < 50; i++)
        json_array_append_new(sites,
                              json_pack("{s:i,s:[{s:s}]}", "id", i, "frames", "type", "java"));
    json_object_set_new(report, "sites", sites);
    int left = 10; /* the eleventh look, among the sites, says stop */
    bool abandoned = false;
    ck_assert(!lb_report_writer_write_unless(report, path, go_on_times, &left, &abandoned, err,
                                             sizeof err));
    ck_assert(abandoned);
    ck_assert_int_lt(left, 0);
    ck_assert_msg(strstr(err, "abandoned") != NULL && strstr(err, path) != NULL, "'%s'", err);
    ck_assert_int_eq(dir_entries(tmpdir, names, sizeof names), 0);
    /* One that always goes on writes the whole report, not abandoned. */
    left = 1 << 30;
    ck_assert(lb_report_writer_write_unless(report, path, go_on_times, &left, &abandoned, err,
                                            sizeof err));
    ck_assert(!abandoned);
    json_error_t jerr;
    json_t *back = json_load_file(path, 0, &jerr);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, report));
    json_decref(back);
    json_decref(report);
    remove_tmpdir();
}
END_TEST

/* --- snapshot and build --------------------------------------------------------------------- */

/* Kind from the leaf: methods 0xD000.. are direct buffers, 0xE000.. unsafe, native frames mmap. */
static enum lb_kind kind_by_leaf(enum lb_origin origin, const struct lb_frame *frames, int nframes)
{
    (void)origin;
    if (nframes == 0)
        return LB_KIND_UNSAFE;
    if (frames[0].type == LB_FRAME_NATIVE)
        return LB_KIND_MMAP;
    if (frames[0].id >> 12 == 0xD)
        return LB_KIND_DIRECT_BUFFER;
    if (frames[0].id >> 12 == 0xE)
        return LB_KIND_UNSAFE;
    return LB_KIND_MALLOC;
}

struct frame_ctx {
    int calls;
};

/* The fake resolver: a frame becomes {"type", "id", "bci"}. */
static json_t *fake_frame_json(void *ctx, const struct lb_site *site, const struct lb_frame *f)
{
    (void)site;
    ((struct frame_ctx *)ctx)->calls++;
    return json_pack("{s:s,s:I,s:i}", "type", f->type == LB_FRAME_JAVA ? "java" : "native", "id",
                     (json_int_t)f->id, "bci", (int)f->bci);
}

static void alloc_n(struct lb_site *s, int n, uint64_t size)
{
    struct lb_weight w = {size, LB_COUNT_ONE};
    for (int i = 0; i < n; i++)
        lb_sites_add(s, &w);
}

static void free_n(struct lb_site *s, int n, uint64_t size)
{
    struct lb_weight w = {size, LB_COUNT_ONE};
    for (int i = 0; i < n; i++)
        lb_sites_sub(s, &w);
}

static const struct lb_frame f_direct[2] = {{0xD010, 5, LB_FRAME_JAVA}, {0x9000, 1, LB_FRAME_JAVA}};
static const struct lb_frame f_gone[1] = {{0x5000, 2, LB_FRAME_JAVA}};
static const struct lb_frame f_malloc[3] = {
    {0x5100, 0, LB_FRAME_JAVA}, {0x401000, -1, LB_FRAME_NATIVE}, {0x9000, 1, LB_FRAME_JAVA}};
static const struct lb_frame f_unsafe[1] = {{0xE020, 7, LB_FRAME_JAVA}};
static const struct lb_frame f_mmap[2] = {{0x402000, -1, LB_FRAME_NATIVE},
                                          {0x9000, 1, LB_FRAME_JAVA}};
static const struct lb_frame f_unsafe2[1] = {{0xE030, 8, LB_FRAME_JAVA}};

/* Six sites, ids 1..6, with live bytes:
 *   1 direct_buffer 3 x 1000 = 3000     4 unsafe  1 x 5000 = 5000
 *   2 malloc        700, freed: 0       5 mmap    1 x 3000 = 3000 (ties with 1: id 1 first)
 *   3 malloc        2 x 200, one freed  6 unsafe  1 x 10 = 10
 * so the report lists 4, 1, 5, 3, 6 and leaves 2 out. */
static struct lb_site *sites[7];

static void make_sites(void)
{
    sites[1] = lb_sites_intern(LB_ORIGIN_UNSAFE, f_direct, 2, kind_by_leaf);
    sites[2] = lb_sites_intern(LB_ORIGIN_MALLOC, f_gone, 1, kind_by_leaf);
    sites[3] = lb_sites_intern(LB_ORIGIN_MALLOC, f_malloc, 3, kind_by_leaf);
    sites[4] = lb_sites_intern(LB_ORIGIN_UNSAFE, f_unsafe, 1, kind_by_leaf);
    sites[5] = lb_sites_intern(LB_ORIGIN_MMAP, f_mmap, 2, kind_by_leaf);
    sites[6] = lb_sites_intern(LB_ORIGIN_UNSAFE, f_unsafe2, 1, kind_by_leaf);
    for (int i = 1; i <= 6; i++) {
        ck_assert_ptr_nonnull(sites[i]);
        ck_assert_uint_eq(sites[i]->id, (uint32_t)i);
    }
    alloc_n(sites[1], 3, 1000);
    alloc_n(sites[2], 1, 700);
    free_n(sites[2], 1, 700);
    alloc_n(sites[3], 2, 200);
    free_n(sites[3], 1, 200);
    alloc_n(sites[4], 1, 5000);
    alloc_n(sites[5], 1, 3000);
    alloc_n(sites[6], 1, 10);
}

static struct lb_options test_options(uint64_t sample)
{
    struct lb_options o;
    memset(&o, 0, sizeof o);
    snprintf(o.output, sizeof o.output, "/var/tmp/lb-%%p-%%n.json");
    o.sample = sample;
    o.interval_ms = 30000;
    o.depth = 48;
    o.gc = true;
    o.native = false;
    return o;
}

static struct lb_report_meta test_meta(const struct lb_options *o)
{
    struct lb_report_meta m = {
        .reason = "jcmd",
        .pid = 4321,
        .wall_time = WALL,
        .uptime_ms = 98765,
        .sequence = 3,
        .jvm_version = "17.0.15+6",
        .jvm_vendor = "Test Vendor",
        .jvm_name = "OpenJDK 64-Bit Server VM",
        .options = o,
        .modules = NULL,
        .agent = NULL,
    };
    return m;
}

/* Builds the report of the current sites through lb_report_snapshot. */
static json_t *build(const struct lb_report_meta *meta, struct frame_ctx *fc)
{
    struct lb_snapshot *snaps = NULL;
    size_t n = lb_snapshot_take(&snaps);
    ck_assert_ptr_nonnull(snaps);
    json_t *r = lb_report_build(meta, snaps, n, fake_frame_json, fc);
    free(snaps);
    ck_assert_ptr_nonnull(r);
    return r;
}

static json_int_t int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_integer(v), "'%s' is not an integer", key);
    return json_integer_value(v);
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_string(v), "'%s' is not a string", key);
    return json_string_value(v);
}

static void setup_sites(void)
{
    lb_sites_reset();
}

static void teardown_sites(void)
{
    lb_sites_reset();
}

START_TEST(test_build_has_format_version_and_meta)
{
    make_sites();
    struct lb_options o = test_options(0);
    struct lb_report_meta m = test_meta(&o);
    struct frame_ctx fc = {0};
    json_t *r = build(&m, &fc);

    ck_assert_str_eq(str_at(r, "format"), "leakbridge-report");
    ck_assert_int_eq(int_at(r, "version"), 1);
    ck_assert_int_eq(int_at(r, "pid"), 4321);
    ck_assert_str_eq(str_at(r, "reason"), "jcmd");
    ck_assert_int_eq(int_at(r, "sequence"), 3);
    ck_assert_str_eq(str_at(r, "time"), "2023-11-14T22:13:20Z");
    ck_assert_int_eq(int_at(r, "uptime_ms"), 98765);
    json_t *jvm = json_object_get(r, "jvm");
    ck_assert_str_eq(str_at(jvm, "version"), "17.0.15+6");
    ck_assert_str_eq(str_at(jvm, "vendor"), "Test Vendor");
    ck_assert_str_eq(str_at(jvm, "name"), "OpenJDK 64-Bit Server VM");
    json_t *opts = json_object_get(r, "options");
    ck_assert_str_eq(str_at(opts, "output"), "/var/tmp/lb-%p-%n.json");
    ck_assert_int_eq(int_at(opts, "sample"), 0);
    ck_assert_int_eq(int_at(opts, "interval_ms"), 30000);
    ck_assert_int_eq(int_at(opts, "depth"), 48);
    ck_assert(json_is_true(json_object_get(opts, "gc")));
    ck_assert(json_is_false(json_object_get(opts, "native")));
    json_t *modules = json_object_get(r, "modules");
    ck_assert(json_is_array(modules));
    ck_assert_uint_eq(json_array_size(modules), 0);
    ck_assert_ptr_null(json_object_get(r, "agent"));
    json_decref(r);

    /* Given modules and agent facts, the report carries them as they are. */
    m.modules = json_pack("[{s:s}]", "path", "/lib/libz.so.1");
    m.agent = json_pack("{s:s,s:i}", "version", "0.1.0", "tracked_blocks", 9);
    json_t *want_modules = json_deep_copy(m.modules), *want_agent = json_deep_copy(m.agent);
    r = build(&m, &fc);
    ck_assert(json_equal(json_object_get(r, "modules"), want_modules));
    ck_assert(json_equal(json_object_get(r, "agent"), want_agent));
    json_decref(want_modules);
    json_decref(want_agent);
    json_decref(r);
}
END_TEST

START_TEST(test_build_lists_live_sites_by_live_bytes_descending)
{
    make_sites();
    struct lb_options o = test_options(0);
    struct lb_report_meta m = test_meta(&o);
    struct frame_ctx fc = {0};
    json_t *r = build(&m, &fc);

    json_t *list = json_object_get(r, "sites");
    ck_assert(json_is_array(list));
    static const int order[] = {4, 1, 5, 3, 6};
    static const char *const kinds[] = {"unsafe", "direct_buffer", "mmap", "malloc", "unsafe"};
    static const json_int_t live_b[] = {5000, 3000, 3000, 200, 10};
    static const json_int_t live_c[] = {1, 3, 1, 1, 1};
    static const json_int_t alloc_b[] = {5000, 3000, 3000, 400, 10};
    static const json_int_t alloc_c[] = {1, 3, 1, 2, 1};
    static const json_int_t freed_c[] = {0, 0, 0, 1, 0};
    ck_assert_uint_eq(json_array_size(list), UU_COUNT(order));
    int frames_listed = 0;
    for (size_t i = 0; i < UU_COUNT(order); i++) {
        json_t *s = json_array_get(list, i);
        ck_assert_int_eq(int_at(s, "id"), order[i]);
        ck_assert_str_eq(str_at(s, "kind"), kinds[i]);
        ck_assert_str_eq(str_at(s, "status"), "live");
        ck_assert_int_eq(int_at(s, "live_bytes"), live_b[i]);
        ck_assert_int_eq(int_at(s, "live_count"), live_c[i]);
        ck_assert_int_eq(int_at(s, "allocated_bytes"), alloc_b[i]);
        ck_assert_int_eq(int_at(s, "allocated_count"), alloc_c[i]);
        ck_assert_int_eq(int_at(s, "freed_count"), freed_c[i]);
        /* Frames in captured order, each through the resolver. */
        const struct lb_site *site = sites[order[i]];
        json_t *frames = json_object_get(s, "frames");
        ck_assert_uint_eq(json_array_size(frames), site->nframes);
        for (int k = 0; k < site->nframes; k++) {
            json_t *f = json_array_get(frames, (size_t)k);
            ck_assert_int_eq(int_at(f, "id"), (json_int_t)site->frames[k].id);
            ck_assert_int_eq(int_at(f, "bci"), site->frames[k].bci);
        }
        frames_listed += site->nframes;
    }
    /* The resolver was asked only for the frames of listed sites, with our context. */
    ck_assert_int_eq(fc.calls, frames_listed);
    json_decref(r);
}
END_TEST

static void expect_amounts(json_t *by_kind, const char *kind, json_int_t bytes, json_int_t count)
{
    json_t *a = json_object_get(by_kind, kind);
    ck_assert_msg(json_is_object(a), "by_kind has no '%s'", kind);
    ck_assert_int_eq(int_at(a, "live_bytes"), bytes);
    ck_assert_int_eq(int_at(a, "live_count"), count);
}

START_TEST(test_build_totals_add_up_over_all_sites_and_kinds)
{
    make_sites();
    struct lb_options o = test_options(0);
    struct lb_report_meta m = test_meta(&o);
    struct frame_ctx fc = {0};
    json_t *r = build(&m, &fc);

    json_t *t = json_object_get(r, "totals");
    ck_assert(json_is_object(t));
    ck_assert_int_eq(int_at(t, "live_bytes"), 3000 + 200 + 5000 + 3000 + 10);
    ck_assert_int_eq(int_at(t, "live_count"), 3 + 1 + 1 + 1 + 1);
    /* Allocated and freed include site 2, which has nothing live and is not listed. */
    ck_assert_int_eq(int_at(t, "allocated_bytes"), 3000 + 700 + 400 + 5000 + 3000 + 10);
    ck_assert_int_eq(int_at(t, "allocated_count"), 3 + 1 + 2 + 1 + 1 + 1);
    ck_assert_int_eq(int_at(t, "freed_count"), 2);
    ck_assert_int_eq(int_at(t, "sites"), 5);
    ck_assert_int_eq(int_at(t, "sites_seen"), 6);

    json_t *by_kind = json_object_get(t, "by_kind");
    ck_assert_uint_eq(json_object_size(by_kind), LB_KIND_COUNT);
    expect_amounts(by_kind, "direct_buffer", 3000, 3);
    expect_amounts(by_kind, "unsafe", 5010, 2);
    expect_amounts(by_kind, "malloc", 200, 1);
    expect_amounts(by_kind, "mmap", 3000, 1);
    json_decref(r);
}
END_TEST

START_TEST(test_build_of_no_sites_has_zero_totals_and_every_kind)
{
    struct lb_options o = test_options(0);
    struct lb_report_meta m = test_meta(&o);
    struct frame_ctx fc = {0};
    json_t *r = build(&m, &fc);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "sites")), 0);
    json_t *t = json_object_get(r, "totals");
    ck_assert_int_eq(int_at(t, "live_bytes"), 0);
    ck_assert_int_eq(int_at(t, "sites"), 0);
    ck_assert_int_eq(int_at(t, "sites_seen"), 0);
    json_t *by_kind = json_object_get(t, "by_kind");
    for (int k = 0; k < LB_KIND_COUNT; k++)
        expect_amounts(by_kind, lb_kind_name((enum lb_kind)k), 0, 0);
    ck_assert_int_eq(fc.calls, 0);
    json_decref(r);
}
END_TEST

START_TEST(test_sampling_estimated_follows_the_sample_option)
{
    make_sites();
    struct frame_ctx fc = {0};
    struct lb_options exact = test_options(0);
    struct lb_report_meta m = test_meta(&exact);
    json_t *r = build(&m, &fc);
    json_t *sampling = json_object_get(r, "sampling");
    ck_assert_int_eq(int_at(sampling, "mean_bytes"), 0);
    ck_assert(json_is_false(json_object_get(sampling, "estimated")));
    json_decref(r);

    struct lb_options sampled = test_options(512 * 1024);
    m = test_meta(&sampled);
    r = build(&m, &fc);
    sampling = json_object_get(r, "sampling");
    ck_assert_int_eq(int_at(sampling, "mean_bytes"), 512 * 1024);
    ck_assert(json_is_true(json_object_get(sampling, "estimated")));
    ck_assert_int_eq(int_at(json_object_get(r, "options"), "sample"), 512 * 1024);
    json_decref(r);
}
END_TEST

START_TEST(test_built_report_survives_write_and_load)
{
    make_sites();
    make_tmpdir();
    struct lb_options o = test_options(4096);
    struct lb_report_meta m = test_meta(&o);
    struct frame_ctx fc = {0};
    json_t *r = build(&m, &fc);
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/leakbridge-4321-3.json", tmpdir);
    ck_assert_msg(lb_report_writer_write(r, path, err, sizeof err), "write failed: %s", err);
    json_t *back = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(back, r));
    json_decref(back);
    json_decref(r);
    remove_tmpdir();
}
END_TEST

/* --- snapshot ------------------------------------------------------------------------------- */

START_TEST(test_snapshot_reads_counters_with_live_equal_to_allocated_minus_freed)
{
    make_sites();
    /* Estimated weights: fractional counts, rounded to whole blocks in the snapshot. */
    struct lb_weight w = {3333, LB_COUNT_ONE * 13 / 10}; /* 1.3 blocks */
    lb_sites_add(sites[6], &w);
    lb_sites_add(sites[6], &w);
    lb_sites_sub(sites[6], &w);

    struct lb_snapshot *snaps = NULL;
    size_t n = lb_snapshot_take(&snaps);
    ck_assert_uint_eq(n, 6);
    bool seen[7] = {false};
    for (size_t i = 0; i < n; i++) {
        const struct lb_snapshot *sn = &snaps[i];
        uint32_t id = sn->site->id;
        ck_assert(id >= 1 && id <= 6 && !seen[id]);
        seen[id] = true;
        ck_assert_ptr_eq(sn->site, sites[id]);
        ck_assert_uint_eq(sn->live_bytes, sn->allocated_bytes - sn->freed_bytes);
        ck_assert_uint_eq(sn->live_count, sn->allocated_count - sn->freed_count);
        ck_assert_uint_eq(sn->live_bytes, lb_sites_live_bytes(sites[id]));
        ck_assert_uint_eq(sn->allocated_bytes, atomic_load(&sites[id]->allocated_bytes));
    }
    free(snaps);

    n = lb_snapshot_take(&snaps);
    for (size_t i = 0; i < n; i++) {
        const struct lb_snapshot *sn = &snaps[i];
        switch (sn->site->id) {
        case 3: /* 2 x 200 allocated, 1 freed */
            ck_assert_uint_eq(sn->allocated_bytes, 400);
            ck_assert_uint_eq(sn->allocated_count, 2);
            ck_assert_uint_eq(sn->live_bytes, 200);
            ck_assert_uint_eq(sn->live_count, 1);
            ck_assert_uint_eq(sn->freed_bytes, 200);
            ck_assert_uint_eq(sn->freed_count, 1);
            break;
        case 6: /* 10 + 2 x 3333 allocated, 3333 freed; 3.6 blocks allocated, 2.3 live */
            ck_assert_uint_eq(sn->allocated_bytes, 10 + 2 * 3333);
            ck_assert_uint_eq(sn->live_bytes, 10 + 3333);
            ck_assert_uint_eq(sn->freed_bytes, 3333);
            ck_assert_uint_eq(sn->allocated_count, 4);
            ck_assert_uint_eq(sn->live_count, 2);
            ck_assert_uint_eq(sn->freed_count, 2);
            break;
        default:
            break;
        }
    }
    free(snaps);
}
END_TEST

START_TEST(test_snapshot_of_counters_caught_mid_update_still_adds_up)
{
    /* A free counted on another thread between the snapshot's loads can leave freed above
     * allocated for a moment; the snapshot must not report more freed than allocated, nor a
     * live amount that wrapped below zero. */
    make_sites();
    struct lb_site *s = sites[4];
    atomic_store(&s->freed_bytes, 6000);
    atomic_store(&s->freed_count_fp, 2 * LB_COUNT_ONE);
    struct lb_snapshot *snaps = NULL;
    size_t n = lb_snapshot_take(&snaps);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (snaps[i].site != s)
            continue;
        found = true;
        ck_assert_uint_eq(snaps[i].allocated_bytes, 5000);
        ck_assert_uint_le(snaps[i].live_bytes, snaps[i].allocated_bytes);
        ck_assert_uint_eq(snaps[i].live_bytes + snaps[i].freed_bytes, 5000);
        ck_assert_uint_le(snaps[i].live_count, snaps[i].allocated_count);
        ck_assert_uint_eq(snaps[i].live_count + snaps[i].freed_count, 1);
    }
    ck_assert(found);
    free(snaps);
}
END_TEST

/* --- lb_json_text --------------------------------------------------------------------------- */

static void expect_text(const char *in, const char *want)
{
    json_t *s = lb_json_text(in);
    ck_assert_ptr_nonnull(s);
    char got[256] = "(not a string)";
    if (json_is_string(s))
        snprintf(got, sizeof got, "%s", json_string_value(s));
    json_decref(s); /* before asserting: a failure must not leak it */
    ck_assert_str_eq(got, want);
}

START_TEST(test_json_text_of_null_is_empty_string)
{
    expect_text(NULL, "");
    expect_text("", "");
}
END_TEST

START_TEST(test_json_text_keeps_valid_utf8)
{
    expect_text("plain ascii /lib/x86_64/libz.so", "plain ascii /lib/x86_64/libz.so");
    expect_text("caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
                "caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_json_text_turns_invalid_utf8_into_question_marks)
{
    expect_text("\xff\xfe", "??");
    expect_text("abc\x80"
                "def",
                "abc?def");
    expect_text("lib\xe9.so", "lib?.so");  /* Latin-1 e-acute */
    expect_text("cut \xe6\x97", "cut ??"); /* truncated 3-byte sequence */
    expect_text("over\xc0\xaf"
                "long",
                "over??long");          /* overlong '/' */
    expect_text("\xed\xa0\x80", "???"); /* a UTF-16 surrogate, CESU-8 */
}
END_TEST

START_TEST(test_json_text_keeps_valid_characters_next_to_invalid_bytes)
{
    /* Only the bytes that are not valid UTF-8 become '?' (report.h): the valid e-acute and
     * check mark around a stray byte stay as they are. */
    expect_text("caf\xc3\xa9-\xff-\xe2\x9c\x93", "caf\xc3\xa9-?-\xe2\x9c\x93");
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("path");
    tcase_add_test(tc, test_path_expands_every_escape);
    tcase_add_test(tc, test_path_rejects_unknown_and_trailing_escapes_and_empty_result);
    tcase_add_test(tc, test_path_that_does_not_fit_is_rejected_without_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_test(tc, test_write_produces_a_file_that_loads_back_equal);
    tcase_add_test(tc, test_write_streams_the_same_text_as_json_dumps);
    tcase_add_test(tc, test_write_to_a_bare_file_name_uses_the_current_directory);
    tcase_add_test(tc, test_write_into_missing_directory_fails_with_one_line_and_creates_nothing);
    tcase_add_test(tc, test_write_over_a_directory_fails_and_leaves_no_temporary_file);
    tcase_add_test(tc, test_write_abandoned_midway_leaves_nothing_and_says_so);
    suite_add_tcase(s, tc);

    tc = tcase_create("build");
    tcase_add_checked_fixture(tc, setup_sites, teardown_sites);
    tcase_add_test(tc, test_build_has_format_version_and_meta);
    tcase_add_test(tc, test_build_lists_live_sites_by_live_bytes_descending);
    tcase_add_test(tc, test_build_totals_add_up_over_all_sites_and_kinds);
    tcase_add_test(tc, test_build_of_no_sites_has_zero_totals_and_every_kind);
    tcase_add_test(tc, test_sampling_estimated_follows_the_sample_option);
    tcase_add_test(tc, test_built_report_survives_write_and_load);
    tcase_add_test(tc, test_snapshot_reads_counters_with_live_equal_to_allocated_minus_freed);
    tcase_add_test(tc, test_snapshot_of_counters_caught_mid_update_still_adds_up);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_json_text_of_null_is_empty_string);
    tcase_add_test(tc, test_json_text_keeps_valid_utf8);
    tcase_add_test(tc, test_json_text_turns_invalid_utf8_into_question_marks);
    tcase_add_test(tc, test_json_text_keeps_valid_characters_next_to_invalid_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(report_suite());
}
