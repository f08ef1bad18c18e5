/* guard.h — run-away guards (issue 20, kmsim extension): an interrupt
 * flag polled while a world is built and while it runs, a memory budget
 * checked against the process's resident size.  The estimates made before
 * a run are in estimate.h; the out-of-memory clean-up is util.h's. */
#ifndef KMSIM_GUARD_H
#define KMSIM_GUARD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* What a long loop asks between steps.  Caller storage: sim_guard_init
 * then sim_guard_deinit.  Invariant: statm_fd is -1 or an open
 * descriptor of /proc/self/statm (read with pread: no allocation). */
typedef struct sim_guard {
    volatile sig_atomic_t *stop;  /* set asynchronously by a signal; NULL */
    uint64_t max_memory;     /* resident bytes allowed; 0: no budget      */
    uint64_t peak;           /* largest resident size measured (bytes)    */
    uint32_t ticks;          /* polls since the last memory reading       */
    int statm_fd;            /* /proc/self/statm, or -1                   */
    long page;               /* bytes per page                            */
    int tripped;             /* the first non-OK poll result (SIM_GUARD_*) */
} sim_guard;

/* Why a guarded loop stopped. */
enum { SIM_GUARD_OK = 0, SIM_GUARD_STOP = 1, SIM_GUARD_MEMORY = 2 };

void sim_guard_init(sim_guard *g, volatile sig_atomic_t *stop,
                    uint64_t max_memory);
void sim_guard_deinit(sim_guard *g);

/* Cheap: the stop flag on every call; the resident size every 64th call
 * (a set-up loop calls this every few thousand iterations, the event loop
 * every 2^16 events).  g NULL: SIM_GUARD_OK. */
int sim_guard_poll(sim_guard *g);
/* Reads the resident size now (updates g->peak); 0 if unknown. */
uint64_t sim_guard_rss(sim_guard *g);

/* Physical memory of the machine in bytes (0 if unknown), and the default
 * budget: SIM_GUARD_DEFAULT_PERCENT of it, or of the process's address
 * space or data limit when smaller (0: no budget when all are unknown). */
#define SIM_GUARD_DEFAULT_PERCENT 75
uint64_t sim_guard_phys_mem(void);
uint64_t sim_guard_default_budget(void);

/* "1.5 GiB": bytes in binary units, 4 significant digits, into buf. */
void sim_guard_fmt_bytes(char *buf, size_t len, double bytes);

#endif
