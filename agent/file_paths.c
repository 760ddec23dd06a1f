#include "file_paths.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

#define SLOTS 4096 /* a power of two; at most half of them are filled */

static const char *slots[SLOTS];
static unsigned used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

const char *lb_file_paths_intern(const char *path)
{
    const char *kept = NULL;
    pthread_mutex_lock(&lock);
    size_t i = (size_t)hash(path) & (SLOTS - 1);
    while (slots[i] && strcmp(slots[i], path) != 0)
        i = (i + 1) & (SLOTS - 1);
    if (slots[i]) {
        kept = slots[i];
    } else if (used >= SLOTS / 2) {
        kept = "<other files>";
    } else {
        size_t len = strlen(path) + 1;
        char *copy = lb_arena_calloc(len);
        if (copy) {
            memcpy(copy, path, len);
            slots[i] = kept = copy;
            used++;
        }
    }
    pthread_mutex_unlock(&lock);
    return kept;
}
