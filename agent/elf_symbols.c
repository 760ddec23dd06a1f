/* Function symbols of an ELF file (.symtab + .dynsym), read once into one self-contained
 * block so that lookups work after the file is deleted or unmapped. */
#include "elf_symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "elf_symbols.c reads little-endian ELF structures in place: port it for big-endian hosts"
#endif

/* One malloc holds this header and then, as a struct of arrays (no padding between fields):
 *     uint64_t addr[count];     start, ascending, distinct
 *     uint32_t span[count];     bytes covered: st_size, or up to the next symbol for size 0
 *     uint32_t name[count];     offset of the NUL-terminated name in names[]
 *     uint32_t parent[count];   only when some function lies inside another (see below)
 *     char names[];
 * That is 16 bytes per symbol plus its name and NUL. Measured on Debian's OpenJDK 17 libjvm.so
 * (57,917 .symtab + 484 .dynsym entries, 43,677 distinct function addresses, no nesting):
 * 2,893,458 bytes, 66.2 per symbol, of which 50.2 are the (mangled C++) names; read in 11 ms
 * with the file in the page cache. Temurin 25's: 52,870 symbols, 68.0 bytes each. */
struct lb_elf_symbols {
    size_t count;
    const uint64_t *addr;
    const uint32_t *span;
    const uint32_t *name;
    /* NULL, or for each entry 1 + the index of the nearest earlier entry whose range was still
     * open at its start (0: none). Lookups that fall past an inner function's end walk this
     * chain to the function enclosing it. */
    const uint32_t *parent;
    const char *names;
};

/* A symbol while the table is built: 48 bytes, freed before returning. */
struct cand {
    uint64_t addr;
    uint64_t size;
    uint64_t section_end; /* end of the section holding addr; 0 when unknown */
    const char *name;     /* into a string table read from the file */
    uint32_t len;
    uint8_t bind_rank;   /* 0 global, 1 weak, 2 local, 3 other */
    uint8_t underscores; /* leading '_' characters, saturated */
};

struct builder {
    int fd;
    uint64_t file_size;
    Elf64_Shdr *sh;
    size_t shnum;
    struct cand *cands;
    size_t ncands;
    char **strtabs; /* kept until names are copied; one per symbol section */
    size_t nstrtabs;
    uint64_t symtab_bytes; /* read so far; both capped at the file size so that section headers */
    uint64_t strtab_bytes; /* that all point at one range cannot multiply the work */
};

static bool in_file(const struct builder *b, uint64_t offset, uint64_t len)
{
    return offset <= b->file_size && len <= b->file_size - offset;
}

/* pread, not mmap: a file truncated while we read gives an error, not SIGBUS. */
static bool read_exact(int fd, void *buf, size_t len, uint64_t offset)
{
    char *p = buf;
    while (len > 0) {
        ssize_t got = pread(fd, p, len, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got;
        len -= (size_t)got;
        offset += (uint64_t)got;
    }
    return true;
}

/* malloc(len) filled from the file, or NULL; the caller has checked in_file. */
static void *read_alloc(const struct builder *b, uint64_t offset, uint64_t len)
{
    if (len > SIZE_MAX - 1)
        return NULL;
    void *buf = malloc(len == 0 ? 1 : (size_t)len);
    if (buf != NULL && !read_exact(b->fd, buf, (size_t)len, offset)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* Reads the section header table; false when it is present but unreadable. */
static bool read_section_headers(struct builder *b, const Elf64_Ehdr *eh)
{
    uint64_t shoff = eh->e_shoff;
    uint64_t shnum = eh->e_shnum;
    uint64_t entsize = eh->e_shentsize;
    if (shoff == 0)
        return true; /* no sections: a valid ELF, just nothing to read */
    if (entsize < sizeof(Elf64_Shdr) || !in_file(b, shoff, entsize))
        return false;
    if (shnum == 0) { /* more than SHN_LORESERVE sections: the count is in entry 0 */
        Elf64_Shdr first;
        if (!read_exact(b->fd, &first, sizeof first, shoff))
            return false;
        shnum = first.sh_size;
    }
    if (shnum > (b->file_size - shoff) / entsize)
        return false;
    char *raw = read_alloc(b, shoff, shnum * entsize);
    b->sh = malloc((size_t)(shnum == 0 ? 1 : shnum) * sizeof(Elf64_Shdr));
    if (raw == NULL || b->sh == NULL) {
        free(raw);
        return false;
    }
    for (uint64_t i = 0; i < shnum; i++)
        memcpy(&b->sh[i], raw + i * entsize, sizeof(Elf64_Shdr));
    free(raw);
    b->shnum = (size_t)shnum;
    return true;
}

static uint8_t bind_rank(unsigned char info)
{
    switch (ELF64_ST_BIND(info)) {
    case STB_GLOBAL:
    case STB_GNU_UNIQUE:
        return 0;
    case STB_WEAK:
        return 1;
    case STB_LOCAL:
        return 2;
    default:
        return 3;
    }
}

/* End of the section st_shndx names, when it really holds addr; 0 otherwise. */
static uint64_t section_end(const struct builder *b, uint16_t shndx, uint64_t addr)
{
    if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE || shndx >= b->shnum)
        return 0;
    const Elf64_Shdr *s = &b->sh[shndx];
    if (s->sh_size > UINT64_MAX - s->sh_addr)
        return 0;
    uint64_t end = s->sh_addr + s->sh_size;
    return addr >= s->sh_addr && addr < end ? end : 0;
}

/* Adds the function symbols of section sec (SHT_SYMTAB or SHT_DYNSYM). A malformed section is
 * skipped, not fatal: the other one may still be good. False only when out of memory. */
static bool read_symbol_section(struct builder *b, const Elf64_Shdr *sec)
{
    if (sec->sh_entsize < sizeof(Elf64_Sym) || sec->sh_link >= b->shnum)
        return true;
    const Elf64_Shdr *str = &b->sh[sec->sh_link];
    if (str->sh_type != SHT_STRTAB || !in_file(b, sec->sh_offset, sec->sh_size) ||
        !in_file(b, str->sh_offset, str->sh_size))
        return true;
    if (sec->sh_size > b->file_size - b->symtab_bytes ||
        str->sh_size > b->file_size - b->strtab_bytes)
        return true;
    b->symtab_bytes += sec->sh_size;
    b->strtab_bytes += str->sh_size;

    uint64_t nsyms = sec->sh_size / sec->sh_entsize;
    struct cand *grown = realloc(b->cands, (b->ncands + nsyms + 1) * sizeof *grown);
    char **strtabs = realloc(b->strtabs, (b->nstrtabs + 1) * sizeof *strtabs);
    if (grown != NULL)
        b->cands = grown;
    if (strtabs != NULL)
        b->strtabs = strtabs;
    if (grown == NULL || strtabs == NULL)
        return false;
    char *syms = read_alloc(b, sec->sh_offset, sec->sh_size);
    char *strs = read_alloc(b, str->sh_offset, str->sh_size);
    if (syms == NULL || strs == NULL) {
        free(syms);
        free(strs);
        return true; /* unreadable (or too large for memory): skip this table */
    }
    b->strtabs[b->nstrtabs++] = strs;

    uint64_t strsize = str->sh_size;
    for (uint64_t k = 0; k < nsyms; k++) {
        Elf64_Sym s;
        memcpy(&s, syms + k * sec->sh_entsize, sizeof s);
        unsigned type = ELF64_ST_TYPE(s.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC)
            continue;
        if (s.st_shndx == SHN_UNDEF || s.st_value == 0 || s.st_name == 0 || s.st_name >= strsize)
            continue;
        const char *name = strs + s.st_name;
        const char *nul = memchr(name, '\0', (size_t)(strsize - s.st_name));
        if (nul == NULL || nul == name || nul - name >= (ptrdiff_t)UINT32_MAX)
            continue;
        struct cand *c = &b->cands[b->ncands++];
        c->addr = s.st_value;
        c->size = s.st_size;
        c->section_end = section_end(b, s.st_shndx, s.st_value);
        c->name = name;
        c->len = (uint32_t)(nul - name);
        c->bind_rank = bind_rank(s.st_info);
        c->underscores = 0;
        while (c->underscores < c->len && c->underscores < UINT8_MAX && name[c->underscores] == '_')
            c->underscores++;
    }
    free(syms);
    return true;
}

/* By address; among equal addresses the one to keep first. Every field that reaches the
 * table takes part, so the result does not depend on qsort's order of equal elements. */
static int compare_cands(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if ((a->size != 0) != (b->size != 0))
        return a->size != 0 ? -1 : 1;
    if (a->bind_rank != b->bind_rank)
        return a->bind_rank < b->bind_rank ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->underscores != b->underscores)
        return a->underscores < b->underscores ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c;
    if (a->section_end != b->section_end)
        return a->section_end > b->section_end ? -1 : 1;
    return 0;
}

static uint64_t saturating_end(uint64_t addr, uint64_t len)
{
    return len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
}

/* Sorts, keeps one candidate per address and lays out the final block. */
static struct lb_elf_symbols *build_table(struct builder *b)
{
    struct cand *c = b->cands;
    size_t n = 0;
    if (b->ncands > 0) {
        qsort(c, b->ncands, sizeof *c, compare_cands);
        for (size_t i = 0; i < b->ncands; i++)
            if (n == 0 || c[i].addr != c[n - 1].addr)
                c[n++] = c[i];
    }
    if (n >= UINT32_MAX)
        return NULL;

    /* A legitimate file's names come from its string tables, a few times over at most
     * (suffix sharing); a malformed one could point every symbol at one long string. */
    uint64_t names_size = 0;
    for (size_t i = 0; i < n; i++)
        names_size += (uint64_t)c[i].len + 1;
    if (names_size > UINT32_MAX || names_size > 8 * b->strtab_bytes + (1u << 20))
        return NULL;

    uint32_t *span = NULL, *parent = NULL, *open = NULL;
    bool nested = false;
    if (n > 0) {
        span = malloc(n * sizeof *span);
        parent = malloc(n * sizeof *parent);
        open = malloc(n * sizeof *open);
        if (span == NULL || parent == NULL || open == NULL) {
            free(span);
            free(parent);
            free(open);
            return NULL;
        }
    }
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t end;
        if (c[i].size != 0) {
            end = saturating_end(c[i].addr, c[i].size);
        } else {
            end = i + 1 < n ? c[i + 1].addr : 0;
            if (c[i].section_end != 0 && (end == 0 || c[i].section_end < end))
                end = c[i].section_end;
            if (end == 0)
                end = saturating_end(c[i].addr, 1);
        }
        uint64_t len = end - c[i].addr;
        span[i] = len == 0 ? 1 : len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

        /* open[] holds earlier entries by address whose range may still cover later ones. */
        while (depth > 0 &&
               saturating_end(c[open[depth - 1]].addr, span[open[depth - 1]]) <= c[i].addr)
            depth--;
        parent[i] = depth > 0 ? open[depth - 1] + 1 : 0;
        nested |= depth > 0;
        open[depth++] = (uint32_t)i;
    }
    free(open);

    size_t header = (sizeof(struct lb_elf_symbols) + 7) & ~(size_t)7;
    size_t arrays = n * (sizeof(uint64_t) + 2 * sizeof(uint32_t) + (nested ? sizeof(uint32_t) : 0));
    struct lb_elf_symbols *t = malloc(header + arrays + (size_t)names_size);
    if (t == NULL) {
        free(span);
        free(parent);
        return NULL;
    }
    char *p = (char *)t + header;
    uint64_t *addr = (uint64_t *)(void *)p;
    uint32_t *t_span = (uint32_t *)(void *)(p + n * sizeof(uint64_t));
    uint32_t *name = t_span + n;
    uint32_t *t_parent = nested ? name + n : NULL;
    char *names = (char *)(name + n + (nested ? n : 0));
    uint32_t at = 0;
    for (size_t i = 0; i < n; i++) {
        addr[i] = c[i].addr;
        name[i] = at;
        memcpy(names + at, c[i].name, c[i].len);
        names[at + c[i].len] = '\0';
        at += c[i].len + 1;
    }
    if (n > 0)
        memcpy(t_span, span, n * sizeof *span);
    if (nested)
        memcpy(t_parent, parent, n * sizeof *parent);
    free(span);
    free(parent);
    t->count = n;
    t->addr = addr;
    t->span = t_span;
    t->name = name;
    t->parent = t_parent;
    t->names = names;
    return t;
}

struct lb_elf_symbols *lb_elf_symbols_read_fd(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
        return NULL;
    struct builder b = {.fd = fd, .file_size = (uint64_t)st.st_size};
    Elf64_Ehdr eh;
    if (b.file_size < sizeof eh || !read_exact(fd, &eh, sizeof eh, 0))
        return NULL;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return NULL;

    struct lb_elf_symbols *table = NULL;
    bool ok = read_section_headers(&b, &eh);
    for (size_t i = 0; ok && i < b.shnum; i++)
        if (b.sh[i].sh_type == SHT_SYMTAB || b.sh[i].sh_type == SHT_DYNSYM)
            ok = read_symbol_section(&b, &b.sh[i]);
    if (ok)
        table = build_table(&b);
    for (size_t i = 0; i < b.nstrtabs; i++)
        free(b.strtabs[i]);
    free(b.strtabs);
    free(b.cands);
    free(b.sh);
    return table;
}

struct lb_elf_symbols *lb_elf_symbols_read_path(const char *path)
{
    if (path == NULL)
        return NULL;
    /* O_NONBLOCK: a FIFO must not hang us; read_fd then rejects it as not a regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct lb_elf_symbols *table = lb_elf_symbols_read_fd(fd);
    close(fd);
    return table;
}

const char *lb_elf_symbols_lookup(const struct lb_elf_symbols *syms, uint64_t vaddr,
                                  uint64_t *offset)
{
    if (syms == NULL || syms->count == 0)
        return NULL;
    size_t lo = 0, hi = syms->count; /* first entry starting after vaddr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms->addr[mid] <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    size_t i = lo - 1;
    for (;;) {
        if (vaddr - syms->addr[i] < syms->span[i]) {
            if (offset != NULL)
                *offset = vaddr - syms->addr[i];
            return syms->names + syms->name[i];
        }
        if (syms->parent == NULL || syms->parent[i] == 0)
            return NULL;
        i = syms->parent[i] - 1;
    }
}

size_t lb_elf_symbols_count(const struct lb_elf_symbols *syms)
{
    return syms == NULL ? 0 : syms->count;
}

void lb_elf_symbols_free(struct lb_elf_symbols *syms)
{
    free(syms);
}
