/* eg_theory.c — closed forms of random key predistribution (see
 * eg_theory.h), in log space so that pools of 10^5 keys do not overflow. */
#include <math.h>
#include <gsl/gsl_sf_gamma.h>
#include "eg_theory.h"

double ana_eg_p_exact(unsigned P, unsigned m, unsigned i)
{
    unsigned r;
    double ln;

    if (m > P)
        return NAN;
    if (i > m)
        return 0;
    r = m - i;                              /* keys of each ring not shared */
    if ((unsigned long)i + 2ul * r > P)
        return 0;
    ln = gsl_sf_lnchoose(P, i) + gsl_sf_lnchoose(P - i, 2 * r) +
         gsl_sf_lnchoose(2 * r, r) - 2 * gsl_sf_lnchoose(P, m);
    return exp(ln);
}

double ana_eg_p1(unsigned P, unsigned m)
{
    if (m > P)
        return NAN;
    if (2ul * m > P)
        return 1;
    return -expm1(gsl_sf_lnchoose(P - m, m) - gsl_sf_lnchoose(P, m));
}

double ana_eg_pq(unsigned P, unsigned m, unsigned q)
{
    double s = 0;

    if (m > P)
        return NAN;
    for (unsigned i = 0; i < q && i <= m; i++)
        s += ana_eg_p_exact(P, m, i);
    return s >= 1 ? 0 : 1 - s;
}

/* 1 - (1 - m/P)^x without cancellation for small m/P. */
double ana_eg_resilience(unsigned P, unsigned m, unsigned x)
{
    if (P == 0 || m > P)
        return NAN;
    if (m == P)
        return x ? 1 : 0;
    return -expm1((double)x * log1p(-(double)m / P));
}

double ana_eg_resilience_q(unsigned P, unsigned m, unsigned q, unsigned x)
{
    double c = ana_eg_resilience(P, m, x), num = 0, p = 0;

    if (q == 0 || isnan(c))
        return NAN;
    for (unsigned i = q; i <= m; i++) {
        double pi = ana_eg_p_exact(P, m, i);
        p += pi;
        num += pow(c, (double)i) * pi;
    }
    return p > 0 ? num / p : NAN;
}
