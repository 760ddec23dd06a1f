/* Matching sites across reports by their frames (lbc_stack_key), never by id. */
#ifndef LBC_MATCH_H
#define LBC_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "report_reader.h"

struct lbc_match_entry {
    char *key;
    uint64_t hash; /* of key: most comparisons in the sort end there */
    size_t report; /* index into the reports given */
    struct lbc_site *site;
};

/* Every site of every report with its key (lbc_stack_key with key_flags), sorted by key, then
 * report, then the site's place in its report: a run of equal keys is one site across the
 * reports (a report may hold several sites with one key, which differ in lines or offsets
 * only). Returns false when out of memory. Free with lbc_match_free. */
bool lbc_match(struct lbc_report *const *reports, size_t nreports, int key_flags,
               struct lbc_match_entry **entries, size_t *count);

/* The end of the run of entries that starts at start. */
size_t lbc_match_run_end(const struct lbc_match_entry *entries, size_t count, size_t start);

void lbc_match_free(struct lbc_match_entry *entries, size_t count);

#endif
