/* agg_rdp.c — Rényi differential privacy of the sampled Gaussian mechanism, and its conversion
 * to (epsilon, delta).
 *
 * Formulas: Mironov, Talwar, Zhang (2019), "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism", arXiv:1908.10530: A_alpha = E_{z ~ mu0}[(mu(z) / mu0(z))^alpha] with
 * mu0 = N(0, sigma^2), mu = (1 - q) mu0 + q N(1, sigma^2), and RDP = log(A_alpha) / (alpha - 1).
 * For integer alpha, A_alpha is a finite binomial sum; for fractional alpha, two series split at
 * z0 = sigma^2 log(1/q - 1) + 1/2 with erfc tails (both in Section 3 of the paper). These are the
 * sums TF Privacy's rdp_accountant.compute_rdp evaluates; everything stays in log space so that
 * large orders and small q neither overflow nor underflow. Conversions: see learning_agg.h.
 * Must not keep state: every function is pure.
 */
#include <math.h>

#include "fedc/learning_agg.h"

/* TF Privacy's compute_dp_sgd_privacy orders (tensorflow_privacy/privacy/analysis/
 * compute_dp_sgd_privacy_lib.py): 1.25..4.5, the integers 5..63, then 128, 256, 512. */
static const double default_orders[] = {
    1.25, 1.5, 1.75, 2,  2.25, 2.5, 3,  3.5, 4,  4.5, 5,  6,  7,  8,  9,  10,  11,  12,
    13,   14,  15,   16, 17,   18,  19, 20,  21, 22,  23, 24, 25, 26, 27, 28,  29,  30,
    31,   32,  33,   34, 35,   36,  37, 38,  39, 40,  41, 42, 43, 44, 45, 46,  47,  48,
    49,   50,  51,   52, 53,   54,  55, 56,  57, 58,  59, 60, 61, 62, 63, 128, 256, 512};

size_t fedc_rdp_default_orders(const double **orders) {
    *orders = default_orders;
    return sizeof default_orders / sizeof default_orders[0];
}

/* log(exp(x) + exp(y)) without overflow. */
static double log_add(double x, double y) {
    double hi = x > y ? x : y, lo = x > y ? y : x;
    if (hi == -INFINITY) return -INFINITY;
    return hi + log1p(exp(lo - hi));
}

/* log(exp(x) - exp(y)) for x >= y; the series below only subtracts terms smaller than what it
 * has accumulated, so x < y would be a broken invariant. */
static double log_sub(double x, double y) {
    if (y == -INFINITY) return x;
    if (x <= y) return -INFINITY;
    double d = x - y;
    /* expm1 overflows past ~709: then exp(x) - exp(y) is exp(x) to double precision. */
    return d > 700.0 ? x : log(expm1(d)) + y;
}

/* log(erfc(x)): the C library's erfc while it is a normal number, then the asymptotic series
 * erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + 105/(16x^8))
 * (Abramowitz and Stegun 7.1.23), whose next term at x = 25 is below 1e-12 relative. */
static double log_erfc(double x) {
    if (x < 25.0) return log(erfc(x));
    double r = 1.0 / (x * x);
    double series =
        1.0 - r / 2.0 + 3.0 * r * r / 4.0 - 15.0 * r * r * r / 8.0 + 105.0 * r * r * r * r / 16.0;
    return -x * x - log(x) - 0.5 * log(M_PI) + log(series);
}

/* log(A_alpha) for integer alpha: sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / 2s^2). */
static double log_a_int(double q, double sigma, int64_t alpha) {
    double log_q = log(q), log_1mq = log1p(-q), two_s2 = 2.0 * sigma * sigma;
    double log_a = -INFINITY, log_binom = 0.0; /* log C(alpha, 0) */
    for (int64_t i = 0; i <= alpha; i++) {
        double fi = (double)i;
        double term =
            log_binom + fi * log_q + (double)(alpha - i) * log_1mq + (fi * fi - fi) / two_s2;
        log_a = log_add(log_a, term);
        /* C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1), kept in logs (no lgamma: it writes
         * the global signgam, which would make this function thread-unsafe). */
        if (i < alpha) log_binom += log((double)(alpha - i)) - log(fi + 1.0);
    }
    return log_a;
}

/* Far more than any order and noise in use need (tens to a few thousand terms). */
#define MAX_SERIES_TERMS 100000

/* log(A_alpha) for fractional alpha: the two series of the paper's Section 3, summed until both
 * terms fall below exp(-30) relative to 1 (TF Privacy's stopping rule). The generalized binomial
 * coefficient C(alpha, i) changes sign once i exceeds alpha; its magnitude is kept in logs. */
static double log_a_frac(double q, double sigma, double alpha) {
    double log_q = log(q), log_1mq = log1p(-q), two_s2 = 2.0 * sigma * sigma;
    double z0 = sigma * sigma * log(1.0 / q - 1.0) + 0.5;
    double log_a0 = -INFINITY, log_a1 = -INFINITY;
    double log_abs_coef = 0.0;
    int sign = 1;
    for (int64_t i = 0; i < MAX_SERIES_TERMS; i++) {
        double fi = (double)i, j = alpha - fi;
        double log_t0 = log_abs_coef + fi * log_q + j * log_1mq;
        double log_t1 = log_abs_coef + j * log_q + fi * log_1mq;
        double log_e0 = log(0.5) + log_erfc((fi - z0) / (M_SQRT2 * sigma));
        double log_e1 = log(0.5) + log_erfc((z0 - j) / (M_SQRT2 * sigma));
        double log_s0 = log_t0 + (fi * fi - fi) / two_s2 + log_e0;
        double log_s1 = log_t1 + (j * j - j) / two_s2 + log_e1;
        if (sign > 0) {
            log_a0 = log_add(log_a0, log_s0);
            log_a1 = log_add(log_a1, log_s1);
        } else {
            log_a0 = log_sub(log_a0, log_s0);
            log_a1 = log_sub(log_a1, log_s1);
        }
        if ((log_s0 > log_s1 ? log_s0 : log_s1) < -30.0) return log_add(log_a0, log_a1);
        double factor = alpha - fi; /* C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1) */
        if (factor < 0) sign = -sign;
        log_abs_coef += log(fabs(factor)) - log(fi + 1.0);
    }
    /* Not converged: a partial sum could understate the cost, so report no guarantee at this
     * order (dp_accounting does the same); the other orders still bound epsilon. */
    return INFINITY;
}

fedc_status fedc_rdp_sampled_gaussian(fedc_ctx *ctx, double q, double sigma, double alpha,
                                      double *rdp) {
    if (!(q >= 0.0 && q <= 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp: sampling rate must be in [0, 1], got %g", q);
    if (!(sigma >= 0.0) || !isfinite(sigma))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp: noise multiplier must be a finite number >= 0, got %g", sigma);
    if (!(alpha > 1.0) || !isfinite(alpha))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp: order must be a finite number > 1, got %g", alpha);
    if (q == 0.0) {
        *rdp = 0.0;
    } else if (sigma == 0.0) {
        *rdp = INFINITY;
    } else if (q == 1.0) {
        *rdp = alpha / (2.0 * sigma * sigma); /* Mironov 2017, Proposition 7 */
    } else {
        /* Integer orders up to 2^53 are exact doubles; the sum has alpha + 1 terms, so larger
         * integer orders go through the series, which converges for them too. */
        bool integer = alpha == floor(alpha) && alpha <= 1e6;
        double log_a = integer ? log_a_int(q, sigma, (int64_t)alpha) : log_a_frac(q, sigma, alpha);
        *rdp = log_a / (alpha - 1.0);
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_rdp_to_epsilon(fedc_ctx *ctx, const double *orders, const double *rdp, int64_t n,
                                double delta, fedc_rdp_conversion conversion, double *epsilon,
                                double *best_order) {
    if (!(delta > 0.0 && delta < 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp to epsilon: delta must be in (0, 1), got %g", delta);
    if (n < 1 || !orders || !rdp)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp to epsilon: need at least one order, got %lld", (long long)n);
    if (conversion != FEDC_RDP_CONVERSION_IMPROVED && conversion != FEDC_RDP_CONVERSION_CLASSIC)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp to epsilon: unknown conversion %d", (int)conversion);
    for (int64_t i = 0; i < n; i++) {
        if (!(orders[i] > 1.0))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "rdp to epsilon: order %lld is %g, must be > 1", (long long)i,
                                   orders[i]);
        if (!(rdp[i] >= 0.0))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "rdp to epsilon: rdp at order %g (index %lld) is %g, must be "
                                   ">= 0",
                                   orders[i], (long long)i, rdp[i]);
    }
    double best = INFINITY, best_a = orders[0];
    for (int64_t i = 0; i < n; i++) {
        double a = orders[i], r = rdp[i], eps;
        if (conversion == FEDC_RDP_CONVERSION_CLASSIC) {
            eps = r - log(delta) / (a - 1.0);
        } else if (delta * delta + expm1(-r) > 0.0) {
            /* delta >= sqrt(1 - exp(-r)) bounds the total variation through KL <= RDP at any
             * order >= 1 (Bretagnolle-Huber), so (0, delta)-DP holds. */
            eps = 0.0;
        } else if (a > 1.01) {
            eps = r + log1p(-1.0 / a) - log(delta * a) / (a - 1.0);
        } else {
            eps = INFINITY; /* the bound is numerically useless this close to 1 */
        }
        if (eps < best) {
            best = eps;
            best_a = a;
        }
    }
    *epsilon = best > 0.0 ? best : 0.0;
    if (best_order) *best_order = best_a;
    return FEDC_STATUS_OK;
}
