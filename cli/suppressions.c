#include "suppressions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* Whether all of text matches pattern[0..n), in which '*' matches any run of characters. */
static bool glob(const char *p, size_t n, const char *t)
{
    size_t i = 0, star = (size_t)-1;
    const char *retry = NULL;
    while (*t) {
        if (i < n && p[i] == '*') {
            star = i++;
            retry = t;
        } else if (i < n && p[i] == *t) {
            i++;
            t++;
        } else if (retry) {
            i = star + 1;
            t = ++retry;
        } else {
            return false;
        }
    }
    while (i < n && p[i] == '*')
        i++;
    return i == n;
}

bool lbc_suppressions_template_match(const char *pattern, const char *text)
{
    if (!text || !text[0] || !pattern[0])
        return false;
    /* An anchor-only pattern ("^", "$", "^$") matches nothing, as in LeakSanitizer. */
    if (strcmp(pattern, "^") == 0 || strcmp(pattern, "$") == 0 || strcmp(pattern, "^$") == 0)
        return false;
    /* "^a*b$" is glob "a*b" over the whole text; without '^' or '$' the pattern may start or
     * end anywhere: "*a*b*". A '$' before the end is an ordinary character (Outer$Inner). */
    bool start = pattern[0] == '^';
    const char *body = pattern + start;
    size_t n = strlen(body);
    bool end = n > 0 && body[n - 1] == '$';
    n -= end;
    char *full = malloc(n + 3);
    if (!full)
        return false;
    size_t len = 0;
    if (!start)
        full[len++] = '*';
    memcpy(full + len, body, n);
    len += n;
    if (!end)
        full[len++] = '*';
    bool match = glob(full, len, text);
    free(full);
    return match;
}

static void trim(char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
    char *e = *s + strlen(*s);
    while (e > *s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
}

bool lbc_suppressions_load(const char *path, struct lbc_suppressions *out, char *err,
                           size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "cannot open: %s", strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    int number = 0;
    bool ok = true;
    ssize_t got;
    while (ok && (got = getline(&line, &cap, f)) != -1) {
        char *s = line;
        number++;
        if (memchr(line, '\0', (size_t)got)) {
            /* The pattern would end at the NUL: "leak:a<NUL>b" matching what "leak:a" does. */
            snprintf(err, err_len, "line %d: a NUL byte in the line", number);
            ok = false;
            break;
        }
        trim(&s);
        if (!s[0] || s[0] == '#')
            continue;
        if (strncmp(s, "leak:", 5) != 0 || !s[5]) {
            snprintf(err, err_len, "line %d: expected leak:PATTERN, found '%.60s'", number, s);
            ok = false;
            break;
        }
        const char *body = s + 5 + (s[5] == '^');
        size_t blen = strlen(body);
        if (blen == 0 || (blen == 1 && body[0] == '$')) {
            /* LeakSanitizer matches nothing with an empty pattern; here it would match every
             * frame, so a typo would pass every leak: refuse it. */
            snprintf(err, err_len, "line %d: '%.60s' has no pattern between its anchors", number,
                     s);
            ok = false;
            break;
        }
        struct lbc_suppression *grown = realloc(out->items, (out->count + 1) * sizeof *out->items);
        if (!grown || !(s = strdup(s + 5))) {
            if (grown)
                out->items = grown;
            snprintf(err, err_len, "out of memory");
            ok = false;
            break;
        }
        out->items = grown;
        out->items[out->count++] = (struct lbc_suppression){s, number, 0, 0};
    }
    if (ok && ferror(f)) {
        snprintf(err, err_len, "cannot read: %s", strerror(errno));
        ok = false;
    }
    free(line);
    fclose(f);
    return ok;
}

static bool matches_frame(const char *pattern, const struct lbc_frame *f)
{
    char name[LBC_FRAME_TEXT_MAX];
    if (f->type == LBC_FRAME_JAVA)
        return lbc_suppressions_template_match(pattern, lbc_stack_name(f, name, sizeof name));
    if (f->type == LBC_FRAME_NATIVE)
        return lbc_suppressions_template_match(pattern, f->symbol) ||
               lbc_suppressions_template_match(pattern, f->module);
    return false;
}

struct lbc_suppression *lbc_suppressions_match(struct lbc_suppressions *sup,
                                               const struct lbc_site *site)
{
    for (size_t i = 0; i < sup->count; i++)
        for (size_t j = 0; j < site->nframes; j++)
            if (matches_frame(sup->items[i].pattern, &site->frames[j])) {
                sup->items[i].sites++;
                /* Over several reports the sum may not fit: it saturates. */
                if (__builtin_add_overflow(sup->items[i].bytes, site->live_bytes,
                                           &sup->items[i].bytes))
                    sup->items[i].bytes = INT64_MAX;
                return &sup->items[i];
            }
    return NULL;
}

void lbc_suppressions_free(struct lbc_suppressions *sup)
{
    for (size_t i = 0; i < sup->count; i++)
        free(sup->items[i].pattern);
    free(sup->items);
    sup->items = NULL;
    sup->count = 0;
}
