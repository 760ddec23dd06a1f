/* libleakpool.so: JNI natives of PoolLeak over the toy arena (toy_arena.h), whose blocks are
 * reported with leakbridge.h. Fingerprints: blocks of 1000 bytes kept (leak_blocks), of 520
 * bytes given back (churn_blocks), grown from 200 to 1200 bytes and kept (grow_blocks). */
#include <jni.h>
#include <pthread.h>
#include <stdio.h>

#include "leakbridge/leakbridge.h"
#include "toy_arena.h"

#define LOCAL static __attribute__((noinline, noclone))
#define LEAK_SIZE 1000
#define CHURN_SIZE 520

/* The pointer escapes: the compiler may not drop what is never read. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static struct toy_arena *arena;

static struct toy_arena *the_arena(void)
{
    if (!arena)
        arena = toy_arena_new();
    return arena;
}

LOCAL int leak_blocks(int n)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        void *p = toy_arena_alloc(the_arena(), LEAK_SIZE);
        ESCAPE(p);
        kept += p != NULL;
    }
    return kept;
}

LOCAL int churn_blocks(int n)
{
    int done = 0;
    for (int i = 0; i < n; i++) {
        void *p = toy_arena_alloc(the_arena(), CHURN_SIZE);
        if (p) {
            toy_arena_free(the_arena(), p);
            done++;
        }
    }
    return done;
}

LOCAL int grow_blocks(int n)
{
    int grown = 0;
    for (int i = 0; i < n; i++) {
        void *p = toy_arena_alloc(the_arena(), 200);
        void *q = p ? toy_arena_grow(the_arena(), p, 200, 1200) : NULL;
        ESCAPE(q);
        grown += q != NULL;
    }
    return grown;
}

/* A thread of the library's own, which the JVM does not know, keeps one block. */
static void *foreign_thread(void *unused)
{
    (void)unused;
    return toy_arena_alloc(the_arena(), 64);
}

/* Every misuse the agent counts, once each; nothing it must crash on. */
LOCAL int misuse(void)
{
    static char never_reported[16];
    leakbridge_pool_free(TOY_ARENA_TAG, never_reported); /* unknown_free */
    void *p = toy_arena_alloc(the_arena(), 48);
    toy_arena_free(the_arena(), p);
    toy_arena_free(the_arena(), p);                  /* double_free */
    leakbridge_pool_alloc(NULL, never_reported, 16); /* bad_tag */
    leakbridge_pool_alloc("", never_reported, 16);   /* bad_tag */
    leakbridge_pool_free(NULL, never_reported);      /* bad_tag */
    leakbridge_pool_free(TOY_ARENA_TAG, NULL);       /* nothing: as free(NULL) */
    pthread_t t;
    void *kept = NULL;
    if (pthread_create(&t, NULL, foreign_thread, NULL) != 0 || pthread_join(t, &kept) != 0)
        return 0;
    return kept != NULL;
}

JNIEXPORT jint JNICALL Java_PoolLeak_leak(JNIEnv *env, jclass cls, jint n)
{
    (void)env;
    (void)cls;
    return leak_blocks(n);
}

JNIEXPORT jint JNICALL Java_PoolLeak_churn(JNIEnv *env, jclass cls, jint n)
{
    (void)env;
    (void)cls;
    return churn_blocks(n);
}

JNIEXPORT jint JNICALL Java_PoolLeak_grow(JNIEnv *env, jclass cls, jint n)
{
    (void)env;
    (void)cls;
    return grow_blocks(n);
}

JNIEXPORT jint JNICALL Java_PoolLeak_misuse(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return misuse();
}

JNIEXPORT jlong JNICALL Java_PoolLeak_chunks(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return (jlong)toy_arena_chunks(the_arena());
}
