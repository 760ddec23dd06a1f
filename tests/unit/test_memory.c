/* Unit tests for the memory section's parts that need no JVM: parsing smaps, NMT's summary, the
 * glibc headers allocator.c recognises, each thread's stack pointer, safe reads, and the whole
 * section in this process: the regions and the unexplained rest add up to the RSS, memory this
 * test maps and touches is unexplained, a new thread's stack is located. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "allocator.h"
#include "jmx.h"
#include "memory.h"
#include "peek.h"
#include "smaps.h"
#include "task_stacks.h"
#include "unit_util.h"

#define MIB ((uint64_t)1 << 20)

static const char *const fixture =
    "c0000000-d7a00000 rw-p 00000000 00:00 0 \n"
    "Size:             387072 kB\n"
    "Rss:              103604 kB\n"
    "Anonymous:        103604 kB\n"
    "VmFlags: rd wr mr mw me ac \n"
    "d7a00000-ffe00000 ---p 00000000 00:00 0 \n"
    "Rss:                   0 kB\n"
    "ffe00000-ffe75000 rw-p 00c77000 fe:00 318054                     /usr/lib/jvm/x/classes.jsa\n"
    "Rss:                 468 kB\n"
    "Anonymous:            12 kB\n"
    "55880d6f4000-55880d73b000 rw-p 00000000 00:00 0                  [heap]\n"
    "Rss:                 104 kB\n"
    "7f6579400000-7f6579670000 rwxp 00000000 00:00 0 \n"
    "Rss:                 108 kB\n"
    "7f658fed8000-7f658ff2f000 r--s 00000000 fe:00 320475             /path with spaces/f "
    "(deleted)\n"
    "Rss:                 124 kB\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0          [vsyscall]\n"
    "Rss:                   0 kB\n";

static char *write_fixture(void)
{
    static char path[] = "/tmp/lb_smaps_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, fixture, strlen(fixture)), (ssize_t)strlen(fixture));
    close(fd);
    return path;
}

START_TEST(test_smaps_parses_ranges_permissions_names_and_rss)
{
    char *path = write_fixture();
    struct lb_smaps s;
    ck_assert(lb_smaps_read(path, &s));
    unlink(path);
    ck_assert_uint_eq(s.n, 7);
    ck_assert_uint_eq(s.maps[0].start, 0xc0000000);
    ck_assert_uint_eq(s.maps[0].end, 0xd7a00000);
    ck_assert_uint_eq(s.maps[0].rss, 103604 * 1024ULL);
    ck_assert_uint_eq(s.maps[0].anon_rss, 103604 * 1024ULL);
    ck_assert_int_eq(s.maps[0].prot, LB_SMAPS_R | LB_SMAPS_W);
    ck_assert(!s.maps[0].file && lb_smaps_anonymous(&s.maps[0]));
    ck_assert_int_eq(s.maps[1].prot, 0);
    ck_assert(s.maps[2].file && !lb_smaps_anonymous(&s.maps[2]));
    ck_assert_str_eq(s.maps[2].name, "/usr/lib/jvm/x/classes.jsa");
    ck_assert_uint_eq(s.maps[2].anon_rss, 12 * 1024);
    ck_assert_str_eq(s.maps[3].name, "[heap]");
    ck_assert(lb_smaps_anonymous(&s.maps[3]));
    ck_assert_int_eq(s.maps[4].prot, LB_SMAPS_R | LB_SMAPS_W | LB_SMAPS_X);
    ck_assert(s.maps[5].shared && s.maps[5].file);
    ck_assert_str_eq(s.maps[5].name, "/path with spaces/f (deleted)");
    ck_assert(!s.maps[6].file && !lb_smaps_anonymous(&s.maps[6]));
    ck_assert_uint_eq(s.rss, (103604 + 468 + 104 + 108 + 124) * 1024ULL);
    ck_assert_uint_eq(lb_smaps_find(&s, 0xc0001000), 0);
    ck_assert_uint_eq(lb_smaps_find(&s, 0xffe00000), 2);
    ck_assert_uint_eq(lb_smaps_find(&s, 0x7f6579670000), SIZE_MAX);
    lb_smaps_free(&s);
}
END_TEST

/* Our own smaps: every mapping's Rss adds up to what smaps_rollup says (both are page walks). */
START_TEST(test_smaps_of_this_process_matches_rollup)
{
    struct lb_smaps s;
    ck_assert(lb_smaps_read("/proc/self/smaps", &s));
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    unsigned long long rollup = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Rss: %llu kB", &rollup) == 1)
            break;
    fclose(f);
    ck_assert_uint_gt(s.n, 10);
    uint64_t diff = s.rss > rollup * 1024 ? s.rss - rollup * 1024 : rollup * 1024 - s.rss;
    ck_assert_uint_lt(diff, 4 * MIB);
    lb_smaps_free(&s);
}
END_TEST

START_TEST(test_nmt_summary_is_parsed_in_both_formats)
{
    static const char *const text =
        "\nNative Memory Tracking:\n\n"
        "Total: reserved=8027885818, committed=484688122\n"
        "       malloc: 7516410 #5126\n"
        "       mmap:   reserved=8020369408, committed=477171712\n\n"
        "-                 Java Heap (reserved=6320816128, committed=406847488)\n"
        "                            (mmap: reserved=6320816128, committed=406847488) \n \n"
        "-                        GC (reserved=273549881, committed=54086201)\n"
        "                            (malloc=5225017 #468) (at peak) \n"
        "                            (mmap: reserved=268324864, committed=48861184) \n \n"
        "-                  Internal (reserved=1265626, committed=1265626)\n"
        "                            (malloc=1228762 tag=Internal #1021) (peak=1228763 #1021)\n";
    struct lb_jmx j;
    memset(&j, 0, sizeof j);
    j.nmt_malloc = -1;
    lb_jmx_parse_nmt(text, &j);
    ck_assert(j.nmt);
    ck_assert_int_eq(j.nmt_malloc, 7516410);
    ck_assert_int_eq(j.nnmt, 3);
    ck_assert_str_eq(j.nmt_rows[0].name, "Java Heap");
    ck_assert_int_eq(j.nmt_rows[0].committed, 406847488);
    ck_assert_int_eq(j.nmt_rows[0].malloc_bytes, -1);
    ck_assert_int_eq(j.nmt_rows[0].mmap_committed, 406847488);
    ck_assert_str_eq(j.nmt_rows[1].name, "GC");
    ck_assert_int_eq(j.nmt_rows[1].malloc_bytes, 5225017);
    ck_assert_int_eq(j.nmt_rows[1].mmap_committed, 48861184);
    ck_assert_str_eq(j.nmt_rows[2].name, "Internal");
    ck_assert_int_eq(j.nmt_rows[2].malloc_bytes, 1228762);
    ck_assert_int_eq(j.nmt_rows[2].mmap_committed, -1);
}
END_TEST

START_TEST(test_peek_reads_mapped_memory_and_refuses_the_rest)
{
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(p != MAP_FAILED);
    strcpy(p + 4090, "abcdef");
    char out[16];
    ck_assert(lb_peek((uintptr_t)p + 4090, out, 7));
    ck_assert_str_eq(out, "abcdef");
    ck_assert(lb_peek_string((uintptr_t)p + 4090, out, sizeof out));
    ck_assert_str_eq(out, "abcdef");
    munmap(p + 4096, 4096);
    ck_assert(!lb_peek((uintptr_t)p + 4090, out, 16)); /* runs into the unmapped page */
    ck_assert_uint_eq(lb_peek_word((uintptr_t)p + 4096), 0);
    ck_assert(!lb_peek(0, out, 1));
    uintptr_t addrs[3] = {(uintptr_t)p, (uintptr_t)p + 4090, (uintptr_t)p + 4096};
    char three[3][4];
    ck_assert_uint_eq(lb_peek_batch(addrs, 3, 4, three), 2); /* the third is not mapped */
    ck_assert(memcmp(three[1], "abcd", 4) == 0);
    ck_assert_uint_eq(lb_peek_batch(addrs + 2, 1, 4, three), 0);
    munmap(p, 4096);
}
END_TEST

/* A 64 MiB-aligned reservation laid out as glibc lays out an arena's first heap. */
START_TEST(test_arena_heap_and_mmapped_chunks_are_recognised_by_their_headers)
{
    const size_t heap = LB_ALLOCATOR_ARENA_HEAP;
    char *raw = mmap(NULL, 2 * heap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert(raw != MAP_FAILED);
    uintptr_t h = ((uintptr_t)raw + heap - 1) & ~(uintptr_t)(heap - 1);
    ck_assert_int_eq(mprotect((void *)h, 1 << 20, PROT_READ | PROT_WRITE), 0);
    uint64_t *info = (uint64_t *)h;
    info[0] = h + 48;  /* ar_ptr: the arena right after the header */
    info[1] = 0;       /* prev */
    info[2] = 200704;  /* size */
    info[3] = 1 << 20; /* mprotect_size */
    uint64_t rw = 0;
    ck_assert(lb_allocator_arena_heap(h, &rw));
    ck_assert_uint_eq(rw, 1 << 20);
    memcpy((void *)(h + 4096), info, 32); /* the same header, not 64 MiB-aligned */
    ck_assert(!lb_allocator_arena_heap(h + 4096, &rw));
    info[3] = 4097; /* not whole pages */
    ck_assert(!lb_allocator_arena_heap(h, &rw));
    info[3] = 1 << 20;
    info[0] = h + 12345; /* an arena pointer into the middle of nowhere */
    ck_assert(!lb_allocator_arena_heap(h, &rw));

    /* Two mmapped chunks of 3 and 2 pages, then something else. */
    uint64_t *c = (uint64_t *)h;
    memset(c, 0, 1 << 20);
    c[1] = 3 * 4096 | 2;
    c = (uint64_t *)(h + 3 * 4096);
    c[1] = 2 * 4096 | 2;
    ck_assert_uint_eq(lb_allocator_mmapped_chunks(h, h + (1 << 20), NULL), 5 * 4096);
    c[1] = 2 * 4096 | 3; /* PREV_INUSE: an arena chunk, not an mmapped one */
    ck_assert_uint_eq(lb_allocator_mmapped_chunks(h, h + (1 << 20), NULL), 3 * 4096);
    ck_assert_uint_eq(lb_allocator_mmapped_chunks(h, h + 2 * 4096, NULL),
                      0); /* longer than the map */
    munmap(raw, 2 * heap);
}
END_TEST

static void *sleeper(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
    return NULL;
}

START_TEST(test_every_blocked_thread_is_located)
{
    struct lb_task_stacks before, after;
    ck_assert(lb_task_stacks_read(&before));
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, sleeper, &m), 0);
    usleep(100000);
    ck_assert(lb_task_stacks_read(&after));
    ck_assert_uint_eq(after.tasks, before.tasks + 4);
    ck_assert_uint_eq(after.located, after.tasks);
    int mine = 0;
    for (size_t i = 0; i < after.located; i++)
        mine += after.sp[i] <= (uintptr_t)&m && (uintptr_t)&m - after.sp[i] < 65536;
    ck_assert_int_eq(mine, 1); /* the calling thread's own */
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    lb_task_stacks_free(&before);
    lb_task_stacks_free(&after);
}
END_TEST

static uint64_t unexplained_of(json_t *section)
{
    return (uint64_t)json_integer_value(json_object_get(section, "unexplained_bytes"));
}

static void check_adds_up(json_t *section)
{
    ck_assert_ptr_nonnull(section);
    json_int_t sum = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(section, "regions"), i, r)
    {
        ck_assert_ptr_nonnull(json_object_get(r, "method"));
        sum += json_integer_value(json_object_get(r, "rss_bytes"));
    }
    ck_assert_uint_eq(i, 7);
    ck_assert_int_eq(sum + json_integer_value(json_object_get(section, "unexplained_bytes")),
                     json_integer_value(json_object_get(section, "rss_bytes")));
}

/* Outside a JVM nothing is the heap's; 48 MiB this test maps and writes is anonymous memory no
 * one is known to hold: unexplained, and said so by a finding when it is over 10% of RSS. */
START_TEST(test_section_adds_up_and_leaves_unknown_memory_unexplained)
{
    struct lb_memory_input in = {0};
    json_t *before = lb_memory_section(&in);
    check_adds_up(before);
    size_t len = 48 * MIB;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(p != MAP_FAILED);
    memset(p, 1, len);
    json_t *after = lb_memory_section(&in);
    check_adds_up(after);
    ck_assert_uint_ge(unexplained_of(after), unexplained_of(before) + 46 * MIB);
    uint64_t rss = (uint64_t)json_integer_value(json_object_get(after, "rss_bytes"));
    bool found = false;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(after, "findings"), i, f)
    {
        found |= strcmp(json_string_value(json_object_get(f, "code")), "unexplained-large") == 0;
    }
    ck_assert(found == (unexplained_of(after) * 10 > rss));
    /* Told the agent holds it, the same memory is the agent's, not unexplained. */
    in.agent_bytes = len;
    json_t *told = lb_memory_section(&in);
    check_adds_up(told);
    ck_assert_uint_le(unexplained_of(told) + 40 * MIB, unexplained_of(after));
    munmap(p, len);
    json_decref(before);
    json_decref(after);
    json_decref(told);
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("parts");
    tcase_add_test(tc, test_smaps_parses_ranges_permissions_names_and_rss);
    tcase_add_test(tc, test_smaps_of_this_process_matches_rollup);
    tcase_add_test(tc, test_nmt_summary_is_parsed_in_both_formats);
    tcase_add_test(tc, test_peek_reads_mapped_memory_and_refuses_the_rest);
    tcase_add_test(tc, test_arena_heap_and_mmapped_chunks_are_recognised_by_their_headers);
    tcase_add_test(tc, test_every_blocked_thread_is_located);
    suite_add_tcase(s, tc);
    tc = tcase_create("section");
    tcase_add_test(tc, test_section_adds_up_and_leaves_unknown_memory_unexplained);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return uu_run_suite(memory_suite());
}
