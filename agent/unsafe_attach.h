/* Unsafe and direct buffer allocations when the agent is attached to a running JVM.
 *
 * The Unsafe natives are bound already, so no NativeMethodBind event comes for them, and
 * registering wrappers with RegisterNatives makes the JVM print a warning on the program's
 * stdout ("Re-registering of platform native method"). Instead, libjvm's own malloc, realloc
 * and free import slots are redirected: a sampled allocation whose innermost Java frame is
 * Unsafe.allocateMemory0 or reallocateMemory0 is recorded; anything else libjvm allocates is
 * left alone. These hooks run inside libjvm, in VM state: they use AsyncGetCallTrace and
 * never call JVMTI or JNI functions. */
#ifndef LB_UNSAFE_ATTACH_H
#define LB_UNSAFE_ATTACH_H

#include <jvmti.h>
#include <stdbool.h>
#include <stddef.h>

/* Installs the libjvm hooks. False, with the reason in why, if that is not possible. */
bool lb_unsafe_attach(jvmtiEnv *jvmti, JNIEnv *jni, char *why, size_t why_len);

#endif
