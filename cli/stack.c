#include "stack.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool lbc_stack_is_jdk(const struct lbc_frame *f)
{
    static const char *const jdk[] = {"java.", "javax.", "jdk.", "sun.", "com.sun.", "<"};
    if (f->type != LBC_FRAME_JAVA)
        return false;
    for (size_t i = 0; i < sizeof jdk / sizeof jdk[0]; i++)
        if (starts_with(f->class_name, jdk[i]))
            return true;
    return false;
}

const struct lbc_frame *lbc_stack_user_frame(const struct lbc_site *s)
{
    for (size_t i = 0; i < s->nframes; i++)
        if (s->frames[i].type == LBC_FRAME_JAVA && !lbc_stack_is_jdk(&s->frames[i]))
            return &s->frames[i];
    return NULL;
}

const struct lbc_frame *lbc_stack_native_frame(const struct lbc_site *s)
{
    for (size_t i = 0; i < s->nframes; i++)
        if (s->frames[i].type == LBC_FRAME_NATIVE)
            return &s->frames[i];
    return NULL;
}

const char *lbc_stack_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *lbc_stack_pool_label(const struct lbc_site *s, char *buf, size_t len)
{
    if (s->pool && strcmp(s->kind, "pool") == 0) {
        snprintf(buf, len, "pool %s", s->pool);
        return buf;
    }
    if (!s->pool_chunks)
        return NULL;
    snprintf(buf, len, "free space of pool %s", s->pool_chunks);
    return buf;
}

const char *lbc_stack_name(const struct lbc_frame *f, char *buf, size_t len)
{
    switch (f->type) {
    case LBC_FRAME_JAVA:
        snprintf(buf, len, "%s.%s", f->class_name, f->method);
        break;
    case LBC_FRAME_NATIVE:
        if (f->symbol)
            snprintf(buf, len, "%s", f->symbol);
        else if (f->module)
            snprintf(buf, len, "%s+%s", lbc_stack_basename(f->module), f->offset);
        else
            snprintf(buf, len, "%s", f->offset);
        break;
    default:
        snprintf(buf, len, "[%s frame]", f->type_name);
    }
    return buf;
}

/* The class name without its package; a hidden class keeps its ".0x..." suffix. */
static const char *simple_name(const char *name)
{
    const char *hidden = strstr(name, ".0x"), *p;
    const char *end = hidden ? hidden : name + strlen(name), *start = name;
    for (p = name; p < end; p++)
        if (*p == '.')
            start = p + 1;
    return start;
}

/* The length of a hidden class's name without what differs from one JVM to the next:
 * "Foo$$Lambda$14.0x7f..." (JDK 17) and "Foo$$Lambda.0x7f..." (21+) are "Foo$$Lambda"; another
 * hidden class such as "java.lang.invoke.LambdaForm$MH.0x7f..." loses its ".0x..." suffix. Two
 * lambdas of one class still differ by the frame below, their lambda$... method. */
static size_t stable_class_len(const char *name)
{
    const char *dollar = strchr(name, '$'); /* most classes have none */
    const char *lambda = dollar ? strstr(dollar, "$$Lambda") : NULL;
    if (lambda)
        return (size_t)(lambda - name) + strlen("$$Lambda");
    const char *hidden = strrchr(name, '.');
    if (hidden && hidden[1] == '0' && hidden[2] == 'x' && hidden[3] &&
        strspn(hidden + 3, "0123456789abcdefABCDEF") == strlen(hidden + 3))
        return (size_t)(hidden - name);
    return strlen(name);
}

static const char *java_location(const struct lbc_frame *f, char *buf, size_t len)
{
    if (!f->file && f->line < 0)
        buf[0] = '\0';
    else if (f->line < 0)
        snprintf(buf, len, " (%s)", f->file);
    else
        snprintf(buf, len, " (%s:%" PRId64 ")", f->file ? f->file : "?", f->line);
    return buf;
}

const char *lbc_stack_describe(const struct lbc_frame *f, int flags, char *buf, size_t len)
{
    char where[LBC_FRAME_TEXT_MAX / 2], plus[32] = "";
    const char *module;
    char stable[LBC_FRAME_TEXT_MAX / 2];
    const char *class_name;
    switch (f->type) {
    case LBC_FRAME_JAVA:
        class_name = f->class_name;
        if (flags & LBC_STABLE) {
            snprintf(stable, sizeof stable, "%.*s", (int)stable_class_len(class_name), class_name);
            class_name = stable;
        }
        snprintf(buf, len, "%s.%s%s",
                 flags & LBC_SHORT_CLASS ? simple_name(class_name) : class_name, f->method,
                 flags & LBC_STABLE ? "" : java_location(f, where, sizeof where));
        break;
    case LBC_FRAME_NATIVE:
        if (flags & LBC_STABLE) {
            lbc_stack_name(f, buf, len);
            break;
        }
        if (!f->module && f->symbol) { /* a marker: "[stack too small to walk]" */
            snprintf(buf, len, "%s", f->symbol);
            break;
        }
        if (!f->module) {
            snprintf(buf, len, "%s (unknown module)", f->offset);
            break;
        }
        module = flags & LBC_SHORT_MODULE ? lbc_stack_basename(f->module) : f->module;
        if (f->symbol && f->symbol_offset >= 0)
            snprintf(plus, sizeof plus, "+0x%" PRIx64, f->symbol_offset);
        if (f->symbol)
            snprintf(buf, len, "%s%s (%s+%s)", f->symbol, plus, module, f->offset);
        else
            snprintf(buf, len, "%s+%s", module, f->offset);
        break;
    default:
        snprintf(buf, len, "[%s frame]", f->type_name);
    }
    return buf;
}

/* Length of the package part of a class name ("a.b" of "a.b.C"; 0 for none); a hidden class's
 * ".0x..." is no package. */
static size_t package_len(const char *class_name)
{
    size_t n = stable_class_len(class_name);
    while (n > 0 && class_name[n - 1] != '.')
        n--;
    return n ? n - 1 : 0;
}

/* The innermost Java frame outside the JDK and outside the package of user: the application
 * code that called into a library (ZstdLeak.openAndRead above zstd-jni's classes). */
static const struct lbc_frame *caller_frame(const struct lbc_site *s, const struct lbc_frame *user)
{
    size_t len = package_len(user->class_name);
    for (const struct lbc_frame *f = user + 1; f < s->frames + s->nframes; f++)
        if (f->type == LBC_FRAME_JAVA && !lbc_stack_is_jdk(f) &&
            (package_len(f->class_name) != len || strncmp(f->class_name, user->class_name, len)))
            return f;
    return NULL;
}

/* The headline, its frames described with flags (LBC_STABLE: lbc_stack_stable_headline). */
static const char *headline(const struct lbc_site *s, int flags, char *buf, size_t len)
{
    const struct lbc_frame *user = lbc_stack_user_frame(s), *native = lbc_stack_native_frame(s);
    const struct lbc_frame *caller = user ? caller_frame(s, user) : NULL;
    char a[LBC_FRAME_TEXT_MAX], b[LBC_FRAME_TEXT_MAX], c[LBC_FRAME_TEXT_MAX];
    if (!user && !native && s->nframes)
        user = &s->frames[s->nframes > 1 && lbc_stack_is_jdk(&s->frames[0]) ? 1 : 0];
    if (caller)
        snprintf(c, sizeof c, "%s > ", lbc_stack_describe(caller, flags, a, sizeof a));
    else
        c[0] = '\0';
    if (user && native && native->symbol && native->module && !(flags & LBC_STABLE))
        snprintf(buf, len, "%s%s > %s (%s)", c, lbc_stack_describe(user, flags, a, sizeof a),
                 native->symbol, lbc_stack_basename(native->module));
    else if (user && native)
        snprintf(buf, len, "%s%s > %s", c, lbc_stack_describe(user, flags, a, sizeof a),
                 lbc_stack_name(native, b, sizeof b));
    else if (user || native)
        snprintf(buf, len, "%s%s", c, lbc_stack_describe(user ? user : native, flags, a, sizeof a));
    else
        snprintf(buf, len, "(no stack)");
    return buf;
}

const char *lbc_stack_headline(const struct lbc_site *s, char *buf, size_t len)
{
    return headline(s, LBC_SHORT_MODULE | LBC_SHORT_CLASS, buf, len);
}

const char *lbc_stack_stable_headline(const struct lbc_site *s, char *buf, size_t len)
{
    return headline(s, LBC_SHORT_MODULE | LBC_SHORT_CLASS | LBC_STABLE, buf, len);
}

/* Stack lines shown under a site without verbose. */
#define STACK_LINES 8

/* A site's stack, leaf first, one frame a line; runs of JDK frames folded unless verbose. */
void lbc_stack_print(FILE *out, const struct lbc_site *s, bool verbose)
{
    char text[LBC_FRAME_TEXT_MAX];
    size_t lines = 0;
    for (size_t i = 0; i < s->nframes; i++) {
        const struct lbc_frame *f = &s->frames[i];
        if (!verbose && lines == STACK_LINES && s->nframes - i > 1) {
            fprintf(out, "      ... %zu more frames (-v shows all)\n", s->nframes - i);
            return;
        }
        if (!verbose && lbc_stack_is_jdk(f)) {
            size_t j = i;
            while (j + 1 < s->nframes && lbc_stack_is_jdk(&s->frames[j + 1]))
                j++;
            if (j > i) {
                fprintf(out, "      J ... %zu JDK frames, %s to %s\n", j - i + 1,
                        lbc_stack_name(f, text, sizeof text), s->frames[j].method);
                i = j;
                lines++;
                continue;
            }
        }
        fprintf(out, "      %c %s\n",
                f->type == LBC_FRAME_JAVA     ? 'J'
                : f->type == LBC_FRAME_NATIVE ? 'N'
                                              : '?',
                lbc_stack_describe(f, LBC_SHORT_MODULE, text, sizeof text));
        lines++;
    }
    if (!s->nframes)
        fprintf(out, "      (no stack was captured)\n");
}

/* A growing string. */
struct buf {
    char *s;
    size_t len, cap;
    bool failed;
};

static void put_n(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2 < 512 ? 512 : (b->len + n + 1) * 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->s[b->len += n] = '\0';
}

static void put(struct buf *b, const char *s)
{
    put_n(b, s, strlen(s));
}

/* A class's name without what differs from one JVM to the next (stable_class_len). */
static void put_class(struct buf *b, const char *name)
{
    put_n(b, name, stable_class_len(name));
}

char *lbc_stack_key(const struct lbc_site *s, int flags)
{
    /* Fields are separated by \x1f and frames by \x1e, which no name contains. */
    struct buf b = {0};
    char pool[LBC_FRAME_TEXT_MAX];
    put(&b, s->kind);
    if (s->overflow) { /* no frames: one overflow site per kind and module */
        put(&b, "\x1eoverflow\x1f");
        put(&b, s->overflow_module ? lbc_stack_basename(s->overflow_module) : "");
    }
    /* Pools with one stack stay apart; a chunk's site stays itself whether or not blocks of
     * its pool are live. */
    if (strcmp(s->kind, "pool") == 0 && lbc_stack_pool_label(s, pool, sizeof pool))
        put(&b, pool);
    for (size_t i = 0; i < s->nframes; i++) {
        const struct lbc_frame *f = &s->frames[i];
        put(&b, "\x1e");
        switch (f->type) {
        case LBC_FRAME_JAVA:
            put(&b, "J\x1f");
            put_class(&b, f->class_name);
            put(&b, "\x1f");
            put(&b, f->method);
            put(&b, "\x1f");
            put(&b, f->signature ? f->signature : "");
            break;
        case LBC_FRAME_NATIVE:
            put(&b, "N\x1f");
            if (!(flags & LBC_KEY_SYMBOLS) || !f->symbol)
                put(&b, f->module ? lbc_stack_basename(f->module) : "");
            put(&b, "\x1f");
            put(&b, f->symbol ? f->symbol : f->offset);
            break;
        default:
            put(&b, "O\x1f");
            put(&b, f->type_name);
        }
    }
    if (b.failed || !b.s) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

void lbc_stack_print_owners(FILE *out, const struct lbc_site *s, const char *indent)
{
    const struct lbc_owners *o = s->owners;
    if (!o)
        return;
    for (size_t i = 0; i < o->npaths; i++)
        fprintf(out, "%sheld by %" PRId64 " of %" PRId64 " blocks: %s\n", indent,
                o->paths[i].blocks, o->examined, o->paths[i].text);
    if (o->other_blocks)
        fprintf(out, "%sheld by %" PRId64 " of %" PRId64 " blocks on other paths\n", indent,
                o->other_blocks, o->examined);
    if (o->unreachable_blocks)
        fprintf(out,
                "%s%s: %" PRId64 " of %" PRId64 " blocks: no GC root reaches their holder (%s)%s\n",
                indent, o->gc_deferred ? "gc-deferred" : "unreachable", o->unreachable_blocks,
                o->examined, o->holder ? o->holder : "?",
                o->gc_deferred ? "; its Cleaner frees them after a GC" : "");
    if (o->without_holder_blocks)
        fprintf(out,
                "%sno holder: %" PRId64 " of %" PRId64
                " blocks: no Java object holds their address\n",
                indent, o->without_holder_blocks, o->examined);
    if (o->unknown_blocks)
        fprintf(out,
                "%sno path: %" PRId64 " of %" PRId64
                " blocks: the heap walk ran out of %s (owners_time, owners_memory)\n",
                indent, o->unknown_blocks, o->examined,
                o->unknown_reason ? o->unknown_reason : "?");
}

char *lbc_stack_owners_text(const struct lbc_site *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    lbc_stack_print_owners(f, s, "");
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
