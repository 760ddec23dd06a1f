/* The memory limit the process lives under, and its usage counted the way the killer counts
 * it: the memory cgroup (v2 memory.max and memory.high, or v1 memory.limit_in_bytes, the
 * lowest over the cgroup and its ancestors), its usage, its working set (usage minus inactive
 * file pages, which the kernel reclaims before it kills; what the kubelet evicts on), and the
 * process's RSS. Read from files only: safe on any thread, at exit too.
 *
 * LEAKBRIDGE_TEST_ROOT (test-only, docs/options.md) puts every path read here under another
 * directory, so that tests lay out cgroup v1 and v2 trees without touching the machine's. */
#ifndef LB_MEMORY_LIMIT_H
#define LB_MEMORY_LIMIT_H

#include <stdint.h>

struct lb_memory_limit {
    int cgroup_version;        /* 2, 1, or 0 when no memory cgroup was found */
    char dir[1024];            /* the memory cgroup's directory, "" if none */
    char mount[512];           /* where its hierarchy is mounted: limits are read up to here */
    int64_t limit_bytes;       /* -1: no limit */
    int64_t high_bytes;        /* v2 memory.high (throttling starts), -1: none */
    int64_t usage_bytes;       /* memory.current or memory.usage_in_bytes, -1: unknown */
    int64_t working_set_bytes; /* usage minus inactive file pages, -1: unknown */
    int64_t rss_bytes;         /* VmRSS of this process, -1: unknown */
};

/* Finds the memory cgroup (at start: a process stays in its cgroup) and reads its figures. */
void lb_memory_limit_find(struct lb_memory_limit *m);

/* Reads limits, usage, working set and RSS again: a few small files, for each report and each
 * watermark check (a limit may change while the process runs). */
void lb_memory_limit_usage(struct lb_memory_limit *m);

/* The process's: found once when the agent starts (lb_memory_limit_start), then copied with
 * fresh usage by lb_memory_limit_now for each report and each watermark check. */
void lb_memory_limit_start(void);
void lb_memory_limit_now(struct lb_memory_limit *out);

#endif
