/* What HotSpot says about its own memory without running Java code, so that it can be read
 * anywhere (the exit report in VMDeath, a dump on the caller's thread):
 * - the tables libjvm exports for the Serviceability Agent (gHotSpotVMStructs, gHotSpotVMTypes):
 *   the heap's reserved range, the code cache's bounds, the compressed class base, the CDS
 *   archive's range, and flags (collector, CompressedClassSpaceSize, NativeMemoryTracking);
 * - the JVM's perf data (the hsperfdata counters, found through PerfMemory in the same tables):
 *   heap capacity and use per generation, metaspace and class space, live Java threads.
 * Every read of the JVM's memory goes through process_vm_readv, so a table that is not what we
 * expect gives an error, never a crash. */
#ifndef LB_HOTSPOT_H
#define LB_HOTSPOT_H

#include <stdbool.h>
#include <stdint.h>

enum lb_hotspot_gc {
    LB_GC_UNKNOWN,
    LB_GC_G1,
    LB_GC_PARALLEL,
    LB_GC_SERIAL,
    LB_GC_Z,
    LB_GC_SHENANDOAH
};

struct lb_hotspot {
    bool structs; /* the tables were found and read */
    enum lb_hotspot_gc gc;
    uintptr_t heap_start, heap_end;   /* CollectedHeap::_reserved; 0 when unknown (ZGC) */
    uintptr_t code_start, code_end;   /* CodeCache::_low_bound, _high_bound */
    uintptr_t klass_base;             /* CompressedKlassPointers base */
    uintptr_t cds_start, cds_end;     /* MetaspaceObj::_shared_metaspace_base, _top */
    uint64_t class_space_size;        /* CompressedClassSpaceSize; 0 without class pointers */
    uint64_t max_heap;                /* MaxHeapSize */
    char nmt[16];                     /* NativeMemoryTracking: off, summary, detail */
    bool perf;                        /* perf data was found and read */
    int64_t heap_capacity, heap_used; /* sun.gc.generation.*, as of the last GC; -1 unknown */
    int64_t meta_capacity, meta_used, class_capacity, class_used; /* metaspace, class space */
    int64_t java_threads;                                         /* java.threads.live */
};

/* Fills h; fields it could not learn are 0 (ranges) or -1 (perf counters). */
void lb_hotspot_read(struct lb_hotspot *h);

/* Where a JavaThread keeps what activation.c reads on the hot path: offsets into JavaThread
 * (the frame anchor's fields are added to anchor) and the template interpreter's code range. */
struct lb_hotspot_thread {
    uint64_t anchor;                 /* JavaThread::_anchor */
    uint64_t last_java_sp;           /* JavaFrameAnchor::_last_Java_sp */
    uint64_t last_java_pc;           /* JavaFrameAnchor::_last_Java_pc */
    uint64_t state;                  /* JavaThread::_thread_state (an int) */
    uint64_t stack_base, stack_size; /* JavaThread::_stack_base, _stack_size */
    uintptr_t interpreter_start, interpreter_end;
};

/* Fills out; false when a table lacks one of them. Call once the JVM has started (the
 * interpreter is generated before VMInit). */
bool lb_hotspot_thread_layout(struct lb_hotspot_thread *out);

/* Whether NMT is on (NativeMemoryTracking is summary or detail). */
bool lb_hotspot_nmt_on(void);

/* "G1", "Parallel", "Serial", "Z", "Shenandoah" or "unknown". */
const char *lb_hotspot_gc_name(enum lb_hotspot_gc gc);

#endif
