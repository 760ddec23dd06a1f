/* Unit tests for agent/got.c on small libraries really loaded into this process, one per ELF case
 * (tests/unit/got_fixtures, built by tests/CMakeLists.txt): lazy PLT, BIND_NOW with full RELRO,
 * -fno-plt GLOB_DAT slots, stripped, no build id, and allocator tables (R_X86_64_64). The test
 * finds each import slot again from the file's section headers, independently of got.c's reading
 * of the dynamic segment, and checks that it holds the hook after a patch and the original after
 * the patch that undoes it, and that the library's calls follow. */
#include "got.h"
#include "unit_util.h"

#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MALLOC, CALLOC, REALLOC, FREE, NSYMS };
static const char *const names[NSYMS] = {"malloc", "calloc", "realloc", "free"};

/* What the process's allocator is (ASan's in this build), looked up before any patching: the
 * hooks forward to it and un-patching puts it back. */
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static void *originals[NSYMS];

static int calls[NSYMS]; /* calls that reached each hook */

static void *malloc_hook(size_t size)
{
    calls[MALLOC]++;
    return real_malloc(size);
}

static void *calloc_hook(size_t n, size_t size)
{
    calls[CALLOC]++;
    return real_calloc(n, size);
}

static void *realloc_hook(void *p, size_t size)
{
    calls[REALLOC]++;
    return real_realloc(p, size);
}

static void free_hook(void *p)
{
    calls[FREE]++;
    real_free(p);
}

static void *const hook_fns[NSYMS] = {(void *)malloc_hook, (void *)calloc_hook,
                                      (void *)realloc_hook, (void *)free_hook};

/* One fixture library and the ELF case it must be (test_fixtures_are_their_case checks it). */
struct fixture {
    const char *name;
    const char *path;
    unsigned reloc; /* the relocation type of every one of its import slots */
    bool lazy;      /* PLT slots hold resolver stubs until the first call */
    bool bind_now;  /* DF_BIND_NOW */
    bool table;     /* imports only malloc and free, by address; no fixture_calloc etc. */
    bool symtab;    /* has a .symtab */
    bool build_id;  /* has an NT_GNU_BUILD_ID note */
    const char *soname;
};

static const struct fixture fixtures[] = {
    {"lazy", LB_GOT_LAZY, R_X86_64_JUMP_SLOT, .lazy = true, .symtab = true, .build_id = true,
     .soname = "libgot_lazy.so.1"},
    {"now", LB_GOT_NOW, R_X86_64_JUMP_SLOT, .bind_now = true, .symtab = true, .build_id = true},
    {"noplt", LB_GOT_NOPLT, R_X86_64_GLOB_DAT, .symtab = true, .build_id = true},
    {"stripped", LB_GOT_STRIPPED, R_X86_64_JUMP_SLOT, .build_id = true},
    {"nobuildid", LB_GOT_NOBUILDID, R_X86_64_JUMP_SLOT, .symtab = true},
    {"table", LB_GOT_TABLE, R_X86_64_64, .table = true, .symtab = true, .build_id = true},
};
#define NFIXTURES ((int)UU_COUNT(fixtures))

/* What the file says, read through its section headers (which got.c never looks at). */
struct slot {
    uintptr_t offset; /* link-time address of the slot */
    int sym;          /* index in names */
    unsigned type;
};

struct elf_facts {
    struct slot slots[32]; /* import slots of the malloc family */
    int nslots;
    int imports[NSYMS];  /* slots per symbol */
    uintptr_t self_slot; /* a slot for fixture_alloc, which the object defines (0: none) */
    bool jump_slots;     /* any R_X86_64_JUMP_SLOT at all */
    bool bind_now, symtab, build_id;
    uintptr_t relro_start, relro_end; /* PT_GNU_RELRO, link-time addresses */
    char soname[64];
    char needed[4][64];
    int nneeded;
};

static void read_elf(const char *path, struct elf_facts *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp, "cannot open %s", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    ck_assert_int_gt(size, (long)sizeof(ElfW(Ehdr)));
    rewind(fp);
    char *buf = malloc((size_t)size);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);

    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)buf;
    ck_assert(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_machine == EM_X86_64);
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(buf + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_GNU_RELRO) {
            f->relro_start = ph[i].p_vaddr;
            f->relro_end = ph[i].p_vaddr + ph[i].p_memsz;
        }
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(buf + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        const char *data = buf + sh[i].sh_offset;
        if (sh[i].sh_type == SHT_SYMTAB)
            f->symtab = true;
        if (sh[i].sh_type == SHT_NOTE)
            for (size_t at = 0; at + sizeof(ElfW(Nhdr)) <= sh[i].sh_size;) {
                const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(data + at);
                if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                    memcmp(n + 1, "GNU", 4) == 0)
                    f->build_id = true;
                at += sizeof *n + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
            }
        if (sh[i].sh_type == SHT_DYNAMIC) {
            const char *str = buf + sh[sh[i].sh_link].sh_offset;
            for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)data; d->d_tag != DT_NULL; d++) {
                if ((d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_BIND_NOW)) ||
                    (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_NOW)))
                    f->bind_now = true;
                if (d->d_tag == DT_SONAME)
                    snprintf(f->soname, sizeof f->soname, "%s", str + d->d_un.d_val);
                if (d->d_tag == DT_NEEDED && f->nneeded < (int)UU_COUNT(f->needed))
                    snprintf(f->needed[f->nneeded++], sizeof f->needed[0], "%s",
                             str + d->d_un.d_val);
            }
        }
        if (sh[i].sh_type != SHT_RELA || sh[sh[i].sh_link].sh_type != SHT_DYNSYM)
            continue;
        const ElfW(Shdr) *symsec = &sh[sh[i].sh_link];
        const ElfW(Sym) *syms = (const ElfW(Sym) *)(buf + symsec->sh_offset);
        const char *str = buf + sh[symsec->sh_link].sh_offset;
        const ElfW(Rela) *rela = (const ElfW(Rela) *)data;
        for (size_t r = 0; r < sh[i].sh_size / sizeof *rela; r++) {
            unsigned type = ELF64_R_TYPE(rela[r].r_info);
            const ElfW(Sym) *sym = &syms[ELF64_R_SYM(rela[r].r_info)];
            const char *name = str + sym->st_name;
            if (type == R_X86_64_JUMP_SLOT)
                f->jump_slots = true;
            if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
                !(type == R_X86_64_64 && rela[r].r_addend == 0))
                continue;
            if (strcmp(name, "fixture_alloc") == 0 && sym->st_shndx != SHN_UNDEF)
                f->self_slot = rela[r].r_offset;
            for (int s = 0; s < NSYMS; s++)
                if (sym->st_shndx == SHN_UNDEF && strcmp(name, names[s]) == 0) {
                    ck_assert_int_lt(f->nslots, (int)UU_COUNT(f->slots));
                    f->slots[f->nslots++] = (struct slot){rela[r].r_offset, s, type};
                    f->imports[s]++;
                }
        }
    }
    free(buf);
}

/* A fixture loaded, with what lb_got_* take and the functions it exports. */
struct loaded {
    void *handle;
    uintptr_t base;
    const ElfW(Phdr) * phdr;
    int phnum;
    struct elf_facts facts;
    void *(*alloc)(size_t);
    void *(*calloc_)(size_t, size_t);
    void *(*realloc_)(void *, size_t);
    void (*free_)(void *);
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct loaded *l = data;
    if (info->dlpi_addr != l->base)
        return 0;
    l->phdr = info->dlpi_phdr;
    l->phnum = info->dlpi_phnum;
    return 1;
}

/* The fixture a test has open: a failed test leaves it to teardown to close, so that the next
 * test loads it afresh rather than inheriting its patched or resolved slots. */
static void *open_handle;

static void load(const struct fixture *fx, int mode, struct loaded *l)
{
    memset(l, 0, sizeof *l);
    read_elf(fx->path, &l->facts);
    l->handle = dlopen(fx->path, mode | RTLD_LOCAL);
    ck_assert_msg(l->handle, "%s: %s", fx->name, dlerror());
    open_handle = l->handle;
    struct link_map *lm = NULL;
    ck_assert_int_eq(dlinfo(l->handle, RTLD_DI_LINKMAP, &lm), 0);
    l->base = lm->l_addr;
    ck_assert_int_eq(dl_iterate_phdr(find_object, l), 1);
    l->alloc = (void *(*)(size_t))dlsym(l->handle, "fixture_alloc");
    l->free_ = (void (*)(void *))dlsym(l->handle, "fixture_free");
    l->calloc_ = (void *(*)(size_t, size_t))dlsym(l->handle, "fixture_calloc");
    l->realloc_ = (void *(*)(void *, size_t))dlsym(l->handle, "fixture_realloc");
    ck_assert(l->alloc && l->free_);
    ck_assert(fx->table || (l->calloc_ && l->realloc_));
}

static void unload(struct loaded *l)
{
    open_handle = NULL;
    ck_assert_int_eq(dlclose(l->handle), 0);
}

static void teardown(void)
{
    if (open_handle)
        dlclose(open_handle);
    open_handle = NULL;
}

static void *slot_value(const struct loaded *l, const struct slot *s)
{
    return __atomic_load_n((void **)(l->base + s->offset), __ATOMIC_RELAXED);
}

/* Whether the dynamic linker made the slot's page read-only: RELRO rounded down to pages, as
 * glibc's _dl_protect_relro does. */
static bool in_relro(const struct loaded *l, const struct slot *s)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (l->base + l->facts.relro_start) & ~(page - 1);
    uintptr_t end = (l->base + l->facts.relro_end) & ~(page - 1);
    uintptr_t addr = l->base + s->offset;
    return l->facts.relro_end > l->facts.relro_start && addr >= start && addr < end;
}

/* Whether the mapping that holds addr is writable, from /proc/self/maps. */
static bool writable(uintptr_t addr)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(maps);
    char line[512], perms[8] = "";
    bool found = false;
    while (!found && fgets(line, sizeof line, maps)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &lo, &hi, perms) == 3)
            found = addr >= lo && addr < hi;
    }
    fclose(maps);
    ck_assert_msg(found, "no mapping holds %#" PRIxPTR, addr);
    return perms[1] == 'w';
}

/* Every import slot of the malloc family holds want[sym], and its page has the protection the
 * dynamic linker gave it: RELRO read-only, the rest writable. */
static void check_slots(const struct fixture *fx, const struct loaded *l, void *const want[NSYMS],
                        const char *when)
{
    for (int i = 0; i < l->facts.nslots; i++) {
        const struct slot *s = &l->facts.slots[i];
        ck_assert_msg(slot_value(l, s) == want[s->sym], "%s %s: %s slot at %#" PRIxPTR " holds %p",
                      fx->name, when, names[s->sym], (uintptr_t)s->offset, slot_value(l, s));
        ck_assert_msg(writable(l->base + s->offset) == !in_relro(l, s),
                      "%s %s: %s slot at %#" PRIxPTR " is %s", fx->name, when, names[s->sym],
                      (uintptr_t)s->offset, in_relro(l, s) ? "writable in RELRO" : "read-only");
    }
}

static uint64_t imported_bits(const struct loaded *l)
{
    uint64_t bits = 0;
    for (int s = 0; s < NSYMS; s++)
        if (l->facts.imports[s])
            bits |= (uint64_t)1 << s;
    return bits;
}

/* Calls every allocator the fixture exports and checks how many calls reached the hooks: one
 * per imported function if patched, none otherwise. */
static void call_fixture(const struct fixture *fx, const struct loaded *l, bool patched,
                         const char *when)
{
    memset(calls, 0, sizeof calls);
    char *p = l->alloc(24);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, 24);
    if (!fx->table) {
        p = l->realloc_(p, 4096);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p[23], 1);
        l->free_(p);
        p = l->calloc_(4, 8);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p[31], 0);
    }
    l->free_(p);
    for (int s = 0; s < NSYMS; s++) {
        int want = patched && l->facts.imports[s] ? (s == FREE && !fx->table ? 2 : 1) : 0;
        ck_assert_msg(calls[s] == want, "%s %s: %d calls to the %s hook, want %d", fx->name, when,
                      calls[s], names[s], want);
    }
}

static void setup(void)
{
    real_malloc = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_DEFAULT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_DEFAULT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_DEFAULT, "free");
    ck_assert(real_malloc && real_calloc && real_realloc && real_free);
    originals[MALLOC] = (void *)real_malloc;
    originals[CALLOC] = (void *)real_calloc;
    originals[REALLOC] = (void *)real_realloc;
    originals[FREE] = (void *)real_free;
}

/* Each fixture must really be the ELF case it stands for, or the other tests prove less than
 * they claim: the relocation kind of its slots, BIND_NOW, RELRO, .symtab, build id, soname. */
START_TEST(test_fixtures_are_their_case)
{
    const struct fixture *fx = &fixtures[_i];
    struct elf_facts f;
    read_elf(fx->path, &f);
    for (int s = 0; s < NSYMS; s++) {
        bool want = !fx->table || s == MALLOC || s == FREE;
        ck_assert_msg((f.imports[s] > 0) == want, "%s: %d %s slots", fx->name, f.imports[s],
                      names[s]);
    }
    for (int i = 0; i < f.nslots; i++)
        ck_assert_msg(f.slots[i].type == fx->reloc, "%s: %s slot of type %u", fx->name,
                      names[f.slots[i].sym], f.slots[i].type);
    if (fx->reloc == R_X86_64_GLOB_DAT || fx->table)
        ck_assert_msg(!f.jump_slots, "%s has a PLT", fx->name);
    ck_assert_msg(f.bind_now == fx->bind_now, "%s: BIND_NOW %d", fx->name, f.bind_now);
    ck_assert_msg(f.relro_end > f.relro_start, "%s has no RELRO", fx->name);
    ck_assert_msg(f.symtab == fx->symtab, "%s: .symtab %d", fx->name, f.symtab);
    ck_assert_msg(f.build_id == fx->build_id, "%s: build id %d", fx->name, f.build_id);
    ck_assert_str_eq(f.soname, fx->soname ? fx->soname : "");
    ck_assert_msg(fx->table || f.self_slot, "%s: no slot for its own fixture_alloc", fx->name);

    /* Where the slots are once loaded: lazy PLT slots writable, BIND_NOW and GLOB_DAT slots in
     * RELRO, and the table's malloc in RELRO but its free in writable data. */
    struct loaded l;
    load(fx, RTLD_NOW, &l);
    for (int i = 0; i < l.facts.nslots; i++) {
        const struct slot *s = &l.facts.slots[i];
        bool want;
        if (fx->reloc == R_X86_64_JUMP_SLOT) /* .got.plt, in RELRO only under BIND_NOW */
            want = fx->bind_now;
        else /* .got or .data.rel.ro, but the table's free is in .data */
            want = !(fx->table && s->sym == FREE);
        ck_assert_msg(in_relro(&l, s) == want, "%s: %s slot in RELRO %d", fx->name, names[s->sym],
                      in_relro(&l, s));
        ck_assert_msg(writable(l.base + s->offset) == !want, "%s: %s slot %s", fx->name,
                      names[s->sym], want ? "writable in RELRO" : "read-only");
    }
    unload(&l);
}
END_TEST

/* The whole cycle on every fixture: each slot holds the hook after the patch and the library's
 * calls reach the hooks; a second patch writes nothing; patching the originals back restores
 * each slot and the calls; RELRO pages are read-only again after every write. */
START_TEST(test_patch_and_restore_every_slot)
{
    const struct fixture *fx = &fixtures[_i];
    struct loaded l;
    load(fx, RTLD_NOW, &l); /* slots resolved, so they hold the originals before any patch */
    struct lb_got_hook hooks[NSYMS], restore[NSYMS];
    for (int s = 0; s < NSYMS; s++) {
        hooks[s] = (struct lb_got_hook){names[s], hook_fns[s]};
        restore[s] = (struct lb_got_hook){names[s], originals[s]};
    }
    ck_assert_int_gt(l.facts.nslots, 0);
    check_slots(fx, &l, originals, "before the patch");
    call_fixture(fx, &l, false, "before the patch");

    uint64_t found = 0;
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, hooks, NSYMS, &found), l.facts.nslots);
    ck_assert_uint_eq(found, imported_bits(&l));
    check_slots(fx, &l, hook_fns, "patched");
    call_fixture(fx, &l, true, "patched");

    found = 0;
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, hooks, NSYMS, &found), 0);
    ck_assert_uint_eq(found, imported_bits(&l)); /* found even though nothing was written */
    check_slots(fx, &l, hook_fns, "patched twice");

    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, restore, NSYMS, NULL), l.facts.nslots);
    check_slots(fx, &l, originals, "restored");
    call_fixture(fx, &l, false, "restored");
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, restore, NSYMS, NULL), 0);
    unload(&l);
}
END_TEST

/* Under lazy binding a slot patched before the first call must keep the hook through that call:
 * the call goes to the hook, never through the resolver, which would write the real function
 * over it. Slots left unpatched still resolve lazily, next to the patched ones, and a slot the
 * resolver filled can be patched afterwards. */
START_TEST(test_lazy_slot_patched_before_first_call_stays_patched)
{
    const struct fixture *fx = &fixtures[0];
    ck_assert(fx->lazy);
    ck_assert_msg(!getenv("LD_BIND_NOW"), "LD_BIND_NOW is set: nothing binds lazily");
    struct loaded l;
    load(fx, RTLD_LAZY, &l);
    for (int i = 0; i < l.facts.nslots; i++) { /* all unresolved: stubs inside the object */
        Dl_info info;
        void *v = slot_value(&l, &l.facts.slots[i]);
        ck_assert_ptr_ne(v, originals[l.facts.slots[i].sym]);
        ck_assert(dladdr(v, &info) && (uintptr_t)info.dli_fbase == l.base);
    }
    struct lb_got_hook hooks[] = {{"malloc", (void *)malloc_hook}, {"free", (void *)free_hook}};
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, hooks, 2, NULL),
                     l.facts.imports[MALLOC] + l.facts.imports[FREE]);

    memset(calls, 0, sizeof calls);
    void *p = l.alloc(16), *q = l.calloc_(2, 8); /* malloc patched, calloc resolved lazily */
    l.free_(p);
    l.free_(q);
    ck_assert_int_eq(calls[MALLOC], 1);
    ck_assert_int_eq(calls[CALLOC], 0);
    ck_assert_int_eq(calls[FREE], 2);
    void *after_calls[NSYMS] = {(void *)malloc_hook, originals[CALLOC], NULL, (void *)free_hook};
    for (int i = 0; i < l.facts.nslots; i++) {
        const struct slot *s = &l.facts.slots[i];
        if (s->sym != REALLOC) /* never called: still the stub */
            ck_assert_msg(slot_value(&l, s) == after_calls[s->sym], "%s slot holds %p",
                          names[s->sym], slot_value(&l, s));
    }

    struct lb_got_hook calloc_only[] = {{"calloc", (void *)calloc_hook}};
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, calloc_only, 1, NULL),
                     l.facts.imports[CALLOC]);
    l.free_(l.calloc_(2, 8));
    ck_assert_int_eq(calls[CALLOC], 1);
    ck_assert_int_eq(calls[FREE], 3);
    unload(&l);
}
END_TEST

/* Binding now fills every lazy slot with what the dynamic linker's resolver would have, without
 * the library calling anything: its calls then reach the process's allocator (the sanitizer's,
 * interposed without a version, although the imports ask for GLIBC_2.2.5), and its call to a
 * function it exports itself reaches that function; a second binding writes nothing. (Loaded
 * global, so that the test's lookups, like the agent's of its own libraries, find the object;
 * the lookups that find it there keep it loaded after dlclose.) */
START_TEST(test_bind_now_fills_lazy_slots)
{
    const struct fixture *fx = &fixtures[0];
    ck_assert(fx->lazy);
    struct loaded l;
    load(fx, RTLD_LAZY | RTLD_GLOBAL, &l);
    void **self = (void **)(l.base + l.facts.self_slot);
    ck_assert_ptr_ne(*self, (void *)l.alloc);
    for (int i = 0; i < l.facts.nslots; i++)
        ck_assert_ptr_ne(slot_value(&l, &l.facts.slots[i]), originals[l.facts.slots[i].sym]);
    ck_assert_int_eq(lb_got_bind_now(l.base, l.phdr, l.phnum), l.facts.nslots + 1);
    check_slots(fx, &l, originals, "bound now");
    ck_assert_ptr_eq(*self, (void *)l.alloc);
    ck_assert_int_eq(lb_got_bind_now(l.base, l.phdr, l.phnum), 0);
    call_fixture(fx, &l, false, "bound now");
    check_slots(fx, &l, originals, "bound now and called");
    unload(&l);
}
END_TEST

/* found gets a bit for each hook with a slot and none for the others: a symbol the object does
 * not import, and one it defines itself although it reaches it through a slot of its own. */
START_TEST(test_found_and_imports)
{
    const struct fixture *fx = &fixtures[_i];
    struct loaded l;
    load(fx, RTLD_NOW, &l);
    struct lb_got_hook hooks[] = {{"malloc", (void *)malloc_hook},
                                  {"strlen", (void *)malloc_hook},
                                  {"fixture_alloc", (void *)malloc_hook},
                                  {"free", (void *)free_hook}};
    uint64_t found = 0;
    ck_assert_int_eq(lb_got_patch(l.base, l.phdr, l.phnum, hooks, UU_COUNT(hooks), &found),
                     l.facts.imports[MALLOC] + l.facts.imports[FREE]);
    ck_assert_uint_eq(found, 1u << 0 | 1u << 3);
    if (!fx->table) {
        void **self = (void **)(l.base + l.facts.self_slot); /* untouched */
        ck_assert_ptr_eq(*self, (void *)l.alloc);
        memset(calls, 0, sizeof calls);
        l.free_(((void *(*)(size_t))dlsym(l.handle, "fixture_alloc_via_self"))(8));
        ck_assert_int_eq(calls[MALLOC], 1); /* reached fixture_alloc, then the malloc hook */
        ck_assert_int_eq(calls[FREE], 1);
    }

    for (int s = 0; s < NSYMS; s++)
        ck_assert_msg(lb_got_imports(l.base, l.phdr, l.phnum, names[s]) == !!l.facts.imports[s],
                      "%s: imports %s", fx->name, names[s]);
    ck_assert(!lb_got_imports(l.base, l.phdr, l.phnum, "strlen"));
    ck_assert(!lb_got_imports(l.base, l.phdr, l.phnum, "fixture_alloc"));
    ck_assert(!lb_got_imports(l.base, l.phdr, l.phnum, "mallo"));
    unload(&l);
}
END_TEST

struct names_seen {
    char soname[64];
    int sonames;
    char needed[4][64];
    int nneeded;
};

static void collect_name(bool soname, const char *name, void *ctx)
{
    struct names_seen *seen = ctx;
    if (soname) {
        snprintf(seen->soname, sizeof seen->soname, "%s", name);
        seen->sonames++;
    } else if (seen->nneeded < (int)UU_COUNT(seen->needed)) {
        snprintf(seen->needed[seen->nneeded++], sizeof seen->needed[0], "%s", name);
    }
}

/* The names the dynamic section in memory gives are the file's: the soname where there is one
 * (the lazy fixture's), none elsewhere, and every DT_NEEDED in order. */
START_TEST(test_dynamic_names)
{
    const struct fixture *fx = &fixtures[_i];
    struct loaded l;
    load(fx, RTLD_NOW, &l);
    struct names_seen seen = {0};
    lb_got_dynamic_names(l.base, l.phdr, l.phnum, collect_name, &seen);
    ck_assert_int_eq(seen.sonames, fx->soname ? 1 : 0);
    ck_assert_str_eq(seen.soname, l.facts.soname);
    ck_assert_int_gt(l.facts.nneeded, 0);
    ck_assert_int_eq(seen.nneeded, l.facts.nneeded);
    for (int i = 0; i < seen.nneeded; i++)
        ck_assert_str_eq(seen.needed[i], l.facts.needed[i]);
    ck_assert_str_eq(seen.needed[0], "libc.so.6");
    unload(&l);
}
END_TEST

static Suite *got_suite(void)
{
    Suite *s = suite_create("got");
    TCase *tc = tcase_create("fixture libraries");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_fixtures_are_their_case, 0, NFIXTURES);
    tcase_add_loop_test(tc, test_patch_and_restore_every_slot, 0, NFIXTURES);
    tcase_add_test(tc, test_lazy_slot_patched_before_first_call_stays_patched);
    tcase_add_loop_test(tc, test_found_and_imports, 0, NFIXTURES);
    tcase_add_loop_test(tc, test_dynamic_names, 0, NFIXTURES);
    /* Last: its global lookups keep the lazy fixture loaded, and global, for good. */
    tcase_add_test(tc, test_bind_now_fills_lazy_slots);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(got_suite());
}
