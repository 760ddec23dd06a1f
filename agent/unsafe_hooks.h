/* Wrappers for the three natives of jdk.internal.misc.Unsafe that every Unsafe and
 * DirectByteBuffer allocation goes through, installed from the NativeMethodBind event. */
#ifndef LB_UNSAFE_HOOKS_H
#define LB_UNSAFE_HOOKS_H

#include <jni.h>
#include <stdbool.h>
#include <stddef.h>

/* If name is one of allocateMemory0, reallocateMemory0, freeMemory0 (of Unsafe, which the caller
 * has checked), remembers the original at address and points *new_address at the wrapper.
 * Binding the wrapper itself again changes nothing. */
bool lb_unsafe_hooks_bind(const char *name, void *address, void **new_address);

/* Attach mode, where the natives are bound already: finds the originals by name in libjvm's
 * symbol table (Unsafe_AllocateMemory0, ...) and registers the wrappers in their place. Calls
 * in flight keep using the originals, so no call ever fails. False, with the reason in why,
 * when libjvm has no symbol table: Unsafe and direct buffers are then not tracked. */
bool lb_unsafe_hooks_attach(JNIEnv *jni, char *why, size_t why_len);

#endif
