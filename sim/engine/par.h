/* par.h — the two-thread primitives of --threads 2 (kmsim extension,
 * sim/THREADS.md): a thread started once and joined, and a barrier for
 * two threads that spins briefly, then sleeps.  Kept apart from world_thr.c
 * so that pthread.h is included without _GNU_SOURCE (the locality build
 * defines it, and <pthread.h> then wants the system <sched.h>, which
 * sim/engine/sched.h shadows on the include path). */
#ifndef KMSIM_PAR_H
#define KMSIM_PAR_H

typedef struct sim_par_bar sim_par_bar;       /* opaque */
typedef struct sim_par_thread sim_par_thread; /* opaque */

/* A barrier for exactly two threads; NULL on failure.  Free it with
 * nobody waiting (NULL is a no-op). */
sim_par_bar *sim_par_bar_new(void);
void sim_par_bar_free(sim_par_bar *b);
/* Returns once both threads have called it (this round): everything
 * either wrote before it is visible to the other after it.  Polls a
 * while (adapted: longer while the partner keeps coming during the
 * polls, shorter while it does not), then sleeps on a condition variable
 * (a busy machine: spinning would take the partner's core). */
void sim_par_bar_wait(sim_par_bar *b);

/* Starts fn(arg) on a new thread; NULL if it cannot (nothing started). */
sim_par_thread *sim_par_thread_start(void *(*fn)(void *), void *arg);
/* Waits for it to return and frees t (NULL is a no-op). */
void sim_par_thread_join(sim_par_thread *t);

#endif
