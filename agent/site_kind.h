/* A new site's kind (leakbridge/report_format.h), decided once when the site is interned: its
 * origin (which hook) and, for Unsafe memory, whether java.nio.DirectByteBuffer.<init> is among
 * its frames. */
#ifndef LB_SITE_KIND_H
#define LB_SITE_KIND_H

#include "sites.h"

/* An lb_sites_kind_fn for the hooks: from the origin, and for Unsafe memory from the frames'
 * names (Unsafe's natives are never called inside a JNI critical region). */
enum lb_kind lb_site_kind_of(enum lb_origin origin, const struct lb_frame *frames, int nframes);

/* Marks the sites made since the last call that hold memory the JDK keeps for itself (no JNI
 * library among the native frames, no Java frame outside the JDK) as LB_KIND_JDK_INTERNAL:
 * from then on nothing is recorded there, and reports and the Java API leave them out. Looking
 * up class names takes JVMTI and JNI calls, which a hook must not make: zlib allocates inside
 * the JDK's GetPrimitiveArrayCritical regions. So the dumper thread calls this soon after new
 * sites appear, and every dump before it reads the sites. */
void lb_site_kind_settle_new(void);

#endif
