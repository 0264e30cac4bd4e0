/* optim_sgd.c — the SGD update: plain, with momentum, and with Nesterov momentum.
 *
 * A pure loop over the flat parameter vector; it must not validate or allocate (optimizer.c
 * does both). Rules:
 *   plain     w = w - lr * g                               (TFF build_sgdm)
 *   momentum  v = m * v + g;  w = w - lr * v               (TFF build_sgdm; torch.optim.SGD)
 *   Nesterov  v = m * v + g;  w = w - lr * (g + m * v)     (torch.optim.SGD nesterov=True, which
 *             equals Keras's SGD(nesterov=True) for a constant learning rate; TFF has none)
 * Products are rounded to float as PyTorch's float32 kernels round them.
 */
#include "nn/optim/optim_int.h"

void fedc__optim_sgd_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                          float *w, const float *g) {
    (void)t;
    const float lr = (float)h[0];
    const int64_t n = opt->nparams;
    if (opt->nslots == 0) {
        for (int64_t i = 0; i < n; i++)
            w[i] -= lr * g[i];
        return;
    }
    const float m = (float)h[1];
    float *v = slots;
    if (opt->nesterov) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = m * v[i] + g[i];
            w[i] -= lr * (g[i] + m * v[i]);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            v[i] = m * v[i] + g[i];
            w[i] -= lr * v[i];
        }
    }
}
