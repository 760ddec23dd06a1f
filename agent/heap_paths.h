/* Who holds a native block: one walk of the Java heap from the GC roots (JVMTI FollowReferences)
 * finds the objects that hold a block's address in a long field (a DirectByteBuffer's address,
 * a zstd stream's pointer) and the shortest reference path from a root to each of them.
 *
 * The walk runs in a JVMTI environment of its own, made for it and disposed of after it, so the
 * tag of every object it visits goes with that environment at once. The JVM runs the walk as a
 * VM operation at a safepoint: every Java thread is stopped while it runs (threads in native
 * code run on until they return to Java). Its callbacks only read and write the walk's own
 * memory (mappings of its own). docs/design.md, Owners, says why it works this way. */
#ifndef LB_HEAP_PATHS_H
#define LB_HEAP_PATHS_H

#include <jansson.h>
#include <jni.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lb_holder {
    LB_HOLDER_UNKNOWN = 0, /* the walk ran out of its budget before it found one */
    LB_HOLDER_NONE,        /* the walk ended: no object holds the address */
    LB_HOLDER_REACHABLE,   /* a reachable object holds it: path is set */
    LB_HOLDER_UNREACHABLE, /* only an object no GC root reaches holds it: holder_class is set */
};

struct lb_heap_owner {
    uintptr_t addr;       /* in: a block's address */
    enum lb_holder state; /* out */
    /* out, REACHABLE: {"root": {...}, "steps": [...], "text": "..."}
     * (docs/report-format.md#owners); a new reference, or NULL when out of memory. */
    json_t *path;
    /* out, REACHABLE: the path's text with array indices left out ("[]"): blocks whose paths
     * differ only in an index share it. malloc'd. */
    char *key;
    /* out, UNREACHABLE: the holder's class ("java.nio.DirectByteBuffer"); malloc'd. */
    char *holder_class;
};

struct lb_heap_paths_stats {
    uint64_t walk_ms;      /* the walks (each a safepoint pause), the unreachable pass included */
    uint64_t longest_ms;   /* the longest single walk: the longest pause */
    unsigned passes;       /* walks from the roots (the first, and those that shortened paths) */
    bool shortest;         /* the last walk shortened nothing: every path is a shortest one */
    uint64_t objects;      /* objects visited (tagged) */
    uint64_t memory_bytes; /* the walk's own memory plus its estimate of the JVM's tag map */
    const char *exhausted; /* NULL, "time" or "memory": the walk stopped there */
    const char *error;     /* NULL, or why no walk was made */
};

/* Finds the holders of owners[0..n) (sorted by addr, distinct). Bounded by time_ms and
 * memory_bytes (0: no bound). Must run on a thread attached to the JVM, in the live phase; makes
 * JNI and JVMTI calls and runs no Java code. Returns false (stats->error says why) when no walk
 * could be made; every owner is then UNKNOWN. */
/* give_way (or NULL): the walk stops, as if out of time, once it is set (the exit report). */
bool lb_heap_paths_find(JNIEnv *jni, struct lb_heap_owner *owners, size_t n, uint64_t time_ms,
                        uint64_t memory_bytes, const _Atomic bool *give_way,
                        struct lb_heap_paths_stats *stats);

/* Frees what lb_heap_paths_find put in owners. */
void lb_heap_paths_free(struct lb_heap_owner *owners, size_t n);

#endif
