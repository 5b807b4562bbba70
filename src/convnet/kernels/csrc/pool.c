/* One pool of threads that owns the cores, and per-thread scratch memory.
 *
 * pool_run(fn, ctx, nt) runs fn(ctx, tid, nt) on nt threads: the caller is thread 0 and the
 * workers are 1 .. nt-1. Work is divided by the kernels themselves, in fixed contiguous
 * shares (see share() in native.h), so a result depends only on the thread count. A worker
 * that has finished spins briefly for the next task (kernels follow each other within
 * microseconds during a training step), then sleeps on a condition variable, so an idle
 * pool costs nothing. Calls are serialised: two Python threads running kernels at once take
 * turns. After fork() the child starts without workers and makes new ones on first use.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE            /* sched_getaffinity, CPU_COUNT */
#endif
#include "native.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 256
#define SPIN_ROUNDS 20000          /* pause instructions before a worker sleeps (tens of us) */

static struct {
    pthread_mutex_t run_lock;      /* one pool_run at a time */
    pthread_mutex_t lock;          /* guards sleeping and waking */
    pthread_cond_t wake;
    atomic_long generation;        /* bumped for every task */
    atomic_int pending;            /* workers still busy with the current task */
    atomic_int quit;
    task_fn fn;
    void *ctx;
    int nt;                        /* threads taking part in the current task */
    int size;                      /* threads in the pool, the caller included */
    int started;                   /* workers running */
    pthread_t workers[MAX_THREADS];
    long born[MAX_THREADS];        /* the generation each worker was created at */
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static struct {
    float *ptr[SCRATCH_SLOTS];
    size_t count[SCRATCH_SLOTS];
} S[MAX_THREADS];

float *scratch(int tid, int slot, size_t count)
{
    if (S[tid].count[slot] < count) {
        free(S[tid].ptr[slot]);
        size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
        S[tid].ptr[slot] = aligned_alloc(64, bytes);
        S[tid].count[slot] = S[tid].ptr[slot] ? count : 0;
    }
    return S[tid].ptr[slot];
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg;
    long seen = P.born[tid];        /* not a fresh load: a task may already have been posted */
    for (;;) {
        long gen = seen;
        for (int i = 0; i < SPIN_ROUNDS && (gen = atomic_load_explicit(&P.generation, memory_order_acquire)) == seen; i++)
            CPU_RELAX();
        if (gen == seen) {
            pthread_mutex_lock(&P.lock);
            while ((gen = atomic_load(&P.generation)) == seen && !atomic_load(&P.quit))
                pthread_cond_wait(&P.wake, &P.lock);
            pthread_mutex_unlock(&P.lock);
        }
        if (atomic_load(&P.quit))
            return NULL;
        seen = gen;
        if (tid < P.nt)
            P.fn(P.ctx, tid, P.nt);
        atomic_fetch_sub_explicit(&P.pending, 1, memory_order_release);
    }
}

static int default_size(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
#endif
    return n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (int)n);
}

static void stop_workers(void)
{
    if (!P.started)
        return;
    pthread_mutex_lock(&P.lock);
    atomic_store(&P.quit, 1);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    for (int i = 1; i <= P.started; i++)
        pthread_join(P.workers[i], NULL);
    atomic_store(&P.quit, 0);
    P.started = 0;
}

static void start_workers(void)
{
    if (P.size == 0)
        P.size = default_size();
    while (P.started < P.size - 1) {
        int tid = P.started + 1;
        P.born[tid] = atomic_load(&P.generation);
        if (pthread_create(&P.workers[tid], NULL, worker, (void *)(intptr_t)tid) != 0) {
            P.size = P.started + 1;        /* run with the threads we could make */
            break;
        }
        P.started++;
    }
}

static void after_fork_in_child(void)
{
    pthread_mutex_init(&P.run_lock, NULL);
    pthread_mutex_init(&P.lock, NULL);
    pthread_cond_init(&P.wake, NULL);
    P.started = 0;                     /* the workers did not survive the fork */
    atomic_store(&P.pending, 0);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void install_fork_handler(void) { pthread_atfork(NULL, NULL, after_fork_in_child); }

int pool_size(void)
{
    if (P.size == 0)
        P.size = default_size();
    return P.size;
}

void pool_resize(int n)
{
    pthread_mutex_lock(&P.run_lock);
    stop_workers();
    P.size = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n);
    pthread_mutex_unlock(&P.run_lock);
}

int pool_run(task_fn fn, void *ctx, int nt)
{
    pthread_once(&fork_once, install_fork_handler);
    pthread_mutex_lock(&P.run_lock);
    if (nt > pool_size())
        nt = pool_size();
    if (nt > 1)
        start_workers();
    if (nt > P.started + 1)
        nt = P.started + 1;
    if (nt <= 1) {
        fn(ctx, 0, 1);
        pthread_mutex_unlock(&P.run_lock);
        return 1;
    }
    P.fn = fn;
    P.ctx = ctx;
    P.nt = nt;
    atomic_store(&P.pending, P.started);
    pthread_mutex_lock(&P.lock);
    atomic_fetch_add_explicit(&P.generation, 1, memory_order_release);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    fn(ctx, 0, nt);
    for (long i = 0; atomic_load_explicit(&P.pending, memory_order_acquire) > 0; i++) {
        if (i < SPIN_ROUNDS)
            CPU_RELAX();
        else
            sched_yield();
    }
    pthread_mutex_unlock(&P.run_lock);
    return nt;
}
