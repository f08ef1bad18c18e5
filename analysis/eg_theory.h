/* eg_theory.h — closed forms of random key predistribution: the
 * probability that two nodes with rings of m keys drawn without
 * replacement from a pool of P share at least q of them (Eschenauer and
 * Gligor for q = 1; Chan, Perrig and Song's q-composite scheme). */
#ifndef KMSIM_EG_THEORY_H
#define KMSIM_EG_THEORY_H

/* Probability that two rings share exactly i keys:
 *   p(i) = C(P,i) C(P-i, 2(m-i)) C(2(m-i), m-i) / C(P,m)^2,
 * computed in log space (gsl_sf_lnchoose).  0 when i > m or the pool is
 * too small for the draw; NaN for m > P. */
double ana_eg_p_exact(unsigned P, unsigned m, unsigned i);
/* Basic E–G: p1 = 1 - C(P-m, m) / C(P, m) (0 when m = 0, 1 when 2m > P);
 * NaN for m > P. */
double ana_eg_p1(unsigned P, unsigned m);
/* q-composite: p = 1 - sum_{i<q} p(i) (q = 0 gives 1); NaN for m > P. */
double ana_eg_pq(unsigned P, unsigned m, unsigned q);

#endif
