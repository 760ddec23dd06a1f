/* The registry of loaded ELF objects: path, load base, extent, GNU build-id, whether the file
 * was deleted, and its function symbols, read while the file can still be opened.
 *
 * It sits below both the library-load hook (which decides what to patch) and symbol lookup
 * (which turns a PC into module, offset and function). Entries are never freed: frames keep
 * pointing at them after a library is unloaded. */
#ifndef LB_MODULES_H
#define LB_MODULES_H

#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct lb_elf_symbols;

enum lb_module_role {
    LB_ROLE_JVM,        /* loaded before the agent started, or part of the JDK: libjvm, libzip,
                           libz, libstdc++... only what Java code asks of them is recorded */
    LB_ROLE_JNI,        /* loaded by System.load / System.loadLibrary */
    LB_ROLE_DEPENDENCY, /* pulled in by a JNI library (DT_NEEDED or its own dlopen) */
    LB_ROLE_RUNTIME,    /* the C runtime, the dynamic linker, the agent and its libraries */
};

enum lb_module_tracking {
    LB_TRACK_NONE,  /* not patched */
    LB_TRACK_FREES, /* free-family slots patched: frees of recorded blocks are seen */
    LB_TRACK_ALL,   /* malloc family and anonymous mmap patched too */
};

struct lb_module {
    char *path;
    uintptr_t base;       /* load bias: runtime address = base + file virtual address */
    uintptr_t start, end; /* extent of the PT_LOAD segments in memory */
    const ElfW(Phdr) * phdr;
    int phnum;
    char build_id[41]; /* hex, "" if none */
    dev_t dev;
    ino_t ino;
    bool has_file_id;     /* dev/ino were read at registration */
    bool cxx_runtime;     /* libstdc++ or libc++: operator new's own code */
    bool jvm_itself;      /* libjvm.so: its frames mark what the JVM allocates for itself */
    _Atomic int role;     /* enum lb_module_role */
    _Atomic int tracking; /* enum lb_module_tracking */
    _Atomic bool loaded;  /* still listed by the dynamic linker */
    /* The registry generations in which m was loaded: [loaded_gen, unloaded_gen). */
    unsigned loaded_gen;
    _Atomic unsigned unloaded_gen;          /* UINT_MAX while loaded */
    struct lb_elf_symbols *_Atomic symbols; /* NULL until read */
    _Atomic bool symbols_tried;
};

/* Lists the loaded objects again and registers new ones, each with the role given, and marks
 * vanished ones unloaded. Calls on_new for every new module, outside the dynamic linker's lock,
 * with the registry's lock held (on_new may patch but must not call lb_modules_refresh).
 * Returns how many were new. */
int lb_modules_refresh(enum lb_module_role role, void (*on_new)(struct lb_module *m));

/* The module whose mapped extent contains pc, or NULL (JIT code, interpreter, anonymous
 * memory). Lock-free: hooks call it for every native frame. */
struct lb_module *lb_modules_find(uintptr_t pc);

/* A counter that moves each time a refresh registers or unloads a module. A library unloaded
 * and another (or the same file again, from a new class loader) loaded at the same address are
 * told apart by the generation a frame was captured in. */
unsigned lb_modules_generation(void);

/* The module that contained pc in generation gen (the current one if none did), or NULL. */
struct lb_module *lb_modules_find_at(uintptr_t pc, unsigned gen);

/* Reads m's symbol table now, from the file or, if it was deleted, through
 * /proc/self/map_files. Returns it, or NULL if it cannot be read. Safe to call again. */
const struct lb_elf_symbols *lb_modules_symbols(struct lb_module *m);

/* True if m's file is gone or was replaced since it was loaded. */
bool lb_modules_deleted(const struct lb_module *m);

/* Every registered module, in registration order: *count entries, valid for ever. */
struct lb_module *const *lb_modules_all(size_t *count);

/* The module with this exact path (the newest), or NULL. */
struct lb_module *lb_modules_by_path(const char *path);

const char *lb_modules_role_name(enum lb_module_role role);
const char *lb_modules_tracking_name(enum lb_module_tracking tracking);

#endif
