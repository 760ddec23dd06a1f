/* Names of Java methods: from jmethodID to class, method, signature, source file and line
 * table, looked up with JVMTI and kept for the agent's lifetime, so that a report still names
 * the frames of classes unloaded since (a class loader gone with its JNI library). Only the live
 * and start phases may call these; the hooks never do, except lb_java_names_method for a new
 * site's kind. */
#ifndef LB_JAVA_NAMES_H
#define LB_JAVA_NAMES_H

#include <jvmti.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void lb_java_names_init(jvmtiEnv *jvmti);

/* Dotted class name and method name of a method, looked up now; false when the method is gone. */
bool lb_java_names_method(jmethodID method, char *cls, size_t cls_len, char *name, size_t name_len);

/* What a report needs of one method. */
struct lb_java_method {
    jmethodID method;
    bool known; /* false: the method was gone before it could be looked up */
    char cls[512];
    char name[256];
    char signature[512];
    char file[256];
    jint nlines;
    jvmtiLineNumberEntry *lines; /* JVMTI-allocated, or NULL */
};

/* The kept method, looked up and kept now if it is new; NULL only when out of memory. */
const struct lb_java_method *lb_java_names_get(jmethodID method);

/* Looks up and keeps every Java method in the sites made since the last call. The dumper thread
 * calls it soon after new sites appear, before their class loaders can go. */
void lb_java_names_remember(void);

/* The source line of bci: that of the last line-table entry starting at or before it; -1. */
int lb_java_names_line(const struct lb_java_method *method, int32_t bci);

#endif
