/* Where the process's memory goes: the report's "memory" section. The RSS of every mapping in
 * /proc/self/smaps is given to one region (java_heap, metaspace, code_cache, thread_stacks,
 * malloc, mapped_files, other) by what is known of its address: the JVM's own ranges
 * (hotspot.h), each thread's stack pointer (task_stacks.h), the allocator's headers and figures
 * (allocator.h). Anonymous memory no address rule claims is then handed out by size, to what is
 * known to hold some (the non-class metaspace the JVM reports, glibc's mmapped chunks or
 * jemalloc's resident bytes, the GC's side tables, NMT's categories, the agent itself); what is
 * left is unexplained_bytes, stated, so that regions + unexplained = rss_bytes. Findings name
 * the common reasons RSS is high without a leak. docs/report-format.md describes each figure.
 *
 * Nothing here runs Java code: figures from the JVM's beans (jmx.h) come in from the caller,
 * which may read them only on the dumper thread. */
#ifndef LB_MEMORY_H
#define LB_MEMORY_H

#include <jansson.h>
#include <stdint.h>

#include "jmx.h"

struct lb_memory_input {
    uint64_t tracked_bytes;      /* live at leakbridge's malloc, direct_buffer and unsafe sites */
    uint64_t tracked_mmap_bytes; /* live at its mmap sites */
    uint64_t agent_bytes;        /* the agent's own mappings (arena.c) */
    const struct lb_jmx *jmx;    /* NULL where no Java code may run (exit, API, no dumper) */
    int jdk_major;               /* 17, 25...; 0 if unknown */
    uint64_t jmx_us;             /* how long reading jmx took */
};

/* The section (a new reference), or NULL if /proc/self/smaps could not be read. */
json_t *lb_memory_section(const struct lb_memory_input *in);

#endif
