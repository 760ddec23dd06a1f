/* The memory section as the commands show it (docs/cli.md): top's table of regions, diff's
 * change per region, merge's sums and the flame graph's bar. */
#ifndef LBC_MEMORY_H
#define LBC_MEMORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report_reader.h"

/* top: RSS and the unexplained rest, a row per region (RSS, share, '~' when not exact, key
 * figures), the memory limit, the findings; or one line when the report has no memory
 * section. Ends with a blank line. */
void lbc_memory_print(FILE *out, const struct lbc_report *r);

/* top --json's "memory": rss_bytes, unexplained_bytes, unexplained_share, the report's regions
 * each with its share, its findings; json null without a memory section. NULL when out of
 * memory. */
json_t *lbc_memory_json(const struct lbc_report *r);

/* diff: RSS and unexplained before and after, the change per region largest first, malloc's
 * figures, the allocator holding freed memory, findings that appeared or went; one line when
 * a report has no memory section. Ends with a blank line. */
void lbc_memory_print_diff(FILE *out, const struct lbc_report *old, const struct lbc_report *new);

/* diff --json's "memory"; json null unless both reports have a memory section. NULL when out
 * of memory. */
json_t *lbc_memory_diff_json(const struct lbc_report *old, const struct lbc_report *new);

/* Whether malloc's change from old to new is the allocator keeping freed memory: its RSS rose
 * by 1 MiB or more, its free bytes by at least half that, its bytes in use by at most a tenth
 * of it. False when a report lacks a figure. */
bool lbc_memory_holds_freed(const struct lbc_region *old, const struct lbc_region *new);

/* merge: the merged report's memory section (docs/cli.md#merge says what is summed and what is
 * dropped) in *section, or NULL there when an input has none. False, with err saying why, when
 * a sum does not fit in 64 bits or memory runs out. */
bool lbc_memory_merge(struct lbc_report *const *reports, size_t n, json_t **section, char *err,
                      size_t err_len);

/* flame: the regions for the bar above the graph, {"rss", "unexplained", "regions": [{"n",
 * "v", "exact", "tracked" (malloc), "o" (old's bytes, with old)}]}; json null without a memory
 * section. NULL when out of memory. */
json_t *lbc_memory_flame(const struct lbc_report *old, const struct lbc_report *new);

/* The region of that name; NULL if the report has none. */
const struct lbc_region *lbc_memory_region(const struct lbc_report *r, const char *name);

#endif
