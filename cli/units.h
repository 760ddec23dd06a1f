/* Numbers as people read them: sizes in binary units, signed growth, size options. */
#ifndef LBC_UNITS_H
#define LBC_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakbridge/units.h"

#define LBC_UNITS_MAX LB_UNITS_MAX

/* lb_units_bytes with a sign: "+18.3 MiB", "-1008 B", "0 B". */
const char *lbc_units_growth(int64_t bytes, char buf[LBC_UNITS_MAX]);

/* "+200", "-3", "0". */
const char *lbc_units_signed(int64_t n, char buf[LBC_UNITS_MAX]);

/* part/whole as "88.1%" ("-" when whole is 0). */
const char *lbc_units_share(int64_t part, int64_t whole, char buf[LBC_UNITS_MAX]);

/* Parses a size as the agent's options do ("0", "4096", "512k", "1m", "2g": powers of 1024),
 * at most INT64_MAX. */
bool lbc_units_parse_size(const char *text, int64_t *bytes);

#endif
