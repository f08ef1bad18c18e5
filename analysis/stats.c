/* stats.c — running statistics for one run (Welford mean/variance, Chan's
 * merge, time-weighted averages on the integer-ns clock) and the summary
 * of one metric across replications with a Student-t confidence interval.
 * Pure arithmetic on caller-owned structs: no allocation, no globals. */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <gsl/gsl_cdf.h>
#include "stats.h"

/* ------------------------------------------------------------------ */
/* Welford                                                             */
/* ------------------------------------------------------------------ */

void ana_welford_init(ana_welford *w)
{
    w->n = 0;
    w->mean = 0.0;
    w->m2 = 0.0;
    w->min = NAN;
    w->max = NAN;
}

/* A NaN sample makes mean and variance NaN (and is ignored by min/max):
 * NaN in means a bug upstream, and hiding it would be worse. */
void ana_welford_add(ana_welford *w, double x)
{
    double delta;

    w->n++;
    delta = x - w->mean;
    w->mean += delta / (double)w->n;
    /* delta and (x - new mean) have the same sign: m2 never decreases. */
    w->m2 += delta * (x - w->mean);
    if (w->n == 1) {
        w->min = x;
        w->max = x;
    } else {
        if (x < w->min)
            w->min = x;
        if (x > w->max)
            w->max = x;
    }
}

double ana_welford_var(const ana_welford *w)
{
    if (w->n < 2)
        return NAN;
    return w->m2 / (double)(w->n - 1);
}

double ana_welford_sd(const ana_welford *w)
{
    return sqrt(ana_welford_var(w));
}

void ana_welford_merge(ana_welford *a, const ana_welford *b)
{
    ana_welford bb = *b;        /* a == b (self-merge) must still work */
    double na, nb, n, delta;

    if (bb.n == 0)
        return;
    if (a->n == 0) {
        *a = bb;
        return;
    }
    na = (double)a->n;
    nb = (double)bb.n;
    n = na + nb;
    delta = bb.mean - a->mean;
    a->mean += delta * (nb / n);
    a->m2 += bb.m2 + delta * delta * (na / n) * nb;
    a->n += bb.n;
    if (bb.min < a->min)
        a->min = bb.min;
    if (bb.max > a->max)
        a->max = bb.max;
}

/* ------------------------------------------------------------------ */
/* Time-weighted average                                               */
/* ------------------------------------------------------------------ */

/* Each step adds level * dt with dt converted from exact int64 ns to
 * seconds once, so the clock itself never accumulates rounding; only the
 * sum of areas does, at one rounding per level change. */
static double twa_piece(double level, sim_time dt)
{
    if (dt == 0)
        return 0.0;         /* an infinite level for 0 ns adds nothing */
    return level * sim_time_to_s(dt);
}

void ana_twa_init(ana_twa *a, sim_time start, double value)
{
    a->start = start;
    a->last = start;
    a->value = value;
    a->area = 0.0;
}

void ana_twa_set(ana_twa *a, sim_time t, double value)
{
    assert(t >= a->last);
    a->area += twa_piece(a->value, t - a->last);
    a->last = t;
    a->value = value;
}

void ana_twa_reset(ana_twa *a, sim_time t)
{
    assert(t >= a->last);
    a->start = t;
    a->last = t;
    a->area = 0.0;
}

double ana_twa_mean(const ana_twa *a, sim_time t)
{
    assert(t >= a->last);
    if (t == a->start)
        return NAN;
    return (a->area + twa_piece(a->value, t - a->last)) /
           sim_time_to_s(t - a->start);
}

/* ------------------------------------------------------------------ */
/* Summaries across replications                                       */
/* ------------------------------------------------------------------ */

double ana_t_quantile(double level, unsigned dof)
{
    if (dof == 0 || !(level > 0.0 && level < 1.0))
        return NAN;
    return gsl_cdf_tdist_Pinv(0.5 + level / 2.0, (double)dof);
}

/* Two passes (mean, then squared deviations with the rounding correction
 * term) rather than Welford: n is small and this is the most accurate. */
int ana_summarize(const double *x, size_t n, double level, ana_summary *out)
{
    size_t k = 0, nfinite = 0;
    double sum = 0.0, mean, dev = 0.0, dev2 = 0.0;
    double lo = NAN, hi = NAN;

    out->n = 0;
    out->mean = out->sd = out->ci_lo = out->ci_hi = NAN;
    out->min = out->max = NAN;

    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            continue;
        if (k == 0 || x[i] < lo)
            lo = x[i];
        if (k == 0 || x[i] > hi)
            hi = x[i];
        if (isfinite(x[i]))
            nfinite++;
        sum += x[i];
        k++;
    }
    if (k == 0)
        return -1;
    mean = sum / (double)k;
    out->n = k;
    out->mean = mean;
    out->min = lo;
    out->max = hi;
    if (k >= 2) {
        double var, half;

        for (size_t i = 0; i < n; i++) {
            if (isnan(x[i]))
                continue;
            dev += x[i] - mean;
            dev2 += (x[i] - mean) * (x[i] - mean);
        }
        var = (dev2 - dev * dev / (double)k) / (double)(k - 1);
        if (var < 0.0)
            var = 0.0;      /* the correction can overshoot by an ulp */
        out->sd = sqrt(var);
        half = ana_t_quantile(level, k - 1 > UINT_MAX ? UINT_MAX
                                                      : (unsigned)(k - 1)) *
               out->sd / sqrt((double)k);
        out->ci_lo = mean - half;
        out->ci_hi = mean + half;
    }
    return nfinite > 0 ? 0 : -1;
}
