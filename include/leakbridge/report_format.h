/* The report format shared by the agent and the leakbridge command.
 * docs/report-format.md describes every field; docs/report.schema.json checks them. */
#ifndef LEAKBRIDGE_REPORT_FORMAT_H
#define LEAKBRIDGE_REPORT_FORMAT_H

#define LB_REPORT_FORMAT "leakbridge-report"
#define LB_REPORT_VERSION 1

/* The report file name when output= gives none: the default pattern, and what a pattern that
 * ends in '/' (a directory) gets appended. */
#define LB_OUTPUT_FILE_NAME "leakbridge-%p-%n.json"

/* What kind of memory a site allocates. The order is the order of totals.by_kind. */
enum lb_kind {
    LB_KIND_DIRECT_BUFFER = 0, /* Unsafe memory behind a java.nio.DirectByteBuffer */
    LB_KIND_UNSAFE,            /* any other Unsafe.allocateMemory */
    LB_KIND_MALLOC,            /* malloc family inside JNI libraries */
    LB_KIND_MMAP,              /* anonymous mmap inside JNI libraries */
    LB_KIND_MAPPED_FILE,       /* a file the JDK mapped for Java code (FileChannel.map) */
    LB_KIND_POOL,              /* a block a library carved from its own pool (leakbridge.h) */
    LB_KIND_COUNT
};

/* The kinds' names in reports, in enum order. */
static const char *const lb_kind_names[LB_KIND_COUNT] = {"direct_buffer", "unsafe",      "malloc",
                                                         "mmap",          "mapped_file", "pool"};

static inline const char *lb_kind_name(enum lb_kind kind)
{
    return (unsigned)kind < LB_KIND_COUNT ? lb_kind_names[kind] : "unknown";
}

#endif
