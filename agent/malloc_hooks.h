/* Hooks for the malloc family, C++ operator new/delete and anonymous mmap, installed into
 * the import slots of JNI libraries and their dependencies (all of them) and of every other
 * library (the freeing ones only, so that a recorded block freed anywhere is forgotten). */
#ifndef LB_MALLOC_HOOKS_H
#define LB_MALLOC_HOOKS_H

#include "modules.h"

/* Finds the real functions the hooks forward to: whatever the dynamic linker resolves for the
 * process (glibc's, or jemalloc's under LD_PRELOAD). False if malloc itself cannot be found. */
bool lb_malloc_hooks_init(void);

/* Patches m for the given level and records it in m->tracking. Patching again is harmless. */
void lb_malloc_hooks_install(struct lb_module *m, enum lb_module_tracking level);

#endif
