#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbridge/report_format.h"
#include "sampler.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static int utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xE0 && p[1] < 0xA0) || (n == 3 && p[0] == 0xED && p[1] > 0x9F) ||
        (n == 4 && p[0] == 0xF0 && p[1] < 0x90) || (n == 4 && p[0] == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return n;
}

json_t *lb_json_text(const char *text)
{
    if (!text)
        return json_string("");
    json_t *s = json_string(text);
    if (s)
        return s;
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p;) {
        int n = utf8_length(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
    s = json_string(copy);
    free(copy);
    return s;
}

size_t lb_report_snapshot(struct lb_site_snapshot **out)
{
    size_t cap = lb_sites_count() + 16, n = 0;
    struct lb_site_snapshot *snaps = calloc(cap, sizeof *snaps);
    if (!snaps) {
        *out = NULL;
        return 0;
    }
    for (struct lb_site *s = lb_sites_first(); s && n < cap; s = s->all_next) {
        struct lb_site_snapshot *sn = &snaps[n++];
        sn->site = s;
        uint64_t alloc_fp = atomic_load_explicit(&s->allocated_count_fp, memory_order_relaxed);
        uint64_t freed_fp = atomic_load_explicit(&s->freed_count_fp, memory_order_relaxed);
        sn->allocated_bytes = atomic_load_explicit(&s->allocated_bytes, memory_order_relaxed);
        sn->live_bytes = lb_site_live_left(
            sn->allocated_bytes, atomic_load_explicit(&s->freed_bytes, memory_order_relaxed));
        sn->freed_bytes = sn->allocated_bytes - sn->live_bytes;
        /* Live is rounded once, from the difference, and freed is what remains of allocated. */
        sn->allocated_count = lb_count_round(alloc_fp);
        sn->live_count = lb_count_round(lb_site_live_left(alloc_fp, freed_fp));
        if (sn->live_count > sn->allocated_count)
            sn->live_count = sn->allocated_count;
        sn->freed_count = sn->allocated_count - sn->live_count;
    }
    *out = snaps;
    return n;
}

static int by_live_bytes(const void *a, const void *b)
{
    const struct lb_site_snapshot *x = a, *y = b;
    if (x->live_bytes != y->live_bytes)
        return x->live_bytes > y->live_bytes ? -1 : 1;
    return x->site->id < y->site->id ? -1 : x->site->id > y->site->id;
}

static json_t *amounts(uint64_t live_bytes, uint64_t live_count)
{
    return json_pack("{s:I,s:I}", "live_bytes", (json_int_t)live_bytes, "live_count",
                     (json_int_t)live_count);
}

static json_t *options_json(const struct lb_options *o)
{
    return json_pack("{s:o,s:I,s:I,s:i,s:b,s:b}", "output", lb_json_text(o->output), "sample",
                     (json_int_t)o->sample, "interval_ms", (json_int_t)o->interval_ms, "depth",
                     (int)o->depth, "gc", o->gc, "native", o->native);
}

static json_t *site_json(const struct lb_site_snapshot *sn, lb_report_frame_fn frame_json,
                         void *ctx)
{
    json_t *frames = json_array();
    for (int i = 0; i < sn->site->nframes; i++)
        json_array_append_new(frames, frame_json(ctx, sn->site, &sn->site->frames[i]));
    json_t *site = json_pack(
        "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "id", (json_int_t)sn->site->id, "kind",
        lb_kind_name((enum lb_kind)sn->site->kind), "status", sn->status ? sn->status : "live",
        "live_bytes", (json_int_t)sn->live_bytes, "live_count", (json_int_t)sn->live_count,
        "allocated_bytes", (json_int_t)sn->allocated_bytes, "allocated_count",
        (json_int_t)sn->allocated_count, "freed_count", (json_int_t)sn->freed_count);
    if (!site) {
        json_decref(frames);
        return NULL;
    }
    if (sn->status_rule)
        json_object_set_new(site, "status_rule", json_string(sn->status_rule));
    if (sn->has_growth)
        json_object_set_new(site, "growth",
                            json_pack("{s:I,s:I,s:I}", "bytes", (json_int_t)sn->growth_bytes,
                                      "count", (json_int_t)sn->growth_count, "streak",
                                      (json_int_t)sn->growth_streak));
    if (sn->has_age)
        json_object_set_new(
            site, "age",
            json_pack("{s:I,s:I,s:I,s:I,s:I}", "oldest_ms", (json_int_t)sn->age_oldest_ms, "p50_ms",
                      (json_int_t)sn->age_p50_ms, "p90_ms", (json_int_t)sn->age_p90_ms,
                      "gcs_survived_max", (json_int_t)sn->gcs_survived_max, "gcs_survived_p50",
                      (json_int_t)sn->gcs_survived_p50));
    if (sn->has_released)
        json_object_set_new(site, "gc_released",
                            json_pack("{s:I,s:I}", "bytes", (json_int_t)sn->released_bytes, "count",
                                      (json_int_t)sn->released_count));
    json_object_set_new(site, "frames", frames);
    return site;
}

static void format_utc(time_t t, char *out, size_t len, const char *fmt)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, fmt, &tm);
}

json_t *lb_report_build(const struct lb_report_meta *meta, struct lb_site_snapshot *snaps,
                        size_t nsnaps, lb_report_frame_fn frame_json, void *ctx)
{
    qsort(snaps, nsnaps, sizeof *snaps, by_live_bytes);

    uint64_t live_bytes = 0, live_count = 0, alloc_bytes = 0, alloc_count = 0, freed_count = 0;
    uint64_t kind_bytes[LB_KIND_COUNT] = {0}, kind_count[LB_KIND_COUNT] = {0};
    size_t live_sites = 0;
    json_t *sites = json_array();
    for (size_t i = 0; i < nsnaps; i++) {
        const struct lb_site_snapshot *sn = &snaps[i];
        live_bytes += sn->live_bytes;
        live_count += sn->live_count;
        alloc_bytes += sn->allocated_bytes;
        alloc_count += sn->allocated_count;
        freed_count += sn->freed_count;
        if (sn->site->kind < LB_KIND_COUNT) {
            kind_bytes[sn->site->kind] += sn->live_bytes;
            kind_count[sn->site->kind] += sn->live_count;
        }
        bool live = sn->live_count > 0 || sn->live_bytes > 0;
        if (live)
            live_sites++;
        if (live || (sn->has_released && sn->released_bytes > 0))
            json_array_append_new(sites, site_json(sn, frame_json, ctx));
    }
    json_t *by_kind = json_object();
    for (int k = 0; k < LB_KIND_COUNT; k++)
        json_object_set_new(by_kind, lb_kind_name((enum lb_kind)k),
                            amounts(kind_bytes[k], kind_count[k]));

    char when[32];
    format_utc(meta->wall_time, when, sizeof when, "%Y-%m-%dT%H:%M:%SZ");
    bool estimated = meta->options->sample != 0;
    json_t *report = json_pack("{s:s,s:i,s:I,s:s,s:i,s:s,s:I}", "format", LB_REPORT_FORMAT,
                               "version", LB_REPORT_VERSION, "pid", (json_int_t)meta->pid, "reason",
                               meta->reason, "sequence", (int)meta->sequence, "time", when,
                               "uptime_ms", (json_int_t)meta->uptime_ms);
    if (meta->previous_sequence)
        json_object_set_new(report, "previous_sequence",
                            json_integer((json_int_t)meta->previous_sequence));
    json_object_set_new(report, "jvm",
                        json_pack("{s:o,s:o,s:o}", "version", lb_json_text(meta->jvm_version),
                                  "vendor", lb_json_text(meta->jvm_vendor), "name",
                                  lb_json_text(meta->jvm_name)));
    json_object_set_new(report, "options", options_json(meta->options));
    json_object_set_new(report, "sampling",
                        json_pack("{s:I,s:b}", "mean_bytes", (json_int_t)meta->options->sample,
                                  "estimated", estimated));
    json_t *totals = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "live_bytes",
                               (json_int_t)live_bytes, "live_count", (json_int_t)live_count,
                               "allocated_bytes", (json_int_t)alloc_bytes, "allocated_count",
                               (json_int_t)alloc_count, "freed_count", (json_int_t)freed_count,
                               "sites", (json_int_t)live_sites, "sites_seen", (json_int_t)nsnaps);
    json_object_set_new(totals, "by_kind", by_kind);
    json_object_set_new(report, "totals", totals);
    json_object_set_new(report, "modules", meta->modules ? meta->modules : json_array());
    if (meta->gc)
        json_object_set_new(report, "gc", meta->gc);
    if (meta->agent)
        json_object_set_new(report, "agent", meta->agent);
    json_object_set_new(report, "sites", sites);
    return report;
}

/* Writes all of text; returns 0, or the errno of the failure. */
static int write_all(int fd, const char *text, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        done += (size_t)n;
    }
    return 0;
}

/* Buffered output for json_dump_callback. */
enum { WRITER_BUFFER = 1 << 20 };
struct writer {
    int fd;
    int error; /* errno of the failed write, 0 if none */
    size_t used;
    char *buf; /* WRITER_BUFFER bytes */
};

static int flush(struct writer *w)
{
    w->error = write_all(w->fd, w->buf, w->used);
    w->used = 0;
    return w->error ? -1 : 0;
}

static int write_some(const char *text, size_t len, void *data)
{
    struct writer *w = data;
    if (w->used + len > WRITER_BUFFER && flush(w) != 0)
        return -1;
    if (len > WRITER_BUFFER) { /* a string larger than the buffer goes straight through */
        w->error = write_all(w->fd, text, len);
        return w->error ? -1 : 0;
    }
    memcpy(w->buf + w->used, text, len);
    w->used += len;
    return 0;
}

/* Serialized frames by object: thousands of sites share the same frame objects (see
 * java_frames.c), so each is turned into text once and then copied. */
struct frame_texts {
    size_t mask, used;
    struct frame_text {
        const json_t *frame;
        char *text;
        size_t len;
    } * slots;
};

static void frame_texts_free(struct frame_texts *c)
{
    for (size_t i = 0; c->slots && i <= c->mask; i++)
        free(c->slots[i].text);
    free(c->slots);
}

static struct frame_text *frame_text_slot(struct frame_texts *c, const json_t *frame)
{
    size_t i = ((uintptr_t)frame >> 4) * 0x9E3779B97F4A7C15ull >> 20;
    for (;; i++) {
        struct frame_text *t = &c->slots[i & c->mask];
        if (!t->frame || t->frame == frame)
            return t;
    }
}

/* The frame's text, or NULL when out of memory. */
static const struct frame_text *frame_text(struct frame_texts *c, const json_t *frame)
{
    if (!c->slots || (c->used + 1) * 2 > c->mask + 1) {
        size_t mask = c->slots ? c->mask * 2 + 1 : 4095;
        struct frame_texts bigger = {.mask = mask, .used = c->used};
        bigger.slots = calloc(mask + 1, sizeof *bigger.slots);
        if (!bigger.slots)
            return NULL;
        for (size_t i = 0; c->slots && i <= c->mask; i++)
            if (c->slots[i].frame)
                *frame_text_slot(&bigger, c->slots[i].frame) = c->slots[i];
        free(c->slots);
        *c = bigger;
    }
    struct frame_text *t = frame_text_slot(c, frame);
    if (!t->frame) {
        t->text = json_dumps(frame, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!t->text)
            return NULL;
        t->len = strlen(t->text);
        t->frame = frame;
        c->used++;
    }
    return t;
}

/* Writes "key": — keys are the report's own field names, which need no escaping. */
static int emit_key(struct writer *w, const char *key, bool first)
{
    if ((!first && write_some(",", 1, w)) || write_some("\"", 1, w) ||
        write_some(key, strlen(key), w))
        return -1;
    return write_some("\":", 2, w);
}

static int emit_value(struct writer *w, const json_t *value)
{
    return json_dump_callback(value, write_some, w, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int emit_frames(struct writer *w, const json_t *frames, struct frame_texts *texts)
{
    if (write_some("[", 1, w))
        return -1;
    for (size_t i = 0; i < json_array_size(frames); i++) {
        const struct frame_text *t = frame_text(texts, json_array_get(frames, i));
        if (!t || (i && write_some(",", 1, w)) || write_some(t->text, t->len, w))
            return -1;
    }
    return write_some("]", 1, w);
}

static int emit_site(struct writer *w, json_t *site, struct frame_texts *texts)
{
    if (write_some("{", 1, w))
        return -1;
    bool first = true;
    const char *key;
    json_t *value;
    json_object_foreach(site, key, value)
    {
        if (emit_key(w, key, first))
            return -1;
        first = false;
        int rc = strcmp(key, "frames") == 0 && json_is_array(value) ? emit_frames(w, value, texts)
                                                                    : emit_value(w, value);
        if (rc)
            return -1;
    }
    return write_some("}", 1, w);
}

/* The report as compact JSON, the same text json_dumps would give, written in order. */
static int emit_report(struct writer *w, json_t *report)
{
    struct frame_texts texts = {0};
    int rc = write_some("{", 1, w);
    bool first = true;
    const char *key;
    json_t *value;
    json_object_foreach(report, key, value)
    {
        if (rc || (rc = emit_key(w, key, first)))
            break;
        first = false;
        if (strcmp(key, "sites") || !json_is_array(value)) {
            rc = emit_value(w, value);
            continue;
        }
        rc = write_some("[", 1, w);
        for (size_t i = 0; rc == 0 && i < json_array_size(value); i++) {
            if (i)
                rc = write_some(",", 1, w);
            if (rc == 0)
                rc = emit_site(w, json_array_get(value, i), &texts);
        }
        if (rc == 0)
            rc = write_some("]", 1, w);
    }
    frame_texts_free(&texts);
    return rc ? rc : write_some("}\n", 2, w);
}

bool lb_report_write(json_t *report, const char *path, char *err, size_t err_len)
{
    char tmp[LB_OUTPUT_MAX + 64];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp%ld", dir_len, path, path + dir_len,
                 (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, err_len, "cannot write report to %s: path too long", path);
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, err_len, "cannot write report to %s: %s", path, strerror(errno));
        return false;
    }
    /* Streamed through a fixed buffer in large writes: json_dumps would grow one string to
     * the whole report (tens of megabytes, copied at each doubling and page-faulted in), and
     * jansson's FILE output makes a library call per token. Compact: a report with 10,000
     * sites is a third the size of an indented one. Shared frames are serialized once. */
    struct writer w = {.fd = fd, .buf = malloc(WRITER_BUFFER)};
    int rc = w.buf ? emit_report(&w, report) : -1;
    if (rc == 0)
        rc = flush(&w);
    int saved = rc == 0 ? 0 : w.error ? w.error : ENOMEM;
    free(w.buf);
    if (rc == 0 && fsync(fd) != 0) {
        rc = -1;
        saved = errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        snprintf(err, err_len, "cannot write report to %s: %s", path,
                 saved ? strerror(saved) : "write failed");
        unlink(tmp);
        return false;
    }
    return true;
}
