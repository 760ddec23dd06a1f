/* The natives of io.leakbridge.LeakBridge (java/): registered when that class is prepared, or
 * found among the loaded classes when the agent is attached at run time. */
#ifndef LB_JAVA_API_H
#define LB_JAVA_API_H

#include <jvmti.h>

/* ClassPrepare: registers the natives if klass is io.leakbridge.LeakBridge. */
void lb_java_api_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jclass klass);

/* Attach mode: registers the natives if the class is already loaded. */
void lb_java_api_attach(jvmtiEnv *jvmti, JNIEnv *jni);

#endif
