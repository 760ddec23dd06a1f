#include "dumper.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "java_frames.h"
#include "live_table.h"
#include "log.h"
#include "report.h"
#include "symbols.h"
#include "tracker.h"

#define LB_AGENT_VERSION "0.1.0"

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned dump_sequence;

static json_t *frame_json(void *ctx, const struct lb_frame *frame)
{
    struct lb_java_resolver *java = ctx;
    if (frame->type == LB_FRAME_JAVA)
        return lb_java_resolver_frame(java, frame);
    return lb_symbols_frame_json(frame);
}

static json_t *agent_facts(void)
{
    struct lb_table_stats ts;
    lb_table_stats(&ts);
    return json_pack("{s:s,s:I,s:I,s:I}", "version", LB_AGENT_VERSION, "tracked_blocks",
                     (json_int_t)ts.live, "live_table_bytes", (json_int_t)ts.bytes,
                     "live_table_retired_bytes", (json_int_t)ts.retired_bytes);
}

static void human_bytes(uint64_t n, char *out, size_t len)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void absolute(const char *path, char *out, size_t len)
{
    char cwd[PATH_MAX];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd))
        snprintf(out, len, "%s/%s", cwd, path);
    else
        snprintf(out, len, "%s", path);
}

bool lb_dump(const char *reason)
{
    pthread_mutex_lock(&dump_lock);
    unsigned seq = ++dump_sequence;
    time_t now = time(NULL);
    char path[LB_OUTPUT_MAX], shown[LB_OUTPUT_MAX + PATH_MAX + 2], err[LB_OUTPUT_MAX + 256];
    bool ok = false;
    if (!lb_report_path(lb_agent.options.output, (long)getpid(), now, seq, path, sizeof path)) {
        lb_log("cannot write report: output path '%s' is too long", lb_agent.options.output);
        goto out;
    }
    absolute(path, shown, sizeof shown);

    struct lb_site_snapshot *snaps = NULL;
    size_t n = lb_report_snapshot(&snaps);
    struct lb_java_resolver *java = lb_java_resolver_new();
    struct lb_report_meta meta = {
        .reason = reason,
        .pid = (long)getpid(),
        .wall_time = now,
        .uptime_ms = lb_clock_ms(),
        .sequence = seq,
        .jvm_version = lb_agent.jvm_version,
        .jvm_vendor = lb_agent.jvm_vendor,
        .jvm_name = lb_agent.jvm_name,
        .options = &lb_agent.options,
        .modules = lb_symbols_modules_json(),
        .agent = agent_facts(),
    };
    json_t *report = java ? lb_report_build(&meta, snaps, n, frame_json, java) : NULL;
    lb_java_resolver_free(java);
    free(snaps);
    if (!report) {
        lb_log("cannot write report to %s: out of memory", shown);
        goto out;
    }
    ok = lb_report_write(report, path, err, sizeof err);
    if (ok) {
        json_t *totals = json_object_get(report, "totals");
        char live[32];
        human_bytes((uint64_t)json_integer_value(json_object_get(totals, "live_bytes")), live,
                    sizeof live);
        lb_log("report written to %s (%s): %s live in %lld blocks at %lld sites%s", shown, reason,
               live, (long long)json_integer_value(json_object_get(totals, "live_count")),
               (long long)json_integer_value(json_object_get(totals, "sites")),
               lb_agent.options.sample ? ", estimated from samples" : "");
    } else {
        lb_log("%s", err);
    }
    json_decref(report);
out:
    pthread_mutex_unlock(&dump_lock);
    return ok;
}
