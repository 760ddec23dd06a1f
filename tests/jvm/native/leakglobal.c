/* libleakglobal.so (OwnersKeep global): keeps Java objects with JNI global references, the
 * only thing that holds them, so that owners=on names a JNI global as their root. */
#include <jni.h>

#define MAX_HELD 4096

static jobject held[MAX_HELD];
static int nheld;

JNIEXPORT void JNICALL Java_OwnersKeep_holdGlobal(JNIEnv *env, jclass cls, jobject obj)
{
    (void)cls;
    if (nheld < MAX_HELD)
        held[nheld++] = (*env)->NewGlobalRef(env, obj);
}
