/* leakbridge flame: live bytes over the mixed stacks as a self-contained HTML flame graph, or
 * as folded stacks for FlameGraph, speedscope and inferno; with --diff, growth between two
 * reports. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "memory.h"
#include "report_reader.h"
#include "stack.h"
#include "units.h"

extern const char lbc_flame_html[];

static const char usage[] =
    "usage: leakbridge flame REPORT -o FILE.html\n"
    "       leakbridge flame REPORT --collapsed\n"
    "       leakbridge flame --diff OLD NEW [-o FILE.html | --collapsed]\n"
    "\n"
    "A flame graph of live bytes over the mixed Java and native stacks: the outermost caller\n"
    "at the bottom, the allocating frame on top, each frame as wide as the bytes allocated\n"
    "under it. The HTML file needs no network: click a frame to zoom, search by name, hover\n"
    "for bytes, blocks and share. Java frames are green, native frames orange.\n"
    "\n"
    "  -o, --output FILE  write the HTML flame graph to FILE\n"
    "  --collapsed        print folded stacks, 'outer;...;leaf BYTES' a line, for\n"
    "                     flamegraph.pl, speedscope and inferno; with --diff,\n"
    "                     'outer;...;leaf OLD NEW' as difffolded.pl writes them\n"
    "  --diff             compare OLD and NEW: frames as wide as NEW's bytes, red where they\n"
    "                     grew, blue where they shrank (sites matched by frames)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0, or 2 if a report cannot be read or FILE cannot be written.\n";

struct node {
    char *name;
    char type; /* 'r' root, 'j' Java, 'n' native, 'o' other */
    int64_t bytes, count, old_bytes;
    int64_t self_bytes, self_old; /* of stacks that end here */
    char *held; /* owners=on: what holds the blocks of the sites ending here, or NULL */
    struct node **children;
    size_t nchildren, cap;
    struct node **index; /* the children by name, when there are many; nindex slots */
    size_t nindex;
};

static void free_node(struct node *n)
{
    for (size_t i = 0; i < n->nchildren; i++)
        free_node(n->children[i]);
    free(n->children);
    free(n->index);
    free(n->held);
    free(n->name);
    free(n);
}

static struct node *new_node(const char *name, char type)
{
    struct node *n = calloc(1, sizeof *n);
    if (n && !(n->name = strdup(name))) {
        free(n);
        return NULL;
    }
    if (n)
        n->type = type;
    return n;
}

static size_t name_hash(const char *name, char type)
{
    size_t h = (size_t)type;
    for (const char *p = name; *p; p++)
        h = h * 31 + (unsigned char)*p;
    return h;
}

/* The slot of the child (name, type) in parent's index, or the empty one where it goes. */
static struct node **index_slot(struct node **index, size_t nindex, const char *name, char type)
{
    size_t i = name_hash(name, type) & (nindex - 1);
    while (index[i] && (index[i]->type != type || strcmp(index[i]->name, name) != 0))
        i = (i + 1) & (nindex - 1);
    return &index[i];
}

/* A node's children indexed by name once it has more than a few (a report of 200,000 sites has
 * thousands under one frame); false when out of memory. */
static bool reindex(struct node *parent)
{
    if (parent->nchildren < 16 || parent->nchildren * 2 < parent->nindex)
        return true;
    size_t nindex = 64;
    while (nindex < parent->nchildren * 4)
        nindex *= 2;
    struct node **index = calloc(nindex, sizeof *index);
    if (!index)
        return false;
    for (size_t i = 0; i < parent->nchildren; i++) {
        struct node *c = parent->children[i];
        *index_slot(index, nindex, c->name, c->type) = c;
    }
    free(parent->index);
    parent->index = index;
    parent->nindex = nindex;
    return true;
}

static struct node *child(struct node *parent, const char *name, char type)
{
    if (parent->index) {
        struct node *found = *index_slot(parent->index, parent->nindex, name, type);
        if (found)
            return found;
    } else {
        for (size_t i = 0; i < parent->nchildren; i++)
            if (parent->children[i]->type == type && strcmp(parent->children[i]->name, name) == 0)
                return parent->children[i];
    }
    if (parent->nchildren == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        struct node **grown = realloc(parent->children, cap * sizeof *grown);
        if (!grown)
            return NULL;
        parent->children = grown;
        parent->cap = cap;
    }
    struct node *n = new_node(name, type);
    if (!n)
        return NULL;
    parent->children[parent->nchildren++] = n;
    if (parent->index && parent->nchildren * 2 <= parent->nindex)
        *index_slot(parent->index, parent->nindex, name, type) = n;
    else if (!reindex(parent))
        return NULL;
    return n;
}

/* Appends what holds a site's blocks (lbc_stack_print_owners' lines) to the node its stack
 * ends at, shown on hover. */
static bool add_held(struct node *n, const struct lbc_site *s)
{
    char *text = lbc_stack_owners_text(s);
    if (!text)
        return false;
    if (n->held) { /* another site whose stack ends here: its lines after the first's */
        size_t had = strlen(n->held), more = strlen(text);
        char *both = realloc(n->held, had + more + 1);
        if (!both) {
            free(text);
            return false;
        }
        memcpy(both + had, text, more + 1);
        free(text);
        text = both;
    }
    n->held = text;
    return true;
}

/* Adds a report's sites to the tree: as NEW (bytes) or as OLD (old_bytes). Sums cannot
 * overflow: each report's sums were checked, and a node holds at most one report's sum. */
static bool add_report(struct node *root, const struct lbc_report *r, bool old)
{
    char name[LBC_FRAME_TEXT_MAX];
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lbc_site *s = &r->sites[i];
        char pool_text[LBC_FRAME_TEXT_MAX];
        const char *pool = lbc_stack_pool_label(s, pool_text, sizeof pool_text);
        struct node *n = root;
        for (size_t j = 0;; j++) {
            if (old)
                n->old_bytes += s->live_bytes;
            else {
                n->bytes += s->live_bytes;
                n->count += s->live_count;
            }
            if (j == s->nframes + (pool != NULL))
                break;
            if (j == s->nframes) { /* a pool's blocks or free space, above the innermost frame */
                if (!(n = child(n, pool, 'o')))
                    return false;
                continue;
            }
            const struct lbc_frame *f = &s->frames[s->nframes - 1 - j];
            char type = f->type == LBC_FRAME_JAVA ? 'j' : f->type == LBC_FRAME_NATIVE ? 'n' : 'o';
            if (!(n = child(n, lbc_stack_name(f, name, sizeof name), type)))
                return false;
        }
        if (old)
            n->self_old += s->live_bytes;
        else
            n->self_bytes += s->live_bytes;
        if (!old && s->owners && !add_held(n, s))
            return false;
    }
    return true;
}

static int compare_nodes(const void *a, const void *b)
{
    const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;
    return strcmp(x->name, y->name);
}

static json_t *to_json(struct node *n, bool diff)
{
    json_t *o = json_pack("{sssssIsI}", "n", n->name, "t", (char[]){n->type, '\0'}, "v",
                          (json_int_t)n->bytes, "c", (json_int_t)n->count);
    if (o && n->held && json_object_set_new(o, "h", json_string(n->held)) != 0) {
        json_decref(o);
        return NULL;
    }
    if (o && diff && json_object_set_new(o, "o", json_integer(n->old_bytes)) != 0) {
        json_decref(o);
        return NULL;
    }
    if (!o || !n->nchildren)
        return o;
    /* Alphabetical, as FlameGraph orders siblings. */
    qsort(n->children, n->nchildren, sizeof *n->children, compare_nodes);
    json_t *kids = json_array();
    for (size_t i = 0; kids && i < n->nchildren; i++)
        if (json_array_append_new(kids, to_json(n->children[i], diff)) != 0) {
            json_decref(kids);
            kids = NULL;
        }
    if (!kids || json_object_set_new(o, "k", kids) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The folded stacks: a line per path that stacks end at. Folded names cannot hold ';' (the
 * separator) or line breaks. */
static bool fold(const struct node *n, char **path, size_t depth, bool diff)
{
    for (size_t i = 0; i < n->nchildren; i++) {
        path[depth] = n->children[i]->name;
        if (!fold(n->children[i], path, depth + 1, diff))
            return false;
    }
    if (depth == 0 || (n->self_bytes == 0 && (!diff || n->self_old == 0)))
        return true;
    for (size_t i = 0; i < depth; i++) {
        if (i)
            putchar(';');
        for (const char *c = path[i]; *c; c++)
            putchar(*c == ';' || *c == '\n' || *c == '\r' ? '_' : *c);
    }
    if (diff)
        printf(" %" PRId64 " %" PRId64 "\n", n->self_old, n->self_bytes);
    else
        printf(" %" PRId64 "\n", n->self_bytes);
    return true;
}

static size_t depth_of(const struct node *n)
{
    size_t d = 0;
    for (size_t i = 0; i < n->nchildren; i++) {
        size_t c = depth_of(n->children[i]) + 1;
        if (c > d)
            d = c;
    }
    return d;
}

/* Writes the template with the data in its place. '<' is escaped in the JSON, so that no
 * string in it can close the script element. */
static bool write_html(const char *path, json_t *data)
{
    static const char marker[] = "/*LEAKBRIDGE_DATA*/";
    const char *at = strstr(lbc_flame_html, marker);
    char *json = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);
    FILE *f = json && at ? fopen(path, "w") : NULL;
    bool ok = f != NULL;
    if (ok) {
        fwrite(lbc_flame_html, 1, (size_t)(at - lbc_flame_html), f);
        for (const char *c = json; *c; c++)
            if (*c == '<')
                fputs("\\u003c", f);
            else if (*c == '>')
                fputs("\\u003e", f);
            else if (*c == '&')
                fputs("\\u0026", f);
            else
                fputc(*c, f);
        fputs(at + strlen(marker), f);
        ok = !ferror(f);
    }
    int saved = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok)
        lbc_error("%s: cannot write the flame graph: %s", path,
                  json ? strerror(saved) : "out of memory");
    free(json);
    return ok;
}

static json_t *html_data(struct node *root, const struct lbc_report *old,
                         const struct lbc_report *new)
{
    char title[LBC_FRAME_TEXT_MAX], info[LBC_FRAME_TEXT_MAX];
    char a[LBC_UNITS_MAX], b[LBC_UNITS_MAX], c[LBC_UNITS_MAX];
    if (old) {
        snprintf(title, sizeof title, "leakbridge: growth from %s to %s", old->path, new->path);
        snprintf(info, sizeof info,
                 "live %s -> %s (%s); width: live bytes in the newer report, red: grew, blue: "
                 "shrank",
                 lb_units_bytes(old->live_bytes, a), lb_units_bytes(new->live_bytes, b),
                 lbc_units_growth(new->live_bytes - old->live_bytes, c));
    } else {
        snprintf(title, sizeof title, "leakbridge: live off-heap memory in %s", new->path);
        snprintf(
            info, sizeof info,
            "pid %" PRId64 ", dump %" PRId64 " (%s) at %s: %s live in %" PRId64 " %s at %zu %s%s",
            new->pid, new->sequence, new->reason, new->time, lb_units_bytes(new->live_bytes, a),
            new->live_count, lb_units_plural(new->live_count, "block", "blocks"), new->nsites,
            lb_units_plural((int64_t) new->nsites, "site", "sites"),
            new->estimated ? "; figures are estimates (sampled)" : "");
    }
    json_t *tree = to_json(root, old != NULL), *memory = lbc_memory_flame(old, new);
    if (!tree || !memory) {
        json_decref(tree);
        json_decref(memory);
        return NULL;
    }
    return json_pack("{sssssbsoso}", "title", title, "info", info, "diff", old != NULL, "root",
                     tree, "memory", memory);
}

int lbc_flame_main(int argc, char **argv)
{
    static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                            {"collapsed", no_argument, NULL, 'c'},
                                            {"diff", no_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *output = NULL;
    bool collapsed = false, diff = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'c':
            collapsed = true;
            break;
        case 'd':
            diff = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("flame");
        }
    }
    int want = diff ? 2 : 1;
    if (argc - optind != want)
        return lbc_usage_error("flame", "expected %s, got %d %s",
                               diff ? "OLD and NEW" : "one REPORT", argc - optind,
                               lb_units_plural(argc - optind, "argument", "arguments"));
    if (!collapsed && !output)
        return lbc_usage_error("flame", "say where the HTML goes (-o FILE.html), or --collapsed");
    if (collapsed && output)
        return lbc_usage_error("flame", "-o and --collapsed exclude each other");

    struct lbc_report *old = NULL, *new = NULL;
    struct node *root = new_node("all", 'r');
    int status = LBC_EXIT_BAD;
    if (!root)
        return lbc_error("out of memory");
    struct lbc_report *both[2] = {NULL, NULL};
    if (!lbc_reader_open_all(argv + optind, (size_t)want, both))
        goto out;
    old = diff ? both[0] : NULL;
    new = both[want - 1];
    if ((old && !add_report(root, old, true)) || !add_report(root, new, false)) {
        lbc_error("out of memory");
        goto out;
    }
    if (collapsed) {
        char **path = calloc(depth_of(root) + 1, sizeof *path);
        if (path && fold(root, path, 0, diff))
            status = LBC_EXIT_OK;
        free(path);
    } else {
        json_t *data = html_data(root, old, new);
        if (!data)
            lbc_error("out of memory");
        else if (write_html(output, data))
            status = LBC_EXIT_OK;
        json_decref(data);
    }
out:
    free_node(root);
    lbc_reader_free(old);
    lbc_reader_free(new);
    return status;
}
