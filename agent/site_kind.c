#include "site_kind.h"

#include <string.h>

#include "java_names.h"

enum lb_kind lb_site_kind_of(enum lb_origin origin, const struct lb_frame *frames, int nframes)
{
    if (origin == LB_ORIGIN_MALLOC)
        return LB_KIND_MALLOC;
    if (origin == LB_ORIGIN_MMAP)
        return LB_KIND_MMAP;
    for (int i = 0; i < nframes; i++) {
        char cls[256], name[64];
        if (frames[i].type == LB_FRAME_JAVA &&
            lb_java_names_method((jmethodID)frames[i].id, cls, sizeof cls, name, sizeof name) &&
            strcmp(name, "<init>") == 0 && strcmp(cls, "java.nio.DirectByteBuffer") == 0)
            return LB_KIND_DIRECT_BUFFER;
    }
    return LB_KIND_UNSAFE;
}
