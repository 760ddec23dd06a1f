#include "report_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Where the check is in the document, for messages: "sites[3].frames[0]". */
#define WHERE_MAX 64

struct ctx {
    char *err;
    size_t err_len;
};

__attribute__((format(printf, 2, 3))) static bool fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_len, fmt, ap);
    va_end(ap);
    return false;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static const char *dot(const char *where)
{
    return where[0] ? "." : "";
}

/* The member key of obj; NULL if absent. Fails if it is absent and required. */
static bool member(struct ctx *c, json_t *obj, const char *where, const char *key, bool required,
                   json_t **out)
{
    *out = json_object_get(obj, key);
    if (!*out && required)
        return fail(c, "%s%s%s: missing", where, dot(where), key);
    return true;
}

static bool get_object(struct ctx *c, json_t *obj, const char *where, const char *key,
                       bool required, json_t **out)
{
    if (!member(c, obj, where, key, required, out))
        return false;
    if (*out && !json_is_object(*out))
        return fail(c, "%s%s%s: expected an object, found %s", where, dot(where), key,
                    type_name(*out));
    return true;
}

/* A string member; *out stays NULL when the member is absent (and optional) or, if nullable,
 * null. */
static bool get_string(struct ctx *c, json_t *obj, const char *where, const char *key,
                       bool required, bool nullable, const char **out)
{
    json_t *v;
    *out = NULL;
    if (!member(c, obj, where, key, required, &v))
        return false;
    if (!v || (nullable && json_is_null(v)))
        return true;
    if (!json_is_string(v))
        return fail(c, "%s%s%s: expected a string%s, found %s", where, dot(where), key,
                    nullable ? " or null" : "", type_name(v));
    *out = json_string_value(v);
    return true;
}

static bool get_int(struct ctx *c, json_t *obj, const char *where, const char *key, bool required,
                    int64_t min, int64_t *out)
{
    json_t *v;
    if (!member(c, obj, where, key, required, &v))
        return false;
    if (!v)
        return true;
    if (!json_is_integer(v))
        return fail(c, "%s%s%s: expected an integer, found %s", where, dot(where), key,
                    type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < min)
        return fail(c, "%s%s%s: %lld is below the least allowed value %lld", where, dot(where), key,
                    (long long)n, (long long)min);
    *out = (int64_t)n;
    return true;
}

static bool get_bool(struct ctx *c, json_t *obj, const char *where, const char *key, bool *out)
{
    json_t *v;
    if (!member(c, obj, where, key, true, &v))
        return false;
    if (!json_is_boolean(v))
        return fail(c, "%s%s%s: expected true or false, found %s", where, dot(where), key,
                    type_name(v));
    *out = json_is_true(v);
    return true;
}

static bool is_hex(const char *s)
{
    if (s[0] != '0' || s[1] != 'x' || !s[2])
        return false;
    return strspn(s + 2, "0123456789abcdefABCDEF") == strlen(s + 2);
}

static bool read_frame(struct ctx *c, json_t *f, const char *where, struct lbc_frame *out)
{
    out->line = -1;
    out->symbol_offset = -1;
    if (!json_is_object(f))
        return fail(c, "%s: expected an object, found %s", where, type_name(f));
    if (!get_string(c, f, where, "type", true, false, &out->type_name))
        return false;
    if (strcmp(out->type_name, "java") == 0) {
        out->type = LBC_FRAME_JAVA;
        return get_string(c, f, where, "class", true, false, &out->class_name) &&
               get_string(c, f, where, "method", true, false, &out->method) &&
               get_string(c, f, where, "signature", false, false, &out->signature) &&
               get_string(c, f, where, "file", false, false, &out->file) &&
               get_int(c, f, where, "line", false, 0, &out->line);
    }
    if (strcmp(out->type_name, "native") == 0) {
        out->type = LBC_FRAME_NATIVE;
        if (!get_string(c, f, where, "module", true, true, &out->module) ||
            !get_string(c, f, where, "symbol", true, true, &out->symbol) ||
            !get_string(c, f, where, "offset", true, false, &out->offset) ||
            !get_int(c, f, where, "symbol_offset", false, 0, &out->symbol_offset))
            return false;
        if (!is_hex(out->offset))
            return fail(c, "%s.offset: expected a hex string such as \"0x3f2a1\"", where);
        return true;
    }
    /* A frame type of a later version: kept, and printed as its type. */
    out->type = LBC_FRAME_OTHER;
    return true;
}

static bool add(struct ctx *c, const char *what, int64_t *sum, int64_t v)
{
    if (__builtin_add_overflow(*sum, v, sum))
        return fail(c, "the sum of the sites' %s does not fit in 64 bits", what);
    return true;
}

static bool read_site(struct ctx *c, json_t *s, size_t index, struct lbc_site *out)
{
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "sites[%zu]", index);
    out->json = s;
    out->inputs = 1;
    if (!json_is_object(s))
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

    json_t *obj;
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

    json_t *frames;
    if (!member(c, s, where, "frames", true, &frames))
        return false;
    if (!json_is_array(frames))
        return fail(c, "%s.frames: expected an array, found %s", where, type_name(frames));
    out->nframes = json_array_size(frames);
    if (out->nframes > LBC_FRAMES_MAX)
        return fail(c, "%s.frames: %zu frames, more than the %d a stack can have", where,
                    out->nframes, LBC_FRAMES_MAX);
    if (out->nframes) {
        out->frames = calloc(out->nframes, sizeof *out->frames);
        if (!out->frames)
            return fail(c, "out of memory reading %s", where);
    }
    for (size_t i = 0; i < out->nframes; i++) {
        snprintf(sub, sizeof sub, "%s.frames[%zu]", where, i);
        if (!read_frame(c, json_array_get(frames, i), sub, &out->frames[i]))
            return false;
    }
    return true;
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
static const char *jvm_base(json_t *modules)
{
    size_t i;
    json_t *m;
    json_array_foreach(modules, i, m)
    {
        const char *path = json_string_value(json_object_get(m, "path"));
        const char *base = json_string_value(json_object_get(m, "base"));
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
    json_t *w;
    if (!get_object(c, r->root, "", "leak_window", false, &w))
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
static bool get_figure(struct ctx *c, json_t *obj, const char *where, const char *key, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    *out = -1;
    if (!v || json_is_null(v))
        return true;
    return get_int(c, obj, where, key, false, 0, out);
}

/* The array obj.key (required or not), at most LBC_MEMORY_ITEMS_MAX long, and room for its
 * items; *items stays NULL when it is absent or empty. */
static bool get_items(struct ctx *c, json_t *obj, const char *where, const char *key, bool required,
                      size_t size, json_t **array, size_t *n, void **items)
{
    *n = 0;
    *items = NULL;
    if (!member(c, obj, where, key, required, array))
        return false;
    if (!*array)
        return true;
    if (!json_is_array(*array))
        return fail(c, "%s%s%s: expected an array, found %s", where, dot(where), key,
                    type_name(*array));
    size_t count = json_array_size(*array);
    if (count > LBC_MEMORY_ITEMS_MAX)
        return fail(c, "%s%s%s: %zu items, more than the %d this leakbridge reads", where,
                    dot(where), key, count, LBC_MEMORY_ITEMS_MAX);
    if (count && !(*items = calloc(count, size)))
        return fail(c, "out of memory reading %s%s%s", where, dot(where), key);
    *n = count; /* only with the items allocated: the report is freed by its counts */
    return true;
}

static bool read_region(struct ctx *c, json_t *v, size_t index, struct lbc_region *out)
{
    char where[WHERE_MAX], sub[WHERE_MAX * 2];
    const char *method;
    json_t *parts;
    void *items = NULL;
    snprintf(where, sizeof where, "memory.regions[%zu]", index);
    out->json = v;
    if (!json_is_object(v))
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
    for (size_t i = 0; i < out->nparts; i++) {
        json_t *p = json_array_get(parts, i);
        snprintf(sub, sizeof sub, "%s.parts[%zu]", where, i);
        if (!json_is_object(p))
            return fail(c, "%s: expected an object, found %s", sub, type_name(p));
        if (!get_string(c, p, sub, "name", true, false, &out->parts[i].name) ||
            !get_int(c, p, sub, "rss_bytes", true, 0, &out->parts[i].rss_bytes))
            return false;
    }
    return true;
}

static bool read_finding(struct ctx *c, json_t *v, size_t index, struct lbc_finding *out)
{
    char where[WHERE_MAX];
    json_t *figures;
    snprintf(where, sizeof where, "memory.findings[%zu]", index);
    out->json = v;
    out->inputs = 1;
    if (!json_is_object(v))
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
    json_t *obj, *regions, *findings;
    void *region_items = NULL, *finding_items = NULL;
    if (!get_object(c, r->root, "", "memory", false, &obj))
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
    for (size_t i = 0; i < m->nregions; i++) {
        struct lbc_region *g = &m->regions[i];
        if (!read_region(c, json_array_get(regions, i), i, g))
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
    for (size_t i = 0; i < m->nfindings; i++)
        if (!read_finding(c, json_array_get(findings, i), i, &m->findings[i]))
            return false;
    return true;
}

/* The optional memory_limit: the cgroup's limit and usage. */
static bool read_memory_limit(struct ctx *c, struct lbc_report *r)
{
    struct lbc_memory_limit *l = &r->memory_limit;
    json_t *obj;
    *l = (struct lbc_memory_limit){-1, -1, -1, -1};
    if (!get_object(c, r->root, "", "memory_limit", false, &obj))
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
    json_t *root = r->root, *v, *obj;
    if (!json_is_object(root))
        return fail(c, "not a leakbridge report: the document is %s, not an object",
                    type_name(root));
    const char *format;
    if (!get_string(c, root, "", "format", false, false, &format))
        return false;
    if (!format)
        return fail(c, "not a leakbridge report: no \"format\" field");
    if (strcmp(format, "leakbridge-report") != 0)
        return fail(c, "not a leakbridge report: format is \"%.60s\"", format);
    v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        if (json_is_integer(v))
            return fail(c, "report format version %lld; this leakbridge reads version 1",
                        (long long)json_integer_value(v));
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
    if (!json_is_array(v))
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

static bool read_report(struct ctx *c, struct lbc_report *r)
{
    if (!read_header(c, r))
        return false;
    json_t *sites;
    if (!member(c, r->root, "", "sites", true, &sites))
        return false;
    if (!json_is_array(sites))
        return fail(c, "sites: expected an array, found %s", type_name(sites));
    r->nsites = json_array_size(sites);
    if (r->nsites) {
        r->sites = calloc(r->nsites, sizeof *r->sites);
        if (!r->sites)
            return fail(c, "out of memory for %zu sites", r->nsites);
    }
    for (size_t i = 0; i < r->nsites; i++) {
        struct lbc_site *s = &r->sites[i];
        if (!read_site(c, json_array_get(sites, i), i, s) ||
            !add(c, "live_bytes", &r->live_bytes, s->live_bytes) ||
            !add(c, "live_count", &r->live_count, s->live_count))
            return false;
    }
    return true;
}

struct lbc_report *lbc_reader_from_json(json_t *root, const char *path, char *err, size_t err_len)
{
    struct ctx c = {err, err_len};
    struct lbc_report *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(root);
        fail(&c, "out of memory");
        return NULL;
    }
    r->root = root;
    r->path = path;
    if (!read_report(&c, r)) {
        lbc_reader_free(r);
        return NULL;
    }
    return r;
}

struct lbc_report *lbc_reader_load(const char *path, char *err, size_t err_len)
{
    json_error_t e;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        struct ctx c = {err, err_len};
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            fail(&c, "is a directory, not a report");
        else if (e.line < 0)
            fail(&c, "%s", e.text);
        else if (stat(path, &st) == 0 && st.st_size == 0)
            fail(&c, "the file is empty");
        else if (json_error_code(&e) == json_error_premature_end_of_input)
            fail(&c, "truncated: the JSON ends early (line %d)", e.line);
        else
            fail(&c, "not valid JSON: %s at line %d, column %d", e.text, e.line, e.column);
        return NULL;
    }
    return lbc_reader_from_json(root, path, err, err_len);
}

struct lbc_report *lbc_reader_open(const char *path)
{
    char err[LBC_ERR_MAX];
    struct lbc_report *r = lbc_reader_load(path, err, sizeof err);
    if (!r)
        fprintf(stderr, "leakbridge: %s: %s\n", path, err);
    return r;
}

void lbc_reader_free(struct lbc_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsites; i++)
        free(r->sites[i].frames);
    free(r->sites);
    for (size_t i = 0; i < r->memory.nregions; i++)
        free(r->memory.regions[i].parts);
    free(r->memory.regions);
    free(r->memory.findings);
    json_decref(r->root);
    free(r);
}
