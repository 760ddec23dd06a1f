/* libleakstack.so (SmallStacks): native threads, unknown to the JVM, with small stacks, that
 * recurse until only `left` bytes of their stack remain and then malloc blocks of STACK_SIZE
 * bytes from stack_edge_alloc and keep them: the agent's hook then runs with that little stack
 * below it. A thread that runs out of stack kills the JVM (SIGSEGV on the guard page), so a run
 * that ends is one the hook survived. run() also runs one fiber (makecontext) on a stack of
 * FIBER_STACK bytes in memory of its own, outside every thread's stack, which allocates too.
 * Every block is kept: kept() counts them.
 *
 * Before it allocates, stack_edge_alloc paints the stack below its frame, and afterwards finds
 * the lowest byte written: deepest() tells how far below stack_edge_alloc's frame the
 * allocations reached (malloc, and the agent's hook with it), the most of any thread since the
 * last run(). */
#include <jni.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define LOCAL static __attribute__((noinline, noclone))
#define STACK_SIZE 1201 /* the blocks' fingerprint size */
#define MAX_KEPT 1000000
#define FIBER_STACK (8 * 1024)

#define PAINT 0xa5a5a5a5a5a5a5a5ULL
#define PAINT_GAP 128 /* left unpainted right below the frame: the painting loop's own stack */

static void *kept_blocks[MAX_KEPT];
static atomic_int nkept;
static atomic_long deepest_use;

struct job {
    uintptr_t low; /* the lowest usable byte of the thread's stack */
    long left;     /* bytes of stack to leave below the allocating frame */
    int allocs;
    int warm; /* malloc once before descending */
};

/* Paints [low, sp - PAINT_GAP) by hand: a call to memset would bind lazily at the edge. */
LOCAL void stack_paint(uintptr_t low, uintptr_t sp)
{
    for (volatile uint64_t *w = (volatile uint64_t *)low; (uintptr_t)(w + 1) <= sp - PAINT_GAP; w++)
        *w = PAINT;
}

LOCAL void stack_note_use(uintptr_t low, uintptr_t sp)
{
    const volatile uint64_t *w = (const volatile uint64_t *)low;
    while ((uintptr_t)(w + 1) <= sp - PAINT_GAP && *w == PAINT)
        w++;
    long used = (long)(sp - (uintptr_t)w);
    long was = atomic_load(&deepest_use);
    while (used > was && !atomic_compare_exchange_weak(&deepest_use, &was, used))
        ;
}

LOCAL void stack_edge_alloc(int allocs, uintptr_t low)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    stack_paint(low, sp);
    for (int i = 0; i < allocs; i++) {
        char *p = malloc(STACK_SIZE);
        if (!p)
            return;
        p[0] = 1;
        int at = atomic_fetch_add(&nkept, 1);
        if (at < MAX_KEPT)
            kept_blocks[at] = p;
    }
    stack_note_use(low, sp);
}

/* Recursion with frames of about 200 bytes down to `left`: the stack is deep, as in a parser. */
LOCAL int stack_descend(const struct job *j, int level)
{
    volatile char pad[160];
    pad[0] = (char)level;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp - j->low > (uintptr_t)j->left + 256)
        return stack_descend(j, level + 1) + pad[0];
    /* The last step, within 256 bytes: alloca the rest. */
    long rest = (long)(sp - j->low) - j->left;
    volatile char *gap = __builtin_alloca(rest > 0 ? (size_t)rest : 1);
    gap[0] = 0;
    stack_edge_alloc(j->allocs, j->low);
    return level + gap[0];
}

LOCAL void *stack_thread(void *arg)
{
    struct job j = *(const struct job *)arg;
    pthread_attr_t attr;
    void *low;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return NULL;
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
    j.low = (uintptr_t)low;
    if (j.warm) {
        /* Without the agent, the library's first malloc binds its import slot lazily, which
         * takes far more stack than malloc (with the agent the slot holds the hook). */
        void *first = malloc(STACK_SIZE);
        __asm__ volatile("" : : "r"(first) : "memory");
        free(first);
    }
    stack_descend(&j, 0);
    return (void *)1;
}

static ucontext_t fiber_ctx, caller_ctx;
static int fiber_allocs;
static uintptr_t fiber_low;

static void stack_fiber(void)
{
    stack_edge_alloc(fiber_allocs, fiber_low);
}

LOCAL int run_fiber(int allocs)
{
    char *mem =
        mmap(NULL, FIBER_STACK + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return -1;
    mprotect(mem, 4096, PROT_NONE); /* a guard page below, as a thread has */
    fiber_allocs = allocs;
    fiber_low = (uintptr_t)mem + 4096;
    getcontext(&fiber_ctx);
    fiber_ctx.uc_stack.ss_sp = mem + 4096;
    fiber_ctx.uc_stack.ss_size = FIBER_STACK;
    fiber_ctx.uc_link = &caller_ctx;
    makecontext(&fiber_ctx, stack_fiber, 0);
    int rc = swapcontext(&caller_ctx, &fiber_ctx);
    munmap(mem, FIBER_STACK + 4096);
    return rc;
}

/* Runs `threads` threads, `parallel` at a time, each with a stack of `stack` bytes, leaving
 * `left` bytes below the frame that allocates `allocs` blocks (with warm, after a malloc with
 * its whole stack free: a thread's first allocation is otherwise at the edge); then, if fiber
 * is set, a fiber that allocates `allocs` blocks. Returns the threads that ran to the end. */
JNIEXPORT jint JNICALL Java_SmallStacks_run(JNIEnv *env, jclass cls, jint threads, jint parallel,
                                            jint stack, jint left, jint allocs, jboolean warm,
                                            jboolean fiber)
{
    (void)env, (void)cls;
    struct job job = {0, left, allocs, warm};
    atomic_store(&deepest_use, 0);
    pthread_t tids[64];
    int done = 0;
    if (parallel < 1 || parallel > 64)
        return -1;
    for (int started = 0; started < threads;) {
        int n = 0;
        for (; n < parallel && started < threads; n++, started++) {
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            if (pthread_attr_setstacksize(&attr, (size_t)stack) != 0 ||
                pthread_create(&tids[n], &attr, stack_thread, &job) != 0) {
                pthread_attr_destroy(&attr);
                return -1;
            }
            pthread_attr_destroy(&attr);
        }
        for (int i = 0; i < n; i++) {
            void *ok = NULL;
            pthread_join(tids[i], &ok);
            done += ok != NULL;
        }
    }
    if (fiber && run_fiber(allocs) != 0)
        return -1;
    return done;
}

JNIEXPORT jint JNICALL Java_SmallStacks_kept(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    return atomic_load(&nkept);
}

JNIEXPORT jlong JNICALL Java_SmallStacks_deepest(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    return atomic_load(&deepest_use);
}
