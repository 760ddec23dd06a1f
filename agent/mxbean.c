#include "mxbean.h"

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "dumper.h"
#include "frame_json.h"
#include "leakbridge/report_format.h"
#include "leakbridge/units.h"
#include "log.h"
#include "memory_limit.h"
#include "pools.h"
#include "runtime.h"
#include "sites.h"
#include "snapshot.h"

/* The class files, from java/mxbean by cli/embed.cmake (CMakeLists.txt). */
extern const char lb_mxbean_interface_class[], lb_mxbean_impl_class[];
extern const unsigned long lb_mxbean_interface_class_size, lb_mxbean_impl_class_size;

#define INTERFACE_NAME "io/leakbridge/agent/LeakBridgeMXBean"
#define IMPL_NAME "io/leakbridge/agent/LeakBridgeMXBeanImpl"
#define FACTORY_SIGNATURE "Ljava/lang/management/ManagementFactory;"
#define SERVER_FACTORY_SIGNATURE "Ljavax/management/MBeanServerFactory;"

#define TOP_MAX 16
#define LINE_MAX_CHARS 2048
#define RETRY_FIRST_MS 10
#define RETRY_MAX_MS 1000

/* ---- Figures: every site read as snapshot.c reads it for a report ---- */

static bool counted(const struct lb_site *site)
{
    return site->kind < LB_KIND_COUNT; /* not the JDK's own (sites.h) */
}

/* Live bytes (or blocks) of the kind the report names `kind`, of every kind for NULL; -1 for a
 * name it does not know. */
static jlong JNICALL mx_live(JNIEnv *jni, jclass cls, jstring kind_name, jboolean blocks)
{
    (void)cls;
    int kind = -1;
    if (kind_name) {
        const char *name = (*jni)->GetStringUTFChars(jni, kind_name, NULL);
        if (!name)
            return -1; /* OutOfMemoryError pending */
        for (int k = 0; k < LB_KIND_COUNT && kind < 0; k++)
            if (strcmp(name, lb_kind_name((enum lb_kind)k)) == 0)
                kind = k;
        (*jni)->ReleaseStringUTFChars(jni, kind_name, name);
        if (kind < 0)
            return -1;
    }
    uint64_t sum = 0;
    for (struct lb_site *s = lb_sites_first(); s; s = s->all_next) {
        if (!counted(s) || (kind >= 0 && s->kind != kind))
            continue;
        struct lb_snapshot sn;
        lb_snapshot_read(s, &sn);
        sum += blocks ? sn.live_count : sn.live_bytes;
    }
    /* As in a report, a pool's chunks count only what its blocks do not cover. */
    struct lb_pools_share *shares = NULL;
    size_t nshares = blocks ? 0 : lb_pools_shares(0, &shares);
    for (size_t i = 0; i < nshares; i++)
        if (kind < 0 || shares[i].site->kind == kind)
            sum -= sum > shares[i].handed_out_bytes ? shares[i].handed_out_bytes : sum;
    free(shares);
    return (jlong)sum;
}

static bool larger(const struct lb_snapshot *a, const struct lb_snapshot *b)
{
    if (a->live_bytes != b->live_bytes)
        return a->live_bytes > b->live_bytes;
    return a->site->id < b->site->id; /* the report's order */
}

/* The n sites with the most live bytes, in the report's order (a pool's chunks counting only
 * the free space, as in a report); returns how many. */
static size_t top_sites(struct lb_snapshot *top, size_t n)
{
    size_t have = 0;
    struct lb_pools_share *shares = NULL;
    size_t nshares = lb_pools_shares(0, &shares);
    for (struct lb_site *s = lb_sites_first(); s; s = s->all_next) {
        struct lb_snapshot sn;
        if (!counted(s))
            continue;
        lb_snapshot_read(s, &sn);
        lb_pools_apply_shares(shares, nshares, &sn, 1);
        if (!sn.live_bytes && !sn.live_count)
            continue;
        size_t at = have;
        while (at > 0 && larger(&sn, &top[at - 1]))
            at--;
        if (at >= n)
            continue;
        if (have < n)
            have++;
        memmove(&top[at + 1], &top[at], (have - 1 - at) * sizeof *top);
        top[at] = sn;
    }
    free(shares);
    return have;
}

/* ---- One site as one line: the frames `leakbridge top` heads a site with ---- */

static const char *text(json_t *frame, const char *key)
{
    return json_string_value(json_object_get(frame, key));
}

static bool is_java(json_t *frame)
{
    const char *type = text(frame, "type");
    return type && strcmp(type, "java") == 0;
}

/* A class of the JDK itself, as the command judges it (cli/stack.c). */
static bool is_jdk(json_t *frame)
{
    static const char *const jdk[] = {"java.", "javax.", "jdk.", "sun.", "com.sun.", "<"};
    const char *cls = text(frame, "class");
    for (size_t i = 0; cls && i < sizeof jdk / sizeof jdk[0]; i++)
        if (strncmp(cls, jdk[i], strlen(jdk[i])) == 0)
            return true;
    return !cls;
}

/* The package part of a class name, up to a hidden class's ".0x..." or a lambda's "$$Lambda". */
static size_t package_len(const char *cls)
{
    const char *end = strstr(cls, "$$Lambda");
    const char *hidden = strstr(cls, ".0x");
    if (!end || (hidden && hidden < end))
        end = hidden ? hidden : cls + strlen(cls);
    while (end > cls && end[-1] != '.')
        end--;
    return end > cls ? (size_t)(end - cls - 1) : 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "Class.method (File.java:12)", the class without its package; "symbol (libfoo.so)",
 * "libfoo.so+0x12a0" without a symbol. */
static void describe(json_t *f, char *buf, size_t len)
{
    if (is_java(f)) {
        const char *cls = text(f, "class") ? text(f, "class") : "?", *file = text(f, "file");
        const char *simple = cls + package_len(cls) + (package_len(cls) ? 1 : 0);
        json_t *line = json_object_get(f, "line");
        char where[512] = "";
        if (file && line)
            snprintf(where, sizeof where, " (%s:%" JSON_INTEGER_FORMAT ")", file,
                     json_integer_value(line));
        else if (file)
            snprintf(where, sizeof where, " (%s)", file);
        snprintf(buf, len, "%s.%s%s", simple, text(f, "method") ? text(f, "method") : "?", where);
        return;
    }
    const char *symbol = text(f, "symbol"), *module = text(f, "module");
    const char *offset = text(f, "offset") ? text(f, "offset") : "?";
    if (symbol && module)
        snprintf(buf, len, "%s (%s)", symbol, base_name(module));
    else if (symbol)
        snprintf(buf, len, "%s", symbol);
    else if (module)
        snprintf(buf, len, "%s+%s", base_name(module), offset);
    else
        snprintf(buf, len, "%s", offset);
}

/* Outer to inner: the application frame that called into a library (the innermost Java frame
 * outside the JDK and outside the package of the next), the innermost Java frame outside the JDK,
 * the innermost native frame; the leaf when there is none of them. */
static void headline(json_t **frames, int n, char *buf, size_t len)
{
    int user = -1, native = -1, caller = -1;
    for (int i = 0; i < n; i++) {
        if (user < 0 && is_java(frames[i]) && !is_jdk(frames[i]))
            user = i;
        if (native < 0 && !is_java(frames[i]))
            native = i;
    }
    if (user >= 0) {
        const char *cls = text(frames[user], "class");
        size_t plen = package_len(cls);
        for (int i = user + 1; i < n && caller < 0; i++) {
            const char *other = text(frames[i], "class");
            if (is_java(frames[i]) && !is_jdk(frames[i]) &&
                (package_len(other) != plen || strncmp(other, cls, plen) != 0))
                caller = i;
        }
    }
    if (user < 0 && native < 0 && n > 0)
        user = n > 1 && is_jdk(frames[0]) ? 1 : 0;
    int picked[3] = {caller, user, native};
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 3; i++) {
        char one[LINE_MAX_CHARS / 2];
        if (picked[i] < 0)
            continue;
        describe(frames[picked[i]], one, sizeof one);
        int w = snprintf(buf + used, len - used, "%s%s", used ? " > " : "", one);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
    if (!used)
        snprintf(buf, len, "(no stack)");
}

/* "18874368 B (18.0 MiB) live, +6291456 B since report 3, malloc: <headline>". */
static void site_line(const struct lb_snapshot *sn, struct lb_frame_json *resolver, char *buf,
                      size_t len)
{
    const struct lb_site *site = sn->site;
    json_t *frames[LB_DEPTH_MAX];
    int n = 0;
    for (int i = 0; i < site->nframes && n < LB_DEPTH_MAX; i++)
        if ((frames[n] = lb_frame_json_get(resolver, site, &site->frames[i])) != NULL)
            n++;
    char stack[LINE_MAX_CHARS], units[LB_UNITS_MAX], growth[64];
    headline(frames, n, stack, sizeof stack);
    for (int i = 0; i < n; i++)
        json_decref(frames[i]);
    uint64_t before;
    unsigned sequence;
    if (lb_dump_previous_live(site->id, &before, &sequence))
        snprintf(growth, sizeof growth, "%+" PRId64 " B since report %u",
                 (int64_t)sn->live_bytes - (int64_t)before, sequence);
    else
        snprintf(growth, sizeof growth, "no report yet");
    snprintf(buf, len, "%" PRIu64 " B (%s) live, %s, %s: %s", sn->live_bytes,
             lb_units_bytes((int64_t)sn->live_bytes, units), growth,
             lb_kind_name((enum lb_kind)site->kind), stack);
}

/* Text for NewStringUTF, which takes modified UTF-8: a 4-byte sequence (valid UTF-8 from
 * jansson, but not modified UTF-8) becomes '?'. */
static void modified_utf8(char *s)
{
    char *out = s;
    while (*s) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0xf0) {
            *out++ = '?';
            for (s++; ((unsigned char)*s & 0xc0) == 0x80; s++)
                ;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
}

static jobjectArray JNICALL mx_top_sites(JNIEnv *jni, jclass cls, jint wanted)
{
    (void)cls;
    struct lb_snapshot top[TOP_MAX];
    size_t n = top_sites(top, wanted < 0 ? 0 : wanted > TOP_MAX ? TOP_MAX : (size_t)wanted);
    jclass string_class = (*jni)->FindClass(jni, "java/lang/String");
    jobjectArray out =
        string_class ? (*jni)->NewObjectArray(jni, (jsize)n, string_class, NULL) : NULL;
    struct lb_frame_json *resolver = out ? lb_frame_json_new() : NULL;
    for (size_t i = 0; resolver && i < n; i++) {
        char line[LINE_MAX_CHARS + 128];
        site_line(&top[i], resolver, line, sizeof line);
        modified_utf8(line);
        jstring s = (*jni)->NewStringUTF(jni, line);
        if (!s)
            break; /* OutOfMemoryError pending */
        (*jni)->SetObjectArrayElement(jni, out, (jsize)i, s);
        (*jni)->DeleteLocalRef(jni, s);
    }
    lb_frame_json_free(resolver);
    return out;
}

/* ---- The container's memory ---- */

static jlong JNICALL mx_memory(JNIEnv *jni, jclass cls, jboolean usage)
{
    (void)jni;
    (void)cls;
    /* The figures every report's memory_limit has, read the same way (memory_limit.h): the
     * working set is what the OOM killer and dump_at count. */
    struct lb_memory_limit m;
    lb_memory_limit_now(&m);
    return usage ? m.working_set_bytes : m.limit_bytes;
}

/* ---- The rest of the natives ---- */

static jlong JNICALL mx_sample(JNIEnv *jni, jclass cls)
{
    (void)jni;
    (void)cls;
    return (jlong)lb_runtime.options.sample;
}

static jstring JNICALL mx_last_report_path(JNIEnv *jni, jclass cls)
{
    (void)cls;
    char path[PATH_MAX + LB_OUTPUT_MAX + 2];
    lb_dump_last_path(path, sizeof path);
    modified_utf8(path);
    return (*jni)->NewStringUTF(jni, path);
}

/* On the calling thread (a JMX connection's, or the application's), as the Java API's dump. */
static jstring JNICALL mx_dump(JNIEnv *jni, jclass cls)
{
    (void)cls;
    char written[PATH_MAX + LB_OUTPUT_MAX + 2];
    if (!lb_dump_write(LB_DUMP_MXBEAN, NULL, false, written, sizeof written))
        return NULL;
    modified_utf8(written);
    return (*jni)->NewStringUTF(jni, written);
}

/* ---- Registration, on the dumper thread ---- */

static _Atomic(jclass) factory;    /* ManagementFactory (a global reference) once prepared */
static _Atomic bool server_coming; /* MBeanServerFactory was prepared: a server is being made */
static _Atomic bool started;       /* lb_mxbean_start ran: the dumper thread takes tasks */
static bool done, scanned;         /* dumper thread only, as is retry_ms */
static uint64_t retry_ms;

/* The JVM's pending exception as text (its toString), cleared. */
static void exception_text(JNIEnv *jni, char *buf, size_t len)
{
    jthrowable e = (*jni)->ExceptionOccurred(jni);
    (*jni)->ExceptionClear(jni);
    snprintf(buf, len, "unknown error");
    jclass object = e ? (*jni)->FindClass(jni, "java/lang/Object") : NULL;
    jmethodID to_string =
        object ? (*jni)->GetMethodID(jni, object, "toString", "()Ljava/lang/String;") : NULL;
    jstring s = to_string ? (*jni)->CallObjectMethod(jni, e, to_string) : NULL;
    const char *chars = s ? (*jni)->GetStringUTFChars(jni, s, NULL) : NULL;
    if (chars) {
        snprintf(buf, len, "%s", chars);
        (*jni)->ReleaseStringUTFChars(jni, s, chars);
    }
    (*jni)->ExceptionClear(jni);
}

static char *signature_of(jvmtiEnv *jvmti, jclass klass)
{
    char *sig = NULL;
    if ((*jvmti)->GetClassSignature(jvmti, klass, &sig, NULL) != JVMTI_ERROR_NONE)
        return NULL;
    return sig;
}

/* Notes ManagementFactory and MBeanServerFactory. */
static void note_class(jvmtiEnv *jvmti, JNIEnv *jni, jclass klass)
{
    char *sig = signature_of(jvmti, klass);
    if (!sig)
        return;
    if (strcmp(sig, FACTORY_SIGNATURE) == 0 && !atomic_load(&factory)) {
        jclass global = (*jni)->NewGlobalRef(jni, klass);
        jclass none = NULL;
        if (global && !atomic_compare_exchange_strong(&factory, &none, global))
            (*jni)->DeleteGlobalRef(jni, global);
    } else if (strcmp(sig, SERVER_FACTORY_SIGNATURE) == 0) {
        atomic_store(&server_coming, true);
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)sig);
}

/* A JVM attached to may have made its platform MBeanServer long ago. */
static void scan_loaded(jvmtiEnv *jvmti, JNIEnv *jni)
{
    jint count = 0;
    jclass *classes = NULL;
    if ((*jvmti)->GetLoadedClasses(jvmti, &count, &classes) != JVMTI_ERROR_NONE)
        return;
    /* Every loaded class is a local reference: say so, as -Xcheck:jni wants (java_api.c). */
    (*jni)->EnsureLocalCapacity(jni, count + 16);
    for (jint i = 0; i < count; i++) {
        note_class(jvmti, jni, classes[i]);
        (*jni)->DeleteLocalRef(jni, classes[i]);
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)classes);
}

enum server_state { SERVER_NOT_YET, SERVER_EXISTS, SERVER_UNKNOWABLE };

/* ManagementFactory.platformMBeanServer, read without running any Java code: the class must be
 * initialized already, since looking up a field of a class initializes it. */
static enum server_state platform_server(jvmtiEnv *jvmti, JNIEnv *jni)
{
    jclass mf = atomic_load(&factory);
    jint status = 0;
    if (!mf || (*jvmti)->GetClassStatus(jvmti, mf, &status) != JVMTI_ERROR_NONE ||
        !(status & JVMTI_CLASS_STATUS_INITIALIZED))
        return SERVER_NOT_YET;
    jfieldID field =
        (*jni)->GetStaticFieldID(jni, mf, "platformMBeanServer", "Ljavax/management/MBeanServer;");
    if (!field) {
        (*jni)->ExceptionClear(jni);
        return SERVER_UNKNOWABLE;
    }
    jobject server = (*jni)->GetStaticObjectField(jni, mf, field);
    return server ? SERVER_EXISTS : SERVER_NOT_YET;
}

static const JNINativeMethod natives[] = {
    {"live0", "(Ljava/lang/String;Z)J", (void *)mx_live},
    {"topSites0", "(I)[Ljava/lang/String;", (void *)mx_top_sites},
    {"memory0", "(Z)J", (void *)mx_memory},
    {"sample0", "()J", (void *)mx_sample},
    {"lastReportPath0", "()Ljava/lang/String;", (void *)mx_last_report_path},
    {"dump0", "()Ljava/lang/String;", (void *)mx_dump},
};

/* Defines the two classes in the boot loader (visible to every loader, in a package the API jar
 * does not have), binds the natives and has the class register itself. */
static void define_and_register(JNIEnv *jni)
{
    char why[512] = "";
    jclass iface =
        (*jni)->DefineClass(jni, INTERFACE_NAME, NULL, (const jbyte *)lb_mxbean_interface_class,
                            (jsize)lb_mxbean_interface_class_size);
    jclass impl =
        iface ? (*jni)->DefineClass(jni, IMPL_NAME, NULL, (const jbyte *)lb_mxbean_impl_class,
                                    (jsize)lb_mxbean_impl_class_size)
              : NULL;
    if (!impl || (*jni)->RegisterNatives(jni, impl, natives, sizeof natives / sizeof natives[0])) {
        exception_text(jni, why, sizeof why);
    } else {
        jmethodID reg = (*jni)->GetStaticMethodID(jni, impl, "register", "()Ljava/lang/String;");
        jstring failed = reg ? (*jni)->CallStaticObjectMethod(jni, impl, reg) : NULL;
        const char *chars = failed ? (*jni)->GetStringUTFChars(jni, failed, NULL) : NULL;
        if ((*jni)->ExceptionCheck(jni))
            exception_text(jni, why, sizeof why);
        else if (chars)
            snprintf(why, sizeof why, "%s", chars);
        if (chars)
            (*jni)->ReleaseStringUTFChars(jni, failed, chars);
    }
    if (why[0])
        lb_log("the MXBean io.leakbridge:type=LeakBridge is not registered: %s", why);
}

/* The dumper thread's task: registers once the platform MBeanServer exists, asking to be run
 * again (10 ms, doubling to 1 s) while a server is being made; done when it is registered,
 * when it could not be, or while nothing makes a server (MBeanServerFactory's arrival runs it
 * again). */
static uint64_t register_task(jvmtiEnv *jvmti, JNIEnv *jni)
{
    if (done)
        return 0;
    if ((*jni)->PushLocalFrame(jni, 32) != 0) {
        (*jni)->ExceptionClear(jni);
        return RETRY_MAX_MS;
    }
    if (!scanned && lb_runtime.attached)
        scan_loaded(jvmti, jni);
    scanned = true;
    uint64_t again = 0;
    switch (platform_server(jvmti, jni)) {
    case SERVER_EXISTS:
        define_and_register(jni);
        done = true;
        break;
    case SERVER_UNKNOWABLE:
        lb_log("the MXBean io.leakbridge:type=LeakBridge is not registered: this JVM's "
               "ManagementFactory has no platformMBeanServer field to tell when its MBeanServer "
               "exists");
        done = true;
        break;
    case SERVER_NOT_YET:
        if (atomic_load(&server_coming)) {
            retry_ms = !retry_ms                     ? RETRY_FIRST_MS
                       : retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
                                                     : retry_ms * 2;
            again = retry_ms;
        }
        break;
    }
    (*jni)->PopLocalFrame(jni, NULL);
    return again;
}

void lb_mxbean_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jclass klass)
{
    /* Both classes are in the boot loader, prepared once: nothing to look for after them. */
    if (!jni || (atomic_load(&factory) && atomic_load(&server_coming)))
        return;
    bool coming = atomic_load(&server_coming);
    note_class(jvmti, jni, klass);
    if (!coming && atomic_load(&server_coming) && atomic_load(&started))
        lb_dumper_schedule(register_task);
}

void lb_mxbean_start(jvmtiEnv *jvmti, JNIEnv *jni)
{
    (void)jvmti;
    (void)jni;
    atomic_store(&started, true);
    /* Attached: the server may exist; at VMInit, MBeanServerFactory's arrival will say. */
    if ((lb_runtime.attached || atomic_load(&server_coming)) && !lb_dumper_schedule(register_task))
        lb_log("the MXBean io.leakbridge:type=LeakBridge is not registered: the dumper thread "
               "is not running");
}
