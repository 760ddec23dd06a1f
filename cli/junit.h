/* JUnit XML for check: one test case per site, so CI servers show leaks as failed tests. */
#ifndef LBC_JUNIT_H
#define LBC_JUNIT_H

#include <stdbool.h>
#include <stdio.h>

enum lbc_junit_outcome { LBC_JUNIT_PASSED, LBC_JUNIT_FAILED, LBC_JUNIT_SKIPPED };

struct lbc_junit_case {
    const char *classname, *name;
    enum lbc_junit_outcome outcome;
    const char *message; /* failure or skip message */
    const char *details; /* failure text (the stack), may be NULL */
};

/* Writes a JUnit XML document with one test suite to path; false (errno set) on failure. */
bool lbc_junit_write(const char *path, const char *suite, const char *timestamp,
                     const struct lbc_junit_case *cases, size_t count);

/* Writes text with XML's special characters escaped; control characters XML 1.0 cannot hold
 * become '?'. */
void lbc_junit_escape(FILE *out, const char *text);

#endif
