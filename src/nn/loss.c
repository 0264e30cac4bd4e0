/* loss.c — Keras's losses (sparse/categorical/binary cross-entropy from logits or
 * probabilities, mean squared error) with sample weights, giving the loss and d loss / d pred.
 *
 * Reduction is Keras's SUM_OVER_BATCH_SIZE: sum of weighted per-example losses / batch. Sums are
 * in double; nothing is allocated.
 */
#include <math.h>
#include <stdio.h>

#include "nn/nn_int.h"

#define EPS 1e-7 /* Keras's backend epsilon */

static const char *const loss_names[FEDC_LOSS_COUNT] = {
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error"};

const char *fedc_loss_name(fedc_loss_kind kind) {
    if ((int)kind < 0 || kind >= FEDC_LOSS_COUNT) return "invalid";
    return loss_names[kind];
}

static double clampd(double p, bool *clipped) {
    *clipped = p < EPS || p > 1.0 - EPS;
    return p < EPS ? EPS : (p > 1.0 - EPS ? 1.0 - EPS : p);
}

/* Per-row cross-entropies over `cols` classes against class `label` or distribution `t`
 * (one of them); writes dL_row/dpred into g when not NULL. */
static double row_ce(const fedc_loss *loss, const float *p, int64_t cols, int64_t label,
                     const float *t, float *g, double scale) {
    double val = 0.0;
    if (loss->from_logits) {
        double mx = p[0];
        for (int64_t c = 1; c < cols; c++)
            if (p[c] > mx) mx = p[c];
        double sum = 0.0, tsum = 0.0;
        for (int64_t c = 0; c < cols; c++)
            sum += exp((double)p[c] - mx);
        double lse = mx + log(sum);
        for (int64_t c = 0; c < cols; c++) {
            double tc = t ? t[c] : (c == label ? 1.0 : 0.0);
            tsum += tc;
            val -= tc * ((double)p[c] - lse);
        }
        if (g)
            for (int64_t c = 0; c < cols; c++) {
                double tc = t ? t[c] : (c == label ? 1.0 : 0.0);
                g[c] = (float)(scale * (exp((double)p[c] - lse) * tsum - tc));
            }
        return val;
    }
    if (!t) { /* sparse from probabilities: clip, no normalization (as Keras) */
        bool clipped;
        double q = clampd(p[label], &clipped);
        if (g) {
            for (int64_t c = 0; c < cols; c++)
                g[c] = 0.0f;
            if (!clipped) g[label] = (float)(-scale / q);
        }
        return -log(q);
    }
    /* categorical from probabilities: q = p / sum(p), clipped; L = -sum t log q. */
    double s = 0.0;
    for (int64_t c = 0; c < cols; c++)
        s += p[c];
    double gp = 0.0; /* sum_i dL/dq_i * q_i */
    for (int64_t c = 0; c < cols; c++) {
        bool clipped;
        double q = clampd(p[c] / s, &clipped);
        val -= t[c] * log(q);
        if (!clipped) gp += -t[c] / q * (p[c] / s);
    }
    if (g)
        for (int64_t c = 0; c < cols; c++) {
            bool clipped;
            double q = clampd(p[c] / s, &clipped);
            double dq = clipped ? 0.0 : -t[c] / q;
            g[c] = (float)(scale * (dq / s - gp / s));
        }
    return val;
}

static fedc_status read_label(fedc_ctx *ctx, const fedc_tensor *target, int64_t row, int64_t cols,
                              int64_t *label) {
    double v = fedc_tensor_get_flat(target, row);
    if (!(v >= 0.0 && v < (double)cols) || v != floor(v))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: row %lld has class %g, expected an integer in [0, %lld)",
                               loss_names[0], (long long)row, v, (long long)cols);
    *label = (int64_t)v;
    return FEDC_STATUS_OK;
}

static fedc_status shape_error(fedc_ctx *ctx, const fedc_loss *loss, const char *what,
                               const fedc_shape *want, const fedc_shape *got) {
    char w[96], g[96];
    fedc_shape_format(want, w, sizeof w);
    fedc_shape_format(got, g, sizeof g);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: %s must have shape %s, got %s",
                           fedc_loss_name(loss->kind), what, w, g);
}

static fedc_status check_args(fedc_ctx *ctx, const fedc_loss *loss, const fedc_tensor *pred,
                              const fedc_tensor *target, const fedc_tensor *sw,
                              const fedc_tensor *dpred) {
    const char *name = fedc_loss_name(loss->kind);
    if ((int)loss->kind < 0 || loss->kind >= FEDC_LOSS_COUNT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown loss kind %d",
                               (int)loss->kind);
    if (pred->dtype != FEDC_DTYPE_FLOAT32 || !fedc_tensor_is_contiguous(pred))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: pred must be contiguous float32, got %s",
                               name, fedc_dtype_name(pred->dtype));
    if (pred->shape.rank < 1 || pred->shape.dims[0] < 1 ||
        (loss->kind <= FEDC_LOSS_CATEGORICAL_CROSSENTROPY && pred->shape.rank < 2)) {
        char g[96];
        fedc_shape_format(&pred->shape, g, sizeof g);
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: pred must be [batch >= 1, %s], got %s", name,
            loss->kind <= FEDC_LOSS_CATEGORICAL_CROSSENTROPY ? "classes" : "...", g);
    }
    fedc_shape batch_only = FEDC_SHAPE(pred->shape.dims[0]);
    if (loss->kind == FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
        if (target->dtype != FEDC_DTYPE_INT32 && target->dtype != FEDC_DTYPE_INT64 &&
            target->dtype != FEDC_DTYPE_FLOAT32)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "%s: target must be int32, int64 or float32, got %s", name,
                                   fedc_dtype_name(target->dtype));
        fedc_shape want = pred->shape;
        want.rank--;
        want.dims[want.rank] = 0;
        if (!fedc_shape_equal(&target->shape, &want))
            return shape_error(ctx, loss, "target", &want, &target->shape);
    } else {
        if (target->dtype != FEDC_DTYPE_FLOAT32 || !fedc_tensor_is_contiguous(target))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "%s: target must be contiguous float32, got %s", name,
                                   fedc_dtype_name(target->dtype));
        if (!fedc_shape_equal(&target->shape, &pred->shape))
            return shape_error(ctx, loss, "target", &pred->shape, &target->shape);
    }
    if (sw) {
        if (sw->dtype != FEDC_DTYPE_FLOAT32)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "%s: sample_weight must be float32, got %s", name,
                                   fedc_dtype_name(sw->dtype));
        if (!fedc_shape_equal(&sw->shape, &batch_only))
            return shape_error(ctx, loss, "sample_weight", &batch_only, &sw->shape);
    }
    if (dpred) {
        if (dpred->dtype != FEDC_DTYPE_FLOAT32 || !fedc_tensor_is_contiguous(dpred))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "%s: dpred must be contiguous float32, got %s", name,
                                   fedc_dtype_name(dpred->dtype));
        if (!fedc_shape_equal(&dpred->shape, &pred->shape))
            return shape_error(ctx, loss, "dpred", &pred->shape, &dpred->shape);
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_loss_eval(fedc_ctx *ctx, const fedc_loss *loss, const fedc_tensor *pred,
                           const fedc_tensor *target, const fedc_tensor *sample_weight,
                           double *loss_out, fedc_tensor *dpred) {
    fedc_status st = check_args(ctx, loss, pred, target, sample_weight, dpred);
    if (st != FEDC_STATUS_OK) return st;
    const float *p = pred->data;
    const float *t = target->data;
    float *g = dpred ? dpred->data : NULL;
    int64_t n = fedc_tensor_numel(pred);
    int64_t cols = pred->shape.dims[pred->shape.rank - 1];
    int64_t rows = cols ? n / cols : 0; /* rows of the last axis */
    int64_t batch = pred->shape.dims[0];
    int64_t per_example = n / batch;
    double total = 0.0;
    /* Keras divides by the number of per-sample loss values: the batch, or batch * T when the
     * predictions are sequences [batch, T, classes] (elementwise losses: [batch, T, d] gives
     * batch * T as well, since they average over the last axis first). */
    double denom = (double)(pred->shape.rank > 2 ? rows : batch);
    if (loss->kind <= FEDC_LOSS_CATEGORICAL_CROSSENTROPY) {
        int64_t rows_per_example = rows / batch;
        for (int64_t r = 0; r < rows; r++) {
            double w =
                sample_weight ? fedc_tensor_get_flat(sample_weight, r / rows_per_example) : 1.0;
            int64_t label = -1;
            if (loss->kind == FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY) {
                st = read_label(ctx, target, r, cols, &label);
                if (st != FEDC_STATUS_OK) return st;
            }
            const float *tr =
                loss->kind == FEDC_LOSS_CATEGORICAL_CROSSENTROPY ? t + r * cols : NULL;
            total +=
                w * row_ce(loss, p + r * cols, cols, label, tr, g ? g + r * cols : NULL, w / denom);
        }
    } else {
        /* Elementwise losses, averaged over each example's elements, then over the batch. */
        for (int64_t b = 0; b < batch; b++) {
            double w = sample_weight ? fedc_tensor_get_flat(sample_weight, b) : 1.0;
            double scale = w / ((double)batch * (double)per_example), sum = 0.0;
            for (int64_t i = b * per_example; i < (b + 1) * per_example; i++) {
                double x = p[i], y = t[i], d;
                if (loss->kind == FEDC_LOSS_MEAN_SQUARED_ERROR) {
                    sum += (x - y) * (x - y);
                    d = 2.0 * (x - y);
                } else if (loss->from_logits) {
                    /* max(x, 0) - x y + log(1 + exp(-|x|)), stable for any x */
                    sum += (x > 0.0 ? x : 0.0) - x * y + log1p(exp(-fabs(x)));
                    double s = x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
                    d = s - y;
                } else {
                    /* Keras: clip to [eps, 1 - eps], then log(p + eps), log(1 - p + eps). */
                    bool clipped;
                    double q = clampd(x, &clipped);
                    sum -= y * log(q + EPS) + (1.0 - y) * log(1.0 - q + EPS);
                    d = clipped ? 0.0 : -y / (q + EPS) + (1.0 - y) / (1.0 - q + EPS);
                }
                if (g) g[i] = (float)(scale * d);
            }
            total += w * sum / (double)per_example;
        }
    }
    *loss_out = total / (loss->kind <= FEDC_LOSS_CATEGORICAL_CROSSENTROPY ? denom : (double)batch);
    return FEDC_STATUS_OK;
}
