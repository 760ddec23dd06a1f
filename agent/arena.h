/* The agent's own memory for its sites and live tables.
 *
 * Blocks come from anonymous mappings of the agent's own, not from the process's malloc: the
 * allocator the agent hooks is the application's, and the agent allocating from it on the
 * sampled path of an application thread competed with that thread for the same malloc arena
 * and put the agent's tables among the application's blocks. Small blocks are carved from
 * 1 MiB chunks and kept on free lists by size class for reuse; large ones (above 64 KiB) are
 * mappings of their own, unmapped when freed. Chunks are never unmapped.
 *
 * Under AddressSanitizer (the unit tests) every block comes from calloc instead, so that the
 * sanitizer still sees overflows and leaks in the tables. */
#ifndef LB_ARENA_H
#define LB_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Alignment of every block: a cache line, so that no two blocks share one. */
#define LB_ARENA_ALIGN 64

/* A zeroed block of at least size bytes, or NULL when out of memory (or size is 0), or when a
 * new mapping would take the arena past its limit (lb_arena_set_limit). */
void *lb_arena_calloc(size_t size);

/* The same, past the limit: for the few small blocks that keep the agent's promises once the
 * limit is reached (an overflow site, sites.h; a live table's room to clear its tombstones). */
void *lb_arena_calloc_past_limit(size_t size);

/* Bounds what lb_arena_calloc maps: at most limit bytes (0: no bound). Blocks already on a free
 * list or in a chunk mapped before are still given out. */
void lb_arena_set_limit(size_t limit);

/* How many times lb_arena_calloc refused a block for the limit. */
size_t lb_arena_refusals(void);

/* Gives back a block from lb_arena_calloc; size must be the size it was asked for. NULL is
 * ignored. */
void lb_arena_free(void *p, size_t size);

/* True when blocks come from the agent's mappings, false under AddressSanitizer (calloc). */
bool lb_arena_mapped(void);

/* Bytes mapped so far for the arena: chunks plus large blocks not yet freed. */
size_t lb_arena_mapped_bytes(void);

#endif
