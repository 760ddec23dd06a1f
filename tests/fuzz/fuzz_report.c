/* libFuzzer target over the report reader: any bytes either fail to load with a message or
 * give a report whose sites the commands can key, match, describe and print, and whose memory
 * section they can print, diff and merge; the merge of a report with itself reads again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "memory.h"
#include "report_reader.h"
#include "runs.h"
#include "stack.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The memory section printed, diffed, drawn and merged; a merge that succeeds gives a section
 * the reader takes. */
static void exercise_memory(struct lbc_report *r, FILE *sink)
{
    char err[LBC_ERR_MAX];
    lbc_memory_print(sink, r);
    lbc_memory_print_diff(sink, r, r);
    json_decref(lbc_memory_json(r));
    json_decref(lbc_memory_diff_json(r, r));
    json_decref(lbc_memory_flame(r, r));
    struct lbc_report *both[2] = {r, r};
    json_t *section;
    if (!lbc_memory_merge(both, 2, &section, err, sizeof err)) {
        if (!err[0])
            abort(); /* a failed merge must say why */
        return;
    }
    if (!section)
        return;
    json_t *doc = json_deep_copy(r->root);
    if (!doc || json_object_set_new(doc, "memory", section) != 0) {
        json_decref(doc);
        return;
    }
    struct lbc_report *merged = lbc_reader_from_json(doc, "merged.json", err, sizeof err);
    if (!merged || merged->memory.rss_bytes != 2 * r->memory.rss_bytes)
        abort(); /* the sums of a valid section are a valid section */
    lbc_reader_free(merged);
}

static void exercise(struct lbc_report *r)
{
    static FILE *sink;
    char text[LBC_FRAME_TEXT_MAX * 2], units[LBC_UNITS_MAX];
    if (!sink)
        sink = fopen("/dev/null", "w");
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        free(lbc_stack_key(s, 0));
        free(lbc_stack_key(s, LBC_KEY_SYMBOLS));
        lbc_stack_stable_headline(s, text, sizeof text);
        lbc_stack_headline(s, text, sizeof text);
        lbc_stack_print(sink, s, i % 2 == 0);
        lb_units_bytes(s->live_bytes, units);
        lbc_units_growth(s->growth_bytes, units);
        lbc_units_share(s->live_bytes, r->live_bytes, units);
        for (size_t j = 0; j < s->nframes; j++) {
            lbc_stack_describe(&s->frames[j], 0, text, sizeof text);
            lbc_stack_name(&s->frames[j], text, sizeof text);
        }
    }
    exercise_memory(r, sink);
    struct lbc_report *both[2] = {r, r};
    bool keep[2];
    if (lbc_runs_latest(both, 2, keep) != (r->merged_inputs || !r->has_start ? 0u : 1u))
        abort(); /* a report is of its own run, unless merged or without a start */
    struct lbc_match_entry *entries;
    size_t count;
    if (lbc_match(both, 2, LBC_KEY_SYMBOLS, &entries, &count)) {
        for (size_t i = 0; i < count; i = lbc_match_run_end(entries, count, i))
            ;
        lbc_match_free(entries, count);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    char err[LBC_ERR_MAX];
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    if (!root)
        return 0;
    struct lbc_report *r = lbc_reader_from_json(root, "fuzz.json", err, sizeof err);
    if (r)
        exercise(r);
    else if (!err[0])
        abort(); /* a refusal must say why */
    lbc_reader_free(r);
    return 0;
}
