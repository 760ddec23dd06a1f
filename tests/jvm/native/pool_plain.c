/* The toy arena of libleakpool.so, which reports its blocks with leakbridge.h, in a plain C
 * program: no JVM, no agent, no link to the agent. Every call must work and do nothing more. */
#include <stdio.h>
#include <string.h>

#include "leakbridge/leakbridge.h"
#include "toy_arena.h"

int main(void)
{
    struct toy_arena *a = toy_arena_new();
    if (!a)
        return 1;
    int kept = 0;
    for (int i = 0; i < 1000; i++) {
        char *p = toy_arena_alloc(a, 100);
        if (!p)
            return 1;
        memset(p, i & 0xff, 100);
        if (i % 2)
            toy_arena_free(a, p);
        else
            kept++;
    }
    char *q = toy_arena_alloc(a, 16);
    strcpy(q, "grown");
    char *r = toy_arena_grow(a, q, 16, 64);
    leakbridge_pool_free(NULL, r); /* misuse without the agent: nothing happens */
    leakbridge_pool_alloc("", r, 64);
    printf("plain: kept %d blocks in %zu chunks, grown block says %s\n", kept, toy_arena_chunks(a),
           r);
    return strcmp(r, "grown") == 0 && kept == 500 ? 0 : 1;
}
