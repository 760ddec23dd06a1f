/* Interned strings: one copy of each distinct string, kept until the set is freed. A report's
 * sites name the same classes, methods and libraries again and again. */
#ifndef LBC_INTERN_H
#define LBC_INTERN_H

#include <stddef.h>

struct lbc_strings;

/* An empty set; NULL when out of memory. */
struct lbc_strings *lbc_strings_new(void);

/* The set's copy of s (added if it has none); NULL when out of memory. */
const char *lbc_strings_intern(struct lbc_strings *set, const char *s);

/* A copy of s kept with the set, not looked up: for strings that seldom repeat (offsets). */
const char *lbc_strings_copy(struct lbc_strings *set, const char *s);

/* Bytes the set holds (copies and table), for the benchmark's accounting. */
size_t lbc_strings_bytes(const struct lbc_strings *set);

void lbc_strings_free(struct lbc_strings *set);

#endif
