/* libleakchurn.so: every allocation is freed. churn() makes `rounds` rounds of the whole
 * malloc family (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, strdup,
 * strndup), anonymous mmap/munmap, blocks freed by libleakfree.so or made by it and freed
 * here, and frees of blocks glibc allocated internally (the agent never saw those).
 * Returns the number of blocks it allocated itself (reallocs of a live block not counted). */
#include <jni.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOCAL static __attribute__((noinline, noclone))
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

void leakfree_release(void *p);
void *leakfree_make(size_t size);

static const char TEXT[] = "leakbridge churn: a string to duplicate, and then some more text";

LOCAL long churn_round(int i)
{
    long made = 0;
    size_t size = (size_t)64 << (i % 11); /* 64 B .. 64 KiB */

    char *m = malloc(size);
    m[0] = 1;
    ESCAPE(m);
    free(m);
    made++;

    char *c = calloc(size / 16, 16);
    ESCAPE(c);
    free(c);
    made++;

    char *r = realloc(NULL, 100 + i % 7); /* realloc(NULL) allocates */
    r[0] = 2;
    r = realloc(r, size + 3); /* grows, usually moves */
    r[size] = 3;
    r = realloc(r, 33); /* shrinks */
    ESCAPE(r);
    free(r);
    made++;

    void *pm = NULL;
    if (posix_memalign(&pm, 64, size) == 0) {
        ESCAPE(pm);
        free(pm);
        made++;
    }

    char *aa = aligned_alloc(256, 256 * (1 + i % 5));
    ESCAPE(aa);
    free(aa);
    made++;

    char *ma = memalign(128, size);
    ESCAPE(ma);
    free(ma);
    made++;

    char *sd = strdup(TEXT);
    ESCAPE(sd);
    free(sd);
    made++;

    char *sn = strndup(TEXT, 5 + i % 20);
    ESCAPE(sn);
    free(sn);
    made++;

    size_t pages = (size_t)(1 + i % 4) * (size_t)sysconf(_SC_PAGESIZE);
    char *mm = mmap(NULL, pages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mm != MAP_FAILED) {
        mm[0] = 4;
        munmap(mm, pages);
        made++;
    }

    char *h = malloc(size + 5); /* freed by another library */
    h[0] = 5;
    leakfree_release(h);
    made++;

    char *t = leakfree_make(300 + i % 9); /* made by another library, freed here */
    ESCAPE(t);
    free(t);

    char *g = NULL; /* glibc mallocs inside itself: a free of a block never seen */
    if (asprintf(&g, "round %d", i) >= 0)
        free(g);
    return made;
}

LOCAL long churn_rounds(int rounds)
{
    long made = 0;
    for (int i = 0; i < rounds; i++)
        made += churn_round(i);
    return made;
}

JNIEXPORT jlong JNICALL Java_NativeChurn_churn(JNIEnv *env, jclass cls, jint rounds)
{
    (void)env, (void)cls;
    return churn_rounds(rounds);
}
