#include "match.h"

#include <stdlib.h>
#include <string.h>

#include "stack.h"

static int compare(const void *a, const void *b)
{
    const struct lbc_match_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    if (x->report != y->report)
        return x->report < y->report ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

bool lbc_match(struct lbc_report *const *reports, size_t nreports, int key_flags,
               struct lbc_match_entry **entries, size_t *count)
{
    size_t total = 0, n = 0;
    for (size_t r = 0; r < nreports; r++)
        total += reports[r]->nsites;
    struct lbc_match_entry *e = calloc(total ? total : 1, sizeof *e);
    if (!e)
        return false;
    for (size_t r = 0; r < nreports; r++)
        for (size_t i = 0; i < reports[r]->nsites; i++, n++) {
            e[n].report = r;
            e[n].site = &reports[r]->sites[i];
            e[n].key = lbc_stack_key(e[n].site, key_flags);
            if (!e[n].key) {
                lbc_match_free(e, n);
                return false;
            }
        }
    qsort(e, n, sizeof *e, compare);
    *entries = e;
    *count = n;
    return true;
}

size_t lbc_match_run_end(const struct lbc_match_entry *entries, size_t count, size_t start)
{
    size_t end = start + 1;
    while (end < count && strcmp(entries[end].key, entries[start].key) == 0)
        end++;
    return end;
}

void lbc_match_free(struct lbc_match_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(entries[i].key);
    free(entries);
}
