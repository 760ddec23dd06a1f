/* Block ages per site: how old a site's live blocks are, and how many GCs they survived. An
 * old block that survived many GCs is held by something; a young one may just be in use. */
#ifndef LB_AGES_H
#define LB_AGES_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Walks the live table once (without its locks) and fills the age fields of every snapshot whose
 * site has blocks in it: oldest, median and 90th percentile age (weighted by the blocks' estimated
 * counts) and the GCs they survived. now_ms is lb_clock_ms(), gc_epoch the GCs finished so far.
 * False when out of memory (ages are then left out). */
bool lb_ages_fill(struct lb_snapshot *snaps, size_t n, uint64_t now_ms, uint32_t gc_epoch);

#endif
