/* A dump: snapshot the sites, resolve their frames, write the report, say where it went. */
#ifndef LB_DUMPER_H
#define LB_DUMPER_H

#include <stdbool.h>

/* Writes one report now, with reason "exit", "jcmd", "interval", "api" or "attach". Dumps are
 * serialized; allocating threads go on meanwhile. Must run on a thread attached to the JVM, in
 * the live phase. Returns false, after one line on stderr, if the report could not be written. */
bool lb_dump(const char *reason);

#endif
