/* optim_adagrad.c — Adagrad and RMSprop, the two preconditioner-only rules.
 *
 * Pure loops over the flat vector; they must not validate or allocate. Rules:
 *   Adagrad (TFF build_adagrad; Duchi et al. 2011): s = s + g^2;  w = w - lr g / sqrt(s + eps)
 *           with s starting at initial_preconditioner_value (epsilon INSIDE the root, as TFF)
 *   RMSprop (TFF build_rmsprop; Tieleman & Hinton 2012): s = d s + (1 - d) g^2;
 *           w = w - lr g / (sqrt(s) + eps), s starting at 0 (epsilon outside, as TFF and torch)
 * Per element in double, rounded to float when stored.
 */
#include <math.h>

#include "nn/optim/optim_int.h"

void fedc__optim_adagrad_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                              float *w, const float *g) {
    (void)t;
    const double lr = h[0], eps = h[1];
    float *s = slots;
    for (int64_t i = 0; i < opt->nparams; i++) {
        double gi = g[i];
        s[i] = (float)((double)s[i] + gi * gi);
        w[i] = (float)((double)w[i] - lr * gi / sqrt((double)s[i] + eps));
    }
}

void fedc__optim_rmsprop_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                              float *w, const float *g) {
    (void)t;
    const double lr = h[0], d = h[1], eps = h[2];
    float *s = slots;
    for (int64_t i = 0; i < opt->nparams; i++) {
        double gi = g[i];
        s[i] = (float)(d * (double)s[i] + (1.0 - d) * gi * gi);
        w[i] = (float)((double)w[i] - lr * gi / (sqrt((double)s[i]) + eps));
    }
}
