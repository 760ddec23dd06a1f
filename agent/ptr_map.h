/* A map from pointer to pointer: open addressing, linear probing, grown at half full, memory
 * from malloc. For the dump's bookkeeping (a report's frame texts, kept Java methods, the site of
 * each block), never for the hooks. Not thread-safe: its owner locks. */
#ifndef LB_PTR_MAP_H
#define LB_PTR_MAP_H

#include <stdbool.h>
#include <stddef.h>

struct lb_ptr_map_slot {
    const void *key; /* NULL: free */
    void *value;
};

struct lb_ptr_map {
    size_t mask, used; /* mask + 1 slots, a power of two, or none yet */
    struct lb_ptr_map_slot *slots;
};

/* Zero-initialized is an empty map; expected (may be 0) sizes its first table. */
bool lb_ptr_map_init(struct lb_ptr_map *m, size_t expected);

/* The value of key, or NULL. */
void *lb_ptr_map_get(const struct lb_ptr_map *m, const void *key);

/* The value cell of key, added (holding NULL) if key was not there; NULL when out of memory.
 * key must not be NULL. */
void **lb_ptr_map_put(struct lb_ptr_map *m, const void *key);

/* Frees the table, not the values: walk the slots first to free them. */
void lb_ptr_map_free(struct lb_ptr_map *m);

#endif
