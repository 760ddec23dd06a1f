/* leakbridge's public C API: tell the agent about blocks a library carves out of its own pools
 * and arenas, which malloc hooks never see (they see only the pool's big chunks).
 *
 * Include this one header; nothing to link. Every function is a static inline shim that, on its
 * first call in each file that includes the header, looks for the agent in the process with
 * dlsym and keeps the answer. Without the agent (a JVM started without -agentpath, a plain C
 * program, an agent attached after the first call) a call costs two loads and two branches
 * that always go the same way, and does nothing. The shims are safe from any thread, at any time.
 *
 * With the agent, a reported block is treated as a malloc'd one: sampled (sample=), its mixed
 * Java and native stack captured, counted at its site, kept in the live table until freed, and
 * shown in reports, the Java API and the JUnit extension as kind "pool" with the pool's tag.
 * The pool's own chunks, malloc'd and so tracked too, are not counted twice: in a report the
 * chunk's site keeps only what no live block of the pool covers, the pool's free space
 * (docs/pool-api.md).
 *
 * Rules:
 *  - pool is a short (up to 63 bytes kept), non-empty tag, best a string literal: the same tag
 *    for every block of one pool. NULL or "" is a misuse: the call is ignored and counted.
 *  - A block is reported once when handed out and once when given back; its address must be
 *    unique among live blocks of all pools. Freeing a block never reported, or twice, is
 *    counted in the report's agent section (told apart only with sample=0, where every block
 *    is recorded) and said once on stderr, never fatal.
 *  - glibc 2.34 or later has dlsym in libc; with an older glibc link with -ldl.
 *
 * Version 1 of the agent's table; later versions only add members at the end. */
#ifndef LEAKBRIDGE_LEAKBRIDGE_H
#define LEAKBRIDGE_LEAKBRIDGE_H

#include <dlfcn.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the agent exports under the name "leakbridge_pool_api_v1" (its entry points). */
struct leakbridge_pool_api_v1 {
    size_t size; /* sizeof the agent's struct: members past it are missing */
    void (*alloc)(const char *pool, const void *ptr, size_t size);
    void (*free)(const char *pool, const void *ptr);
    void (*realloc)(const char *pool, const void *old_ptr, const void *new_ptr, size_t size);
};

#if defined(__GNUC__)
#define LEAKBRIDGE_INLINE_ static inline __attribute__((always_inline))
#define LEAKBRIDGE_COLD_ static __attribute__((noinline, cold, unused))
#define LEAKBRIDGE_UNUSED_ __attribute__((unused))
#else
#define LEAKBRIDGE_INLINE_ static inline
#define LEAKBRIDGE_COLD_ static
#define LEAKBRIDGE_UNUSED_
#endif

/* Internal: one per file that includes this header; 0 until the first call looked. */
static const struct leakbridge_pool_api_v1 *leakbridge_pool_cached_ LEAKBRIDGE_UNUSED_;

/* Internal: looks once for the agent's table; without it, a table with no entry points. */
LEAKBRIDGE_COLD_ const struct leakbridge_pool_api_v1 *leakbridge_pool_resolve_(void)
{
    static const struct leakbridge_pool_api_v1 none = {sizeof none, 0, 0, 0};
    /* RTLD_DEFAULT, which <dlfcn.h> names only under _GNU_SOURCE: the global scope. */
    const struct leakbridge_pool_api_v1 *api =
        (const struct leakbridge_pool_api_v1 *)dlsym((void *)0, "leakbridge_pool_api_v1");
    if (!api || api->size < sizeof *api)
        api = &none;
    __atomic_store_n(&leakbridge_pool_cached_, api, __ATOMIC_RELEASE); /* races agree */
    return api;
}

/* Internal: the table: one load and one branch that always goes the same way. */
LEAKBRIDGE_INLINE_ const struct leakbridge_pool_api_v1 *leakbridge_pool_api_(void)
{
    const struct leakbridge_pool_api_v1 *api =
        __atomic_load_n(&leakbridge_pool_cached_, __ATOMIC_ACQUIRE);
    if (__builtin_expect(api != 0, 1))
        return api;
    return leakbridge_pool_resolve_();
}

/* A block of `size` bytes at ptr, carved from the pool tagged `pool`, became live. */
LEAKBRIDGE_INLINE_ void leakbridge_pool_alloc(const char *pool, const void *ptr, size_t size)
{
    const struct leakbridge_pool_api_v1 *api = leakbridge_pool_api_();
    if (api->alloc)
        api->alloc(pool, ptr, size);
}

/* The block at ptr went back to the pool tagged `pool`. A NULL ptr does nothing. */
LEAKBRIDGE_INLINE_ void leakbridge_pool_free(const char *pool, const void *ptr)
{
    const struct leakbridge_pool_api_v1 *api = leakbridge_pool_api_();
    if (api->free)
        api->free(pool, ptr);
}

/* The block at old_ptr was resized to `size` bytes, now at new_ptr (maybe old_ptr): the same
 * as leakbridge_pool_free(pool, old_ptr) then leakbridge_pool_alloc(pool, new_ptr, size). A
 * NULL old_ptr only allocates. */
LEAKBRIDGE_INLINE_ void leakbridge_pool_realloc(const char *pool, const void *old_ptr,
                                                const void *new_ptr, size_t size)
{
    const struct leakbridge_pool_api_v1 *api = leakbridge_pool_api_();
    if (api->realloc)
        api->realloc(pool, old_ptr, new_ptr, size);
}

#ifdef __cplusplus
}
#endif

#endif
