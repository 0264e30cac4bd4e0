/* layer_lstm.c — LSTM as Keras defines it: gates (i, f, c, o) in that order, z = x W + h U + b,
 * c' = f c + i tanh(zc), h' = o tanh(c'), sigmoid gates; weights kernel [in, 4u],
 * recurrent_kernel [u, 4u] (orthogonal), bias [4u] with the forget part at 1
 * (unit_forget_bias). Output: every step's h or the last. Backward: backpropagation through
 * time.
 *
 * Only the recurrence is sequential: the input projection x W of every step is one product
 * before the time loop, and the weight gradients (dW, dU) and dx are products over all steps
 * after it, so the per-step products are only h U forward and dz U^T backward (with a batch of
 * 4, per-step products of 4 rows spend more time packing U than multiplying).
 *
 * Must not allocate: activated gates, cell and hidden states of every step are kept in
 * io->saved; dL/dz of every step and the carried dh, dc live in io->temp.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"
#include "nn/recurrent.h"

static int64_t steps(const fedc_layer *l) { return fedc__rnn_steps(l); }
static int64_t feats(const fedc_layer *l) { return fedc__rnn_feats(l); }
static float sig(float x) { return fedc__rnn_sig(x); }

static fedc_status lstm_build(fedc_ctx *ctx, fedc_layer *l) {
    return fedc__rnn_build(ctx, l, 4, 4);
}

static fedc_status lstm_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    int64_t u = l->spec.units, f = feats(l);
    fedc_shape ks = FEDC_SHAPE(f, 4 * u), rs = FEDC_SHAPE(u, 4 * u), bs = FEDC_SHAPE(4 * u);
    float *w = l->params, *r = w + f * 4 * u, *b = r + u * 4 * u;
    fedc_status st = fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &ks, seed, w);
    if (st == FEDC_STATUS_OK)
        st = fedc__init_weight(ctx, l, 2, &l->spec.recurrent_init, &rs, seed, r);
    if (st != FEDC_STATUS_OK || !l->spec.use_bias) return st;
    st = fedc__init_weight(ctx, l, 1, &l->spec.bias_init, &bs, seed, b);
    if (st == FEDC_STATUS_OK && l->spec.unit_forget_bias)
        for (int64_t j = 0; j < u; j++)
            b[u + j] = 1.0f;
    return st;
}

static int64_t lstm_saved(const fedc_layer *l, int64_t batch) {
    return batch * steps(l) * 6 * l->spec.units;
}

static int64_t lstm_temp(const fedc_layer *l, int64_t batch) {
    return batch * steps(l) * 4 * l->spec.units + 2 * batch * l->spec.units;
}

static void lstm_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t bsz = io->batch, t_n = steps(l), f = feats(l), u = l->spec.units;
    const float *w = l->params, *r = w + f * 4 * u, *b = l->spec.use_bias ? r + u * 4 * u : NULL;
    float *gates = io->saved, *c = gates + bsz * t_n * 4 * u, *h = c + bsz * t_n * u;
    /* x is [bsz * t_n, f] and gates [bsz * t_n, 4u], row (bi, t): x W for all steps at once. */
    fedc_sgemm(false, false, bsz * t_n, 4 * u, f, 1.0f, x, f, w, 4 * u, 0.0f, gates, 4 * u);
    for (int64_t t = 0; t < t_n; t++) {
        float *z = gates + t * 4 * u;
        if (t > 0)
            fedc_sgemm(false, false, bsz, 4 * u, u, 1.0f, h + (t - 1) * u, t_n * u, r, 4 * u, 1.0f,
                       z, t_n * 4 * u);
        for (int64_t bi = 0; bi < bsz; bi++) {
            float *zb = z + bi * t_n * 4 * u;
            float *cb = c + (bi * t_n + t) * u, *hb = h + (bi * t_n + t) * u;
            for (int64_t j = 0; j < u; j++) {
                float zi = zb[j], zf = zb[u + j], zg = zb[2 * u + j], zo = zb[3 * u + j];
                if (b) zi += b[j], zf += b[u + j], zg += b[2 * u + j], zo += b[3 * u + j];
                float i = sig(zi), fg = sig(zf), g = tanhf(zg), o = sig(zo);
                float cprev = t > 0 ? cb[j - u] : 0.0f;
                float cn = fg * cprev + i * g;
                zb[j] = i, zb[u + j] = fg, zb[2 * u + j] = g, zb[3 * u + j] = o;
                cb[j] = cn;
                hb[j] = o * tanhf(cn);
            }
        }
    }
    if (l->spec.return_sequences)
        memcpy(y, h, (size_t)(bsz * t_n * u) * sizeof(float));
    else
        for (int64_t bi = 0; bi < bsz; bi++)
            memcpy(y + bi * u, h + (bi * t_n + t_n - 1) * u, (size_t)u * sizeof(float));
}

static void lstm_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                          const float *dy, float *dx) {
    (void)y;
    int64_t bsz = io->batch, t_n = steps(l), f = feats(l), u = l->spec.units;
    const float *w = l->params, *r = w + f * 4 * u;
    const float *gates = io->saved, *c = gates + bsz * t_n * 4 * u, *h = c + bsz * t_n * u;
    float *dw = l->grads, *dr = dw + f * 4 * u, *db = l->spec.use_bias ? dr + u * 4 * u : NULL;
    /* dz [bsz * t_n, 4u], rows (bi, t) as the gates; then the carried dh and dc [bsz, u]. */
    float *dz = io->temp, *dh_next = dz + bsz * t_n * 4 * u, *dc_next = dh_next + bsz * u;
    memset(l->grads, 0, (size_t)l->param_count * sizeof(float));
    memset(dh_next, 0, (size_t)(2 * bsz * u) * sizeof(float));
    for (int64_t t = t_n - 1; t >= 0; t--) {
        for (int64_t bi = 0; bi < bsz; bi++) {
            const float *gb = gates + (bi * t_n + t) * 4 * u;
            const float *cb = c + (bi * t_n + t) * u;
            float *dzb = dz + (bi * t_n + t) * 4 * u;
            for (int64_t j = 0; j < u; j++) {
                float dh = dh_next[bi * u + j];
                if (l->spec.return_sequences)
                    dh += dy[(bi * t_n + t) * u + j];
                else if (t == t_n - 1)
                    dh += dy[bi * u + j];
                float i = gb[j], fg = gb[u + j], g = gb[2 * u + j], o = gb[3 * u + j];
                float tc = tanhf(cb[j]), cprev = t > 0 ? cb[j - u] : 0.0f;
                float dc = dh * o * (1.0f - tc * tc) + dc_next[bi * u + j];
                float d_o = dh * tc;
                dc_next[bi * u + j] = dc * fg;
                dzb[j] = dc * g * i * (1.0f - i);
                dzb[u + j] = dc * cprev * fg * (1.0f - fg);
                dzb[2 * u + j] = dc * i * (1.0f - g * g);
                dzb[3 * u + j] = d_o * o * (1.0f - o);
            }
            if (db)
                for (int64_t j = 0; j < 4 * u; j++)
                    db[j] += dzb[j];
        }
        if (t > 0) /* dh of step t - 1, through the recurrent kernel */
            fedc_sgemm(false, true, bsz, u, 4 * u, 1.0f, dz + t * 4 * u, t_n * 4 * u, r, 4 * u,
                       0.0f, dh_next, u);
    }
    /* The products over all steps: dW = X^T dZ, dU = sum over sequences of H[:-1]^T dZ[1:]
     * (h of step t - 1 meets dz of step t, so one product per sequence), dX = dZ W^T. */
    fedc_sgemm(true, false, f, 4 * u, bsz * t_n, 1.0f, x, f, dz, 4 * u, 0.0f, dw, 4 * u);
    for (int64_t bi = 0; bi < bsz && t_n > 1; bi++)
        fedc_sgemm(true, false, u, 4 * u, t_n - 1, 1.0f, h + bi * t_n * u, u,
                   dz + (bi * t_n + 1) * 4 * u, 4 * u, 1.0f, dr, 4 * u);
    if (dx) fedc_sgemm(false, true, bsz * t_n, f, 4 * u, 1.0f, dz, 4 * u, w, 4 * u, 0.0f, dx, f);
}

const fedc_layer_ops fedc__lstm_ops = {
    .class_name = "LSTM",
    .build = lstm_build,
    .init = lstm_init,
    .saved_size = lstm_saved,
    .temp_size = lstm_temp,
    .forward = lstm_forward,
    .backward = lstm_backward,
};
