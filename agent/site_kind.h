/* A new site's kind (leakbridge/report_format.h), decided once when the site is interned: its
 * origin (which hook) and, for Unsafe memory, whether java.nio.DirectByteBuffer.<init> is among
 * its frames. */
#ifndef LB_SITE_KIND_H
#define LB_SITE_KIND_H

#include "sites.h"

/* An lb_sites_kind_fn for the hooks. Memory the JDK holds for itself through its own libraries
 * (no JNI library and no Java frame outside the JDK) is LB_KIND_JDK_INTERNAL: not recorded. */
enum lb_kind lb_site_kind_of(enum lb_origin origin, const struct lb_frame *frames, int nframes);

#endif
