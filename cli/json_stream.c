#include "json_stream.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define DEPTH_MAX 2048
#define BLOCK_SIZE (64 * 1024)
#define CHUNK_SIZE (8u << 20) /* text given to yajl at a time */

/* Memory for nodes and their strings, given back all at once (reset keeps the blocks). */
struct arena {
    char **blocks;
    size_t nblocks, current, used;
};

static void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size > BLOCK_SIZE) /* a long string: a block of its own, after the current one */
        return NULL;
    if (!a->nblocks || a->used + size > BLOCK_SIZE) {
        if (a->nblocks && a->current + 1 < a->nblocks) {
            a->current++;
        } else {
            char **blocks = realloc(a->blocks, (a->nblocks + 1) * sizeof *blocks);
            if (!blocks)
                return NULL;
            a->blocks = blocks;
            if (!(blocks[a->nblocks] = malloc(BLOCK_SIZE)))
                return NULL;
            a->current = a->nblocks++;
        }
        a->used = 0;
    }
    void *p = a->blocks[a->current] + a->used;
    a->used += size;
    return p;
}

static void arena_reset(struct arena *a)
{
    a->current = 0;
    a->used = 0;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->nblocks; i++)
        free(a->blocks[i]);
    free(a->blocks);
}

/* Strings longer than a block: each malloc'ed, freed with the parse. */
struct big {
    struct big *next;
    char text[];
};

struct lbc_stream {
    struct arena kept, item; /* the document; the streamed item being parsed */
    struct big *bigs, *item_bigs;
    struct lbc_node *root;
    struct lbc_node *stack[DEPTH_MAX + 1];
    const char *keys[DEPTH_MAX + 1]; /* the key of the next member of each open object */
    size_t depth;
    const char *stream_key;
    lbc_stream_item *item_fn;
    void *ctx;
    char *err;
    size_t err_len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct lbc_stream *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, s->err_len, fmt, ap);
    va_end(ap);
    return 0;
}

static bool in_item(const struct lbc_stream *s)
{
    return s->depth >= 2 && s->stack[1]->streamed;
}

static void *alloc(struct lbc_stream *s, size_t size)
{
    struct arena *a = in_item(s) ? &s->item : &s->kept;
    void *p = arena_alloc(a, size);
    if (!p && size > BLOCK_SIZE / 2) {
        struct big *b = malloc(sizeof *b + size);
        struct big **list = in_item(s) ? &s->item_bigs : &s->bigs;
        if (b) {
            b->next = *list;
            *list = b;
            p = b->text;
        }
    }
    if (!p)
        fail(s, "out of memory");
    return p;
}

static void free_bigs(struct big **list)
{
    for (struct big *b = *list, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    *list = NULL;
}

/* Whether text is UTF-8 without NUL: yajl checks the raw text, not what \\u escapes decode to
 * (a lone surrogate such as \\ud800). */
static bool valid_text(struct lbc_stream *s, const unsigned char *text, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (size_t i = 0; i < len;) {
        uint64_t w; /* eight ASCII bytes, none NUL, at a time: most of a report */
        if (i + 8 <= len && (memcpy(&w, text + i, 8), !((((w - ones) & ~w) | w) & highs))) {
            i += 8;
            continue;
        }
        uint32_t c = text[i], min;
        size_t more;
        if (c && c < 0x80) {
            i++;
            continue;
        }
        if (!c)
            return fail(s, "not valid JSON: \\u0000 is not allowed");
        if ((c & 0xe0) == 0xc0)
            more = 1, min = 0x80, c &= 0x1f;
        else if ((c & 0xf0) == 0xe0)
            more = 2, min = 0x800, c &= 0x0f;
        else if ((c & 0xf8) == 0xf0)
            more = 3, min = 0x10000, c &= 0x07;
        else
            more = 0, min = 1; /* not a first byte */
        for (size_t k = 1; more && k <= more; k++) {
            if (i + k >= len || (text[i + k] & 0xc0) != 0x80)
                more = 0;
            else
                c = c << 6 | (text[i + k] & 0x3f);
        }
        if (!more || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return fail(s, "not valid JSON: invalid Unicode in a string");
        i += more + 1;
    }
    return true;
}

static const char *copy(struct lbc_stream *s, const unsigned char *text, size_t len)
{
    if (!valid_text(s, text, len))
        return NULL;
    char *out = alloc(s, len + 1);
    if (out) {
        memcpy(out, text, len);
        out[len] = 0;
    }
    return out;
}

/* An item of the streamed array is complete: handed over, then let go. */
static void item_done(struct lbc_stream *s, struct lbc_node *array, struct lbc_node *item)
{
    s->item_fn(s->ctx, item, array->count - 1);
    array->first = array->last = NULL;
    arena_reset(&s->item);
    free_bigs(&s->item_bigs);
}

/* A new node in the open container (or as the root). */
static struct lbc_node *add(struct lbc_stream *s, enum lbc_node_type type)
{
    struct lbc_node *n = alloc(s, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->type = type;
    if (!s->depth) {
        s->root = n;
        return n;
    }
    struct lbc_node *parent = s->stack[s->depth - 1];
    if (parent->type == LBC_NODE_OBJECT)
        n->key = s->keys[s->depth - 1];
    if (parent->last)
        parent->last->next = n;
    else
        parent->first = n;
    parent->last = n;
    parent->count++;
    return n;
}

/* A scalar added: if it is an item of the streamed array, it is complete. */
static int scalar_added(struct lbc_stream *s, struct lbc_node *n)
{
    if (!n)
        return 0;
    if (s->depth == 2 && s->stack[1]->streamed)
        item_done(s, s->stack[1], n);
    return 1;
}

static int on_null(void *ctx)
{
    return scalar_added(ctx, add(ctx, LBC_NODE_NULL));
}

static int on_boolean(void *ctx, int value)
{
    return scalar_added(ctx, add(ctx, value ? LBC_NODE_TRUE : LBC_NODE_FALSE));
}

static int on_number(void *ctx, const char *text, size_t len)
{
    struct lbc_stream *s = ctx;
    if (len < 19 && text[0] != '-' && !memchr(text, '.', len) && !memchr(text, 'e', len) &&
        !memchr(text, 'E', len)) {
        /* Most numbers: digits that fit, read without strtoll's copy. */
        struct lbc_node *n = add(s, LBC_NODE_INTEGER);
        if (!n)
            return 0;
        for (size_t i = 0; i < len; i++)
            n->integer = n->integer * 10 + (text[i] - '0');
        return scalar_added(s, n);
    }
    char buf[64];
    bool real = memchr(text, '.', len) || memchr(text, 'e', len) || memchr(text, 'E', len);
    if (len >= sizeof buf)
        return real ? fail(s, "not valid JSON: real number overflow near '%.40s'", text)
                    : fail(s, "not valid JSON: too big integer near '%.40s'", text);
    memcpy(buf, text, len);
    buf[len] = 0;
    struct lbc_node *n = add(s, real ? LBC_NODE_REAL : LBC_NODE_INTEGER);
    if (!n)
        return 0;
    errno = 0;
    if (real)
        n->real = strtod(buf, NULL);
    else
        n->integer = strtoll(buf, NULL, 10);
    if (errno == ERANGE && (!real || isinf(n->real)))
        return real ? fail(s, "not valid JSON: real number overflow near '%s'", buf)
                    : fail(s, "not valid JSON: too big integer near '%s'", buf);
    return scalar_added(s, n);
}

static int on_string(void *ctx, const unsigned char *text, size_t len)
{
    struct lbc_stream *s = ctx;
    struct lbc_node *n = add(s, LBC_NODE_STRING);
    return n && (n->text = copy(s, text, len)) && scalar_added(s, n);
}

static int open_node(struct lbc_stream *s, enum lbc_node_type type)
{
    if (s->depth == DEPTH_MAX)
        return fail(s, "not valid JSON: maximum parsing depth reached (%d)", DEPTH_MAX);
    struct lbc_node *n = add(s, type);
    if (!n)
        return 0;
    n->streamed = type == LBC_NODE_ARRAY && s->depth == 1 && s->stream_key &&
                  s->stack[0]->type == LBC_NODE_OBJECT && strcmp(n->key, s->stream_key) == 0;
    s->stack[s->depth++] = n;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_node(ctx, LBC_NODE_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_node(ctx, LBC_NODE_ARRAY);
}

static int on_key(void *ctx, const unsigned char *text, size_t len)
{
    struct lbc_stream *s = ctx;
    return (s->keys[s->depth - 1] = copy(s, text, len)) != NULL;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp((*(struct lbc_node *const *)a)->key, (*(struct lbc_node *const *)b)->key);
}

/* Whether two members of obj share a key; says which in the error. */
static bool duplicate(struct lbc_stream *s, const struct lbc_node *obj)
{
    const char *key = NULL;
    if (obj->count <= 16) {
        for (const struct lbc_node *a = obj->first; a && !key; a = a->next)
            for (const struct lbc_node *b = a->next; b && !key; b = b->next)
                if (a->key[0] == b->key[0] && strcmp(a->key, b->key) == 0)
                    key = a->key;
    } else {
        const struct lbc_node **sorted = malloc(obj->count * sizeof *sorted);
        size_t n = 0;
        if (!sorted)
            return !fail(s, "out of memory");
        for (const struct lbc_node *m = obj->first; m; m = m->next)
            sorted[n++] = m;
        qsort(sorted, n, sizeof *sorted, compare_keys);
        for (size_t i = 1; i < n && !key; i++)
            if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
                key = sorted[i]->key;
        free(sorted);
    }
    return key && !fail(s, "not valid JSON: duplicate object key \"%.60s\"", key);
}

static int close_node(struct lbc_stream *s)
{
    struct lbc_node *n = s->stack[--s->depth];
    if (n->type == LBC_NODE_OBJECT && duplicate(s, n))
        return 0;
    if (s->depth == 2 && s->stack[1]->streamed)
        item_done(s, s->stack[1], n);
    return 1;
}

static int on_end(void *ctx)
{
    return close_node(ctx);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

/* The line and column (in characters, from 1) of text[at]. */
static void place(const char *text, size_t at, int *line, int *column)
{
    const char *bol = text, *end = text + at;
    *line = 1;
    for (const char *q = text; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; bol = ++q)
        ++*line;
    *column = 1;
    for (const char *q = bol; q < end; q++)
        *column += ((unsigned char)*q & 0xc0) != 0x80;
}

/* yajl's message, on one line, at the place it stopped. */
static void parse_error(struct lbc_stream *s, yajl_handle h, const char *text, size_t len,
                        size_t at)
{
    int line, column;
    unsigned char *message = yajl_get_error(h, 0, NULL, 0);
    char what[160];
    snprintf(what, sizeof what, "%s", message ? (const char *)message : "parse error");
    yajl_free_error(h, message);
    what[strcspn(what, "\n")] = 0;
    if (what[0] && what[strlen(what) - 1] == '.')
        what[strlen(what) - 1] = 0;
    if (strstr(what, "premature EOF")) {
        place(text, len, &line, &column);
        fail(s, "truncated: the JSON ends early (line %d)", line);
        return;
    }
    place(text, at > len ? len : at, &line, &column);
    fail(s, "not valid JSON: %s at line %d, column %d", what, line, column);
}

struct lbc_stream *lbc_stream_parse(const char *text, size_t len, const char *stream_key,
                                    lbc_stream_item *item, void *ctx,
                                    void (*release)(void *ctx, size_t done), char *err,
                                    size_t err_len)
{
    struct lbc_stream *s = calloc(1, sizeof *s);
    yajl_handle h = s ? yajl_alloc(&callbacks, NULL, s) : NULL;
    if (!h) {
        free(s);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    s->stream_key = stream_key;
    s->item_fn = item;
    s->ctx = ctx;
    s->err = err;
    s->err_len = err_len;
    err[0] = 0;
    yajl_status status = yajl_status_ok;
    size_t done = 0;
    while (status == yajl_status_ok && done < len) {
        size_t n = len - done < CHUNK_SIZE ? len - done : CHUNK_SIZE;
        status = yajl_parse(h, (const unsigned char *)text + done, n);
        if (status != yajl_status_ok) {
            done += yajl_get_bytes_consumed(h);
            break;
        }
        done += n;
        if (release)
            release(ctx, done);
    }
    if (status == yajl_status_ok)
        status = yajl_complete_parse(h);
    if (status == yajl_status_error)
        parse_error(s, h, text, len, done);
    else if (status == yajl_status_client_canceled && !err[0])
        snprintf(err, err_len, "out of memory");
    else if (status == yajl_status_client_canceled && strncmp(err, "not valid JSON", 14) == 0) {
        int line, column;
        size_t used = strlen(err);
        place(text, done > len ? len : done, &line, &column);
        snprintf(err + used, err_len - used, " at line %d, column %d", line, column);
    }
    yajl_free(h);
    if (status != yajl_status_ok) {
        lbc_stream_free(s);
        return NULL;
    }
    return s;
}

const struct lbc_node *lbc_stream_root(const struct lbc_stream *s)
{
    return s->root;
}

void lbc_stream_free(struct lbc_stream *s)
{
    if (!s)
        return;
    arena_free(&s->kept);
    arena_free(&s->item);
    free_bigs(&s->bigs);
    free_bigs(&s->item_bigs);
    free(s);
}

struct lbc_node *lbc_node_get(const struct lbc_node *obj, const char *key)
{
    if (!obj || obj->type != LBC_NODE_OBJECT)
        return NULL;
    for (struct lbc_node *m = obj->first; m; m = m->next)
        if (m->key[0] == key[0] && strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

json_t *lbc_node_json(const struct lbc_node *n)
{
    json_t *out = NULL;
    switch (n->type) {
    case LBC_NODE_OBJECT:
        out = json_object();
        for (const struct lbc_node *m = n->first; out && m; m = m->next)
            if (json_object_set_new(out, m->key, lbc_node_json(m)) != 0) {
                json_decref(out);
                out = NULL;
            }
        break;
    case LBC_NODE_ARRAY:
        out = json_array();
        for (const struct lbc_node *m = n->first; out && m; m = m->next)
            if (json_array_append_new(out, lbc_node_json(m)) != 0) {
                json_decref(out);
                out = NULL;
            }
        break;
    case LBC_NODE_STRING:
        out = json_string(n->text);
        break;
    case LBC_NODE_INTEGER:
        out = json_integer(n->integer);
        break;
    case LBC_NODE_REAL:
        out = json_real(n->real);
        break;
    case LBC_NODE_TRUE:
        out = json_true();
        break;
    case LBC_NODE_FALSE:
        out = json_false();
        break;
    case LBC_NODE_NULL:
        out = json_null();
        break;
    }
    return out;
}
