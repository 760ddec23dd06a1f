#include "units.h"

#include <inttypes.h>
#include <stdio.h>

#include "leakbridge/options.h"
#include "leakbridge/units.h"

const char *lbc_units_growth(int64_t bytes, char buf[LBC_UNITS_MAX])
{
    char plain[LBC_UNITS_MAX];
    snprintf(buf, LBC_UNITS_MAX, "%s%s", bytes > 0 ? "+" : "", lb_units_bytes(bytes, plain));
    return buf;
}

const char *lbc_units_signed(int64_t n, char buf[LBC_UNITS_MAX])
{
    snprintf(buf, LBC_UNITS_MAX, "%s%" PRId64, n > 0 ? "+" : "", n);
    return buf;
}

const char *lbc_units_share(int64_t part, int64_t whole, char buf[LBC_UNITS_MAX])
{
    if (whole <= 0)
        snprintf(buf, LBC_UNITS_MAX, "-");
    else
        snprintf(buf, LBC_UNITS_MAX, "%.1f%%", 100.0 * (double)part / (double)whole);
    return buf;
}

bool lbc_units_parse_size(const char *text, int64_t *bytes)
{
    uint64_t v;
    if (!lb_options_parse_size(text, &v) || v > INT64_MAX)
        return false;
    *bytes = (int64_t)v;
    return true;
}
