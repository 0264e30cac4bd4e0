/* agg_rdp_accountant.c — the RDP accountant: RDP per order, summed over the steps of the sampled
 * Gaussian mechanism it is told about (composition adds RDP, Mironov 2017, Proposition 1).
 * Must not compute the formulas itself: agg_rdp.c does.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"

struct fedc_rdp_accountant {
    int64_t n;
    double *orders;
    double *rdp;     /* accumulated, per order */
    double *scratch; /* one step's RDP, so a failed add leaves rdp unchanged */
};

fedc_status fedc_rdp_accountant_create(fedc_ctx *ctx, const double *orders, int64_t n_orders,
                                       fedc_rdp_accountant **out) {
    *out = NULL;
    if (!orders) {
        size_t nd = fedc_rdp_default_orders(&orders);
        n_orders = (int64_t)nd;
    }
    if (n_orders < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp accountant: need at least one order, got %lld",
                               (long long)n_orders);
    for (int64_t i = 0; i < n_orders; i++)
        if (!(orders[i] > 1.0) || !isfinite(orders[i]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "rdp accountant: order %lld is %g, must be a finite number > 1",
                                   (long long)i, orders[i]);
    fedc_rdp_accountant *acc = fedc_calloc(1, sizeof *acc);
    if (acc) {
        acc->n = n_orders;
        acc->orders = fedc_malloc((size_t)n_orders * sizeof(double));
        acc->rdp = fedc_calloc((size_t)n_orders, sizeof(double));
        acc->scratch = fedc_malloc((size_t)n_orders * sizeof(double));
    }
    if (!acc || !acc->orders || !acc->rdp || !acc->scratch) {
        fedc_rdp_accountant_destroy(acc);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "rdp accountant: %lld orders",
                               (long long)n_orders);
    }
    memcpy(acc->orders, orders, (size_t)n_orders * sizeof(double));
    *out = acc;
    return FEDC_STATUS_OK;
}

void fedc_rdp_accountant_destroy(fedc_rdp_accountant *acc) {
    if (!acc) return;
    fedc_free(acc->orders);
    fedc_free(acc->rdp);
    fedc_free(acc->scratch);
    fedc_free(acc);
}

fedc_status fedc_rdp_accountant_add_steps(fedc_ctx *ctx, fedc_rdp_accountant *acc,
                                          double noise_multiplier, double sampling_rate,
                                          int64_t steps) {
    if (steps < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "rdp accountant: steps must be >= 0, got %lld", (long long)steps);
    for (int64_t i = 0; i < acc->n; i++) {
        fedc_status st = fedc_rdp_sampled_gaussian(ctx, sampling_rate, noise_multiplier,
                                                   acc->orders[i], &acc->scratch[i]);
        if (st != FEDC_STATUS_OK) return st;
    }
    /* 0 steps of an infinite-RDP mechanism cost nothing (0 * inf would be NaN). */
    if (steps == 0) return FEDC_STATUS_OK;
    for (int64_t i = 0; i < acc->n; i++)
        acc->rdp[i] += acc->scratch[i] * (double)steps;
    return FEDC_STATUS_OK;
}

fedc_status fedc_rdp_accountant_epsilon(fedc_ctx *ctx, const fedc_rdp_accountant *acc, double delta,
                                        double *epsilon, double *best_order) {
    return fedc_rdp_to_epsilon(ctx, acc->orders, acc->rdp, acc->n, delta,
                               FEDC_RDP_CONVERSION_IMPROVED, epsilon, best_order);
}

int64_t fedc_rdp_accountant_num_orders(const fedc_rdp_accountant *acc) { return acc->n; }
const double *fedc_rdp_accountant_orders(const fedc_rdp_accountant *acc) { return acc->orders; }
const double *fedc_rdp_accountant_rdp(const fedc_rdp_accountant *acc) { return acc->rdp; }
