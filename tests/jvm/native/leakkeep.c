/* libleakkeep.so: JNI natives of NativeKeep (and NativeDeletedCopy) that keep malloc'd blocks
 * and anonymous mappings until exit, and hand blocks to libleakfree.so to free.
 * Fingerprints: 1237-byte blocks (hold_blocks), 3-page anonymous mappings (map_regions),
 * 7-page mappings unmapped at once (map_transient), 1931-byte blocks freed by libleakfree
 * (hand_off_blocks), 1949-byte blocks made by libleakfree and freed here (take_back_blocks). */
#include <jni.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOCAL static __attribute__((noinline, noclone))
#define MAX_KEPT 100000
#define KEEP_SIZE 1237
#define HAND_OFF_SIZE 1931
#define TAKE_BACK_SIZE 1949

void leakfree_release(void *p);
void *leakfree_make(size_t size);

/* The pointer escapes: the compiler may not drop a malloc whose result is never read. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *kept[MAX_KEPT];
static int nkept;
static void *regions[MAX_KEPT];
static int nregions;

LOCAL int hold_blocks(int n)
{
    int held = 0;
    for (int i = 0; i < n && nkept < MAX_KEPT; i++) {
        char *p = malloc(KEEP_SIZE);
        if (!p)
            break;
        memset(p, 1 + i % 250, KEEP_SIZE);
        kept[nkept++] = p;
        held++;
    }
    return held;
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

LOCAL int map_regions(int n)
{
    size_t len = 3 * page_size();
    int mapped = 0;
    for (int i = 0; i < n && nregions < MAX_KEPT; i++) {
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        p[0] = (char)i;
        p[len - 1] = (char)i;
        regions[nregions++] = p;
        mapped++;
    }
    return mapped;
}

LOCAL int map_transient(int n)
{
    size_t len = 7 * page_size();
    int done = 0;
    for (int i = 0; i < n; i++) {
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        p[0] = (char)i;
        ESCAPE(p);
        if (munmap(p, len) == 0)
            done++;
    }
    return done;
}

/* A file-backed mapping, kept: not anonymous memory, so not an mmap site. */
LOCAL int map_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    void *p = mmap(NULL, page_size(), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED || nregions >= MAX_KEPT)
        return 0;
    regions[nregions++] = p;
    return 1;
}

LOCAL int hand_off_blocks(int n)
{
    int done = 0;
    for (int i = 0; i < n; i++) {
        char *p = malloc(HAND_OFF_SIZE);
        if (!p)
            break;
        memset(p, 7, HAND_OFF_SIZE);
        leakfree_release(p);
        done++;
    }
    return done;
}

LOCAL int take_back_blocks(int n)
{
    int done = 0;
    for (int i = 0; i < n; i++) {
        char *p = leakfree_make(TAKE_BACK_SIZE);
        if (!p)
            break;
        ESCAPE(p);
        free(p);
        done++;
    }
    return done;
}

JNIEXPORT jint JNICALL Java_NativeKeep_keep(JNIEnv *env, jclass cls, jint n)
{
    (void)env, (void)cls;
    return hold_blocks(n);
}

JNIEXPORT jint JNICALL Java_NativeKeep_map(JNIEnv *env, jclass cls, jint n)
{
    (void)env, (void)cls;
    int kept_maps = map_regions(n);
    map_transient(n);
    return kept_maps;
}

JNIEXPORT jint JNICALL Java_NativeKeep_mapFile(JNIEnv *env, jclass cls, jstring path)
{
    (void)cls;
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    if (!p)
        return 0;
    int r = map_file(p);
    (*env)->ReleaseStringUTFChars(env, path, p);
    return r;
}

JNIEXPORT jint JNICALL Java_NativeKeep_handOff(JNIEnv *env, jclass cls, jint n)
{
    (void)env, (void)cls;
    return hand_off_blocks(n) + take_back_blocks(n);
}

JNIEXPORT jint JNICALL Java_NativeKeep_held(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    int sum = 0;
    for (int i = 0; i < nkept; i++)
        sum += ((unsigned char *)kept[i])[KEEP_SIZE - 1] != 0;
    return sum;
}

/* The same leak, for the class that loads a deleted copy of this library. */
JNIEXPORT jint JNICALL Java_NativeDeletedCopy_keep(JNIEnv *env, jclass cls, jint n)
{
    (void)env, (void)cls;
    return hold_blocks(n);
}
