#include "got.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct dynamic_info {
    uintptr_t base;
    const ElfW(Sym) * symtab;
    const char *strtab;
    size_t strsz;
    const ElfW(Half) * versym; /* each symbol's version index */
    const ElfW(Verneed) * verneed;
    size_t verneed_count;
    const ElfW(Rela) * rela[2]; /* .rela.dyn and .rela.plt */
    size_t rela_size[2];
    uintptr_t relro_start, relro_end;
};

/* d_ptr values are run-time addresses once the dynamic linker relocated them (glibc on x86_64
 * does), file addresses otherwise. */
static uintptr_t pointer(uintptr_t base, ElfW(Addr) value)
{
    return value < base ? base + value : value;
}

static bool read_dynamic(uintptr_t base, const ElfW(Phdr) * phdr, int phnum,
                         struct dynamic_info *di)
{
    memset(di, 0, sizeof *di);
    di->base = base;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < phnum; i++) {
        if (phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(base + phdr[i].p_vaddr);
        if (phdr[i].p_type == PT_GNU_RELRO) {
            di->relro_start = base + phdr[i].p_vaddr;
            di->relro_end = di->relro_start + phdr[i].p_memsz;
        }
    }
    if (!dyn)
        return false;
    bool rela_plt = true;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            di->symtab = (const ElfW(Sym) *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_STRTAB:
            di->strtab = (const char *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_STRSZ:
            di->strsz = dyn->d_un.d_val;
            break;
        case DT_RELA:
            di->rela[0] = (const ElfW(Rela) *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_RELASZ:
            di->rela_size[0] = dyn->d_un.d_val;
            break;
        case DT_JMPREL:
            di->rela[1] = (const ElfW(Rela) *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            di->rela_size[1] = dyn->d_un.d_val;
            break;
        case DT_PLTREL:
            rela_plt = dyn->d_un.d_val == DT_RELA;
            break;
        case DT_VERSYM:
            di->versym = (const ElfW(Half) *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_VERNEED:
            di->verneed = (const ElfW(Verneed) *)pointer(base, dyn->d_un.d_ptr);
            break;
        case DT_VERNEEDNUM:
            di->verneed_count = dyn->d_un.d_val;
            break;
        }
    }
    if (!rela_plt)
        di->rela[1] = NULL; /* REL-style PLT relocations do not occur on x86_64 */
    return di->symtab && di->strtab;
}

/* The symbol a relocation names, or NULL (none, or outside the string table). */
static const char *symbol_name(const struct dynamic_info *di, const ElfW(Rela) * r)
{
    unsigned sym = ELF64_R_SYM(r->r_info);
    const ElfW(Sym) *s = &di->symtab[sym];
    if (sym == 0 || (di->strsz && s->st_name >= di->strsz))
        return NULL;
    return di->strtab + s->st_name;
}

/* The symbol a relocation's slot is for, or NULL if it is not a slot we redirect; *own is the
 * object's own definition of it, or NULL for a symbol it imports. */
static const char *slot_name(const struct dynamic_info *di, const ElfW(Rela) * r,
                             const ElfW(Sym) * *own)
{
    unsigned type = ELF64_R_TYPE(r->r_info);
    unsigned sym = ELF64_R_SYM(r->r_info);
    if (sym == 0)
        return NULL;
    if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
        !(type == R_X86_64_64 && r->r_addend == 0))
        return NULL;
    const ElfW(Sym) *s = &di->symtab[sym];
    *own = s->st_shndx != SHN_UNDEF ? s : NULL;
    return symbol_name(di, r);
}

/* Whether the slot leads out of the object: an import, or a symbol the object defines itself
 * but which another object's definition interposes (the global scope is searched first, so a
 * preloaded allocator's operator new, jemalloc's or ASan's, wins over libstdc++'s own). A slot
 * that reaches the object's own code, e.g. its own allocator, is left alone. */
static bool leads_out(const struct dynamic_info *di, const ElfW(Sym) * own, const char *name)
{
    if (!own)
        return true;
    void *global = dlsym(RTLD_DEFAULT, name);
    return global && (uintptr_t)global != di->base + own->st_value;
}

/* Writable segments take the write as they are; RELRO pages are opened for it and closed
 * again; anything else (a slot in a read-only segment) is left alone rather than faulting. */
static bool write_slot(const struct dynamic_info *di, const ElfW(Phdr) * phdr, int phnum,
                       void **slot, void *value)
{
    uintptr_t addr = (uintptr_t)slot;
    bool relro = addr >= di->relro_start && addr < di->relro_end;
    bool writable = false;
    for (int i = 0; i < phnum && !relro && !writable; i++) {
        uintptr_t s = di->base + phdr[i].p_vaddr;
        writable = phdr[i].p_type == PT_LOAD && (phdr[i].p_flags & PF_W) && addr >= s &&
                   addr + sizeof(void *) <= s + phdr[i].p_memsz;
    }
    if (!relro && !writable)
        return false;
    size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
    void *page = (void *)(addr & ~(uintptr_t)(page_size - 1)); /* an aligned slot is in one page */
    if (relro && mprotect(page, page_size, PROT_READ | PROT_WRITE) != 0)
        return false;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE); /* callers on other threads see old or new */
    if (relro)
        mprotect(page, page_size, PROT_READ);
    return true;
}

int lb_got_patch(uintptr_t base, const ElfW(Phdr) * phdr, int phnum,
                 const struct lb_got_hook *hooks, size_t nhooks, uint64_t *found)
{
    struct dynamic_info di;
    if (!read_dynamic(base, phdr, phnum, &di))
        return 0;
    int written = 0;
    for (int t = 0; t < 2; t++) {
        size_t n = di.rela[t] ? di.rela_size[t] / sizeof(ElfW(Rela)) : 0;
        for (size_t i = 0; i < n; i++) {
            const ElfW(Rela) *r = &di.rela[t][i];
            const ElfW(Sym) * own;
            const char *name = slot_name(&di, r, &own);
            if (!name)
                continue;
            for (size_t h = 0; h < nhooks; h++) {
                if (strcmp(name, hooks[h].symbol) != 0)
                    continue;
                if (!leads_out(&di, own, name))
                    break;
                if (found && h < 64)
                    *found |= (uint64_t)1 << h;
                void **slot = (void **)(base + r->r_offset);
                if (__atomic_load_n(slot, __ATOMIC_RELAXED) != hooks[h].hook &&
                    write_slot(&di, phdr, phnum, slot, hooks[h].hook))
                    written++;
                break;
            }
        }
    }
    return written;
}

bool lb_got_imports(uintptr_t base, const ElfW(Phdr) * phdr, int phnum, const char *symbol)
{
    struct dynamic_info di;
    if (!read_dynamic(base, phdr, phnum, &di))
        return false;
    for (int t = 0; t < 2; t++) {
        size_t n = di.rela[t] ? di.rela_size[t] / sizeof(ElfW(Rela)) : 0;
        for (size_t i = 0; i < n; i++) {
            const ElfW(Sym) * own;
            const char *name = slot_name(&di, &di.rela[t][i], &own);
            if (name && strcmp(name, symbol) == 0 && leads_out(&di, own, name))
                return true;
        }
    }
    return false;
}

void lb_got_dynamic_names(uintptr_t base, const ElfW(Phdr) * phdr, int phnum,
                          void (*fn)(bool soname, const char *name, void *ctx), void *ctx)
{
    struct dynamic_info di;
    if (!read_dynamic(base, phdr, phnum, &di))
        return;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < phnum; i++)
        if (phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(base + phdr[i].p_vaddr);
    for (; dyn && dyn->d_tag != DT_NULL; dyn++)
        if ((dyn->d_tag == DT_NEEDED || dyn->d_tag == DT_SONAME) && dyn->d_un.d_val < di.strsz)
            fn(dyn->d_tag == DT_SONAME, di.strtab + dyn->d_un.d_val, ctx);
}

/* The version an import asks for (GLIBC_2.2.5), or NULL when it asks for none. */
static const char *import_version(const struct dynamic_info *di, unsigned sym)
{
    if (!di->versym || !di->verneed)
        return NULL;
    unsigned index = di->versym[sym] & 0x7fff;
    if (index < 2) /* local or global: no version */
        return NULL;
    const ElfW(Verneed) *vn = di->verneed;
    for (size_t i = 0; i < di->verneed_count; i++) {
        const ElfW(Vernaux) *va = (const ElfW(Vernaux) *)((const char *)vn + vn->vn_aux);
        for (unsigned a = 0; a < vn->vn_cnt; a++) {
            if (va->vna_other == index)
                return di->strsz && va->vna_name >= di->strsz ? NULL : di->strtab + va->vna_name;
            va = (const ElfW(Vernaux) *)((const char *)va + va->vna_next);
        }
        if (!vn->vn_next)
            break;
        vn = (const ElfW(Verneed) *)((const char *)vn + vn->vn_next);
    }
    return NULL;
}

/* What the dynamic linker binds an import to: the first definition in the scope (the global
 * one, then the agent's own group, which holds the object: RTLD_DEFAULT from the agent), where
 * an unversioned one (jemalloc preloaded, a sanitizer's malloc) answers any version; within the
 * object that defines several versions (libc's memcpy), the one the import names. */
static void *resolve(const char *name, const char *version)
{
    void *first = dlsym(RTLD_DEFAULT, name);
    void *named = version ? dlvsym(RTLD_DEFAULT, name, version) : NULL;
    Dl_info a, b;
    if (!first || !named || first == named)
        return first ? first : named;
    if (dladdr(first, &a) && dladdr(named, &b) && a.dli_fbase != b.dli_fbase)
        return first; /* an unversioned definition earlier in the scope */
    return named;
}

int lb_got_bind_now(uintptr_t base, const ElfW(Phdr) * phdr, int phnum)
{
    struct dynamic_info di;
    if (!read_dynamic(base, phdr, phnum, &di) || !di.rela[1])
        return 0;
    int written = 0;
    size_t n = di.rela_size[1] / sizeof(ElfW(Rela));
    for (size_t i = 0; i < n; i++) {
        const ElfW(Rela) *r = &di.rela[1][i];
        if (ELF64_R_TYPE(r->r_info) != R_X86_64_JUMP_SLOT)
            continue;
        const char *name = symbol_name(&di, r); /* its own exported functions too */
        if (!name)
            continue;
        void *f = resolve(name, import_version(&di, (unsigned)ELF64_R_SYM(r->r_info)));
        void **slot = (void **)(base + r->r_offset);
        if (f && __atomic_load_n(slot, __ATOMIC_RELAXED) != f &&
            write_slot(&di, phdr, phnum, slot, f))
            written++;
    }
    return written;
}
