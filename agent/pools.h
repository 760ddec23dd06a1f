/* Blocks libraries carve from their own pools (include/leakbridge/leakbridge.h, entry points in
 * pool_api.c): their tags, how the API was misused, and how a pool's blocks share the memory of
 * the tracked chunks they were carved from, so that nothing is counted twice. */
#ifndef LB_POOLS_H
#define LB_POOLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* A pool block's key in the live table: its address with the top bit set, which no user-space
 * address has, so that a block at the start of its chunk does not replace the chunk. */
#define LB_POOLS_KEY_BIT ((uintptr_t)1 << 63)
static inline uintptr_t lb_pools_key(const void *ptr)
{
    return (uintptr_t)ptr | LB_POOLS_KEY_BIT;
}

/* The kept copy of a tag (at most 63 bytes kept), found by pointer first: tags are static
 * strings. "<other pools>" past 256 distinct tags, NULL only when out of memory. */
#define LB_POOLS_TAG_MAX 63
const char *lb_pools_tag(const char *tag);

enum lb_pools_misuse {
    LB_POOLS_BAD_TAG = 0,    /* a NULL or empty tag: the call was ignored */
    LB_POOLS_UNKNOWN_FREE,   /* a free of a block never reported (told only with sample=0) */
    LB_POOLS_DOUBLE_FREE,    /* a free of a block freed already (told only with sample=0) */
    LB_POOLS_UNKNOWN_THREAD, /* a block reported by a thread the JVM does not know */
    LB_POOLS_MISUSE_COUNT
};

/* Counts one misuse; the first of each kind is said on stderr, in one line. */
void lb_pools_misuse(enum lb_pools_misuse what, const char *tag, const void *ptr);

/* A recorded block became live (key: lb_pools_key) or was freed: remembered so that a later
 * free of the same key can be told a double free. */
void lb_pools_note_live(uintptr_t key);
void lb_pools_note_freed(uintptr_t key);
bool lb_pools_freed_before(uintptr_t key);

/* The report's agent.pool_api: blocks recorded and misuse counts. */
json_t *lb_pools_json(void);

/* A site whose live blocks are chunks that pool blocks were carved from. */
struct lb_pools_share {
    const struct lb_site *site;
    const char *pool;          /* the tag of the first pool block found in its chunks */
    uint64_t capacity_bytes;   /* the chunks' estimated bytes */
    uint64_t handed_out_bytes; /* of those, what live pool blocks cover (at most capacity) */
};

/* Every live recorded block of another kind that holds live pool blocks, by site, among blocks
 * stamped at or after since_ms (0: all). Two passes over the live table, made only once a pool
 * block has been recorded. *out is malloc'd (NULL when none); returns the count. */
size_t lb_pools_shares(uint64_t since_ms, struct lb_pools_share **out);

/* For a dump: takes what pool blocks cover out of their chunks' sites' live_bytes and notes it
 * in the snapshot (pool_*), so that totals count every byte once. */
void lb_pools_apply(struct lb_snapshot *snaps, size_t n);

/* The same with shares taken already (lb_pools_shares), for a caller that reads sites one by
 * one (the MXBean's TopSites). */
void lb_pools_apply_shares(const struct lb_pools_share *shares, size_t nshares,
                           struct lb_snapshot *snaps, size_t n);

#endif
