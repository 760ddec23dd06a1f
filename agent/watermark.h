/* Watermark dumps: a report taken by the agent itself when the process's memory use first
 * crosses dump_at=PERCENT,... of its memory limit or dump_at_bytes=SIZE of RSS, before the
 * container is killed and while nobody is there to run jcmd. The dumper thread checks every
 * LB_WATERMARK_CHECK_MS (two or three small file reads). A threshold dumps once when crossed and
 * is armed again when usage falls LB_WATERMARK_REARM_SHARE below it. */
#ifndef LB_WATERMARK_H
#define LB_WATERMARK_H

#include <jansson.h>
#include <stdbool.h>

#include "leakbridge/options.h"

#define LB_WATERMARK_CHECK_MS 1000u
#define LB_WATERMARK_REARM_SHARE 0.10

/* Arms the thresholds of opts against the limit found at start (memory_limit.h); says in one
 * line when dump_at was given but the process has no limit and no dump_at_bytes. True if any
 * threshold is armed, so that the dumper thread checks. */
bool lb_watermark_start(const struct lb_options *opts);

/* Checks usage now. When a threshold was crossed since the last check returns the report's
 * "watermark" object (threshold, usage, limit, what was measured; a new reference) and disarms
 * it; with several crossed at once, one dump for the highest. NULL otherwise. */
json_t *lb_watermark_check(void);

#endif
