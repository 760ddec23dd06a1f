#include "malloc_hooks.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "activation.h"
#include "file_paths.h"
#include "got.h"
#include "modules.h"
#include "runtime.h"
#include "sampler.h"
#include "site_kind.h"
#include "stack_left.h"
#include "stacks.h"
#include "tracker.h"

/* Set while this thread records an allocation: the stack walker and the JVM may allocate, and
 * those allocations must not be recorded in turn. initial-exec: no allocation on first use. */
static __thread bool in_hook __attribute__((tls_model("initial-exec")));

/* The kept path of the file open as fd, from /proc/self/fd ("<unknown file>" if unreadable). */
static const char *file_path(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return lb_file_paths_intern("<unknown file>");
    path[n] = '\0';
    return lb_file_paths_intern(path);
}

/* Every allocating hook decides first, with the thread-local countdown alone, whether this
 * allocation is sampled; an unsampled one is then a tail call to the real function, and only a
 * sampled one calls it and records the result here, out of line. Hooks end in a tail call to
 * record where they can, so that the stack walk starts right below the hook's caller. */
static inline bool sampled(size_t size)
{
    return __builtin_expect(lb_sampler_take(size), 0);
}

/* The caller's frame and the marker, for an allocation whose stack is not walked: only in a JNI
 * library or its dependency, as a walk would decide (the others are recorded only when a walk
 * shows Java code called them). */
static int unwalked_frames(uintptr_t caller, struct lb_frame *out)
{
    const struct lb_module *m = lb_modules_find(caller - 1);
    int role = m ? atomic_load_explicit(&m->role, memory_order_relaxed) : -1;
    if (role != LB_ROLE_JNI && role != LB_ROLE_DEPENDENCY)
        return -1;
    out[0] = (struct lb_frame){.id = caller, .bci = -1, .type = LB_FRAME_NATIVE};
    out[1] = lb_stacks_marker();
    return 2;
}

/* The return address the hook's caller's slot holds (CALLER; bit 0 set: no reuse). */
static inline uintptr_t caller_pc(uintptr_t slot)
{
    return *(const uintptr_t *)(slot & ~(uintptr_t)1);
}

/* The walk itself, into frames (walk + 1 of them): the native frames of the last walk when this
 * sample is proven to have the same (activation.h), else libunwind's, kept for the next; then
 * the Java frames (reused within one JNI call). Nothing is asked of the JVM, not even GetEnv,
 * for an allocation that is the JVM's own. A frame of its own, taken only where a walk fits:
 * record_file's frame, which every sampled allocation takes even with 1 KiB of stack left,
 * stays small. */
__attribute__((noinline)) static int walk_stack(uintptr_t slot, int walk, bool java_room,
                                                struct lb_frame *frames)
{
    struct lb_hook_caller caller = {.slot = slot & ~(uintptr_t)1, .rbp = LB_HOOK_NO_REUSE};
    if (!(slot & 1))
        caller.rbp = *(const uintptr_t *)(slot - sizeof(void *));
    int n = lb_activation_native(caller, walk, frames);
    bool walked = n == LB_ACTIVATION_MISS;
    if (walked) {
        void *pcs[walk + LB_STACK_AGENT_FRAMES];
        int npcs = unw_backtrace(pcs, walk + LB_STACK_AGENT_FRAMES);
        n = lb_stacks_native_pcs(pcs, npcs, frames, walk);
        if (n < 0)
            return n;
    }
    JNIEnv *env = lb_stacks_env(lb_runtime.vm);
    if (walked)
        lb_activation_keep_native(env, caller, walk, frames, n);
    return lb_activation_add_java(env, lb_runtime.jvmti, frames, n, walk, java_room);
}

/* The stack walk and the record, under the guard; the name (a file's path or a pool's tag) is
 * taken only for a stack worth recording. What the walk needs of the thread's stack is taken
 * from what is left of it (stacks.h): the whole stack, or fewer native frames and the marker,
 * or the caller and the marker, so that the allocation is counted either way and the walk
 * never overflows. Inlined into each caller: a frame of its own under record_file took the
 * stack that small threads have left (SmallStacks died with 1 KiB left, half its runs). */
__attribute__((always_inline)) static inline bool walk_and_record(uintptr_t key, size_t size,
                                                                  enum lb_origin origin, int fd,
                                                                  const char *name, uintptr_t slot)
{
    if (in_hook)
        return false;
    if (atomic_load_explicit(&lb_runtime.phase, memory_order_relaxed) != LB_PHASE_LIVE)
        return false;
    in_hook = true;
    lb_live_table_prefetch(key); /* its slot, fetched while the stack is walked */
    size_t left = lb_stack_left_bytes();
    size_t need = LB_STACKS_WALK_BYTES + (fd >= 0 ? PATH_MAX + 64 : 0);
    int depth = lb_runtime_depth();
    int walk = left < need + LB_STACKS_FRAME_BYTES ? 0
               : left - need >= (size_t)depth * LB_STACKS_FRAME_BYTES
                   ? depth
                   : (int)((left - need) / LB_STACKS_FRAME_BYTES);
    int n;
    if (walk == 0) {
        struct lb_frame frames[2];
        n = unwalked_frames(caller_pc(slot), frames);
        if (n > 0)
            lb_tracker_alloc_file(key, size, origin, frames, n, lb_site_kind_of, name);
    } else {
        bool java_room = left >= need + (size_t)walk * LB_STACKS_FRAME_BYTES + LB_STACKS_JAVA_BYTES;
        struct lb_frame frames[walk + 1];
        n = walk_stack(slot, walk, java_room, frames);
        /* The walk stopped short of depth=: the stack ends in the marker, once (the Java part
         * may be the marker already). */
        if (n == walk && walk < depth && frames[n - 1].type != LB_FRAME_MARKER)
            frames[n++] = lb_stacks_marker();
        if (n >= 0) {
            const char *file = fd >= 0 ? file_path(fd) : name;
            struct lb_site *site = lb_activation_site(origin, file);
            if (site)
                lb_tracker_alloc_site(key, size, site);
            else
                lb_activation_keep_site(
                    origin, file,
                    lb_tracker_alloc_file(key, size, origin, frames, n, lb_site_kind_of, file));
        }
    }
    in_hook = false;
    return n >= 0;
}

__attribute__((noinline, cold)) static void *
record_file(void *p, size_t size, enum lb_origin origin, int fd, uintptr_t caller)
{
    if (p)
        walk_and_record((uintptr_t)p, size, origin, fd, NULL, caller);
    return p;
}

__attribute__((noinline)) bool lb_malloc_hooks_record_block(uintptr_t key, size_t size,
                                                            enum lb_origin origin, const char *name,
                                                            void *caller)
{
    uintptr_t pc = (uintptr_t)caller;
    return walk_and_record(key, size, origin, -1, name, (uintptr_t)&pc | 1); /* 1: no reuse */
}

__attribute__((noinline, cold)) static void *record(void *p, size_t size, enum lb_origin origin,
                                                    uintptr_t caller)
{
    return record_file(p, size, origin, -1, caller);
}

/* Where the return address into the hook's caller is: the slot above the hook's frame, taken in
 * the hook itself. The address is the frame of a stack that is not walked, and the slot, with the
 * caller's frame pointer register right below it (saved there by the prologue of the hook, or of
 * record and record_file after a tail call: this file is built with frame pointers), is what a
 * sample's stack reuse keys on (activation.h). One word, so that the hooks' frames, which run on
 * whatever stack is left, stay as small as they were. */
#define CALLER ((uintptr_t)__builtin_frame_address(0) + sizeof(void *))

static void forget(void *p)
{
    if (p)
        lb_tracker_free((uintptr_t)p); /* before the real free: the address may come back at once */
}

/* The real functions, found with dlsym: never the old slot value, which may be a lazy-binding
 * PLT stub that would re-resolve and overwrite the hook on the first call through it. */
static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    char *(*strdup)(const char *);
    char *(*strndup)(const char *, size_t);
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    int (*munmap)(void *, size_t);
    /* C++: resolved from the first library that imports them (libstdc++ is loaded by then). */
    void *(*new_)(size_t);
    void *(*new_array)(size_t);
    void *(*new_nothrow)(size_t, const void *);
    void *(*new_array_nothrow)(size_t, const void *);
    void *(*new_aligned)(size_t, size_t);
    void *(*new_array_aligned)(size_t, size_t);
    void (*delete_)(void *);
    void (*delete_array)(void *);
    void (*delete_sized)(void *, size_t);
    void (*delete_array_sized)(void *, size_t);
    void (*delete_aligned)(void *, size_t);
    void (*delete_array_aligned)(void *, size_t);
    void (*delete_sized_aligned)(void *, size_t, size_t);
    void (*delete_array_sized_aligned)(void *, size_t, size_t);
} real;

/* The table is filled at start, and for C++ operators when a library first imports them, while
 * other threads may already call into hooks (their slots were patched earlier, for another
 * library): each entry is published with a release store and read with an acquire load, which
 * costs nothing more than a plain load on x86-64 and lets ThreadSanitizer see the order. */
#define REAL(fn) (__atomic_load_n(&real.fn, __ATOMIC_ACQUIRE))

static void *malloc_hook(size_t size)
{
    if (!sampled(size))
        return REAL(malloc)(size);
    return record(REAL(malloc)(size), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *calloc_hook(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes) || !sampled(bytes))
        return REAL(calloc)(n, size); /* an overflow fails there */
    return record(REAL(calloc)(n, size), bytes, LB_ORIGIN_MALLOC, CALLER);
}

static void free_hook(void *p)
{
    forget(p);
    REAL(free)(p);
}

/* realloc moves a block: the old one is taken out first and put back if the call fails. */
static void *realloc_common(void *p, size_t size, bool track_new, uintptr_t caller)
{
    bool take_new = track_new && sampled(size);
    if (!take_new && !lb_live_table_may_hold((uintptr_t)p))
        return REAL(realloc)(p, size); /* neither block is recorded: the common case */
    struct lb_block old;
    bool had = p && lb_tracker_take((uintptr_t)p, &old);
    void *q = REAL(realloc)(p, size);
    if (!q && size != 0) {
        if (had)
            lb_tracker_put_back((uintptr_t)p, &old);
        return q;
    }
    if (had)
        lb_tracker_release(&old);
    return take_new ? record(q, size, LB_ORIGIN_MALLOC, caller) : q;
}

static void *realloc_hook(void *p, size_t size)
{
    return realloc_common(p, size, true, CALLER);
}

/* In libraries whose allocations are not tracked: only forget what moves away. */
static void *realloc_forget_hook(void *p, size_t size)
{
    return realloc_common(p, size, false, CALLER);
}

static void *reallocarray_hook(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return REAL(reallocarray)(p, n, size); /* fails with ENOMEM, p untouched */
    return realloc_common(p, n * size, true, CALLER);
}

static int posix_memalign_hook(void **out, size_t align, size_t size)
{
    if (!sampled(size))
        return REAL(posix_memalign)(out, align, size);
    int rc = REAL(posix_memalign)(out, align, size);
    if (rc == 0)
        record(*out, size, LB_ORIGIN_MALLOC, CALLER);
    return rc;
}

static void *aligned_alloc_hook(size_t align, size_t size)
{
    if (!sampled(size))
        return REAL(aligned_alloc)(align, size);
    return record(REAL(aligned_alloc)(align, size), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *memalign_hook(size_t align, size_t size)
{
    if (!sampled(size))
        return REAL(memalign)(align, size);
    return record(REAL(memalign)(align, size), size, LB_ORIGIN_MALLOC, CALLER);
}

/* libc's strdup allocates inside libc, where no slot of ours is: record its result here. */
static char *strdup_hook(const char *s)
{
    char *p = REAL(strdup)(s); /* its size is known only now */
    if (p && sampled(strlen(p) + 1))
        record(p, strlen(p) + 1, LB_ORIGIN_MALLOC, CALLER);
    return p;
}

static char *strndup_hook(const char *s, size_t n)
{
    char *p = REAL(strndup)(s, n);
    if (p && sampled(strlen(p) + 1))
        record(p, strlen(p) + 1, LB_ORIGIN_MALLOC, CALLER);
    return p;
}

/* Whether a file mapping made from pc is one the JDK makes for a Java object (FileChannel.map
 * in libnio): JNI libraries map files for their own use (a database maps all of its files,
 * often far larger than what it touches), which is not memory Java code holds. */
static bool for_java(void *pc)
{
    const struct lb_module *m = lb_modules_find((uintptr_t)pc - 1);
    return m && atomic_load_explicit(&m->role, memory_order_relaxed) == LB_ROLE_JVM;
}

/* Anonymous mappings are native memory; a file mapped for Java is its own kind, named by its
 * file. */
static void *mmap_hook(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    bool file = !(flags & MAP_ANONYMOUS) && fd >= 0 && for_java(__builtin_return_address(0));
    if ((!file && !(flags & MAP_ANONYMOUS)) || !sampled(len))
        return REAL(mmap)(addr, len, prot, flags, fd, off);
    void *p = REAL(mmap)(addr, len, prot, flags, fd, off);
    if (p == MAP_FAILED)
        return p;
    return file ? record_file(p, len, LB_ORIGIN_MAPPED_FILE, fd, CALLER)
                : record(p, len, LB_ORIGIN_MMAP, CALLER);
}

static int munmap_hook(void *addr, size_t len)
{
    forget(addr); /* a partial unmap from the start forgets the whole mapping */
    return REAL(munmap)(addr, len);
}

/* Set when the C++ runtime that operator new comes from (libstdc++, loaded after the agent as a
 * JNI library's dependency, not a preloaded allocator) has its own malloc slot hooked: operator
 * new's block is then recorded there, once, and the operator hooks only forward. Recording it in
 * both places counted every sampled C++ allocation about twice. */
static _Atomic bool new_counted_inside;

static inline bool new_sampled(size_t size)
{
    return !atomic_load_explicit(&new_counted_inside, memory_order_relaxed) && sampled(size);
}

static void *new_hook(size_t size)
{
    if (!new_sampled(size))
        return REAL(new_)(size);
    return record(REAL(new_)(size), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *new_array_hook(size_t size)
{
    if (!new_sampled(size))
        return REAL(new_array)(size);
    return record(REAL(new_array)(size), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *new_nothrow_hook(size_t size, const void *tag)
{
    if (!new_sampled(size))
        return REAL(new_nothrow)(size, tag);
    return record(REAL(new_nothrow)(size, tag), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *new_array_nothrow_hook(size_t size, const void *tag)
{
    if (!new_sampled(size))
        return REAL(new_array_nothrow)(size, tag);
    return record(REAL(new_array_nothrow)(size, tag), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *new_aligned_hook(size_t size, size_t align)
{
    if (!new_sampled(size))
        return REAL(new_aligned)(size, align);
    return record(REAL(new_aligned)(size, align), size, LB_ORIGIN_MALLOC, CALLER);
}

static void *new_array_aligned_hook(size_t size, size_t align)
{
    if (!new_sampled(size))
        return REAL(new_array_aligned)(size, align);
    return record(REAL(new_array_aligned)(size, align), size, LB_ORIGIN_MALLOC, CALLER);
}

static void delete_hook(void *p)
{
    forget(p);
    REAL(delete_)(p);
}

static void delete_array_hook(void *p)
{
    forget(p);
    REAL(delete_array)(p);
}

static void delete_sized_hook(void *p, size_t size)
{
    forget(p);
    REAL(delete_sized)(p, size);
}

static void delete_array_sized_hook(void *p, size_t size)
{
    forget(p);
    REAL(delete_array_sized)(p, size);
}

static void delete_aligned_hook(void *p, size_t align)
{
    forget(p);
    REAL(delete_aligned)(p, align);
}

static void delete_array_aligned_hook(void *p, size_t align)
{
    forget(p);
    REAL(delete_array_aligned)(p, align);
}

static void delete_sized_aligned_hook(void *p, size_t size, size_t align)
{
    forget(p);
    REAL(delete_sized_aligned)(p, size, align);
}

static void delete_array_sized_aligned_hook(void *p, size_t size, size_t align)
{
    forget(p);
    REAL(delete_array_sized_aligned)(p, size, align);
}

/* One row per hooked import: its symbol, the hook, where the real function goes, and whether
 * it only frees (installed everywhere) or also allocates (JNI libraries and dependencies). */
struct hook_row {
    const char *symbol;
    void *hook;
    void **real;
    bool frees_only;
};

#define ROW(sym, hook, field, frees)                                                               \
    {                                                                                              \
        sym, (void *)(hook), (void **)&real.field, frees                                           \
    }
static const struct hook_row rows[] = {
    ROW("malloc", malloc_hook, malloc, false),
    ROW("calloc", calloc_hook, calloc, false),
    ROW("realloc", realloc_hook, realloc, false),
    ROW("reallocarray", reallocarray_hook, reallocarray, false),
    ROW("free", free_hook, free, true),
    ROW("posix_memalign", posix_memalign_hook, posix_memalign, false),
    ROW("aligned_alloc", aligned_alloc_hook, aligned_alloc, false),
    ROW("memalign", memalign_hook, memalign, false),
    ROW("strdup", strdup_hook, strdup, false),
    ROW("__strdup", strdup_hook, strdup, false),
    ROW("strndup", strndup_hook, strndup, false),
    ROW("mmap", mmap_hook, mmap, false),
    ROW("mmap64", mmap_hook, mmap, false),
    ROW("munmap", munmap_hook, munmap, true),
    ROW("_Znwm", new_hook, new_, false),
    ROW("_Znam", new_array_hook, new_array, false),
    ROW("_ZnwmRKSt9nothrow_t", new_nothrow_hook, new_nothrow, false),
    ROW("_ZnamRKSt9nothrow_t", new_array_nothrow_hook, new_array_nothrow, false),
    ROW("_ZnwmSt11align_val_t", new_aligned_hook, new_aligned, false),
    ROW("_ZnamSt11align_val_t", new_array_aligned_hook, new_array_aligned, false),
    ROW("_ZdlPv", delete_hook, delete_, true),
    ROW("_ZdaPv", delete_array_hook, delete_array, true),
    ROW("_ZdlPvm", delete_sized_hook, delete_sized, true),
    ROW("_ZdaPvm", delete_array_sized_hook, delete_array_sized, true),
    ROW("_ZdlPvSt11align_val_t", delete_aligned_hook, delete_aligned, true),
    ROW("_ZdaPvSt11align_val_t", delete_array_aligned_hook, delete_array_aligned, true),
    ROW("_ZdlPvmSt11align_val_t", delete_sized_aligned_hook, delete_sized_aligned, true),
    ROW("_ZdaPvmSt11align_val_t", delete_array_sized_aligned_hook, delete_array_sized_aligned,
        true),
};
#define NROWS (sizeof rows / sizeof rows[0])

/* What the global scope defines now, C++ operators included when a library loaded before the
 * agent brought the C++ runtime (a preloaded allocator's dependency): that runtime's own slots
 * are patched at start, so its operator new must be known by then. */
bool lb_malloc_hooks_init(void)
{
    for (size_t i = 0; i < NROWS; i++)
        if (!__atomic_load_n(rows[i].real, __ATOMIC_ACQUIRE))
            __atomic_store_n(rows[i].real, dlsym(RTLD_DEFAULT, rows[i].symbol), __ATOMIC_RELEASE);
    return REAL(malloc) && REAL(free) && REAL(realloc) && REAL(calloc);
}

/* The function the library's own slot would have bound: the dynamic linker looks in the
 * global scope first (where a preloaded allocator such as jemalloc, tcmalloc or ASan defines
 * its own operator new), then in the library's local scope, where libstdc++ may be only: there
 * through the library's own handle. */
static void resolve_from(const struct lb_module *m)
{
    void *handle = NULL;
    for (size_t i = 0; i < NROWS; i++) {
        if (__atomic_load_n(rows[i].real, __ATOMIC_ACQUIRE) ||
            !lb_got_imports(m->base, m->phdr, m->phnum, rows[i].symbol))
            continue;
        void *f = dlsym(RTLD_DEFAULT, rows[i].symbol);
        if (!f && !handle)
            handle = dlopen(m->path, RTLD_LAZY | RTLD_NOLOAD);
        if (!f && handle)
            f = dlsym(handle, rows[i].symbol);
        __atomic_store_n(rows[i].real, f, __ATOMIC_RELEASE);
    }
    if (handle)
        dlclose(handle);
}

void lb_malloc_hooks_install(struct lb_module *m, enum lb_module_tracking level)
{
    if (level == LB_TRACK_NONE)
        return;
    resolve_from(m);
    struct lb_got_hook hooks[NROWS];
    size_t n = 0;
    for (size_t i = 0; i < NROWS; i++) {
        if (!__atomic_load_n(rows[i].real, __ATOMIC_ACQUIRE))
            continue; /* never redirect a call we could not forward */
        if (level == LB_TRACK_FREES && !rows[i].frees_only) {
            if (rows[i].hook == (void *)realloc_hook) /* realloc frees what it moves */
                hooks[n++] = (struct lb_got_hook){"realloc", (void *)realloc_forget_hook};
            continue;
        }
        hooks[n++] = (struct lb_got_hook){rows[i].symbol, rows[i].hook};
    }
    lb_got_patch(m->base, m->phdr, m->phnum, hooks, n, NULL);
    if ((int)level > atomic_load(&m->tracking))
        atomic_store(&m->tracking, level);
    /* Only the C++ runtime's operator new calls malloc through a slot of its own; a preloaded
     * allocator's (jemalloc's, ASan's) goes straight to its heap and is recorded here. */
    void *(*new_)(size_t) = REAL(new_);
    const struct lb_module *cxx = new_ ? lb_modules_find((uintptr_t)new_) : NULL;
    atomic_store(&new_counted_inside,
                 cxx && cxx->cxx_runtime && atomic_load(&cxx->tracking) == LB_TRACK_ALL);
}
