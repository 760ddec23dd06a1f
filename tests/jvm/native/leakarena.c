/* libleakarena.so (MemoryGrow): fragments glibc's arenas. Each of THREADS threads mallocs
 * BLOCKS blocks of 4 KiB, touches them, then frees all but every KEEP_EVERY-th: the freed
 * memory lies between kept blocks, so the arenas cannot give it back and keep it resident. */
#include <jni.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096
#define MAX_THREADS 64

struct work {
    int blocks, keep_every, kept;
    void **kept_blocks;
};

static void *fragment(void *arg)
{
    struct work *w = arg;
    void **all = calloc((size_t)w->blocks, sizeof *all);
    if (!all)
        return NULL;
    for (int i = 0; i < w->blocks; i++) {
        all[i] = malloc(BLOCK);
        if (all[i])
            memset(all[i], 1, BLOCK);
    }
    w->kept_blocks = calloc((size_t)w->blocks / (size_t)w->keep_every + 1, sizeof(void *));
    for (int i = 0; i < w->blocks; i++) {
        if (i % w->keep_every == 0 && w->kept_blocks)
            w->kept_blocks[w->kept++] = all[i];
        else
            free(all[i]);
    }
    free(all);
    return NULL;
}

static struct work works[MAX_THREADS];

JNIEXPORT jint JNICALL Java_MemoryGrow_fragment(JNIEnv *env, jclass cls, jint threads, jint blocks,
                                                jint keep_every)
{
    (void)env, (void)cls;
    pthread_t t[MAX_THREADS];
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    int kept = 0;
    for (int i = 0; i < threads; i++) {
        works[i] = (struct work){blocks, keep_every > 0 ? keep_every : 1, 0, NULL};
        if (pthread_create(&t[i], NULL, fragment, &works[i]) != 0)
            threads = i;
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        kept += works[i].kept;
    }
    return kept;
}
