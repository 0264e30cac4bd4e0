/* layer_gru.c — GRU as Keras 2 defaults it (reset_after=True, the cuDNN-compatible form, which
 * is also PyTorch's): gates (z, r, h) in that order, xp = x W + b_in, rp = h U + b_rec,
 * z = sig(xp_z + rp_z), r = sig(xp_r + rp_r), hh = tanh(xp_h + r * rp_h),
 * h' = z h + (1 - z) hh. Weights: kernel [in, 3u], recurrent_kernel [u, 3u] (orthogonal),
 * bias [2, 3u]. Backward: backpropagation through time with fedc_sgemm per step.
 *
 * Must not allocate: z, r, hh, rp_h and h of every step are kept in io->saved; per-step
 * products and gradients live in io->temp.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn/recurrent.h"

static int64_t steps(const fedc_layer *l) { return fedc__rnn_steps(l); }
static int64_t feats(const fedc_layer *l) { return fedc__rnn_feats(l); }
static float sig(float x) { return fedc__rnn_sig(x); }

static fedc_status gru_build(fedc_ctx *ctx, fedc_layer *l) { return fedc__rnn_build(ctx, l, 3, 6); }

static fedc_status gru_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    int64_t u = l->spec.units, f = feats(l);
    fedc_shape ks = FEDC_SHAPE(f, 3 * u), rs = FEDC_SHAPE(u, 3 * u), bs = FEDC_SHAPE(2, 3 * u);
    float *w = l->params, *r = w + f * 3 * u, *b = r + u * 3 * u;
    fedc_status st = fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &ks, seed, w);
    if (st == FEDC_STATUS_OK)
        st = fedc__init_weight(ctx, l, 2, &l->spec.recurrent_init, &rs, seed, r);
    if (st != FEDC_STATUS_OK || !l->spec.use_bias) return st;
    return fedc__init_weight(ctx, l, 1, &l->spec.bias_init, &bs, seed, b);
}

/* saved: gates [B, T, 4u] = (z, r, hh, rp_h), then h [B, T, u]. */
static int64_t gru_saved(const fedc_layer *l, int64_t batch) {
    return batch * steps(l) * 5 * l->spec.units;
}

static int64_t gru_temp(const fedc_layer *l, int64_t batch) { return batch * 7 * l->spec.units; }

static void gru_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t bsz = io->batch, t_n = steps(l), f = feats(l), u = l->spec.units;
    const float *w = l->params, *r = w + f * 3 * u;
    const float *bi = l->spec.use_bias ? r + u * 3 * u : NULL, *br = bi ? bi + 3 * u : NULL;
    float *gates = io->saved, *h = gates + bsz * t_n * 4 * u;
    float *xp = io->temp, *rp = xp + bsz * 3 * u;
    for (int64_t t = 0; t < t_n; t++) {
        fedc_sgemm(false, false, bsz, 3 * u, f, 1.0f, x + t * f, t_n * f, w, 3 * u, 0.0f, xp,
                   3 * u);
        if (t > 0)
            fedc_sgemm(false, false, bsz, 3 * u, u, 1.0f, h + (t - 1) * u, t_n * u, r, 3 * u, 0.0f,
                       rp, 3 * u);
        else
            memset(rp, 0, (size_t)(bsz * 3 * u) * sizeof(float));
        for (int64_t b = 0; b < bsz; b++) {
            float *g = gates + (b * t_n + t) * 4 * u, *hb = h + (b * t_n + t) * u;
            const float *xb = xp + b * 3 * u, *rb = rp + b * 3 * u;
            for (int64_t j = 0; j < u; j++) {
                float xz = xb[j], xr = xb[u + j], xh = xb[2 * u + j];
                float rz = rb[j], rr = rb[u + j], rh = rb[2 * u + j];
                if (bi) {
                    xz += bi[j], xr += bi[u + j], xh += bi[2 * u + j];
                    rz += br[j], rr += br[u + j], rh += br[2 * u + j];
                }
                float z = sig(xz + rz), rg = sig(xr + rr), hh = tanhf(xh + rg * rh);
                float hprev = t > 0 ? hb[j - u] : 0.0f;
                g[j] = z, g[u + j] = rg, g[2 * u + j] = hh, g[3 * u + j] = rh;
                hb[j] = z * hprev + (1.0f - z) * hh;
            }
        }
    }
    if (l->spec.return_sequences)
        memcpy(y, h, (size_t)(bsz * t_n * u) * sizeof(float));
    else
        for (int64_t b = 0; b < bsz; b++)
            memcpy(y + b * u, h + (b * t_n + t_n - 1) * u, (size_t)u * sizeof(float));
}

static void gru_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                         const float *dy, float *dx) {
    (void)y;
    int64_t bsz = io->batch, t_n = steps(l), f = feats(l), u = l->spec.units;
    const float *w = l->params, *r = w + f * 3 * u;
    const float *gates = io->saved, *h = gates + bsz * t_n * 4 * u;
    float *dw = l->grads, *dr = dw + f * 3 * u;
    float *dbi = l->spec.use_bias ? dr + u * 3 * u : NULL, *dbr = dbi ? dbi + 3 * u : NULL;
    float *dxp = io->temp, *drp = dxp + bsz * 3 * u, *dh_next = drp + bsz * 3 * u;
    memset(l->grads, 0, (size_t)l->param_count * sizeof(float));
    memset(dh_next, 0, (size_t)(bsz * u) * sizeof(float));
    for (int64_t t = t_n - 1; t >= 0; t--) {
        for (int64_t b = 0; b < bsz; b++) {
            const float *g = gates + (b * t_n + t) * 4 * u, *hb = h + (b * t_n + t) * u;
            float *dxb = dxp + b * 3 * u, *drb = drp + b * 3 * u;
            for (int64_t j = 0; j < u; j++) {
                float dh = dh_next[b * u + j];
                if (l->spec.return_sequences)
                    dh += dy[(b * t_n + t) * u + j];
                else if (t == t_n - 1)
                    dh += dy[b * u + j];
                float z = g[j], rg = g[u + j], hh = g[2 * u + j], rh = g[3 * u + j];
                float hprev = t > 0 ? hb[j - u] : 0.0f;
                float dzz = dh * (hprev - hh) * z * (1.0f - z);
                float dah = dh * (1.0f - z) * (1.0f - hh * hh);
                float drr = dah * rh * rg * (1.0f - rg);
                dxb[j] = dzz, dxb[u + j] = drr, dxb[2 * u + j] = dah;
                drb[j] = dzz, drb[u + j] = drr, drb[2 * u + j] = dah * rg;
                dh_next[b * u + j] = dh * z; /* the direct path; U^T dR is added below */
            }
        }
        fedc_sgemm(true, false, f, 3 * u, bsz, 1.0f, x + t * f, t_n * f, dxp, 3 * u, 1.0f, dw,
                   3 * u);
        if (t > 0)
            fedc_sgemm(true, false, u, 3 * u, bsz, 1.0f, h + (t - 1) * u, t_n * u, drp, 3 * u, 1.0f,
                       dr, 3 * u);
        if (dbi)
            for (int64_t b = 0; b < bsz; b++)
                for (int64_t j = 0; j < 3 * u; j++) {
                    dbi[j] += dxp[b * 3 * u + j];
                    dbr[j] += drp[b * 3 * u + j];
                }
        if (dx)
            fedc_sgemm(false, true, bsz, f, 3 * u, 1.0f, dxp, 3 * u, w, 3 * u, 0.0f, dx + t * f,
                       t_n * f);
        fedc_sgemm(false, true, bsz, u, 3 * u, 1.0f, drp, 3 * u, r, 3 * u, 1.0f, dh_next, u);
    }
}

const fedc_layer_ops fedc__gru_ops = {
    .class_name = "GRU",
    .build = gru_build,
    .init = gru_init,
    .saved_size = gru_saved,
    .temp_size = gru_temp,
    .forward = gru_forward,
    .backward = gru_backward,
};
