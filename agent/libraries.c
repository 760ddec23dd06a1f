#include "libraries.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "got.h"
#include "log.h"
#include "malloc_hooks.h"
#include "modules.h"
#include "stacks.h"

static char jdk_home[PATH_MAX];
static size_t jdk_home_len;
static _Atomic bool started;

/* The C runtime, the dynamic linker, the agent and the libraries it uses: patching these would
 * track the agent itself or break the allocator. The self-contained agent has jansson and
 * libunwind inside it: a JNI library's own libjansson, libunwind or liblzma is then tracked like
 * any dependency (liblzma's encoders are behind many a compression library). */
static bool is_runtime(const char *path)
{
    static const char *const prefixes[] = {
        "ld-linux",   "libc.so",    "libleakbridge", "libjemalloc", "libtcmalloc",
        "linux-vdso", "libpthread", "libdl.so",      "libm.so",     "librt.so",
        "libasan",    "libubsan",   "libsubunit",    "libcheck",
#ifndef LB_AGENT_SELF_CONTAINED
        "libjansson", "libunwind",  "liblzma",
#endif
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static bool in_jdk(const char *path)
{
    return jdk_home_len && strncmp(path, jdk_home, jdk_home_len) == 0 && path[jdk_home_len] == '/';
}

/* The agent itself, whatever its file is called: its own frees must never reach its hooks,
 * which may hold a live-table lock. */
static bool is_agent(const struct lb_module *m)
{
    uintptr_t self = (uintptr_t)&lb_libraries_start;
    return self >= m->start && self < m->end;
}

/* Attach mode: objects that were loaded before the agent but not by the JVM's side (the JDK,
 * the launcher, and what they need), i.e. JNI libraries and their dependencies. */
#define LOADED_MAX 1024
struct loaded {
    uintptr_t base;
    const ElfW(Phdr) * phdr;
    int phnum;
    const char *name; /* basename of the name the dynamic linker has */
    char soname[128];
    bool jvm_side;
};
static struct loaded loaded[LOADED_MAX];
static size_t nloaded;

static int collect(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    if (nloaded == LOADED_MAX)
        return 1;
    struct loaded *o = &loaded[nloaded++];
    const char *slash = strrchr(info->dlpi_name, '/');
    o->base = info->dlpi_addr;
    o->phdr = info->dlpi_phdr;
    o->phnum = info->dlpi_phnum;
    o->name = slash ? slash + 1 : info->dlpi_name;
    o->jvm_side = info->dlpi_name[0] == '\0' || in_jdk(info->dlpi_name); /* "" = the launcher */
    return 0;
}

static void remember_soname(bool soname, const char *name, void *ctx)
{
    if (soname)
        snprintf(((struct loaded *)ctx)->soname, sizeof loaded[0].soname, "%s", name);
}

static bool marked;
static void mark_needed(bool soname, const char *name, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; !soname && i < nloaded; i++) {
        if (!loaded[i].jvm_side &&
            (strcmp(loaded[i].name, name) == 0 || strcmp(loaded[i].soname, name) == 0)) {
            loaded[i].jvm_side = true;
            marked = true;
        }
    }
}

/* Everything the JVM's side needs, transitively, is the JVM's too; the rest came in through
 * System.load and the like. Runs once, before the registry is filled. */
static void find_foreign_objects(void)
{
    dl_iterate_phdr(collect, NULL);
    for (size_t i = 0; i < nloaded; i++)
        lb_got_dynamic_names(loaded[i].base, loaded[i].phdr, loaded[i].phnum, remember_soname,
                             &loaded[i]);
    do {
        marked = false;
        for (size_t i = 0; i < nloaded; i++)
            if (loaded[i].jvm_side)
                lb_got_dynamic_names(loaded[i].base, loaded[i].phdr, loaded[i].phnum, mark_needed,
                                     NULL);
    } while (marked);
}

static bool foreign(const struct lb_module *m)
{
    for (size_t i = 0; i < nloaded; i++)
        if (loaded[i].base == m->base && loaded[i].phdr == m->phdr)
            return !loaded[i].jvm_side;
    return false;
}

/* The role a module gets, and how much of it is patched. */
static void on_new_module(struct lb_module *m)
{
    enum lb_module_role role = (enum lb_module_role)atomic_load(&m->role);
    if (role == LB_ROLE_JVM && foreign(m))
        role = LB_ROLE_DEPENDENCY;
    if (is_agent(m) || is_runtime(m->path))
        role = LB_ROLE_RUNTIME;
    else if (in_jdk(m->path))
        role = LB_ROLE_JVM;
    atomic_store(&m->role, role);
    if (role == LB_ROLE_RUNTIME)
        return;
    /* libjvm allocates with its own malloc slots, which stay the JVM's (NMT's territory): only
     * its frees are seen, for blocks handed to it. Every other library gets every hook; for
     * the JDK's and those loaded before the agent, the hooks record only what Java code asks
     * for (stacks.h). */
    if (m->jvm_itself) {
        lb_malloc_hooks_install(m, LB_TRACK_FREES);
        return;
    }
    /* A JNI library's symbols are read now: its file may be deleted right after loading. The
     * JDK's and the system's stay on disk: read when a report needs them. */
    if (role != LB_ROLE_JVM)
        lb_modules_symbols(m);
    lb_malloc_hooks_install(m, LB_TRACK_ALL);
}

static void *(*real_dlopen)(const char *, int);

/* libjvm's dlopen: new libraries are patched before their JNI_OnLoad runs. */
static void *dlopen_hook(const char *file, int mode)
{
    void *handle = real_dlopen(file, mode);
    if (handle && atomic_load(&started))
        lb_modules_refresh(LB_ROLE_DEPENDENCY, on_new_module);
    return handle;
}

static int (*real_dlclose)(void *);

/* libjvm's dlclose (a class loader's JNI libraries unloaded): the registry marks them unloaded
 * at once, so that an object loaded later at the same address is registered and patched as
 * the new object it is. */
static int dlclose_hook(void *handle)
{
    int r = real_dlclose(handle);
    if (atomic_load(&started))
        lb_modules_refresh(LB_ROLE_DEPENDENCY, on_new_module);
    return r;
}

static void redirect_dlopen(struct lb_module *jvm)
{
    real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_DEFAULT, "dlopen");
    real_dlclose = (int (*)(void *))dlsym(RTLD_DEFAULT, "dlclose");
    if (!real_dlopen || !real_dlclose)
        return;
    struct lb_got_hook hooks[] = {{"dlopen", (void *)dlopen_hook},
                                  {"dlclose", (void *)dlclose_hook}};
    uint64_t found = 0;
    lb_got_patch(jvm->base, jvm->phdr, jvm->phnum, hooks, 2, &found);
    if (!(found & 1))
        lb_log("cannot redirect libjvm's dlopen: allocations in JNI_OnLoad are not seen");
    if (!(found & 2))
        lb_log("cannot redirect libjvm's dlclose: a library loaded where an unloaded one was may "
               "be missed");
}

static struct lb_module *find_libjvm(void)
{
    size_t n;
    struct lb_module *const *all = lb_modules_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr(all[i]->path, '/');
        if (slash && strcmp(slash, "/libjvm.so") == 0)
            return all[i];
    }
    return NULL;
}

void lb_libraries_start(const char *java_home, bool attached)
{
    if (atomic_load(&started))
        return;
    snprintf(jdk_home, sizeof jdk_home, "%s", java_home ? java_home : "");
    jdk_home_len = strlen(jdk_home);
    if (attached)
        find_foreign_objects();
    if (!lb_malloc_hooks_init()) {
        lb_log("cannot find the process's malloc: native tracking is off");
        return;
    }
    lb_modules_refresh(LB_ROLE_JVM, on_new_module);
    lb_stacks_init();
    struct lb_module *jvm = find_libjvm();
    if (jvm)
        redirect_dlopen(jvm);
    else
        lb_log("libjvm.so not found: allocations in JNI_OnLoad are not seen");
    atomic_store(&started, true);
}

/* After a JNI library loaded: patch what the dlopen hook did not see, and name the library. */
static void library_loaded(JNIEnv *env, jstring name)
{
    if (!atomic_load(&started))
        return;
    lb_modules_refresh(LB_ROLE_DEPENDENCY, on_new_module);
    if ((*env)->ExceptionCheck(env) || !name)
        return;
    const char *path = (*env)->GetStringUTFChars(env, name, NULL);
    if (!path)
        return;
    struct lb_module *m = lb_modules_by_path(path);
    if (m && atomic_load(&m->role) == LB_ROLE_DEPENDENCY)
        atomic_store(&m->role, LB_ROLE_JNI);
    (*env)->ReleaseStringUTFChars(env, name, path);
}

/* The loading native's forms, by JDK. The originals are kept per form. */
typedef jboolean(JNICALL *load17_fn)(JNIEnv *, jclass, jobject, jstring, jboolean, jboolean,
                                     jboolean);
typedef jboolean(JNICALL *load15_fn)(JNIEnv *, jclass, jobject, jstring, jboolean, jboolean);
typedef jboolean(JNICALL *load9_fn)(JNIEnv *, jobject, jstring, jboolean);
static load17_fn real_load17;
static load15_fn real_load15;
static load9_fn real_load9;

static jboolean JNICALL load17_hook(JNIEnv *env, jclass cls, jobject impl, jstring name,
                                    jboolean builtin, jboolean jni, jboolean throw_if_fail)
{
    jboolean ok = real_load17(env, cls, impl, name, builtin, jni, throw_if_fail);
    library_loaded(env, name);
    return ok;
}

static jboolean JNICALL load15_hook(JNIEnv *env, jclass cls, jobject impl, jstring name,
                                    jboolean builtin, jboolean jni)
{
    jboolean ok = real_load15(env, cls, impl, name, builtin, jni);
    library_loaded(env, name);
    return ok;
}

static jboolean JNICALL load9_hook(JNIEnv *env, jobject self, jstring name, jboolean builtin)
{
    jboolean ok = real_load9(env, self, name, builtin);
    library_loaded(env, name);
    return ok;
}

bool lb_libraries_bind(const char *cls, const char *method, const char *signature, void *address,
                       void **new_address)
{
    static const struct {
        const char *cls, *method, *signature;
        void **real;
        void *hook;
    } forms[] = {
        {"Ljdk/internal/loader/NativeLibraries;", "load",
         "(Ljdk/internal/loader/NativeLibraries$NativeLibraryImpl;Ljava/lang/String;ZZZ)Z",
         (void **)&real_load17, (void *)load17_hook},
        {"Ljdk/internal/loader/NativeLibraries;", "load",
         "(Ljdk/internal/loader/NativeLibraries$NativeLibraryImpl;Ljava/lang/String;ZZ)Z",
         (void **)&real_load15, (void *)load15_hook},
        {"Ljava/lang/ClassLoader$NativeLibrary;", "load0", "(Ljava/lang/String;Z)Z",
         (void **)&real_load9, (void *)load9_hook},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (strcmp(method, forms[i].method) != 0 || strcmp(cls, forms[i].cls) != 0 ||
            strcmp(signature, forms[i].signature) != 0)
            continue;
        if (address != forms[i].hook) /* never wrap our own wrapper */
            *forms[i].real = address;
        *new_address = forms[i].hook;
        return true;
    }
    return false;
}
