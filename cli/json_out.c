#include "json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stack.h"

bool lbc_json_set(json_t *obj, const char *key, json_t *value)
{
    return obj && value && json_object_set_new(obj, key, value) == 0;
}

json_t *lbc_json_text(const char *text)
{
    json_t *s = json_string(text);
    if (s || !text)
        return s;
    /* Not UTF-8 (a file name, or a text cut in a character): as the agent does, '?' for every
     * non-ASCII byte. */
    char *copy = strdup(text);
    for (char *p = copy; p && *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    s = copy ? json_string(copy) : NULL;
    free(copy);
    return s;
}

bool lbc_json_print(json_t *doc)
{
    if (!doc) {
        lbc_error("out of memory");
        return false;
    }
    int rc = json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(4));
    json_decref(doc);
    fputc('\n', stdout);
    return rc == 0; /* main says when stdout cannot be written */
}

json_t *lbc_json_report(const struct lbc_report *r)
{
    json_t *out =
        json_pack("{sosIsIsssssIsbsIsIsI}", "path", lbc_json_text(r->path), "pid",
                  (json_int_t)r->pid, "sequence", (json_int_t)r->sequence, "reason", r->reason,
                  "time", r->time, "uptime_ms", (json_int_t)r->uptime_ms, "estimated", r->estimated,
                  "live_bytes", (json_int_t)r->live_bytes, "live_count", (json_int_t)r->live_count,
                  "sites", (json_int_t)r->nsites);
    if (out && r->merged_inputs &&
        !lbc_json_set(out, "merged_inputs", json_integer(r->merged_inputs))) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* owners=on: the lines top -v prints under the site, as an array of strings. */
static json_t *held_by(const struct lbc_site *s)
{
    char *text = lbc_stack_owners_text(s);
    if (!text)
        return NULL;
    json_t *lines = json_array();
    for (char *line = text, *end; lines && line && *line; line = end + 1) {
        end = strchr(line, '\n');
        if (!end)
            break;
        *end = '\0';
        if (json_array_append_new(lines, lbc_json_text(line)) != 0) {
            json_decref(lines);
            lines = NULL;
        }
    }
    free(text);
    return lines;
}

json_t *lbc_json_site(const struct lbc_site *s)
{
    char name[LBC_FRAME_TEXT_MAX * 2], stable[LBC_FRAME_TEXT_MAX * 2];
    json_t *out =
        json_pack("{sIssss}", "id", (json_int_t)s->id, "kind", s->kind, "status", s->status);
    bool ok = out != NULL;
    if (ok && s->status_rule)
        ok = lbc_json_set(out, "status_rule", json_string(s->status_rule));
    ok = ok && lbc_json_set(out, "name", lbc_json_text(lbc_stack_headline(s, name, sizeof name))) &&
         lbc_json_set(out, "stable_name",
                      lbc_json_text(lbc_stack_stable_headline(s, stable, sizeof stable))) &&
         lbc_json_set(out, "live_bytes", json_integer(s->live_bytes)) &&
         lbc_json_set(out, "live_count", json_integer(s->live_count));
    if (ok && s->has_growth)
        ok = lbc_json_set(out, "growth",
                          json_pack("{sIsIsI}", "bytes", (json_int_t)s->growth_bytes, "count",
                                    (json_int_t)s->growth_count, "streak",
                                    (json_int_t)s->growth_streak));
    if (ok && s->has_gc_released)
        ok = lbc_json_set(out, "gc_released",
                          json_pack("{sIsI}", "bytes", (json_int_t)s->gc_released_bytes, "count",
                                    (json_int_t)s->gc_released_count));
    if (ok && s->has_inputs)
        ok = lbc_json_set(out, "inputs", json_integer(s->inputs));
    if (ok && s->owners)
        ok = lbc_json_set(out, "held_by", held_by(s));
    ok = ok && lbc_json_set(out, "frames", lbc_reader_frames_json(s));
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}
