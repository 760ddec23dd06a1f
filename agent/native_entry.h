/* Entry marks for JNI libraries' native methods: each such method is bound (NativeMethodBind)
 * to a small generated stub that writes, in the calling thread's lb_native_entry, a new count,
 * the stack slot holding its return address and that address, then jumps to the real function
 * with every register and the stack as they were. No frame of its own: native stacks are
 * unchanged.
 *
 * What it is for: every sample inside one JNI call has the same Java frames (the thread cannot
 * run Java code while it is in that call, but through a nested call that enters another stub),
 * so they can be walked once per call instead of once per sample (activation.c). The mark tells
 * a sample which call it is in; a count that did not move tells that no native method of a JNI
 * library was entered since. */
#ifndef LB_NATIVE_ENTRY_H
#define LB_NATIVE_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

struct lb_native_entry {
    uint64_t count; /* stubbed entries on this thread, ever */
    uintptr_t slot; /* the stack slot with the return address, at the latest entry */
    uintptr_t ret;  /* the return address there then (into the JVM's native wrapper) */
};
extern __thread struct lb_native_entry lb_native_entry __attribute__((tls_model("initial-exec")));

/* Bumped by lb_native_entry_bound for every native method the JVM binds, stubbed or not: a
 * Java frame kept from before a bind is not reused after it (activation.c). */
extern _Atomic uint64_t lb_native_entry_binds;

/* The stub for target (the same one for every method bound to target), or NULL when none could
 * be made (no memory) or the platform has none (x86-64 only): the method is then bound as it
 * is, and activation.c's proof fails for its calls. */
void *lb_native_entry_stub(void *target);

/* Counts a bind (see lb_native_entry_binds). */
void lb_native_entry_bound(void);

/* Whether p is inside one of the stubs (a rebind to a stub must not be wrapped again). */
bool lb_native_entry_is_stub(const void *p);

#endif
