#include "junit.h"

#include <errno.h>
#include <string.h>

void lbc_junit_escape(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            fputc(*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r' ? '?' : *p, out);
        }
    }
}

bool lbc_junit_write(const char *path, const char *suite, const char *timestamp,
                     const struct lbc_junit_case *cases, size_t count)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    size_t failures = 0, skipped = 0;
    for (size_t i = 0; i < count; i++) {
        failures += cases[i].outcome == LBC_JUNIT_FAILED;
        skipped += cases[i].outcome == LBC_JUNIT_SKIPPED;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
    lbc_junit_escape(out, suite);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" timestamp=\"",
            count, failures, skipped);
    lbc_junit_escape(out, timestamp);
    fprintf(out, "\">\n");
    for (size_t i = 0; i < count; i++) {
        const struct lbc_junit_case *c = &cases[i];
        fprintf(out, "    <testcase classname=\"");
        lbc_junit_escape(out, c->classname);
        fprintf(out, "\" name=\"");
        lbc_junit_escape(out, c->name);
        fprintf(out, "\" time=\"0\"");
        if (c->outcome == LBC_JUNIT_PASSED) {
            fprintf(out, "/>\n");
            continue;
        }
        fprintf(out, ">\n      <%s message=\"",
                c->outcome == LBC_JUNIT_FAILED ? "failure type=\"leak\"" : "skipped");
        lbc_junit_escape(out, c->message ? c->message : "");
        if (c->outcome == LBC_JUNIT_SKIPPED || !c->details) {
            fprintf(out, "\"/>\n    </testcase>\n");
            continue;
        }
        fprintf(out, "\">");
        lbc_junit_escape(out, c->details);
        fprintf(out, "</failure>\n    </testcase>\n");
    }
    fprintf(out, "  </testsuite>\n</testsuites>\n");
    int saved = ferror(out) ? EIO : 0;
    if (fclose(out) != 0 && !saved)
        saved = errno;
    if (saved) {
        errno = saved;
        return false;
    }
    return true;
}
