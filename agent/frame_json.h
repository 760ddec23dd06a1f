/* A site's frames as JSON, for one report (or one Java API answer): Java frames from the kept
 * method names (java_names.h), one object per (method, bytecode index) shared by every site that
 * has it; native frames from the module registry (symbols.h). The one place a frame becomes
 * JSON. */
#ifndef LB_FRAME_JSON_H
#define LB_FRAME_JSON_H

#include <jansson.h>

#include "sites.h"

struct lb_frame_json;

/* A resolver for one report; NULL when out of memory. */
struct lb_frame_json *lb_frame_json_new(void);

/* frame of site as a new reference: {"type":"java","class",...} or {"type":"native",...}.
 * resolver is a struct lb_frame_json (void, to serve as report.h's lb_report_frame_fn). Never
 * NULL unless out of memory. */
json_t *lb_frame_json_get(void *resolver, const struct lb_site *site, const struct lb_frame *frame);

void lb_frame_json_free(struct lb_frame_json *resolver);

#endif
