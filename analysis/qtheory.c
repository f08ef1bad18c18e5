/* qtheory.c — closed-form steady-state results for the queues a smart
 * object is modelled as: M/M/1, M/G/1 (Pollaczek–Khinchine) and M/M/c
 * (Erlang C through the Erlang B recursion, stable for any c).  These
 * are printed beside the simulated values; nothing here is on a hot path. */
#include <math.h>
#include "qtheory.h"

/* Marks *q as "no steady state": everything NaN but rho. */
static int queue_invalid(ana_queue *q, double rho)
{
    q->rho = rho;
    q->L = q->Lq = q->W = q->Wq = NAN;
    return -1;
}

/* A strictly positive, finite rate or time (false for NaN). */
static int positive(double x)
{
    return x > 0.0 && isfinite(x);
}

/* lambda / (c mu) when that means something, else NaN. */
static double utilisation(double lambda, double cmu)
{
    if (!(lambda >= 0.0 && isfinite(lambda)) || !positive(cmu))
        return NAN;
    return lambda / cmu;
}

int ana_mm1(double lambda, double mu, ana_queue *q)
{
    double rho = utilisation(lambda, mu);

    if (!positive(lambda) || !positive(mu) || !(rho < 1.0))
        return queue_invalid(q, rho);
    /* rho < 1 as a double implies lambda < mu, so mu - lambda > 0. */
    q->rho = rho;
    q->W = 1.0 / (mu - lambda);
    q->Wq = rho * q->W;
    q->L = lambda * q->W;
    q->Lq = rho * q->L;
    return 0;
}

int ana_mm1k(double lambda, double mu, unsigned K, ana_queue *q,
             double *block)
{
    double rho = utilisation(lambda, mu), L = 0.0, pk, lam_eff;

    *block = NAN;
    if (!positive(lambda) || !positive(mu) || K == 0 || !isfinite(rho))
        return queue_invalid(q, rho);
    /* p_n proportional to rho^n, n = 0..K, summed term by term (no
     * cancellation near rho = 1); above rho = 1 as (1/rho)^(K-n), so that
     * no power overflows. */
    {
        double sum = 0.0, top;
        for (unsigned n = 0; n <= K; n++) {
            double t = rho <= 1.0 ? pow(rho, (double)n)
                                  : pow(1.0 / rho, (double)(K - n));
            sum += t;
            L += (double)n * t;
        }
        top = rho <= 1.0 ? pow(rho, (double)K) : 1.0;
        pk = top / sum;
        L /= sum;
    }
    lam_eff = lambda * (1.0 - pk);
    q->rho = rho;
    q->L = L;
    q->W = lam_eff > 0 ? L / lam_eff : NAN;
    q->Wq = q->W - 1.0 / mu;
    q->Lq = lam_eff * q->Wq;
    *block = pk;
    return 0;
}

/* E[S^2] >= E[S]^2 for any distribution; allow a few ulps for a caller's
 * rounding (deterministic service computes es2 = es * es). */
int ana_mg1(double lambda, double es, double es2, ana_queue *q)
{
    double rho = NAN;

    if (lambda >= 0.0 && isfinite(lambda) && positive(es))
        rho = lambda * es;
    if (!positive(lambda) || !positive(es) || !positive(es2) ||
        es2 < es * es * (1.0 - 1e-12) || !(rho < 1.0))
        return queue_invalid(q, rho);
    q->rho = rho;
    q->Wq = lambda * es2 / (2.0 * (1.0 - rho));
    q->W = q->Wq + es;
    q->L = lambda * q->W;
    q->Lq = lambda * q->Wq;
    return 0;
}

/* Erlang C from Erlang B: B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)) stays
 * in (0, 1] for every k, where the textbook sum of a^k / k! overflows
 * near c = 170.  Then C = c B / (c - a (1 - B)).  O(c). */
int ana_mmc(double lambda, double mu, unsigned c, ana_queue *q)
{
    double rho, a, b = 1.0, pw;

    rho = c > 0 && positive(mu) ? utilisation(lambda, (double)c * mu) : NAN;
    if (c == 0 || !positive(lambda) || !positive(mu) || !(rho < 1.0))
        return queue_invalid(q, rho);
    a = lambda / mu;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    pw = (double)c * b / ((double)c - a * (1.0 - b)); /* P(wait) */
    q->rho = rho;
    q->Wq = pw / ((double)c * mu - lambda);
    q->W = q->Wq + 1.0 / mu;
    q->Lq = lambda * q->Wq;
    q->L = lambda * q->W;
    return 0;
}
