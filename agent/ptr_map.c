#include "ptr_map.h"

#include <stdint.h>
#include <stdlib.h>

/* Fibonacci hashing: the high bits of key times 2^64/phi spread pointers of any alignment. */
static size_t home(const struct lb_ptr_map *m, const void *key)
{
    return (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull) >> 24) & m->mask;
}

static struct lb_ptr_map_slot *find(const struct lb_ptr_map *m, const void *key)
{
    for (size_t i = home(m, key);; i = (i + 1) & m->mask)
        if (m->slots[i].key == key || !m->slots[i].key)
            return &m->slots[i];
}

bool lb_ptr_map_init(struct lb_ptr_map *m, size_t expected)
{
    size_t n = 64;
    while (n < 2 * expected + 2)
        n *= 2;
    struct lb_ptr_map bigger = {.mask = n - 1, .used = m->used};
    bigger.slots = calloc(n, sizeof *bigger.slots);
    if (!bigger.slots)
        return false;
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        if (m->slots[i].key)
            *find(&bigger, m->slots[i].key) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return true;
}

void *lb_ptr_map_get(const struct lb_ptr_map *m, const void *key)
{
    if (!m->slots)
        return NULL;
    return find(m, key)->value;
}

void **lb_ptr_map_put(struct lb_ptr_map *m, const void *key)
{
    if ((!m->slots || (m->used + 1) * 2 > m->mask + 1) && !lb_ptr_map_init(m, m->used + 1))
        return NULL;
    struct lb_ptr_map_slot *s = find(m, key);
    if (!s->key) {
        s->key = key;
        s->value = NULL;
        m->used++;
    }
    return &s->value;
}

void lb_ptr_map_free(struct lb_ptr_map *m)
{
    free(m->slots);
    *m = (struct lb_ptr_map){0};
}
