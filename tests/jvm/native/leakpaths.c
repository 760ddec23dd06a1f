/* libleakpaths.so: JNI natives of CallPaths, called from several Java paths at the same stack
 * depth, each keeping one block whose size names its path (1301 to 1305) among blocks
 * allocated and freed around it: a sample inside a call must carry that call's Java frames,
 * never those of an earlier call at the same depth (agent/activation.c); and twoWays, whose
 * blocks come in turns from two C callers at the same depth (1311 through via_x, 1312 through
 * via_y): each must carry its own native frames. Built without frame pointers (the JVM tests'
 * other libraries have them), as release builds are: the reuse must hold either way. */
#include <jni.h>
#include <stdlib.h>

#define LOCAL static __attribute__((noinline, noclone))
#define MAX_KEPT 200000

/* The pointer escapes: the compiler may not drop a malloc whose result is never read. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *kept[MAX_KEPT];
static int nkept;

LOCAL void keep_one(size_t size)
{
    void *p = malloc(size);
    ESCAPE(p);
    if (p && nkept < MAX_KEPT)
        kept[nkept++] = p;
}

LOCAL void churn(int n)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(64 + (size_t)i);
        ESCAPE(p);
        free(p);
    }
}

/* For FfmPaths (an FFM downcall, no JNI native): keeps size bytes after a little churn. */
void paths_keep(long size)
{
    churn(2);
    keep_one((size_t)size);
    churn(2);
}

/* Two native callers of keep_one at one depth, in turns within one call. */
static volatile int sink;

/* Nothing else allocates in between: each sample follows the other C caller's. */
LOCAL void via_x(size_t size)
{
    keep_one(size);
    sink += 1;
}

LOCAL void via_y(size_t size)
{
    keep_one(size);
    sink += 2; /* not via_x's code: the compiler may not fold the two into one */
}

/* n blocks, alternately through via_x (size) and via_y (size + 1), in one JNI call. */
JNIEXPORT void JNICALL Java_CallPaths_twoWays(JNIEnv *env, jclass cls, jint n, jint size)
{
    (void)env;
    (void)cls;
    for (jint i = 0; i < n; i++) {
        if (i % 2)
            via_y((size_t)size + 1);
        else
            via_x((size_t)size);
    }
}

JNIEXPORT void JNICALL Java_CallPaths_work(JNIEnv *env, jclass cls, jint size)
{
    (void)env;
    (void)cls;
    churn(3);
    keep_one((size_t)size);
    churn(3);
}

/* Keeps size, calls CallPaths.callback(size + 1) (which calls work), then keeps size + 2. */
JNIEXPORT void JNICALL Java_CallPaths_outer(JNIEnv *env, jclass cls, jint size)
{
    keep_one((size_t)size);
    churn(2);
    jmethodID callback = (*env)->GetStaticMethodID(env, cls, "callback", "(I)V");
    if (!callback)
        return;
    (*env)->CallStaticVoidMethod(env, cls, callback, size + 1);
    if ((*env)->ExceptionCheck(env))
        return;
    churn(2);
    keep_one((size_t)size + 2);
}
