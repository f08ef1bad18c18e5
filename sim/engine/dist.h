/* dist.h — random distributions for quantities in scenarios
 * ("exp(60s)", "uniform(1ms, 5ms)", "const(1KiB)", ...).  Parameters are
 * stored in SI base units; sampling uses GSL's gsl_ran_* on a caller's
 * stream.  Moments are exact, for the analytic queueing formulas. */
#ifndef KMSIM_DIST_H
#define KMSIM_DIST_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "units.h"
#include "sim_time.h"

typedef enum sim_dist_kind {
    SIM_DIST_CONST,      /* const(x)                                      */
    SIM_DIST_EXP,        /* exp(mean)                                     */
    SIM_DIST_UNIFORM,    /* uniform(a, b), a <= b                         */
    SIM_DIST_NORMAL,     /* normal(mu, sigma), negative draws become 0    */
    SIM_DIST_LOGNORMAL,  /* lognormal(mean, sd) of the variable itself    */
    SIM_DIST_GAMMA,      /* gamma(shape, mean)                            */
    SIM_DIST_WEIBULL,    /* weibull(scale, shape)                         */
    SIM_DIST_PARETO,     /* pareto(shape, scale)  scale = minimum value   */
    SIM_DIST_ERLANG      /* erlang(k, mean), integer k >= 1               */
} sim_dist_kind;

typedef struct sim_dist {
    sim_dist_kind kind;
    sim_dim dim;         /* dimension of the variable (time, size, ...)   */
    double p[2];         /* parameters as written, in SI units            */
} sim_dist;

/* Parses a distribution expression, or a bare quantity which means
 * const(quantity).  Units inside are checked against dim; shape
 * parameters are dimensionless.  Parameters are range-checked (mean > 0,
 * sigma >= 0, a <= b, shape > 0, ...).  On error returns -1 with a reason
 * in err and the 0-based offending offset in *errcol. */
int sim_dist_parse(sim_dist *out, const char *text, sim_dim dim,
                   char *err, size_t errlen, size_t *errcol);

/* One draw in SI units, never negative. */
double sim_dist_sample(const sim_dist *d, const gsl_rng *r);
/* One draw of a time distribution, rounded to the nearest ns, >= 0,
 * saturating at SIM_TIME_MAX / 4. */
sim_time sim_dist_sample_ns(const sim_dist *d, const gsl_rng *r);

double sim_dist_mean(const sim_dist *d);   /* E[X] of what is sampled  */
double sim_dist_m2(const sim_dist *d);     /* E[X^2]; INFINITY if none */
int sim_dist_is_exp(const sim_dist *d);    /* 1 if exponential         */
/* The smallest value a draw can take (0 when unbounded below). */
double sim_dist_min(const sim_dist *d);
/* P(draw >= x), in [0, 1]; 1 for x <= 0.  Used to refuse time
 * distributions whose draws (almost) all round to 0 ns (issue 20). */
double sim_dist_p_at_least(const sim_dist *d, double x);

/* Canonical text, e.g. "exp(60s)"; always NUL-terminated. */
void sim_dist_format(const sim_dist *d, char *buf, size_t len);

#endif
