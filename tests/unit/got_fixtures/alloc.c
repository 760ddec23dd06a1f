/* A JNI library in miniature for tests/unit/test_got.c: it calls the malloc family the way
 * native code does. The ELF case (lazy PLT, BIND_NOW with full RELRO, -fno-plt, stripped, no
 * build id) is chosen by the flags tests/CMakeLists.txt builds each copy with. */
#include <stdlib.h>

void *fixture_alloc(size_t size)
{
    return malloc(size);
}

void *fixture_calloc(size_t n, size_t size)
{
    return calloc(n, size);
}

void *fixture_realloc(void *p, size_t size)
{
    return realloc(p, size);
}

void fixture_free(void *p)
{
    free(p);
}

/* A call to an exported function of its own, interposable and so through a slot of its own: a
 * relocation against a symbol the object defines, which is not an import. */
void *fixture_alloc_via_self(size_t size)
{
    return fixture_alloc(size);
}
