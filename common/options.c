#include "leakbridge/options.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "leakbridge/output_path.h"
#include "leakbridge/report_format.h"

#define STR(x) #x
#define XSTR(x) STR(x)

/* Longest piece of user text quoted in a message, so a long path leaves room for the rest. */
#define QUOTE_MAX 80

enum {
    OPT_OUTPUT,
    OPT_SAMPLE,
    OPT_INTERVAL,
    OPT_DEPTH,
    OPT_GC,
    OPT_NATIVE,
    OPT_LEAK_WINDOW,
    OPT_DUMP_AT,
    OPT_DUMP_AT_BYTES,
    OPT_MAX_SITES,
    OPT_MAX_MEMORY,
    OPT_REPORT_SITES,
    OPT_OWNERS,
    OPT_OWNERS_TIME,
    OPT_OWNERS_MEMORY,
    OPT_COUNT
};

static const char *const option_names[OPT_COUNT] = {
    "output",     "sample",       "interval", "depth",         "gc",
    "native",     "leak_window",  "dump_at",  "dump_at_bytes", "max_sites",
    "max_memory", "report_sites", "owners",   "owners_time",   "owners_memory"};

void lb_options_defaults(struct lb_options *opts)
{
    memset(opts, 0, sizeof *opts);
    strcpy(opts->output, LB_OUTPUT_FILE_NAME);
    opts->sample = LB_SAMPLE_DEFAULT;
    opts->interval_ms = 0;
    opts->depth = 64;
    opts->gc = false;
    opts->native = true;
    opts->leak_window_ms = LB_LEAK_WINDOW_DEFAULT_MS;
    opts->max_sites = LB_MAX_SITES_DEFAULT;
    opts->max_memory = LB_MAX_MEMORY_DEFAULT;
    opts->report_sites = LB_REPORT_SITES_DEFAULT;
    opts->owners = false;
    opts->owners_time_ms = LB_OWNERS_TIME_DEFAULT_MS;
    opts->owners_memory = LB_OWNERS_MEMORY_DEFAULT;
}

static bool equals(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* Reads the leading decimal digits of s[0..n); false if there are none or they overflow. */
static bool parse_digits(const char *s, size_t n, uint64_t *value, size_t *used)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *value = v;
    *used = i;
    return i > 0;
}

static bool scale(uint64_t v, uint64_t unit, uint64_t *out)
{
    if (v > UINT64_MAX / unit)
        return false;
    *out = v * unit;
    return true;
}

static bool parse_size(const char *s, size_t n, uint64_t *bytes)
{
    uint64_t v, unit = 1;
    size_t i;
    if (!parse_digits(s, n, &v, &i))
        return false;
    if (i < n) {
        if (i + 1 != n) /* at most one suffix character */
            return false;
        switch (s[i]) {
        case 'k':
        case 'K':
            unit = UINT64_C(1) << 10;
            break;
        case 'm':
        case 'M':
            unit = UINT64_C(1) << 20;
            break;
        case 'g':
        case 'G':
            unit = UINT64_C(1) << 30;
            break;
        default:
            return false;
        }
    }
    return scale(v, unit, bytes);
}

static bool parse_duration(const char *s, size_t n, uint64_t *ms)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}};
    uint64_t v;
    size_t i;
    if (!parse_digits(s, n, &v, &i))
        return false;
    if (i == n) {
        /* A bare number could mean seconds or milliseconds, so only "0" may omit the unit. */
        if (n != 1 || v != 0)
            return false;
        *ms = 0;
        return true;
    }
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        if (equals(s + i, n - i, units[u].name))
            return scale(v, units[u].ms, ms);
    return false;
}

static bool parse_switch(const char *s, size_t n, bool *out)
{
    if (equals(s, n, "on"))
        *out = true;
    else if (equals(s, n, "off"))
        *out = false;
    else
        return false;
    return true;
}

/* Returns NULL on success, otherwise what was expected. */
static const char *set_output(struct lb_options *opts, const char *s, size_t n)
{
    if (n == 0)
        return "a non-empty path";
    /* A directory (ending in '/') gets the default file name in it. */
    size_t name = s[n - 1] == '/' ? strlen(LB_OUTPUT_FILE_NAME) : 0;
    if (n + name >= LB_OUTPUT_MAX)
        return "a path shorter than " XSTR(LB_OUTPUT_MAX) " bytes";
    if (!lb_output_path_valid(s, n))
        return "a path whose only escapes are " LB_OUTPUT_PATH_ESCAPES;
    memcpy(opts->output, s, n);
    memcpy(opts->output + n, LB_OUTPUT_FILE_NAME, name);
    opts->output[n + name] = '\0';
    return NULL;
}

/* "85" or "85,95": whole percents from 1 to 100, rising. */
static const char *set_dump_at(struct lb_options *opts, const char *s, size_t n)
{
    static const char *expected = "percents of the memory limit from 1 to 100, rising, such as "
                                  "85 or 85,95 (at most " XSTR(LB_DUMP_AT_MAX) ")";
    opts->ndump_at = 0;
    for (size_t i = 0; i <= n;) {
        size_t len = 0;
        while (i + len < n && s[i + len] != ',')
            len++;
        uint64_t v;
        size_t used;
        if (!parse_digits(s + i, len, &v, &used) || used != len || v < 1 || v > 100 ||
            opts->ndump_at == LB_DUMP_AT_MAX ||
            (opts->ndump_at && v <= opts->dump_at[opts->ndump_at - 1]))
            return expected;
        opts->dump_at[opts->ndump_at++] = (uint8_t)v;
        i += len + 1;
    }
    return NULL;
}

/* Returns NULL on success, otherwise what was expected. */
static const char *set_value(struct lb_options *opts, int key, const char *s, size_t n)
{
    uint64_t depth, number;
    size_t used;
    switch (key) {
    case OPT_OUTPUT:
        return set_output(opts, s, n);
    case OPT_SAMPLE:
        return parse_size(s, n, &opts->sample) ? NULL
                                               : "a size in bytes such as 0, 4096, 512k or 1m";
    case OPT_INTERVAL:
        return parse_duration(s, n, &opts->interval_ms)
                   ? NULL
                   : "a duration such as 0, 500ms, 30s, 5m or 1h";
    case OPT_DEPTH:
        if (!parse_digits(s, n, &depth, &used) || used != n || depth < 1 || depth > LB_DEPTH_MAX)
            return "a whole number from 1 to " XSTR(LB_DEPTH_MAX);
        opts->depth = (uint32_t)depth;
        return NULL;
    case OPT_GC:
        return parse_switch(s, n, &opts->gc) ? NULL : "on or off";
    case OPT_NATIVE:
        return parse_switch(s, n, &opts->native) ? NULL : "on or off";
    case OPT_OWNERS:
        return parse_switch(s, n, &opts->owners) ? NULL : "on or off";
    case OPT_OWNERS_TIME:
        return parse_duration(s, n, &opts->owners_time_ms)
                   ? NULL
                   : "a duration such as 0 (no bound), 500ms, 5s or 1m";

    case OPT_DUMP_AT:
        return set_dump_at(opts, s, n);
    case OPT_MAX_SITES:
    case OPT_REPORT_SITES:
        if (!parse_digits(s, n, &number, &used) || used != n || number > UINT32_MAX)
            return "a whole number such as 0 (no bound), 10000 or 200000";
        *(key == OPT_MAX_SITES ? &opts->max_sites : &opts->report_sites) = number;
        return NULL;
    case OPT_MAX_MEMORY:
    case OPT_OWNERS_MEMORY:
        return parse_size(s, n, key == OPT_MAX_MEMORY ? &opts->max_memory : &opts->owners_memory)
                   ? NULL
                   : "a size in bytes such as 0 (no bound), 256m or 2g";
    case OPT_DUMP_AT_BYTES:
        if (!parse_size(s, n, &opts->dump_at_bytes) || opts->dump_at_bytes == 0)
            return "a size in bytes larger than 0, such as 3g or 1500m";
        return NULL;
    default:
        if (!parse_duration(s, n, &opts->leak_window_ms) || opts->leak_window_ms == 0)
            return "a duration longer than 0, such as 10s, 1m or 5m";
        return NULL;
    }
}

static const char *quote(char *buf, size_t size, const char *s, size_t n)
{
    if (n > QUOTE_MAX)
        snprintf(buf, size, "'%.*s...'", QUOTE_MAX - 3, s);
    else
        snprintf(buf, size, "'%.*s'", (int)n, s);
    return buf;
}

__attribute__((format(printf, 3, 4))) static bool fail(char *err, size_t err_len, const char *fmt,
                                                       ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool lb_options_parse(const char *text, struct lb_options *opts, char *err, size_t err_len)
{
    char q[QUOTE_MAX + 8];
    unsigned seen = 0;

    if (err && err_len > 0)
        err[0] = '\0';
    lb_options_defaults(opts);
    if (!text || !*text)
        return true;

    for (const char *item = text;; item++) {
        size_t n = strcspn(item, ",");
        if (n == 0)
            return fail(err, err_len,
                        "empty option in %s: expected key=value pairs separated by single commas",
                        quote(q, sizeof q, text, strlen(text)));

        /* key:value is accepted too: jcmd cuts an unquoted option string at the first '='. */
        size_t key_end = strcspn(item, "=:");
        const char *eq = key_end < n ? item + key_end : NULL;
        if (!eq)
            return fail(err, err_len,
                        "option %s: expected key=value or key:value (jcmd cuts an unquoted "
                        "option string at '=': quote it, '\"key=value,...\"', or use ':')",
                        quote(q, sizeof q, item, n));

        size_t key_len = (size_t)(eq - item);
        /* A list value (dump_at=85,95) runs on over the items that are bare numbers. */
        if (equals(item, key_len, "dump_at"))
            while (item[n] == ',' && item[n + 1] >= '0' && item[n + 1] <= '9' &&
                   item[n + 1 + strcspn(item + n + 1, ",=:")] != '=' &&
                   item[n + 1 + strcspn(item + n + 1, ",=:")] != ':')
                n += 1 + strcspn(item + n + 1, ",");
        int key = 0;
        while (key < OPT_COUNT && !equals(item, key_len, option_names[key]))
            key++;
        if (key == OPT_COUNT) {
            char known[256] = "";
            for (int k = 0; k < OPT_COUNT; k++) {
                if (k > 0)
                    strcat(known, ", ");
                strcat(known, option_names[k]);
            }
            return fail(err, err_len, "unknown option %s (known: %s)",
                        quote(q, sizeof q, item, key_len), known);
        }
        if (seen & (1u << key))
            return fail(err, err_len, "option '%s' given twice", option_names[key]);
        seen |= 1u << key;

        const char *expected = set_value(opts, key, eq + 1, n - key_len - 1);
        if (expected)
            return fail(err, err_len, "option %s: expected %s", quote(q, sizeof q, item, n),
                        expected);

        item += n;
        if (*item == '\0')
            return true;
    }
}

bool lb_options_parse_size(const char *text, uint64_t *bytes)
{
    return text && parse_size(text, strlen(text), bytes);
}

bool lb_options_parse_duration(const char *text, uint64_t *ms)
{
    return text && parse_duration(text, strlen(text), ms);
}
