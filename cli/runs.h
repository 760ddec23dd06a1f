/* Reports of one JVM run: several dumps of one process given together (every report of a test
 * JVM, every dump of a TaskManager). check judges, and merge sums, only the latest of each. */
#ifndef LBC_RUNS_H
#define LBC_RUNS_H

#include <stdbool.h>
#include <stddef.h>

#include "report_reader.h"

/* How far apart two reports of one run may put the JVM's start (time minus uptime_ms): time has
 * whole seconds; agents from 0.2 read both at once, but older ones took time before a dump's
 * forced GC and wait (up to a few seconds) and uptime after them. */
#define LBC_RUNS_START_SLACK_MS 30000

/* Whether a and b are reports of one JVM run: neither is merged, the same pid, the same host
 * (equal, or absent from both), the same run id when both have one, starts within
 * LBC_RUNS_START_SLACK_MS, the same base address of libjvm.so when both list it (another process
 * almost always has another), and dump numbers in the order of the uptimes (one dump number is one
 * dump). */
bool lbc_runs_same(const struct lbc_report *a, const struct lbc_report *b);

/* Sets keep[i] for the one report of each JVM run to use: its exit report, else its latest
 * (highest sequence, then uptime); the run's other reports get false. Returns how many were
 * left out; 0 when out of memory (all kept). */
size_t lbc_runs_latest(struct lbc_report *const *reports, size_t n, bool *keep);

/* Says on stderr, in one line, which reports were left out:
 * "leakbridge CMD: VERB the latest report of each JVM; left out 2 earlier reports: a.json (pid
 * 7, dump 1), b.json (pid 7, dump 2)HINT". Nothing when none was. */
void lbc_runs_say_left_out(const char *cmd, const char *verb, struct lbc_report *const *reports,
                           size_t n, const bool *keep, const char *hint);

#endif
