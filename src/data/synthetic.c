/* synthetic.c — the synthetic(alpha, beta) federated dataset of FedProx (Li et al. 2020), which
 * LEAF ships as its synthetic set: per client a softmax-linear model W, b ~ N(u_k, 1) with
 * u_k ~ N(0, alpha), inputs x ~ N(v_k, diag(j^-1.2)) with v_k ~ N(B_k, 1), B_k ~ N(0, beta),
 * labels argmax(W^T x + b); sizes lognormal(4, 2) + 50. Same generator, fedc's keyed streams:
 * the same options give the same clients, not numpy's numbers. Nothing here reads files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

fedc_synthetic_opts fedc_synthetic_opts_default(void) {
    fedc_synthetic_opts o = {30, 1.0, 1.0, false, 60, 10, 0};
    return o;
}

static double normal(fedc_rng *r, double mean, double sd) { return mean + sd * fedc_rng_normal(r); }

/* Streams: one for the per-client draws shared across clients, one per client for its data. */
enum { KEY_GLOBAL = 1, KEY_CLIENT = 2 };

static fedc_status make_client(fedc_ctx *ctx, const fedc_synthetic_opts *o, int64_t k,
                               double mean_w, double b_k, fedc_memory_data *b, double *w,
                               double *bias, double *mean_x, fedc_example *ex) {
    int64_t d = o->dim, c = o->num_classes;
    fedc_rng r = FEDC_RNG(o->seed, KEY_CLIENT, (uint64_t)k, FEDC_RNG_PURPOSE_PARTITION);
    int64_t size = (int64_t)exp(normal(&r, 4.0, 2.0)) + 50;
    for (int64_t j = 0; j < d; j++)
        mean_x[j] = o->iid ? b_k : normal(&r, b_k, 1.0);
    for (int64_t i = 0; i < d * c; i++)
        w[i] = normal(&r, mean_w, 1.0);
    for (int64_t i = 0; i < c; i++)
        bias[i] = normal(&r, mean_w, 1.0);
    char id[32];
    snprintf(id, sizeof id, "f_%05lld", (long long)k);
    fedc_shape xs = FEDC_SHAPE(d), ys = FEDC_SHAPE0;
    for (int64_t n = 0; n < size; n++) {
        fedc_tensor *xt, *yt;
        fedc_status st = fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &xt);
        if (!st) st = fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &ys, &yt);
        if (st) return st;
        float *x = xt->data;
        for (int64_t j = 0; j < d; j++)
            x[j] = (float)normal(&r, mean_x[j], sqrt(pow((double)(j + 1), -1.2)));
        int64_t best = 0;
        double best_v = -INFINITY;
        for (int64_t cl = 0; cl < c; cl++) { /* argmax of softmax = argmax of the logits */
            double v = bias[cl];
            for (int64_t j = 0; j < d; j++)
                v += (double)x[j] * w[j * c + cl];
            if (v > best_v) best_v = v, best = cl;
        }
        ((int32_t *)yt->data)[0] = (int32_t)best;
        st = fedc_memory_data_add(ctx, b, id, ex);
        if (st) return st;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_client_data_synthetic(fedc_ctx *ctx, const fedc_synthetic_opts *opts,
                                       fedc_client_data **out) {
    *out = NULL;
    fedc_synthetic_opts o = opts ? *opts : fedc_synthetic_opts_default();
    if (o.num_clients < 1 || o.num_clients > 99999 || o.dim < 1 || o.dim > 100000 ||
        o.num_classes < 2 || o.num_classes > 100000 || !(o.alpha >= 0) || !(o.beta >= 0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "synthetic: bad options (clients %lld, dim %lld, classes %lld, "
                               "alpha %g, beta %g)",
                               (long long)o.num_clients, (long long)o.dim, (long long)o.num_classes,
                               o.alpha, o.beta);
    double *w = fedc_malloc((size_t)(o.dim * o.num_classes) * sizeof *w);
    double *bias = fedc_malloc((size_t)o.num_classes * sizeof *bias);
    double *mean_x = fedc_malloc((size_t)o.dim * sizeof *mean_x);
    fedc_memory_data *b = NULL;
    fedc_example *ex = NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (!w || !bias || !mean_x) st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "synthetic");
    if (!st) st = fedc_memory_data_create(ctx, &b);
    if (!st) st = fedc_example_create(ctx, &ex);
    fedc_rng g = FEDC_RNG(o.seed, KEY_GLOBAL, FEDC_RNG_PURPOSE_PARTITION);
    for (int64_t k = 0; k < o.num_clients && !st; k++) {
        double mean_w = normal(&g, 0.0, o.alpha), b_k = normal(&g, 0.0, o.beta);
        st = make_client(ctx, &o, k, mean_w, b_k, b, w, bias, mean_x, ex);
    }
    if (!st) st = fedc_memory_data_finish(ctx, b, out);
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    fedc_free(w);
    fedc_free(bias);
    fedc_free(mean_x);
    return st;
}
