/* The monitoring face: a platform MXBean, io.leakbridge:type=LeakBridge, that the agent defines
 * and registers itself, so that JMX tools, Flink's JMX reporter and the Prometheus JMX exporter
 * read the live figures of a JVM started with -agentpath alone (docs/flink.md, "Monitoring").
 *
 * Its two classes (java/mxbean, embedded at build time) are defined in the boot class loader and
 * registered by the dumper thread (dumper.h), never by an application thread, and only once the
 * platform MBeanServer exists: creating it is not the agent's to do (it initializes
 * java.util.logging's LogManager and some 900 classes, which an application may want to
 * configure first), and until someone has created it no one can read an MBean anyway. */
#ifndef LB_MXBEAN_H
#define LB_MXBEAN_H

#include <jvmti.h>

/* At VMInit, or at attach (after lb_dumper_start): registers the MXBean at once if the platform
 * MBeanServer exists already (a JVM attached to), else when it appears. */
void lb_mxbean_start(jvmtiEnv *jvmti, JNIEnv *jni);

/* ClassPrepare: notes java.lang.management.ManagementFactory, and wakes the dumper thread when
 * javax.management.MBeanServerFactory arrives (an MBeanServer is being made). */
void lb_mxbean_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jclass klass);

#endif
