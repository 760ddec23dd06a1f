/* leakbridge check: the CI gate. Exit 0 when no more than --max-bytes are live at the sites
 * that count, 1 with a LeakSanitizer-like block per leaking site otherwise. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "junit.h"
#include "report_reader.h"
#include "stack.h"
#include "suppressions.h"
#include "units.h"

static const char usage[] =
    "usage: leakbridge check REPORT [--max-bytes SIZE] [--status leak-suspect|any]\n"
    "                        [--suppressions FILE] [--kind KIND] [--junit FILE]\n"
    "\n"
    "The CI gate. Counts the live bytes of the report's sites that are not suppressed and\n"
    "match --status and --kind. Over --max-bytes, prints each of them with its stack, a\n"
    "summary line and the suppressions that matched, and exits 1.\n"
    "\n"
    "  --max-bytes SIZE     live bytes allowed, such as 0, 4096, 512k, 1m (default 0)\n"
    "  --status WHICH       which sites count: any (default), leak-suspect, or a comma list\n"
    "                       of statuses (live, leak-suspect, gc-deferred)\n"
    "  --suppressions FILE  LeakSanitizer-style file: leak:PATTERN a line, # comments; a\n"
    "                       site is suppressed when PATTERN matches a frame's class.method,\n"
    "                       native symbol or module path ('*' any text, '^' and '$' anchor\n"
    "                       at the start and end, else a substring); may be repeated\n"
    "  --kind KIND          only sites of this kind: direct_buffer, unsafe, malloc, mmap,\n"
    "                       mapped_file;\n"
    "                       a comma list, may be repeated\n"
    "  --junit FILE         also write JUnit XML: one test case per site, failed if it leaks\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 within the limit, 1 leaks over it, 2 bad input or options.\n";

static const char *const kinds[] = {"direct_buffer", "unsafe", "malloc", "mmap", "mapped_file"};
static const char *const statuses[] = {"live", "leak-suspect", "gc-deferred"};
#define NKINDS (sizeof kinds / sizeof kinds[0])
#define NSTATUSES (sizeof statuses / sizeof statuses[0])

struct settings {
    int64_t max_bytes;
    bool kind[NKINDS], any_kind;
    bool status[NSTATUSES], any_status;
    struct lbc_suppressions sup;
    const char *junit;
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

/* Whether the site counts, before suppressions. */
static bool selected(const struct settings *set, const struct lbc_site *s)
{
    if (s->live_bytes <= 0 && s->live_count <= 0)
        return false;
    size_t k = index_of(s->kind, kinds, NKINDS), st = index_of(s->status, statuses, NSTATUSES);
    if (!set->any_kind && (k == NKINDS || !set->kind[k]))
        return false;
    return set->any_status || (st < NSTATUSES && set->status[st]);
}

/* One leaking site, as LeakSanitizer prints a leak. */
static void print_block(FILE *out, const struct lbc_site *s)
{
    char a[LBC_UNITS_MAX], text[LBC_FRAME_TEXT_MAX];
    fprintf(out, "%s leak of %" PRId64 " byte(s) (%s) in %" PRId64 " block(s), status %s", s->kind,
            s->live_bytes, lb_units_bytes(s->live_bytes, a), s->live_count, s->status);
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
    if (!s->nframes)
        fprintf(out, "    (no stack was captured)\n");
    fprintf(out, "\n");
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

/* Writes the JUnit file: one case per site with live memory. */
static bool write_junit(const struct settings *set, const struct lbc_report *r,
                        struct lbc_suppression **suppressed, bool over)
{
    struct lbc_junit_case *cases = calloc(r->nsites + 1, sizeof *cases);
    char **texts = calloc(r->nsites * 3 + 1, sizeof *texts);
    size_t n = 0;
    bool ok = cases && texts;
    for (size_t i = 0; ok && i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        char headline[LBC_FRAME_TEXT_MAX * 2], a[LBC_UNITS_MAX];
        struct lbc_junit_case *c = &cases[n];
        char **name = &texts[3 * i], **message = &texts[3 * i + 1], **details = &texts[3 * i + 2];
        size_t len;
        FILE *mem;
        if (s->live_bytes <= 0 && s->live_count <= 0)
            continue;
        n++;
        c->classname = s->kind;
        ok = asprintf(name, "site %" PRId64 ": %s", s->id,
                      lbc_stack_headline(s, headline, sizeof headline)) >= 0;
        c->name = ok ? *name : "";
        if (suppressed[i]) {
            c->outcome = LBC_JUNIT_SKIPPED;
            ok = ok && asprintf(message, "suppressed by leak:%s", suppressed[i]->pattern) >= 0;
        } else if (over && selected(set, s)) {
            c->outcome = LBC_JUNIT_FAILED;
            ok = ok && asprintf(message, "%s live in %" PRId64 " blocks (%s)",
                                lb_units_bytes(s->live_bytes, a), s->live_count, s->status) >= 0;
            ok = ok && (mem = open_memstream(details, &len)) != NULL;
            if (ok) {
                print_block(mem, s);
                ok = fclose(mem) == 0;
            }
        }
        c->message = ok ? *message : NULL;
        c->details = ok ? *details : NULL;
    }
    if (ok && n == 0)
        cases[n++] = (struct lbc_junit_case){"leakbridge", "no live off-heap memory",
                                             LBC_JUNIT_PASSED, NULL, NULL};
    char suite[LBC_FRAME_TEXT_MAX];
    snprintf(suite, sizeof suite, "leakbridge check %s", r->path);
    if (ok && !lbc_junit_write(set->junit, suite, r->time, cases, n)) {
        lbc_error("%s: cannot write the JUnit file: %s", set->junit, strerror(errno));
        ok = false;
    } else if (!ok) {
        lbc_error("out of memory writing the JUnit file");
    }
    for (size_t i = 0; texts && i < r->nsites * 3; i++)
        free(texts[i]);
    free(texts);
    free(cases);
    return ok;
}

static int run(struct settings *set, const struct lbc_report *r)
{
    struct lbc_suppression **suppressed = calloc(r->nsites + 1, sizeof *suppressed);
    int64_t bytes = 0, blocks = 0, sites = 0, sup_bytes = 0, sup_sites = 0;
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX];
    if (!suppressed)
        return lbc_error("out of memory");
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        if (!selected(set, s))
            continue;
        suppressed[i] = lbc_suppressions_match(&set->sup, s);
        if (suppressed[i]) {
            sup_bytes += s->live_bytes;
            sup_sites++;
            continue;
        }
        /* No overflow: the reader checked the sums over all sites. */
        bytes += s->live_bytes;
        blocks += s->live_count;
        sites++;
    }
    bool over = bytes > set->max_bytes;
    if (over)
        for (size_t i = 0; i < r->nsites; i++)
            if (selected(set, &r->sites[i]) && !suppressed[i])
                print_block(stdout, &r->sites[i]);
    printf("SUMMARY: leakbridge: %" PRId64 " byte(s) (%s) live in %" PRId64 " block(s) at %" PRId64
           " site(s) %s the limit of %s",
           bytes, lb_units_bytes(bytes, a), blocks, sites, over ? "over" : "within",
           lb_units_bytes(set->max_bytes, b));
    if (sup_sites)
        printf("; %" PRId64 " site(s) with %s suppressed", sup_sites, lb_units_bytes(sup_bytes, a));
    printf("%s\n", r->estimated ? "; figures are estimates from a sampled report" : "");
    print_suppressions(&set->sup);
    bool junit_ok = !set->junit || write_junit(set, r, suppressed, over);
    free(suppressed);
    if (!junit_ok)
        return LBC_EXIT_BAD;
    return over ? LBC_EXIT_LEAKS : LBC_EXIT_OK;
}

int lbc_check_main(int argc, char **argv)
{
    static const struct option options[] = {{"max-bytes", required_argument, NULL, 'm'},
                                            {"status", required_argument, NULL, 's'},
                                            {"suppressions", required_argument, NULL, 'S'},
                                            {"kind", required_argument, NULL, 'k'},
                                            {"junit", required_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    struct settings set = {.any_kind = true, .any_status = true};
    char err[LBC_ERR_MAX], *bad;
    int c, status = LBC_EXIT_BAD;
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
                                "--kind: '%s' is not direct_buffer, unsafe, malloc, mmap or "
                                "mapped_file",
                                bad);
                goto out;
            }
            break;
        case 'j':
            set.junit = optarg;
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
    if (argc - optind != 1) {
        lbc_usage_error("check", "expected one REPORT, got %d arguments", argc - optind);
        goto out;
    }
    struct lbc_report *r = lbc_reader_open(argv[optind]);
    if (r) {
        status = run(&set, r);
        lbc_reader_free(r);
    }
out:
    lbc_suppressions_free(&set.sup);
    return status;
}
