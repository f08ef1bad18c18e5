/* par.c — a started-once thread and a spin-then-sleep barrier for two
 * threads (par.h), for --threads 2 (net/world_thr.c, THREADS.md). */
#include <pthread.h>
#include <stdlib.h>
#include "par.h"
#include "util.h"

/* Polls before sleeping, adapted per barrier between SPIN_MIN and
 * SPIN_MAX: doubled when the partner came while polling, halved when the
 * waiter had to sleep.  Measured on scale-dini-1e5 with protocol none
 * (97,000 windows): on an idle 2-core machine 100 polls 2.6-2.9 s, 1,000
 * or more 0.98-1.00 s (one thread: 1.22 s); under load 3.5-5, 2,000
 * polls 17-24 s, 0-200 about 5 s: spinning then takes the partner's
 * core. */
#define SPIN_MIN 32u
#define SPIN_MAX 65536u
/* Invariant: gen counts completed rounds; count the threads arrived in
 * this round (0 or 1 between rounds).  The second arrival resets count
 * and advances gen under mu, so a sleeper that saw the old gen under mu
 * is woken. */
struct sim_par_bar {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned gen;           /* rounds completed (__atomic)                */
    unsigned count;         /* threads arrived in this round (__atomic)   */
    unsigned spin;          /* polls before sleeping (__atomic, a hint)   */
};

struct sim_par_thread {
    pthread_t tid;
};

sim_par_bar *sim_par_bar_new(void)
{
    sim_par_bar *b = xcalloc(1, sizeof *b);

    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return NULL;
    }
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        return NULL;
    }
    b->spin = 1024;
    return b;
}

void sim_par_bar_free(sim_par_bar *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

void sim_par_bar_wait(sim_par_bar *b)
{
    unsigned g = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE), spin;

    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == 2) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        pthread_mutex_lock(&b->mu);
        __atomic_store_n(&b->gen, g + 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    spin = __atomic_load_n(&b->spin, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < spin; i++) {
        if (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) != g) {
            if (spin < SPIN_MAX)
                __atomic_store_n(&b->spin, 2 * spin, __ATOMIC_RELAXED);
            return;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    if (spin > SPIN_MIN)
        __atomic_store_n(&b->spin, spin / 2, __ATOMIC_RELAXED);
    pthread_mutex_lock(&b->mu);
    while (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) == g)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
}

sim_par_thread *sim_par_thread_start(void *(*fn)(void *), void *arg)
{
    sim_par_thread *t = xcalloc(1, sizeof *t);

    if (pthread_create(&t->tid, NULL, fn, arg) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void sim_par_thread_join(sim_par_thread *t)
{
    if (!t)
        return;
    pthread_join(t->tid, NULL);
    free(t);
}
