/* Suppressions for check, as LeakSanitizer reads them: "leak:PATTERN" a line, '#' comments. */
#ifndef LBC_SUPPRESSIONS_H
#define LBC_SUPPRESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_reader.h"

struct lbc_suppression {
    char *pattern;
    int line;             /* in the file, for messages */
    int64_t sites, bytes; /* what it suppressed */
};

struct lbc_suppressions {
    struct lbc_suppression *items;
    size_t count;
};

/* Reads FILE; on a line that is neither blank, a comment nor "leak:PATTERN" returns false
 * and writes what was wrong, with the line number. */
bool lbc_suppressions_load(const char *path, struct lbc_suppressions *out, char *err,
                           size_t err_len);

/* LeakSanitizer's template match: '*' matches any run of characters, a leading '^' anchors
 * the pattern at the start of text and a trailing '$' at its end; otherwise it may match
 * anywhere in text. A '$' elsewhere is an ordinary character (Outer$Inner). */
bool lbc_suppressions_template_match(const char *pattern, const char *text);

/* The first suppression that matches a frame of the site (a Java frame's class.method, a
 * native frame's symbol or module path), counting the site and its bytes to it; NULL if
 * none does. */
struct lbc_suppression *lbc_suppressions_match(struct lbc_suppressions *sup,
                                               const struct lbc_site *site);

void lbc_suppressions_free(struct lbc_suppressions *sup);

#endif
