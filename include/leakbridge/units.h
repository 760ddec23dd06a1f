/* Sizes as people read them, the same in the agent's one-line messages and the command's
 * tables: "1008 B", "36.4 KiB", "18.3 MiB". */
#ifndef LEAKBRIDGE_UNITS_H
#define LEAKBRIDGE_UNITS_H

#include <stdint.h>

#define LB_UNITS_MAX 32

/* bytes in binary units, with a '-' when negative; returns buf. */
const char *lb_units_bytes(int64_t bytes, char buf[LB_UNITS_MAX]);

/* one if n is 1, else many: "1 site", "2 sites". */
const char *lb_units_plural(int64_t n, const char *one, const char *many);

#endif
