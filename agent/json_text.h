/* Text from the JVM and from ELF files made safe for JSON: class names, file names and symbols
 * may hold bytes that are not UTF-8 (a mangled name, a file from another locale), which
 * jansson refuses; a report must never lose a site for it. */
#ifndef LB_JSON_TEXT_H
#define LB_JSON_TEXT_H

#include <jansson.h>

/* A JSON string of text; bytes that are not valid UTF-8 become '?', NULL becomes "". */
json_t *lb_json_text(const char *text);

#endif
