/* Unit tests for agent/memory_limit.c over cgroup trees laid out in a temporary directory
 * (LEAKBRIDGE_TEST_ROOT): v2 with the limit on a parent, "max", memory.high; a cgroup namespace
 * (the mount's root is the container's cgroup); v1 with its "unlimited" value and the
 * hierarchical limit; no memory cgroup at all. */
#include "memory_limit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit_util.h"

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void fresh_root(void)
{
    snprintf(root, sizeof root, "/tmp/lb-memlimit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    setenv("LEAKBRIDGE_TEST_ROOT", root, 1);
}

static void drop_root(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
    unsetenv("LEAKBRIDGE_TEST_ROOT");
}

START_TEST(test_v2_takes_the_lowest_limit_up_to_the_mount)
{
    fresh_root();
    put("/proc/self/cgroup", "0::/kubepods/pod-a/ctr\n");
    put("/proc/self/mountinfo", "25 23 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    put("/sys/fs/cgroup/memory.max", "1000\n"); /* the mount's own: still an ancestor */
    put("/sys/fs/cgroup/kubepods/memory.max", "max\n");
    put("/sys/fs/cgroup/kubepods/pod-a/memory.max", "800\n");
    put("/sys/fs/cgroup/kubepods/pod-a/memory.high", "max\n");
    put("/sys/fs/cgroup/kubepods/pod-a/ctr/memory.max", "max\n");
    put("/sys/fs/cgroup/kubepods/pod-a/ctr/memory.high", "700\n");
    put("/sys/fs/cgroup/kubepods/pod-a/ctr/memory.current", "500\n");
    put("/sys/fs/cgroup/kubepods/pod-a/ctr/memory.stat", "anon 300\ninactive_file 120\n");
    struct lb_memory_limit m;
    lb_memory_limit_find(&m);
    ck_assert_int_eq(m.cgroup_version, 2);
    ck_assert_str_eq(m.dir, "/sys/fs/cgroup/kubepods/pod-a/ctr");
    ck_assert_int_eq(m.limit_bytes, 800);
    ck_assert_int_eq(m.high_bytes, 700);
    ck_assert_int_eq(m.usage_bytes, 500);
    ck_assert_int_eq(m.working_set_bytes, 380);
    ck_assert_int_gt(m.rss_bytes, 0); /* this process's own, never from the tree */
    put("/sys/fs/cgroup/kubepods/pod-a/memory.max", "600\n"); /* resized while running */
    lb_memory_limit_usage(&m);
    ck_assert_int_eq(m.limit_bytes, 600);
    drop_root();
}
END_TEST

START_TEST(test_v2_in_a_cgroup_namespace_is_the_mount_itself)
{
    fresh_root();
    put("/proc/self/cgroup", "0::/\n");
    put("/proc/self/mountinfo",
        "25 23 0:22 /kubepods/pod-b/ctr /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n");
    put("/sys/fs/cgroup/memory.max", "4096\n");
    put("/sys/fs/cgroup/memory.current", "1024\n");
    struct lb_memory_limit m;
    lb_memory_limit_find(&m);
    ck_assert_int_eq(m.cgroup_version, 2);
    ck_assert_str_eq(m.dir, "/sys/fs/cgroup");
    ck_assert_int_eq(m.limit_bytes, 4096);
    ck_assert_int_eq(m.high_bytes, -1);
    ck_assert_int_eq(m.working_set_bytes, 1024); /* no memory.stat: the usage itself */
    drop_root();
}
END_TEST

START_TEST(test_v1_reads_the_memory_controller_and_ignores_unlimited)
{
    fresh_root();
    put("/proc/self/cgroup", "9:pids:/\n4:cpu,memory:/yarn/c1\n0::/\n");
    put("/proc/self/mountinfo",
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "35 31 0:32 / /sys/fs/cgroup/cpu,memory rw - cgroup cgroup rw,cpu,memory\n");
    put("/sys/fs/cgroup/cpu,memory/memory.limit_in_bytes", "9223372036854771712\n");
    put("/sys/fs/cgroup/cpu,memory/yarn/memory.limit_in_bytes", "9223372036854771712\n");
    put("/sys/fs/cgroup/cpu,memory/yarn/c1/memory.limit_in_bytes", "9223372036854771712\n");
    put("/sys/fs/cgroup/cpu,memory/yarn/c1/memory.usage_in_bytes", "2000\n");
    put("/sys/fs/cgroup/cpu,memory/yarn/c1/memory.stat",
        "cache 5\nhierarchical_memory_limit 3000\ntotal_inactive_file 500\n");
    struct lb_memory_limit m;
    lb_memory_limit_find(&m);
    ck_assert_int_eq(m.cgroup_version, 1);
    ck_assert_str_eq(m.dir, "/sys/fs/cgroup/cpu,memory/yarn/c1");
    ck_assert_int_eq(m.limit_bytes, 3000);
    ck_assert_int_eq(m.usage_bytes, 2000);
    ck_assert_int_eq(m.working_set_bytes, 1500);
    drop_root();
}
END_TEST

START_TEST(test_no_memory_cgroup_means_no_limit)
{
    fresh_root();
    put("/proc/self/cgroup", "0::/\n");
    put("/proc/self/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    struct lb_memory_limit m;
    lb_memory_limit_find(&m);
    ck_assert_int_eq(m.cgroup_version, 0);
    ck_assert_str_eq(m.dir, "");
    ck_assert_int_eq(m.limit_bytes, -1);
    ck_assert_int_eq(m.usage_bytes, -1);
    ck_assert_int_gt(m.rss_bytes, 0);
    drop_root(); /* and with nothing at all under the root */
    fresh_root();
    lb_memory_limit_find(&m);
    ck_assert_int_eq(m.cgroup_version, 0);
    drop_root();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memory_limit");
    TCase *tc = tcase_create("cgroups");
    tcase_add_test(tc, test_v2_takes_the_lowest_limit_up_to_the_mount);
    tcase_add_test(tc, test_v2_in_a_cgroup_namespace_is_the_mount_itself);
    tcase_add_test(tc, test_v1_reads_the_memory_controller_and_ignores_unlimited);
    tcase_add_test(tc, test_no_memory_cgroup_means_no_limit);
    suite_add_tcase(s, tc);
    return uu_run_suite(s);
}
