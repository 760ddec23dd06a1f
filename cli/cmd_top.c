/* leakbridge top: the biggest live sites of a report as a table. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "memory.h"
#include "report_reader.h"
#include "stack.h"
#include "units.h"

enum by { BY_SITE, BY_JAVA, BY_NATIVE, BY_MODULE, BY_KIND };

static const char *const by_names[] = {"site", "java", "native", "module", "kind"};
static const char *const by_titles[] = {"SITE", "JAVA FRAME", "NATIVE FUNCTION", "MODULE", "KIND"};

static const char usage[] =
    "usage: leakbridge top REPORT [-n N] [--by site|java|native|module|kind] [-v] [--json]\n"
    "\n"
    "Where the process's memory is (its RSS per region: Java heap, metaspace, code cache,\n"
    "thread stacks, malloc, mapped files, other; the unexplained rest; the memory limit;\n"
    "the agent's findings), then the biggest live sites of a report: live bytes, share of\n"
    "all live bytes, blocks, kind, status, and each site's stack, the innermost Java frame\n"
    "outside the JDK and the innermost native frame first.\n"
    "\n"
    "  -n, --top N    show the N biggest rows (default 10; 0 shows all)\n"
    "  --by WHAT      one row per site (default), per innermost non-JDK Java method (java),\n"
    "                 per innermost native function (native), per library of that function\n"
    "                 (module) or per kind of memory (kind)\n"
    "  -v, --verbose  show every frame; JDK frames are folded otherwise\n"
    "  --json         print the rows as JSON (docs/cli.md describes it)\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0, or 2 if the report cannot be read.\n";

struct row {
    const char *label;           /* a group's label, or the site's headline */
    char *owned;                 /* label when allocated here */
    const struct lbc_site *site; /* the site (BY_SITE) */
    int64_t live_bytes, live_count, growth_bytes, gc_released_bytes;
    int64_t sites;
};

static int compare_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->live_bytes != y->live_bytes)
        return x->live_bytes > y->live_bytes ? -1 : 1;
    if (x->gc_released_bytes != y->gc_released_bytes)
        return x->gc_released_bytes > y->gc_released_bytes ? -1 : 1;
    return strcmp(x->label, y->label);
}

/* Growth and GC figures are not summed by the reader: a hostile report may overflow them. */
static int64_t saturated_add(int64_t a, int64_t b)
{
    int64_t sum;
    if (!__builtin_add_overflow(a, b, &sum))
        return sum;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

static int compare_labels(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->label, ((const struct row *)b)->label);
}

/* The label of the group a site belongs to. */
static char *group_label(const struct lbc_site *s, enum by by)
{
    char buf[LBC_FRAME_TEXT_MAX];
    const struct lbc_frame *f;
    switch (by) {
    case BY_JAVA:
        f = lbc_stack_user_frame(s);
        return strdup(f ? lbc_stack_name(f, buf, sizeof buf) : "(no Java frame outside the JDK)");
    case BY_NATIVE:
        f = lbc_stack_native_frame(s);
        if (!f)
            return strdup("(no native frame)");
        if (f->symbol && f->module) {
            snprintf(buf, sizeof buf, "%s (%s)", f->symbol, lbc_stack_basename(f->module));
            return strdup(buf);
        }
        return strdup(lbc_stack_name(f, buf, sizeof buf));
    case BY_MODULE:
        f = lbc_stack_native_frame(s);
        if (!f)
            return strdup("(no native frame)");
        return strdup(f->module ? f->module : "(unknown module)");
    default:
        if (strcmp(s->kind, "pool") == 0 && lbc_stack_pool_label(s, buf, sizeof buf))
            return strdup(buf); /* each pool its own row */
        return strdup(s->kind);
    }
}

/* Rows of the table: one per site, or one per group of sites (sorted by label, then summed). */
static struct row *make_rows(const struct lbc_report *r, enum by by, size_t *nrows)
{
    struct row *rows = calloc(r->nsites ? r->nsites : 1, sizeof *rows);
    char headline[LBC_FRAME_TEXT_MAX * 2];
    if (!rows)
        return NULL;
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        struct row *row = &rows[i];
        row->site = s;
        row->owned = by == BY_SITE ? strdup(lbc_stack_headline(s, headline, sizeof headline))
                                   : group_label(s, by);
        if (!row->owned) {
            for (size_t j = 0; j < i; j++)
                free(rows[j].owned);
            free(rows);
            return NULL;
        }
        row->label = row->owned;
        row->live_bytes = s->live_bytes;
        row->live_count = s->live_count;
        row->growth_bytes = s->has_growth ? s->growth_bytes : 0;
        row->gc_released_bytes = s->has_gc_released ? s->gc_released_bytes : 0;
        row->sites = 1;
    }
    size_t n = r->nsites;
    if (by != BY_SITE && n) {
        /* Sums fit: the reader checked that the sums over all sites do. */
        qsort(rows, n, sizeof *rows, compare_labels);
        size_t out = 1;
        for (size_t i = 1; i < n; i++) {
            size_t j = out - 1;
            if (strcmp(rows[j].label, rows[i].label) != 0) {
                rows[out++] = rows[i];
                continue;
            }
            rows[j].live_bytes += rows[i].live_bytes;
            rows[j].live_count += rows[i].live_count;
            rows[j].growth_bytes = saturated_add(rows[j].growth_bytes, rows[i].growth_bytes);
            rows[j].gc_released_bytes =
                saturated_add(rows[j].gc_released_bytes, rows[i].gc_released_bytes);
            rows[j].sites++;
            free(rows[i].owned);
        }
        n = out;
    }
    qsort(rows, n, sizeof *rows, compare_rows);
    *nrows = n;
    return rows;
}

static void print_header(const struct lbc_report *r)
{
    char live[LBC_UNITS_MAX], mean[LBC_UNITS_MAX];
    if (r->merged_inputs)
        printf("%s: merged from %" PRId64 " %s, the latest at %s\n", r->path, r->merged_inputs,
               lb_units_plural(r->merged_inputs, "report", "reports"), r->time);
    else
        printf("%s: pid %" PRId64 ", dump %" PRId64 " (%s) at %s, %.1f s after the agent "
               "started\n",
               r->path, r->pid, r->sequence, r->reason, r->time, (double)r->uptime_ms / 1000.0);
    lbc_memory_print(stdout, r);
    printf("%s live in %" PRId64 " %s at %zu %s", lb_units_bytes(r->live_bytes, live),
           r->live_count, lb_units_plural(r->live_count, "block", "blocks"), r->nsites,
           lb_units_plural((int64_t)r->nsites, "site", "sites"));
    if (r->estimated)
        printf("; figures are estimates (sampled, one sample per %s allocated on average)\n",
               lb_units_bytes(r->sample_mean, mean));
    else
        printf("; exact figures (sample=0)\n");
    char bounds[512];
    if (lbc_bounds_line(r->root, bounds, sizeof bounds))
        printf("%s\n", bounds);
}

/* Whether any site of the report has growth, and GC figures. */
static void columns(const struct lbc_report *r, bool *growth, bool *released)
{
    *growth = *released = false;
    for (size_t i = 0; i < r->nsites; i++) {
        *growth |= r->sites[i].has_growth;
        *released |= r->sites[i].has_gc_released;
    }
}

static size_t rows_shown(size_t nrows, long top)
{
    return top == 0 || (size_t)top > nrows ? nrows : (size_t)top;
}

static void print_rows(const struct lbc_report *r, const struct row *rows, size_t nrows, enum by by,
                       long top, bool verbose)
{
    bool growth, released;
    columns(r, &growth, &released);
    size_t shown = rows_shown(nrows, top);
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX];

    printf("\n%10s %6s %8s", "LIVE", "SHARE", "BLOCKS");
    if (growth)
        printf(" %11s", "GROWTH");
    if (released)
        printf(" %10s", "GC FREED");
    if (by == BY_SITE)
        printf("  %-13s %-12s %s\n", "KIND", "STATUS", by_titles[by]);
    else
        printf(" %6s  %s\n", "SITES", by_titles[by]);
    for (size_t i = 0; i < shown; i++) {
        const struct row *row = &rows[i];
        printf("%10s %6s %8" PRId64, lb_units_bytes(row->live_bytes, a),
               lbc_units_share(row->live_bytes, r->live_bytes, b), row->live_count);
        if (growth)
            printf(" %11s", lbc_units_growth(row->growth_bytes, c));
        if (released)
            printf(" %10s", lb_units_bytes(row->gc_released_bytes, c));
        if (by != BY_SITE) {
            printf(" %6" PRId64 "  %s\n", row->sites, row->label);
            continue;
        }
        char pool[LBC_FRAME_TEXT_MAX];
        printf("  %-13s %-12s %s\n", row->site->kind, row->site->status, row->label);
        if (lbc_stack_pool_label(row->site, pool, sizeof pool))
            printf("%33s%s\n", "", pool);
        lbc_stack_print(stdout, row->site, verbose);
        if (verbose) /* owners=on: what holds the site's blocks */
            lbc_stack_print_owners(stdout, row->site, "      ");
    }
    if (shown < nrows) {
        int64_t rest = 0;
        for (size_t i = shown; i < nrows; i++)
            rest += rows[i].live_bytes;
        printf("... %zu more %s holding %s (-n 0 shows all)\n", nrows - shown,
               by == BY_SITE ? lb_units_plural((int64_t)(nrows - shown), "site", "sites")
                             : lb_units_plural((int64_t)(nrows - shown), "group", "groups"),
               lb_units_bytes(rest, a));
    }
    if (!nrows)
        printf("(no site holds live memory)\n");
}

static json_t *json_rows(const struct lbc_report *r, const struct row *rows, size_t nrows,
                         enum by by, long top)
{
    bool growth, released;
    columns(r, &growth, &released);
    size_t shown = rows_shown(nrows, top);
    int64_t rest = 0;
    for (size_t i = shown; i < nrows; i++)
        rest += rows[i].live_bytes;
    json_t *list = json_array();
    json_t *limit = json_object_get(r->root, "memory_limit");
    json_t *doc = json_pack(
        "{sosososssosIsI}", "report", lbc_json_report(r), "memory", lbc_memory_json(r),
        "memory_limit", limit ? json_deep_copy(limit) : json_null(), "by", by_names[by], "rows",
        list, "more_rows", (json_int_t)(nrows - shown), "more_live_bytes", (json_int_t)rest);
    for (size_t i = 0; doc && i < shown; i++) {
        const struct row *row = &rows[i];
        json_t *item = json_pack(
            "{sosIsIsfsI}", "name", lbc_json_text(row->label), "live_bytes",
            (json_int_t)row->live_bytes, "live_count", (json_int_t)row->live_count, "share",
            r->live_bytes > 0 ? (double)row->live_bytes / (double)r->live_bytes : 0.0, "sites",
            (json_int_t)row->sites);
        bool ok = json_array_append_new(list, item) == 0;
        if (ok && growth)
            ok = lbc_json_set(item, "growth_bytes", json_integer(row->growth_bytes));
        if (ok && released)
            ok = lbc_json_set(item, "gc_released_bytes", json_integer(row->gc_released_bytes));
        if (ok && by == BY_SITE)
            ok = lbc_json_set(item, "site", lbc_json_site(row->site));
        if (!ok) {
            json_decref(doc);
            doc = NULL;
        }
    }
    return doc;
}

int lbc_top_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"top", required_argument, NULL, 'n'}, {"by", required_argument, NULL, 'b'},
        {"verbose", no_argument, NULL, 'v'},   {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    long top = 10;
    enum by by = BY_SITE;
    bool verbose = false, json = false;
    int c;
    while ((c = getopt_long(argc, argv, "n:vh", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!lbc_parse_count(optarg, &top))
                return lbc_usage_error("top", "-n '%s': expected a whole number", optarg);
            break;
        case 'b': {
            size_t i;
            for (i = 0; i < sizeof by_names / sizeof by_names[0]; i++)
                if (strcmp(optarg, by_names[i]) == 0)
                    break;
            if (i == sizeof by_names / sizeof by_names[0])
                return lbc_usage_error(
                    "top", "--by '%s': expected site, java, native, module or kind", optarg);
            by = (enum by)i;
            break;
        }
        case 'v':
            verbose = true;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("top");
        }
    }
    if (argc - optind != 1)
        return lbc_usage_error("top", "expected one REPORT, got %d %s", argc - optind,
                               lb_units_plural(argc - optind, "argument", "arguments"));

    struct lbc_report *r = lbc_reader_open(argv[optind]);
    if (!r)
        return LBC_EXIT_BAD;
    size_t nrows;
    struct row *rows = make_rows(r, by, &nrows);
    if (!rows) {
        lbc_reader_free(r);
        return lbc_error("out of memory");
    }
    int status = LBC_EXIT_OK;
    if (json) {
        if (!lbc_json_print(json_rows(r, rows, nrows, by, top)))
            status = LBC_EXIT_BAD;
    } else {
        print_header(r);
        print_rows(r, rows, nrows, by, top, verbose);
    }
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].owned);
    free(rows);
    lbc_reader_free(r);
    return status;
}
