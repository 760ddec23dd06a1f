/* libleakthread.so: a native thread the JVM never sees mallocs 2311-byte blocks, keeps them
 * and exits. Its stack has no Java frames. start() launches it, join() waits for it. */
#include <jni.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LOCAL static __attribute__((noinline, noclone))
#define MAX_KEPT 100000
#define THREAD_SIZE 2311

static void *kept[MAX_KEPT];
static int nkept;
static pthread_t worker;
static int started;

LOCAL int thread_hold_blocks(int n)
{
    int held = 0;
    for (int i = 0; i < n && nkept < MAX_KEPT; i++) {
        char *p = malloc(THREAD_SIZE);
        if (!p)
            break;
        memset(p, 1 + i % 250, THREAD_SIZE);
        kept[nkept++] = p;
        held++;
    }
    return held;
}

LOCAL void *thread_main(void *arg)
{
    int n = (int)(long)arg;
    thread_hold_blocks(n);
    return NULL;
}

JNIEXPORT jboolean JNICALL Java_NativeThreadLeak_start(JNIEnv *env, jclass cls, jint n)
{
    (void)env, (void)cls;
    if (started)
        return JNI_FALSE;
    started = pthread_create(&worker, NULL, thread_main, (void *)(long)n) == 0;
    return started ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jint JNICALL Java_NativeThreadLeak_join(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    if (!started || pthread_join(worker, NULL) != 0)
        return -1;
    started = 0;
    return nkept;
}
