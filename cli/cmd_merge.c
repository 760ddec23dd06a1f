/* leakbridge merge: one report from many (every TaskManager of a job): sites matched by their
 * frames, figures summed, each site saying in how many inputs it appeared. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "leakbridge/atomic_file.h"
#include "json_out.h"
#include "match.h"
#include "memory.h"
#include "report_reader.h"
#include "runs.h"

static const char usage[] =
    "usage: leakbridge merge REPORT... [-o OUT] [--all-dumps]\n"
    "\n"
    "Writes one report from several, for example the reports of every TaskManager of a Flink\n"
    "job. Of several reports of one JVM (same pid, start time and host) only the latest is\n"
    "merged, and a line on stderr names those left out. Sites are matched by kind and frames\n"
    "(Java class, method and signature; native module file name and symbol), their figures\n"
    "summed; each merged site has \"inputs\", the number of reports it appeared in, and the\n"
    "report has \"merged\", which lists its inputs. The memory sections are summed: each\n"
    "region's RSS and figures, the unexplained rest; each finding once, with the number of\n"
    "reports that had it. The result is a valid report that every other command reads.\n"
    "\n"
    "  -o, --output OUT  write to OUT (default: standard output)\n"
    "  --all-dumps       merge every report given, several dumps of one JVM included (their\n"
    "                    figures then add up)\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0, or 2 if a report cannot be read or OUT cannot be written.\n";

static const char *const totals_fields[] = {"live_bytes",      "live_count",  "allocated_bytes",
                                            "allocated_count", "freed_count", "sites",
                                            "sites_seen"};
static const char *const site_sums[] = {"live_bytes", "live_count", "allocated_bytes",
                                        "allocated_count", "freed_count"};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Whether a message saying why the merge failed was printed already. */
static bool reported;

/* Adds obj.key (an integer >= 0) to *sum; fails with a message naming the file. */
static bool add_field(const char *path, const char *where, json_t *obj, const char *key,
                      json_int_t *sum)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        lbc_error("%s: %s.%s: expected an integer >= 0", path, where, key);
        return !(reported = true);
    }
    if (__builtin_add_overflow(*sum, json_integer_value(v), sum)) {
        lbc_error("%s: %s.%s: the merged figure does not fit in 64 bits", path, where, key);
        return !(reported = true);
    }
    return true;
}

static bool set_int(json_t *obj, const char *key, json_int_t v)
{
    return json_object_set_new(obj, key, json_integer(v)) == 0;
}

/* totals: every figure summed over the inputs; totals.sites is the merged sites' count and
 * sites_seen counts each merged site once, plus what the inputs saw beyond their listed
 * sites. */
static json_t *merge_totals(struct lbc_report *const *reports, size_t n, size_t nsites)
{
    json_int_t sums[NELEMS(totals_fields)] = {0};
    json_t *totals = json_object(), *by_kind = json_object();
    if (!totals || !by_kind)
        goto fail;
    for (size_t r = 0; r < n; r++) {
        json_t *t = json_object_get(reports[r]->root, "totals"), *kinds, *amounts;
        const char *kind;
        for (size_t f = 0; f < NELEMS(totals_fields); f++)
            if (!add_field(reports[r]->path, "totals", t, totals_fields[f], &sums[f]))
                goto fail;
        kinds = json_object_get(t, "by_kind");
        if (!json_is_object(kinds)) {
            lbc_error("%s: totals.by_kind: expected an object", reports[r]->path);
            reported = true;
            goto fail;
        }
        json_object_foreach(kinds, kind, amounts)
        {
            json_t *sum = json_object_get(by_kind, kind);
            json_int_t bytes = 0, count = 0;
            if (!json_is_object(amounts)) {
                lbc_error("%s: totals.by_kind.%s: expected an object", reports[r]->path, kind);
                reported = true;
                goto fail;
            }
            if (sum) {
                bytes = json_integer_value(json_object_get(sum, "live_bytes"));
                count = json_integer_value(json_object_get(sum, "live_count"));
            } else if (json_object_set_new(by_kind, kind, sum = json_object()) != 0) {
                goto fail;
            }
            if (!add_field(reports[r]->path, "totals.by_kind", amounts, "live_bytes", &bytes) ||
                !add_field(reports[r]->path, "totals.by_kind", amounts, "live_count", &count) ||
                !set_int(sum, "live_bytes", bytes) || !set_int(sum, "live_count", count))
                goto fail;
        }
    }
    /* sums[5] is the inputs' listed sites, sums[6] the sites they saw. */
    json_int_t unlisted = sums[6] > sums[5] ? sums[6] - sums[5] : 0;
    sums[5] = (json_int_t)nsites;
    sums[6] = (json_int_t)nsites + unlisted;
    for (size_t f = 0; f < NELEMS(totals_fields); f++)
        if (!set_int(totals, totals_fields[f], sums[f]))
            goto fail;
    if (json_object_set_new(totals, "by_kind", by_kind) != 0)
        goto fail_totals;
    return totals;
fail:
    json_decref(by_kind);
fail_totals:
    json_decref(totals);
    return NULL;
}

/* bounds (docs/report-format.md#bounds) over the inputs that have it: figures and the sites
 * summed up past report_sites are added (check counts the latter as unsuppressible leaks), each
 * limit is the largest input's (0, no bound, the largest of all), reached is their union.
 * overflow_sites is left empty: the merged overflow sites are in sites, with their overflow. */
static bool merge_bounds(struct lbc_report *const *reports, size_t n, json_t **out)
{
    static const char *const sums[] = {"folded_stacks", "folded_allocations", "untracked_bytes",
                                       "untracked_count"};
    static const char *const limits[] = {"max_sites", "max_memory", "report_sites"};
    static const char *const summed[] = {"sites",           "live_bytes",      "live_count",
                                         "allocated_bytes", "allocated_count", "freed_count"};
    json_int_t s[NELEMS(sums)] = {0}, l[NELEMS(limits)] = {0}, t[NELEMS(summed)] = {0};
    bool any = false, unbounded[NELEMS(limits)] = {false}, reached[2] = {false};
    json_t *by_kind = json_object();
    *out = NULL;
    if (!by_kind)
        return false;
    for (size_t r = 0; r < n; r++) {
        json_t *b = json_object_get(reports[r]->root, "bounds"), *v, *amounts;
        const char *path = reports[r]->path, *kind;
        size_t i;
        if (!b)
            continue;
        any = true;
        json_t *sum = json_object_get(b, "summarized");
        for (i = 0; i < NELEMS(sums); i++)
            if (!add_field(path, "bounds", b, sums[i], &s[i]))
                goto fail;
        for (i = 0; i < NELEMS(summed); i++)
            if (!add_field(path, "bounds.summarized", sum, summed[i], &t[i]))
                goto fail;
        for (i = 0; i < NELEMS(limits); i++) {
            json_int_t limit = 0;
            if (!add_field(path, "bounds", b, limits[i], &limit))
                goto fail;
            unbounded[i] |= limit == 0;
            if (limit > l[i])
                l[i] = limit;
        }
        json_array_foreach(json_object_get(b, "reached"), i, v)
        {
            reached[0] |= json_is_string(v) && strcmp(json_string_value(v), "max_sites") == 0;
            reached[1] |= json_is_string(v) && strcmp(json_string_value(v), "max_memory") == 0;
        }
        json_object_foreach(json_object_get(sum, "by_kind"), kind, amounts)
        {
            json_t *k = json_object_get(by_kind, kind);
            json_int_t f[3] = {0};
            static const char *const fields[] = {"sites", "live_bytes", "live_count"};
            if (!k && json_object_set_new(by_kind, kind, k = json_object()) != 0)
                goto fail;
            for (i = 0; i < 3; i++) {
                f[i] = json_integer_value(json_object_get(k, fields[i]));
                if (!add_field(path, "bounds.summarized.by_kind", amounts, fields[i], &f[i]) ||
                    !set_int(k, fields[i], f[i]))
                    goto fail;
            }
        }
    }
    if (!any) {
        json_decref(by_kind);
        return true;
    }
    json_t *b = json_object(), *sum = json_object(), *r = json_array();
    if (!b || !sum || !r) {
        json_decref(b);
        json_decref(sum);
        json_decref(r);
        goto fail;
    }
    for (size_t i = 0; i < NELEMS(limits); i++)
        set_int(b, limits[i], unbounded[i] ? 0 : l[i]);
    if (reached[0])
        json_array_append_new(r, json_string("max_sites"));
    if (reached[1])
        json_array_append_new(r, json_string("max_memory"));
    json_object_set_new(b, "reached", r);
    for (size_t i = 0; i < NELEMS(sums); i++)
        set_int(b, sums[i], s[i]);
    json_object_set_new(b, "overflow_sites", json_array());
    for (size_t i = 0; i < NELEMS(summed); i++)
        set_int(sum, summed[i], t[i]);
    json_object_set_new(sum, "by_kind", by_kind);
    json_object_set_new(b, "summarized", sum);
    *out = b;
    return true;
fail:
    json_decref(by_kind);
    reported = true;
    return false;
}

/* Which status a merged site gets: leak-suspect if any input says so, else live, else
 * gc-deferred only if every input says so. */
static int status_rank(const char *status)
{
    if (strcmp(status, "leak-suspect") == 0)
        return 3;
    if (strcmp(status, "live") == 0)
        return 2;
    if (strcmp(status, "gc-deferred") == 0)
        return 1;
    return 0;
}

static bool too_big(const struct lbc_report *r, const struct lbc_site *s, const char *field)
{
    lbc_error("%s: site %" PRId64 ": its %s and those of the same site in the other reports add "
              "up to more than 64 bits",
              r->path, s->id, field);
    reported = true;
    return false;
}

/* A merged site: its figures, summed while the reports are in memory; written out one at a
 * time (put_site), so that the merged sites are never all a JSON tree. */
struct merged {
    json_int_t sums[NELEMS(site_sums)], released[2], inputs;
    json_int_t growth[3]; /* bytes and count summed, the longest streak */
    json_int_t folded[2]; /* an overflow site's folded stacks and allocations, summed */
    bool any_released, any_growth;
    const struct lbc_site *first, *judge;
};

/* One merged site from the entries [start, end) of one identity. */
static bool merge_site(struct lbc_report *const *reports, const struct lbc_match_entry *e,
                       size_t start, size_t end, struct merged *m)
{
    json_int_t report_inputs = 0;
    *m = (struct merged){.first = e[start].site, .judge = e[start].site};
    for (size_t i = start; i < end; i++) {
        const struct lbc_site *s = e[i].site;
        int64_t v[NELEMS(site_sums)] = {s->live_bytes, s->live_count, s->allocated_bytes,
                                        s->allocated_count, s->freed_count};
        for (size_t f = 0; f < NELEMS(site_sums); f++)
            if (__builtin_add_overflow(m->sums[f], v[f], &m->sums[f]))
                return too_big(reports[e[i].report], s, site_sums[f]);
        if (s->has_gc_released) {
            m->any_released = true;
            if (__builtin_add_overflow(m->released[0], s->gc_released_bytes, &m->released[0]) ||
                __builtin_add_overflow(m->released[1], s->gc_released_count, &m->released[1]))
                return too_big(reports[e[i].report], s, "gc_released");
        }
        if (s->has_growth) {
            m->any_growth = true;
            if (__builtin_add_overflow(m->growth[0], s->growth_bytes, &m->growth[0]) ||
                __builtin_add_overflow(m->growth[1], s->growth_count, &m->growth[1]))
                return too_big(reports[e[i].report], s, "growth");
            if (s->growth_streak > m->growth[2])
                m->growth[2] = s->growth_streak;
        }
        if (s->overflow &&
            (__builtin_add_overflow(m->folded[0], s->folded_stacks, &m->folded[0]) ||
             __builtin_add_overflow(m->folded[1], s->folded_allocations, &m->folded[1])))
            return too_big(reports[e[i].report], s, "overflow");
        if (status_rank(s->status) > status_rank(m->judge->status))
            m->judge = s;
        /* A site counts once per input report; a merged input brings its own count. */
        if (i == start || e[i].report != e[i - 1].report) {
            m->inputs += report_inputs;
            report_inputs = 0;
        }
        if (s->inputs > report_inputs)
            report_inputs = s->inputs;
    }
    m->inputs += report_inputs;
    return true;
}

static int compare_sites(const void *a, const void *b)
{
    json_int_t x = ((const struct merged *)a)->sums[0], y = ((const struct merged *)b)->sums[0];
    return x > y ? -1 : x < y;
}

/* The merged sites, largest first (ids number them in that order); NULL when out of memory or
 * a figure does not fit (said). */
static struct merged *merge_sites(struct lbc_report *const *reports, size_t n, size_t *nsites)
{
    struct lbc_match_entry *e;
    size_t count;
    *nsites = 0;
    if (!lbc_match(reports, n, 0, &e, &count))
        return NULL;
    struct merged *sites = calloc(count ? count : 1, sizeof *sites);
    bool ok = sites != NULL;
    for (size_t i = 0; ok && i < count;) {
        size_t end = lbc_match_run_end(e, count, i);
        ok = merge_site(reports, e, i, end, &sites[(*nsites)++]);
        i = end;
    }
    if (ok)
        qsort(sites, *nsites, sizeof *sites, compare_sites);
    /* The sites point into the reports, not into the entries. */
    lbc_match_free(e, count);
    if (!ok) {
        free(sites);
        return NULL;
    }
    return sites;
}

/* Every module of every input once (by path and build-id), the first input's entry. */
static json_t *merge_modules(struct lbc_report *const *reports, size_t n)
{
    json_t *modules = json_array();
    for (size_t r = 0; modules && r < n; r++) {
        json_t *m;
        size_t i;
        json_array_foreach(json_object_get(reports[r]->root, "modules"), i, m)
        {
            bool seen = false;
            size_t j;
            json_t *other;
            json_array_foreach(modules, j, other)
            {
                if (json_equal(json_object_get(m, "path"), json_object_get(other, "path")) &&
                    json_equal(json_object_get(m, "build_id"), json_object_get(other, "build_id")))
                    seen = true;
            }
            if (!seen && json_array_append_new(modules, json_deep_copy(m)) != 0) {
                json_decref(modules);
                return NULL;
            }
        }
    }
    return modules;
}

/* leak_window when every input has one: the merged report can hold a leak-suspect verdict if
 * each input could (the longest window, the shortest observation, the fewest reports). NULL
 * when an input has none. */
static json_t *merge_leak_window(struct lbc_report *const *reports, size_t n)
{
    const struct lbc_report *first = reports[0];
    json_int_t window = first->window_ms, observed = first->observed_ms;
    json_int_t count = first->window_reports;
    bool decidable = true;
    for (size_t r = 0; r < n; r++) {
        if (!reports[r]->has_leak_window)
            return NULL;
        if (reports[r]->window_ms > window)
            window = reports[r]->window_ms;
        if (reports[r]->observed_ms < observed)
            observed = reports[r]->observed_ms;
        if (reports[r]->window_reports < count)
            count = reports[r]->window_reports;
        decidable &= reports[r]->decidable;
    }
    return json_pack("{sIsIsIsb}", "window_ms", window, "observed_ms", observed, "reports", count,
                     "decidable", decidable);
}

/* The merged report without its sites ("sites" is an empty array, its last member); the sites
 * are merge_sites'. */
static json_t *merge(struct lbc_report *const *reports, size_t n, size_t nsites)
{
    const struct lbc_report *first = reports[0];
    const char *time = first->time;
    json_int_t uptime = first->uptime_ms, mean = 0, inputs = 0;
    json_t *listed = json_array();
    for (size_t r = 0; r < n; r++) {
        if (strcmp(reports[r]->time, time) > 0)
            time = reports[r]->time;
        if (reports[r]->uptime_ms > uptime)
            uptime = reports[r]->uptime_ms;
        if (reports[r]->sample_mean > mean)
            mean = reports[r]->sample_mean;
        inputs += reports[r]->merged_inputs ? reports[r]->merged_inputs : 1;
        json_array_append_new(
            listed, json_pack("{sosIsIss}", "path", lbc_json_text(reports[r]->path), "pid",
                              (json_int_t)reports[r]->pid, "sequence",
                              (json_int_t)reports[r]->sequence, "time", reports[r]->time));
    }
    json_t *sites = json_array();
    json_t *totals = sites ? merge_totals(reports, n, nsites) : NULL;
    json_t *out = json_pack(
        "{sssisIsssIsssIsOsOs{sIsb}soso}", "format", "leakbridge-report", "version", 1, "pid",
        (json_int_t)first->pid, "reason", first->reason, "sequence", (json_int_t)first->sequence,
        "time", time, "uptime_ms", uptime, "jvm", json_object_get(first->root, "jvm"), "options",
        json_object_get(first->root, "options"), "sampling", "mean_bytes", mean, "estimated",
        mean != 0, "totals", totals, "modules", merge_modules(reports, n));
    if (out && listed)
        json_object_set_new(out, "merged",
                            json_pack("{sIso}", "inputs", inputs, "reports", json_incref(listed)));
    json_t *window = merge_leak_window(reports, n);
    if (out && window)
        json_object_set_new(out, "leak_window", window);
    else
        json_decref(window);
    json_t *memory = NULL;
    char err[LBC_ERR_MAX];
    if (out && !lbc_memory_merge(reports, n, &memory, err, sizeof err)) {
        lbc_error("%s", err);
        reported = true;
        json_decref(out);
        out = NULL;
    }
    if (out && memory)
        json_object_set_new(out, "memory", memory);
    json_t *bounds = NULL;
    if (out && !merge_bounds(reports, n, &bounds)) {
        json_decref(out);
        out = NULL;
    }
    if (out && bounds)
        json_object_set_new(out, "bounds", bounds);
    if (out && sites)
        json_object_set(out, "sites", sites);
    json_decref(listed);
    if (!out || !sites || !json_object_get(out, "merged")) {
        json_decref(sites);
        json_decref(out);
        return NULL;
    }
    json_decref(sites);
    return out;
}

/* The merged report's text is built in memory a block of sites at a time, on two threads,
 * and written in order (a merge's output was a quarter of its time on one thread). */
#define SITES_PER_BLOCK 4096

struct text {
    char *buf;
    size_t len, cap;
    bool nomem;
};

/* Makes room for len more bytes; false (and the text marked) when out of memory. */
static __attribute__((noinline)) bool grow_text(struct text *t, size_t len)
{
    size_t cap = t->cap ? t->cap : 1u << 20;
    while (len > cap - t->len)
        cap *= 2;
    char *buf = t->nomem ? NULL : realloc(t->buf, cap);
    if (!buf) {
        t->nomem = true;
        return false;
    }
    t->buf = buf;
    t->cap = cap;
    return true;
}

/* Inline, so that the many short constant pieces are a move each, not a memcpy call. */
static inline void put(struct text *t, const char *s, size_t len)
{
    if (__builtin_expect(len > t->cap - t->len, 0) && !grow_text(t, len))
        return;
    memcpy(t->buf + t->len, s, len);
    t->len += len;
}

/* A JSON string: quotes, backslashes and control characters escaped; UTF-8 as it is (the
 * reader took only valid UTF-8). The sites are written without building their JSON: jansson's
 * objects and dump took most of a big merge's time. */
/* Whether any of the 8 bytes of w is a quote, a backslash or below 0x20 (bit tricks on the
 * whole word: most strings need no escape, and they are most of a merged report). */
static inline bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t below = (w - ones * 0x20) & ~w;
    return (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | below) & highs;
}

static void put_string(struct text *o, const char *s)
{
    size_t len = strlen(s), i = 0;
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            break;
    }
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == '"' || ch == '\\')
            break;
    }
    if (i == len) { /* nothing to escape */
        put(o, "\"", 1);
        put(o, s, len);
        put(o, "\"", 1);
        return;
    }
    const char *run = s;
    put(o, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        char esc[8];
        put(o, run, (size_t)(s - run));
        snprintf(esc, sizeof esc, ch == '"' || ch == '\\' ? "\\%c" : "\\u%04x", ch);
        put(o, esc, strlen(esc));
        run = s + 1;
    }
    put(o, run, (size_t)(s - run));
    put(o, "\"", 1);
}

/* An integer in decimal (snprintf's formatting was a tenth of the output's time). */
static void put_number(struct text *o, int64_t v)
{
    char digits[24], *p = digits + sizeof digits;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(digits + sizeof digits - p));
}

/* ,"key":value, or the first member without the comma. */
static void put_key(struct text *o, const char *key, bool first)
{
    if (!first)
        put(o, ",", 1);
    put_string(o, key);
    put(o, ":", 1);
}

static void put_int(struct text *o, const char *key, int64_t v)
{
    put_key(o, key, false);
    put_number(o, v);
}

static void put_text(struct text *o, const char *key, const char *text)
{
    put_key(o, key, false);
    if (text)
        put_string(o, text);
    else
        put(o, "null", 4);
}

/* A frame as the report has it (lbc_reader_frame_json's members, in the agent's order). */
static void put_frame(struct text *o, const struct lbc_frame *f)
{
    if (f->json) { /* a later version's: as it was */
        char *text = json_dumps(f->json, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text)
            o->nomem = true;
        else
            put(o, text, strlen(text));
        free(text);
        return;
    }
    put(o, "{", 1);
    put_key(o, "type", true);
    if (f->type == LBC_FRAME_JAVA) {
        put_string(o, "java");
        put_text(o, "class", f->class_name);
        put_text(o, "method", f->method);
        if (f->signature)
            put_text(o, "signature", f->signature);
        if (f->file)
            put_text(o, "file", f->file);
        if (f->line >= 0)
            put_int(o, "line", f->line);
    } else {
        put_string(o, "native");
        put_text(o, "module", f->module);
        put_text(o, "symbol", f->symbol);
        put_text(o, "offset", f->offset);
        if (f->symbol_offset >= 0)
            put_int(o, "symbol_offset", f->symbol_offset);
    }
    put(o, "}", 1);
}

/* The merged site as the report has it, numbered id. */
static void put_site(struct text *o, const struct merged *m, size_t id)
{
    put(o, "{", 1);
    put_key(o, "id", true);
    put_number(o, (int64_t)id);
    put_text(o, "kind", m->first->kind);
    if (m->first->pool) /* part of the identity (lbc_stack_key) */
        put_text(o, "pool", m->first->pool);
    put_text(o, "status", m->judge->status);
    if (m->judge->status_rule)
        put_text(o, "status_rule", m->judge->status_rule);
    for (size_t f = 0; f < NELEMS(site_sums); f++)
        put_int(o, site_sums[f], m->sums[f]);
    if (m->any_growth) { /* each input's change since its own previous report */
        put_key(o, "growth", false);
        put(o, "{", 1);
        put_key(o, "bytes", true);
        put_number(o, (int64_t)m->growth[0]);
        put_int(o, "count", m->growth[1]);
        put_int(o, "streak", m->growth[2]);
        put(o, "}", 1);
    }
    if (m->any_released) {
        put_key(o, "gc_released", false);
        put(o, "{", 1);
        put_key(o, "bytes", true);
        put_number(o, (int64_t)m->released[0]);
        put_int(o, "count", m->released[1]);
        put(o, "}", 1);
    }
    if (m->first->overflow) { /* the same kind and module in every input (lbc_stack_key) */
        put_key(o, "overflow", false);
        put(o, "{", 1);
        put_key(o, "module", true);
        if (m->first->overflow_module)
            put_string(o, m->first->overflow_module);
        else
            put(o, "null", 4);
        put_int(o, "folded_stacks", m->folded[0]);
        put_int(o, "folded_allocations", m->folded[1]);
        put(o, "}", 1);
    }
    put_int(o, "inputs", m->inputs);
    put_key(o, "frames", false);
    put(o, "[", 1);
    for (size_t i = 0; i < m->first->nframes; i++) {
        if (i)
            put(o, ",", 1);
        put_frame(o, &m->first->frames[i]);
    }
    put(o, "]}", 2);
}

/* Where the text goes (a file written whole, leakbridge/atomic_file.h, or stdout), and whose
 * turn it is: blocks are written in their order whichever thread built them. */
struct writer {
    struct lb_atomic_file f;
    bool file;
    int err;
    const struct merged *sites;
    size_t nsites, nblocks;
    pthread_mutex_t lock;
    pthread_cond_t turn_changed;
    size_t turn;
};

static void emit(struct writer *w, const struct text *t)
{
    if (w->err)
        return;
    if (t->nomem)
        w->err = ENOMEM;
    else if (w->file)
        w->err = lb_atomic_file_write(&w->f, t->buf, t->len);
    else if (fwrite(t->buf, 1, t->len, stdout) != t->len)
        w->err = EIO;
}

/* Builds blocks first, first + step, ... and writes each when its turn comes. */
struct builder {
    struct writer *w;
    size_t first, step;
};

static void *build_blocks(void *arg)
{
    const struct builder *b = arg;
    struct writer *w = b->w;
    struct text t = {0};
    bool failed = false; /* then blocks are not built, but turns are still taken */
    for (size_t block = b->first; block < w->nblocks; block += b->step) {
        size_t i = block * SITES_PER_BLOCK, end = i + SITES_PER_BLOCK;
        for (t.len = 0; !failed && i < end && i < w->nsites; i++) {
            put(&t, i ? ",\n  " : "\n  ", i ? 4 : 3);
            put_site(&t, &w->sites[i], i + 1);
        }
        pthread_mutex_lock(&w->lock);
        while (w->turn != block)
            pthread_cond_wait(&w->turn_changed, &w->lock);
        failed = w->err != 0;
        pthread_mutex_unlock(&w->lock);
        emit(w, &t); /* only the thread whose turn it is writes */
        pthread_mutex_lock(&w->lock);
        w->turn++;
        pthread_cond_broadcast(&w->turn_changed);
        pthread_mutex_unlock(&w->lock);
    }
    free(t.buf);
    return NULL;
}

/* The merged report: doc, whose last member is "sites": [], with the sites written into it,
 * one a line. */
static void put_report(struct writer *w, json_t *doc)
{
    static const char tail[] = "\"sites\": []\n}";
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    size_t len = text ? strlen(text) : 0;
    if (!text || len < sizeof tail - 1 || strcmp(text + len - (sizeof tail - 1), tail) != 0) {
        free(text);
        w->err = ENOMEM;
        return;
    }
    struct text head = {.buf = text, .len = len - 3}; /* up to the "[]", and the "[" */
    emit(w, &head);
    free(text);
    w->nblocks = (w->nsites + SITES_PER_BLOCK - 1) / SITES_PER_BLOCK;
    struct builder builders[2] = {{w, 0, 2}, {w, 1, 2}};
    pthread_t other;
    bool threaded = w->nblocks > 1 && pthread_create(&other, NULL, build_blocks, &builders[1]) == 0;
    if (!threaded)
        builders[0].step = 1; /* every block on this thread */
    build_blocks(&builders[0]);
    if (threaded)
        pthread_join(other, NULL);
    const struct text end = {.buf = "\n ]\n}\n", .len = 6};
    emit(w, &end);
}

/* Writes the merged report to path, or to stdout without a path. */
static bool write_report(json_t *doc, const struct merged *sites, size_t nsites, const char *path)
{
    struct writer w = {.file = path != NULL, .sites = sites, .nsites = nsites};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.turn_changed, NULL);
    if (w.file)
        w.err = lb_atomic_file_open(&w.f, path);
    bool opened = w.file && !w.err;
    put_report(&w, doc);
    if (opened && !w.err)
        w.err = lb_atomic_file_commit(&w.f);
    else if (opened)
        lb_atomic_file_abort(&w.f);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.turn_changed);
    if (w.err && path)
        lbc_error("%s: cannot write the merged report: %s", path, strerror(w.err));
    else if (w.err == ENOMEM)
        lbc_error("out of memory");
    return w.err == 0;
}

int lbc_merge_main(int argc, char **argv)
{
    static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                            {"all-dumps", no_argument, NULL, 'A'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *output = NULL;
    bool all_dumps = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'A':
            all_dumps = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("merge");
        }
    }
    size_t n = (size_t)(argc - optind);
    if (n < 1)
        return lbc_usage_error("merge", "expected one or more REPORTs");
    struct lbc_report **reports = calloc(n, sizeof *reports), **latest = calloc(n, sizeof *latest);
    bool *keep = calloc(n, sizeof *keep);
    int status = LBC_EXIT_BAD;
    size_t loaded = 0, nlatest = 0;
    if (!reports || !latest || !keep) {
        free(reports);
        free(latest);
        free(keep);
        return lbc_error("out of memory");
    }
    if (lbc_reader_open_all(argv + optind, n, reports)) {
        loaded = n;
        /* Each JVM once: its dumps hold the same memory again and again. */
        if (!all_dumps) {
            lbc_runs_latest(reports, n, keep);
            lbc_runs_say_left_out("merge", "merging", reports, n, keep,
                                  " (--all-dumps merges every report)");
        }
        for (size_t i = 0; i < n; i++)
            if (all_dumps || keep[i])
                latest[nlatest++] = reports[i];
        size_t nsites = 0;
        struct merged *sites = merge_sites(latest, nlatest, &nsites);
        json_t *doc = sites ? merge(latest, nlatest, nsites) : NULL;
        if (!doc) {
            /* One line says why: the one merge printed, or this one. */
            if (!reported)
                lbc_error("cannot merge: out of memory");
        } else if (write_report(doc, sites, nsites, output)) {
            status = LBC_EXIT_OK;
        }
        json_decref(doc);
        free(sites);
    }
    for (size_t i = 0; i < loaded; i++)
        lbc_reader_free(reports[i]);
    free(reports);
    free(latest);
    free(keep);
    return status;
}
