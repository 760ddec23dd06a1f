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
