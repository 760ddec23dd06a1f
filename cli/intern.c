#include "intern.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies live in chunks that are never moved; a table of pointers to them, open addressing,
 * at most half full. A slot holds the pointer, its string's hash and length and its first 16
 * bytes together: a probe reads one cache line, and a short string (a method, a symbol, an
 * offset) is found without reading its copy. */
#define CHUNK_SIZE (256 * 1024)
#define HEAD 16

struct chunk {
    struct chunk *next;
    size_t used, size;
    char text[];
};

struct slot {
    const char *text; /* NULL: empty */
    uint32_t hash;    /* to pass over most other strings unread */
    uint32_t length;
    uint64_t head[HEAD / 8]; /* the first bytes, zeros after the end */
};

struct lbc_strings {
    struct slot *slots;
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
    if (set)
        set->slots = calloc(set->nslots = 1024, sizeof *set->slots);
    if (set && !set->slots) {
        lbc_strings_free(set);
        return NULL;
    }
    return set;
}

/* s's first bytes as a slot holds them. */
static void head_of(const char *s, size_t len, uint64_t head[HEAD / 8])
{
    if (len >= HEAD) {
        memcpy(head, s, HEAD);
        return;
    }
    head[0] = head[1] = 0;
    memcpy(head, s, len);
}

/* The slot of s (hash h, first bytes head), or the empty slot where it goes. */
static size_t slot_of(const struct lbc_strings *set, const char *s, uint32_t len, uint32_t h,
                      const uint64_t head[HEAD / 8])
{
    size_t i = h & (set->nslots - 1);
    for (const struct slot *t; (t = &set->slots[i])->text; i = (i + 1) & (set->nslots - 1))
        if (t->hash == h && t->length == len && t->head[0] == head[0] && t->head[1] == head[1] &&
            (len <= HEAD || memcmp(t->text + HEAD, s + HEAD, len - HEAD) == 0))
            break;
    return i;
}

static bool grow(struct lbc_strings *set)
{
    size_t nslots = set->nslots * 2;
    struct slot *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < set->nslots; i++)
        if (set->slots[i].text) {
            size_t j = set->slots[i].hash & (nslots - 1);
            while (slots[j].text)
                j = (j + 1) & (nslots - 1);
            slots[j] = set->slots[i];
        }
    free(set->slots);
    set->slots = slots;
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
    if (len > UINT32_MAX)
        return copy(set, s, len); /* kept, not shared: no string of a report is that long */
    uint32_t h = (uint32_t)(hash(s, len) >> 16);
    uint64_t head[HEAD / 8];
    head_of(s, len, head);
    size_t i = slot_of(set, s, (uint32_t)len, h, head);
    if (set->slots[i].text)
        return set->slots[i].text;
    if (2 * (set->count + 1) > set->nslots) {
        if (!grow(set))
            return NULL;
        i = slot_of(set, s, (uint32_t)len, h, head);
    }
    const char *text = copy(set, s, len);
    if (!text)
        return NULL;
    set->slots[i] = (struct slot){text, h, (uint32_t)len, {head[0], head[1]}};
    set->count++;
    return text;
}

const char *lbc_strings_copy(struct lbc_strings *set, const char *s)
{
    return copy(set, s, strlen(s));
}

size_t lbc_strings_bytes(const struct lbc_strings *set)
{
    return set->bytes + set->nslots * sizeof *set->slots;
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
    free(set);
}
