#include "runs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* Reports named in the message at most; the rest are counted. */
#define NAMED_MAX 4

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool lbc_runs_same(const struct lbc_report *a, const struct lbc_report *b)
{
    if (a->merged_inputs || b->merged_inputs || a->pid != b->pid || !same_text(a->host, b->host))
        return false;
    if (a->run_id && b->run_id && strcmp(a->run_id, b->run_id) != 0)
        return false; /* the agent's own word: another run */
    if (!a->has_start || !b->has_start ||
        llabs(a->start_ms - b->start_ms) > LBC_RUNS_START_SLACK_MS)
        return false;
    if (a->jvm_base && b->jvm_base && strcmp(a->jvm_base, b->jvm_base) != 0)
        return false;
    if (a->sequence == b->sequence)
        return a->uptime_ms == b->uptime_ms;
    return (a->sequence < b->sequence) == (a->uptime_ms <= b->uptime_ms);
}

/* Whether a is the better report of its run to use than b. */
static bool better(const struct lbc_report *a, const struct lbc_report *b)
{
    bool a_exit = strcmp(a->reason, "exit") == 0, b_exit = strcmp(b->reason, "exit") == 0;
    if (a_exit != b_exit)
        return a_exit;
    if (a->sequence != b->sequence)
        return a->sequence > b->sequence;
    return a->uptime_ms > b->uptime_ms;
}

size_t lbc_runs_latest(struct lbc_report *const *reports, size_t n, bool *keep)
{
    /* best[i]: the report of i's run to use, for the first report of each run. */
    size_t *run = malloc((n ? n : 1) * sizeof *run), left_out = 0;
    for (size_t i = 0; i < n; i++)
        keep[i] = true;
    if (!run)
        return 0;
    for (size_t i = 0; i < n; i++) {
        run[i] = i;
        for (size_t j = 0; j < i; j++)
            if (run[j] == j && lbc_runs_same(reports[j], reports[i])) {
                run[i] = j;
                break;
            }
    }
    for (size_t i = 0; i < n; i++) {
        if (run[i] == i)
            continue;
        /* The run's best so far is the one kept among its earlier members. */
        size_t first = run[i], best = first;
        for (size_t j = first; j < i; j++)
            if (run[j] == first && keep[j])
                best = j;
        if (better(reports[i], reports[best]))
            keep[best] = false;
        else
            keep[i] = false;
        left_out++;
    }
    free(run);
    return left_out;
}

void lbc_runs_say_left_out(const char *cmd, const char *verb, struct lbc_report *const *reports,
                           size_t n, const bool *keep, const char *hint)
{
    size_t left_out = 0, named = 0;
    for (size_t i = 0; i < n; i++)
        left_out += !keep[i];
    if (!left_out)
        return;
    fprintf(stderr,
            "leakbridge %s: %s the latest report of each JVM; left out %zu earlier %s: ", cmd, verb,
            left_out, lb_units_plural((int64_t)left_out, "report", "reports"));
    for (size_t i = 0; i < n && named < NAMED_MAX; i++)
        if (!keep[i])
            fprintf(stderr, "%s%s (pid %" PRId64 ", dump %" PRId64 ")", named++ ? ", " : "",
                    reports[i]->path, reports[i]->pid, reports[i]->sequence);
    if (left_out > named)
        fprintf(stderr, " and %zu more", left_out - named);
    fprintf(stderr, "%s\n", hint ? hint : "");
}
