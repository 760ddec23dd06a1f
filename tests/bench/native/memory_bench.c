/* The memory section's cost in a large process, outside a JVM: THREADS blocked threads and
 * MAPPINGS anonymous mappings of 2 pages (one written; alternate ones read-only, so that the
 * kernel cannot merge neighbours), then the section gathered ROUNDS times; prints each time and
 * the median. The agent's own cost in a JVM adds the management beans (jmx_us in the report).
 * Usage: memory_bench [THREADS [MAPPINGS [ROUNDS]]] (defaults 2000 10000 9). */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "memory.h"

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *blocked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return NULL;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2000, mappings = argc > 2 ? atoi(argv[2]) : 10000;
    int rounds = argc > 3 ? atoi(argv[3]) : 9;
    if (rounds < 1 || rounds > 99)
        rounds = 9;
    pthread_mutex_lock(&gate);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], &attr, blocked, NULL) != 0) {
            fprintf(stderr, "only %d threads\n", i);
            threads = i;
            break;
        }
    for (int i = 0; i < mappings; i++) {
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        p[0] = 1;
        if (i % 2)
            mprotect(p, 8192, PROT_READ);
    }
    struct lb_memory_input in = {0};
    double ms[99];
    for (int r = 0; r < rounds; r++) {
        double start = now_ms();
        json_t *section = lb_memory_section(&in);
        ms[r] = now_ms() - start;
        json_t *stacks = json_array_get(json_object_get(section, "regions"), 3);
        printf("round %d: %.1f ms, %lld mappings, %lld threads (%lld located)\n", r + 1, ms[r],
               (long long)json_integer_value(json_object_get(section, "mappings")),
               (long long)json_integer_value(json_object_get(stacks, "count")),
               (long long)json_integer_value(json_object_get(stacks, "located")));
        json_decref(section);
    }
    qsort(ms, (size_t)rounds, sizeof ms[0], by_value);
    printf("median %.1f ms (min %.1f, max %.1f) for %d threads and %d extra mappings\n",
           ms[rounds / 2], ms[0], ms[rounds - 1], threads, mappings);
    pthread_mutex_unlock(&gate);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    free(t);
    return 0;
}
