/* Unit tests for agent/elf_symbols.c: names of real functions in this executable and in libc,
 * a file deleted after opening, the choice rules on a hand-made ELF, and malformed files. */
#include "elf_symbols.h"
#include "unit_util.h"

#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- functions to look up ---------------------------------------------------------------- */

static volatile unsigned probe_sink;

/* Static: only .symtab knows it. Large enough that a few bytes in are still inside it. */
static __attribute__((noinline)) unsigned lb_test_static_probe(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        probe_sink = probe_sink * 31u + i;
    return probe_sink;
}

unsigned lb_test_global_probe(unsigned n);
__attribute__((noinline)) unsigned lb_test_global_probe(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        probe_sink ^= probe_sink << 3 ^ (i + 7u);
    return probe_sink + 1u;
}

/* Called through volatile pointers so that they exist out of line and are not folded. */
static unsigned (*volatile static_probe)(unsigned) = lb_test_static_probe;
static unsigned (*volatile global_probe)(unsigned) = lb_test_global_probe;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = (uintptr_t)info->dlpi_addr;
    return 1; /* the first entry is the main program */
}

/* The executable's load bias: runtime address - address in the file. */
static uintptr_t main_bias(void)
{
    uintptr_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    return bias;
}

static uint64_t static_probe_vaddr(void)
{
    return (uint64_t)((uintptr_t)static_probe - main_bias());
}

static uint64_t global_probe_vaddr(void)
{
    return (uint64_t)((uintptr_t)global_probe - main_bias());
}

/* --- files ------------------------------------------------------------------------------- */

static void *read_whole(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    *len = (size_t)st.st_size;
    char *data = malloc(*len + 1);
    ck_assert_ptr_nonnull(data);
    size_t done = 0;
    while (done < *len) {
        ssize_t got = read(fd, data + done, *len - done);
        ck_assert_int_gt(got, 0);
        done += (size_t)got;
    }
    close(fd);
    return data;
}

/* Writes len bytes to a new temporary file; path (PATH_MAX) receives its name. */
static void write_temp(const void *data, size_t len, char *path)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, PATH_MAX, "%s/lb-elf-symbols-XXXXXX", dir != NULL && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t got = write(fd, (const char *)data + done, len - done);
        ck_assert_int_gt(got, 0);
        done += (size_t)got;
    }
    ck_assert_int_eq(close(fd), 0);
}

/* lb_elf_symbols_read_path on a temporary file holding data. */
static struct lb_elf_symbols *read_bytes(const void *data, size_t len)
{
    char path[PATH_MAX];
    write_temp(data, len, path);
    struct lb_elf_symbols *syms = lb_elf_symbols_read_path(path);
    unlink(path);
    return syms;
}

/* Whatever a malformed file gave, lookups must stay inside the table: the table is one
 * allocation, so ASan reports any read past it, including an unterminated name. */
static void check_lookups_stay_in_bounds(const struct lb_elf_symbols *syms, uint64_t *rng)
{
    static const uint64_t fixed[] = {0, 1, 0x1000, 0x400000, UINT64_MAX - 1, UINT64_MAX};
    uint64_t probes[64];
    size_t n = 0;
    for (size_t i = 0; i < UU_COUNT(fixed); i++)
        probes[n++] = fixed[i];
    probes[n++] = static_probe_vaddr();
    probes[n++] = global_probe_vaddr();
    for (; n < UU_COUNT(probes); n++) {
        uint64_t r = uu_rand(rng);
        probes[n] = n % 2 ? r : r % (64u << 20); /* anywhere, or where a small file's code is */
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t offset = UINT64_MAX;
        const char *name = lb_elf_symbols_lookup(syms, probes[i], &offset);
        if (name != NULL) {
            ck_assert_uint_gt(strlen(name), 0);
            ck_assert_uint_le(offset, probes[i]);
        }
    }
}

/* --- real files -------------------------------------------------------------------------- */

/* The probes in syms, a table of this executable (read however). */
static void expect_probes(const struct lb_elf_symbols *syms)
{
    uint64_t offset = UINT64_MAX;
    uint64_t vaddr = static_probe_vaddr();
    const char *name = lb_elf_symbols_lookup(syms, vaddr, &offset);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "lb_test_static_probe");
    ck_assert_uint_eq(offset, 0);

    name = lb_elf_symbols_lookup(syms, vaddr + 5, &offset);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "lb_test_static_probe");
    ck_assert_uint_eq(offset, 5);

    vaddr = global_probe_vaddr();
    name = lb_elf_symbols_lookup(syms, vaddr, &offset);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "lb_test_global_probe");
    ck_assert_uint_eq(offset, 0);

    name = lb_elf_symbols_lookup(syms, vaddr + 3, NULL);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "lb_test_global_probe");
}

START_TEST(test_own_functions_resolve_by_runtime_address)
{
    (void)static_probe(3);
    (void)global_probe(3);
    struct lb_elf_symbols *syms = lb_elf_symbols_read_path("/proc/self/exe");
    ck_assert_ptr_nonnull(syms);
    ck_assert_uint_gt(lb_elf_symbols_count(syms), 10);
    expect_probes(syms);
    ck_assert_ptr_null(lb_elf_symbols_lookup(syms, 0, NULL));
    ck_assert_ptr_null(lb_elf_symbols_lookup(syms, UINT64_MAX, NULL));
    lb_elf_symbols_free(syms);
}
END_TEST

START_TEST(test_libc_malloc_resolves_from_dynsym)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(libc);
    struct link_map *map = NULL;
    ck_assert_int_eq(dlinfo(libc, RTLD_DI_LINKMAP, &map), 0);
    ck_assert_ptr_nonnull(map);
    ck_assert_msg(map->l_name[0] == '/', "libc's path: '%s'", map->l_name);
    /* libc's own malloc, not the sanitizer's interposed one that RTLD_DEFAULT would find. */
    void *malloc_addr = dlsym(libc, "malloc");
    ck_assert_ptr_nonnull(malloc_addr);

    struct lb_elf_symbols *syms = lb_elf_symbols_read_path(map->l_name);
    ck_assert_ptr_nonnull(syms);
    ck_assert_uint_gt(lb_elf_symbols_count(syms), 1000);
    uint64_t vaddr = (uint64_t)((uintptr_t)malloc_addr - map->l_addr);
    uint64_t offset = UINT64_MAX;
    const char *name = lb_elf_symbols_lookup(syms, vaddr, &offset);
    ck_assert_ptr_nonnull(name);
    ck_assert_uint_eq(offset, 0);
    /* malloc or an alias of it such as __libc_malloc: either way the same address. */
    ck_assert_msg(dlsym(libc, name) == malloc_addr, "malloc resolved to '%s'", name);

    const char *inside = lb_elf_symbols_lookup(syms, vaddr + 2, &offset);
    ck_assert_ptr_eq(inside, name);
    ck_assert_uint_eq(offset, 2);
    lb_elf_symbols_free(syms);
    dlclose(libc);
}
END_TEST

START_TEST(test_deleted_file_is_read_through_its_fd)
{
    size_t len;
    char *exe = read_whole("/proc/self/exe", &len);
    char path[PATH_MAX];
    write_temp(exe, len, path);
    free(exe);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(unlink(path), 0);

    struct lb_elf_symbols *syms = lb_elf_symbols_read_fd(fd);
    ck_assert_int_eq(close(fd), 0); /* the table needs neither the fd nor the file */
    ck_assert_ptr_nonnull(syms);
    expect_probes(syms);

    struct lb_elf_symbols *direct = lb_elf_symbols_read_path("/proc/self/exe");
    ck_assert_ptr_nonnull(direct);
    ck_assert_uint_eq(lb_elf_symbols_count(syms), lb_elf_symbols_count(direct));
    lb_elf_symbols_free(direct);
    lb_elf_symbols_free(syms);
}
END_TEST

struct lookup_job {
    const struct lb_elf_symbols *syms;
    uint64_t vaddr;
    int mismatches;
};

static void *lookup_many(void *arg)
{
    struct lookup_job *job = arg;
    for (int i = 0; i < 20000; i++) {
        uint64_t offset = 0;
        const char *name = lb_elf_symbols_lookup(job->syms, job->vaddr + (unsigned)i % 4, &offset);
        if (name == NULL || strcmp(name, "lb_test_static_probe") != 0 || offset != (unsigned)i % 4)
            job->mismatches++;
    }
    return NULL;
}

START_TEST(test_lookups_from_several_threads)
{
    struct lb_elf_symbols *syms = lb_elf_symbols_read_path("/proc/self/exe");
    ck_assert_ptr_nonnull(syms);
    struct lookup_job jobs[4];
    for (size_t i = 0; i < UU_COUNT(jobs); i++)
        jobs[i] = (struct lookup_job){syms, static_probe_vaddr(), 0};
    uu_run_threads((int)UU_COUNT(jobs), lookup_many, jobs, sizeof jobs[0]);
    for (size_t i = 0; i < UU_COUNT(jobs); i++)
        ck_assert_int_eq(jobs[i].mismatches, 0);
    lb_elf_symbols_free(syms);
}
END_TEST

/* --- a hand-made ELF: the choice rules --------------------------------------------------- */

struct spec {
    const char *name; /* NULL: st_name 0; "@bad": st_name past the string table */
    uint64_t value;
    uint64_t size;
    unsigned char bind;
    unsigned char type;
    uint16_t shndx;
};

#define TEXT 1 /* section index of .text: 0x1000..0x2000 */
#define DATA 6 /* section index of .data: 0x3000..0x3100 */
#define FN(n, v, s, b)                                                                             \
    {                                                                                              \
        n, v, s, b, STT_FUNC, TEXT                                                                 \
    }

enum { SEC_NULL, SEC_TEXT, SEC_SYMTAB, SEC_STRTAB, SEC_DYNSYM, SEC_DYNSTR, SEC_DATA, SEC_COUNT };

struct image {
    char *data;
    size_t len;
    size_t cap;
};

static size_t image_put(struct image *im, const void *bytes, size_t len)
{
    while (im->len + len + 8 > im->cap) {
        im->cap = im->cap ? im->cap * 2 : 4096;
        im->data = realloc(im->data, im->cap);
        ck_assert_ptr_nonnull(im->data);
    }
    while (im->len % 8)
        im->data[im->len++] = 0;
    size_t at = im->len;
    memcpy(im->data + at, bytes, len);
    im->len += len;
    return at;
}

/* Appends a symbol table and its string table, filling in their offsets and sizes. */
static void image_symbols(struct image *im, const struct spec *specs, size_t n, Elf64_Shdr *sym,
                          Elf64_Shdr *str)
{
    char strings[4096] = "";
    size_t slen = 1;
    Elf64_Sym syms[64];
    ck_assert_uint_lt(n, UU_COUNT(syms));
    memset(syms, 0, sizeof syms);
    for (size_t i = 0; i < n; i++) {
        Elf64_Sym *s = &syms[i + 1];
        const char *name = specs[i].name;
        if (name == NULL) {
            s->st_name = 0;
        } else if (strcmp(name, "@bad") == 0) {
            s->st_name = 0x7fffff;
        } else {
            s->st_name = (Elf64_Word)slen;
            size_t l = strlen(name) + 1;
            ck_assert_uint_lt(slen + l, sizeof strings);
            memcpy(strings + slen, name, l);
            slen += l;
        }
        s->st_value = specs[i].value;
        s->st_size = specs[i].size;
        s->st_info = ELF64_ST_INFO(specs[i].bind, specs[i].type);
        s->st_shndx = specs[i].shndx;
    }
    sym->sh_offset = image_put(im, syms, (n + 1) * sizeof(Elf64_Sym));
    sym->sh_size = (n + 1) * sizeof(Elf64_Sym);
    sym->sh_entsize = sizeof(Elf64_Sym);
    str->sh_offset = image_put(im, strings, slen);
    str->sh_size = slen;
    str->sh_type = SHT_STRTAB;
}

static struct image build_elf(const struct spec *symtab, size_t nsymtab, const struct spec *dynsym,
                              size_t ndynsym)
{
    struct image im = {0};
    Elf64_Ehdr eh = {0};
    image_put(&im, &eh, sizeof eh);
    Elf64_Shdr sh[SEC_COUNT];
    memset(sh, 0, sizeof sh);
    sh[SEC_TEXT] = (Elf64_Shdr){.sh_type = SHT_PROGBITS,
                                .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                                .sh_addr = 0x1000,
                                .sh_size = 0x1000};
    sh[SEC_DATA] = (Elf64_Shdr){.sh_type = SHT_NOBITS,
                                .sh_flags = SHF_ALLOC | SHF_WRITE,
                                .sh_addr = 0x3000,
                                .sh_size = 0x100};
    image_symbols(&im, symtab, nsymtab, &sh[SEC_SYMTAB], &sh[SEC_STRTAB]);
    sh[SEC_SYMTAB].sh_type = SHT_SYMTAB;
    sh[SEC_SYMTAB].sh_link = SEC_STRTAB;
    image_symbols(&im, dynsym, ndynsym, &sh[SEC_DYNSYM], &sh[SEC_DYNSTR]);
    sh[SEC_DYNSYM].sh_type = SHT_DYNSYM;
    sh[SEC_DYNSYM].sh_link = SEC_DYNSTR;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof eh;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = SEC_COUNT;
    eh.e_shoff = image_put(&im, sh, sizeof sh);
    memcpy(im.data, &eh, sizeof eh);
    return im;
}

static const struct spec handmade_symtab[] = {
    FN("outer", 0x1100, 0x100, STB_GLOBAL),
    FN("inner", 0x1140, 0x20, STB_LOCAL), /* e.g. an assembler entry point inside outer */
    FN("zero_alias", 0x1300, 0, STB_GLOBAL),
    FN("sized_local", 0x1300, 0x10, STB_LOCAL),
    FN("local_name", 0x1400, 0x10, STB_LOCAL),
    FN("global_name", 0x1400, 0x10, STB_GLOBAL),
    FN("weak_name", 0x1400, 0x10, STB_WEAK),
    FN("dup", 0x1500, 0x10, STB_GLOBAL),
    FN("label", 0x1600, 0, STB_LOCAL),
    FN("after_label", 0x1680, 0x10, STB_GLOBAL),
    {"undefined_fn", 0x1700, 0x10, STB_GLOBAL, STT_FUNC, SHN_UNDEF},
    FN("at_zero", 0, 0x10, STB_GLOBAL),
    FN(NULL, 0x1800, 0x10, STB_GLOBAL),
    FN("@bad", 0x1810, 0x10, STB_GLOBAL),
    {"resolver", 0x1900, 8, STB_GLOBAL, STT_GNU_IFUNC, TEXT},
    {"an_object", 0x3000, 0x10, STB_GLOBAL, STT_OBJECT, DATA},
    {"an_object_too", 0x1a80, 0x10, STB_GLOBAL, STT_NOTYPE, TEXT},
    FN("__libc_x", 0x1a00, 0x20, STB_GLOBAL),
    FN("bbb", 0x1b00, 0x20, STB_GLOBAL),
    FN("tail", 0x1f00, 0, STB_LOCAL), /* last, size 0: up to the end of .text */
};

static const struct spec handmade_dynsym[] = {
    FN("dup", 0x1500, 0x10, STB_GLOBAL),
    FN("x_public_name", 0x1a00, 0x20, STB_GLOBAL), /* longer, but no leading "_" */
    FN("aaa", 0x1b00, 0x20, STB_GLOBAL),
    FN("ccc", 0x1b00, 0x20, STB_GLOBAL),
};

struct expectation {
    uint64_t vaddr;
    const char *name; /* NULL: no function there */
    uint64_t offset;
};

static const struct expectation handmade_expectations[] = {
    {0x0, NULL, 0},
    {0x10ff, NULL, 0},
    {0x1100, "outer", 0},
    {0x113f, "outer", 0x3f},
    {0x1140, "inner", 0},
    {0x115f, "inner", 0x1f},
    {0x1160, "outer", 0x60}, /* past inner, still in outer */
    {0x11ff, "outer", 0xff},
    {0x1200, NULL, 0}, /* gap after a sized function */
    {0x1300, "sized_local", 0},
    {0x130f, "sized_local", 0xf},
    {0x1310, NULL, 0},
    {0x1400, "global_name", 0},
    {0x1505, "dup", 5},
    {0x1600, "label", 0},
    {0x167f, "label", 0x7f}, /* size 0 covers up to the next symbol */
    {0x1680, "after_label", 0},
    {0x1690, NULL, 0},
    {0x1700, NULL, 0},
    {0x1800, NULL, 0},
    {0x1810, NULL, 0},
    {0x1904, "resolver", 4},
    {0x1a10, "x_public_name", 0x10},
    {0x1a80, NULL, 0},
    {0x1b00, "aaa", 0},
    {0x1f00, "tail", 0},
    {0x1fff, "tail", 0xff},
    {0x2000, NULL, 0},
    {0x3000, NULL, 0},
    {UINT64_MAX, NULL, 0},
};

START_TEST(test_handmade_elf_follows_the_choice_rules)
{
    struct image im = build_elf(handmade_symtab, UU_COUNT(handmade_symtab), handmade_dynsym,
                                UU_COUNT(handmade_dynsym));
    struct lb_elf_symbols *syms = read_bytes(im.data, im.len);
    free(im.data);
    ck_assert_ptr_nonnull(syms);
    /* outer inner 0x1300 0x1400 dup label after_label resolver x_public_name aaa tail */
    ck_assert_uint_eq(lb_elf_symbols_count(syms), 11);
    for (size_t i = 0; i < UU_COUNT(handmade_expectations); i++) {
        const struct expectation *e = &handmade_expectations[i];
        uint64_t offset = UINT64_MAX;
        const char *name = lb_elf_symbols_lookup(syms, e->vaddr, &offset);
        if (e->name == NULL) {
            ck_assert_msg(name == NULL, "0x%llx gave '%s'", (unsigned long long)e->vaddr, name);
            continue;
        }
        ck_assert_msg(name != NULL, "0x%llx gave nothing", (unsigned long long)e->vaddr);
        ck_assert_str_eq(name, e->name);
        ck_assert_uint_eq(offset, e->offset);
    }
    lb_elf_symbols_free(syms);
}
END_TEST

/* The same symbols in the other order give the same choices: qsort's order does not leak. */
START_TEST(test_choice_does_not_depend_on_table_order)
{
    struct spec reversed[UU_COUNT(handmade_symtab)];
    for (size_t i = 0; i < UU_COUNT(reversed); i++)
        reversed[i] = handmade_symtab[UU_COUNT(reversed) - 1 - i];
    /* dynsym first this time, as .symtab */
    struct image im =
        build_elf(handmade_dynsym, UU_COUNT(handmade_dynsym), reversed, UU_COUNT(reversed));
    struct lb_elf_symbols *syms = read_bytes(im.data, im.len);
    free(im.data);
    ck_assert_ptr_nonnull(syms);
    ck_assert_uint_eq(lb_elf_symbols_count(syms), 11);
    for (size_t i = 0; i < UU_COUNT(handmade_expectations); i++) {
        const struct expectation *e = &handmade_expectations[i];
        const char *name = lb_elf_symbols_lookup(syms, e->vaddr, NULL);
        if (e->name == NULL)
            ck_assert_ptr_null(name);
        else
            ck_assert_str_eq(name, e->name);
    }
    lb_elf_symbols_free(syms);
}
END_TEST

START_TEST(test_elf_without_symbols_gives_an_empty_table)
{
    struct image im = build_elf(NULL, 0, NULL, 0);
    struct lb_elf_symbols *syms = read_bytes(im.data, im.len);
    ck_assert_ptr_nonnull(syms);
    ck_assert_uint_eq(lb_elf_symbols_count(syms), 0);
    ck_assert_ptr_null(lb_elf_symbols_lookup(syms, 0x1000, NULL));
    lb_elf_symbols_free(syms);

    /* No section header table at all. */
    Elf64_Ehdr eh;
    memcpy(&eh, im.data, sizeof eh);
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    syms = read_bytes(&eh, sizeof eh);
    ck_assert_ptr_nonnull(syms);
    ck_assert_uint_eq(lb_elf_symbols_count(syms), 0);
    lb_elf_symbols_free(syms);
    free(im.data);
}
END_TEST

START_TEST(test_other_classes_and_byte_orders_are_refused)
{
    struct image im = build_elf(handmade_symtab, UU_COUNT(handmade_symtab), NULL, 0);
    im.data[EI_CLASS] = ELFCLASS32;
    ck_assert_ptr_null(read_bytes(im.data, im.len));
    im.data[EI_CLASS] = ELFCLASS64;
    im.data[EI_DATA] = ELFDATA2MSB;
    ck_assert_ptr_null(read_bytes(im.data, im.len));
    im.data[EI_DATA] = ELFDATA2LSB;
    im.data[1] = 'e';
    ck_assert_ptr_null(read_bytes(im.data, im.len));
    free(im.data);
}
END_TEST

START_TEST(test_null_arguments_are_harmless)
{
    ck_assert_ptr_null(lb_elf_symbols_lookup(NULL, 0x1000, NULL));
    ck_assert_uint_eq(lb_elf_symbols_count(NULL), 0);
    lb_elf_symbols_free(NULL);
    ck_assert_ptr_null(lb_elf_symbols_read_path(NULL));
    ck_assert_ptr_null(lb_elf_symbols_read_fd(-1));
}
END_TEST

/* --- malformed files --------------------------------------------------------------------- */

static const size_t cuts[] = {0, 10, 64, 100, 1000, SIZE_MAX / 2, SIZE_MAX - 1};

/* cuts[_i], where SIZE_MAX / 2 means half the file and SIZE_MAX - 1 its size minus one. */
START_TEST(test_truncated_copies_are_survived)
{
    size_t len;
    char *exe = read_whole("/proc/self/exe", &len);
    size_t cut = cuts[_i] == SIZE_MAX / 2 ? len / 2 : cuts[_i] == SIZE_MAX - 1 ? len - 1 : cuts[_i];
    ck_assert_uint_lt(cut, len);
    struct lb_elf_symbols *syms = read_bytes(exe, cut);
    if (cut < sizeof(Elf64_Ehdr))
        ck_assert_ptr_null(syms);
    uint64_t rng = 42 + _i;
    check_lookups_stay_in_bounds(syms, &rng);
    lb_elf_symbols_free(syms);
    free(exe);
}
END_TEST

START_TEST(test_random_bytes_are_refused)
{
    uint64_t rng = 7;
    size_t len = 1 << 16;
    uint64_t *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < len / 8; i++)
        data[i] = uu_rand(&rng);
    ck_assert_ptr_null(read_bytes(data, len));
    /* The same behind a valid ELF identification and header fields. */
    struct image im = build_elf(NULL, 0, NULL, 0);
    memcpy(data, im.data, sizeof(Elf64_Ehdr));
    struct lb_elf_symbols *syms = read_bytes(data, len);
    check_lookups_stay_in_bounds(syms, &rng);
    lb_elf_symbols_free(syms);
    free(im.data);
    free(data);
}
END_TEST

START_TEST(test_section_table_past_the_end_is_refused)
{
    struct image im = build_elf(handmade_symtab, UU_COUNT(handmade_symtab), NULL, 0);
    Elf64_Ehdr eh;
    memcpy(&eh, im.data, sizeof eh);
    const struct {
        uint64_t shoff;
        uint16_t shnum, shentsize;
    } cases[] = {
        {im.len, SEC_COUNT, sizeof(Elf64_Shdr)},
        {im.len - 10, SEC_COUNT, sizeof(Elf64_Shdr)},
        {eh.e_shoff, SEC_COUNT + 1, sizeof(Elf64_Shdr)},
        {eh.e_shoff, 0xffff, sizeof(Elf64_Shdr)},
        {eh.e_shoff, SEC_COUNT, 0xffff},
        {eh.e_shoff, SEC_COUNT, sizeof(Elf64_Shdr) - 1},
        {UINT64_MAX - 8, SEC_COUNT, sizeof(Elf64_Shdr)},
        {1ull << 62, SEC_COUNT, sizeof(Elf64_Shdr)},
    };
    for (size_t i = 0; i < UU_COUNT(cases); i++) {
        Elf64_Ehdr bad = eh;
        bad.e_shoff = cases[i].shoff;
        bad.e_shnum = cases[i].shnum;
        bad.e_shentsize = cases[i].shentsize;
        memcpy(im.data, &bad, sizeof bad);
        ck_assert_msg(read_bytes(im.data, im.len) == NULL, "case %zu was accepted", i);
    }
    /* A count in entry 0 (e_shnum 0) far larger than the file. */
    Elf64_Ehdr ext = eh;
    ext.e_shnum = 0;
    memcpy(im.data, &ext, sizeof ext);
    Elf64_Shdr first;
    memcpy(&first, im.data + eh.e_shoff, sizeof first);
    first.sh_size = UINT64_MAX / 2;
    memcpy(im.data + eh.e_shoff, &first, sizeof first);
    ck_assert_ptr_null(read_bytes(im.data, im.len));
    free(im.data);
}
END_TEST

START_TEST(test_non_elf_and_non_files_are_refused)
{
    static const char text[] = "#!/bin/sh\necho this is not an ELF file at all, but long enough\n";
    ck_assert_ptr_null(read_bytes(text, sizeof text - 1));
    ck_assert_ptr_null(read_bytes("\x7f"
                                  "ELF",
                                  4));

    const char *dir = getenv("TMPDIR");
    ck_assert_ptr_null(lb_elf_symbols_read_path(dir != NULL && *dir ? dir : "/tmp"));
    ck_assert_ptr_null(lb_elf_symbols_read_path("/"));
    ck_assert_ptr_null(lb_elf_symbols_read_path("/nonexistent/leakbridge/libnothing.so"));
    ck_assert_ptr_null(lb_elf_symbols_read_path(""));
    ck_assert_ptr_null(lb_elf_symbols_read_path("/dev/null"));

    /* A FIFO with no writer: refused at once instead of blocking in open. */
    char path[PATH_MAX];
    write_temp("", 0, path);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_ptr_null(lb_elf_symbols_read_path(path));
    unlink(path);
}
END_TEST

/* Rewrites random bytes of a real ELF's section headers (or, for the second half, of its
 * symbol and string tables), a fixed-seed few hundred times, reading each variant. */
static void mutate_and_read(int rounds, bool headers, uint64_t seed)
{
    size_t len;
    char *exe = read_whole("/proc/self/exe", &len);
    Elf64_Ehdr eh;
    memcpy(&eh, exe, sizeof eh);
    ck_assert_uint_gt(eh.e_shnum, 0);
    ck_assert_uint_le(eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize, len);

    /* The regions to damage, each picked equally often. Headers: the whole table, the
     * e_sh* fields of the ELF header, and the headers of the symbol tables and of their
     * string tables, which matter most. Otherwise the contents of those four sections. */
    uint64_t regions[16][2];
    size_t nregions = 0;
    if (headers) {
        regions[nregions][0] = eh.e_shoff;
        regions[nregions++][1] = (uint64_t)eh.e_shnum * eh.e_shentsize;
        regions[nregions][0] = offsetof(Elf64_Ehdr, e_shoff);
        regions[nregions++][1] = sizeof eh - offsetof(Elf64_Ehdr, e_shoff);
    }
    for (size_t i = 0; i < eh.e_shnum && nregions + 2 <= UU_COUNT(regions); i++) {
        Elf64_Shdr s;
        memcpy(&s, exe + eh.e_shoff + i * eh.e_shentsize, sizeof s);
        if (s.sh_type != SHT_SYMTAB && s.sh_type != SHT_DYNSYM)
            continue;
        ck_assert_uint_lt(s.sh_link, eh.e_shnum);
        Elf64_Shdr str;
        memcpy(&str, exe + eh.e_shoff + s.sh_link * eh.e_shentsize, sizeof str);
        if (headers) {
            regions[nregions][0] = eh.e_shoff + i * eh.e_shentsize;
            regions[nregions++][1] = sizeof s;
            regions[nregions][0] = eh.e_shoff + s.sh_link * eh.e_shentsize;
            regions[nregions++][1] = sizeof str;
        } else {
            regions[nregions][0] = s.sh_offset;
            regions[nregions++][1] = s.sh_size;
            regions[nregions][0] = str.sh_offset;
            regions[nregions++][1] = str.sh_size;
        }
    }
    ck_assert_uint_gt(nregions, 0);

    char path[PATH_MAX];
    write_temp(exe, len, path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(unlink(path), 0);

    uint64_t rng = seed;
    int accepted = 0;
    for (int round = 0; round < rounds; round++) {
        uint64_t edited[8];
        int edits = 1 + (int)(uu_rand(&rng) % UU_COUNT(edited));
        for (int e = 0; e < edits; e++) {
            const uint64_t *r = regions[uu_rand(&rng) % nregions];
            uint64_t value = uu_rand(&rng);
            /* an aligned 8-byte field, of which one byte, one bit or all of it changes */
            uint64_t at = r[1] < 8 ? r[0] : (r[0] + value % (r[1] - 7)) & ~(uint64_t)7;
            value = uu_rand(&rng);
            edited[e] = at;
            if (at + 8 > len)
                continue;
            uint64_t field;
            ck_assert_int_eq(pread(fd, &field, 8, (off_t)at), 8);
            switch (value % 4) {
            case 0: /* one random byte */
                field ^= (value >> 8 & 0xff) << (value >> 16) % 8 * 8;
                break;
            case 1: /* a bit flip */
                field ^= 1ull << (value >> 8) % 64;
                break;
            default: { /* a boundary value */
                static const uint64_t boundaries[] = {0, 1, 0x7f, 0xffffffff, UINT64_MAX};
                field = boundaries[(value >> 8) % UU_COUNT(boundaries)];
                if ((value >> 16) % 2)
                    field = len - (value >> 20) % 64;
                break;
            }
            }
            ck_assert_int_eq(pwrite(fd, &field, 8, (off_t)at), 8);
        }
        struct lb_elf_symbols *syms = lb_elf_symbols_read_fd(fd);
        accepted += syms != NULL;
        check_lookups_stay_in_bounds(syms, &rng);
        lb_elf_symbols_free(syms);
        for (int e = edits - 1; e >= 0; e--) /* restore the original bytes */
            if (edited[e] + 8 <= len)
                ck_assert_int_eq(pwrite(fd, exe + edited[e], 8, (off_t)edited[e]), 8);
    }
    /* Some variants must still have been readable, or the parser was barely exercised. */
    ck_assert_int_gt(accepted, rounds / 10);
    close(fd);
    free(exe);
}

START_TEST(test_mutated_section_headers_are_survived)
{
    mutate_and_read(400, true, 0x5eed);
}
END_TEST

START_TEST(test_mutated_symbol_tables_are_survived)
{
    mutate_and_read(200, false, 0xfeed);
}
END_TEST

static Suite *elf_symbols_suite(void)
{
    Suite *s = suite_create("elf_symbols");

    TCase *tc = tcase_create("real files");
    tcase_add_test(tc, test_own_functions_resolve_by_runtime_address);
    tcase_add_test(tc, test_libc_malloc_resolves_from_dynsym);
    tcase_add_test(tc, test_deleted_file_is_read_through_its_fd);
    tcase_add_test(tc, test_lookups_from_several_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("choice rules");
    tcase_add_test(tc, test_handmade_elf_follows_the_choice_rules);
    tcase_add_test(tc, test_choice_does_not_depend_on_table_order);
    tcase_add_test(tc, test_elf_without_symbols_gives_an_empty_table);
    tcase_add_test(tc, test_other_classes_and_byte_orders_are_refused);
    tcase_add_test(tc, test_null_arguments_are_harmless);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed files");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_truncated_copies_are_survived, 0, UU_COUNT(cuts));
    tcase_add_test(tc, test_random_bytes_are_refused);
    tcase_add_test(tc, test_section_table_past_the_end_is_refused);
    tcase_add_test(tc, test_non_elf_and_non_files_are_refused);
    tcase_add_test(tc, test_mutated_section_headers_are_survived);
    tcase_add_test(tc, test_mutated_symbol_tables_are_survived);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return uu_run_suite(elf_symbols_suite());
}
