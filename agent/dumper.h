/* The agent's own thread, "leakbridge dumper" (a JVMTI agent thread): it writes the dumps that
 * jcmd, SIGQUIT and a second attach ask for (the JVMTI event only hands them over), the interval
 * dumps, and looks up the Java names of new sites while their classes are still loaded. */
#ifndef LB_DUMPER_H
#define LB_DUMPER_H

#include <jvmti.h>
#include <stdbool.h>

#include "dump.h"

/* Starts the thread; false (after one line) if the JVM would not run it. */
bool lb_dumper_start(jvmtiEnv *jvmti, JNIEnv *jni);

/* Hands a dump (LB_DUMP_JCMD or LB_DUMP_ATTACH) to the thread and returns at once; without the
 * thread, dumps on the calling thread. */
void lb_dumper_request(enum lb_dump_reason reason);

/* At VMDeath: the thread finishes the dump it is writing, if any, and stops. */
void lb_dumper_stop(void);

#endif
