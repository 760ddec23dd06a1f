/* The JNI half of the benchmark's jni-malloc-churn workload: malloc/free pairs of 64 B to
 * 64 KiB from inside a JNI library, where leakbridge's malloc hooks are installed; and of the
 * jni-pool-churn and jni-pool-bare workloads: the same sizes carved from a static arena, each
 * block reported with leakbridge.h's pool API (pool-churn) or not (pool-bare). */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

#include "churn.h"
#include "leakbridge/leakbridge.h"

/* 64 B .. 64 KiB. */
#define CHURN_SHIFTS 11

JNIEXPORT jlong JNICALL Java_Bench_00024MallocChurn_churn(JNIEnv *env, jclass cls, jint ops,
                                                          jlong seed)
{
    (void)env;
    (void)cls;
    return lb_churn(ops, (uint64_t)seed, CHURN_SHIFTS);
}

#define POOL_ARENA (1u << 20)
static unsigned char pool_arena[POOL_ARENA];

JNIEXPORT jlong JNICALL Java_Bench_00024PoolChurn_churn(JNIEnv *env, jclass cls, jint ops,
                                                        jlong seed, jboolean report)
{
    (void)env;
    (void)cls;
    uint64_t x = (uint64_t)seed | 1;
    size_t at = 0;
    jlong sum = 0;
    for (jint i = 0; i < ops; i++) {
        size_t size = lb_churn_next_size(&x, CHURN_SHIFTS);
        if (at + size > POOL_ARENA)
            at = 0;
        unsigned char *p = pool_arena + at;
        at += size;
        if (report)
            leakbridge_pool_alloc("bench-pool", p, size);
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)(i >> 8);
        sum += p[0] + p[size - 1];
        if (report)
            leakbridge_pool_free("bench-pool", p);
    }
    return sum;
}
