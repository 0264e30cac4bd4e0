/* test_agg_dp.c — the Gaussian mechanism and the RDP accountant of learning_agg.h.
 *
 * Reference figures, each with its source:
 *  - dp_accounting's rdp_privacy_accountant_test.py (github.com/google/differential-privacy,
 *    python/dp_accounting/dp_accounting/rdp/), test_compute_rdp_poisson_sampled_gaussian: q 0.01,
 *    sigma 2.5, 50 steps at orders 1.5, 2.5, 5, 50, 100 give RDP 6.70579741e-04, 1.08548710e-03,
 *    2.18075656e-03, 2.38460375e-02, 1.67416308e02 (compared there with rtol 1e-4);
 *    test_compute_epsilon_delta_pure_dp: RDP 1.1 at orders 2..32 and delta 1e-5 give epsilon
 *    1.32783806176 at order 32; test_compute_epsilon_delta_gaussian: the unsampled Gaussian with
 *    sigma 4.530877117 over orders 1.000..99.999 is (1, 1e-6)-DP.
 *  - TF Privacy's tutorials/README.md (github.com/tensorflow/privacy): "compute_dp_sgd_privacy.py
 *    --N=60000 --batch_size=256 --noise_multiplier=1.1 --epochs=60 --delta=1e-5" gives
 *    "eps = 3.01 and delta = 1e-05" (the classic conversion that version used); Opacus'
 *    compute_dp_sgd_privacy page (opacus.ai) quotes (2.95, 1e-5) for noise multiplier 1.12 and
 *    orders 10, 20, 100 on the same data.
 *  - Mironov 2017, Proposition 7: the Gaussian mechanism's RDP is alpha / (2 sigma^2).
 *
 * Statistical checks use bounds of about six standard deviations, so a correct implementation
 * fails them with probability < 1e-8.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

TEST(gaussian_noise_mean_and_variance) {
    enum { N = 200000 };
    static float v[N];
    const double sd = 2.5;
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, v, N, sd, fedc_test_seed(), 3));
    double sum = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        sum += v[i];
        sum2 += (double)v[i] * v[i];
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    /* sd of the mean: 2.5/sqrt(2e5) = 0.0056; sd of the variance: 6.25 sqrt(2/2e5) = 0.0198 */
    ASSERT_NEAR(mean, 0.0, 6 * sd / sqrt(N));
    ASSERT_NEAR(var, sd * sd, 6 * sd * sd * sqrt(2.0 / N));
}

TEST(gaussian_noise_same_keys_same_bits_other_round_other_noise) {
    float a[64], b[64], c[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = c[i] = (float)i;
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, a, 64, 1.0, 42, 7));
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, b, 64, 1.0, 42, 7));
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, c, 64, 1.0, 42, 8));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += a[i] == c[i];
    ASSERT_EQ(same, 0);
    /* stddev 0 is the identity */
    float d[3] = {1, 2, 3};
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, d, 3, 0.0, 42, 7));
    ASSERT_EQ(d[2], 3.0f);
}

TEST(gaussian_noise_rejects_bad_stddev) {
    float v[2] = {0, 0};
    ASSERT_STATUS(fedc_dp_add_gaussian_noise(ctx, v, 2, -1.0, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "stddev");
    ASSERT_STATUS(fedc_dp_add_gaussian_noise(ctx, v, 2, NAN, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_dp_add_gaussian_noise(ctx, v, -1, 1.0, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_EQ(v[0], 0.0f);
}

/* A_alpha = E_{z ~ N(0, s^2)}[((1 - q) + q exp((2z - 1) / (2 s^2)))^alpha] by the trapezoid rule:
 * an oracle independent of the series (Mironov, Talwar, Zhang 2019, Section 3). */
static double rdp_by_integration(double q, double s, double alpha) {
    const double h = 1e-3 * s, lo = -30 * s, hi = 30 * s;
    double sum = 0;
    for (double z = lo; z <= hi; z += h) {
        double mu0 = exp(-z * z / (2 * s * s)) / (s * sqrt(2 * M_PI));
        sum += mu0 * pow((1 - q) + q * exp((2 * z - 1) / (2 * s * s)), alpha);
    }
    return log(sum * h) / (alpha - 1);
}

TEST(rdp_matches_dp_accounting_reference) {
    const double orders[] = {1.5, 2.5, 5, 50, 100};
    const double want[] = {6.70579741e-04, 1.08548710e-03, 2.18075656e-03, 2.38460375e-02,
                           1.67416308e02};
    fedc_rdp_accountant *acc;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, orders, 5, &acc));
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 2.5, 0.01, 50));
    const double *rdp = fedc_rdp_accountant_rdp(acc);
    /* Integer orders: the binomial sum, the same in every version of the formula. */
    for (int i = 2; i < 5; i++)
        ASSERT_NEAR(rdp[i], want[i], 1e-4 * want[i]);
    /* Fractional orders: the signed series of TF Privacy's rdp_accountant is exact and meets the
     * integral; dp_accounting's newer version sums absolute values of the terms, a looser upper
     * bound (6.7058e-4 against the exact 6.5007e-4 at order 1.5), so ours must not exceed it. */
    for (int i = 0; i < 2; i++) {
        double exact = 50 * rdp_by_integration(0.01, 2.5, orders[i]);
        ASSERT_NEAR(rdp[i], exact, 1e-6 * exact);
        ASSERT_LE(rdp[i], want[i] * (1 + 1e-4));
    }
    fedc_rdp_accountant_destroy(acc);
}

TEST(rdp_fractional_orders_match_integration) {
    const double cases[][3] = {{1e-3, 1.0, 1.75}, {0.1, 0.8, 3.5}, {0.05, 2.0, 10.5}};
    for (int c = 0; c < 3; c++) {
        double r;
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, cases[c][0], cases[c][1], cases[c][2], &r));
        double exact = rdp_by_integration(cases[c][0], cases[c][1], cases[c][2]);
        ASSERT_NEAR(r, exact, 1e-6 * exact);
    }
}

TEST(rdp_without_sampling_is_the_gaussian_mechanism) {
    double r;
    /* alpha / (2 sigma^2), for integer and fractional orders */
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0, 2.0, 3.0, &r));
    ASSERT_EQ(r, 3.0 / 8.0);
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0, 2.71828, 3.14159, &r));
    ASSERT_NEAR(r, 3.14159 / (2 * 2.71828 * 2.71828), 1e-15);
    /* The general sums tend to the same value as q -> 1. */
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0 - 1e-9, 2.0, 3.0, &r));
    ASSERT_NEAR(r, 3.0 / 8.0, 1e-7);
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0 - 1e-9, 2.0, 3.5, &r));
    ASSERT_NEAR(r, 3.5 / 8.0, 1e-7);
    /* no sampling at all costs nothing; no noise costs everything */
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.0, 1.0, 2.0, &r));
    ASSERT_EQ(r, 0.0);
    ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.5, 0.0, 2.0, &r));
    ASSERT_TRUE(isinf(r));
}

TEST(rdp_integer_and_fractional_formulas_agree_near_integers) {
    /* The fractional series at alpha = k +- 1e-7 must meet the binomial sum at k. */
    for (int k = 2; k <= 40; k += 7) {
        double ri, rlo, rhi;
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.01, 1.1, (double)k, &ri));
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.01, 1.1, k - 1e-7, &rlo));
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.01, 1.1, k + 1e-7, &rhi));
        ASSERT_LE(rlo, ri * (1 + 1e-5));
        ASSERT_GE(rhi, ri * (1 - 1e-5));
        ASSERT_NEAR(rlo, ri, 1e-5 * ri);
        ASSERT_NEAR(rhi, ri, 1e-5 * ri);
    }
}

TEST(rdp_epsilon_of_tf_privacy_mnist_tutorial) {
    fedc_rdp_accountant *acc;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &acc));
    ASSERT_EQ(fedc_rdp_accountant_num_orders(acc), 72);
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 1.1, 256.0 / 60000.0, 14062));
    double eps, order;
    ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &eps, &order));
    double eps_classic;
    ASSERT_OK(fedc_rdp_to_epsilon(ctx, fedc_rdp_accountant_orders(acc),
                                  fedc_rdp_accountant_rdp(acc), 72, 1e-5,
                                  FEDC_RDP_CONVERSION_CLASSIC, &eps_classic, NULL));
    /* The tutorial's 3.01 (classic conversion: 3.0091 at order 9). */
    ASSERT_NEAR(eps_classic, 3.01, 0.01);
    /* The improved conversion is never worse; here it gives 2.597 at order 8, which is its
     * formula on the accumulated RDP at that order. */
    ASSERT_LT(eps, eps_classic);
    ASSERT_EQ(order, 8.0);
    double r8 = fedc_rdp_accountant_rdp(acc)[13];
    ASSERT_EQ(fedc_rdp_accountant_orders(acc)[13], 8.0);
    ASSERT_NEAR(eps, r8 + log1p(-1.0 / 8) - log(1e-5 * 8) / 7, 1e-12);
    ASSERT_NEAR(eps, 2.597, 0.001);
    /* Composition is additive: two halves equal the whole. */
    fedc_rdp_accountant *halves;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &halves));
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, halves, 1.1, 256.0 / 60000.0, 7031));
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, halves, 1.1, 256.0 / 60000.0, 7031));
    for (int i = 0; i < 72; i++)
        ASSERT_NEAR(fedc_rdp_accountant_rdp(halves)[i], fedc_rdp_accountant_rdp(acc)[i],
                    1e-12 * fedc_rdp_accountant_rdp(acc)[i]);
    fedc_rdp_accountant_destroy(halves);
    fedc_rdp_accountant_destroy(acc);
}

TEST(rdp_epsilon_of_opacus_example) {
    /* Opacus' compute_dp_sgd_privacy page: sample rate 256/60000, noise 1.12, 60 epochs
     * (int(60 / q) = 14062 steps), delta 1e-5, orders 10, 20, 100: (2.95, 1e-5) with the classic
     * conversion, which Opacus used; we get 2.9415. */
    const double orders[] = {10, 20, 100};
    fedc_rdp_accountant *acc;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, orders, 3, &acc));
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 1.12, 256.0 / 60000.0, 14062));
    double eps, order;
    ASSERT_OK(fedc_rdp_to_epsilon(ctx, orders, fedc_rdp_accountant_rdp(acc), 3, 1e-5,
                                  FEDC_RDP_CONVERSION_CLASSIC, &eps, &order));
    ASSERT_NEAR(eps, 2.95, 0.015);
    ASSERT_EQ(order, 10.0);
    fedc_rdp_accountant_destroy(acc);
}

TEST(rdp_epsilon_grows_with_steps_and_sampling_and_shrinks_with_noise) {
    double prev = 0;
    for (int steps = 1000; steps <= 16000; steps *= 2) {
        fedc_rdp_accountant *acc;
        double eps;
        ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &acc));
        ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 1.0, 0.01, steps));
        ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &eps, NULL));
        ASSERT_GT(eps, prev);
        prev = eps;
        fedc_rdp_accountant_destroy(acc);
    }
    prev = INFINITY;
    for (double sigma = 0.5; sigma <= 8; sigma *= 2) {
        fedc_rdp_accountant *acc;
        double eps;
        ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &acc));
        ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, sigma, 0.01, 1000));
        ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &eps, NULL));
        ASSERT_LT(eps, prev);
        prev = eps;
        fedc_rdp_accountant_destroy(acc);
    }
    /* Sampling amplifies privacy: each rate's RDP is below the next one's at every order. */
    const double *orders;
    size_t n = fedc_rdp_default_orders(&orders);
    for (size_t i = 0; i < n; i++) {
        double lo, mid, hi;
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.001, 1.5, orders[i], &lo));
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 0.1, 1.5, orders[i], &mid));
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0, 1.5, orders[i], &hi));
        ASSERT_LT(lo, mid);
        ASSERT_LE(mid, hi * (1 + 1e-12));
        ASSERT_GT(lo, 0.0);
    }
}

TEST(rdp_epsilon_pure_dp_by_hand) {
    double orders[31], rdp[31];
    for (int i = 0; i < 31; i++) {
        orders[i] = 2 + i;
        rdp[i] = 1.1;
    }
    double eps, order;
    ASSERT_OK(fedc_rdp_to_epsilon(ctx, orders, rdp, 31, 1e-5, FEDC_RDP_CONVERSION_IMPROVED, &eps,
                                  &order));
    ASSERT_NEAR(eps, 1.32783806176, 1e-9);
    ASSERT_EQ(order, 32.0);
    /* classic: 1.1 + log(1e5) / 31 */
    ASSERT_OK(
        fedc_rdp_to_epsilon(ctx, orders, rdp, 31, 1e-5, FEDC_RDP_CONVERSION_CLASSIC, &eps, &order));
    ASSERT_NEAR(eps, 1.1 + log(1e5) / 31.0, 1e-12);
}

TEST(rdp_epsilon_of_the_gaussian_that_is_exactly_1_1e6) {
    enum { N = 99000 };
    static double orders[N], rdp[N];
    for (int i = 0; i < N; i++) {
        orders[i] = 0.001 * (1000 + i);
        if (i == 0) orders[i] = 1.0 + 1e-9; /* orders must exceed 1 */
        ASSERT_OK(fedc_rdp_sampled_gaussian(ctx, 1.0, 4.530877117, orders[i], &rdp[i]));
    }
    double eps;
    ASSERT_OK(
        fedc_rdp_to_epsilon(ctx, orders, rdp, N, 1e-6, FEDC_RDP_CONVERSION_IMPROVED, &eps, NULL));
    ASSERT_NEAR(eps, 1.0, 1e-6);
}

TEST(rdp_rejects_bad_arguments) {
    double r;
    ASSERT_STATUS(fedc_rdp_sampled_gaussian(ctx, 1.5, 1.0, 2.0, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sampling rate");
    ASSERT_STATUS(fedc_rdp_sampled_gaussian(ctx, 0.5, -1.0, 2.0, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "noise multiplier");
    ASSERT_STATUS(fedc_rdp_sampled_gaussian(ctx, 0.5, 1.0, 1.0, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "order");
    fedc_rdp_accountant *acc;
    double orders[] = {2, 0.5};
    ASSERT_STATUS(fedc_rdp_accountant_create(ctx, orders, 2, &acc), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "order 1 is 0.5");
    ASSERT_NULL(acc);
    ASSERT_OK(fedc_rdp_accountant_create(ctx, orders, 1, &acc));
    ASSERT_STATUS(fedc_rdp_accountant_add_steps(ctx, acc, 1.0, 0.1, -3),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "steps");
    ASSERT_STATUS(fedc_rdp_accountant_add_steps(ctx, acc, 1.0, 2.0, 3),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_EQ(fedc_rdp_accountant_rdp(acc)[0], 0.0); /* unchanged */
    double eps;
    ASSERT_STATUS(fedc_rdp_accountant_epsilon(ctx, acc, 0.0, &eps, NULL),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "delta");
    /* no steps: epsilon 0 */
    ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &eps, NULL));
    ASSERT_EQ(eps, 0.0);
    fedc_rdp_accountant_destroy(acc);
    fedc_rdp_accountant_destroy(NULL);
}

static fedc_status create_accountant(fedc_ctx *ctx, void *arg) {
    return fedc_rdp_accountant_create(ctx, NULL, 0, (fedc_rdp_accountant **)arg);
}
static void destroy_accountant(void *arg) {
    fedc_rdp_accountant_destroy(*(fedc_rdp_accountant **)arg);
}

TEST(rdp_accountant_create_survives_allocation_failures) {
    fedc_rdp_accountant *acc = NULL;
    ASSERT_GE(fedc_test_alloc_sweep(ctx, create_accountant, destroy_accountant, &acc), 1);
}
