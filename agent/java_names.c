#include "java_names.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptr_map.h"
#include "runtime.h"
#include "sites.h"

static jvmtiEnv *jvmti;

void lb_java_names_init(jvmtiEnv *env)
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

/* A class from GetMethodDeclaringClass is a local reference of the calling thread: in a hook it
 * fills the JNI native's frame (-Xcheck:jni warns past 32), and the dumper thread's frame never
 * returns. Each is deleted at once. */
static void drop_local(jclass klass)
{
    JNIEnv *env = NULL;
    if (klass && lb_runtime.vm &&
        (*lb_runtime.vm)->GetEnv(lb_runtime.vm, (void **)&env, JNI_VERSION_1_6) == JNI_OK)
        (*env)->DeleteLocalRef(env, klass);
}

bool lb_java_names_method(jmethodID method, char *cls, size_t cls_len, char *name, size_t name_len)
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
    drop_local(klass);
    release(mname);
    release(csig);
    return ok;
}

/* The kept methods; entries are never freed (jmethodIDs are not reused). Hooks never use it:
 * only report writers and the dumper thread. */
static struct lb_ptr_map store;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t remembered_upto; /* sites with a larger id are not in the store yet */

static void look_up(struct lb_java_method *mi)
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
    drop_local(klass);
    release(mname);
    release(msig);
    release(csig);
    release(file);
}

/* The stored method, looked up now if it is new; NULL only when out of memory. */
static struct lb_java_method *stored_locked(jmethodID m)
{
    void **cell = lb_ptr_map_put(&store, m);
    if (!cell || *cell)
        return cell ? *cell : NULL;
    struct lb_java_method *mi = calloc(1, sizeof *mi);
    if (!mi)
        return NULL;
    mi->method = m;
    look_up(mi);
    return *cell = mi;
}

const struct lb_java_method *lb_java_names_get(jmethodID m)
{
    pthread_mutex_lock(&store_lock);
    struct lb_java_method *mi = stored_locked(m);
    pthread_mutex_unlock(&store_lock);
    return mi;
}

void lb_java_names_remember(void)
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

/* The line of the last line-table entry that starts at or before bci. */
int lb_java_names_line(const struct lb_java_method *mi, int32_t bci)
{
    int line = -1;
    jlocation best = -1;
    for (jint i = 0; i < mi->nlines; i++) {
        if (mi->lines[i].start_location <= bci && mi->lines[i].start_location > best) {
            best = mi->lines[i].start_location;
            line = mi->lines[i].line_number;
        }
    }
    return line;
}
