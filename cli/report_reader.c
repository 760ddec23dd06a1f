#include "report_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intern.h"
#include "json_stream.h"

/* Where the check is in the document, for messages: "sites[3].frames[0]". */
#define WHERE_MAX 64

struct ctx {
    char *err;
    size_t err_len;
    struct lbc_strings *strings; /* the report's */
    const struct lbc_node *doc;  /* the document being read */
};

__attribute__((format(printf, 2, 3))) static bool fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_len, fmt, ap);
    va_end(ap);
    return false;
}

typedef struct lbc_node node;

static const char *type_name(const node *v)
{
    switch (v->type) {
    case LBC_NODE_OBJECT:
        return "an object";
    case LBC_NODE_ARRAY:
        return "an array";
    case LBC_NODE_STRING:
        return "a string";
    case LBC_NODE_INTEGER:
        return "an integer";
    case LBC_NODE_REAL:
        return "a number with a fraction";
    case LBC_NODE_TRUE:
    case LBC_NODE_FALSE:
        return "a boolean";
    case LBC_NODE_NULL:
        return "null";
    }
    return "something else";
}

static const char *dot(const char *where)
{
    return where[0] ? "." : "";
}

/* The member key of obj; NULL if absent. Fails if it is absent and required. */
static bool member(struct ctx *c, const node *obj, const char *where, const char *key,
                   bool required, const node **out)
{
    *out = lbc_node_get(obj, key);
    if (!*out && required)
        return fail(c, "%s%s%s: missing", where, dot(where), key);
    return true;
}

static bool get_object(struct ctx *c, const node *obj, const char *where, const char *key,
                       bool required, const node **out)
{
    if (!member(c, obj, where, key, required, out))
        return false;
    if (*out && (*out)->type != LBC_NODE_OBJECT)
        return fail(c, "%s%s%s: expected an object, found %s", where, dot(where), key,
                    type_name(*out));
    return true;
}

/* A string member; *out stays NULL when the member is absent (and optional) or, if nullable,
 * null. */
static bool get_string(struct ctx *c, const node *obj, const char *where, const char *key,
                       bool required, bool nullable, const char **out)
{
    const node *v;
    *out = NULL;
    if (!member(c, obj, where, key, required, &v))
        return false;
    if (!v || (nullable && v->type == LBC_NODE_NULL))
        return true;
    if (v->type != LBC_NODE_STRING)
        return fail(c, "%s%s%s: expected a string%s, found %s", where, dot(where), key,
                    nullable ? " or null" : "", type_name(v));
    *out = v->text;
    return true;
}

static bool get_int(struct ctx *c, const node *obj, const char *where, const char *key,
                    bool required, int64_t min, int64_t *out)
{
    const node *v;
    if (!member(c, obj, where, key, required, &v))
        return false;
    if (!v)
        return true;
    if (v->type != LBC_NODE_INTEGER)
        return fail(c, "%s%s%s: expected an integer, found %s", where, dot(where), key,
                    type_name(v));
    int64_t n = v->integer;
    if (n < min)
        return fail(c, "%s%s%s: %lld is below the least allowed value %lld", where, dot(where), key,
                    (long long)n, (long long)min);
    *out = (int64_t)n;
    return true;
}

static bool get_bool(struct ctx *c, const node *obj, const char *where, const char *key, bool *out)
{
    const node *v;
    if (!member(c, obj, where, key, true, &v))
        return false;
    if (v->type != LBC_NODE_TRUE && v->type != LBC_NODE_FALSE)
        return fail(c, "%s%s%s: expected true or false, found %s", where, dot(where), key,
                    type_name(v));
    *out = v->type == LBC_NODE_TRUE;
    return true;
}

static bool is_hex(const char *s)
{
    if (s[0] != '0' || s[1] != 'x' || !s[2])
        return false;
    return strspn(s + 2, "0123456789abcdefABCDEF") == strlen(s + 2);
}

static bool read_frame(struct ctx *c, const node *f, const char *where, struct lbc_frame *out)
{
    out->line = -1;
    out->symbol_offset = -1;
    if (f->type != LBC_NODE_OBJECT)
        return fail(c, "%s: expected an object, found %s", where, type_name(f));
    if (!get_string(c, f, where, "type", true, false, &out->type_name))
        return false;
    size_t known; /* members this reader knows */
    if (strcmp(out->type_name, "java") == 0) {
        out->type = LBC_FRAME_JAVA;
        if (!get_string(c, f, where, "class", true, false, &out->class_name) ||
            !get_string(c, f, where, "method", true, false, &out->method) ||
            !get_string(c, f, where, "signature", false, false, &out->signature) ||
            !get_string(c, f, where, "file", false, false, &out->file) ||
            !get_int(c, f, where, "line", false, 0, &out->line))
            return false;
        known = 3 + !!out->signature + !!out->file + (out->line >= 0);
    } else if (strcmp(out->type_name, "native") == 0) {
        out->type = LBC_FRAME_NATIVE;
        if (!get_string(c, f, where, "module", true, true, &out->module) ||
            !get_string(c, f, where, "symbol", true, true, &out->symbol) ||
            !get_string(c, f, where, "offset", true, false, &out->offset) ||
            !get_int(c, f, where, "symbol_offset", false, 0, &out->symbol_offset))
            return false;
        if (!is_hex(out->offset))
            return fail(c, "%s.offset: expected a hex string such as \"0x3f2a1\"", where);
        known = 4 + (out->symbol_offset >= 0);
    } else {
        /* A frame type of a later version: kept, and printed as its type. */
        out->type = LBC_FRAME_OTHER;
        known = 0;
    }
    /* A later version's members: the frame is written out as it was. */
    if (f->count != known && !(out->json = lbc_node_json(f)))
        return fail(c, "out of memory reading %s", where);
    return true;
}

static bool add(struct ctx *c, const char *what, int64_t *sum, int64_t v)
{
    if (__builtin_add_overflow(*sum, v, sum))
        return fail(c, "the sum of the sites' %s does not fit in 64 bits", what);
    return true;
}

/* *s, interned; NULL stays NULL. */
static bool intern(struct ctx *c, const char **s)
{
    if (*s && !(*s = lbc_strings_intern(c->strings, *s)))
        return fail(c, "out of memory");
    return true;
}

/* The site's strings in the report's set, so that its JSON can go. */
static bool intern_site(struct ctx *c, struct lbc_site *s)
{
    if (!intern(c, &s->kind) || !intern(c, &s->status) || !intern(c, &s->status_rule) ||
        !intern(c, &s->overflow_module) || !intern(c, &s->pool) || !intern(c, &s->pool_chunks))
        return false;
    for (size_t i = 0; i < s->nframes; i++) {
        struct lbc_frame *f = &s->frames[i];
        if (!intern(c, &f->type_name) || !intern(c, &f->class_name) || !intern(c, &f->method) ||
            !intern(c, &f->signature) || !intern(c, &f->file) || !intern(c, &f->module) ||
            !intern(c, &f->symbol))
            return false;
        if (f->offset && !(f->offset = lbc_strings_copy(c->strings, f->offset)))
            return fail(c, "out of memory");
    }
    return true;
}

/* "PREFIX[I]" in buf (of WHERE_MAX bytes; prefix shorter than WHERE_MAX - 24): written for every
 * site and frame, so without printf. */
static void indexed(char *buf, const char *prefix, size_t i)
{
    char digits[24];
    size_t n = 0, len = strlen(prefix);
    do
        digits[n++] = (char)('0' + i % 10);
    while ((i /= 10) != 0);
    memcpy(buf, prefix, len);
    buf[len++] = '[';
    while (n)
        buf[len++] = digits[--n];
    buf[len++] = ']';
    buf[len] = 0;
}

/* A tally of the site's owners (blocks, bytes); absent leaves *blocks alone. */
static bool read_tally(struct ctx *c, const node *owners, const char *where, const char *key,
                       int64_t *blocks, const node **obj)
{
    char sub[WHERE_MAX + 64];
    if (!get_object(c, owners, where, key, false, obj))
        return false;
    snprintf(sub, sizeof sub, "%s.%s", where, key);
    int64_t bytes;
    return !*obj || (get_int(c, *obj, sub, "blocks", true, 0, blocks) &&
                     get_int(c, *obj, sub, "bytes", true, 0, &bytes));
}

/* The site's owners (owners=on), if it has them; their strings interned. */
static bool read_owners(struct ctx *c, const node *s, const char *where, struct lbc_owners **to)
{
    const node *o, *paths, *obj;
    char sub[WHERE_MAX + 16], item[WHERE_MAX + 64];
    if (!get_object(c, s, where, "owners", false, &o))
        return false;
    if (!o)
        return true;
    struct lbc_owners *out = *to = calloc(1, sizeof *out);
    if (!out)
        return fail(c, "out of memory");
    snprintf(sub, sizeof sub, "%s.owners", where);
    if (!get_int(c, o, sub, "examined", true, 0, &out->examined) ||
        !member(c, o, sub, "paths", true, &paths))
        return false;
    if (paths->type != LBC_NODE_ARRAY)
        return fail(c, "%s.paths: expected an array, found %s", sub, type_name(paths));
    for (const node *p = paths->first; p && out->npaths < LBC_OWNER_PATHS_MAX; p = p->next) {
        struct lbc_owner_path *path = &out->paths[out->npaths++];
        snprintf(item, sizeof item, "%s.paths[%zu]", sub, out->npaths - 1);
        if (p->type != LBC_NODE_OBJECT)
            return fail(c, "%s: expected an object, found %s", item, type_name(p));
        if (!get_string(c, p, item, "text", true, false, &path->text) ||
            !get_int(c, p, item, "blocks", true, 1, &path->blocks) ||
            !get_int(c, p, item, "bytes", true, 0, &path->bytes) || !intern(c, &path->text))
            return false;
    }
    if (!read_tally(c, o, sub, "other_paths", &out->other_blocks, &obj) ||
        !read_tally(c, o, sub, "without_holder", &out->without_holder_blocks, &obj) ||
        !read_tally(c, o, sub, "unreachable", &out->unreachable_blocks, &obj))
        return false;
    if (obj) {
        snprintf(item, sizeof item, "%s.unreachable", sub);
        const node *holders, *gc_deferred;
        if (!get_int(c, obj, item, "collected", true, 0, &out->collected) ||
            !member(c, obj, item, "holders", true, &holders) ||
            !member(c, obj, item, "gc_deferred", true, &gc_deferred))
            return false;
        if (holders->type == LBC_NODE_ARRAY && holders->first &&
            holders->first->type == LBC_NODE_STRING)
            out->holder = holders->first->text;
        out->gc_deferred = gc_deferred->type == LBC_NODE_TRUE;
        if (!intern(c, &out->holder))
            return false;
    }
    if (!read_tally(c, o, sub, "unknown", &out->unknown_blocks, &obj))
        return false;
    snprintf(item, sizeof item, "%s.unknown", sub);
    return !obj || (get_string(c, obj, item, "reason", true, false, &out->unknown_reason) &&
                    intern(c, &out->unknown_reason));
}

static bool read_site(struct ctx *c, const node *s, size_t index, struct lbc_site *out)
{
    char where[WHERE_MAX];
    indexed(where, "sites", index);
    out->inputs = 1;
    if (s->type != LBC_NODE_OBJECT)
        return fail(c, "%s: expected an object, found %s", where, type_name(s));
    if (!get_int(c, s, where, "id", true, 0, &out->id) ||
        !get_string(c, s, where, "kind", true, false, &out->kind) ||
        !get_string(c, s, where, "status", true, false, &out->status) ||
        !get_string(c, s, where, "status_rule", false, false, &out->status_rule) ||
        !get_int(c, s, where, "live_bytes", true, 0, &out->live_bytes) ||
        !get_int(c, s, where, "live_count", true, 0, &out->live_count) ||
        !get_int(c, s, where, "allocated_bytes", true, 0, &out->allocated_bytes) ||
        !get_int(c, s, where, "allocated_count", true, 0, &out->allocated_count) ||
        !get_int(c, s, where, "freed_count", true, 0, &out->freed_count) ||
        !get_int(c, s, where, "inputs", false, 1, &out->inputs))
        return false;
    out->has_inputs = lbc_node_get(s, "inputs") != NULL;

    const node *obj;
    char sub[WHERE_MAX * 2];
    if (!get_object(c, s, where, "growth", false, &obj))
        return false;
    if (obj) {
        snprintf(sub, sizeof sub, "%s.growth", where);
        out->has_growth = true;
        if (!get_int(c, obj, sub, "bytes", true, INT64_MIN, &out->growth_bytes) ||
            !get_int(c, obj, sub, "count", true, INT64_MIN, &out->growth_count) ||
            !get_int(c, obj, sub, "streak", false, 0, &out->growth_streak))
            return false;
    }
    if (!get_object(c, s, where, "gc_released", false, &obj))
        return false;
    if (obj) {
        snprintf(sub, sizeof sub, "%s.gc_released", where);
        out->has_gc_released = true;
        if (!get_int(c, obj, sub, "bytes", true, 0, &out->gc_released_bytes) ||
            !get_int(c, obj, sub, "count", true, 0, &out->gc_released_count))
            return false;
    }
    if (!get_string(c, s, where, "pool", false, false, &out->pool) ||
        !get_object(c, s, where, "pool_chunks", false, &obj))
        return false;
    if (obj) {
        snprintf(sub, sizeof sub, "%s.pool_chunks", where);
        if (!get_string(c, obj, sub, "pool", true, false, &out->pool_chunks) ||
            !get_int(c, obj, sub, "capacity_bytes", true, 0, &out->pool_capacity_bytes) ||
            !get_int(c, obj, sub, "handed_out_bytes", true, 0, &out->pool_handed_out_bytes))
            return false;
    }
    if (!get_object(c, s, where, "overflow", false, &obj))
        return false;
    if (obj) {
        snprintf(sub, sizeof sub, "%s.overflow", where);
        out->overflow = true;
        if (!get_string(c, obj, sub, "module", true, true, &out->overflow_module) ||
            !get_int(c, obj, sub, "folded_stacks", true, 0, &out->folded_stacks) ||
            !get_int(c, obj, sub, "folded_allocations", true, 0, &out->folded_allocations))
            return false;
    }

    if (!read_owners(c, s, where, &out->owners))
        return false;

    const node *frames;
    if (!member(c, s, where, "frames", true, &frames))
        return false;
    if (frames->type != LBC_NODE_ARRAY)
        return fail(c, "%s.frames: expected an array, found %s", where, type_name(frames));
    size_t nframes = frames->count;
    if (nframes > LBC_FRAMES_MAX)
        return fail(c, "%s.frames: %zu frames, more than the %d a stack can have", where, nframes,
                    LBC_FRAMES_MAX);
    if (nframes && !(out->frames = calloc(nframes, sizeof *out->frames)))
        return fail(c, "out of memory reading %s", where);
    out->nframes = nframes; /* only with the frames allocated: the report is freed by its counts */
    const node *f = frames->first;
    char prefix[WHERE_MAX];
    memcpy(prefix, where, strlen(where));
    strcpy(prefix + strlen(where), ".frames");
    for (size_t i = 0; i < out->nframes; i++, f = f->next) {
        indexed(sub, prefix, i);
        if (!read_frame(c, f, sub, &out->frames[i]))
            return false;
    }
    return intern_site(c, out);
}

/* "2026-11-22T03:00:00Z" in seconds since the epoch; false for anything else. */
static bool parse_time(const char *text, int64_t *seconds)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return false;
    *seconds = (int64_t)timegm(&tm);
    return true;
}

/* The base of libjvm.so among the modules: where the dynamic linker put it, which differs from
 * one process to the next (address space layout randomization). Entries are not checked: the
 * commands use no other module field. */
static const char *jvm_base(const node *modules)
{
    for (const node *m = modules->first; m; m = m->next) {
        const node *p = lbc_node_get(m, "path"), *b = lbc_node_get(m, "base");
        const char *path = p && p->type == LBC_NODE_STRING ? p->text : NULL;
        const char *base = b && b->type == LBC_NODE_STRING ? b->text : NULL;
        size_t len = path ? strlen(path) : 0;
        if (base && len >= 9 && strcmp(path + len - 9, "libjvm.so") == 0 &&
            (len == 9 || path[len - 10] == '/'))
            return base;
    }
    return NULL;
}

/* The optional leak_window: {"window_ms", "observed_ms", "reports", "decidable"}. */
static bool read_leak_window(struct ctx *c, struct lbc_report *r)
{
    const node *w;
    if (!get_object(c, c->doc, "", "leak_window", false, &w))
        return false;
    if (!w)
        return true;
    r->has_leak_window = true;
    return get_int(c, w, "leak_window", "window_ms", true, 1, &r->window_ms) &&
           get_int(c, w, "leak_window", "observed_ms", true, 0, &r->observed_ms) &&
           get_int(c, w, "leak_window", "reports", true, 1, &r->window_reports) &&
           get_bool(c, w, "leak_window", "decidable", &r->decidable);
}

/* An optional figure: an integer >= 0, or null; -1 when absent or null. */
static bool get_figure(struct ctx *c, const node *obj, const char *where, const char *key,
                       int64_t *out)
{
    const node *v = lbc_node_get(obj, key);
    *out = -1;
    if (!v || v->type == LBC_NODE_NULL)
        return true;
    return get_int(c, obj, where, key, false, 0, out);
}

/* The array obj.key (required or not), at most LBC_MEMORY_ITEMS_MAX long, and room for its
 * items; *items stays NULL when it is absent or empty. */
static bool get_items(struct ctx *c, const node *obj, const char *where, const char *key,
                      bool required, size_t size, const node **array, size_t *n, void **items)
{
    *n = 0;
    *items = NULL;
    if (!member(c, obj, where, key, required, array))
        return false;
    if (!*array)
        return true;
    if ((*array)->type != LBC_NODE_ARRAY)
        return fail(c, "%s%s%s: expected an array, found %s", where, dot(where), key,
                    type_name(*array));
    size_t count = (*array)->count;
    if (count > LBC_MEMORY_ITEMS_MAX)
        return fail(c, "%s%s%s: %zu items, more than the %d this leakbridge reads", where,
                    dot(where), key, count, LBC_MEMORY_ITEMS_MAX);
    if (count && !(*items = calloc(count, size)))
        return fail(c, "out of memory reading %s%s%s", where, dot(where), key);
    *n = count; /* only with the items allocated: the report is freed by its counts */
    return true;
}

/* A region from its node v; json is the same in the report's document. */
static bool read_region(struct ctx *c, const node *v, json_t *json, size_t index,
                        struct lbc_region *out)
{
    char where[WHERE_MAX], sub[WHERE_MAX * 2];
    const char *method;
    const node *parts;
    void *items = NULL;
    snprintf(where, sizeof where, "memory.regions[%zu]", index);
    out->json = json;
    if (v->type != LBC_NODE_OBJECT)
        return fail(c, "%s: expected an object, found %s", where, type_name(v));
    if (!get_string(c, v, where, "name", true, false, &out->name) ||
        !get_int(c, v, where, "rss_bytes", true, 0, &out->rss_bytes) ||
        !get_bool(c, v, where, "exact", &out->exact) ||
        !get_string(c, v, where, "method", false, false, &method) ||
        !get_string(c, v, where, "figures_from", false, false, &out->figures_from) ||
        !get_string(c, v, where, "collector", false, false, &out->collector) ||
        !get_string(c, v, where, "allocator", false, false, &out->allocator) ||
        !get_figure(c, v, where, "used_bytes", &out->used_bytes) ||
        !get_figure(c, v, where, "committed_bytes", &out->committed_bytes) ||
        !get_figure(c, v, where, "max_bytes", &out->max_bytes) ||
        !get_figure(c, v, where, "count", &out->count) ||
        !get_figure(c, v, where, "in_use_bytes", &out->in_use_bytes) ||
        !get_figure(c, v, where, "free_bytes", &out->free_bytes) ||
        !get_figure(c, v, where, "arenas", &out->arenas) ||
        !get_figure(c, v, where, "tracked_bytes", &out->tracked_bytes) ||
        !get_figure(c, v, where, "cds_rss_bytes", &out->cds_rss_bytes) ||
        !get_items(c, v, where, "parts", false, sizeof *out->parts, &parts, &out->nparts, &items))
        return false;
    out->parts = items;
    const node *p = parts ? parts->first : NULL;
    for (size_t i = 0; i < out->nparts; i++, p = p->next) {
        snprintf(sub, sizeof sub, "%s.parts[%zu]", where, i);
        if (p->type != LBC_NODE_OBJECT)
            return fail(c, "%s: expected an object, found %s", sub, type_name(p));
        if (!get_string(c, p, sub, "name", true, false, &out->parts[i].name) ||
            !get_int(c, p, sub, "rss_bytes", true, 0, &out->parts[i].rss_bytes))
            return false;
    }
    return true;
}

static bool read_finding(struct ctx *c, const node *v, json_t *json, size_t index,
                         struct lbc_finding *out)
{
    char where[WHERE_MAX];
    const node *figures;
    snprintf(where, sizeof where, "memory.findings[%zu]", index);
    out->json = json;
    out->inputs = 1;
    if (v->type != LBC_NODE_OBJECT)
        return fail(c, "%s: expected an object, found %s", where, type_name(v));
    return get_string(c, v, where, "code", true, false, &out->code) &&
           get_string(c, v, where, "message", true, false, &out->message) &&
           get_object(c, v, where, "figures", false, &figures) &&
           get_int(c, v, where, "inputs", false, 1, &out->inputs);
}

/* The optional memory section: regions that, with unexplained_bytes, add up to rss_bytes, each
 * name once; findings. */
static bool read_memory(struct ctx *c, struct lbc_report *r)
{
    struct lbc_memory *m = &r->memory;
    const node *obj, *regions, *findings;
    void *region_items = NULL, *finding_items = NULL;
    if (!get_object(c, c->doc, "", "memory", false, &obj))
        return false;
    if (!obj)
        return true;
    r->has_memory = true;
    if (!get_int(c, obj, "memory", "rss_bytes", true, 0, &m->rss_bytes) ||
        !get_int(c, obj, "memory", "unexplained_bytes", true, 0, &m->unexplained_bytes) ||
        !get_items(c, obj, "memory", "regions", true, sizeof *m->regions, &regions, &m->nregions,
                   &region_items))
        return false;
    m->regions = region_items;
    if (!get_items(c, obj, "memory", "findings", true, sizeof *m->findings, &findings,
                   &m->nfindings, &finding_items))
        return false;
    m->findings = finding_items;
    int64_t sum = m->unexplained_bytes;
    json_t *memory = json_object_get(r->root, "memory");
    json_t *region_json = json_object_get(memory, "regions");
    json_t *finding_json = json_object_get(memory, "findings");
    const node *v = regions->first;
    for (size_t i = 0; i < m->nregions; i++, v = v->next) {
        struct lbc_region *g = &m->regions[i];
        if (!read_region(c, v, json_array_get(region_json, i), i, g))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->regions[j].name, g->name) == 0)
                return fail(c, "memory.regions[%zu].name: \"%.60s\" is regions[%zu]'s too", i,
                            g->name, j);
        if (__builtin_add_overflow(sum, g->rss_bytes, &sum))
            return fail(c, "memory: the sum of the regions' rss_bytes does not fit in 64 bits");
    }
    if (sum != m->rss_bytes)
        return fail(c,
                    "memory: the regions' rss_bytes and unexplained_bytes add up to %lld, not to "
                    "rss_bytes %lld",
                    (long long)sum, (long long)m->rss_bytes);
    v = findings->first;
    for (size_t i = 0; i < m->nfindings; i++, v = v->next)
        if (!read_finding(c, v, json_array_get(finding_json, i), i, &m->findings[i]))
            return false;
    return true;
}

/* The optional memory_limit: the cgroup's limit and usage. */
static bool read_memory_limit(struct ctx *c, struct lbc_report *r)
{
    struct lbc_memory_limit *l = &r->memory_limit;
    const node *obj;
    *l = (struct lbc_memory_limit){-1, -1, -1, -1};
    if (!get_object(c, c->doc, "", "memory_limit", false, &obj))
        return false;
    r->has_memory_limit = obj != NULL;
    return !obj ||
           (get_figure(c, obj, "memory_limit", "limit_bytes", &l->limit_bytes) &&
            get_figure(c, obj, "memory_limit", "usage_bytes", &l->usage_bytes) &&
            get_figure(c, obj, "memory_limit", "working_set_bytes", &l->working_set_bytes) &&
            get_figure(c, obj, "memory_limit", "rss_bytes", &l->rss_bytes));
}

static bool read_header(struct ctx *c, struct lbc_report *r)
{
    const node *root = c->doc, *v, *obj;
    if (root->type != LBC_NODE_OBJECT)
        return fail(c, "not a leakbridge report: the document is %s, not an object",
                    type_name(root));
    const char *format;
    if (!get_string(c, root, "", "format", false, false, &format))
        return false;
    if (!format)
        return fail(c, "not a leakbridge report: no \"format\" field");
    if (strcmp(format, "leakbridge-report") != 0)
        return fail(c, "not a leakbridge report: format is \"%.60s\"", format);
    v = lbc_node_get(root, "version");
    if (!v || v->type != LBC_NODE_INTEGER || v->integer != 1) {
        if (v && v->type == LBC_NODE_INTEGER)
            return fail(c, "report format version %lld; this leakbridge reads version 1",
                        (long long)v->integer);
        return fail(c, "version: expected the integer 1, found %s", v ? type_name(v) : "nothing");
    }
    if (!get_int(c, root, "", "pid", true, 0, &r->pid) ||
        !get_int(c, root, "", "sequence", true, 0, &r->sequence) ||
        !get_int(c, root, "", "uptime_ms", true, 0, &r->uptime_ms) ||
        !get_string(c, root, "", "reason", true, false, &r->reason) ||
        !get_string(c, root, "", "time", true, false, &r->time) ||
        !get_string(c, root, "", "host", false, false, &r->host) ||
        !get_string(c, root, "", "run_id", false, false, &r->run_id))
        return false;
    int64_t seconds;
    r->has_start = parse_time(r->time, &seconds) &&
                   !__builtin_mul_overflow(seconds, 1000, &r->start_ms) &&
                   !__builtin_sub_overflow(r->start_ms, r->uptime_ms, &r->start_ms);
    if (!get_object(c, root, "", "jvm", true, &obj) ||
        !get_string(c, obj, "jvm", "version", true, false, &r->jvm_version) ||
        !get_string(c, obj, "jvm", "vendor", true, false, &r->jvm_vendor) ||
        !get_string(c, obj, "jvm", "name", true, false, &r->jvm_name))
        return false;
    if (!get_object(c, root, "", "options", true, &obj) ||
        !get_string(c, obj, "options", "output", true, false, &r->output))
        return false;
    if (!get_object(c, root, "", "sampling", true, &obj) ||
        !get_int(c, obj, "sampling", "mean_bytes", true, 0, &r->sample_mean) ||
        !get_bool(c, obj, "sampling", "estimated", &r->estimated))
        return false;
    if (!get_object(c, root, "", "totals", true, &obj))
        return false;
    if (!member(c, root, "", "modules", true, &v))
        return false;
    if (v->type != LBC_NODE_ARRAY)
        return fail(c, "modules: expected an array, found %s", type_name(v));
    r->jvm_base = jvm_base(v);
    if (!read_leak_window(c, r))
        return false;
    if (!get_object(c, root, "", "merged", false, &obj))
        return false;
    if (obj && !get_int(c, obj, "merged", "inputs", true, 1, &r->merged_inputs))
        return false;
    return read_memory(c, r) && read_memory_limit(c, r);
}

/* Reads sites[r->nsites] from its node and adds its figures to the sums; the site is counted
 * at once, so that the report frees what was read of it. */
static bool add_site(struct ctx *c, struct lbc_report *r, const node *site)
{
    struct lbc_site *s = &r->sites[r->nsites];
    memset(s, 0, sizeof *s);
    r->nsites++;
    return read_site(c, site, r->nsites - 1, s) &&
           add(c, "live_bytes", &r->live_bytes, s->live_bytes) &&
           add(c, "live_count", &r->live_count, s->live_count);
}

/* The sites member, whose items were read as they were parsed (site_err: the first wrong). */
static bool read_sites(struct ctx *c, const char *site_err)
{
    const node *sites;
    if (!member(c, c->doc, "", "sites", true, &sites))
        return false;
    if (sites->type != LBC_NODE_ARRAY)
        return fail(c, "sites: expected an array, found %s", type_name(sites));
    return !site_err[0] || fail(c, "%s", site_err);
}

/* A text being read: the report, the room for its sites, the first site that was wrong (the
 * header is checked first, once the whole text has been parsed; sites after a wrong one are
 * only parsed). */
struct loading {
    struct lbc_report *r;
    struct lbc_strings *strings;
    size_t room;
    char site_err[LBC_ERR_MAX];
    const char *text; /* mapped from the file, or NULL */
    size_t released;  /* bytes of it given back */
};

static void on_site(void *ctx, const node *site, size_t index)
{
    struct loading *l = ctx;
    struct lbc_report *r = l->r;
    struct ctx c = {l->site_err, sizeof l->site_err, l->strings, NULL};
    (void)index; /* r->nsites while no site was wrong */
    if (l->site_err[0])
        return;
    if (r->nsites == l->room) {
        size_t more = l->room ? l->room * 2 : 1024;
        struct lbc_site *sites = realloc(r->sites, more * sizeof *sites);
        if (!sites) {
            fail(&c, "out of memory for %zu sites", more);
            return;
        }
        r->sites = sites;
        l->room = more;
    }
    add_site(&c, r, site);
}

/* The text read so far is read once: a mapped file's pages are given back every few tens of
 * megabytes, so that they do not add up in the resident memory. */
#define RELEASE_EVERY (32u << 20)

static void release(void *ctx, size_t done)
{
    struct loading *l = ctx;
    size_t upto = done & ~((size_t)sysconf(_SC_PAGESIZE) - 1);
    if (l->text && upto - l->released >= RELEASE_EVERY) {
        madvise((void *)(l->text + l->released), upto - l->released, MADV_DONTNEED);
        l->released = upto;
    }
}

static struct lbc_report *new_report(struct ctx *c, const char *path);

/* A report from its text; mapped when the text is a mapped file. */
static struct lbc_report *read_text(const char *text, size_t len, bool mapped, const char *path,
                                    char *err, size_t err_len)
{
    struct ctx c = {err, err_len, NULL, NULL};
    struct lbc_report *r = new_report(&c, path);
    if (!r)
        return NULL;
    struct loading l = {.r = r, .strings = c.strings, .text = mapped ? text : NULL};
    r->stream = lbc_stream_parse(text, len, "sites", on_site, &l, release, err, err_len);
    bool ok = r->stream != NULL;
    if (ok) {
        c.doc = lbc_stream_root(r->stream);
        ok = (r->root = lbc_node_json(c.doc)) != NULL || fail(&c, "out of memory");
        ok = ok && read_header(&c, r) && read_sites(&c, l.site_err);
    }
    if (!ok) {
        lbc_reader_free(r);
        return NULL;
    }
    return r;
}

static struct lbc_report *new_report(struct ctx *c, const char *path)
{
    struct lbc_report *r = calloc(1, sizeof *r);
    if (r && !(r->strings = c->strings = lbc_strings_new())) {
        free(r);
        r = NULL;
    }
    if (!r)
        fail(c, "out of memory");
    else
        r->path = path;
    return r;
}

struct lbc_report *lbc_reader_from_json(json_t *root, const char *path, char *err, size_t err_len)
{
    /* Written out and read as a file is: one reader. */
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(root);
    if (!text) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    struct lbc_report *r = read_text(text, strlen(text), false, path, err, err_len);
    free(text);
    return r;
}

/* A file's text: mapped, or read into memory when it cannot be (a pipe). */
struct text {
    char *start;
    size_t len;
    bool mapped;
};

static bool read_all(struct ctx *c, int fd, struct text *t)
{
    size_t room = 0;
    for (;;) {
        if (t->len == room) {
            char *more = realloc(t->start, room = room ? room * 2 : 65536);
            if (!more)
                return fail(c, "out of memory");
            t->start = more;
        }
        ssize_t n = read(fd, t->start + t->len, room - t->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(c, "cannot read: %s", strerror(errno));
        if (n == 0)
            return true;
        t->len += (size_t)n;
    }
}

static bool open_text(struct ctx *c, const char *path, struct text *t)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *t = (struct text){0};
    if (fd < 0)
        return fail(c, "unable to open %s: %s", path, strerror(errno));
    bool ok = fstat(fd, &st) == 0 || fail(c, "cannot read: %s", strerror(errno));
    if (ok && S_ISDIR(st.st_mode))
        ok = fail(c, "is a directory, not a report");
    if (ok && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            t->start = m;
            t->len = (size_t)st.st_size;
            t->mapped = true;
        }
    }
    if (ok && !t->mapped)
        ok = read_all(c, fd, t);
    close(fd);
    if (ok && !t->len)
        ok = fail(c, "the file is empty");
    return ok;
}

static void close_text(struct text *t)
{
    if (t->mapped)
        munmap(t->start, t->len);
    else
        free(t->start);
}

struct lbc_report *lbc_reader_load(const char *path, char *err, size_t err_len)
{
    struct ctx c = {err, err_len, NULL, NULL};
    struct text t;
    struct lbc_report *r = NULL;
    if (open_text(&c, path, &t))
        r = read_text(t.start, t.len, t.mapped, path, err, err_len);
    close_text(&t);
    return r;
}

struct lbc_report *lbc_reader_open(const char *path)
{
    char err[LBC_ERR_MAX];
    struct lbc_report *r = lbc_reader_load(path, err, sizeof err);
    if (!r)
        fprintf(stderr, "leakbridge: %s: %s\n", path, err);
    return r;
}

/* Loading several reports: two threads take the next path to load. */
struct loader {
    char *const *paths;
    size_t n, next;
    pthread_mutex_t lock;
    struct lbc_report **out;
    char (*errors)[LBC_ERR_MAX];
};

static void *load_some(void *arg)
{
    struct loader *l = arg;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        size_t i = l->next++;
        pthread_mutex_unlock(&l->lock);
        if (i >= l->n)
            return NULL;
        l->out[i] = lbc_reader_load(l->paths[i], l->errors[i], LBC_ERR_MAX);
    }
}

bool lbc_reader_open_all(char *const *paths, size_t n, struct lbc_report **out)
{
    struct loader l = {paths, n, 0, PTHREAD_MUTEX_INITIALIZER, out, calloc(n, LBC_ERR_MAX)};
    pthread_t helper;
    if (!l.errors) {
        fprintf(stderr, "leakbridge: out of memory\n");
        return false;
    }
    bool helped = n > 1 && pthread_create(&helper, NULL, load_some, &l) == 0;
    load_some(&l);
    if (helped)
        pthread_join(helper, NULL);
    size_t bad = 0;
    while (bad < n && out[bad])
        bad++;
    if (bad < n) {
        fprintf(stderr, "leakbridge: %s: %s\n", paths[bad], l.errors[bad]);
        for (size_t i = 0; i < n; i++) {
            lbc_reader_free(out[i]);
            out[i] = NULL;
        }
    }
    free(l.errors);
    return bad == n;
}

void lbc_reader_free(struct lbc_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsites; i++) {
        for (size_t j = 0; j < r->sites[i].nframes; j++)
            json_decref(r->sites[i].frames[j].json);
        free(r->sites[i].frames);
        free(r->sites[i].owners);
    }
    free(r->sites);
    for (size_t i = 0; i < r->memory.nregions; i++)
        free(r->memory.regions[i].parts);
    free(r->memory.regions);
    free(r->memory.findings);
    json_decref(r->root);
    lbc_stream_free(r->stream);
    lbc_strings_free(r->strings);
    free(r);
}

json_t *lbc_reader_frame_json(const struct lbc_frame *f)
{
    if (f->json)
        return json_incref(f->json);
    json_t *out = json_object();
    bool ok = out != NULL;
    /* In the agent's order of members. */
    if (f->type == LBC_FRAME_JAVA) {
        ok = ok && !json_object_set_new(out, "type", json_string("java")) &&
             !json_object_set_new(out, "class", json_string(f->class_name)) &&
             !json_object_set_new(out, "method", json_string(f->method)) &&
             (!f->signature || !json_object_set_new(out, "signature", json_string(f->signature))) &&
             (!f->file || !json_object_set_new(out, "file", json_string(f->file))) &&
             (f->line < 0 || !json_object_set_new(out, "line", json_integer(f->line)));
    } else {
        ok =
            ok && !json_object_set_new(out, "type", json_string("native")) &&
            !json_object_set_new(out, "module", f->module ? json_string(f->module) : json_null()) &&
            !json_object_set_new(out, "symbol", f->symbol ? json_string(f->symbol) : json_null()) &&
            !json_object_set_new(out, "offset", json_string(f->offset)) &&
            (f->symbol_offset < 0 ||
             !json_object_set_new(out, "symbol_offset", json_integer(f->symbol_offset)));
    }
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *lbc_reader_frames_json(const struct lbc_site *s)
{
    json_t *frames = json_array();
    for (size_t i = 0; frames && i < s->nframes; i++)
        if (json_array_append_new(frames, lbc_reader_frame_json(&s->frames[i])) != 0) {
            json_decref(frames);
            frames = NULL;
        }
    return frames;
}
