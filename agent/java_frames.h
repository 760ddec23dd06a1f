/* Java frames: from jmethodID + bytecode index to class, method, file and line, and the kind of
 * an Unsafe site (DirectByteBuffer or not). Only the live and start phases may call these. */
#ifndef LB_JAVA_FRAMES_H
#define LB_JAVA_FRAMES_H

#include <jansson.h>
#include <jvmti.h>
#include <stdbool.h>
#include <stddef.h>

#include "sites.h"

void lb_java_frames_init(jvmtiEnv *jvmti);

/* Dotted class name and method name of a method; false when the method is gone. */
bool lb_java_method_name(jmethodID method, char *cls, size_t cls_len, char *name, size_t name_len);

/* The site classifier for hooks (see sites.h): Unsafe sites whose frames include
 * java.nio.DirectByteBuffer.<init> are direct_buffer sites. */
enum lb_kind lb_java_classify(enum lb_origin origin, const struct lb_frame *frames, int nframes);

/* Looks up (class, name, signature, file, line table) of every Java method in the sites made
 * since the last call, and keeps them for the agent's lifetime: a report then names the frames
 * of classes unloaded since. The dumper thread calls it soon after new sites appear. */
void lb_java_frames_remember(void);

/* Resolves Java frames for one report, with the methods kept by lb_java_frames_remember (and
 * looks up and keeps the others). */
struct lb_java_resolver;
struct lb_java_resolver *lb_java_resolver_new(void);
/* A new JSON object {"type":"java","class",...}; never NULL unless out of memory. */
json_t *lb_java_resolver_frame(struct lb_java_resolver *r, const struct lb_frame *frame);
void lb_java_resolver_free(struct lb_java_resolver *r);

#endif
