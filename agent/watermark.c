#include "watermark.h"

#include "log.h"
#include "memory_limit.h"

/* One threshold: a percent of the limit (read at each check: limits can change) or bytes of
 * RSS, and whether it may dump. */
struct threshold {
    unsigned percent; /* of the limit; 0 for dump_at_bytes */
    int64_t bytes;    /* dump_at_bytes */
    bool armed;
};

static struct threshold thresholds[LB_DUMP_AT_MAX + 1];
static int nthresholds;

bool lb_watermark_start(const struct lb_options *opts)
{
    struct lb_memory_limit m;
    lb_memory_limit_now(&m);
    nthresholds = 0;
    if (opts->ndump_at && (!m.cgroup_version || m.limit_bytes < 0) && !opts->dump_at_bytes)
        lb_log("dump_at=%u%s: this process has no memory limit (%s): no watermark dumps; give "
               "dump_at_bytes=SIZE to dump at an RSS",
               opts->dump_at[0], opts->ndump_at > 1 ? ",..." : "",
               m.cgroup_version ? "its memory cgroup sets none" : "no memory cgroup found");
    for (int i = 0; m.limit_bytes > 0 && i < opts->ndump_at; i++)
        thresholds[nthresholds++] =
            (struct threshold){opts->dump_at[i], m.limit_bytes / 100 * opts->dump_at[i], true};
    if (opts->dump_at_bytes)
        thresholds[nthresholds++] = (struct threshold){0, (int64_t)opts->dump_at_bytes, true};
    return nthresholds > 0;
}

json_t *lb_watermark_check(void)
{
    if (!nthresholds)
        return NULL;
    struct lb_memory_limit m;
    lb_memory_limit_now(&m);
    const struct threshold *crossed = NULL;
    int64_t crossed_usage = 0, crossed_bytes = 0;
    for (int i = 0; i < nthresholds; i++) {
        struct threshold *t = &thresholds[i];
        /* Against the limit: the working set, what the killer cannot reclaim; else RSS. */
        int64_t usage = t->percent ? m.working_set_bytes : m.rss_bytes;
        int64_t bytes =
            t->percent ? (m.limit_bytes > 0 ? m.limit_bytes / 100 * t->percent : -1) : t->bytes;
        if (usage < 0 || bytes < 0)
            continue;
        if (t->armed && usage >= bytes) {
            t->armed = false;
            if (!crossed || bytes > crossed_bytes) {
                crossed = t;
                crossed_usage = usage;
                crossed_bytes = bytes;
            }
        } else if (!t->armed && (double)usage < (double)bytes * (1 - LB_WATERMARK_REARM_SHARE)) {
            t->armed = true;
        }
    }
    if (!crossed)
        return NULL;
    json_t *w = json_pack("{s:I,s:I,s:s}", "threshold_bytes", (json_int_t)crossed_bytes,
                          "usage_bytes", (json_int_t)crossed_usage, "measure",
                          crossed->percent ? "cgroup_working_set" : "rss");
    if (w && crossed->percent) {
        json_object_set_new(w, "threshold_percent", json_integer(crossed->percent));
        json_object_set_new(w, "limit_bytes", json_integer(m.limit_bytes));
    }
    return w;
}
