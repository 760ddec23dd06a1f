/* leakbridge check: the CI gate. Judges each report (one per JVM: of several reports of one JVM,
 * the latest): exit 0 when none holds more than --max-bytes live at the sites that count, 1
 * with a LeakSanitizer-like block per leaking site otherwise. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "junit.h"
#include "leakbridge/report_format.h"
#include "match.h"
#include "report_reader.h"
#include "runs.h"
#include "stack.h"
#include "suppressions.h"
#include "units.h"

static const char usage[] =
    "usage: leakbridge check REPORT... [--max-bytes SIZE] [--status leak-suspect|any]\n"
    "                        [--suppressions FILE] [--kind KIND] [--junit FILE] [--json]\n"
    "\n"
    "The CI gate. Judges each REPORT, one per JVM (of several reports of one JVM, only the\n"
    "latest: its exit report): counts the live bytes of the sites that are not suppressed\n"
    "and match --status and --kind. For each report over --max-bytes, prints each of them\n"
    "with its stack; then a summary line and the suppressions that matched. Exits 1 when a\n"
    "report is over the limit.\n"
    "\n"
    "  --max-bytes SIZE     live bytes allowed in each report, such as 0, 4096, 512k, 1m\n"
    "                       (default 0)\n"
    "  --status WHICH       which sites count: any (default), leak-suspect, or a comma list\n"
    "                       of statuses (live, leak-suspect, gc-deferred); leak-suspect\n"
    "                       without live is refused for a report that cannot hold that\n"
    "                       verdict (a short run's: see its leak_window)\n"
    "  --suppressions FILE  LeakSanitizer-style file: leak:PATTERN a line, # comments; a\n"
    "                       site is suppressed when PATTERN matches a frame's class.method,\n"
    "                       native symbol or module path ('*' any text, '^' and '$' anchor\n"
    "                       at the start and end, else a substring); may be repeated\n"
    "  --kind KIND          only sites of this kind: direct_buffer, unsafe, malloc, mmap,\n"
    "                       mapped_file, pool;\n"
    "                       a comma list, may be repeated\n"
    "  --junit FILE         also write JUnit XML: one test case per site, failed if it leaks\n"
    "  --json               print the verdict as JSON (docs/cli.md describes it)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 within the limit, 1 leaks over it, 2 bad input or options, or\n"
    "--status leak-suspect on a report that cannot hold that verdict.\n";

static const char *const *const kinds = lb_kind_names;
static const char *const statuses[] = {"live", "leak-suspect", "gc-deferred"};
#define NKINDS LB_KIND_COUNT
#define NSTATUSES (sizeof statuses / sizeof statuses[0])
enum { STATUS_LIVE, STATUS_LEAK_SUSPECT };

struct settings {
    int64_t max_bytes;
    bool kind[NKINDS], any_kind;
    bool status[NSTATUSES], any_status;
    struct lbc_suppressions sup;
    const char *junit;
    bool json;
};

/* What counts, summed over the reports judged. */
struct totals {
    int64_t bytes, blocks, sites, sup_bytes, sup_sites, over;
    bool estimated;
};

/* The verdict on one report. */
struct verdict {
    struct lbc_report *r;
    struct lbc_suppression **suppressed; /* per site: what suppressed it, or NULL */
    int64_t bytes, blocks, sites, sup_bytes, sup_sites;
    int64_t summed_bytes, summed_sites; /* counted from bounds.summarized (part of the above) */
    bool over;
};

/* Sets flags[i] for each comma-separated word of list found in names; false on an unknown
 * word, which *bad then points to (in list, cut at the comma). */
static bool parse_list(char *list, const char *const *names, size_t n, bool *flags, char **bad)
{
    for (char *save = NULL, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < n && strcmp(w, names[i]) != 0; i++)
            ;
        if (i == n) {
            *bad = w;
            return false;
        }
        flags[i] = true;
    }
    return true;
}

static size_t index_of(const char *word, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(word, names[i]) == 0)
            return i;
    return n;
}

/* A non-negative integer member of o; 0 when absent. */
static int64_t member_int(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

static bool has_live_memory(const struct lbc_site *s)
{
    return s->live_bytes > 0 || s->live_count > 0;
}

/* Whether the site counts, before suppressions. */
static bool selected(const struct settings *set, const struct lbc_site *s)
{
    if (!has_live_memory(s))
        return false;
    size_t k = index_of(s->kind, kinds, NKINDS), st = index_of(s->status, statuses, NSTATUSES);
    if (!set->any_kind && (k == NKINDS || !set->kind[k]))
        return false;
    return set->any_status || (st < NSTATUSES && set->status[st]);
}

/* Whether site i of the verdict's report leaks: it counts and the report is over the limit. */
static bool leaks(const struct settings *set, const struct verdict *v, size_t i)
{
    return v->over && selected(set, &v->r->sites[i]) && !v->suppressed[i];
}

static int64_t saturated_add(int64_t a, int64_t b)
{
    int64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

/* "36864 bytes (36.0 KiB) live in 3 blocks at 1 site" */
static void print_amount(FILE *out, int64_t bytes, int64_t blocks, int64_t sites)
{
    char a[LBC_UNITS_MAX];
    fprintf(out, "%" PRId64 " %s (%s) live in %" PRId64 " %s at %" PRId64 " %s", bytes,
            lb_units_plural(bytes, "byte", "bytes"), lb_units_bytes(bytes, a), blocks,
            lb_units_plural(blocks, "block", "blocks"), sites,
            lb_units_plural(sites, "site", "sites"));
}

/* One leaking site, as LeakSanitizer prints a leak. */
static void print_block(FILE *out, const struct lbc_site *s)
{
    char a[LBC_UNITS_MAX], text[LBC_FRAME_TEXT_MAX];
    fprintf(out, "%s leak of %" PRId64 " %s (%s) in %" PRId64 " %s, status %s", s->kind,
            s->live_bytes, lb_units_plural(s->live_bytes, "byte", "bytes"),
            lb_units_bytes(s->live_bytes, a), s->live_count,
            lb_units_plural(s->live_count, "block", "blocks"), s->status);
    if (s->status_rule)
        fprintf(out, " (rule %s)", s->status_rule);
    if (s->has_growth && s->growth_bytes)
        fprintf(out, ", grew by %s since the previous report",
                lbc_units_growth(s->growth_bytes, a));
    if (s->inputs > 1)
        fprintf(out, ", in %" PRId64 " merged reports", s->inputs);
    fprintf(out, ", allocated from:\n");
    for (size_t i = 0; i < s->nframes; i++)
        fprintf(out, "    #%zu %s\n", i, lbc_stack_describe(&s->frames[i], 0, text, sizeof text));
    if (s->overflow)
        fprintf(out,
                "    (an overflow site: ~%" PRId64 " stacks of %s folded here past the agent's "
                "max_sites or max_memory; raise them to see each)\n",
                s->folded_stacks, s->overflow_module ? s->overflow_module : "Java code");
    else if (!s->nframes)
        fprintf(out, "    (no stack was captured)\n");
    lbc_stack_print_owners(out, s, "    "); /* owners=on: what holds it */
    fprintf(out, "\n");
}

/* "REPORT: pid 7, dump 1 (exit)", naming the report among several. */
static void print_report_name(FILE *out, const struct lbc_report *r)
{
    if (r->merged_inputs)
        fprintf(out, "%s: merged from %" PRId64 " %s", r->path, r->merged_inputs,
                lb_units_plural(r->merged_inputs, "report", "reports"));
    else
        fprintf(out, "%s: pid %" PRId64 ", dump %" PRId64 " (%s)", r->path, r->pid, r->sequence,
                r->reason);
}

static void print_suppressions(const struct lbc_suppressions *sup)
{
    bool any = false;
    for (size_t i = 0; i < sup->count; i++)
        any |= sup->items[i].sites > 0;
    if (!any)
        return;
    printf("-----------------------------------------------------\n"
           "Suppressions used:\n  count      bytes template\n");
    for (size_t i = 0; i < sup->count; i++)
        if (sup->items[i].sites)
            printf("%7" PRId64 " %10" PRId64 " %s\n", sup->items[i].sites, sup->items[i].bytes,
                   sup->items[i].pattern);
    printf("-----------------------------------------------------\n");
}

/* Whether a site of r can be leak-suspect: its leak_window says the run was long enough, or a
 * site already is. */
static bool can_hold_leak_suspect(const struct lbc_report *r)
{
    for (size_t i = 0; i < r->nsites; i++)
        if (strcmp(r->sites[i].status, "leak-suspect") == 0)
            return true;
    return r->has_leak_window && r->decidable;
}

/* A duration for people: "0.7 s", "5 min", "2.5 min". */
static const char *duration(int64_t ms, char buf[LBC_UNITS_MAX])
{
    if (ms < 60000)
        snprintf(buf, LBC_UNITS_MAX, "%.1f s", (double)ms / 1000.0);
    else if (ms % 60000 == 0)
        snprintf(buf, LBC_UNITS_MAX, "%" PRId64 " min", ms / 60000);
    else
        snprintf(buf, LBC_UNITS_MAX, "%.1f min", (double)ms / 60000.0);
    return buf;
}

/* --status asks for leak-suspect alone (not live): refuses, in one line, reports that cannot
 * hold that verdict rather than pass them for want of one. */
static bool verdicts_possible(const struct settings *set, struct verdict *v, size_t n)
{
    if (set->any_status || !set->status[STATUS_LEAK_SUSPECT] || set->status[STATUS_LIVE])
        return true;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!can_hold_leak_suspect(v[i].r) && bad++ == 0)
            first = i;
    if (!bad)
        return true;
    const struct lbc_report *r = v[first].r;
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], more[64] = "";
    if (bad > 1)
        snprintf(more, sizeof more, " (and %zu more %s)", bad - 1,
                 lb_units_plural((int64_t)(bad - 1), "report", "reports"));
    if (r->has_leak_window)
        lbc_error("%s%s cannot hold a leak-suspect verdict: its run's %" PRId64 " %s span %s, "
                  "not enough for the leak window of %s (leak_window.decidable is false); "
                  "--status any (the default) gates on all live bytes",
                  r->path, more, r->window_reports,
                  lb_units_plural(r->window_reports, "report", "reports"),
                  duration(r->observed_ms, a), duration(r->window_ms, b));
    else
        lbc_error("%s%s cannot hold a leak-suspect verdict: it has no leak_window (an older "
                  "agent's report) and no leak-suspect site; --status any (the default) gates "
                  "on all live bytes",
                  r->path, more);
    return false;
}

bool lbc_bounds_line(const json_t *root, char *out, size_t len)
{
    const json_t *b = json_object_get(root, "bounds");
    const json_t *sum = json_object_get(b, "summarized");
    int64_t folded = member_int(b, "folded_stacks"), untracked = member_int(b, "untracked_count");
    int64_t summed = member_int(sum, "sites");
    size_t overflow = json_array_size(json_object_get(b, "overflow_sites")), at = 0;
    char a[LBC_UNITS_MAX];
    out[0] = '\0';
    if (!folded && !untracked && !summed)
        return false;
    at += (size_t)snprintf(out, len, "bounds:");
    if (folded && at < len)
        at += (size_t)snprintf(
            out + at, len - at,
            " ~%" PRId64 " %s folded into %zu overflow %s (max_sites=%" PRId64 ", max_memory=%s);",
            folded, lb_units_plural(folded, "stack", "stacks"), overflow,
            lb_units_plural((int64_t)overflow, "site", "sites"), member_int(b, "max_sites"),
            lb_units_bytes(member_int(b, "max_memory"), a));
    if (untracked && at < len)
        at += (size_t)snprintf(out + at, len - at,
                               " %" PRId64 " %s (%s) untracked, the live table full;", untracked,
                               lb_units_plural(untracked, "block", "blocks"),
                               lb_units_bytes(member_int(b, "untracked_bytes"), a));
    if (summed && at < len)
        at += (size_t)snprintf(
            out + at, len - at,
            " %" PRId64 " %s with %s live summed up past report_sites=%" PRId64 ";", summed,
            lb_units_plural(summed, "site", "sites"),
            lb_units_bytes(member_int(sum, "live_bytes"), a), member_int(b, "report_sites"));
    if (at > 0 && at < len && out[at - 1] == ';')
        out[at - 1] = '\0';
    return true;
}

/* The sites the agent summed up past report_sites (bounds.summarized) have no stack, so no
 * suppression can take them: those of a selected kind count, unless --status asks only for
 * leak-suspect (every leak-suspect site is listed one by one). */
static void count_summarized(const struct settings *set, struct verdict *v)
{
    if (!set->any_status && !set->status[STATUS_LIVE] && !set->status[2 /* gc-deferred */])
        return;
    json_t *by_kind = json_object_get(
        json_object_get(json_object_get(v->r->root, "bounds"), "summarized"), "by_kind");
    const char *kind;
    json_t *k;
    json_object_foreach(by_kind, kind, k)
    {
        size_t i = index_of(kind, kinds, NKINDS);
        if (!set->any_kind && (i == NKINDS || !set->kind[i]))
            continue;
        v->summed_bytes = saturated_add(v->summed_bytes, member_int(k, "live_bytes"));
        v->summed_sites += member_int(k, "sites");
        v->bytes = saturated_add(v->bytes, member_int(k, "live_bytes"));
        v->blocks = saturated_add(v->blocks, member_int(k, "live_count"));
        v->sites += member_int(k, "sites");
    }
}

/* Counts the sites of v->r that count; false when out of memory. */
static bool judge(struct settings *set, struct verdict *v)
{
    const struct lbc_report *r = v->r;
    v->suppressed = calloc(r->nsites + 1, sizeof *v->suppressed);
    if (!v->suppressed)
        return false;
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        if (!selected(set, s))
            continue;
        v->suppressed[i] = lbc_suppressions_match(&set->sup, s);
        if (v->suppressed[i]) {
            v->sup_bytes += s->live_bytes;
            v->sup_sites++;
            continue;
        }
        /* No overflow: the reader checked the sums over all sites. */
        v->bytes += s->live_bytes;
        v->blocks += s->live_count;
        v->sites++;
    }
    count_summarized(set, v);
    v->over = v->bytes > set->max_bytes;
    return true;
}

static struct totals sum(const struct verdict *v, size_t n)
{
    struct totals t = {0};
    for (size_t k = 0; k < n; k++) {
        t.bytes = saturated_add(t.bytes, v[k].bytes);
        t.blocks = saturated_add(t.blocks, v[k].blocks);
        t.sites += v[k].sites;
        t.sup_bytes = saturated_add(t.sup_bytes, v[k].sup_bytes);
        t.sup_sites += v[k].sup_sites;
        t.over += v[k].over;
        t.estimated |= v[k].r->estimated;
    }
    return t;
}

static void print_text(const struct settings *set, const struct verdict *v, size_t n)
{
    char a[LBC_UNITS_MAX];
    struct totals t = sum(v, n);
    for (size_t k = 0; k < n; k++) {
        if (v[k].over && n > 1) {
            print_report_name(stdout, v[k].r);
            printf("\n\n");
        }
        for (size_t i = 0; i < v[k].r->nsites; i++)
            if (leaks(set, &v[k], i))
                print_block(stdout, &v[k].r->sites[i]);
    }
    for (size_t k = 0; k < n; k++) {
        char line[512];
        if (!lbc_bounds_line(v[k].r->root, line, sizeof line))
            continue;
        if (n > 1) {
            print_report_name(stdout, v[k].r);
            printf(": ");
        }
        printf("%s", line);
        if (v[k].summed_sites)
            printf(" (%" PRId64 " summed-up %s with %s counted: they have no stack to suppress)",
                   v[k].summed_sites, lb_units_plural(v[k].summed_sites, "site", "sites"),
                   lb_units_bytes(v[k].summed_bytes, a));
        printf("\n");
    }
    for (size_t k = 0; n > 1 && k < n; k++) {
        print_report_name(stdout, v[k].r);
        printf(": ");
        print_amount(stdout, v[k].bytes, v[k].blocks, v[k].sites);
        printf(", %s the limit\n", v[k].over ? "over" : "within");
    }
    printf("SUMMARY: leakbridge: ");
    print_amount(stdout, t.bytes, t.blocks, t.sites);
    if (n > 1)
        printf(" in %zu reports; %" PRId64 " %s over the limit of %s", n, t.over,
               lb_units_plural(t.over, "report", "reports"), lb_units_bytes(set->max_bytes, a));
    else
        printf(" %s the limit of %s", t.over ? "over" : "within",
               lb_units_bytes(set->max_bytes, a));
    if (t.sup_sites)
        printf("; %" PRId64 " %s with %s suppressed", t.sup_sites,
               lb_units_plural(t.sup_sites, "site", "sites"), lb_units_bytes(t.sup_bytes, a));
    printf("%s\n", t.estimated ? "; figures are estimates from a sampled report" : "");
    print_suppressions(&set->sup);
}

static json_t *json_verdicts(const struct settings *set, const struct verdict *v, size_t n,
                             struct lbc_report *const *left_out, size_t nleft)
{
    struct totals t = sum(v, n);
    json_t *reports = json_array(), *skipped = json_array(), *used = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *counted = json_array(), *suppressed = json_array();
        json_t *item =
            json_pack("{sosbsIsIsIsIsIsoso}", "report", lbc_json_report(v[k].r), "over", v[k].over,
                      "live_bytes", (json_int_t)v[k].bytes, "live_count", (json_int_t)v[k].blocks,
                      "sites", (json_int_t)v[k].sites, "suppressed_bytes",
                      (json_int_t)v[k].sup_bytes, "suppressed_sites", (json_int_t)v[k].sup_sites,
                      "counted", counted, "suppressed", suppressed);
        if (item && v[k].summed_sites &&
            (json_object_set_new(item, "summarized_sites", json_integer(v[k].summed_sites)) != 0 ||
             json_object_set_new(item, "summarized_bytes", json_integer(v[k].summed_bytes)) != 0))
            goto fail;
        if (json_array_append_new(reports, item) != 0)
            goto fail;
        for (size_t i = 0; i < v[k].r->nsites; i++) {
            const struct lbc_site *s = &v[k].r->sites[i];
            if (v[k].suppressed[i]) {
                json_t *site = lbc_json_site(s);
                if (json_array_append_new(suppressed, site) != 0 ||
                    !lbc_json_set(site, "suppression", lbc_json_text(v[k].suppressed[i]->pattern)))
                    goto fail;
            } else if (selected(set, s) && json_array_append_new(counted, lbc_json_site(s)) != 0) {
                goto fail;
            }
        }
    }
    for (size_t k = 0; k < nleft; k++)
        if (json_array_append_new(skipped, lbc_json_report(left_out[k])) != 0)
            goto fail;
    for (size_t i = 0; i < set->sup.count; i++) {
        const struct lbc_suppression *s = &set->sup.items[i];
        if (s->sites &&
            json_array_append_new(used, json_pack("{sosIsI}", "pattern", lbc_json_text(s->pattern),
                                                  "sites", (json_int_t)s->sites, "bytes",
                                                  (json_int_t)s->bytes)) != 0)
            goto fail;
    }
    return json_pack("{sssIsIsIsIsIsososo}", "verdict", t.over ? "leaks" : "clean", "max_bytes",
                     (json_int_t)set->max_bytes, "reports_over", (json_int_t)t.over, "live_bytes",
                     (json_int_t)t.bytes, "live_count", (json_int_t)t.blocks, "sites",
                     (json_int_t)t.sites, "reports", reports, "left_out", skipped,
                     "suppressions_used", used);
fail:
    json_decref(reports);
    json_decref(skipped);
    json_decref(used);
    return NULL;
}

/* 32-bit FNV-1a of text: a short name for a stack that stays the same from run to run. */
static uint32_t fnv1a(const char *text)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* One JUnit test case: one site (kind and frames, as lbc_match with LBC_KEY_SYMBOLS tells
 * them) across the reports. */
struct test {
    struct lbc_junit_case c;
    char classname[32 + LBC_FRAME_TEXT_MAX / 8], *name, *message, *details;
    const char *key;
};

static int compare_tests(const void *a, const void *b)
{
    const struct test *x = a, *y = b;
    int c = strcmp(x->classname, y->classname);
    return c ? c : strcmp(x->name, y->name);
}

/* Fills t from the entries [start, end) of one site across the verdicts' reports. */
static bool make_test(const struct settings *set, const struct verdict *v, size_t n,
                      const struct lbc_match_entry *e, size_t start, size_t end, struct test *t)
{
    char headline[LBC_FRAME_TEXT_MAX * 2], a[LBC_UNITS_MAX];
    const struct lbc_suppression *suppressed = NULL;
    int64_t bytes = 0, blocks = 0, failing = 0;
    const char *status = NULL;
    size_t len;
    FILE *mem = NULL;
    snprintf(t->classname, sizeof t->classname, "leakbridge.%s", e[start].site->kind);
    t->key = e[start].key;
    if (!(t->name = strdup(lbc_stack_stable_headline(e[start].site, headline, sizeof headline))))
        return false;
    t->c.outcome = LBC_JUNIT_PASSED;
    for (size_t i = start; i < end; i++) {
        const struct verdict *vk = &v[e[i].report];
        size_t index = (size_t)(e[i].site - vk->r->sites);
        if (vk->suppressed[index])
            suppressed = vk->suppressed[index];
        if (!leaks(set, vk, index))
            continue;
        if (!mem && !(mem = open_memstream(&t->details, &len)))
            return false;
        if (n > 1) {
            print_report_name(mem, vk->r);
            fprintf(mem, ":\n");
        }
        print_block(mem, e[i].site);
        bytes = saturated_add(bytes, e[i].site->live_bytes);
        blocks = saturated_add(blocks, e[i].site->live_count);
        status = e[i].site->status;
        failing++;
    }
    if (mem && fclose(mem) != 0)
        return false;
    if (failing) {
        t->c.outcome = LBC_JUNIT_FAILED;
        if (asprintf(&t->message, "%s live in %" PRId64 " %s, status %s%s",
                     lb_units_bytes(bytes, a), blocks, lb_units_plural(blocks, "block", "blocks"),
                     status, failing > 1 ? ", in several reports" : "") < 0)
            t->message = NULL;
    } else if (suppressed) {
        t->c.outcome = LBC_JUNIT_SKIPPED;
        if (asprintf(&t->message, "suppressed by leak:%s", suppressed->pattern) < 0)
            t->message = NULL;
    }
    return t->c.outcome == LBC_JUNIT_PASSED || t->message;
}

/* Writes the JUnit file: a test case per site with live memory, across the reports, named by
 * what stays the same from run to run (lbc_stack_stable_headline), in order of their names. */
static bool write_junit(const struct settings *set, const struct verdict *v, size_t n)
{
    struct lbc_report **reports = calloc(n, sizeof *reports);
    struct lbc_match_entry *e = NULL;
    struct test *tests = NULL;
    size_t count = 0, ntests = 0;
    const char *latest = v[0].r->time;
    bool ok = reports != NULL;
    for (size_t k = 0; ok && k < n; k++) {
        reports[k] = v[k].r;
        if (strcmp(v[k].r->time, latest) > 0)
            latest = v[k].r->time;
    }
    ok = ok && lbc_match(reports, n, LBC_KEY_SYMBOLS, &e, &count) &&
         (tests = calloc(count + 1, sizeof *tests)) != NULL;
    for (size_t i = 0; ok && i < count;) {
        size_t end = lbc_match_run_end(e, count, i), live = 0;
        for (size_t j = i; j < end; j++)
            live += has_live_memory(e[j].site);
        if (live)
            ok = make_test(set, v, n, e, i, end, &tests[ntests++]);
        i = end;
    }
    if (ok)
        qsort(tests, ntests, sizeof *tests, compare_tests);
    /* Sites of one kind whose names are the same (they differ further down the stack) each get
     * a hash of their whole key. */
    for (size_t i = 0; ok && i < ntests;) {
        size_t end = i + 1;
        while (end < ntests && compare_tests(&tests[i], &tests[end]) == 0)
            end++;
        for (size_t j = i; ok && end - i > 1 && j < end; j++) {
            char *longer;
            ok = asprintf(&longer, "%s [%08x]", tests[j].name, (unsigned)fnv1a(tests[j].key)) >= 0;
            if (ok) {
                free(tests[j].name);
                tests[j].name = longer;
            }
        }
        i = end;
    }
    struct lbc_junit_case *cases = ok ? calloc(ntests + 1, sizeof *cases) : NULL;
    ok = ok && cases;
    for (size_t i = 0; ok && i < ntests; i++) {
        cases[i] = tests[i].c;
        cases[i].classname = tests[i].classname;
        cases[i].name = tests[i].name;
        cases[i].message = tests[i].message;
        cases[i].details = tests[i].details;
    }
    if (ok && ntests == 0)
        cases[ntests++] = (struct lbc_junit_case){"leakbridge", "no live off-heap memory",
                                                  LBC_JUNIT_PASSED, NULL, NULL};
    if (ok && !lbc_junit_write(set->junit, "leakbridge check", latest, cases, ntests)) {
        lbc_error("%s: cannot write the JUnit file: %s", set->junit, strerror(errno));
        ok = false;
    } else if (!ok) {
        lbc_error("out of memory writing the JUnit file");
    }
    for (size_t i = 0; tests && i < count; i++) {
        free(tests[i].name);
        free(tests[i].message);
        free(tests[i].details);
    }
    free(tests);
    free(cases);
    if (e)
        lbc_match_free(e, count);
    free(reports);
    return ok;
}

/* Judges the reports (the latest of each JVM) and says the verdict. */
static int run(struct settings *set, struct lbc_report **all, size_t nall)
{
    bool *keep = calloc(nall, sizeof *keep);
    struct verdict *v = calloc(nall, sizeof *v);
    struct lbc_report **left_out = calloc(nall, sizeof *left_out);
    size_t n = 0, nleft = 0;
    int status = LBC_EXIT_BAD, over = 0;
    if (!keep || !v || !left_out) {
        lbc_error("out of memory");
        goto out;
    }
    lbc_runs_latest(all, nall, keep);
    lbc_runs_say_left_out("check", "judging", all, nall, keep, NULL);
    for (size_t i = 0; i < nall; i++) {
        if (keep[i])
            v[n++].r = all[i];
        else
            left_out[nleft++] = all[i];
    }
    if (!verdicts_possible(set, v, n))
        goto out;
    for (size_t k = 0; k < n; k++) {
        if (!judge(set, &v[k])) {
            lbc_error("out of memory");
            goto out;
        }
        over |= v[k].over;
    }
    if (set->json) {
        if (!lbc_json_print(json_verdicts(set, v, n, left_out, nleft)))
            goto out;
    } else {
        print_text(set, v, n);
    }
    if (set->junit && !write_junit(set, v, n))
        goto out;
    status = over ? LBC_EXIT_LEAKS : LBC_EXIT_OK;
out:
    for (size_t k = 0; v && k < n; k++)
        free(v[k].suppressed);
    free(v);
    free(keep);
    free(left_out);
    return status;
}

int lbc_check_main(int argc, char **argv)
{
    static const struct option options[] = {{"max-bytes", required_argument, NULL, 'm'},
                                            {"status", required_argument, NULL, 's'},
                                            {"suppressions", required_argument, NULL, 'S'},
                                            {"kind", required_argument, NULL, 'k'},
                                            {"junit", required_argument, NULL, 'j'},
                                            {"json", no_argument, NULL, 'J'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct settings set = {.any_kind = true, .any_status = true};
    char err[LBC_ERR_MAX], *bad;
    int c, status = LBC_EXIT_BAD;
    struct lbc_report **reports = NULL;
    size_t n = 0, loaded = 0;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (!lbc_units_parse_size(optarg, &set.max_bytes)) {
                lbc_usage_error("check",
                                "--max-bytes '%s': expected a size such as 0, 4096, "
                                "512k or 1m",
                                optarg);
                goto out;
            }
            break;
        case 's':
            set.any_status = strcmp(optarg, "any") == 0;
            if (!set.any_status && !parse_list(optarg, statuses, NSTATUSES, set.status, &bad)) {
                lbc_usage_error("check",
                                "--status: '%s' is not any, live, leak-suspect or "
                                "gc-deferred",
                                bad);
                goto out;
            }
            break;
        case 'S':
            if (!lbc_suppressions_load(optarg, &set.sup, err, sizeof err)) {
                lbc_error("%s: %s", optarg, err);
                goto out;
            }
            break;
        case 'k':
            set.any_kind = false;
            if (!parse_list(optarg, kinds, NKINDS, set.kind, &bad)) {
                lbc_usage_error("check",
                                "--kind: '%s' is not direct_buffer, unsafe, malloc, mmap, "
                                "mapped_file or pool",
                                bad);
                goto out;
            }
            break;
        case 'j':
            set.junit = optarg;
            break;
        case 'J':
            set.json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            status = LBC_EXIT_OK;
            goto out;
        default:
            lbc_bad_option("check");
            goto out;
        }
    }
    n = (size_t)(argc - optind);
    if (n < 1) {
        lbc_usage_error("check", "expected one or more REPORTs (one per JVM)");
        goto out;
    }
    if (!(reports = calloc(n, sizeof *reports))) {
        lbc_error("out of memory");
        goto out;
    }
    if (lbc_reader_open_all(argv + optind, n, reports)) {
        loaded = n;
        status = run(&set, reports, n);
    }
out:
    for (size_t i = 0; i < loaded; i++)
        lbc_reader_free(reports[i]);
    free(reports);
    lbc_suppressions_free(&set.sup);
    return status;
}
