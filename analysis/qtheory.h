/* qtheory.h — analytic queueing results printed beside the measured
 * values: M/M/1, M/G/1 (Pollaczek–Khinchine) and M/M/c (Erlang C).
 * Rates per second, times in seconds. */
#ifndef KMSIM_QTHEORY_H
#define KMSIM_QTHEORY_H

typedef struct ana_queue {
    double rho;          /* utilisation lambda / (c mu)                  */
    double L;            /* mean number in system                        */
    double Lq;           /* mean number waiting                          */
    double W;            /* mean sojourn (waiting + service)             */
    double Wq;           /* mean waiting time                            */
} ana_queue;

/* Each returns 0 and fills *q when the queue is stable (rho < 1), or -1
 * (q filled with NaN except rho) when it is not or inputs are invalid. */
int ana_mm1(double lambda, double mu, ana_queue *q);
/* es = E[S], es2 = E[S^2] of the service time. */
int ana_mg1(double lambda, double es, double es2, ana_queue *q);
int ana_mmc(double lambda, double mu, unsigned c, ana_queue *q);
/* M/M/1/K: at most K requests in the system (K >= 1), arrivals that find
 * it full are lost.  Stable for every rho; *block gets the blocking
 * probability P_K, and L, W (by Little's law over the admitted rate
 * lambda (1 - P_K)), Lq, Wq are filled.  -1 (NaN) on invalid input. */
int ana_mm1k(double lambda, double mu, unsigned K, ana_queue *q,
             double *block);

#endif
