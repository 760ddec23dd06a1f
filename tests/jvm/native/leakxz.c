/* libleakxz.so (XzLeak): liblzma encoders opened and never ended. liblzma, a dependency of this
 * JNI library, allocates the encoders' state with malloc: the leak is inside liblzma, called
 * from here. */
#include <jni.h>
#include <lzma.h>
#include <stdlib.h>

static lzma_stream *kept[64];

JNIEXPORT jint JNICALL Java_XzLeak_openEncoders(JNIEnv *env, jclass cls, jint n)
{
    (void)env;
    (void)cls;
    jint opened = 0;
    for (jint i = 0; i < n && i < 64; i++) {
        lzma_stream *s = calloc(1, sizeof *s);
        if (!s)
            break;
        if (lzma_easy_encoder(s, 0, LZMA_CHECK_CRC64) != LZMA_OK) {
            free(s);
            break;
        }
        kept[opened++] = s; /* never lzma_end: the leak */
    }
    return opened;
}
