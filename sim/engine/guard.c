/* guard.c — run-away guards: the interrupt flag and the memory budget,
 * polled by the set-up loops of a world and by the event loop (kmsim
 * extension, issue 20).  Nothing here allocates: a poll is a load of the
 * flag and, every 64th time, one pread of /proc/self/statm. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "guard.h"

#define GUARD_RSS_EVERY 64u    /* polls between two readings of the RSS */

void sim_guard_init(sim_guard *g, volatile sig_atomic_t *stop,
                    uint64_t max_memory)
{
    memset(g, 0, sizeof *g);
    g->stop = stop;
    g->max_memory = max_memory;
    g->page = sysconf(_SC_PAGESIZE);
    if (g->page <= 0)
        g->page = 4096;
    g->statm_fd = max_memory ? open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
                             : -1;
}

void sim_guard_deinit(sim_guard *g)
{
    if (g->statm_fd >= 0)
        close(g->statm_fd);
    g->statm_fd = -1;
}

/* statm: "size resident shared text lib data dt", in pages. */
uint64_t sim_guard_rss(sim_guard *g)
{
    char buf[128], *p;
    ssize_t n;
    unsigned long long pages;

    if (g->statm_fd < 0)
        return 0;
    n = pread(g->statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p = strchr(buf, ' ');
    if (!p || sscanf(p + 1, "%llu", &pages) != 1)
        return 0;
    pages *= (unsigned long long)g->page;
    if (pages > g->peak)
        g->peak = pages;
    return pages;
}

int sim_guard_poll(sim_guard *g)
{
    if (!g)
        return SIM_GUARD_OK;
    if (g->tripped)
        return g->tripped;
    if (g->stop && *g->stop)
        return g->tripped = SIM_GUARD_STOP;
    if (g->max_memory && ++g->ticks >= GUARD_RSS_EVERY) {
        g->ticks = 0;
        if (sim_guard_rss(g) > g->max_memory)
            return g->tripped = SIM_GUARD_MEMORY;
    }
    return SIM_GUARD_OK;
}

uint64_t sim_guard_phys_mem(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

    if (pages <= 0 || page <= 0)
        return 0;
    return (uint64_t)pages * (uint64_t)page;
}

/* A limit on the address space or the data segment (ulimit -v, -d) is
 * memory the process cannot have either: the budget is that share of the
 * smallest of the three. */
uint64_t sim_guard_default_budget(void)
{
    static const int res[] = {RLIMIT_AS, RLIMIT_DATA};
    uint64_t m = sim_guard_phys_mem();

    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        struct rlimit rl;
        if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            (m == 0 || (uint64_t)rl.rlim_cur < m))
            m = (uint64_t)rl.rlim_cur;
    }
    return m / 100 * SIM_GUARD_DEFAULT_PERCENT;
}

void sim_guard_fmt_bytes(char *buf, size_t len, double bytes)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB",
                                       "PiB", "EiB"};
    size_t u = 0;

    while (bytes >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, len, "%.4g %s", bytes, unit[u]);
}
