/* Forced GC with reference processing, and counting the JVM's own GCs.
 *
 * A direct buffer or a stream with a finalizer frees its native memory only after a GC found
 * the owner unreachable and the Reference Handler, a Cleaner or the Finalizer thread ran. To
 * tell such memory from a leak, a dump (gc=on) or the Java API first forces a GC and waits,
 * a bounded time, until those threads have run. */
#ifndef LB_GC_H
#define LB_GC_H

#include <jni.h>
#include <jvmti.h>
#include <stdbool.h>
#include <stdint.h>

/* GarbageCollectionFinish: counts a GC; no JVMTI or JNI work may happen inside it. */
void JNICALL lb_gc_on_finish(jvmtiEnv *jvmti);

/* Forces a GC, then waits until reference processing has run and recorded frees have stopped
 * arriving, at most max_wait_ms. jni is the calling thread's environment (live phase), NULL to
 * run no Java code. Returns false when the JVM refused the GC. Never throws into Java: any
 * exception is cleared. Unless exit_report, once the exit report has started (runtime.h's
 * exiting) it forces nothing and stops waiting, returning false if it had not forced yet: the
 * exit report never waits on it, and it makes no more JVMTI or JNI calls. */
bool lb_gc_force_and_settle(JNIEnv *jni, uint64_t max_wait_ms, bool exit_report);

/* Looks, once the VM is live, for the threads of the concurrent collectors, ZGC and
 * Shenandoah. By VM death the JVM has stopped them, and a ForceGarbageCollection then waits
 * for ever (ZGC on JDK 17 and Temurin 25, Shenandoah on JDK 17). */
void lb_gc_check_collector(void);

/* Whether the exit report may force a GC: not under ZGC or Shenandoah, and not while another
 * dump's forced GC has not returned (its GC may never end, and the exit's would queue behind
 * it). */
bool lb_gc_can_force_at_exit(void);

#endif
