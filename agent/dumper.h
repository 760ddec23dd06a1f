/* The agent's own thread, "leakbridge dumper" (a JVMTI agent thread): it writes the dumps that
 * jcmd, SIGQUIT and a second attach ask for (the JVMTI event only hands them over), the interval
 * dumps, looks up the Java names of new sites while their classes are still loaded, and runs the
 * one task another module gives it (lb_dumper_schedule: registering the MXBean). */
#ifndef LB_DUMPER_H
#define LB_DUMPER_H

#include <jvmti.h>
#include <stdbool.h>
#include <stdint.h>

#include "dump.h"

/* Starts the thread; false (after one line) if the JVM would not run it. */
bool lb_dumper_start(jvmtiEnv *jvmti, JNIEnv *jni);

/* Hands a dump (LB_DUMP_JCMD or LB_DUMP_ATTACH) to the thread and returns at once; without the
 * thread, dumps on the calling thread. */
void lb_dumper_request(enum lb_dump_reason reason);

/* Work for the thread besides dumps: fn runs there, with the thread's own JNI environment (never
 * on an application thread), as soon as the thread is free, and again after the milliseconds it
 * returns; it returns 0 when it is done. One task at a time: a new call replaces the pending one
 * and runs it at once. False when the thread is not running (nothing runs then). */
typedef uint64_t (*lb_dumper_task_fn)(jvmtiEnv *jvmti, JNIEnv *jni);
bool lb_dumper_schedule(lb_dumper_task_fn fn);

/* At VMDeath: the thread finishes the dump it is writing, if any, and stops. */
void lb_dumper_stop(void);

#endif
