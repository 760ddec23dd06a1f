/* Unit tests for agent/modules.c on objects really loaded into this process: two copies of
 * libz (same build id, different files) share one symbol table; a copy unloaded and another
 * loaded, often at its address, are told apart by registry generation. */
#include "elf_symbols.h"
#include "modules.h"
#include "unit_util.h"

#include <check.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBZ "/lib/x86_64-linux-gnu/libz.so.1"

static char dir[PATH_MAX];

/* A fresh copy of libz under a name of its own; returns its path (static buffer per slot). */
static const char *copy_libz(int slot)
{
    static char paths[4][PATH_MAX + 32];
    snprintf(paths[slot], sizeof paths[slot], "%s/libz-copy-%d.so", dir, slot);
    char cmd[2 * PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "cp " LIBZ " '%s'", paths[slot]);
    ck_assert_int_eq(system(cmd), 0);
    char *real = realpath(paths[slot], NULL);
    ck_assert_ptr_nonnull(real);
    snprintf(paths[slot], sizeof paths[slot], "%s", real);
    free(real);
    return paths[slot];
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/lb-test-modules-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

START_TEST(test_copies_of_one_file_share_their_symbols)
{
    const char *a = copy_libz(0), *b = copy_libz(1);
    void *ha = dlopen(a, RTLD_NOW | RTLD_LOCAL), *hb = dlopen(b, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(ha);
    ck_assert_ptr_nonnull(hb);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    struct lb_module *ma = lb_modules_by_path(a), *mb = lb_modules_by_path(b);
    ck_assert_ptr_nonnull(ma);
    ck_assert_ptr_nonnull(mb);
    ck_assert_ptr_ne(ma, mb);
    ck_assert_msg(ma->build_id[0], "libz has no build id");
    ck_assert_str_eq(ma->build_id, mb->build_id);
    const struct lb_elf_symbols *sa = lb_modules_symbols(ma), *sb = lb_modules_symbols(mb);
    ck_assert_ptr_nonnull(sa);
    ck_assert_ptr_eq(sa, sb);
    /* ... and the shared table names the second copy's functions at its own offsets. */
    void *inflate_b = dlsym(hb, "inflate");
    ck_assert_ptr_nonnull(inflate_b);
    uint64_t within = 0;
    const char *name = lb_elf_symbols_lookup(sb, (uintptr_t)inflate_b - mb->base, &within);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "inflate");
    dlclose(ha);
    dlclose(hb);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
}
END_TEST

START_TEST(test_generations_tell_apart_objects_at_one_address)
{
    const char *first = copy_libz(2), *second = copy_libz(3);
    void *h = dlopen(first, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    struct lb_module *m1 = lb_modules_by_path(first);
    ck_assert_ptr_nonnull(m1);
    unsigned gen1 = lb_modules_generation();
    uintptr_t pc = (uintptr_t)dlsym(h, "inflate") + 4;
    ck_assert_ptr_eq(lb_modules_find_at(pc, gen1), m1);
    ck_assert(atomic_load(&m1->loaded));

    ck_assert_int_eq(dlclose(h), 0);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    unsigned gen2 = lb_modules_generation();
    ck_assert_uint_gt(gen2, gen1);
    ck_assert(!atomic_load(&m1->loaded));
    ck_assert_uint_eq(atomic_load(&m1->unloaded_gen), gen2);
    ck_assert_ptr_null(lb_modules_find(pc));
    ck_assert_ptr_eq(lb_modules_find_at(pc, gen1), m1); /* a frame captured while it was loaded */

    h = dlopen(second, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    struct lb_module *m2 = lb_modules_by_path(second);
    ck_assert_ptr_nonnull(m2);
    ck_assert_ptr_ne(m2, m1);
    unsigned gen3 = lb_modules_generation();
    uintptr_t pc2 = (uintptr_t)dlsym(h, "inflate") + 4;
    ck_assert_ptr_eq(lb_modules_find_at(pc2, gen3), m2);
    if (m2->base == m1->base) /* the usual case: the same address again */
        ck_assert_ptr_eq(lb_modules_find_at(pc, gen1), m1);
    ck_assert_int_eq(dlclose(h), 0);
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
}
END_TEST

START_TEST(test_refresh_without_change_keeps_the_generation)
{
    lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL);
    unsigned gen = lb_modules_generation();
    ck_assert_int_eq(lb_modules_refresh(LB_ROLE_DEPENDENCY, NULL), 0);
    ck_assert_uint_eq(lb_modules_generation(), gen);
}
END_TEST

static Suite *modules_suite(void)
{
    Suite *s = suite_create("modules");
    TCase *tc = tcase_create("loaded objects");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_copies_of_one_file_share_their_symbols);
    tcase_add_test(tc, test_generations_tell_apart_objects_at_one_address);
    tcase_add_test(tc, test_refresh_without_change_keeps_the_generation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(modules_suite());
}
