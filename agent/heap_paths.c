#include "heap_paths.h"

#include <jvmti.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"
#include "runtime.h"

#define NONE UINT32_MAX
/* A node's rank: its depth, with BEHIND set when its path passes through a PhantomReference (a
 * Cleaner, which only cleans up): every path without one is preferred to every path with one,
 * so that an object both a Cleaner and the application hold is shown as the application holds
 * it. DEPTH_INF: not reached. */
#define BEHIND (1u << 23)
#define DEPTH_MASK (BEHIND - 1)
#define DEPTH_INF 0xFFFFFFu
/* The JVM's tag map entry per tagged object, estimated: a hash table entry with its weak
 * handle and tag, its malloc header and the handle's slot (docs/performance.md, Owners). */
#define TAG_COST 64
/* Walks from the roots: the first, then more while they shorten paths and time is left. */
#define MAX_PASSES 8
/* Objects holding one address that the walk keeps: the shallowest wins at the end. */
#define CANDIDATES 4
/* A path longer than this many steps keeps its first and last ones. */
#define STEPS_SHOWN 40
/* In walk.referent: the class is a PhantomReference, which only cleaning up uses. */
#define PHANTOM 0x80000000u

/* One visited object: how it was reached first (its parent and the reference's kind and index,
 * or the root it hangs from) and its class (a pretagged class's node). 16 bytes. */
struct node {
    uint32_t parent; /* NONE: a root references it (edge indexes roots) */
    uint32_t edge;   /* field, array or constant pool index; for a root, its index in roots */
    uint32_t meta;   /* depth << 8 | the reference's jvmtiHeapReferenceKind */
    uint32_t cls;    /* node of the object's class, or NONE */
};

struct root {
    jvmtiHeapReferenceKind kind;
    jint depth, slot;
    jlong thread_tag;
    jmethodID method;
};

struct candidate {
    uint32_t node; /* NONE: none */
    uint32_t field;
    jvmtiHeapReferenceKind kind; /* FIELD or STATIC_FIELD */
};

enum stop { GOING, STOP_TIME, STOP_MEMORY };

struct walk {
    struct node *nodes;
    size_t nnodes, max_nodes;
    struct root *roots;
    size_t nroots;
    size_t map_bytes; /* each of the two mappings */
    uint64_t budget_bytes;
    const struct lb_heap_owner *owners;
    size_t nowners;
    struct candidate (*cands)[CANDIDATES];
    uint32_t *unreachable_cls; /* node of the holder's class + 1, or 0 */
    uint64_t deadline_ms;      /* 0: none */
    const _Atomic bool *give_way;
    unsigned long calls;
    enum stop stop;
    uint64_t improved;
    uint32_t nclasses, nthreads;
    /* Per class: 1 + the field index of java.lang.ref.Reference.referent in its instances, or
     * 0 for a class that is no Reference; PHANTOM set for a PhantomReference (a Cleaner). The JVM
     * reports a referent as a field like any other; the walk does not follow it, since it keeps
     * nothing alive (a direct buffer's Cleaner refers to its buffer so). */
    uint32_t *referent;
};

static inline uint32_t rank_of(const struct node *n)
{
    return n->meta >> 8;
}

static size_t used_bytes(const struct walk *w)
{
    return w->nnodes * (sizeof(struct node) + TAG_COST) + w->nroots * sizeof(struct root) +
           w->nowners * (sizeof *w->cands + sizeof(uint32_t));
}

static bool out_of_time(struct walk *w)
{
    if (w->stop)
        return true;
    if ((++w->calls & 4095) == 0 &&
        ((w->deadline_ms && lb_clock_ms() >= w->deadline_ms) ||
         (w->give_way && atomic_load_explicit(w->give_way, memory_order_relaxed))))
        w->stop = STOP_TIME;
    return w->stop != GOING;
}

static uint32_t node_of(struct walk *w, jlong *tag_ptr, jlong class_tag)
{
    if (*tag_ptr > 0 && (uint64_t)*tag_ptr <= w->nnodes) {
        struct node *n = &w->nodes[*tag_ptr - 1];
        if (n->cls == NONE && class_tag > 0)
            n->cls = (uint32_t)(class_tag - 1);
        return (uint32_t)(*tag_ptr - 1);
    }
    if (w->nnodes == w->max_nodes ||
        (w->budget_bytes && used_bytes(w) + sizeof(struct node) + TAG_COST > w->budget_bytes)) {
        w->stop = STOP_MEMORY;
        return NONE;
    }
    uint32_t i = (uint32_t)w->nnodes++;
    w->nodes[i] =
        (struct node){NONE, 0, DEPTH_INF << 8, class_tag > 0 ? (uint32_t)(class_tag - 1) : NONE};
    *tag_ptr = (jlong)i + 1;
    return i;
}

static uint32_t edge_index(jvmtiHeapReferenceKind kind, const jvmtiHeapReferenceInfo *info)
{
    switch (kind) {
    case JVMTI_HEAP_REFERENCE_FIELD:
    case JVMTI_HEAP_REFERENCE_STATIC_FIELD:
        return (uint32_t)info->field.index;
    case JVMTI_HEAP_REFERENCE_ARRAY_ELEMENT:
        return (uint32_t)info->array.index;
    case JVMTI_HEAP_REFERENCE_CONSTANT_POOL:
        return (uint32_t)info->constant_pool.index;
    default:
        return 0;
    }
}

/* Every reference the walk follows, roots included; runs in the VM operation (every Java
 * thread stopped): it touches only the walk's memory. */
static jint JNICALL on_reference(jvmtiHeapReferenceKind kind, const jvmtiHeapReferenceInfo *info,
                                 jlong class_tag, jlong referrer_class_tag, jlong size,
                                 jlong *tag_ptr, jlong *referrer_tag_ptr, jint length,
                                 void *user_data)
{
    (void)size;
    (void)length;
    struct walk *w = user_data;
    if (out_of_time(w))
        return JVMTI_VISIT_ABORT;
    if (kind == JVMTI_HEAP_REFERENCE_FIELD && referrer_class_tag > 0 &&
        (uint64_t)referrer_class_tag <= w->nclasses &&
        (w->referent[referrer_class_tag - 1] & ~PHANTOM) == (uint32_t)info->field.index + 1)
        return 0; /* a weak, soft, phantom or final reference's referent: not followed */
    uint32_t n = node_of(w, tag_ptr, class_tag);
    if (n == NONE)
        return JVMTI_VISIT_ABORT;
    struct node *node = &w->nodes[n];
    uint32_t depth, parent, edge;
    if (!referrer_tag_ptr) { /* a root */
        if (rank_of(node) == 0)
            return JVMTI_VISIT_OBJECTS;
        if (w->budget_bytes && used_bytes(w) + sizeof(struct root) > w->budget_bytes) {
            w->stop = STOP_MEMORY;
            return JVMTI_VISIT_ABORT;
        }
        struct root r = {.kind = kind};
        if (kind == JVMTI_HEAP_REFERENCE_STACK_LOCAL) {
            r.thread_tag = info->stack_local.thread_tag;
            r.method = info->stack_local.method;
            r.depth = info->stack_local.depth;
            r.slot = info->stack_local.slot;
        } else if (kind == JVMTI_HEAP_REFERENCE_JNI_LOCAL) {
            r.thread_tag = info->jni_local.thread_tag;
            r.method = info->jni_local.method;
            r.depth = info->jni_local.depth;
            r.slot = -1;
        }
        w->roots[w->nroots] = r;
        depth = 0;
        parent = NONE;
        edge = (uint32_t)w->nroots++;
    } else {
        jlong rt = *referrer_tag_ptr;
        if (rt <= 0 || (uint64_t)rt > w->nnodes)
            return JVMTI_VISIT_OBJECTS;
        uint32_t r = rank_of(&w->nodes[rt - 1]);
        if (r == DEPTH_INF || (r & DEPTH_MASK) + 1 >= DEPTH_MASK)
            return JVMTI_VISIT_OBJECTS;
        bool phantom = (r & BEHIND) ||
                       (referrer_class_tag > 0 && (uint64_t)referrer_class_tag <= w->nclasses &&
                        (w->referent[referrer_class_tag - 1] & PHANTOM));
        depth = (phantom ? BEHIND : 0) | ((r & DEPTH_MASK) + 1);
        parent = (uint32_t)(rt - 1);
        edge = edge_index(kind, info);
    }
    if (depth < rank_of(node)) {
        if (rank_of(node) != DEPTH_INF)
            w->improved++; /* a shorter path to an object reached before */
        node->parent = parent;
        node->edge = edge;
        node->meta = depth << 8 | ((uint32_t)kind & 0xFF);
    }
    return JVMTI_VISIT_OBJECTS;
}

static size_t find_addr(const struct walk *w, uint64_t v)
{
    size_t lo = 0, hi = w->nowners;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->owners[mid].addr < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->nowners && w->owners[lo].addr == v ? lo : SIZE_MAX;
}

/* Every primitive field of every visited object: a long equal to a block's address makes the
 * object a holder of the block. Untagged objects come only from the unreachable pass. */
static jint JNICALL on_primitive(jvmtiHeapReferenceKind kind, const jvmtiHeapReferenceInfo *info,
                                 jlong object_class_tag, jlong *object_tag_ptr, jvalue value,
                                 jvmtiPrimitiveType value_type, void *user_data)
{
    struct walk *w = user_data;
    if (out_of_time(w))
        return JVMTI_VISIT_ABORT;
    if (value_type != JVMTI_PRIMITIVE_TYPE_LONG || value.j == 0 ||
        (kind != JVMTI_HEAP_REFERENCE_FIELD && kind != JVMTI_HEAP_REFERENCE_STATIC_FIELD))
        return 0;
    size_t t = find_addr(w, (uint64_t)value.j);
    if (t == SIZE_MAX)
        return 0;
    if (*object_tag_ptr == 0) {
        if (!w->unreachable_cls[t])
            w->unreachable_cls[t] = object_class_tag > 0 ? (uint32_t)object_class_tag : NONE;
        return 0;
    }
    if ((uint64_t)*object_tag_ptr > w->nnodes)
        return 0;
    uint32_t n = (uint32_t)(*object_tag_ptr - 1);
    for (int c = 0; c < CANDIDATES; c++) {
        struct candidate *cand = &w->cands[t][c];
        if (cand->node == n)
            break;
        if (cand->node == NONE) {
            *cand = (struct candidate){n, (uint32_t)info->field.index, kind};
            break;
        }
    }
    return 0;
}

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- names, after the walk (JNI and JVMTI calls allowed) ---- */

struct names {
    jvmtiEnv *jvmti;
    JNIEnv *jni;
    jclass *classes;
    jint nclasses;
    jthread *threads;
    jint nthreads;
    char **class_names;        /* per class, lazily */
    struct field_list *fields; /* per class, lazily */
};

struct field_list {
    bool done;
    int first; /* index of names[0] */
    int count;
    char **names;
};

static char *copy(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* "Ljava/util/ArrayList;" -> "java.util.ArrayList", "[I" -> "int[]". */
static char *java_name(const char *sig)
{
    int dims = 0;
    while (sig[dims] == '[')
        dims++;
    const char *base = sig + dims;
    static const char *const prims[][2] = {{"Z", "boolean"}, {"B", "byte"},  {"C", "char"},
                                           {"S", "short"},   {"I", "int"},   {"J", "long"},
                                           {"F", "float"},   {"D", "double"}};
    const char *name = base;
    size_t len = strlen(base);
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (strcmp(base, prims[i][0]) == 0) {
            name = prims[i][1];
            len = strlen(name);
        }
    if (base[0] == 'L' && len >= 2 && base[len - 1] == ';') {
        name = base + 1;
        len -= 2;
    }
    char *out = malloc(len + 2 * (size_t)dims + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++)
        out[i] = name[i] == '/' ? '.' : name[i];
    for (int d = 0; d < dims; d++)
        memcpy(out + len + 2 * (size_t)d, "[]", 2);
    out[len + 2 * (size_t)dims] = '\0';
    return out;
}

static char *signature_name(jvmtiEnv *jvmti, jclass cls)
{
    char *sig = NULL;
    if (!cls || (*jvmti)->GetClassSignature(jvmti, cls, &sig, NULL) != JVMTI_ERROR_NONE || !sig)
        return NULL;
    char *name = java_name(sig);
    (*jvmti)->Deallocate(jvmti, (unsigned char *)sig);
    return name;
}

static const char *class_name(struct names *nm, uint32_t cls)
{
    if (cls == NONE || cls >= (uint32_t)nm->nclasses)
        return "?";
    if (!nm->class_names[cls])
        nm->class_names[cls] = signature_name(nm->jvmti, nm->classes[cls]);
    return nm->class_names[cls] ? nm->class_names[cls] : "?";
}

static jint field_count(jvmtiEnv *jvmti, jclass cls)
{
    jint n = 0;
    jfieldID *ids = NULL;
    if ((*jvmti)->GetClassFields(jvmti, cls, &n, &ids) != JVMTI_ERROR_NONE)
        return 0;
    (*jvmti)->Deallocate(jvmti, (unsigned char *)ids);
    return n;
}

/* Adds the fields of every interface reachable from cls's direct interfaces (each once) to
 * *count; seen holds the interfaces already counted. */
static void count_interfaces(struct names *nm, jclass cls, jclass *seen, int *nseen, int max,
                             int *count)
{
    jint n = 0;
    jclass *ifs = NULL;
    if ((*nm->jvmti)->GetImplementedInterfaces(nm->jvmti, cls, &n, &ifs) != JVMTI_ERROR_NONE)
        return;
    for (jint i = 0; i < n; i++) {
        bool known = false;
        for (int s = 0; s < *nseen && !known; s++)
            known = (*nm->jni)->IsSameObject(nm->jni, seen[s], ifs[i]);
        if (known || *nseen == max)
            continue;
        seen[(*nseen)++] = ifs[i];
        *count += field_count(nm->jvmti, ifs[i]);
        count_interfaces(nm, ifs[i], seen, nseen, max, count);
    }
    (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)ifs);
}

static void append_fields(struct names *nm, jclass cls, struct field_list *f)
{
    jint n = 0;
    jfieldID *ids = NULL;
    if ((*nm->jvmti)->GetClassFields(nm->jvmti, cls, &n, &ids) != JVMTI_ERROR_NONE)
        return;
    char **more = realloc(f->names, ((size_t)f->count + (size_t)n) * sizeof *more + 1);
    if (more) {
        f->names = more;
        for (jint i = 0; i < n; i++) {
            char *name = NULL;
            if ((*nm->jvmti)->GetFieldName(nm->jvmti, cls, ids[i], &name, NULL, NULL) ==
                    JVMTI_ERROR_NONE &&
                name) {
                f->names[f->count++] = copy(name);
                (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)name);
            } else {
                f->names[f->count++] = NULL;
            }
        }
    }
    (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)ids);
}

/* The JVMTI field index of jvmtiHeapReferenceInfoField, as the specification numbers it: the
 * fields of every interface the class implements first, then those of java.lang.Object down to
 * the class's own, each class's in GetClassFields order (an interface: its superinterfaces'
 * fields, then its own). */
static const char *field_name(struct names *nm, uint32_t cls, uint32_t index)
{
    if (cls == NONE || cls >= (uint32_t)nm->nclasses)
        return NULL;
    struct field_list *f = &nm->fields[cls];
    if (!f->done) {
        f->done = true;
        JNIEnv *jni = nm->jni;
        if ((*jni)->PushLocalFrame(jni, 256) != 0)
            return NULL;
        jclass seen[128];
        int nseen = 0, first = 0;
        jclass c = nm->classes[cls];
        jboolean is_interface = JNI_FALSE;
        (*nm->jvmti)->IsInterface(nm->jvmti, c, &is_interface);
        count_interfaces(nm, c, seen, &nseen, 128, &first);
        if (is_interface) {
            append_fields(nm, c, f);
        } else {
            jclass chain[64];
            int depth = 0;
            for (jclass k = c; k && depth < 64; k = (*jni)->GetSuperclass(jni, k)) {
                chain[depth++] = k;
                if (k != c)
                    count_interfaces(nm, k, seen, &nseen, 128, &first);
            }
            for (int i = depth - 1; i >= 0; i--)
                append_fields(nm, chain[i], f);
        }
        f->first = first;
        (*jni)->PopLocalFrame(jni, NULL);
    }
    int i = (int)index - f->first;
    return i >= 0 && i < f->count ? f->names[i] : NULL;
}

static char *thread_name(struct names *nm, jlong thread_tag, uint32_t nclasses)
{
    if (thread_tag <= (jlong)nclasses || thread_tag > (jlong)nclasses + nm->nthreads)
        return NULL;
    jvmtiThreadInfo info;
    memset(&info, 0, sizeof info);
    if ((*nm->jvmti)->GetThreadInfo(nm->jvmti, nm->threads[thread_tag - 1 - nclasses], &info) !=
        JVMTI_ERROR_NONE)
        return NULL;
    char *name = info.name ? copy(info.name) : NULL;
    (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)info.name);
    if (info.thread_group)
        (*nm->jni)->DeleteLocalRef(nm->jni, info.thread_group);
    if (info.context_class_loader)
        (*nm->jni)->DeleteLocalRef(nm->jni, info.context_class_loader);
    return name;
}

/* "Class.method", malloc'd. */
static char *method_name(struct names *nm, jmethodID m)
{
    char *name = NULL, *out = NULL;
    jclass decl = NULL;
    if (!m || (*nm->jvmti)->GetMethodName(nm->jvmti, m, &name, NULL, NULL) != JVMTI_ERROR_NONE)
        return NULL;
    (*nm->jvmti)->GetMethodDeclaringClass(nm->jvmti, m, &decl);
    char *cls = signature_name(nm->jvmti, decl);
    size_t len = (cls ? strlen(cls) : 1) + strlen(name) + 2;
    out = malloc(len);
    if (out)
        snprintf(out, len, "%s.%s", cls ? cls : "?", name);
    free(cls);
    if (decl)
        (*nm->jni)->DeleteLocalRef(nm->jni, decl);
    (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)name);
    return out;
}

/* A reference kind's name in a report: a root's kind, or how a step reaches the next object
 * when it is no field or array element. */
static const char *kind_name(jvmtiHeapReferenceKind kind, const char *otherwise)
{
    static const char *const names[] = {
        [JVMTI_HEAP_REFERENCE_CLASS] = "class",
        [JVMTI_HEAP_REFERENCE_CLASS_LOADER] = "class_loader",
        [JVMTI_HEAP_REFERENCE_SIGNERS] = "signers",
        [JVMTI_HEAP_REFERENCE_PROTECTION_DOMAIN] = "protection_domain",
        [JVMTI_HEAP_REFERENCE_INTERFACE] = "interface",
        [JVMTI_HEAP_REFERENCE_CONSTANT_POOL] = "constant_pool",
        [JVMTI_HEAP_REFERENCE_SUPERCLASS] = "superclass",
        [JVMTI_HEAP_REFERENCE_JNI_GLOBAL] = "jni_global",
        [JVMTI_HEAP_REFERENCE_SYSTEM_CLASS] = "system_class",
        [JVMTI_HEAP_REFERENCE_MONITOR] = "monitor",
        [JVMTI_HEAP_REFERENCE_STACK_LOCAL] = "stack_local",
        [JVMTI_HEAP_REFERENCE_JNI_LOCAL] = "jni_local",
        [JVMTI_HEAP_REFERENCE_THREAD] = "thread",
    };
    return (unsigned)kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : otherwise;
}

/* A path's text and its key (the text without array indices), written as it is built. */
struct text {
    FILE *f;
    char *s;
    size_t len;
};

static bool text_open(struct text *t)
{
    t->s = NULL;
    t->f = open_memstream(&t->s, &t->len);
    return t->f != NULL;
}

/* The text, malloc'd, or NULL if any write failed. */
static char *text_close(struct text *t)
{
    if (!t->f)
        return NULL;
    bool failed = ferror(t->f);
    if (fclose(t->f) != 0 || failed) {
        free(t->s);
        return NULL;
    }
    return t->s;
}

#define add(t, ...) ((t)->f ? fprintf((t)->f, __VA_ARGS__) : 0)

#define ARROW " \xe2\x86\x92 "

static json_t *root_json(struct names *nm, const struct walk *w, const struct root *r,
                         struct text *text, struct text *key)
{
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(kind_name(r->kind, "other")));
    char *thread = NULL, *method = NULL;
    if (r->kind == JVMTI_HEAP_REFERENCE_STACK_LOCAL || r->kind == JVMTI_HEAP_REFERENCE_JNI_LOCAL) {
        thread = thread_name(nm, r->thread_tag, w->nclasses);
        method = method_name(nm, r->method);
        if (thread)
            json_object_set_new(j, "thread", json_string(thread));
        if (method)
            json_object_set_new(j, "method", json_string(method));
        json_object_set_new(j, "frame", json_integer(r->depth));
        if (r->kind == JVMTI_HEAP_REFERENCE_STACK_LOCAL)
            json_object_set_new(j, "slot", json_integer(r->slot));
    }
    struct text *both[] = {text, key};
    for (int i = 0; i < 2; i++) {
        if (r->kind == JVMTI_HEAP_REFERENCE_STACK_LOCAL)
            add(both[i], "local %d of %s in thread \"%s\"", (int)r->slot, method ? method : "?",
                thread ? thread : "?");
        else if (r->kind == JVMTI_HEAP_REFERENCE_JNI_LOCAL)
            add(both[i], "JNI local of %s in thread \"%s\"", method ? method : "?",
                thread ? thread : "?");
        else if (r->kind == JVMTI_HEAP_REFERENCE_JNI_GLOBAL)
            add(both[i], "JNI global");
        else if (r->kind == JVMTI_HEAP_REFERENCE_THREAD)
            add(both[i], "thread");
        else
            add(both[i], "%s", kind_name(r->kind, "other"));
    }
    free(thread);
    free(method);
    return j;
}

/* The path from a root to node n, whose long field `field` holds the block's address. */
static json_t *path_json(struct names *nm, const struct walk *w, uint32_t n,
                         const struct candidate *holder, char **key_out)
{
    /* Depths fall strictly along parents, but a parent may have been given a shorter path
     * after its child took it as parent: the chain is at most depth + 1 long. */
    uint32_t chain_len = 0, bound = (rank_of(&w->nodes[n]) & DEPTH_MASK) + 1;
    for (uint32_t c = n; c != NONE && chain_len < bound; c = w->nodes[c].parent)
        chain_len++;
    uint32_t *chain = malloc(chain_len * sizeof *chain);
    if (!chain)
        return NULL;
    uint32_t len = 0;
    for (uint32_t c = n; c != NONE && len < chain_len; c = w->nodes[c].parent)
        chain[chain_len - 1 - len++] = c;
    if (w->nodes[chain[0]].parent != NONE) { /* no root at its end: cannot happen */
        free(chain);
        return NULL;
    }
    struct text text = {0}, key = {0};
    if (!text_open(&text) || !text_open(&key)) {
        free(text_close(&text));
        free(chain);
        return NULL;
    }
    json_t *root = NULL;
    uint32_t start = 0;
    /* A static field is where a heap analyser's path starts: the class holds it for good. */
    for (uint32_t i = chain_len; i-- > 1;) {
        const struct node *nd = &w->nodes[chain[i]];
        if ((nd->meta & 0xFF) != JVMTI_HEAP_REFERENCE_STATIC_FIELD)
            continue;
        const char *cls = class_name(nm, chain[i - 1]);
        const char *field = field_name(nm, chain[i - 1], nd->edge);
        root = json_pack("{s:s,s:s,s:s}", "kind", "static_field", "class", cls, "field",
                         field ? field : "?");
        add(&text, "static %s.%s", cls, field ? field : "?");
        add(&key, "static %s.%s", cls, field ? field : "?");
        start = i;
        break;
    }
    if (!root)
        root = root_json(nm, w, &w->roots[w->nodes[chain[0]].edge], &text, &key);
    json_t *steps = json_array();
    uint32_t shown = chain_len - start;
    for (uint32_t i = start; i < chain_len; i++) {
        if (shown > STEPS_SHOWN && i == start + STEPS_SHOWN / 4) {
            uint32_t skip = shown - STEPS_SHOWN;
            json_array_append_new(steps, json_pack("{s:i}", "elided", (int)skip));
            add(&text, ARROW "... %u more ...", (unsigned)skip);
            add(&key, ARROW "... %u more ...", (unsigned)skip);
            i += skip - 1;
            continue;
        }
        const struct node *nd = &w->nodes[chain[i]];
        bool is_class = chain[i] < w->nclasses;
        const char *cls = is_class ? "java.lang.Class" : class_name(nm, nd->cls);
        json_t *step = json_pack("{s:s}", "class", cls);
        if (is_class)
            json_object_set_new(step, "of", json_string(class_name(nm, chain[i])));
        add(&text, ARROW "%s", cls);
        add(&key, ARROW "%s", cls);
        if (i + 1 < chain_len) {
            const struct node *next = &w->nodes[chain[i + 1]];
            jvmtiHeapReferenceKind k = (jvmtiHeapReferenceKind)(next->meta & 0xFF);
            if (k == JVMTI_HEAP_REFERENCE_FIELD) {
                const char *f = field_name(nm, nd->cls, next->edge);
                json_object_set_new(step, "field", json_string(f ? f : "?"));
                add(&text, ".%s", f ? f : "?");
                add(&key, ".%s", f ? f : "?");
            } else if (k == JVMTI_HEAP_REFERENCE_ARRAY_ELEMENT) {
                json_object_set_new(step, "index", json_integer(next->edge));
                add(&text, "[%u]", (unsigned)next->edge);
                add(&key, "[]");
            } else {
                json_object_set_new(step, "via", json_string(kind_name(k, "reference")));
                add(&text, " (%s)", kind_name(k, "reference"));
                add(&key, " (%s)", kind_name(k, "reference"));
            }
        } else {
            const char *f = holder->kind == JVMTI_HEAP_REFERENCE_STATIC_FIELD
                                ? field_name(nm, chain[i], holder->field)
                                : field_name(nm, nd->cls, holder->field);
            json_object_set_new(step, "holds", json_string(f ? f : "?"));
            add(&text, " (%s)", f ? f : "?");
            add(&key, " (%s)", f ? f : "?");
        }
        json_array_append_new(steps, step);
    }
    free(chain);
    char *t = text_close(&text), *k = text_close(&key);
    if (!t || !k || !root) {
        json_decref(root);
        json_decref(steps);
        free(t);
        free(k);
        return NULL;
    }
    /* The text starts with the root; the steps each added " → " before them. */
    json_t *path = json_pack("{s:o,s:o,s:s}", "root", root, "steps", steps, "text", t);
    free(t);
    *key_out = k;
    return path;
}

/* Whether a PhantomReference (a Cleaner, which only cleans up) is on node n's path. */
static bool behind_phantom(const struct walk *w, uint32_t n)
{
    return (rank_of(&w->nodes[n]) & BEHIND) != 0;
}

/* The shallowest reachable holder of target t that is (cleaner) or is not behind a Cleaner. */
static const struct candidate *best_holder(const struct walk *w, size_t t, bool cleaner)
{
    const struct candidate *best = NULL;
    for (int c = 0; c < CANDIDATES; c++) {
        const struct candidate *cand = &w->cands[t][c];
        if (cand->node == NONE)
            break;
        uint32_t r = rank_of(&w->nodes[cand->node]);
        if (r < DEPTH_INF && behind_phantom(w, cand->node) == cleaner &&
            (!best || r < rank_of(&w->nodes[best->node])))
            best = cand;
    }
    return best;
}

static void name_results(struct names *nm, struct walk *w, struct lb_heap_owner *owners)
{
    for (size_t t = 0; t < w->nowners; t++) {
        struct lb_heap_owner *o = &owners[t];
        const struct candidate *best = best_holder(w, t, false), *cleaner = NULL;
        if (!best)
            cleaner = best_holder(w, t, true);
        if (best) {
            o->path = path_json(nm, w, best->node, best, &o->key);
            o->state = o->path ? LB_HOLDER_REACHABLE : LB_HOLDER_UNKNOWN;
        } else if (w->unreachable_cls[t]) {
            o->state = LB_HOLDER_UNREACHABLE;
            uint32_t cls = w->unreachable_cls[t] == NONE ? NONE : w->unreachable_cls[t] - 1;
            o->holder_class = copy(class_name(nm, cls));
        } else if (cleaner && w->stop == GOING) {
            /* Only a Cleaner's action holds the address: its object was collected, and the
             * memory waits for the Cleaner to run (a walk cut short cannot tell). */
            o->state = LB_HOLDER_UNREACHABLE;
            o->holder_class = copy("collected (a Cleaner frees it)");
        } else {
            o->state = w->stop == GOING ? LB_HOLDER_NONE : LB_HOLDER_UNKNOWN;
        }
    }
}

static jvmtiEnv *walk_env(void)
{
    jvmtiEnv *env = NULL;
    if ((*lb_runtime.vm)->GetEnv(lb_runtime.vm, (void **)&env, JVMTI_VERSION_1_2) != JNI_OK)
        return NULL;
    jvmtiCapabilities caps = {0};
    caps.can_tag_objects = 1;
    if ((*env)->AddCapabilities(env, &caps) != JVMTI_ERROR_NONE) {
        (*env)->DisposeEnvironment(env);
        return NULL;
    }
    return env;
}

/* Tags every loaded class (node i: classes[i]) and every live thread (after them), so that a
 * reference's class tag names the class, a static field's referrer names its class and a stack
 * root's thread tag names the thread. */
static bool pretag(jvmtiEnv *env, JNIEnv *jni, struct walk *w, struct names *nm)
{
    if ((*env)->GetLoadedClasses(env, &nm->nclasses, &nm->classes) != JVMTI_ERROR_NONE)
        return false;
    if ((*env)->GetAllThreads(env, &nm->nthreads, &nm->threads) != JVMTI_ERROR_NONE)
        nm->nthreads = 0;
    (*jni)->EnsureLocalCapacity(jni, nm->nclasses + nm->nthreads + 256);
    size_t total = (size_t)nm->nclasses + (size_t)nm->nthreads;
    if (total > w->max_nodes)
        return false;
    for (jint i = 0; i < nm->nclasses; i++) {
        w->nodes[i] = (struct node){NONE, 0, DEPTH_INF << 8, NONE};
        (*env)->SetTag(env, nm->classes[i], (jlong)i + 1);
    }
    for (jint i = 0; i < nm->nthreads; i++) {
        w->nodes[nm->nclasses + i] = (struct node){NONE, 0, DEPTH_INF << 8, NONE};
        (*env)->SetTag(env, nm->threads[i], (jlong)nm->nclasses + i + 1);
    }
    w->nnodes = total;
    w->nclasses = (uint32_t)nm->nclasses;
    w->nthreads = (uint32_t)nm->nthreads;
    nm->class_names = calloc((size_t)nm->nclasses + 1, sizeof *nm->class_names);
    nm->fields = calloc((size_t)nm->nclasses + 1, sizeof *nm->fields);
    return nm->class_names && nm->fields;
}

/* Notes, for every loaded subclass of java.lang.ref.Reference, the field index of referent. */
static void mark_references(struct names *nm, struct walk *w)
{
    JNIEnv *jni = nm->jni;
    jclass reference = (*jni)->FindClass(jni, "java/lang/ref/Reference");
    jclass phantom = reference ? (*jni)->FindClass(jni, "java/lang/ref/PhantomReference") : NULL;
    if (!phantom) {
        (*jni)->ExceptionClear(jni);
        return;
    }
    for (jint i = 0; i < nm->nclasses; i++) {
        jboolean is_interface = JNI_FALSE, is_array = JNI_FALSE;
        (*nm->jvmti)->IsInterface(nm->jvmti, nm->classes[i], &is_interface);
        (*nm->jvmti)->IsArrayClass(nm->jvmti, nm->classes[i], &is_array);
        if (is_interface || is_array || !(*jni)->IsAssignableFrom(jni, nm->classes[i], reference))
            continue;
        field_name(nm, (uint32_t)i, 0); /* fills the class's field list */
        const struct field_list *f = &nm->fields[i];
        for (int k = 0; k < f->count; k++)
            if (f->names[k] && strcmp(f->names[k], "referent") == 0) {
                w->referent[i] = (uint32_t)(f->first + k) + 1;
                break;
            }
        if (w->referent[i] && (*jni)->IsAssignableFrom(jni, nm->classes[i], phantom))
            w->referent[i] |= PHANTOM;
    }
    (*jni)->DeleteLocalRef(jni, reference);
    (*jni)->DeleteLocalRef(jni, phantom);
}

static void names_free(struct names *nm)
{
    for (jint i = 0; nm->class_names && i < nm->nclasses; i++)
        free(nm->class_names[i]);
    for (jint i = 0; nm->fields && i < nm->nclasses; i++) {
        for (int f = 0; f < nm->fields[i].count; f++)
            free(nm->fields[i].names[f]);
        free(nm->fields[i].names);
    }
    free(nm->class_names);
    free(nm->fields);
    if (nm->classes)
        (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)nm->classes);
    if (nm->threads)
        (*nm->jvmti)->Deallocate(nm->jvmti, (unsigned char *)nm->threads);
}

bool lb_heap_paths_find(JNIEnv *jni, struct lb_heap_owner *owners, size_t n, uint64_t time_ms,
                        uint64_t memory_bytes, const _Atomic bool *give_way,
                        struct lb_heap_paths_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (size_t i = 0; i < n; i++)
        owners[i].state = LB_HOLDER_UNKNOWN;
    uint64_t started = lb_clock_ms();
    jvmtiEnv *env = walk_env();
    if (!env) {
        stats->error = "the JVM gave no JVMTI environment with can_tag_objects";
        return false;
    }
    struct walk w = {
        .owners = owners, .nowners = n, .budget_bytes = memory_bytes, .give_way = give_way};
    w.deadline_ms = time_ms ? started + time_ms : 0;
    /* Address space only: pages are touched as objects are visited. */
    w.max_nodes =
        memory_bytes ? memory_bytes / (sizeof(struct node) + TAG_COST) + 1 : (size_t)1 << 30;
    w.map_bytes = w.max_nodes * sizeof(struct node);
    w.nodes = map(w.map_bytes);
    w.roots = map(w.max_nodes * sizeof(struct root));
    w.cands = malloc((n ? n : 1) * sizeof *w.cands);
    w.unreachable_cls = calloc(n ? n : 1, sizeof *w.unreachable_cls);
    struct names nm = {.jvmti = env, .jni = jni};
    bool ok = false;
    if (!w.nodes || !w.roots || !w.cands || !w.unreachable_cls ||
        (*jni)->PushLocalFrame(jni, 64) != 0) {
        stats->error = "out of memory";
        goto out_free;
    }
    for (size_t t = 0; t < n; t++)
        for (int c = 0; c < CANDIDATES; c++)
            w.cands[t][c] = (struct candidate){NONE, 0, 0};
    if (!pretag(env, jni, &w, &nm)) {
        if (nm.nclasses && (size_t)nm.nclasses + (size_t)nm.nthreads > w.max_nodes)
            w.stop = STOP_MEMORY; /* the budget does not cover the classes and threads */
        else
            stats->error = "the loaded classes could not be tagged";
        stats->exhausted = w.stop == STOP_MEMORY ? "memory" : NULL;
        name_results(&nm, &w, owners);
        goto out_frame;
    }
    w.referent = calloc((size_t)nm.nclasses + 1, sizeof *w.referent);
    if (!w.referent) {
        stats->error = "out of memory";
        goto out_frame;
    }
    mark_references(&nm, &w);
    jvmtiHeapCallbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.heap_reference_callback = on_reference;
    cb.primitive_field_callback = on_primitive;
    for (unsigned pass = 0; pass < MAX_PASSES; pass++) {
        uint64_t t0 = lb_clock_ms();
        w.improved = 0;
        jvmtiError e = (*env)->FollowReferences(env, 0, NULL, NULL, &cb, &w);
        uint64_t took = lb_clock_ms() - t0;
        stats->passes++;
        if (took > stats->longest_ms)
            stats->longest_ms = took;
        if (e != JVMTI_ERROR_NONE) {
            stats->error = "FollowReferences failed";
            break;
        }
        cb.primitive_field_callback = NULL; /* holders are found in the first pass */
        /* The first pass reports every reference once with the referrer's depth at that
         * moment; a later pass starts from the depths it left, so it only shortens paths. */
        stats->shortest = pass > 0 && w.improved == 0;
        if (w.stop || stats->shortest)
            break;
        uint64_t now = lb_clock_ms();
        if ((w.deadline_ms && now + took >= w.deadline_ms) || (give_way && atomic_load(give_way)))
            break;
    }
    /* Holders no root reaches: objects the walk did not tag, still in the heap. */
    bool missing = false;
    for (size_t t = 0; t < n && !missing; t++)
        missing = !best_holder(&w, t, false);
    if (w.stop == GOING && missing && !stats->error) {
        jvmtiHeapCallbacks ucb;
        memset(&ucb, 0, sizeof ucb);
        ucb.primitive_field_callback = on_primitive;
        uint64_t t0 = lb_clock_ms();
        (*env)->IterateThroughHeap(env, JVMTI_HEAP_FILTER_TAGGED, NULL, &ucb, &w);
        uint64_t took = lb_clock_ms() - t0;
        if (took > stats->longest_ms)
            stats->longest_ms = took;
    }
    stats->objects = w.nnodes;
    stats->memory_bytes = used_bytes(&w);
    stats->exhausted = w.stop == STOP_TIME ? "time" : w.stop == STOP_MEMORY ? "memory" : NULL;
    if (w.stop)
        stats->shortest = false;
    name_results(&nm, &w, owners);
    ok = !stats->error;
out_frame:
    names_free(&nm);
    (*jni)->PopLocalFrame(jni, NULL);
out_free:
    if (w.nodes)
        munmap(w.nodes, w.map_bytes);
    if (w.roots)
        munmap(w.roots, w.max_nodes * sizeof(struct root));
    free(w.cands);
    free(w.unreachable_cls);
    free(w.referent);
    (*env)->DisposeEnvironment(env); /* and every tag with it */
    stats->walk_ms = lb_clock_ms() - started;
    return ok;
}

void lb_heap_paths_free(struct lb_heap_owner *owners, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(owners[i].path);
        free(owners[i].key);
        free(owners[i].holder_class);
        owners[i].path = NULL;
        owners[i].key = owners[i].holder_class = NULL;
    }
}
