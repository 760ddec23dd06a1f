#include "java_frames.h"

#include "report.h"

#include <stdlib.h>
#include <string.h>

static jvmtiEnv *jvmti;

void lb_java_frames_init(jvmtiEnv *env)
{
    jvmti = env;
}

/* "Ljava/nio/DirectByteBuffer;" -> "java.nio.DirectByteBuffer" */
static void dotted(const char *sig, char *out, size_t len)
{
    size_t n = strlen(sig);
    if (n >= 2 && sig[0] == 'L' && sig[n - 1] == ';') {
        sig++;
        n -= 2;
    }
    if (n >= len)
        n = len - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = sig[i] == '/' ? '.' : sig[i];
    out[n] = '\0';
}

static void copy_str(char *out, size_t len, const char *s)
{
    snprintf(out, len, "%s", s ? s : "");
}

static void release(void *p)
{
    if (p)
        (*jvmti)->Deallocate(jvmti, (unsigned char *)p);
}

bool lb_java_method_name(jmethodID method, char *cls, size_t cls_len, char *name, size_t name_len)
{
    char *mname = NULL, *csig = NULL;
    jclass klass = NULL;
    bool ok = (*jvmti)->GetMethodName(jvmti, method, &mname, NULL, NULL) == JVMTI_ERROR_NONE &&
              (*jvmti)->GetMethodDeclaringClass(jvmti, method, &klass) == JVMTI_ERROR_NONE &&
              (*jvmti)->GetClassSignature(jvmti, klass, &csig, NULL) == JVMTI_ERROR_NONE;
    if (ok) {
        dotted(csig, cls, cls_len);
        copy_str(name, name_len, mname);
    }
    release(mname);
    release(csig);
    return ok;
}

enum lb_kind lb_java_classify(enum lb_origin origin, const struct lb_frame *frames, int nframes)
{
    if (origin == LB_ORIGIN_MALLOC)
        return LB_KIND_MALLOC;
    if (origin == LB_ORIGIN_MMAP)
        return LB_KIND_MMAP;
    for (int i = 0; i < nframes; i++) {
        char cls[256], name[64];
        if (frames[i].type == LB_FRAME_JAVA &&
            lb_java_method_name((jmethodID)frames[i].id, cls, sizeof cls, name, sizeof name) &&
            strcmp(name, "<init>") == 0 && strcmp(cls, "java.nio.DirectByteBuffer") == 0)
            return LB_KIND_DIRECT_BUFFER;
    }
    return LB_KIND_UNSAFE;
}

/* What a report needs of one method, looked up once per report. */
struct method_info {
    jmethodID method;
    bool known;
    char cls[512];
    char name[256];
    char signature[512];
    char file[256];
    jint nlines;
    jvmtiLineNumberEntry *lines; /* JVMTI-allocated, or NULL */
    /* The frame objects made so far, one per bytecode index: thousands of sites share the
     * same few frames, and jansson lets one object appear in many arrays. */
    struct cached_frame {
        int32_t bci;
        json_t *json;
    } * frames;
    size_t nframes, frames_cap;
};

struct lb_java_resolver {
    size_t mask;
    size_t used;
    struct method_info **slots;
};

struct lb_java_resolver *lb_java_resolver_new(void)
{
    struct lb_java_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->mask = 1023;
    r->slots = calloc(r->mask + 1, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    return r;
}

void lb_java_resolver_free(struct lb_java_resolver *r)
{
    if (!r)
        return;
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            release(r->slots[i]->lines);
            for (size_t f = 0; f < r->slots[i]->nframes; f++)
                json_decref(r->slots[i]->frames[f].json);
            free(r->slots[i]->frames);
            free(r->slots[i]);
        }
    }
    free(r->slots);
    free(r);
}

static size_t slot_of(const struct lb_java_resolver *r, jmethodID m)
{
    uint64_t h = (uint64_t)(uintptr_t)m * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 20) & r->mask;
    while (r->slots[i] && r->slots[i]->method != m)
        i = (i + 1) & r->mask;
    return i;
}

static bool grow(struct lb_java_resolver *r)
{
    struct lb_java_resolver bigger = {.mask = r->mask * 2 + 1};
    bigger.slots = calloc(bigger.mask + 1, sizeof *bigger.slots);
    if (!bigger.slots)
        return false;
    for (size_t i = 0; i <= r->mask; i++)
        if (r->slots[i])
            bigger.slots[slot_of(&bigger, r->slots[i]->method)] = r->slots[i];
    free(r->slots);
    r->slots = bigger.slots;
    r->mask = bigger.mask;
    return true;
}

static void look_up(struct method_info *mi)
{
    char *mname = NULL, *msig = NULL, *csig = NULL, *file = NULL;
    jclass klass = NULL;
    mi->known =
        (*jvmti)->GetMethodName(jvmti, mi->method, &mname, &msig, NULL) == JVMTI_ERROR_NONE &&
        (*jvmti)->GetMethodDeclaringClass(jvmti, mi->method, &klass) == JVMTI_ERROR_NONE &&
        (*jvmti)->GetClassSignature(jvmti, klass, &csig, NULL) == JVMTI_ERROR_NONE;
    if (mi->known) {
        dotted(csig, mi->cls, sizeof mi->cls);
        copy_str(mi->name, sizeof mi->name, mname);
        copy_str(mi->signature, sizeof mi->signature, msig);
        if ((*jvmti)->GetSourceFileName(jvmti, klass, &file) == JVMTI_ERROR_NONE)
            copy_str(mi->file, sizeof mi->file, file);
        if ((*jvmti)->GetLineNumberTable(jvmti, mi->method, &mi->nlines, &mi->lines) !=
            JVMTI_ERROR_NONE) {
            mi->nlines = 0;
            mi->lines = NULL;
        }
    }
    release(mname);
    release(msig);
    release(csig);
    release(file);
}

static struct method_info *method_info(struct lb_java_resolver *r, jmethodID m)
{
    size_t i = slot_of(r, m);
    if (r->slots[i])
        return r->slots[i];
    if ((r->used + 1) * 2 > r->mask + 1) {
        if (!grow(r))
            return NULL;
        i = slot_of(r, m);
    }
    struct method_info *mi = calloc(1, sizeof *mi);
    if (!mi)
        return NULL;
    mi->method = m;
    look_up(mi);
    r->slots[i] = mi;
    r->used++;
    return mi;
}

/* The line of the last line-table entry that starts at or before bci. */
static jint line_of(const struct method_info *mi, int32_t bci)
{
    jint line = -1;
    jlocation best = -1;
    for (jint i = 0; i < mi->nlines; i++) {
        if (mi->lines[i].start_location <= bci && mi->lines[i].start_location > best) {
            best = mi->lines[i].start_location;
            line = mi->lines[i].line_number;
        }
    }
    return line;
}

static json_t *frame_json(const struct method_info *mi, const struct lb_frame *frame)
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
    jint line = frame->bci >= 0 ? line_of(mi, frame->bci) : -1;
    if (line >= 0)
        json_object_set_new(o, "line", json_integer(line));
    return o;
}

json_t *lb_java_resolver_frame(struct lb_java_resolver *r, const struct lb_frame *frame)
{
    struct method_info *mi = method_info(r, (jmethodID)frame->id);
    if (!mi)
        return frame_json(NULL, frame);
    for (size_t i = 0; i < mi->nframes; i++)
        if (mi->frames[i].bci == frame->bci)
            return json_incref(mi->frames[i].json);
    json_t *o = frame_json(mi, frame);
    if (o && mi->nframes == mi->frames_cap) {
        size_t cap = mi->frames_cap ? mi->frames_cap * 2 : 4;
        struct cached_frame *more = realloc(mi->frames, cap * sizeof *more);
        if (!more)
            return o;
        mi->frames = more;
        mi->frames_cap = cap;
    }
    if (o)
        mi->frames[mi->nframes++] = (struct cached_frame){frame->bci, json_incref(o)};
    return o;
}
