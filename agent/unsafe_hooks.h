/* Wrappers for the three natives of jdk.internal.misc.Unsafe that every Unsafe and
 * DirectByteBuffer allocation goes through, installed from the NativeMethodBind event. */
#ifndef LB_UNSAFE_HOOKS_H
#define LB_UNSAFE_HOOKS_H

#include <stdbool.h>

/* If name is one of allocateMemory0, reallocateMemory0, freeMemory0 (of Unsafe, which the caller
 * has checked), remembers the original at address and points *new_address at the wrapper.
 * Binding the wrapper itself again changes nothing. */
bool lb_unsafe_hooks_bind(const char *name, void *address, void **new_address);

#endif
