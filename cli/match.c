#include "match.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* Sites' keys share long prefixes (kind, the same first frames), which strcmp would walk
 * again at every comparison of the sort: they are sorted by this hash first, eight bytes at a
 * time (a multiply and a shift each), the length and the last bytes folded in. */
static uint64_t hash_of(const char *key)
{
    size_t len = strlen(key), i = 0;
    uint64_t h = 14695981039346656037ull ^ len, w;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    for (w = 0; i < len; i++)
        w = w << 8 | (unsigned char)key[i];
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

/* Equal keys end up together, in an order fixed by their hashes (not by the keys' text). */
static int compare(const void *a, const void *b)
{
    const struct lbc_match_entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    if (x->report != y->report)
        return x->report < y->report ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

/* Keys of entries [start, end): a half of them, on a thread of its own for big reports. */
struct keys_job {
    struct lbc_match_entry *e;
    size_t start, end;
    int flags;
    bool ok;
};

static void *make_keys(void *arg)
{
    struct keys_job *j = arg;
    j->ok = true;
    for (size_t i = j->start; i < j->end; i++) {
        struct lbc_match_entry *e = &j->e[i];
        if ((e->key = lbc_stack_key(e->site, j->flags)) != NULL)
            e->hash = hash_of(e->key);
        else
            j->ok = false;
    }
    return NULL;
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
        }
    /* Building the keys is most of the match's time: two threads share it. */
    struct keys_job jobs[2] = {{e, 0, n / 2, key_flags, false}, {e, n / 2, n, key_flags, false}};
    pthread_t other;
    bool threaded = n >= 10000 && pthread_create(&other, NULL, make_keys, &jobs[1]) == 0;
    make_keys(&jobs[0]);
    if (threaded)
        pthread_join(other, NULL);
    else
        make_keys(&jobs[1]);
    if (!jobs[0].ok || !jobs[1].ok) {
        lbc_match_free(e, n);
        return false;
    }
    qsort(e, n, sizeof *e, compare);
    *entries = e;
    *count = n;
    return true;
}

size_t lbc_match_run_end(const struct lbc_match_entry *entries, size_t count, size_t start)
{
    size_t end = start + 1;
    while (end < count && entries[end].hash == entries[start].hash &&
           strcmp(entries[end].key, entries[start].key) == 0)
        end++;
    return end;
}

void lbc_match_free(struct lbc_match_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(entries[i].key);
    free(entries);
}
