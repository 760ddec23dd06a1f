#include "memory.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define MIB ((int64_t)1 << 20)
#define TEXT_MAX 1024
#define WHERE_MAX 256

const struct lbc_region *lbc_memory_region(const struct lbc_report *r, const char *name)
{
    for (size_t i = 0; r->has_memory && i < r->memory.nregions; i++)
        if (strcmp(r->memory.regions[i].name, name) == 0)
            return &r->memory.regions[i];
    return NULL;
}

/* Text made piece by piece, cut at TEXT_MAX. */
struct text {
    char buf[TEXT_MAX];
    size_t used;
};

static void vappend(struct text *t, const char *fmt, va_list ap)
{
    size_t room = sizeof t->buf - t->used;
    int n = vsnprintf(t->buf + t->used, room, fmt, ap);
    if (n > 0)
        t->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends sep (unless the text is empty) and then the formatted piece. */
__attribute__((format(printf, 3, 4))) static void add(struct text *t, const char *sep,
                                                      const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof t->buf - t->used, len = strlen(sep);
    if (t->used && room > 1) {
        len = len < room - 1 ? len : room - 1;
        memcpy(t->buf + t->used, sep, len);
        t->used += len;
        t->buf[t->used] = '\0';
    }
    va_start(ap, fmt);
    vappend(t, fmt, ap);
    va_end(ap);
}

static double share(int64_t part, int64_t whole)
{
    return whole > 0 ? (double)part / (double)whole : 0.0;
}

/* A region's key figures, as top shows them after its name. */
static const char *figures(const struct lbc_region *g, struct text *t)
{
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX];
    t->used = 0;
    t->buf[0] = '\0';
    if (g->used_bytes >= 0)
        add(t, ", ", "used %s", lb_units_bytes(g->used_bytes, a));
    if (g->committed_bytes >= 0)
        add(t, ", ", "committed %s", lb_units_bytes(g->committed_bytes, a));
    if (g->max_bytes >= 0)
        add(t, ", ", "max %s", lb_units_bytes(g->max_bytes, a));
    if (g->collector)
        add(t, ", ", "%s GC", g->collector);
    if (g->count >= 0 && strcmp(g->name, "thread_stacks") == 0)
        add(t, ", ", "%" PRId64 " %s", g->count, lb_units_plural(g->count, "thread", "threads"));
    /* "glibc: 41.5 MiB in use, 1.7 MiB free, 16 arenas" */
    const char *sep = ", ";
    bool stats = g->in_use_bytes >= 0 || g->free_bytes >= 0 || g->arenas >= 0;
    if (g->allocator) {
        add(t, ", ", "%s%s", g->allocator, stats ? ":" : "");
        sep = " ";
    }
    if (g->in_use_bytes >= 0) {
        add(t, sep, "%s in use", lb_units_bytes(g->in_use_bytes, a));
        sep = ", ";
    }
    if (g->free_bytes >= 0) {
        add(t, sep, "%s free", lb_units_bytes(g->free_bytes, a));
        sep = ", ";
    }
    if (g->arenas >= 0)
        add(t, sep, "%" PRId64 " %s", g->arenas, lb_units_plural(g->arenas, "arena", "arenas"));
    if (g->tracked_bytes >= 0 && g->in_use_bytes >= 0)
        add(t, "; ", "leakbridge names %s of %s in use", lb_units_bytes(g->tracked_bytes, a),
            lb_units_bytes(g->in_use_bytes, b));
    else if (g->tracked_bytes >= 0)
        add(t, "; ", "leakbridge names %s", lb_units_bytes(g->tracked_bytes, a));
    if (g->cds_rss_bytes > 0)
        add(t, ", ", "CDS archive %s", lb_units_bytes(g->cds_rss_bytes, a));
    for (size_t i = 0; i < g->nparts; i++)
        if (g->parts[i].rss_bytes > 0)
            add(t, ", ", "%s %s", g->parts[i].name, lb_units_bytes(g->parts[i].rss_bytes, a));
    return t->buf;
}

static void row(FILE *out, const char *rss, const char *part, const char *name, const char *figs)
{
    if (figs[0])
        fprintf(out, "%11s %6s  %-14s %s\n", rss, part, name, figs);
    else
        fprintf(out, "%11s %6s  %s\n", rss, part, name);
}

static void print_limit(FILE *out, const struct lbc_report *r)
{
    const struct lbc_memory_limit *l = &r->memory_limit;
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX];
    struct text t = {.used = 0};
    if (!r->has_memory_limit || l->limit_bytes < 0)
        return;
    int64_t rss = l->rss_bytes >= 0 ? l->rss_bytes : r->has_memory ? r->memory.rss_bytes : -1;
    if (rss >= 0)
        add(&t, "", "RSS %s of a %s limit", lb_units_bytes(rss, a),
            lb_units_bytes(l->limit_bytes, b));
    else
        add(&t, "", "a memory limit of %s", lb_units_bytes(l->limit_bytes, b));
    if (l->working_set_bytes >= 0)
        add(&t, ", ", "working set %s", lb_units_bytes(l->working_set_bytes, a));
    if (l->usage_bytes >= 0)
        add(&t, ", ", "cgroup usage %s", lb_units_bytes(l->usage_bytes, a));
    fprintf(out, "%s\n", t.buf);
}

void lbc_memory_print(FILE *out, const struct lbc_report *r)
{
    const struct lbc_memory *m = &r->memory;
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], rss[LBC_UNITS_MAX + 1];
    struct text t, last_gc = {.used = 0};
    bool estimates = false;
    if (!r->has_memory) {
        fprintf(out, "no memory section (%s)\n",
                r->merged_inputs ? "not every merged report had one: agent before 0.2"
                                 : "agent before 0.2");
        print_limit(out, r);
        fputc('\n', out);
        return;
    }
    fprintf(out, "RSS %s, unexplained %s (%s)\n", lb_units_bytes(m->rss_bytes, a),
            lb_units_bytes(m->unexplained_bytes, b),
            lbc_units_share(m->unexplained_bytes, m->rss_bytes, rss));
    fprintf(out, "\n%11s %6s  %-14s %s\n", "RSS", "SHARE", "REGION", "FIGURES");
    for (size_t i = 0; i < m->nregions; i++) {
        const struct lbc_region *g = &m->regions[i];
        snprintf(rss, sizeof rss, "%s%s", g->exact ? "" : "~", lb_units_bytes(g->rss_bytes, a));
        row(out, rss, lbc_units_share(g->rss_bytes, m->rss_bytes, b), g->name, figures(g, &t));
        estimates |= !g->exact;
        if (g->figures_from && strcmp(g->figures_from, "perf_data") == 0)
            add(&last_gc, ", ", "%s", g->name);
    }
    row(out, lb_units_bytes(m->unexplained_bytes, a),
        lbc_units_share(m->unexplained_bytes, m->rss_bytes, b), "unexplained", "");
    if (estimates)
        fprintf(out, "~ an estimate: part of the region is a size taken from anonymous memory\n");
    if (last_gc.used)
        fprintf(out, "%s: figures as of the last GC (perf data)\n", last_gc.buf);
    print_limit(out, r);
    for (size_t i = 0; i < m->nfindings; i++) {
        const struct lbc_finding *f = &m->findings[i];
        if (r->merged_inputs)
            fprintf(out, "finding %s, in %" PRId64 " of %" PRId64 " reports: %s\n", f->code,
                    f->inputs, r->merged_inputs, f->message);
        else
            fprintf(out, "finding %s: %s\n", f->code, f->message);
    }
    fputc('\n', out);
}

json_t *lbc_memory_json(const struct lbc_report *r)
{
    const struct lbc_memory *m = &r->memory;
    if (!r->has_memory)
        return json_null();
    json_t *regions = json_array(), *findings = json_array();
    json_t *out = json_pack("{sIsIsfsoso}", "rss_bytes", (json_int_t)m->rss_bytes,
                            "unexplained_bytes", (json_int_t)m->unexplained_bytes,
                            "unexplained_share", share(m->unexplained_bytes, m->rss_bytes),
                            "regions", regions, "findings", findings);
    bool ok = out != NULL;
    for (size_t i = 0; ok && i < m->nregions; i++) {
        json_t *g = json_deep_copy(m->regions[i].json);
        ok = g && json_object_set_new(g, "share",
                                      json_real(share(m->regions[i].rss_bytes, m->rss_bytes))) == 0;
        ok = ok && json_array_append_new(regions, g) == 0;
    }
    for (size_t i = 0; ok && i < m->nfindings; i++)
        ok = json_array_append_new(findings, json_deep_copy(m->findings[i].json)) == 0;
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* diff: one region's (or the unexplained rest's) RSS in both reports. */
struct change {
    const char *name;
    int64_t old_bytes, new_bytes;
    size_t order;
};

static int64_t magnitude(const struct change *c)
{
    /* Both are >= 0, so the difference and its negation fit. */
    int64_t d = c->new_bytes - c->old_bytes;
    return d < 0 ? -d : d;
}

static int compare_changes(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    int64_t mx = magnitude(x), my = magnitude(y);
    if (mx != my)
        return mx > my ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* NEW's regions, then those only in OLD, then the unexplained rest; largest change first. */
static struct change *changes_of(const struct lbc_report *old, const struct lbc_report *new,
                                 size_t *n)
{
    const struct lbc_memory *o = &old->memory, *w = &new->memory;
    struct change *c = calloc(o->nregions + w->nregions + 1, sizeof *c);
    size_t k = 0;
    if (!c)
        return NULL;
    for (size_t i = 0; i < w->nregions; i++) {
        const struct lbc_region *before = lbc_memory_region(old, w->regions[i].name);
        c[k] = (struct change){w->regions[i].name, before ? before->rss_bytes : 0,
                               w->regions[i].rss_bytes, k};
        k++;
    }
    for (size_t i = 0; i < o->nregions; i++)
        if (!lbc_memory_region(new, o->regions[i].name)) {
            c[k] = (struct change){o->regions[i].name, o->regions[i].rss_bytes, 0, k};
            k++;
        }
    c[k] = (struct change){"unexplained", o->unexplained_bytes, w->unexplained_bytes, k};
    k++;
    qsort(c, k, sizeof *c, compare_changes);
    *n = k;
    return c;
}

static bool has_code(const struct lbc_memory *m, const char *code)
{
    for (size_t i = 0; i < m->nfindings; i++)
        if (strcmp(m->findings[i].code, code) == 0)
            return true;
    return false;
}

bool lbc_memory_holds_freed(const struct lbc_region *old, const struct lbc_region *new)
{
    if (!old || !new || old->in_use_bytes < 0 || new->in_use_bytes < 0 || old->free_bytes < 0 ||
        new->free_bytes < 0)
        return false;
    int64_t rss = new->rss_bytes - old->rss_bytes, freed = new->free_bytes - old->free_bytes;
    int64_t in_use = new->in_use_bytes - old->in_use_bytes;
    return rss >= MIB && freed >= rss / 2 + rss % 2 && in_use <= rss / 10;
}

static void figure_change(struct text *t, const char *label, int64_t old, int64_t new)
{
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX];
    if (old >= 0 && new >= 0)
        add(t, ", ", "%s %s -> %s (%s)", label, lb_units_bytes(old, a), lb_units_bytes(new, b),
            lbc_units_growth(new - old, c));
}

static void print_findings(FILE *out, const struct lbc_memory *m, const struct lbc_memory *other,
                           const char *what)
{
    for (size_t i = 0; i < m->nfindings; i++)
        if (!has_code(other, m->findings[i].code))
            fprintf(out, "finding %-5s %s: %s\n", what, m->findings[i].code,
                    m->findings[i].message);
}

void lbc_memory_print_diff(FILE *out, const struct lbc_report *old, const struct lbc_report *new)
{
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX];
    char d[LBC_UNITS_MAX], e[LBC_UNITS_MAX], f[LBC_UNITS_MAX];
    if (!old->has_memory || !new->has_memory) {
        fprintf(out, "no memory section in %s (agent before 0.2)\n\n",
                !old->has_memory && !new->has_memory ? "either report"
                : !old->has_memory                   ? "OLD"
                                                     : "NEW");
        return;
    }
    const struct lbc_memory *o = &old->memory, *w = &new->memory;
    fprintf(out, "RSS %s -> %s (%s), unexplained %s -> %s (%s)\n", lb_units_bytes(o->rss_bytes, a),
            lb_units_bytes(w->rss_bytes, b), lbc_units_growth(w->rss_bytes - o->rss_bytes, c),
            lb_units_bytes(o->unexplained_bytes, d), lb_units_bytes(w->unexplained_bytes, e),
            lbc_units_growth(w->unexplained_bytes - o->unexplained_bytes, f));
    size_t n;
    struct change *changes = changes_of(old, new, &n);
    if (changes) {
        fprintf(out, "\n%11s %11s %11s  %s\n", "CHANGE", "OLD", "NEW", "REGION");
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%11s %11s %11s  %s\n",
                    lbc_units_growth(changes[i].new_bytes - changes[i].old_bytes, a),
                    lb_units_bytes(changes[i].old_bytes, b),
                    lb_units_bytes(changes[i].new_bytes, c), changes[i].name);
        free(changes);
    }
    const struct lbc_region *mo = lbc_memory_region(old, "malloc");
    const struct lbc_region *mn = lbc_memory_region(new, "malloc");
    if (mo && mn) {
        struct text t = {.used = 0};
        figure_change(&t, "in use", mo->in_use_bytes, mn->in_use_bytes);
        figure_change(&t, "free", mo->free_bytes, mn->free_bytes);
        figure_change(&t, "leakbridge names", mo->tracked_bytes, mn->tracked_bytes);
        if (t.used)
            fprintf(out, "malloc: %s\n", t.buf);
        if (lbc_memory_holds_freed(mo, mn))
            fprintf(out,
                    "the allocator holds freed memory: not a leak (malloc's RSS %s, its free "
                    "bytes %s, in use %s)\n",
                    lbc_units_growth(mn->rss_bytes - mo->rss_bytes, a),
                    lbc_units_growth(mn->free_bytes - mo->free_bytes, b),
                    lbc_units_growth(mn->in_use_bytes - mo->in_use_bytes, c));
    }
    print_findings(out, w, o, "new");
    print_findings(out, o, w, "gone");
    fputc('\n', out);
}

/* {"old", "new", "growth"} of a figure both regions have; NULL otherwise. */
static json_t *triple(int64_t old, int64_t new)
{
    if (old < 0 || new < 0)
        return NULL;
    return json_pack("{sIsIsI}", "old", (json_int_t)old, "new", (json_int_t) new, "growth",
                     (json_int_t)(new - old));
}

static json_t *malloc_json(const struct lbc_region *o, const struct lbc_region *n)
{
    if (!o || !n)
        return json_null();
    json_t *out = json_pack("{sosb}", "rss_bytes", triple(o->rss_bytes, n->rss_bytes),
                            "holds_freed_memory", lbc_memory_holds_freed(o, n));
    const char *keys[] = {"in_use_bytes", "free_bytes", "tracked_bytes"};
    int64_t values[][2] = {{o->in_use_bytes, n->in_use_bytes},
                           {o->free_bytes, n->free_bytes},
                           {o->tracked_bytes, n->tracked_bytes}};
    for (size_t i = 0; out && i < sizeof keys / sizeof keys[0]; i++) {
        if (values[i][0] < 0 || values[i][1] < 0)
            continue;
        if (json_object_set_new(out, keys[i], triple(values[i][0], values[i][1])) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

static json_t *findings_json(const struct lbc_memory *m, const struct lbc_memory *other)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < m->nfindings; i++) {
        const struct lbc_finding *f = &m->findings[i];
        if (!has_code(other, f->code) &&
            json_array_append_new(
                list, json_pack("{ssss}", "code", f->code, "message", f->message)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

json_t *lbc_memory_diff_json(const struct lbc_report *old, const struct lbc_report *new)
{
    if (!old->has_memory || !new->has_memory)
        return json_null();
    const struct lbc_memory *o = &old->memory, *w = &new->memory;
    size_t n;
    struct change *changes = changes_of(old, new, &n);
    json_t *regions = json_array();
    json_t *out =
        json_pack("{sIsIsIsosososo}", "old_rss_bytes", (json_int_t)o->rss_bytes, "new_rss_bytes",
                  (json_int_t)w->rss_bytes, "rss_growth_bytes",
                  (json_int_t)(w->rss_bytes - o->rss_bytes), "regions", regions, "malloc",
                  malloc_json(lbc_memory_region(old, "malloc"), lbc_memory_region(new, "malloc")),
                  "findings_appeared", findings_json(w, o), "findings_gone", findings_json(o, w));
    bool ok = out && changes;
    for (size_t i = 0; ok && i < n; i++) {
        const struct change *c = &changes[i];
        ok = json_array_append_new(regions, json_pack("{sssIsIsI}", "name", c->name, "old_bytes",
                                                      (json_int_t)c->old_bytes, "new_bytes",
                                                      (json_int_t)c->new_bytes, "growth_bytes",
                                                      (json_int_t)(c->new_bytes - c->old_bytes))) ==
             0;
    }
    free(changes);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* merge: objects summed key by key (docs/cli.md#merge). */
enum level { LEVEL_MEMORY, LEVEL_REGION, LEVEL_NESTED };

struct merger {
    struct lbc_report *const *reports;
    char *err;
    size_t err_len;
    bool failed;
};

__attribute__((format(printf, 2, 3))) static json_t *merge_fail(struct merger *m, const char *fmt,
                                                                ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->err_len, fmt, ap);
    va_end(ap);
    m->failed = true;
    return NULL;
}

/* Strings that differ between the inputs: collector lists them, allocator is unknown,
 * figures_from is perf_data if an input's figures are as of a GC, source says so; any other is
 * dropped. */
static json_t *merge_strings(json_t *const *vals, size_t n, const char *key)
{
    bool same = true, perf = false;
    struct text t = {.used = 0};
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(vals[i]);
        same &= strcmp(s, json_string_value(vals[0])) == 0;
        perf |= strcmp(s, "perf_data") == 0;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(s, json_string_value(vals[j])) == 0;
        if (!seen)
            add(&t, ", ", "%s", s);
    }
    if (same)
        return json_copy(vals[0]);
    if (strcmp(key, "collector") == 0)
        return json_string(t.buf);
    if (strcmp(key, "allocator") == 0)
        return json_string("unknown");
    if (strcmp(key, "figures_from") == 0)
        return json_string(perf ? "perf_data" : "none");
    if (strcmp(key, "source") == 0)
        return json_string(t.buf);
    return NULL;
}

static json_t *merge_object(struct merger *m, json_t *const *objs, const size_t *from, size_t n,
                            const char *where, enum level level);

/* The merged value of one key that every input has, or NULL to drop it. */
static json_t *merge_values(struct merger *m, json_t *const *vals, const size_t *from, size_t n,
                            const char *where, const char *key)
{
    bool integers = true, strings = true, objects = true, any_null = false, same = true;
    for (size_t i = 0; i < n; i++) {
        integers &= json_is_integer(vals[i]) || json_is_null(vals[i]);
        any_null |= json_is_null(vals[i]);
        strings &= json_is_string(vals[i]);
        objects &= json_is_object(vals[i]);
        same &= json_equal(vals[i], vals[0]);
    }
    if (integers && any_null)
        return json_null();
    if (integers) {
        json_int_t sum = 0;
        for (size_t i = 0; i < n; i++)
            if (__builtin_add_overflow(sum, json_integer_value(vals[i]), &sum))
                return merge_fail(m, "%s: %s.%s: the merged figure does not fit in 64 bits",
                                  m->reports[from[i]]->path, where, key);
        return json_integer(sum);
    }
    if (strings)
        return merge_strings(vals, n, key);
    if (objects) {
        char sub[WHERE_MAX];
        snprintf(sub, sizeof sub, "%s.%.60s", where, key);
        return merge_object(m, vals, from, n, sub, LEVEL_NESTED);
    }
    /* booleans alike are kept; arrays and mixed types are dropped */
    return same && json_is_boolean(vals[0]) ? json_copy(vals[0]) : NULL;
}

/* The keys of the first object that every object has, each merged; at the memory and region
 * levels the keys the callers merge themselves are left out. */
static json_t *merge_object(struct merger *m, json_t *const *objs, const size_t *from, size_t n,
                            const char *where, enum level level)
{
    static const char *const own[][4] = {
        {"regions", "findings", "nmt", NULL}, {"exact", "method", "parts", NULL}, {NULL}};
    json_t *out = json_object(), **vals = calloc(n, sizeof *vals), *first;
    const char *key;
    if (!out || !vals) {
        free(vals);
        json_decref(out);
        return merge_fail(m, "out of memory");
    }
    json_object_foreach(objs[0], key, first)
    {
        bool skip = false, all = true;
        for (size_t i = 0; own[level][i]; i++)
            skip |= strcmp(key, own[level][i]) == 0;
        for (size_t i = 0; !skip && i < n; i++)
            all &= (vals[i] = json_object_get(objs[i], key)) != NULL;
        if (skip || !all)
            continue;
        json_t *v = merge_values(m, vals, from, n, where, key);
        if (m->failed || (v && json_object_set_new(out, key, v) != 0)) {
            if (!m->failed)
                merge_fail(m, "out of memory");
            json_decref(out);
            out = NULL;
            break;
        }
    }
    free(vals);
    return out;
}

/* other's parts: summed by name, each with the first input's other fields. */
static json_t *merge_parts(struct merger *m, const struct lbc_region *const *regs,
                           const size_t *from, size_t n, const char *where)
{
    json_t *parts = json_array();
    bool any = false;
    for (size_t i = 0; parts && i < n; i++) {
        json_t *list = json_object_get(regs[i]->json, "parts");
        any |= list != NULL;
        for (size_t p = 0; p < regs[i]->nparts; p++) {
            const struct lbc_region_part *part = &regs[i]->parts[p];
            json_t *sum = NULL, *item;
            size_t k;
            json_array_foreach(parts, k, item)
            {
                if (strcmp(json_string_value(json_object_get(item, "name")), part->name) == 0)
                    sum = item;
            }
            if (!sum) {
                sum = json_deep_copy(json_array_get(list, p));
                if (!sum || json_array_append_new(parts, sum) != 0 ||
                    json_object_set_new(sum, "rss_bytes", json_integer(0)) != 0) {
                    json_decref(parts);
                    return merge_fail(m, "out of memory");
                }
            }
            json_int_t v = json_integer_value(json_object_get(sum, "rss_bytes"));
            if (__builtin_add_overflow(v, part->rss_bytes, &v) ||
                json_object_set_new(sum, "rss_bytes", json_integer(v)) != 0) {
                json_decref(parts);
                return merge_fail(m, "%s: %s.parts: the merged figure does not fit in 64 bits",
                                  m->reports[from[i]]->path, where);
            }
        }
    }
    if (!any) {
        json_decref(parts);
        return NULL;
    }
    return parts ? parts : merge_fail(m, "out of memory");
}

/* One region summed over the inputs that have it. */
static json_t *merge_region(struct merger *m, const char *name, size_t n)
{
    const struct lbc_region **regs = calloc(n, sizeof *regs);
    json_t **objs = calloc(n, sizeof *objs), *out = NULL;
    size_t *from = calloc(n, sizeof *from), k = 0;
    char where[WHERE_MAX];
    bool exact = true;
    snprintf(where, sizeof where, "memory.regions[%.60s]", name);
    if (!regs || !objs || !from) {
        merge_fail(m, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < n; r++) {
        const struct lbc_region *g = lbc_memory_region(m->reports[r], name);
        if (!g)
            continue;
        regs[k] = g;
        objs[k] = g->json;
        from[k++] = r;
        exact &= g->exact;
    }
    out = merge_object(m, objs, from, k, where, LEVEL_REGION);
    if (!out)
        goto out;
    json_t *parts = merge_parts(m, regs, from, k, where);
    char method[160];
    snprintf(method, sizeof method,
             "leakbridge merge: the sum over %zu %s; exact when every one's is", k,
             lb_units_plural((int64_t)k, "report", "reports"));
    if (m->failed || (parts && json_object_set_new(out, "parts", parts) != 0) ||
        json_object_set_new(out, "exact", json_boolean(exact)) != 0 ||
        json_object_set_new(out, "method", json_string(method)) != 0) {
        if (!m->failed)
            merge_fail(m, "out of memory");
        json_decref(out);
        out = NULL;
    }
out:
    free(regs);
    free(objs);
    free(from);
    return out;
}

/* Every region name once, in the order the inputs list them. */
static json_t *merge_regions(struct merger *m, size_t n)
{
    json_t *regions = json_array(), *item;
    for (size_t r = 0; regions && r < n; r++) {
        const struct lbc_memory *mem = &m->reports[r]->memory;
        for (size_t i = 0; i < mem->nregions; i++) {
            bool seen = false;
            size_t k;
            json_array_foreach(regions, k, item)
            {
                seen |= strcmp(json_string_value(json_object_get(item, "name")),
                               mem->regions[i].name) == 0;
            }
            if (seen)
                continue;
            json_t *g = merge_region(m, mem->regions[i].name, n);
            if (!g || json_array_append_new(regions, g) != 0) {
                json_decref(regions);
                return m->failed ? NULL : merge_fail(m, "out of memory");
            }
        }
    }
    return regions ? regions : merge_fail(m, "out of memory");
}

/* Each finding's code once, the first input's finding with inputs: how many inputs had it. */
static json_t *merge_findings(struct merger *m, size_t n)
{
    json_t *findings = json_array(), *item;
    for (size_t r = 0; findings && r < n; r++) {
        const struct lbc_memory *mem = &m->reports[r]->memory;
        for (size_t i = 0; i < mem->nfindings; i++) {
            const struct lbc_finding *f = &mem->findings[i];
            json_t *same = NULL;
            size_t k;
            bool counted = false;
            for (size_t j = 0; j < i; j++)
                counted |= strcmp(mem->findings[j].code, f->code) == 0;
            if (counted) /* a code twice in one report counts once */
                continue;
            json_array_foreach(findings, k, item)
            {
                if (strcmp(json_string_value(json_object_get(item, "code")), f->code) == 0)
                    same = item;
            }
            json_int_t inputs = 0;
            if (!same) {
                same = json_deep_copy(f->json);
                if (!same || json_array_append_new(findings, same) != 0) {
                    json_decref(findings);
                    return merge_fail(m, "out of memory");
                }
            } else {
                inputs = json_integer_value(json_object_get(same, "inputs"));
            }
            if (__builtin_add_overflow(inputs, f->inputs, &inputs) ||
                json_object_set_new(same, "inputs", json_integer(inputs)) != 0) {
                json_decref(findings);
                return merge_fail(m,
                                  "%s: memory.findings[%zu].inputs: the merged count does "
                                  "not fit in 64 bits",
                                  m->reports[r]->path, i);
            }
        }
    }
    return findings ? findings : merge_fail(m, "out of memory");
}

bool lbc_memory_merge(struct lbc_report *const *reports, size_t n, json_t **section, char *err,
                      size_t err_len)
{
    struct merger m = {reports, err, err_len, false};
    *section = NULL;
    for (size_t r = 0; r < n; r++)
        if (!reports[r]->has_memory)
            return true;
    json_t **objs = calloc(n, sizeof *objs);
    size_t *from = calloc(n, sizeof *from);
    json_t *out = NULL;
    if (objs && from) {
        for (size_t r = 0; r < n; r++) {
            objs[r] = json_object_get(reports[r]->root, "memory");
            from[r] = r;
        }
        out = merge_object(&m, objs, from, n, "memory", LEVEL_MEMORY);
    } else {
        merge_fail(&m, "out of memory");
    }
    free(objs);
    free(from);
    json_t *regions = out ? merge_regions(&m, n) : NULL;
    json_t *findings = regions ? merge_findings(&m, n) : NULL;
    if (!findings || json_object_set_new(out, "regions", regions) != 0 ||
        json_object_set_new(out, "findings", findings) != 0) {
        if (!m.failed)
            merge_fail(&m, "out of memory");
        if (!findings)
            json_decref(regions);
        json_decref(out);
        return false;
    }
    *section = out;
    return true;
}

json_t *lbc_memory_flame(const struct lbc_report *old, const struct lbc_report *new)
{
    if (!new->has_memory)
        return json_null();
    const struct lbc_memory *m = &new->memory;
    bool with_old = old && old->has_memory;
    json_t *regions = json_array();
    json_t *out = json_pack("{sIsIso}", "rss", (json_int_t)m->rss_bytes, "unexplained",
                            (json_int_t)m->unexplained_bytes, "regions", regions);
    bool ok = out != NULL;
    if (ok && with_old)
        ok = json_object_set_new(out, "old_rss", json_integer(old->memory.rss_bytes)) == 0 &&
             json_object_set_new(out, "old_unexplained",
                                 json_integer(old->memory.unexplained_bytes)) == 0;
    for (size_t i = 0; ok && i < m->nregions; i++) {
        const struct lbc_region *g = &m->regions[i];
        json_t *item =
            json_pack("{sssIsb}", "n", g->name, "v", (json_int_t)g->rss_bytes, "exact", g->exact);
        ok = json_array_append_new(regions, item) == 0;
        if (ok && strcmp(g->name, "malloc") == 0 && g->tracked_bytes >= 0)
            /* Live bytes never touched take no RSS: the sites hold at most the region. */
            ok = json_object_set_new(item, "tracked",
                                     json_integer(g->tracked_bytes < g->rss_bytes
                                                      ? g->tracked_bytes
                                                      : g->rss_bytes)) == 0;
        if (ok && with_old) {
            const struct lbc_region *before = lbc_memory_region(old, g->name);
            ok = json_object_set_new(item, "o", json_integer(before ? before->rss_bytes : 0)) == 0;
        }
    }
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}
