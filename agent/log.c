#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void lb_log(const char *fmt, ...)
{
    /* Build the whole line first so that one write() keeps it whole among other threads. */
    char line[1024];
    int n = snprintf(line, sizeof line, "leakbridge: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}
