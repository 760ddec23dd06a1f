#include "frame_json.h"

#include <stdlib.h>

#include "java_names.h"
#include "json_text.h"
#include "ptr_map.h"
#include "symbols.h"

/* One report's frame objects, one per (method, bytecode index): thousands of sites share the
 * same few frames, and jansson lets one object appear in many arrays. */
struct resolved {
    const struct lb_java_method *mi;
    struct cached_frame {
        int32_t bci;
        json_t *json;
    } * frames;
    size_t nframes, frames_cap;
};

struct lb_frame_json {
    struct lb_ptr_map java; /* jmethodID -> struct resolved */
};

struct lb_frame_json *lb_frame_json_new(void)
{
    return calloc(1, sizeof(struct lb_frame_json));
}

void lb_frame_json_free(struct lb_frame_json *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->java.slots && i <= r->java.mask; i++) {
        struct resolved *e = r->java.slots[i].value;
        for (size_t f = 0; e && f < e->nframes; f++)
            json_decref(e->frames[f].json);
        if (e)
            free(e->frames);
        free(e);
    }
    lb_ptr_map_free(&r->java);
    free(r);
}

static struct resolved *resolved(struct lb_frame_json *r, jmethodID m)
{
    void **cell = lb_ptr_map_put(&r->java, m);
    if (!cell || *cell)
        return cell ? *cell : NULL;
    const struct lb_java_method *mi = lb_java_names_get(m);
    struct resolved *e = mi ? calloc(1, sizeof *e) : NULL;
    if (!e)
        return NULL;
    e->mi = mi;
    return *cell = e;
}

static json_t *java_frame(const struct lb_java_method *mi, const struct lb_frame *frame)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("java"));
    if (!mi || !mi->known) {
        json_object_set_new(o, "class", json_string("<unknown>"));
        json_object_set_new(o, "method", json_string("<unknown>"));
        return o;
    }
    json_object_set_new(o, "class", lb_json_text(mi->cls));
    json_object_set_new(o, "method", lb_json_text(mi->name));
    json_object_set_new(o, "signature", lb_json_text(mi->signature));
    if (mi->file[0])
        json_object_set_new(o, "file", lb_json_text(mi->file));
    int line = frame->bci >= 0 ? lb_java_names_line(mi, frame->bci) : -1;
    if (line >= 0)
        json_object_set_new(o, "line", json_integer(line));
    return o;
}

static json_t *java_frame_shared(struct lb_frame_json *r, const struct lb_frame *frame)
{
    struct resolved *e = resolved(r, (jmethodID)frame->id);
    if (!e)
        return java_frame(NULL, frame);
    for (size_t i = 0; i < e->nframes; i++)
        if (e->frames[i].bci == frame->bci)
            return json_incref(e->frames[i].json);
    json_t *o = java_frame(e->mi, frame);
    if (o && e->nframes == e->frames_cap) {
        size_t cap = e->frames_cap ? e->frames_cap * 2 : 4;
        struct cached_frame *more = realloc(e->frames, cap * sizeof *more);
        if (!more)
            return o;
        e->frames = more;
        e->frames_cap = cap;
    }
    if (o)
        e->frames[e->nframes++] = (struct cached_frame){frame->bci, json_incref(o)};
    return o;
}

json_t *lb_frame_json_get(void *resolver, const struct lb_site *site, const struct lb_frame *frame)
{
    if (frame->type == LB_FRAME_MARKER) /* a native frame of no module (report-format.md) */
        return json_pack("{s:s,s:n,s:s,s:s}", "type", "native", "module", "symbol",
                         "[stack too small to walk]", "offset", "0x0");
    if (frame->type == LB_FRAME_JAVA)
        return java_frame_shared(resolver, frame);
    return lb_symbols_frame_json(frame, site->module_gen);
}
