/* libleakfree.so: frees, and allocates, on behalf of other libraries. libleakkeep and
 * libleakchurn link to it (DT_NEEDED), so a block often dies in another library than the one
 * that made it: the agent must match the free to the allocation, not report a false leak. */
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default"), noinline, noclone))

/* Frees a block that another library allocated. */
EXPORT void leakfree_release(void *p)
{
    free(p);
}

/* Allocates a block that another library frees. */
EXPORT void *leakfree_make(size_t size)
{
    char *p = malloc(size);
    if (p)
        memset(p, 0x5a, size);
    return p;
}
