/* The site table: one site per distinct (origin, stack), with its counters.
 *
 * Equal stacks share one site, so a report groups blocks by where they were allocated. Lookups
 * take no lock; a new site is added under one mutex. Sites are never freed while the agent runs:
 * live blocks point at them and reports list them.
 *
 * The table is bounded (lb_sites_set_limit): once it holds max_sites sites, or the arena refuses
 * memory for one more (arena.h's limit), a new stack is folded into an overflow site, one per
 * origin, kind and module, which counts like any other site. Nothing is dropped: the folded
 * stacks' allocations and frees are counted there, and how many distinct stacks were folded is
 * estimated (a HyperLogLog sketch of their hashes). */
#ifndef LB_SITES_H
#define LB_SITES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakbridge/report_format.h"
#include "sampler.h"

/* A marker stands where frames were not taken (stacks.h, lb_stacks_marker). */
enum lb_frame_type { LB_FRAME_JAVA = 1, LB_FRAME_NATIVE = 2, LB_FRAME_MARKER = 3 };
#define LB_FRAME_ID_STACK_TOO_SMALL 1 /* the id of the marker "[stack too small to walk]" */

/* One frame as captured: no names. Java methods are looked up by the dumper thread when the
 * site is new (java_names.c), native addresses when a report is written (symbols.c). */
struct lb_frame {
    uintptr_t id;  /* jmethodID for Java frames, return address for native frames, a marker's id */
    int32_t bci;   /* bytecode index of a Java frame, -1 when unknown */
    uint32_t type; /* enum lb_frame_type */
};

/* A site kind of the agent's own, beyond the report's: memory the JDK holds for itself
 * (site_kind.h). The tracker records nothing at such a site. */
#define LB_KIND_JDK_INTERNAL LB_KIND_COUNT

/* Which hook recorded the allocation: part of the site's identity. */
enum lb_origin {
    LB_ORIGIN_UNSAFE = 0,
    LB_ORIGIN_MALLOC,
    LB_ORIGIN_MMAP,
    LB_ORIGIN_MAPPED_FILE,
    LB_ORIGIN_POOL /* leakbridge_pool_alloc (pool_api.c) */
};

struct lb_site {
    struct lb_site *_Atomic bucket_next; /* chain in the hash bucket */
    struct lb_site *all_next;            /* list of all sites, newest first */
    uint64_t hash;
    uint32_t id; /* 1, 2, ... in order of creation */
    uint8_t origin;
    _Atomic uint8_t kind; /* enum lb_kind: decided when the site is created; may become
                             LB_KIND_JDK_INTERNAL once, when settled (site_kind.h) */
    uint16_t nframes;
    bool by_id;          /* lb_sites_by_id finds it: its blocks can be recorded */
    uint32_t module_gen; /* lb_modules_generation when the stack was captured */
    const char *file;    /* a mapped file's path (file_paths.h) or a pool's tag (pools.h), part
                            of the identity; or NULL */
    struct lb_site_overflow *overflow; /* only for an overflow site (nframes is then 0) */
    /* Estimates as explained in sampler.h: bytes, and counts in units of 1/LB_COUNT_ONE. What
     * is live is allocated - freed (lb_sites_live_*): two atomic adds per sample, not four. */
    _Atomic uint64_t allocated_bytes;
    _Atomic uint64_t allocated_count_fp;
    _Atomic uint64_t freed_bytes;
    _Atomic uint64_t freed_count_fp;
    struct lb_frame frames[];
};

/* What an overflow site folded. */
#define LB_SITES_SKETCH_BITS 10
struct lb_site_overflow {
    const char *module;     /* the module the folded stacks were grouped by (a path kept for ever),
                               or NULL: no JNI library or dependency among their frames */
    uint8_t kind;           /* enum lb_kind of the folded stacks, as decided for each */
    uint32_t index;         /* 0, 1, ... in order of creation among overflow sites */
    _Atomic uint64_t folds; /* allocations folded here (each of a stack that had no site) */
    _Atomic uint8_t sketch[1u << LB_SITES_SKETCH_BITS]; /* HyperLogLog registers */
};

/* Decides a new site's kind from its frames (e.g. DirectByteBuffer.<init> among them). Called
 * without any lock held, only for stacks not seen before. */
typedef enum lb_kind (*lb_sites_kind_fn)(enum lb_origin origin, const struct lb_frame *frames,
                                         int nframes);

/* Returns the site for this stack (and file: a kept path, compared by pointer, or NULL),
 * creating it if new; NULL only when out of memory. module_gen says which loaded objects the
 * native frames' addresses belong to (modules.h). */
struct lb_site *lb_sites_intern_at(enum lb_origin origin, const struct lb_frame *frames,
                                   int nframes, lb_sites_kind_fn kind_of, uint32_t module_gen,
                                   const char *file);

static inline struct lb_site *lb_sites_intern(enum lb_origin origin, const struct lb_frame *frames,
                                              int nframes, lb_sites_kind_fn kind_of)
{
    return lb_sites_intern_at(origin, frames, nframes, kind_of, 0, NULL);
}

static inline void lb_sites_add(struct lb_site *site, const struct lb_weight *w)
{
    atomic_fetch_add_explicit(&site->allocated_bytes, w->bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&site->allocated_count_fp, w->count_fp, memory_order_relaxed);
}

static inline void lb_sites_sub(struct lb_site *site, const struct lb_weight *w)
{
    atomic_fetch_add_explicit(&site->freed_bytes, w->bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&site->freed_count_fp, w->count_fp, memory_order_relaxed);
}

/* Live = allocated - freed. The two loads are not one snapshot: a free counted between them
 * could make freed exceed allocated for a moment, which reads as 0 rather than wrapping. */
static inline uint64_t lb_sites_live_left(uint64_t allocated, uint64_t freed)
{
    return freed < allocated ? allocated - freed : 0;
}

static inline uint64_t lb_sites_live_bytes(const struct lb_site *site)
{
    uint64_t a = atomic_load_explicit(&site->allocated_bytes, memory_order_relaxed);
    return lb_sites_live_left(a, atomic_load_explicit(&site->freed_bytes, memory_order_relaxed));
}

static inline uint64_t lb_sites_live_count_fp(const struct lb_site *site)
{
    uint64_t a = atomic_load_explicit(&site->allocated_count_fp, memory_order_relaxed);
    return lb_sites_live_left(a, atomic_load_explicit(&site->freed_count_fp, memory_order_relaxed));
}

/* The module an overflow site groups a stack by: called only when a stack is folded. */
typedef const char *(*lb_sites_module_fn)(const struct lb_frame *frames, int nframes,
                                          uint32_t module_gen);

/* Bounds the table: at most max_sites sites (0: no bound) before new stacks are folded, each
 * into the overflow site of its origin, kind and module_of's answer. Call before any intern. */
void lb_sites_set_limit(size_t max_sites, lb_sites_module_fn module_of);

/* How many distinct stacks an overflow site folded: an estimate within a few percent. */
uint64_t lb_sites_folded_stacks(const struct lb_site *site);

/* How much folding there was so far. */
struct lb_sites_folding {
    uint64_t folds;        /* allocations folded into overflow sites */
    size_t overflow_sites; /* overflow sites made */
    bool by_count;         /* max_sites was reached */
    bool by_memory;        /* the arena refused memory for a site */
};
void lb_sites_folding(struct lb_sites_folding *out);

/* The site with this id, or NULL (0, or not made yet). Lock-free: a page of ids at a time. */
struct lb_site *lb_sites_by_id(uint32_t id);

/* The newest site; follow all_next for the rest. Safe to walk while sites are added. */
struct lb_site *lb_sites_first(void);
size_t lb_sites_count(void);

/* Frees everything. Only for tests and only when no other thread uses the table. */
void lb_sites_reset(void);

#endif
