/* The memory section as the commands show it (docs/cli.md): top's table of regions. */
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

/* The region of that name; NULL if the report has none. */
const struct lbc_region *lbc_memory_region(const struct lbc_report *r, const char *name);

#endif
