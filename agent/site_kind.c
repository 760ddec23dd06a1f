#include "site_kind.h"

#include <pthread.h>
#include <string.h>

#include "java_names.h"
#include "modules.h"

/* Classes of the JDK itself. */
static bool jdk_class(const char *cls)
{
    static const char *const prefixes[] = {"java.", "javax.", "jdk.", "sun.", "com.sun."};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(cls, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* Memory the JDK holds for itself: a stack with no JNI library among its native frames and no
 * Java frame outside the JDK (the launcher reading the main class's jar, the inflaters the
 * JDK's ZipFile caches for class loading, the JDK's own threads). Java frames are looked at
 * from the outermost caller in, where the application's usually are. */
static bool jdk_internal(const struct lb_frame *frames, int nframes)
{
    bool any_java = false;
    for (int i = 0; i < nframes; i++) {
        if (frames[i].type != LB_FRAME_NATIVE)
            continue;
        const struct lb_module *m = lb_modules_find(frames[i].id - 1);
        if (!m || atomic_load_explicit(&m->role, memory_order_relaxed) != LB_ROLE_JVM)
            return false;
    }
    for (int i = nframes - 1; i >= 0; i--) {
        char cls[256], name[64];
        if (frames[i].type != LB_FRAME_JAVA)
            continue;
        if (!lb_java_names_method((jmethodID)frames[i].id, cls, sizeof cls, name, sizeof name) ||
            !jdk_class(cls))
            return false;
        any_java = true;
    }
    return any_java;
}

enum lb_kind lb_site_kind_of(enum lb_origin origin, const struct lb_frame *frames, int nframes)
{
    if (origin == LB_ORIGIN_MALLOC)
        return LB_KIND_MALLOC;
    if (origin == LB_ORIGIN_MMAP)
        return LB_KIND_MMAP;
    if (origin == LB_ORIGIN_MAPPED_FILE)
        return LB_KIND_MAPPED_FILE;
    if (origin == LB_ORIGIN_POOL)
        return LB_KIND_POOL;
    for (int i = 0; i < nframes; i++) {
        char cls[256], name[64];
        if (frames[i].type == LB_FRAME_JAVA &&
            lb_java_names_method((jmethodID)frames[i].id, cls, sizeof cls, name, sizeof name) &&
            strcmp(name, "<init>") == 0 && strcmp(cls, "java.nio.DirectByteBuffer") == 0)
            return LB_KIND_DIRECT_BUFFER;
    }
    return LB_KIND_UNSAFE;
}

static pthread_mutex_t settle_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t settled_upto; /* sites with a larger id are not settled yet */

void lb_site_kind_settle_new(void)
{
    pthread_mutex_lock(&settle_lock);
    struct lb_site *newest = lb_sites_first();
    for (struct lb_site *s = newest; s && s->id > settled_upto; s = s->all_next)
        if (s->origin != LB_ORIGIN_UNSAFE && s->origin != LB_ORIGIN_POOL &&
            jdk_internal(s->frames, s->nframes))
            atomic_store_explicit(&s->kind, LB_KIND_JDK_INTERNAL, memory_order_relaxed);
    if (newest)
        settled_upto = newest->id;
    pthread_mutex_unlock(&settle_lock);
}
