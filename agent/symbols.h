/* Native frames for reports: PC -> module, offset from its load base, function name. */
#ifndef LB_SYMBOLS_H
#define LB_SYMBOLS_H

#include <jansson.h>

#include "sites.h"

/* {"type":"native","module":...,"symbol":...,"offset":"0x..."} for a return address. The
 * offset is of the call instruction's last byte (return address - 1), so that
 * `addr2line -f -e MODULE OFFSET` names the calling line. module_gen is the site's
 * (lb_modules_generation when it was captured). */
json_t *lb_symbols_frame_json(const struct lb_frame *frame, unsigned module_gen);

/* The report's "modules": every object registered, with what leakbridge did to it. */
json_t *lb_symbols_modules_json(void);

#endif
