/* eg_theory.h — closed forms of random key predistribution: the
 * probability that two nodes with rings of m keys drawn without
 * replacement from a pool of P share at least q of them (Eschenauer and
 * Gligor for q = 1; Chan, Perrig and Song's q-composite scheme), and the
 * resilience of both to node capture. */
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


/* Resilience of basic E–G (one pool key per link) to the capture of x
 * nodes: the expected fraction of the links between uncaptured nodes
 * whose key is in some captured ring, 1 - (1 - m/P)^x (each captured ring
 * holds a given pool key with probability m/P, independently).  0 for
 * x = 0; NaN for P = 0 or m > P. */
double ana_eg_resilience(unsigned P, unsigned m, unsigned x);
/* The same for the q-composite scheme, whose link key depends on all the
 * i >= q keys the two rings share (Chan, Perrig and Song 2003, eq. 4):
 *   sum_{i=q..m} (1 - (1 - m/P)^x)^i p(i) / p,   p = sum_{i>=q} p(i),
 * p(i) = ana_eg_p_exact (the shared keys treated as independently in the
 * captured rings, as the paper does; the exact value differs by O(1/P)).
 * With q = 1 this is the scheme that hashes all shared keys, not basic
 * E–G (use ana_eg_resilience).  NaN for q = 0, m > P, or p = 0 (no pair
 * ever shares q keys). */
double ana_eg_resilience_q(unsigned P, unsigned m, unsigned q, unsigned x);

#endif
