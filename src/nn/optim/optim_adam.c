/* optim_adam.c — the Adam family: Adam, AdamW (decoupled weight decay) and Yogi.
 *
 * Pure loops over the flat vector; they must not validate or allocate. Rules, with accumulator
 * m, preconditioner s and step t >= 1:
 *   Adam  (TFF build_adam; Kingma & Ba 2015, "epsilon hat" form, as Keras)
 *     m = b1 m + (1 - b1) g;  s = b2 s + (1 - b2) g^2
 *     w = w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(s) + eps)
 *   AdamW (TFF build_adamw; Loshchilov & Hutter 2019)
 *     as Adam, then w = w - lr (sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(s) + eps) + wd * w)
 *     with the decay applied to the weight before the step
 *   Yogi  (TFF build_yogi; Zaheer et al. 2018; preconditioner starts at a positive value)
 *     m = m + (g - m)(1 - b1);  s = s + (1 - b2) sign(g^2 - s) g^2;  w as Adam
 * Per element the arithmetic is in double, rounded to float when stored: the result is the
 * same on every platform with IEEE doubles and correctly rounded sqrt.
 */
#include <math.h>

#include "nn/optim/optim_int.h"

/* lr * sqrt(1 - b2^t) / (1 - b1^t), TFF's normalized learning rate. */
static double normalized_lr(double lr, double b1, double b2, int64_t t) {
    return lr * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t));
}

static void adam_core(const fedc_optimizer *opt, const double *h, int64_t t, float *slots, float *w,
                      const float *g, double weight_decay) {
    const double lr = h[0], b1 = h[1], b2 = h[2], eps = h[3];
    const double nlr = normalized_lr(lr, b1, b2, t);
    const int64_t n = opt->nparams;
    float *m = slots, *s = slots + n;
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        double mi = b1 * m[i] + (1.0 - b1) * gi;
        double si = b2 * s[i] + (1.0 - b2) * gi * gi;
        m[i] = (float)mi;
        s[i] = (float)si;
        double upd = nlr * (double)m[i] / (sqrt((double)s[i]) + eps);
        w[i] = (float)((double)w[i] - upd - lr * weight_decay * (double)w[i]);
    }
}

void fedc__optim_adam_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                           float *w, const float *g) {
    adam_core(opt, h, t, slots, w, g, 0.0);
}

void fedc__optim_adamw_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                            float *w, const float *g) {
    adam_core(opt, h, t, slots, w, g, h[4]);
}

void fedc__optim_yogi_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                           float *w, const float *g) {
    const double lr = h[0], b1 = h[1], b2 = h[2], eps = h[3];
    const double nlr = normalized_lr(lr, b1, b2, t);
    const int64_t n = opt->nparams;
    float *m = slots, *s = slots + n;
    for (int64_t i = 0; i < n; i++) {
        double gi = g[i], g2 = gi * gi;
        double si = s[i];
        double sign = g2 > si ? 1.0 : (g2 < si ? -1.0 : 0.0);
        m[i] = (float)((double)m[i] + (gi - (double)m[i]) * (1.0 - b1));
        s[i] = (float)(si + (1.0 - b2) * sign * g2);
        double upd = nlr * (double)m[i] / (sqrt((double)s[i]) + eps);
        w[i] = (float)((double)w[i] - upd);
    }
}
