/* sim_time.h — the simulated clock: a signed 64-bit count of nanoseconds.
 * Never floating point in the clock: a run must be a pure function of
 * (scenario, seed), and doubles accumulate rounding differently per path. */
#ifndef KMSIM_SIM_TIME_H
#define KMSIM_SIM_TIME_H

#include <stdint.h>

typedef int64_t sim_time;               /* nanoseconds since the run began */

#define SIM_NS   ((sim_time)1)
#define SIM_US   ((sim_time)1000)
#define SIM_MS   ((sim_time)1000000)
#define SIM_S    ((sim_time)1000000000)
#define SIM_MIN  (60 * SIM_S)
#define SIM_HOUR (3600 * SIM_S)
#define SIM_TIME_MAX INT64_MAX          /* "never" / run until empty */

/* a + b for a, b >= 0, saturating at SIM_TIME_MAX ("never") instead of
 * overflowing: accumulated costs and timers built from user values must
 * never wrap into the past (issue 20). */
static inline sim_time sim_time_add_sat(sim_time a, sim_time b)
{
    return b > SIM_TIME_MAX - a ? SIM_TIME_MAX : a + b;
}

/* Seconds as a double, for statistics and printing only. */
static inline double sim_time_to_s(sim_time t) { return (double)t / 1e9; }

#endif
