/* Import slots of a loaded ELF object: the GOT entries through which it calls functions of
 * other objects. Writing our hook's address there redirects that object's calls, and only its
 * calls, which is how the malloc family is tracked inside JNI libraries without touching the JVM.
 */
#ifndef LB_GOT_H
#define LB_GOT_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_got_hook {
    const char *symbol; /* imported name, e.g. "malloc" */
    void *hook;         /* what the slot will hold */
};

/* Points every import slot (JUMP_SLOT, GLOB_DAT and R_X86_64_64 relocations of undefined
 * symbols) named in hooks at its hook, making RELRO pages writable for the write. Slots that
 * already hold the hook are left alone, so patching twice is harmless. Returns slots written;
 * *found (if not NULL) gets a bit set for each hooks[i] that had at least one slot. */
int lb_got_patch(uintptr_t base, const ElfW(Phdr) * phdr, int phnum,
                 const struct lb_got_hook *hooks, size_t nhooks, uint64_t *found);

/* True if the object imports symbol through any slot (whether or not patched yet). */
bool lb_got_imports(uintptr_t base, const ElfW(Phdr) * phdr, int phnum, const char *symbol);

/* Binds the object's lazily bound calls now, as the dynamic linker would on their first call:
 * each JUMP_SLOT import slot gets its function, found by name and version from the agent
 * (which must have the object among its dependencies). A lazy first call runs the dynamic
 * linker's resolver on the caller's stack, which saves the vector registers there (about
 * 2.5 KiB with AVX-512): never on a hook's path. Returns the slots written. */
int lb_got_bind_now(uintptr_t base, const ElfW(Phdr) * phdr, int phnum);

/* Calls fn for the object's DT_SONAME (soname true) and each DT_NEEDED name, from the
 * dynamic section in memory. */
void lb_got_dynamic_names(uintptr_t base, const ElfW(Phdr) * phdr, int phnum,
                          void (*fn)(bool soname, const char *name, void *ctx), void *ctx);

#endif
