#include "java_frames.h"

#include "agent.h"
#include "report.h"

#include <pthread.h>
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

/* What a report needs of one method. Looked up once, while the agent runs, and kept: the names
 * of a class unloaded since (a class loader gone with its JNI library) stay known. */
struct method_info {
    jmethodID method;
    bool known;
    char cls[512];
    char name[256];
    char signature[512];
    char file[256];
    jint nlines;
    jvmtiLineNumberEntry *lines; /* JVMTI-allocated, or NULL */
};

/* jmethodID -> pointer, open addressing, grown at half full. The kept methods use one, and
 * each report one for its frame objects. */
struct id_table {
    size_t mask, used;
    struct id_entry {
        jmethodID key;
        void *value;
    } * slots;
};

static size_t id_index(const struct id_table *t, jmethodID key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 20) & t->mask;
    while (t->slots[i].value && t->slots[i].key != key)
        i = (i + 1) & t->mask;
    return i;
}

/* The entry for key: its value, or NULL in a free entry the caller may fill (then count it in
 * used). NULL only when the table cannot grow. */
static struct id_entry *id_entry(struct id_table *t, jmethodID key)
{
    if ((t->used + 1) * 2 > (t->slots ? t->mask + 1 : 0)) {
        struct id_table bigger = {.mask = t->slots ? t->mask * 2 + 1 : 1023, .used = t->used};
        bigger.slots = calloc(bigger.mask + 1, sizeof *bigger.slots);
        if (!bigger.slots)
            return NULL;
        for (size_t i = 0; t->slots && i <= t->mask; i++)
            if (t->slots[i].value)
                bigger.slots[id_index(&bigger, t->slots[i].key)] = t->slots[i];
        free(t->slots);
        *t = bigger;
    }
    struct id_entry *e = &t->slots[id_index(t, key)];
    e->key = key;
    return e;
}

/* The kept methods; entries are never freed (jmethodIDs are not reused). Hooks never use it:
 * only report writers and the dumper thread. */
static struct id_table store;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t remembered_upto; /* sites with a larger id are not in the store yet */

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
    /* The class is a local reference of the calling thread: the dumper thread's frame never
     * returns, so it must not pile up there. */
    JNIEnv *env = NULL;
    if (klass && lb_agent.vm &&
        (*lb_agent.vm)->GetEnv(lb_agent.vm, (void **)&env, JNI_VERSION_1_6) == JNI_OK)
        (*env)->DeleteLocalRef(env, klass);
    release(mname);
    release(msig);
    release(csig);
    release(file);
}

/* The stored method, looked up now if it is new; NULL only when out of memory. */
static struct method_info *stored_locked(jmethodID m)
{
    struct id_entry *e = id_entry(&store, m);
    if (!e || e->value)
        return e ? e->value : NULL;
    struct method_info *mi = calloc(1, sizeof *mi);
    if (!mi)
        return NULL;
    mi->method = m;
    look_up(mi);
    e->value = mi;
    store.used++;
    return mi;
}

static struct method_info *stored(jmethodID m)
{
    pthread_mutex_lock(&store_lock);
    struct method_info *mi = stored_locked(m);
    pthread_mutex_unlock(&store_lock);
    return mi;
}

void lb_java_frames_remember(void)
{
    pthread_mutex_lock(&store_lock);
    struct lb_site *newest = lb_sites_first();
    for (struct lb_site *s = newest; s && s->id > remembered_upto; s = s->all_next)
        for (int i = 0; i < s->nframes; i++)
            if (s->frames[i].type == LB_FRAME_JAVA)
                stored_locked((jmethodID)s->frames[i].id);
    if (newest)
        remembered_upto = newest->id;
    pthread_mutex_unlock(&store_lock);
}

/* One report's frame objects, one per (method, bytecode index): thousands of sites share the
 * same few frames, and jansson lets one object appear in many arrays. */
struct resolved {
    struct method_info *mi;
    struct cached_frame {
        int32_t bci;
        json_t *json;
    } * frames;
    size_t nframes, frames_cap;
};

struct lb_java_resolver {
    struct id_table frames; /* jmethodID -> struct resolved */
};

struct lb_java_resolver *lb_java_resolver_new(void)
{
    return calloc(1, sizeof(struct lb_java_resolver));
}

void lb_java_resolver_free(struct lb_java_resolver *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->frames.slots && i <= r->frames.mask; i++) {
        struct resolved *e = r->frames.slots[i].value;
        for (size_t f = 0; e && f < e->nframes; f++)
            json_decref(e->frames[f].json);
        if (e)
            free(e->frames);
        free(e);
    }
    free(r->frames.slots);
    free(r);
}

static struct resolved *resolved(struct lb_java_resolver *r, jmethodID m)
{
    struct id_entry *slot = id_entry(&r->frames, m);
    if (!slot || slot->value)
        return slot ? slot->value : NULL;
    struct method_info *mi = stored(m);
    struct resolved *e = mi ? calloc(1, sizeof *e) : NULL;
    if (!e)
        return NULL;
    e->mi = mi;
    slot->value = e;
    r->frames.used++;
    return e;
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
    struct resolved *e = resolved(r, (jmethodID)frame->id);
    if (!e)
        return frame_json(NULL, frame);
    for (size_t i = 0; i < e->nframes; i++)
        if (e->frames[i].bci == frame->bci)
            return json_incref(e->frames[i].json);
    json_t *o = frame_json(e->mi, frame);
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
