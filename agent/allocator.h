/* The process's malloc, as the allocator itself counts it, and how to recognize its memory in
 * the process's mappings.
 *
 * glibc: mallinfo2 (bytes in use, free bytes held, mmapped chunks) and malloc_info's XML (one
 * <heap nr=...> per arena); its non-main arenas are 64 MiB-aligned reservations that begin with
 * a heap_info header, its large blocks are mappings of their own that begin with a chunk header
 * marked IS_MMAPPED. jemalloc, when it is the process's malloc (LD_PRELOAD): mallctl's stats.
 *
 * Both take the allocator's locks: call them on the dumper thread or at exit, never in a hook. */
#ifndef LB_ALLOCATOR_H
#define LB_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lb_allocator_kind { LB_ALLOCATOR_UNKNOWN, LB_ALLOCATOR_GLIBC, LB_ALLOCATOR_JEMALLOC };

/* glibc's HEAP_MAX_SIZE on 64-bit: the size and alignment of a non-main arena's heap. */
#define LB_ALLOCATOR_ARENA_HEAP ((uintptr_t)64 << 20)

struct lb_allocator {
    enum lb_allocator_kind kind;
    bool stats;             /* the figures below were read */
    uint64_t in_use;        /* glibc: uordblks + hblkhd; jemalloc: stats.allocated */
    uint64_t free;          /* glibc: fordblks (free chunks, top included);
                             jemalloc: resident - allocated */
    uint64_t arenas;        /* glibc: <heap nr=...> in malloc_info; jemalloc: arenas.narenas */
    uint64_t mmapped;       /* glibc: hblkhd, bytes in mmapped chunks */
    uint64_t mmapped_count; /* glibc: hblks */
    uint64_t system;        /* glibc: mallinfo2.arena, bytes the arenas took from the system */
    uint64_t active, resident, retained, mapped; /* jemalloc's stats.* */
};

/* Which allocator serves malloc, and its figures. */
void lb_allocator_read(struct lb_allocator *a);

/* Gives the free memory the allocator holds back to the system (glibc: malloc_trim; jemalloc:
 * a purge of every arena): after a dump, whose report was built in the process's malloc.
 * Returns the allocator it spoke to. */
enum lb_allocator_kind lb_allocator_trim(void);

/* "glibc", "jemalloc" or "unknown". */
const char *lb_allocator_name(enum lb_allocator_kind kind);

/* Whether a readable mapping starting at start (64 MiB-aligned) is a glibc arena heap; if so,
 * *rw_bytes is the part it made readable (the rest of the 64 MiB is reserved). */
bool lb_allocator_arena_heap(uintptr_t start, uint64_t *rw_bytes);

/* Bytes from start (up to end) that are glibc mmapped chunks, one after another; first, when not
 * NULL, is the 16 bytes at start already read (lb_peek_batch), which spares reading them. */
uint64_t lb_allocator_mmapped_chunks(uintptr_t start, uintptr_t end, const uint64_t *first);

#endif
