/* The JVM's own memory figures through its management beans (java.lang.management), read with
 * JNI: heap use and commitment as of now (perf data's are as of the last GC), the metaspace,
 * class space and code heap pools, the JDK's direct and mapped buffer pools, and NMT's summary
 * (the vmNativeMemory operation of the DiagnosticCommand MBean) when NMT is on.
 *
 * This runs Java code: only on the agent's dumper thread, never on an application thread and
 * never at exit (the VMDeath callback runs on an application thread). */
#ifndef LB_JMX_H
#define LB_JMX_H

#include <jni.h>
#include <stdbool.h>
#include <stdint.h>

#define LB_JMX_NMT_MAX 40

struct lb_jmx_nmt {
    char name[48];
    int64_t reserved, committed;
    int64_t malloc_bytes;   /* of committed, malloc'd; -1 if not shown */
    int64_t mmap_committed; /* of committed, mapped; -1 if not shown */
};

struct lb_jmx {
    bool ok;                                     /* the memory beans answered */
    int64_t heap_used, heap_committed, heap_max; /* -1 when unknown */
    int64_t meta_used, meta_committed, class_used, class_committed;
    int64_t code_used, code_committed;
    int64_t direct_count, direct_bytes, mapped_count, mapped_bytes;
    bool nmt;           /* NMT's summary was read */
    int64_t nmt_malloc; /* NMT's total malloc'd bytes (committed), -1 if not shown */
    int nnmt;
    struct lb_jmx_nmt nmt_rows[LB_JMX_NMT_MAX];
};

/* Reads the beans on the calling thread (the dumper thread); with want_nmt also NMT's summary.
 * Clears any exception it causes; j->ok says whether the memory beans answered. */
void lb_jmx_read(JNIEnv *jni, bool want_nmt, struct lb_jmx *j);

/* Parses the text of `VM.native_memory summary` into j's NMT rows (public for the unit test). */
void lb_jmx_parse_nmt(const char *text, struct lb_jmx *j);

#endif
