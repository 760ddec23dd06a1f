/* The JNI half of the benchmark's jni-malloc-churn workload: malloc/free pairs of 64 B to
 * 64 KiB from inside a JNI library, where leakbridge's malloc hooks are installed. */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

JNIEXPORT jlong JNICALL Java_Bench_00024MallocChurn_churn(JNIEnv *env, jclass cls, jint ops,
                                                          jlong seed)
{
    (void)env;
    (void)cls;
    uint64_t x = (uint64_t)seed | 1;
    jlong sum = 0;
    for (jint i = 0; i < ops; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t size = (size_t)64 << (x % 11); /* 64 B .. 64 KiB */
        unsigned char *p = malloc(size);
        if (!p)
            return -1;
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)(i >> 8);
        sum += p[0] + p[size - 1];
        free(p);
    }
    return sum;
}
