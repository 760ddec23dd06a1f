/* Java frames walked once per JNI call. A thread inside a native method cannot change its Java
 * frames until the method returns, so every sample inside one call has the same ones; walking
 * them (AsyncGetCallTrace) was about 45% of an exact sample's time. This module keeps a thread's
 * last walk and hands it out again only with a proof, taken at each sample, that the thread is
 * still in the same call:
 *
 * - HotSpot's frame anchor (JavaThread::_anchor, through the Serviceability Agent's tables) says
 *   the thread is in native code entered from Java at stack pointer sp, and the thread state is
 *   "in native";
 * - the latest stubbed entry on this thread (native_entry.h) put its return address at sp - 8,
 *   the slot the native method's return address takes when the JVM's wrapper calls it at sp,
 *   and that slot still holds it: the call the anchor names is a stubbed method's call;
 * - that return address is in a compiled native wrapper (not the interpreter, whose native
 *   entry is shared by every method): a wrapper belongs to one method, so the call is a call of
 *   a method whose every entry goes through its stub;
 * - no stub was entered since the walk (the count), no method was bound since (the binds), and
 *   the slot, return address and anchor pc are the walk's: the same call, since a new call of
 *   the same method would have entered the stub.
 *
 * Anything else (JDK natives, FFM downcalls, natives bound before an attach, the interpreter,
 * a JVM whose tables lack a field) walks as before. */
#ifndef LB_ACTIVATION_H
#define LB_ACTIVATION_H

#include <jvmti.h>
#include <stdbool.h>
#include <stdint.h>

#include "sites.h"

/* A malloc hook's caller, taken in the hook (malloc_hooks.c): the stack slot holding the return
 * address into it (so the address is *slot) and the caller's frame pointer register. Two words,
 * passed in registers: a hook's frames stay as small as they were. rbp LB_HOOK_NO_REUSE: the
 * slot is only where the address is kept, nothing is reused. */
struct lb_hook_caller {
    uintptr_t slot, rbp;
};
#define LB_HOOK_NO_REUSE UINTPTR_MAX

/* The native frames of a sample, reused. libunwind's walk of them (the rest of an exact
 * sample's time, once the Java frames are reused) is a function of where it starts (the hook's
 * caller: its return address, stack slot and frame pointer register) and of the stack memory
 * it reads from there up to the JNI call's return slot, where it leaves the library for the
 * JVM's wrapper. lb_activation_keep_native keeps a walk with those (at most
 * LB_ACTIVATION_REGION bytes; only inside a proven call, which says where the region ends);
 * lb_activation_native copies its frames into out and returns their count when the hook's
 * slot, the frame pointer (as far as a walk can use it), walk, the loaded modules' generation
 * and every byte of that memory are the same, else LB_ACTIVATION_MISS. The Java frames are
 * added after, by lb_activation_add_java: the same native frames may come from another call. */
#define LB_ACTIVATION_REGION 1024
#define LB_ACTIVATION_MISS (-2)
int lb_activation_native(struct lb_hook_caller caller, int walk, struct lb_frame *out);
void lb_activation_keep_native(JNIEnv *env, struct lb_hook_caller caller, int walk,
                               const struct lb_frame *frames, int n);

/* The site recorded with the native and Java frames the thread's current sample reused, both
 * (lb_activation_native, then lb_activation_java), when origin and file (a kept path or tag:
 * compared by address) are those it was recorded with; NULL otherwise. Interning the same
 * frames again would give the same site. */
struct lb_site *lb_activation_site(enum lb_origin origin, const char *file);
/* After recording the current sample: its site, kept for lb_activation_site when both parts of
 * its stack are the kept ones. */
void lb_activation_keep_site(enum lb_origin origin, const char *file, struct lb_site *site);

/* Adds the thread's Java frames after out[0..n) (the native frames) if the JVM knows the
 * thread (env: lb_stacks_env's), at most max frames in all, and returns the new count.
 * Without java_room (too little of the thread's stack is left to walk Java frames), a thread
 * the JVM knows gets the marker frame where its Java frames would be. */
int lb_activation_add_java(JNIEnv *env, jvmtiEnv *jvmti, struct lb_frame *out, int n, int max,
                           bool java_room);

/* lb_stacks_java, but reusing the thread's last walk when the proof holds. */
int lb_activation_java(jvmtiEnv *jvmti, JNIEnv *env, struct lb_frame *out, int max);

/* Counters for the report's agent section: Java parts reused (each thread adds its count every
 * 256 and when it ends, so the figure trails by up to 255 a live thread), and Java walks kept
 * with a proof. */
struct lb_activation_stats {
    uint64_t reused, kept, native_reused; /* native_reused: lb_activation_native's */
};
void lb_activation_stats(struct lb_activation_stats *out);

#endif
