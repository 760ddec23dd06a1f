/* Allocators taken by address, as in a table of function pointers, instead of called: each entry
 * is an R_X86_64_64 relocation against the symbol with addend 0, and it is the object's only
 * reference to it. The const table lands in .data.rel.ro (RELRO, read-only after load), the
 * other in writable .data, so both ways got.c writes a slot are taken. */
#include <stdlib.h>

void *(*const fixture_alloc_table[])(size_t) = {malloc};
void (*fixture_free_table[])(void *) = {free};

/* The empty asm statements hide the tables' contents from the compiler, which would otherwise
 * call malloc and free directly instead of through the entries. */
void *fixture_alloc(size_t size)
{
    void *(*const *table)(size_t) = fixture_alloc_table;
    __asm__("" : "+r"(table));
    return table[0](size);
}

void fixture_free(void *p)
{
    void (**table)(void *) = fixture_free_table;
    __asm__("" : "+r"(table));
    table[0](p);
}
