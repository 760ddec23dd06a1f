/* libleakfork.so (NativeFork): fork() while other threads of this library churn malloc/free,
 * as native code that starts processes itself does. Each child allocates and frees through
 * this library (so through the agent's hooks) and exits; a child that has not exited within
 * 10 seconds is hung (a lock held by a thread that does not exist in the child) and killed.
 * Afterwards the parent keeps `keep` blocks of 3001 bytes (hold_after_forks), to show that
 * its own tracking goes on. */
#include <jni.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCAL static __attribute__((noinline, noclone))
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static atomic_bool stop;

LOCAL void *churn(void *arg)
{
    (void)arg;
    void *held[64] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        free(held[i % 64]);
        held[i % 64] = malloc(16 + i % 4096);
        ESCAPE(held[i % 64]);
    }
    for (int i = 0; i < 64; i++)
        free(held[i]);
    return NULL;
}

LOCAL void child(int allocs)
{
    for (int i = 0; i < allocs; i++) {
        void *p = malloc(32 + (size_t)i % 2048);
        ESCAPE(p);
        free(p);
    }
    _exit(0);
}

static void *kept[1024];

LOCAL void hold_after_forks(int keep)
{
    for (int i = 0; i < keep && i < 1024; i++) {
        kept[i] = malloc(3001);
        ESCAPE(kept[i]);
    }
}

/* Returns the number of children that hung, or -1 if it could not run. */
JNIEXPORT jint JNICALL Java_NativeFork_forkWhileChurning(JNIEnv *env, jclass cls, jint threads,
                                                         jint forks, jint allocs, jint keep)
{
    (void)env, (void)cls;
    pthread_t tids[16];
    int started = 0;
    atomic_store(&stop, false);
    for (; started < threads && started < 16; started++)
        if (pthread_create(&tids[started], NULL, churn, NULL) != 0)
            break;
    int hung = 0;
    for (int f = 0; f < forks; f++) {
        pid_t pid = fork();
        if (pid == 0)
            child(allocs);
        if (pid < 0) {
            hung = -1;
            break;
        }
        int status = 0;
        int waited_ms = 0;
        while (waitpid(pid, &status, WNOHANG) == 0) {
            if (waited_ms >= 10000) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                hung++;
                break;
            }
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
            waited_ms += 10;
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    hold_after_forks(keep);
    return hung;
}
