/* leakbridge diff: growth per site between two reports of one JVM run, sites matched by their
 * frames. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "match.h"
#include "memory.h"
#include "report_reader.h"
#include "stack.h"
#include "units.h"

static const char usage[] =
    "usage: leakbridge diff OLD NEW [-n N] [-a] [-v] [--force] [--json]\n"
    "\n"
    "What grew from report OLD to report NEW: first the RSS per region (Java heap, malloc,\n"
    "thread stacks...) and the unexplained rest, largest change first, malloc's figures and\n"
    "the findings that appeared or went; then live memory per site, largest growth first,\n"
    "shrinking sites last. Sites are matched by their kind and frames (Java class, method\n"
    "and signature; native module file name and symbol), not by id; sites only in NEW are\n"
    "marked new, sites only in OLD vanished.\n"
    "\n"
    "  -n, --top N   show the first N rows (default 0: all)\n"
    "  -a, --all     also show sites that did not change\n"
    "  -v, --verbose print each site's stack under its row\n"
    "  --force       compare reports of different processes or runs, which diff refuses\n"
    "                otherwise (pid, JVM or uptime differ)\n"
    "  --json        print the changes as JSON (docs/cli.md describes it)\n"
    "  -h, --help    this text\n"
    "\n"
    "Exit status: 0, or 2 if a report cannot be read or they are of different processes.\n";

struct change {
    const struct lbc_site *site; /* NEW's site if there is one, else OLD's */
    int64_t old_bytes, old_count, new_bytes, new_count;
    bool in_old, in_new;
};

static int64_t growth(const struct change *c)
{
    return c->new_bytes - c->old_bytes;
}

static int compare_changes(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    int64_t gx = growth(x), gy = growth(y);
    if (gx != gy)
        return gx > gy ? -1 : 1;
    if (x->new_bytes != y->new_bytes)
        return x->new_bytes > y->new_bytes ? -1 : 1;
    return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

/* Refuses (with a message) two reports that cannot be of one JVM run. */
static bool same_run(const struct lbc_report *old, const struct lbc_report *new)
{
    if (old->merged_inputs || new->merged_inputs)
        return true; /* merges of several processes: nothing to compare */
    if (old->pid != new->pid) {
        lbc_error("%s (pid %" PRId64 ") and %s (pid %" PRId64 ") are reports of different "
                  "processes; --force compares them anyway",
                  old->path, old->pid, new->path, new->pid);
        return false;
    }
    if (old->run_id && new->run_id && strcmp(old->run_id, new->run_id) != 0) {
        lbc_error("%s (run %s) and %s (run %s) are reports of different runs of pid %" PRId64
                  " (a restarted JVM, or another container's); --force compares them anyway",
                  old->path, old->run_id, new->path, new->run_id, old->pid);
        return false;
    }
    if (strcmp(old->jvm_version, new->jvm_version) != 0 ||
        strcmp(old->jvm_vendor, new->jvm_vendor) != 0 ||
        strcmp(old->jvm_name, new->jvm_name) != 0) {
        lbc_error("%s and %s have the same pid %" PRId64 " but different JVMs (%s, %s): "
                  "reports of different processes; --force compares them anyway",
                  old->path, new->path, old->pid, old->jvm_version, new->jvm_version);
        return false;
    }
    if (new->uptime_ms < old->uptime_ms || new->sequence < old->sequence) {
        lbc_error("%s (dump %" PRId64 ", %.1f s after start) was written before %s (dump %" PRId64
                  ", %.1f s): swap OLD and NEW, or --force if they are of different runs",
                  new->path, new->sequence, (double)new->uptime_ms / 1000.0, old->path,
                  old->sequence, (double)old->uptime_ms / 1000.0);
        return false;
    }
    return true;
}

/* One change per site identity. */
static struct change *changes_of(struct lbc_report *old, struct lbc_report *new, size_t *count)
{
    struct lbc_report *reports[2] = {old, new};
    struct lbc_match_entry *e;
    size_t n, out = 0;
    if (!lbc_match(reports, 2, 0, &e, &n))
        return NULL;
    struct change *changes = calloc(n ? n : 1, sizeof *changes);
    for (size_t i = 0; changes && i < n;) {
        size_t end = lbc_match_run_end(e, n, i);
        struct change *c = &changes[out++];
        for (; i < end; i++) {
            /* Sums fit: each report's sums were checked when it was read. */
            if (e[i].report == 0) {
                c->old_bytes += e[i].site->live_bytes;
                c->old_count += e[i].site->live_count;
                c->in_old = true;
            } else {
                c->new_bytes += e[i].site->live_bytes;
                c->new_count += e[i].site->live_count;
                if (!c->in_new)
                    c->site = e[i].site;
                c->in_new = true;
            }
            if (!c->site)
                c->site = e[i].site;
        }
    }
    lbc_match_free(e, n);
    if (changes)
        qsort(changes, out, sizeof *changes, compare_changes);
    *count = out;
    return changes;
}

static const char *change_name(const struct change *c)
{
    if (!c->in_old)
        return "new";
    if (!c->in_new)
        return "vanished";
    if (growth(c) > 0)
        return "grown";
    if (growth(c) < 0)
        return "shrunk";
    return c->new_count == c->old_count ? "same" : "changed";
}

static void print_header(const struct lbc_report *old, const struct lbc_report *new)
{
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX], d[LBC_UNITS_MAX];
    printf("OLD %s: pid %" PRId64 ", dump %" PRId64 " (%s) at %s\n", old->path, old->pid,
           old->sequence, old->reason, old->time);
    printf("NEW %s: pid %" PRId64 ", dump %" PRId64 " (%s) at %s", new->path, new->pid,
           new->sequence, new->reason, new->time);
    if (new->pid == old->pid &&new->uptime_ms >= old->uptime_ms)
        printf(", %.1f s later", (double)(new->uptime_ms - old->uptime_ms) / 1000.0);
    printf("\n");
    lbc_memory_print_diff(stdout, old, new);
    printf("live %s -> %s (%s), blocks %" PRId64 " -> %" PRId64 " (%s), sites %zu -> %zu\n",
           lb_units_bytes(old->live_bytes, a), lb_units_bytes(new->live_bytes, b),
           lbc_units_growth(new->live_bytes - old->live_bytes, c), old->live_count, new->live_count,
           lbc_units_signed(new->live_count - old->live_count, d), old->nsites, new->nsites);
    if (old->estimated || new->estimated)
        printf("figures are estimates: %s sampled\n",
               old->estimated && new->estimated ? "both reports are" : "one report is");
}

static bool unchanged(const struct change *ch)
{
    return growth(ch) == 0 && ch->new_count == ch->old_count && ch->in_old && ch->in_new;
}

/* The changes to show: not the unchanged unless all, at most top (0: all). Sets *hidden to the
 * unchanged left out and *more to the rows beyond top. */
static size_t shown_changes(const struct change *changes, size_t n, long top, bool all,
                            size_t *hidden, size_t *more)
{
    size_t shown = 0;
    *hidden = 0;
    for (size_t i = 0; i < n; i++)
        *hidden += !all && unchanged(&changes[i]);
    shown = n - *hidden;
    *more = top && shown > (size_t)top ? shown - (size_t)top : 0;
    return shown - *more;
}

static json_t *json_changes(const struct lbc_report *old, const struct lbc_report *new,
                            const struct change *changes, size_t n, long top, bool all)
{
    size_t hidden, more, shown = shown_changes(changes, n, top, all, &hidden, &more), done = 0;
    json_t *list = json_array();
    json_t *doc =
        json_pack("{sosososIsIsosIsI}", "old", lbc_json_report(old), "new", lbc_json_report(new),
                  "memory", lbc_memory_diff_json(old, new), "live_bytes_change",
                  (json_int_t)(new->live_bytes - old->live_bytes), "live_count_change",
                  (json_int_t)(new->live_count - old->live_count), "changes", list,
                  "unchanged_not_shown", (json_int_t)hidden, "more_rows", (json_int_t)more);
    for (size_t i = 0; doc && i < n && done < shown; i++) {
        const struct change *ch = &changes[i];
        if (!all && unchanged(ch))
            continue;
        done++;
        json_t *item = json_pack("{sssIsIsIsIsIsIso}", "change", change_name(ch), "growth_bytes",
                                 (json_int_t)growth(ch), "growth_count",
                                 (json_int_t)(ch->new_count - ch->old_count), "old_bytes",
                                 (json_int_t)ch->old_bytes, "new_bytes", (json_int_t)ch->new_bytes,
                                 "old_count", (json_int_t)ch->old_count, "new_count",
                                 (json_int_t)ch->new_count, "site", lbc_json_site(ch->site));
        if (json_array_append_new(list, item) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    return doc;
}

static void print_changes(const struct change *changes, size_t n, long top, bool all, bool verbose)
{
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX], d[LBC_UNITS_MAX];
    char headline[LBC_FRAME_TEXT_MAX * 2];
    size_t hidden, more, shown = shown_changes(changes, n, top, all, &hidden, &more), done = 0;
    printf("\n%11s %7s %10s %10s  %-13s %-8s  %s\n", "GROWTH", "BLOCKS", "OLD", "NEW", "KIND",
           "CHANGE", "SITE");
    for (size_t i = 0; i < n && done < shown; i++) {
        const struct change *ch = &changes[i];
        if (!all && unchanged(ch))
            continue;
        done++;
        printf("%11s %7s %10s %10s  %-13s %-8s  %s\n", lbc_units_growth(growth(ch), a),
               lbc_units_signed(ch->new_count - ch->old_count, b), lb_units_bytes(ch->old_bytes, c),
               lb_units_bytes(ch->new_bytes, d), ch->site->kind, change_name(ch),
               lbc_stack_headline(ch->site, headline, sizeof headline));
        if (verbose)
            lbc_stack_print(stdout, ch->site, true);
    }
    if (more)
        printf("... %zu more %s (-n 0 shows all)\n", more,
               lb_units_plural((int64_t)more, "row", "rows"));
    if (!shown)
        printf("(no site changed)\n");
    if (hidden)
        printf("%zu unchanged %s not shown (-a shows them)\n", hidden,
               lb_units_plural((int64_t)hidden, "site", "sites"));
}

int lbc_diff_main(int argc, char **argv)
{
    static const struct option options[] = {{"top", required_argument, NULL, 'n'},
                                            {"all", no_argument, NULL, 'a'},
                                            {"verbose", no_argument, NULL, 'v'},
                                            {"force", no_argument, NULL, 'f'},
                                            {"json", no_argument, NULL, 'J'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    long top = 0;
    bool all = false, verbose = false, force = false, json = false;
    int c;
    while ((c = getopt_long(argc, argv, "n:avh", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!lbc_parse_count(optarg, &top))
                return lbc_usage_error("diff", "-n '%s': expected a whole number", optarg);
            break;
        case 'a':
            all = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'f':
            force = true;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("diff");
        }
    }
    if (argc - optind != 2)
        return lbc_usage_error("diff", "expected OLD and NEW, got %d %s", argc - optind,
                               lb_units_plural(argc - optind, "argument", "arguments"));

    int status = LBC_EXIT_BAD;
    struct lbc_report *both[2] = {NULL, NULL};
    lbc_reader_open_all(argv + optind, 2, both);
    struct lbc_report *old = both[0], *new = both[1];
    if (new && (force || same_run(old, new))) {
        size_t n;
        struct change *changes = changes_of(old, new, &n);
        if (changes) {
            status = LBC_EXIT_OK;
            if (json) {
                if (!lbc_json_print(json_changes(old, new, changes, n, top, all)))
                    status = LBC_EXIT_BAD;
            } else {
                print_header(old, new);
                print_changes(changes, n, top, all, verbose);
            }
            free(changes);
        } else {
            lbc_error("out of memory");
        }
    }
    lbc_reader_free(old);
    lbc_reader_free(new);
    return status;
}
