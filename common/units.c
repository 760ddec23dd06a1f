#include "leakbridge/units.h"

#include <inttypes.h>
#include <stdio.h>

const char *lb_units_bytes(int64_t bytes, char buf[LB_UNITS_MAX])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    uint64_t magnitude = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;
    const char *sign = bytes < 0 ? "-" : "";
    if (magnitude < 1024) {
        snprintf(buf, LB_UNITS_MAX, "%s%" PRIu64 " B", sign, magnitude);
        return buf;
    }
    double v = (double)magnitude / 1024.0;
    size_t u = 0;
    while (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, LB_UNITS_MAX, "%s%.1f %s", sign, v, units[u]);
    return buf;
}

const char *lb_units_plural(int64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}
