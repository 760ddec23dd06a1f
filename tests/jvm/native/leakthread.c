/* libleakthread.so: a native thread the JVM never sees mallocs 2311-byte blocks, keeps them
 * and exits. Its stack has no Java frames, and is small (THREAD_STACK), as some libraries
 * make their threads' stacks: the agent samples on it. start() launches it, join() waits. */
#include <jni.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOCAL static __attribute__((noinline, noclone))
#define MAX_KEPT 100000
#define THREAD_SIZE 2311
#define THREAD_STACK (16 * 1024) /* glibc's PTHREAD_STACK_MIN; the agent once overflowed it */

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
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return JNI_FALSE;
    long least = sysconf(_SC_THREAD_STACK_MIN);
    pthread_attr_setstacksize(&attr, least > THREAD_STACK ? (size_t)least : THREAD_STACK);
    started = pthread_create(&worker, &attr, thread_main, (void *)(long)n) == 0;
    pthread_attr_destroy(&attr);
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
