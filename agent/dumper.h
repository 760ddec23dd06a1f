/* A dump: snapshot the sites, resolve their frames, write the report, say where it went. */
#ifndef LB_DUMPER_H
#define LB_DUMPER_H

#include <stdbool.h>
#include <stddef.h>

#include <jvmti.h>

/* Writes one report now, with reason "exit", "jcmd", "interval", "api" or "attach". Dumps are
 * serialized; allocating threads go on meanwhile. Must run on a thread attached to the JVM, in
 * the live phase. Returns false, after one line on stderr, if the report could not be written. */
bool lb_dump(const char *reason);

/* Says in one line, when the agent starts, that reports cannot be written where output=
 * points (no such directory, not writable, a directory itself), rather than only at the first
 * dump, which may come late or never (a container killed first). Tracking goes on. */
void lb_dump_check_output(void);

/* An agent loaded into a running JVM publishes its output pattern for 'leakbridge dump'
 * (include/leakbridge/state_file.h), and takes it back at exit. */
void lb_dump_publish_output(void);
void lb_dump_unpublish_output(void);

/* As lb_dump, to path instead of the output option's pattern when path is not NULL; with
 * gc=on (or force_gc) first forces a GC (gc.h). On success copies the absolute path written
 * into written (if not NULL). */
bool lb_dump_write(const char *reason, const char *path, bool force_gc, char *written,
                   size_t written_len);

/* Starts the agent's dumper thread (a JVM daemon thread, "leakbridge dumper"), which writes
 * jcmd and attach dumps handed to it and, with interval=..., the interval dumps. */
bool lb_dumper_start(jvmtiEnv *jvmti, JNIEnv *jni);

/* Hands a dump ("jcmd" or "attach") to the dumper thread and returns at once; without the
 * thread, dumps on the calling thread. */
void lb_dumper_request(const char *reason);

/* At VMDeath: the dumper thread finishes the dump it is writing, if any, and stops. */
void lb_dumper_stop(void);

#endif
