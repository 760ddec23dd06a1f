/* Frames and stacks as text, and the identity of a site across reports. */
#ifndef LBC_STACK_H
#define LBC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report_reader.h"

#define LBC_FRAME_TEXT_MAX 1024

/* What a site holds of a pool (include/leakbridge/leakbridge.h), as text: "pool TAG" for a
 * block carved from the pool, "free space of pool TAG" for chunks blocks were carved from
 * (its live bytes are what no block covers); NULL for any other site. */
const char *lbc_stack_pool_label(const struct lbc_site *s, char *buf, size_t len);

/* A class of the JDK itself: java.*, javax.*, jdk.*, sun.*, com.sun.* (and "<unknown>"). */
bool lbc_stack_is_jdk(const struct lbc_frame *f);

/* The innermost Java frame outside the JDK, the innermost native frame; NULL if none. */
const struct lbc_frame *lbc_stack_user_frame(const struct lbc_site *s);
const struct lbc_frame *lbc_stack_native_frame(const struct lbc_site *s);

/* A frame's name: "a.b.C.method", "ZSTD_createDStream", "libfoo.so+0x12a0" without a symbol,
 * "0x7f12..." without a module. */
const char *lbc_stack_name(const struct lbc_frame *f, char *buf, size_t len);

enum {
    LBC_SHORT_MODULE = 1, /* a module's file name, not its path */
    LBC_SHORT_CLASS = 2,  /* a class's simple name, without its package */
    /* Only what stays the same across runs and builds: a Java frame's class (a hidden class
     * without the part each JVM makes up) and method, a native frame's lbc_stack_name. */
    LBC_STABLE = 4,
};

/* A frame in full, as check prints it: "a.b.C.method (C.java:72)",
 * "ZSTD_createDStream+0x30 (/usr/lib/.../libzstd.so.1.5.4+0x8bcc0)"; flags shorten it. */
const char *lbc_stack_describe(const struct lbc_frame *f, int flags, char *buf, size_t len);

/* What a person looks at first, outer to inner: the application frame that called into a
 * library (the innermost non-JDK frame of another package), the innermost user Java frame and
 * the innermost native frame: "ZstdLeak.openAndRead (ZstdLeak.java:32) >
 * ZstdInputStreamNoFinalizer.createDStream (ZstdInputStreamNoFinalizer.java) >
 * ZSTD_createDStream (libzstd.so.1.5.4)"; the leaf frame if the site has none of them. */
const char *lbc_stack_headline(const struct lbc_site *s, char *buf, size_t len);

/* The same frames described with LBC_STABLE, so that the text is the same for the same site in
 * every run and build (JUnit test names): "ZstdLeak.openAndRead >
 * ZstdInputStreamNoFinalizer.createDStream > ZSTD_createDStream". */
const char *lbc_stack_stable_headline(const struct lbc_site *s, char *buf, size_t len);

/* Prints a site's stack, leaf first, one frame a line ("      J a.b.C.m (C.java:3)"); without
 * verbose, at most a few lines and runs of JDK frames folded into one. */
void lbc_stack_print(FILE *out, const struct lbc_site *s, bool verbose);

/* Prints what holds a site's blocks (owners=on; docs/report-format.md#owners), one line each
 * after indent: "held by 10 of 10 blocks: static LeakyPool.CACHE → ...", "gc-deferred: ...",
 * "no path: ...". Nothing for a site without owners. */
void lbc_stack_print_owners(FILE *out, const struct lbc_site *s, const char *indent);

/* The same lines without indent, each ending in a newline, malloc'd ("" for a site without
 * owners); NULL when out of memory. */
char *lbc_stack_owners_text(const struct lbc_site *s);

/* The identity of a site across reports of one or several runs: its kind and, per frame, a
 * Java frame's class, method and signature or a native frame's module file name and symbol
 * (module and offset when there is no symbol). Ids, lines and addresses are left out, and so
 * is the part of a hidden class's name (a lambda's) that differs between JVMs. With
 * LBC_KEY_SYMBOLS a native frame with a symbol is keyed by the symbol alone (a JNI library
 * extracted from a jar has another file name in every JVM). An overflow site, which has no
 * frames, is keyed by its module's file name. The caller frees the string. NULL
 * when out of memory. */
enum { LBC_KEY_SYMBOLS = 1 };
char *lbc_stack_key(const struct lbc_site *s, int flags);

/* The file name part of a path. */
const char *lbc_stack_basename(const char *path);

#endif
