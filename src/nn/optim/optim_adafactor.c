/* optim_adafactor.c — the Adafactor update (Shazeer & Stern 2018), as TFF's build_adafactor and
 * keras.optimizers.Adafactor compute it (no first moment).
 *
 * Pure loops; must not validate or allocate. Per parameter segment (one variable) at step t:
 *   lr'   = min(lr, 1/sqrt(t)) when relative_step, else lr;  rho = min(lr', sqrt(t)) (TFF's form;
 *           with relative_step it equals Keras's min(lr', 1/sqrt(t)))
 *   alpha = max(epsilon_2, rms(w)) * rho;   b2 = 1 - t^beta_2_decay;   q = g^2 + epsilon_1
 *   rank >= 2 (factored over the last two axes, leading axes a batch):
 *     r = b2 r + (1 - b2) mean_cols(q);  c = b2 c + (1 - b2) mean_rows(q)
 *     v[i,j] = r[i] / mean(r) * c[j]
 *   rank < 2: v = b2 v + (1 - b2) q
 *   u = g / sqrt(v);  w = w - alpha * u / max(1, rms(u) / clip_threshold)
 * Unlike TFF, the factored v is recomputed from r and c instead of being stored: that is the
 * point of Adafactor (memory rows + cols instead of rows * cols).
 */
#include <math.h>

#include "nn/optim/optim_int.h"

typedef struct segment_ctx {
    double b2, eps1, clip, alpha;
} segment_ctx;

static double rms(const float *x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return sqrt(s / (double)n);
}

/* Applies w -= alpha * u / max(1, rms(u)/clip) given sum(u^2) over the segment. */
static double clip_scale(const segment_ctx *sc, double sum_u2, int64_t n) {
    double rms_u = sqrt(sum_u2 / (double)n);
    double d = rms_u / sc->clip;
    return d > 1.0 ? d : 1.0;
}

static void unfactored(const segment_ctx *sc, int64_t n, float *v, float *w, const float *g) {
    double sum_u2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        v[i] = (float)(sc->b2 * (double)v[i] + (1.0 - sc->b2) * (gi * gi + sc->eps1));
        double u = gi / sqrt((double)v[i]);
        sum_u2 += u * u;
    }
    double div = clip_scale(sc, sum_u2, n);
    for (int64_t i = 0; i < n; i++) {
        double u = (double)g[i] / sqrt((double)v[i]);
        w[i] = (float)((double)w[i] - sc->alpha * (u / div));
    }
}

/* One rows x cols matrix of the batch: r[rows], c[cols]. Returns sum(u^2) when `apply` is false;
 * applies the update with divisor `div` when true. */
static double factored_matrix(const segment_ctx *sc, int64_t rows, int64_t cols, const float *r,
                              const float *c, float *w, const float *g, bool apply, double div) {
    double mean_r = 0;
    for (int64_t i = 0; i < rows; i++)
        mean_r += r[i];
    mean_r /= (double)rows;
    double sum_u2 = 0;
    for (int64_t i = 0; i < rows; i++) {
        double ri = (double)r[i] / mean_r;
        for (int64_t j = 0; j < cols; j++) {
            double v = ri * (double)c[j];
            double u = (double)g[i * cols + j] / sqrt(v);
            if (apply)
                w[i * cols + j] = (float)((double)w[i * cols + j] - sc->alpha * (u / div));
            else
                sum_u2 += u * u;
        }
    }
    return sum_u2;
}

static void factored(const segment_ctx *sc, const fedc_shape *shape, float *moments, float *w,
                     const float *g) {
    int64_t rows = shape->dims[shape->rank - 2], cols = shape->dims[shape->rank - 1];
    int64_t numel = fedc_shape_numel(shape), batch = numel / (rows * cols);
    float *r_all = moments, *c_all = moments + batch * rows;
    for (int64_t b = 0; b < batch; b++) {
        const float *gb = g + b * rows * cols;
        float *r = r_all + b * rows, *c = c_all + b * cols;
        for (int64_t i = 0; i < rows; i++) {
            double s = 0;
            for (int64_t j = 0; j < cols; j++) {
                double q = (double)gb[i * cols + j];
                s += q * q + sc->eps1;
            }
            r[i] = (float)(sc->b2 * (double)r[i] + (1.0 - sc->b2) * (s / (double)cols));
        }
        for (int64_t j = 0; j < cols; j++) {
            double s = 0;
            for (int64_t i = 0; i < rows; i++) {
                double q = (double)gb[i * cols + j];
                s += q * q + sc->eps1;
            }
            c[j] = (float)(sc->b2 * (double)c[j] + (1.0 - sc->b2) * (s / (double)rows));
        }
    }
    double sum_u2 = 0;
    for (int64_t b = 0; b < batch; b++)
        sum_u2 += factored_matrix(sc, rows, cols, r_all + b * rows, c_all + b * cols,
                                  w + b * rows * cols, g + b * rows * cols, false, 1.0);
    double div = clip_scale(sc, sum_u2, numel);
    for (int64_t b = 0; b < batch; b++)
        factored_matrix(sc, rows, cols, r_all + b * rows, c_all + b * cols, w + b * rows * cols,
                        g + b * rows * cols, true, div);
}

void fedc__optim_adafactor_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                                float *w, const float *g) {
    const double lr = h[0], decay = h[1];
    const double st = (double)t;
    double lr_t = lr;
    if (opt->relative_step && 1.0 / sqrt(st) < lr_t) lr_t = 1.0 / sqrt(st);
    double rho = lr_t < sqrt(st) ? lr_t : sqrt(st);
    segment_ctx sc = {.b2 = 1.0 - pow(st, decay), .eps1 = h[2], .clip = h[4], .alpha = 0};
    const double eps2 = h[3];
    int64_t woff = 0, moff = 0;
    for (size_t s = 0; s < opt->nsegments; s++) {
        const fedc_shape *shape = &opt->segments[s];
        int64_t n = fedc_shape_numel(shape);
        if (n == 0) continue;
        double scale = rms(w + woff, n);
        sc.alpha = (scale > eps2 ? scale : eps2) * rho;
        if (shape->rank >= 2)
            factored(&sc, shape, slots + moff, w + woff, g + woff);
        else
            unfactored(&sc, n, slots + moff, w + woff, g + woff);
        woff += n;
        moff += fedc__adafactor_moments_size(shape);
    }
}
