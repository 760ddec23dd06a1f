#include "report_writer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbridge/atomic_file.h"
#include "ptr_map.h"

/* Buffered output for json_dump_callback. */
enum { WRITER_BUFFER = 1 << 20 };
struct writer {
    struct lb_atomic_file *file;
    int error; /* errno of the failed write, 0 if none */
    lb_report_writer_go_on_fn go_on;
    void *ctx;
    bool abandoned; /* go_on said false */
    size_t used;
    char *buf; /* WRITER_BUFFER bytes */
};

/* Whether the caller still wants the report. */
static bool going_on(struct writer *w)
{
    if (w->go_on && !w->abandoned && !w->go_on(w->ctx))
        w->abandoned = true;
    return !w->abandoned;
}

static int flush(struct writer *w)
{
    if (!going_on(w))
        return -1;
    w->error = lb_atomic_file_write(w->file, w->buf, w->used);
    w->used = 0;
    return w->error ? -1 : 0;
}

static int write_some(const char *text, size_t len, void *data)
{
    struct writer *w = data;
    if (w->used + len > WRITER_BUFFER && flush(w) != 0)
        return -1;
    if (len > WRITER_BUFFER) { /* a string larger than the buffer goes straight through */
        if (!going_on(w))
            return -1;
        w->error = lb_atomic_file_write(w->file, text, len);
        return w->error ? -1 : 0;
    }
    memcpy(w->buf + w->used, text, len);
    w->used += len;
    return 0;
}

/* Serialized frames by object: thousands of sites share the same frame objects (see
 * frame_json.c), so each is turned into text once and then copied. */
struct frame_text {
    size_t len;
    char text[];
};

static void frame_texts_free(struct lb_ptr_map *texts)
{
    for (size_t i = 0; texts->slots && i <= texts->mask; i++)
        free(texts->slots[i].value);
    lb_ptr_map_free(texts);
}

/* The frame's text, or NULL when out of memory. */
static const struct frame_text *frame_text(struct lb_ptr_map *texts, const json_t *frame)
{
    void **cell = lb_ptr_map_put(texts, frame);
    if (!cell || *cell)
        return cell ? *cell : NULL;
    char *text = json_dumps(frame, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = text ? strlen(text) : 0;
    struct frame_text *t = text ? malloc(sizeof *t + len + 1) : NULL;
    if (t) {
        t->len = len;
        memcpy(t->text, text, len + 1);
    }
    free(text);
    return *cell = t;
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

static int emit_frames(struct writer *w, const json_t *frames, struct lb_ptr_map *texts)
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

static int emit_site(struct writer *w, json_t *site, struct lb_ptr_map *texts)
{
    if (!going_on(w) || write_some("{", 1, w))
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
    struct lb_ptr_map texts = {0};
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

bool lb_report_writer_write(json_t *report, const char *path, char *err, size_t err_len)
{
    return lb_report_writer_write_unless(report, path, NULL, NULL, NULL, err, err_len);
}

bool lb_report_writer_write_unless(json_t *report, const char *path,
                                   lb_report_writer_go_on_fn go_on, void *ctx, bool *abandoned,
                                   char *err, size_t err_len)
{
    struct lb_atomic_file file;
    int saved = lb_atomic_file_open(&file, path);
    if (saved) {
        snprintf(err, err_len, "cannot write report to %s: %s", path,
                 saved == ENAMETOOLONG ? "path too long" : strerror(saved));
        return false;
    }
    /* Streamed through a fixed buffer in large writes: json_dumps would grow one string to
     * the whole report (tens of megabytes, copied at each doubling and page-faulted in), and
     * jansson's FILE output makes a library call per token. Compact: a report with 10,000
     * sites is a third the size of an indented one. Shared frames are serialized once. */
    struct writer w = {.file = &file, .go_on = go_on, .ctx = ctx, .buf = malloc(WRITER_BUFFER)};
    int rc = w.buf ? emit_report(&w, report) : -1;
    if (rc == 0)
        rc = flush(&w);
    free(w.buf);
    if (rc != 0) {
        saved = w.abandoned ? ECANCELED : w.error ? w.error : ENOMEM;
        lb_atomic_file_abort(&file);
    } else {
        saved = lb_atomic_file_commit(&file);
    }
    if (abandoned)
        *abandoned = w.abandoned;
    if (saved == ECANCELED && w.abandoned)
        snprintf(err, err_len, "report to %s abandoned", path);
    else if (saved)
        snprintf(err, err_len, "cannot write report to %s: %s", path, strerror(saved));
    return saved == 0;
}
