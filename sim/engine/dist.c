/* dist.c — distributions of scenario quantities: parsing "exp(60s)",
 * sampling with GSL on a caller's stream, exact first and second moments
 * (for the analytic queueing formulas) and canonical formatting. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "dist.h"
#include "util.h"

#define ERLANG_MAX_K 1000000.0

/* What each kind takes: parameter names and which are dimensionless. */
typedef struct dist_def {
    const char *name;
    sim_dist_kind kind;
    int nargs;
    const char *arg[2];
    int shape[2];        /* 1: dimensionless (SIM_DIM_NONE)             */
} dist_def;

static const dist_def defs[] = {
    {"const", SIM_DIST_CONST, 1, {"value", NULL}, {0, 0}},
    {"exp", SIM_DIST_EXP, 1, {"mean", NULL}, {0, 0}},
    {"uniform", SIM_DIST_UNIFORM, 2, {"a", "b"}, {0, 0}},
    {"normal", SIM_DIST_NORMAL, 2, {"mu", "sigma"}, {0, 0}},
    {"lognormal", SIM_DIST_LOGNORMAL, 2, {"mean", "sd"}, {0, 0}},
    {"gamma", SIM_DIST_GAMMA, 2, {"shape", "mean"}, {1, 0}},
    {"weibull", SIM_DIST_WEIBULL, 2, {"scale", "shape"}, {0, 1}},
    {"pareto", SIM_DIST_PARETO, 2, {"shape", "scale"}, {1, 0}},
    {"erlang", SIM_DIST_ERLANG, 2, {"k", "mean"}, {1, 0}},
};

#define N_DEFS (sizeof defs / sizeof defs[0])
#define DIST_NAMES \
    "const, exp, uniform, normal, lognormal, gamma, weibull, pareto, erlang"

static const dist_def *def_of(sim_dist_kind kind)
{
    for (size_t k = 0; k < N_DEFS; k++)
        if (defs[k].kind == kind)
            return &defs[k];
    return &defs[0];
}

static int fail(char *err, size_t errlen, size_t *errcol, size_t col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, size_t *errcol, size_t col,
                const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    if (errcol)
        *errcol = col;
    return -1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Range checks once the parameters are known; col[] are their offsets. */
static int check_params(const sim_dist *d, const size_t col[2], char *err,
                        size_t errlen, size_t *errcol)
{
    const double a = d->p[0], b = d->p[1];

    switch (d->kind) {
    case SIM_DIST_CONST:
        if (a < 0)
            return fail(err, errlen, errcol, col[0],
                        "const value must be >= 0");
        break;
    case SIM_DIST_EXP:
        if (!(a > 0))
            return fail(err, errlen, errcol, col[0], "exp mean must be > 0");
        break;
    case SIM_DIST_UNIFORM:
        if (a < 0)
            return fail(err, errlen, errcol, col[0],
                        "uniform a must be >= 0");
        if (a > b)
            return fail(err, errlen, errcol, col[1],
                        "uniform needs a <= b");
        break;
    case SIM_DIST_NORMAL:
        if (b < 0)
            return fail(err, errlen, errcol, col[1],
                        "normal sigma must be >= 0");
        break;
    case SIM_DIST_LOGNORMAL:
        if (!(a > 0))
            return fail(err, errlen, errcol, col[0],
                        "lognormal mean must be > 0");
        if (b < 0)
            return fail(err, errlen, errcol, col[1],
                        "lognormal sd must be >= 0");
        /* sd/mean so large that the underlying normal's sigma or mu is
         * not finite: every draw would be 0 or NaN (issue 20). */
        if (!isfinite(log1p((b / a) * (b / a))))
            return fail(err, errlen, errcol, col[1],
                        "lognormal sd is too large for its mean (every "
                        "draw would be 0)");
        break;
    case SIM_DIST_GAMMA:
        if (!(a > 0))
            return fail(err, errlen, errcol, col[0],
                        "gamma shape must be > 0");
        if (!(b > 0))
            return fail(err, errlen, errcol, col[1],
                        "gamma mean must be > 0");
        break;
    case SIM_DIST_WEIBULL:
        if (!(a > 0))
            return fail(err, errlen, errcol, col[0],
                        "weibull scale must be > 0");
        if (!(b > 0))
            return fail(err, errlen, errcol, col[1],
                        "weibull shape must be > 0");
        break;
    case SIM_DIST_PARETO:
        if (!(a > 0))
            return fail(err, errlen, errcol, col[0],
                        "pareto shape must be > 0");
        if (!(b > 0))
            return fail(err, errlen, errcol, col[1],
                        "pareto scale must be > 0");
        break;
    case SIM_DIST_ERLANG:
        if (!(a >= 1 && a <= ERLANG_MAX_K && a == floor(a)))
            return fail(err, errlen, errcol, col[0],
                        "erlang k must be a whole number from 1 to %.0f",
                        ERLANG_MAX_K);
        if (!(b > 0))
            return fail(err, errlen, errcol, col[1],
                        "erlang mean must be > 0");
        break;
    }
    return 0;
}

/* Parses text[from, to) as argument `k` of `def` into d->p[k]. */
static int parse_arg(sim_dist *d, const dist_def *def, int k,
                     const char *text, size_t from, size_t to, sim_dim dim,
                     char *err, size_t errlen, size_t *errcol)
{
    char why[256];
    size_t col = 0, n = to - from;
    char *arg = xmalloc(n + 1);
    int rc;

    memcpy(arg, text + from, n);
    arg[n] = '\0';
    rc = sim_units_parse(arg, def->shape[k] ? SIM_DIM_NONE : dim, &d->p[k],
                         why, sizeof why, &col);
    free(arg);
    if (rc != 0)
        return fail(err, errlen, errcol, from + col, "%s %s: %s", def->name,
                    def->arg[k], why);
    return 0;
}

int sim_dist_parse(sim_dist *out, const char *text, sim_dim dim,
                   char *err, size_t errlen, size_t *errcol)
{
    char q[128];
    sim_dist d = {.kind = SIM_DIST_CONST, .dim = dim, .p = {0, 0}};
    size_t i = 0, id0, id1, open, close, col[2] = {0, 0};
    const dist_def *def = NULL;
    int nargs;

    sim_units_quote(q, sizeof q, text);
    while (is_blank(text[i]))
        i++;
    if (text[i] == '\0')
        return fail(err, errlen, errcol, i, "empty distribution");
    id0 = i;
    while (is_ident(text[i]))
        i++;
    id1 = i;
    while (is_blank(text[i]))
        i++;
    for (size_t k = 0; id1 > id0 && k < N_DEFS; k++)
        if (strlen(defs[k].name) == id1 - id0 &&
            memcmp(defs[k].name, text + id0, id1 - id0) == 0)
            def = &defs[k];

    if (id1 == id0 || text[i] != '(') {
        /* Not a call: a known name without '(' is a typo, anything else a
         * bare quantity meaning const(quantity). */
        char why[256];
        size_t c = 0;
        if (def)
            return fail(err, errlen, errcol, i, "expected '(' after '%s'",
                        def->name);
        if (sim_units_parse(text + id0, dim, &d.p[0], why, sizeof why, &c))
            return fail(err, errlen, errcol, id0 + c, "%s", why);
        col[0] = id0;
        if (check_params(&d, col, err, errlen, errcol))
            return -1;
        *out = d;
        return 0;
    }
    if (!def) {
        char name[32];
        size_t n = id1 - id0 < sizeof name - 1 ? id1 - id0 : sizeof name - 1;
        memcpy(name, text + id0, n);
        name[n] = '\0';
        return fail(err, errlen, errcol, id0,
                    "unknown distribution '%s' (use " DIST_NAMES ")", name);
    }
    d.kind = def->kind;
    open = i;
    close = open + 1;
    while (text[close] && text[close] != ')')
        close++;
    if (text[close] != ')')
        return fail(err, errlen, errcol, close, "missing ')' in '%s'", q);
    i = close + 1;
    while (is_blank(text[i]))
        i++;
    if (text[i] != '\0')
        return fail(err, errlen, errcol, i,
                    "trailing characters after ')' in '%s'", q);

    /* Split (open, close) on commas, trimming blanks around each. */
    nargs = 0;
    {
        size_t a = open + 1;
        int blank = 1;
        for (size_t j = a; j < close; j++)
            if (!is_blank(text[j]))
                blank = 0;
        while (!blank) {
            size_t e = a, s0 = a, s1;
            while (e < close && text[e] != ',')
                e++;
            while (s0 < e && is_blank(text[s0]))
                s0++;
            s1 = e;
            while (s1 > s0 && is_blank(text[s1 - 1]))
                s1--;
            if (nargs < def->nargs) {
                col[nargs] = s0;
                if (parse_arg(&d, def, nargs, text, s0, s1, dim, err, errlen,
                              errcol))
                    return -1;
            }
            nargs++;
            if (e >= close)
                break;
            a = e + 1;
        }
    }
    if (nargs != def->nargs) {
        if (def->nargs == 1)
            return fail(err, errlen, errcol, open,
                        "%s takes 1 argument (%s), got %d", def->name,
                        def->arg[0], nargs);
        return fail(err, errlen, errcol, open,
                    "%s takes 2 arguments (%s, %s), got %d", def->name,
                    def->arg[0], def->arg[1], nargs);
    }
    if (check_params(&d, col, err, errlen, errcol))
        return -1;
    *out = d;
    return 0;
}

/* ---- Sampling and moments ---------------------------------------------- */

/* Parameters of the normal underlying lognormal(mean, sd). */
static void lognormal_params(const sim_dist *d, double *mu, double *sigma)
{
    double m = d->p[0], sd = d->p[1];
    double s2 = log1p((sd * sd) / (m * m));

    *sigma = sqrt(s2);
    *mu = log(m) - s2 / 2;
}

double sim_dist_sample(const sim_dist *d, const gsl_rng *r)
{
    const double a = d->p[0], b = d->p[1];
    double x = 0, mu, sigma;

    switch (d->kind) {
    case SIM_DIST_CONST:
        x = a;
        break;
    case SIM_DIST_EXP:
        x = gsl_ran_exponential(r, a);
        break;
    case SIM_DIST_UNIFORM:
        x = a == b ? a : gsl_ran_flat(r, a, b);
        break;
    case SIM_DIST_NORMAL:
        x = a + gsl_ran_gaussian(r, b);
        break;
    case SIM_DIST_LOGNORMAL:
        lognormal_params(d, &mu, &sigma);
        x = gsl_ran_lognormal(r, mu, sigma);
        break;
    case SIM_DIST_GAMMA:
        x = gsl_ran_gamma(r, a, b / a);
        break;
    case SIM_DIST_WEIBULL:
        x = gsl_ran_weibull(r, a, b);
        break;
    case SIM_DIST_PARETO:
        x = gsl_ran_pareto(r, a, b);
        break;
    case SIM_DIST_ERLANG:
        x = gsl_ran_gamma(r, a, b / a);
        break;
    }
    return x > 0 ? x : 0;   /* also maps a NaN to 0 */
}

sim_time sim_dist_sample_ns(const sim_dist *d, const gsl_rng *r)
{
    const sim_time cap = SIM_TIME_MAX / 4;
    double ns = sim_dist_sample(d, r) * 1e9;

    if (!(ns < (double)cap))
        return cap;
    return (sim_time)llround(ns);
}

double sim_dist_min(const sim_dist *d)
{
    switch (d->kind) {
    case SIM_DIST_CONST:
    case SIM_DIST_UNIFORM:
        return d->p[0];
    case SIM_DIST_NORMAL:
        return d->p[1] == 0 && d->p[0] > 0 ? d->p[0] : 0;
    case SIM_DIST_PARETO:
        return d->p[1];
    default:
        return 0;
    }
}

double sim_dist_p_at_least(const sim_dist *d, double x)
{
    const double a = d->p[0], b = d->p[1];
    double mu, sigma;

    if (!(x > 0))
        return 1;
    switch (d->kind) {
    case SIM_DIST_CONST:
        return a >= x ? 1 : 0;
    case SIM_DIST_EXP:
        return gsl_cdf_exponential_Q(x, a);
    case SIM_DIST_UNIFORM:
        if (a == b)
            return a >= x ? 1 : 0;
        return x <= a ? 1 : x >= b ? 0 : (b - x) / (b - a);
    case SIM_DIST_NORMAL:
        if (b == 0)
            return a >= x ? 1 : 0;
        return gsl_cdf_gaussian_Q(x - a, b);
    case SIM_DIST_LOGNORMAL:
        lognormal_params(d, &mu, &sigma);
        if (sigma == 0)
            return a >= x ? 1 : 0;
        return gsl_cdf_lognormal_Q(x, mu, sigma);
    case SIM_DIST_GAMMA:
    case SIM_DIST_ERLANG:
        return gsl_cdf_gamma_Q(x, a, b / a);
    case SIM_DIST_WEIBULL:
        return gsl_cdf_weibull_Q(x, a, b);
    case SIM_DIST_PARETO:
        return x <= b ? 1 : gsl_cdf_pareto_Q(x, a, b);
    }
    return 0;
}

double sim_dist_mean(const sim_dist *d)
{
    const double a = d->p[0], b = d->p[1];

    switch (d->kind) {
    case SIM_DIST_CONST:
        return a;
    case SIM_DIST_EXP:
        return a;
    case SIM_DIST_UNIFORM:
        return (a + b) / 2;
    case SIM_DIST_NORMAL: {
        /* E[max(0, X)], X ~ N(mu, sigma^2) */
        double z;
        if (b == 0)
            return a > 0 ? a : 0;
        z = a / b;
        return a * gsl_cdf_ugaussian_P(z) + b * gsl_ran_ugaussian_pdf(z);
    }
    case SIM_DIST_LOGNORMAL:
        return a;
    case SIM_DIST_GAMMA:
    case SIM_DIST_ERLANG:
        return b;
    case SIM_DIST_WEIBULL:
        return a * tgamma(1 + 1 / b);
    case SIM_DIST_PARETO:
        return a > 1 ? a * b / (a - 1) : INFINITY;
    }
    return NAN;
}

double sim_dist_m2(const sim_dist *d)
{
    const double a = d->p[0], b = d->p[1];

    switch (d->kind) {
    case SIM_DIST_CONST:
        return a * a;
    case SIM_DIST_EXP:
        return 2 * a * a;
    case SIM_DIST_UNIFORM:
        return (a * a + a * b + b * b) / 3;
    case SIM_DIST_NORMAL: {
        /* E[max(0, X)^2] = (mu^2 + sigma^2) Phi(z) + mu sigma phi(z) */
        double z;
        if (b == 0)
            return a > 0 ? a * a : 0;
        z = a / b;
        return (a * a + b * b) * gsl_cdf_ugaussian_P(z) +
               a * b * gsl_ran_ugaussian_pdf(z);
    }
    case SIM_DIST_LOGNORMAL:
        return a * a + b * b;
    case SIM_DIST_GAMMA:
    case SIM_DIST_ERLANG:
        return b * b * (1 + 1 / a);
    case SIM_DIST_WEIBULL:
        return a * a * tgamma(1 + 2 / b);
    case SIM_DIST_PARETO:
        return a > 2 ? a * b * b / (a - 2) : INFINITY;
    }
    return NAN;
}

int sim_dist_is_exp(const sim_dist *d)
{
    /* gamma and Erlang with shape 1 are the exponential too. */
    return d->kind == SIM_DIST_EXP ||
           ((d->kind == SIM_DIST_GAMMA || d->kind == SIM_DIST_ERLANG) &&
            d->p[0] == 1);
}

void sim_dist_format(const sim_dist *d, char *buf, size_t len)
{
    const dist_def *def = def_of(d->kind);
    char a[64], b[64];

    if (len == 0)
        return;
    sim_units_format(d->p[0], def->shape[0] ? SIM_DIM_NONE : d->dim, a,
                     sizeof a);
    if (def->nargs == 1) {
        snprintf(buf, len, "%s(%s)", def->name, a);
        return;
    }
    sim_units_format(d->p[1], def->shape[1] ? SIM_DIM_NONE : d->dim, b,
                     sizeof b);
    snprintf(buf, len, "%s(%s,%s)", def->name, a, b);
}
