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
