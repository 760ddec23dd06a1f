/* JNI libraries as they load: what to patch when a library arrives.
 *
 * Two ways in. The wrapper of jdk.internal.loader.NativeLibraries.load (bound through the
 * NativeMethodBind event) names each JNI library. And libjvm's own dlopen import is redirected,
 * so that a new library and its DT_NEEDED dependencies are patched before the JVM runs their
 * JNI_OnLoad. */
#ifndef LB_LIBRARIES_H
#define LB_LIBRARIES_H

#include <jni.h>
#include <stdbool.h>

/* Registers what is loaded now as the JVM's own (only its frees are tracked), and redirects
 * libjvm's dlopen. Called once at VMInit when native tracking is on. When attached to a running
 * JVM, objects loaded already that neither the JDK nor the launcher needs (JNI libraries and
 * their dependencies) are patched for allocations too. */
void lb_libraries_start(const char *java_home, bool attached);

/* For NativeMethodBind: wraps the library-loading native if method/signature are one of the
 * known forms (JDK 17, JDK 25, JDK 9-14). */
bool lb_libraries_bind(const char *cls, const char *method, const char *signature, void *address,
                       void **new_address);

#endif
