/* Hooks for the malloc family, C++ operator new/delete and anonymous mmap, installed into
 * the import slots of JNI libraries and their dependencies (all of them) and of every other
 * library (the freeing ones only, so that a recorded block freed anywhere is forgotten). */
#ifndef LB_MALLOC_HOOKS_H
#define LB_MALLOC_HOOKS_H

#include <stdint.h>

#include "modules.h"
#include "sites.h"

/* Finds the real functions the hooks forward to: whatever the dynamic linker resolves for the
 * process (glibc's, or jemalloc's under LD_PRELOAD). False if malloc itself cannot be found. */
bool lb_malloc_hooks_init(void);

/* Patches m for the given level and records it in m->tracking. Patching again is harmless. */
void lb_malloc_hooks_install(struct lb_module *m, enum lb_module_tracking level);

/* Records a block another entry point decided to record (pool_api.c), keyed by key in the live
 * table, with the same stack walk and under the same guard as the hooks (so that nothing the
 * walk allocates is recorded). name (a kept tag) goes in the site's file; caller (the
 * library's call site) stands for the stack where too little is left to walk it. False when nothing
 * was recorded: the agent is not live, the thread is inside a hook, or the stack is the JVM's. */
bool lb_malloc_hooks_record_block(uintptr_t key, size_t size, enum lb_origin origin,
                                  const char *name, void *caller);

#endif
