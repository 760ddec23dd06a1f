/* --json output of top, diff and check (docs/cli.md): the pieces they share. */
#ifndef LBC_JSON_OUT_H
#define LBC_JSON_OUT_H

#include <jansson.h>
#include <stdbool.h>

#include "report_reader.h"

/* Prints doc on stdout, indented, reals with 4 significant digits, with a newline, and releases
 * it. False (with a message) when
 * doc is NULL (out of memory while building it) or cannot be written. */
bool lbc_json_print(json_t *doc);

/* What identifies a report: {"path": PATH, "pid", "sequence", "reason", "time", "uptime_ms",
 * "estimated", "live_bytes", "live_count", "sites"}, and "merged_inputs" for a merged report.
 * NULL when out of memory. */
json_t *lbc_json_report(const struct lbc_report *r);

/* A site: {"id", "kind", "status", "status_rule" (when known), "name" (as top names it),
 * "stable_name" (lbc_stack_stable_headline), "live_bytes", "live_count", "growth" and
 * "gc_released" (when the report has them), "inputs" (merged reports), "frames" (the report's,
 * leaf first)}. NULL when out of memory. */
json_t *lbc_json_site(const struct lbc_site *s);

/* A JSON string of text, with '?' for each non-ASCII byte if it is not UTF-8 (a file name, a text
 * cut short). NULL when out of memory. */
json_t *lbc_json_text(const char *text);

/* Sets obj[key] to value (taking its reference); false if value is NULL or out of memory. */
bool lbc_json_set(json_t *obj, const char *key, json_t *value);

#endif
