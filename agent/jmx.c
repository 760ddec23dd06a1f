#include "jmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMT_TEXT_MAX 65536

static bool failed(JNIEnv *jni)
{
    if ((*jni)->ExceptionCheck(jni)) {
        (*jni)->ExceptionClear(jni);
        return true;
    }
    return false;
}

/* Each helper deletes the local references it makes but returns, so that a loop over beans
 * stays within its frame's capacity (-Xcheck:jni counts them). */
static jobject call_static(JNIEnv *jni, const char *cls, const char *name, const char *sig)
{
    jclass c = (*jni)->FindClass(jni, cls);
    jmethodID m = c ? (*jni)->GetStaticMethodID(jni, c, name, sig) : NULL;
    jobject r = m ? (*jni)->CallStaticObjectMethod(jni, c, m) : NULL;
    (*jni)->DeleteLocalRef(jni, c);
    return failed(jni) ? NULL : r;
}

static jobject call(JNIEnv *jni, jobject obj, const char *name, const char *sig)
{
    if (!obj)
        return NULL;
    jclass c = (*jni)->GetObjectClass(jni, obj);
    jmethodID m = c ? (*jni)->GetMethodID(jni, c, name, sig) : NULL;
    jobject r = m ? (*jni)->CallObjectMethod(jni, obj, m) : NULL;
    (*jni)->DeleteLocalRef(jni, c);
    return failed(jni) ? NULL : r;
}

static int64_t call_long(JNIEnv *jni, jobject obj, const char *name)
{
    if (!obj)
        return -1;
    jclass c = (*jni)->GetObjectClass(jni, obj);
    jmethodID m = c ? (*jni)->GetMethodID(jni, c, name, "()J") : NULL;
    jlong r = m ? (*jni)->CallLongMethod(jni, obj, m) : -1;
    (*jni)->DeleteLocalRef(jni, c);
    return failed(jni) ? -1 : (int64_t)r;
}

/* A MemoryUsage's used and committed (max too, when asked). */
static void usage(JNIEnv *jni, jobject u, int64_t *used, int64_t *committed, int64_t *max)
{
    *used = call_long(jni, u, "getUsed");
    *committed = call_long(jni, u, "getCommitted");
    if (max)
        *max = call_long(jni, u, "getMax");
}

static void add(int64_t *sum, int64_t v)
{
    if (v >= 0)
        *sum = (*sum < 0 ? 0 : *sum) + v;
}

static bool name_is(JNIEnv *jni, jobject bean, const char *want, bool prefix)
{
    jstring s = call(jni, bean, "getName", "()Ljava/lang/String;");
    const char *name = s ? (*jni)->GetStringUTFChars(jni, s, NULL) : NULL;
    bool yes = name && (prefix ? strncmp(name, want, strlen(want)) == 0 : strcmp(name, want) == 0);
    if (name)
        (*jni)->ReleaseStringUTFChars(jni, s, name);
    (*jni)->DeleteLocalRef(jni, s);
    return yes;
}

static void pools(JNIEnv *jni, struct lb_jmx *j)
{
    jobject list = call_static(jni, "java/lang/management/ManagementFactory",
                               "getMemoryPoolMXBeans", "()Ljava/util/List;");
    jobject array = call(jni, list, "toArray", "()[Ljava/lang/Object;");
    jsize n = array ? (*jni)->GetArrayLength(jni, array) : 0;
    for (jsize i = 0; i < n; i++) {
        if ((*jni)->PushLocalFrame(jni, 16) != 0) {
            failed(jni);
            return;
        }
        jobject bean = (*jni)->GetObjectArrayElement(jni, array, i);
        int64_t used, committed;
        jobject u = call(jni, bean, "getUsage", "()Ljava/lang/management/MemoryUsage;");
        usage(jni, u, &used, &committed, NULL);
        if (name_is(jni, bean, "Metaspace", false)) {
            j->meta_used = used;
            j->meta_committed = committed;
        } else if (name_is(jni, bean, "Compressed Class Space", false)) {
            j->class_used = used;
            j->class_committed = committed;
        } else if (name_is(jni, bean, "CodeHeap", true) || name_is(jni, bean, "CodeCache", false)) {
            add(&j->code_used, used);
            add(&j->code_committed, committed);
        }
        (*jni)->PopLocalFrame(jni, NULL);
    }
}

static void buffer_pools(JNIEnv *jni, struct lb_jmx *j)
{
    jclass iface = (*jni)->FindClass(jni, "java/lang/management/BufferPoolMXBean");
    jclass mf = iface ? (*jni)->FindClass(jni, "java/lang/management/ManagementFactory") : NULL;
    jmethodID get = mf ? (*jni)->GetStaticMethodID(jni, mf, "getPlatformMXBeans",
                                                   "(Ljava/lang/Class;)Ljava/util/List;")
                       : NULL;
    jobject list = get ? (*jni)->CallStaticObjectMethod(jni, mf, get, iface) : NULL;
    if (failed(jni))
        return;
    jobject array = call(jni, list, "toArray", "()[Ljava/lang/Object;");
    jsize n = array ? (*jni)->GetArrayLength(jni, array) : 0;
    for (jsize i = 0; i < n; i++) {
        if ((*jni)->PushLocalFrame(jni, 16) != 0) {
            failed(jni);
            return;
        }
        jobject bean = (*jni)->GetObjectArrayElement(jni, array, i);
        bool direct = name_is(jni, bean, "direct", false);
        if (direct || name_is(jni, bean, "mapped", false)) {
            *(direct ? &j->direct_count : &j->mapped_count) = call_long(jni, bean, "getCount");
            *(direct ? &j->direct_bytes : &j->mapped_bytes) = call_long(jni, bean, "getMemoryUsed");
        }
        (*jni)->PopLocalFrame(jni, NULL);
    }
}

/* The DiagnosticCommand MBean's own object (what the platform MBean server would register),
 * asked directly, so that no MBean server is created in the application's JVM. */
static void nmt(JNIEnv *jni, struct lb_jmx *j)
{
    jobject bean =
        call_static(jni, "com/sun/management/internal/DiagnosticCommandImpl",
                    "getDiagnosticCommandMBean", "()Lcom/sun/management/DiagnosticCommandMBean;");
    jclass string = (*jni)->FindClass(jni, "java/lang/String");
    jclass object = (*jni)->FindClass(jni, "java/lang/Object");
    if (!bean || !string || !object) {
        failed(jni);
        return;
    }
    jobjectArray args = (*jni)->NewObjectArray(jni, 2, string, NULL);
    jobjectArray params = (*jni)->NewObjectArray(jni, 1, object, NULL);
    jobjectArray sig = (*jni)->NewObjectArray(jni, 1, string, NULL);
    if (!args || !params || !sig) {
        failed(jni);
        return;
    }
    (*jni)->SetObjectArrayElement(jni, args, 0, (*jni)->NewStringUTF(jni, "summary"));
    (*jni)->SetObjectArrayElement(jni, args, 1, (*jni)->NewStringUTF(jni, "scale=b"));
    (*jni)->SetObjectArrayElement(jni, params, 0, args);
    (*jni)->SetObjectArrayElement(jni, sig, 0, (*jni)->NewStringUTF(jni, "[Ljava.lang.String;"));
    jclass c = (*jni)->GetObjectClass(jni, bean);
    jmethodID invoke = (*jni)->GetMethodID(
        jni, c, "invoke",
        "(Ljava/lang/String;[Ljava/lang/Object;[Ljava/lang/String;)Ljava/lang/Object;");
    jstring op = (*jni)->NewStringUTF(jni, "vmNativeMemory");
    jobject result =
        invoke && op ? (*jni)->CallObjectMethod(jni, bean, invoke, op, params, sig) : NULL;
    if (failed(jni) || !result || !(*jni)->IsInstanceOf(jni, result, string))
        return;
    const char *text = (*jni)->GetStringUTFChars(jni, result, NULL);
    if (!text)
        return;
    lb_jmx_parse_nmt(text, j);
    (*jni)->ReleaseStringUTFChars(jni, result, text);
}

void lb_jmx_read(JNIEnv *jni, bool want_nmt, struct lb_jmx *j)
{
    memset(j, 0, sizeof *j);
    j->heap_used = j->heap_committed = j->heap_max = -1;
    j->meta_used = j->meta_committed = j->class_used = j->class_committed = -1;
    j->code_used = j->code_committed = -1;
    j->direct_count = j->direct_bytes = j->mapped_count = j->mapped_bytes = -1;
    j->nmt_malloc = -1;
    if (!jni || (*jni)->PushLocalFrame(jni, 64) != 0) {
        if (jni)
            failed(jni);
        return;
    }
    jobject memory = call_static(jni, "java/lang/management/ManagementFactory", "getMemoryMXBean",
                                 "()Ljava/lang/management/MemoryMXBean;");
    jobject heap = call(jni, memory, "getHeapMemoryUsage", "()Ljava/lang/management/MemoryUsage;");
    usage(jni, heap, &j->heap_used, &j->heap_committed, &j->heap_max);
    j->ok = j->heap_committed >= 0;
    if (j->ok) {
        pools(jni, j);
        buffer_pools(jni, j);
    }
    if (want_nmt)
        nmt(jni, j);
    failed(jni);
    (*jni)->PopLocalFrame(jni, NULL);
}

static int64_t value_after(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

void lb_jmx_parse_nmt(const char *text, struct lb_jmx *j)
{
    struct lb_jmx_nmt *row = NULL;
    bool seen_total = false;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[512];
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = nl ? nl + 1 : NULL;
        const char *p = buf;
        while (*p == ' ')
            p++;
        if (strncmp(p, "Total:", 6) == 0) {
            seen_total = true;
        } else if (strncmp(p, "malloc:", 7) == 0 && j->nmt_malloc < 0) {
            j->nmt_malloc = strtoll(p + 7, NULL, 10);
        } else if (*p == '-' && strstr(p, "(reserved=")) {
            row = j->nnmt < LB_JMX_NMT_MAX ? &j->nmt_rows[j->nnmt++] : NULL;
            if (!row)
                continue;
            const char *name = p + 1, *end = strstr(p, " (reserved=");
            while (*name == ' ')
                name++;
            size_t n = (size_t)(end - name);
            if (n >= sizeof row->name)
                n = sizeof row->name - 1;
            memcpy(row->name, name, n);
            row->name[n] = '\0';
            row->reserved = value_after(p, "reserved=");
            row->committed = value_after(p, "committed=");
            row->malloc_bytes = row->mmap_committed = -1;
        } else if (row && strncmp(p, "(malloc=", 8) == 0) {
            add(&row->malloc_bytes, strtoll(p + 8, NULL, 10));
        } else if (row && strncmp(p, "(mmap:", 6) == 0) {
            row->mmap_committed = value_after(p, "committed=");
        } else if (*p == '\0') {
            row = NULL;
        }
    }
    j->nmt = seen_total && j->nnmt > 0;
}
