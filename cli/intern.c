#include "intern.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies live in chunks that are never moved; a table of pointers to them, open addressing,
 * at most half full. */
#define CHUNK_SIZE (256 * 1024)

struct chunk {
    struct chunk *next;
    size_t used, size;
    char text[];
};

struct lbc_strings {
    const char **slots;
    uint32_t *hashes; /* each slot's hash, to pass over most other strings unread */
    size_t *lengths;  /* each slot's string's */
    size_t nslots, count, bytes;
    struct chunk *chunks;
};

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

struct lbc_strings *lbc_strings_new(void)
{
    struct lbc_strings *set = calloc(1, sizeof *set);
    if (set) {
        set->slots = calloc(set->nslots = 1024, sizeof *set->slots);
        set->hashes = calloc(set->nslots, sizeof *set->hashes);
        set->lengths = calloc(set->nslots, sizeof *set->lengths);
    }
    if (set && (!set->slots || !set->hashes || !set->lengths)) {
        lbc_strings_free(set);
        return NULL;
    }
    return set;
}

/* The slot of s (hash h), or the empty slot where it goes. */
static size_t slot_of(const struct lbc_strings *set, const char *s, size_t len, uint32_t h)
{
    size_t i = h & (set->nslots - 1);
    while (set->slots[i] &&
           (set->hashes[i] != h || set->lengths[i] != len || memcmp(set->slots[i], s, len) != 0))
        i = (i + 1) & (set->nslots - 1);
    return i;
}

static bool grow(struct lbc_strings *set)
{
    size_t nslots = set->nslots * 2;
    const char **slots = calloc(nslots, sizeof *slots);
    uint32_t *hashes = calloc(nslots, sizeof *hashes);
    size_t *lengths = calloc(nslots, sizeof *lengths);
    if (!slots || !hashes || !lengths) {
        free(slots);
        free(hashes);
        free(lengths);
        return false;
    }
    for (size_t i = 0; i < set->nslots; i++)
        if (set->slots[i]) {
            size_t j = set->hashes[i] & (nslots - 1);
            while (slots[j])
                j = (j + 1) & (nslots - 1);
            slots[j] = set->slots[i];
            hashes[j] = set->hashes[i];
            lengths[j] = set->lengths[i];
        }
    free(set->slots);
    free(set->hashes);
    free(set->lengths);
    set->slots = slots;
    set->hashes = hashes;
    set->lengths = lengths;
    set->nslots = nslots;
    return true;
}

static char *copy(struct lbc_strings *set, const char *s, size_t len)
{
    struct chunk *c = set->chunks;
    if (!c || c->size - c->used < len + 1) {
        size_t size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
        if (!(c = malloc(sizeof *c + size)))
            return NULL;
        c->next = set->chunks;
        c->used = 0;
        c->size = size;
        set->chunks = c;
        set->bytes += sizeof *c + size;
    }
    char *out = memcpy(c->text + c->used, s, len + 1);
    c->used += len + 1;
    return out;
}

const char *lbc_strings_intern(struct lbc_strings *set, const char *s)
{
    size_t len = strlen(s);
    uint32_t h = (uint32_t)(hash(s, len) >> 16);
    size_t i = slot_of(set, s, len, h);
    if (set->slots[i])
        return set->slots[i];
    if (2 * (set->count + 1) > set->nslots) {
        if (!grow(set))
            return NULL;
        i = slot_of(set, s, len, h);
    }
    if (!(set->slots[i] = copy(set, s, len)))
        return NULL;
    set->hashes[i] = h;
    set->lengths[i] = len;
    set->count++;
    return set->slots[i];
}

const char *lbc_strings_copy(struct lbc_strings *set, const char *s)
{
    return copy(set, s, strlen(s));
}

size_t lbc_strings_bytes(const struct lbc_strings *set)
{
    return set->bytes +
           set->nslots * (sizeof *set->slots + sizeof *set->hashes + sizeof *set->lengths);
}

void lbc_strings_free(struct lbc_strings *set)
{
    if (!set)
        return;
    for (struct chunk *c = set->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(set->slots);
    free(set->hashes);
    free(set->lengths);
    free(set);
}
