/* Reading a big JSON document a piece at a time (yajl, a streaming parser): the document as
 * light nodes, except the items of one array member of the root object, which are handed over
 * one at a time as they are parsed and then let go. A report's sites are read this way: the
 * report's text is never held as a tree. */
#ifndef LBC_JSON_STREAM_H
#define LBC_JSON_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lbc_node_type {
    LBC_NODE_OBJECT,
    LBC_NODE_ARRAY,
    LBC_NODE_STRING,
    LBC_NODE_INTEGER,
    LBC_NODE_REAL,
    LBC_NODE_TRUE,
    LBC_NODE_FALSE,
    LBC_NODE_NULL,
};

struct lbc_node {
    enum lbc_node_type type;
    bool streamed;                 /* the array whose items were handed over (none kept) */
    const char *key;               /* its name in its object */
    struct lbc_node *next;         /* the next member or item */
    struct lbc_node *first, *last; /* an object's members, an array's items */
    size_t count;                  /* how many (also of a streamed array) */
    const char *text;              /* a string, without NUL bytes */
    int64_t integer;
    double real;
};

/* The member key of obj; NULL if obj is not an object or has none. */
struct lbc_node *lbc_node_get(const struct lbc_node *obj, const char *key);

/* A node as a jansson value, without the items of a streamed array (an empty array); NULL when
 * out of memory. */
json_t *lbc_node_json(const struct lbc_node *node);

/* Called with each item of the streamed array, index from 0; the item lives until it returns. */
typedef void lbc_stream_item(void *ctx, const struct lbc_node *item, size_t index);

struct lbc_stream;

/* Parses text (len bytes) as one JSON document; the array at member stream_key of the root
 * object is streamed to item. Keys are unique in every object, strings are UTF-8 without NUL,
 * integers fit in 64 bits and nesting is at most 2048 deep. Returns the parse, whose root lives
 * until lbc_stream_free; NULL with a one-line message in err: "truncated: the JSON ends early
 * (line 3)", "not valid JSON: ... at line 1, column 7". release, if not NULL, is called with
 * how many bytes of text were read, every few megabytes (to give back their memory). */
struct lbc_stream *lbc_stream_parse(const char *text, size_t len, const char *stream_key,
                                    lbc_stream_item *item, void *ctx,
                                    void (*release)(void *ctx, size_t done), char *err,
                                    size_t err_len);

const struct lbc_node *lbc_stream_root(const struct lbc_stream *s);

void lbc_stream_free(struct lbc_stream *s);

#endif
