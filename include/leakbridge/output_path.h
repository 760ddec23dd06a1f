/* The output= pattern: where reports go. Its escapes are %p (pid), %t (UTC time), %n (dump
 * number), %h (host name: the pod's name on Kubernetes, where every JVM is pid 1) and %%. The
 * agent expands it for each report; the command turns it into a glob to find an agent's reports.
 * One module, so that both sides agree on the grammar. */
#ifndef LEAKBRIDGE_OUTPUT_PATH_H
#define LEAKBRIDGE_OUTPUT_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The escape letters after '%', for messages: "%p, %t, %n, %h and %%". */
#define LB_OUTPUT_PATH_ESCAPES "%p, %t, %n, %h and %%"

/* True if every '%' in pattern[0..len) starts one of the escapes. */
bool lb_output_path_valid(const char *pattern, size_t len);

/* What one report's name is made of. */
struct lb_output_path_values {
    long pid;
    time_t wall_time;
    unsigned sequence;
    const char *host; /* NULL: gethostname() */
};

/* Expands pattern into out. A pattern without %n gets the sequence before the file name's
 * extension from the second report on (lb.json, lb-2.json, lb-3.json), so that no report
 * replaces an earlier one of the run. False if the result does not fit or the pattern is
 * invalid. */
bool lb_output_path_expand(const char *pattern, const struct lb_output_path_values *values,
                           char *out, size_t out_len);

/* A glob(3) pattern, for GLOB_BRACE, matching every report of process pid under pattern,
 * relative paths taken from cwd: %n, %t and %h match anything, and an unnumbered pattern's
 * NAME-N.EXT too. A new string, or NULL when out of memory. */
char *lb_output_path_glob(const char *pattern, long pid, const char *cwd);

/* path made absolute against the current directory. */
void lb_output_path_absolute(const char *path, char *out, size_t len);

/* Whether reports can be written under pattern (its directory exists and is writable, and the
 * path is not a directory itself). False with one line saying why in why. */
bool lb_output_path_check(const char *pattern, char *why, size_t why_len);

/* Removes the temporary files (".NAME.tmpPID", leakbridge/atomic_file.h) that processes no
 * longer running left in pattern's directory, killed while writing a report. Returns how many. */
int lb_output_path_remove_stale(const char *pattern);

#endif
