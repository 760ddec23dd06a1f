#include "modules.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_symbols.h"

/* Registration order, append-only and never moved, so lb_modules_all needs no lock. Every load
 * is an entry, and a class loader's libraries come again with each new loader (a Flink job
 * restarting): room for tens of thousands, in pages touched only when used. */
#define MAX_MODULES 65536
static struct lb_module *all[MAX_MODULES];
static _Atomic size_t all_count;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t symbols_lock = PTHREAD_MUTEX_INITIALIZER;

/* Loaded modules sorted by start, for lookups by PC. Replaced whole on each change; old views
 * are kept because a hook may still be reading one. */
struct view_entry {
    uintptr_t start, end;
    struct lb_module *m;
};
struct view {
    struct view *older; /* kept, never freed: a hook may still be reading it */
    size_t n;
    struct view_entry e[];
};
static struct view *_Atomic current_view;
static _Atomic unsigned generation;

struct seen {
    char *name; /* as the dynamic linker has it */
    uintptr_t base, start, end;
    const ElfW(Phdr) * phdr;
    int phnum;
};

struct seen_list {
    struct seen *items;
    size_t n, cap;
};

/* The canonical path (the real file, not the libzstd.so.1 symlink) where there is one. */
static char *object_path(const char *name)
{
    if (name && name[0]) {
        char *canonical = name[0] == '/' ? realpath(name, NULL) : NULL;
        return canonical ? canonical : strdup(name);
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return strdup("[main]");
    exe[len] = '\0';
    return strdup(exe);
}

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct seen_list *list = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
    }
    if (hi == 0)
        return 0;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        struct seen *grown = realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return 1;
        list->items = grown;
        list->cap = cap;
    }
    char *name = strdup(info->dlpi_name ? info->dlpi_name : "");
    if (!name)
        return 1;
    list->items[list->n++] =
        (struct seen){name, info->dlpi_addr, lo, hi, info->dlpi_phdr, info->dlpi_phnum};
    return 0;
}

static void read_build_id(struct lb_module *m)
{
    for (int i = 0; i < m->phnum; i++) {
        const ElfW(Phdr) *ph = &m->phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(m->base + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *name = p + sizeof *nh;
            const unsigned char *desc = name + ((nh->n_namesz + 3) & ~3u);
            const unsigned char *next = desc + ((nh->n_descsz + 3) & ~3u);
            if (next > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh->n_descsz <= 20) {
                for (unsigned k = 0; k < nh->n_descsz; k++)
                    snprintf(m->build_id + 2 * k, 3, "%02x", desc[k]);
                return;
            }
            p = next;
        }
    }
}

static int by_start(const void *a, const void *b)
{
    const struct view_entry *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void publish_view(void)
{
    size_t n = atomic_load(&all_count), live = 0;
    struct view *v = malloc(sizeof *v + n * sizeof v->e[0]);
    if (!v)
        return; /* the old view stays: lookups miss new modules until the next refresh */
    for (size_t i = 0; i < n; i++)
        if (atomic_load(&all[i]->loaded))
            v->e[live++] = (struct view_entry){all[i]->start, all[i]->end, all[i]};
    v->n = live;
    v->older = atomic_load(&current_view);
    qsort(v->e, live, sizeof v->e[0], by_start);
    atomic_store_explicit(&current_view, v, memory_order_release);
}

static struct lb_module *register_module(const struct seen *s, enum lb_module_role role,
                                         unsigned gen)
{
    size_t n = atomic_load(&all_count);
    if (n == MAX_MODULES)
        return NULL;
    struct lb_module *m = calloc(1, sizeof *m);
    if (!m || !(m->path = object_path(s->name))) {
        free(m);
        return NULL;
    }
    m->base = s->base;
    m->start = s->start;
    m->end = s->end;
    m->phdr = s->phdr;
    m->phnum = s->phnum;
    atomic_store(&m->role, role);
    atomic_store(&m->loaded, true);
    const char *slash = strrchr(m->path, '/');
    const char *base = slash ? slash + 1 : m->path;
    m->cxx_runtime = strncmp(base, "libstdc++", 9) == 0 || strncmp(base, "libc++", 6) == 0;
    m->jvm_itself = strcmp(base, "libjvm.so") == 0;
    m->loaded_gen = gen;
    atomic_store(&m->unloaded_gen, UINT_MAX);
    struct stat st;
    if (stat(m->path, &st) == 0) {
        m->dev = st.st_dev;
        m->ino = st.st_ino;
        m->has_file_id = true;
    }
    read_build_id(m);
    all[n] = m;
    atomic_store(&all_count, n + 1);
    return m;
}

int lb_modules_refresh(enum lb_module_role role, void (*on_new)(struct lb_module *m))
{
    struct seen_list list = {0};
    pthread_mutex_lock(&registry_lock);
    dl_iterate_phdr(collect, &list);

    size_t known = atomic_load(&all_count);
    unsigned next = atomic_load(&generation) + 1;
    bool changed = false;
    bool *still = calloc(known + 1, sizeof *still);
    struct lb_module *fresh[256];
    int nfresh = 0;
    for (size_t i = 0; i < list.n; i++) {
        struct seen *s = &list.items[i];
        bool found = false;
        for (size_t k = 0; k < known && !found; k++) {
            /* Two loaded objects never start at the same address. */
            if (all[k]->base == s->base && all[k]->start == s->start &&
                atomic_load(&all[k]->loaded)) {
                found = true;
                if (still)
                    still[k] = true;
            }
        }
        struct lb_module *m = found ? NULL : register_module(s, role, next);
        changed |= m != NULL;
        if (m && nfresh < 256)
            fresh[nfresh++] = m;
    }
    for (size_t k = 0; still && k < known; k++) {
        if (!still[k] && atomic_load(&all[k]->loaded)) {
            atomic_store(&all[k]->loaded, false);
            atomic_store(&all[k]->unloaded_gen, next);
            changed = true;
        }
    }
    free(still);
    for (size_t i = 0; i < list.n; i++)
        free(list.items[i].name);
    free(list.items);
    if (changed || !atomic_load(&current_view)) {
        publish_view();
        atomic_store(&generation, next);
    }
    for (int i = 0; i < nfresh && on_new; i++)
        on_new(fresh[i]);
    pthread_mutex_unlock(&registry_lock);
    return nfresh;
}

struct lb_module *lb_modules_find(uintptr_t pc)
{
    const struct view *v = atomic_load_explicit(&current_view, memory_order_acquire);
    if (!v)
        return NULL;
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pc < v->e[mid].start)
            hi = mid;
        else if (pc >= v->e[mid].end)
            lo = mid + 1;
        else
            return v->e[mid].m;
    }
    return NULL;
}

unsigned lb_modules_generation(void)
{
    return atomic_load_explicit(&generation, memory_order_acquire);
}

static bool loaded_in(const struct lb_module *m, unsigned gen)
{
    return m->loaded_gen <= gen && gen < atomic_load(&m->unloaded_gen);
}

struct lb_module *lb_modules_find_at(uintptr_t pc, unsigned gen)
{
    struct lb_module *now = lb_modules_find(pc);
    if (now && loaded_in(now, gen))
        return now; /* the common case: still loaded, by a binary search */
    size_t n = atomic_load(&all_count);
    for (size_t i = n; i-- > 0;) {
        struct lb_module *m = all[i];
        if (pc >= m->start && pc < m->end && loaded_in(m, gen))
            return m;
    }
    return now;
}

bool lb_modules_deleted(const struct lb_module *m)
{
    if (!m->has_file_id) /* never had a file, like the vDSO */
        return false;
    struct stat st;
    return stat(m->path, &st) != 0 || st.st_dev != m->dev || st.st_ino != m->ino;
}

/* The file behind m's first mapping, through /proc/self/map_files: works after the file was
 * deleted or replaced, because the mapping keeps the old inode. */
static int open_mapping(const struct lb_module *m)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return -1;
    char line[PATH_MAX + 128];
    int fd = -1;
    while (fd < 0 && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi, off;
        if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) != 3)
            continue;
        if (off == 0 && lo >= m->start && lo < m->end) {
            char mf[96];
            snprintf(mf, sizeof mf, "/proc/self/map_files/%lx-%lx", lo, hi);
            fd = open(mf, O_RDONLY | O_CLOEXEC);
        }
    }
    fclose(maps);
    return fd;
}

/* The symbols an earlier load of the same file read (same build id and extent): a library that
 * every new class loader loads again is read, and kept, once. symbols_lock held. */
static struct lb_elf_symbols *shared_symbols(const struct lb_module *m)
{
    if (!m->build_id[0])
        return NULL;
    size_t n = atomic_load(&all_count);
    for (size_t i = 0; i < n; i++) {
        const struct lb_module *o = all[i];
        if (o != m && atomic_load(&o->symbols) && o->end - o->start == m->end - m->start &&
            strcmp(o->build_id, m->build_id) == 0)
            return atomic_load(&o->symbols);
    }
    return NULL;
}

const struct lb_elf_symbols *lb_modules_symbols(struct lb_module *m)
{
    if (atomic_load_explicit(&m->symbols_tried, memory_order_acquire))
        return atomic_load(&m->symbols);
    pthread_mutex_lock(&symbols_lock);
    if (!atomic_load(&m->symbols_tried)) {
        struct lb_elf_symbols *symbols = shared_symbols(m);
        if (!symbols) {
            int fd = lb_modules_deleted(m) ? -1 : open(m->path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                fd = open_mapping(m);
            if (fd >= 0) {
                symbols = lb_elf_symbols_read_fd(fd);
                close(fd);
            }
        }
        atomic_store(&m->symbols, symbols);
        atomic_store_explicit(&m->symbols_tried, true, memory_order_release);
    }
    pthread_mutex_unlock(&symbols_lock);
    return atomic_load(&m->symbols);
}

struct lb_module *const *lb_modules_all(size_t *count)
{
    *count = atomic_load(&all_count);
    return all;
}

struct lb_module *lb_modules_by_path(const char *path)
{
    size_t n = atomic_load(&all_count);
    for (size_t i = n; i-- > 0;)
        if (strcmp(all[i]->path, path) == 0)
            return all[i];
    return NULL;
}

const char *lb_modules_role_name(enum lb_module_role role)
{
    static const char *const names[] = {"jvm", "jni", "dependency", "runtime"};
    return (unsigned)role < 4 ? names[role] : "unknown";
}

const char *lb_modules_tracking_name(enum lb_module_tracking tracking)
{
    static const char *const names[] = {"none", "frees", "all"};
    return (unsigned)tracking < 3 ? names[tracking] : "unknown";
}
