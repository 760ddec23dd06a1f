/* libleakonload.so: JNI_OnLoad keeps one 4093-byte block, allocated before the library's
 * natives can even be bound. ping() proves the library is loaded. */
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#define LOCAL static __attribute__((noinline, noclone))
#define ONLOAD_SIZE 4093

static char *onload_block;

LOCAL void onload_hold(void)
{
    onload_block = malloc(ONLOAD_SIZE);
    if (onload_block)
        memset(onload_block, 0x41, ONLOAD_SIZE);
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    (void)vm, (void)reserved;
    onload_hold();
    return JNI_VERSION_1_8;
}

JNIEXPORT jint JNICALL Java_OnLoadLeak_ping(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    return onload_block && onload_block[ONLOAD_SIZE - 1] == 0x41 ? ONLOAD_SIZE : -1;
}
