#include "native_entry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

__thread struct lb_native_entry lb_native_entry __attribute__((tls_model("initial-exec")));
_Atomic uint64_t lb_native_entry_binds;

void lb_native_entry_bound(void)
{
    atomic_fetch_add_explicit(&lb_native_entry_binds, 1, memory_order_relaxed);
}

#if defined(__x86_64__)

/* A block is a code page of identical stubs followed by a data page of their targets: stub i
 * jumps through data word i. The code is written once, before the page becomes executable;
 * binding a method only writes its target's word, so no page is ever writable and executable,
 * and none changes under a thread running it. */
#define PAGE 4096
#define STUB_BYTES 40
#define STUBS_PER_BLOCK (PAGE / STUB_BYTES)

struct block {
    unsigned char *code; /* PAGE bytes, then PAGE bytes of targets */
    int used;
    struct block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks; /* newest first; read without the lock by lb_native_entry_is_stub */

static int32_t tls_offset(const void *var)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return (int32_t)((intptr_t)var - (intptr_t)tp);
}

static unsigned char *put_fs_disp(unsigned char *p, const unsigned char *op, size_t n, int32_t d)
{
    memcpy(p, op, n);
    memcpy(p + n, &d, 4);
    return p + n + 4;
}

/* incq %fs:count; movq %rsp, %fs:slot; movq (%rsp), %r11; movq %r11, %fs:ret;
 * jmpq *target(%rip). Flags and r11 are the only state it changes, and neither carries
 * anything into a function under the System V ABI. */
static void write_stub(unsigned char *p, const unsigned char *target_word)
{
    static const unsigned char inc[] = {0x64, 0x48, 0xff, 0x04, 0x25};
    static const unsigned char store_rsp[] = {0x64, 0x48, 0x89, 0x24, 0x25};
    static const unsigned char load_ret[] = {0x4c, 0x8b, 0x1c, 0x24};
    static const unsigned char store_r11[] = {0x64, 0x4c, 0x89, 0x1c, 0x25};
    static const unsigned char jmp[] = {0xff, 0x25};
    memset(p, 0xcc, STUB_BYTES); /* int3 after the jump */
    p = put_fs_disp(p, inc, sizeof inc, tls_offset(&lb_native_entry.count));
    p = put_fs_disp(p, store_rsp, sizeof store_rsp, tls_offset(&lb_native_entry.slot));
    memcpy(p, load_ret, sizeof load_ret);
    p += sizeof load_ret;
    p = put_fs_disp(p, store_r11, sizeof store_r11, tls_offset(&lb_native_entry.ret));
    memcpy(p, jmp, sizeof jmp);
    int32_t rel = (int32_t)(target_word - (p + sizeof jmp + 4));
    memcpy(p + sizeof jmp, &rel, 4);
}

static struct block *new_block(void)
{
    static struct block pool[1024]; /* 100,000 stubs; no malloc on the way */
    static int pooled;
    if (pooled == (int)(sizeof pool / sizeof pool[0]))
        return NULL;
    unsigned char *m =
        mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    for (int i = 0; i < STUBS_PER_BLOCK; i++)
        write_stub(m + i * STUB_BYTES, m + PAGE + i * 8);
    if (mprotect(m, PAGE, PROT_READ | PROT_EXEC) != 0) {
        munmap(m, 2 * PAGE);
        return NULL;
    }
    struct block *b = &pool[pooled++];
    b->code = m;
    b->used = 0;
    b->next = blocks;
    return b;
}

static void *find_stub(void *target)
{
    for (struct block *b = blocks; b; b = b->next)
        for (int i = 0; i < b->used; i++)
            if (((void *const *)(b->code + PAGE))[i] == target)
                return b->code + i * STUB_BYTES;
    return NULL;
}

void *lb_native_entry_stub(void *target)
{
    pthread_mutex_lock(&lock);
    void *stub = find_stub(target);
    if (!stub) {
        struct block *b = blocks && blocks->used < STUBS_PER_BLOCK ? blocks : new_block();
        if (b) {
            ((void **)(b->code + PAGE))[b->used] = target;
            stub = b->code + b->used * STUB_BYTES;
            b->used++;
            __atomic_store_n(&blocks, b, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&lock);
    return stub;
}

bool lb_native_entry_is_stub(const void *p)
{
    for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b; b = b->next)
        if ((const unsigned char *)p >= b->code && (const unsigned char *)p < b->code + PAGE)
            return true;
    return false;
}

#else

void *lb_native_entry_stub(void *target)
{
    (void)target;
    return NULL;
}

bool lb_native_entry_is_stub(const void *p)
{
    (void)p;
    return false;
}

#endif
