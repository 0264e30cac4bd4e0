/* test_conv_groups.c — Conv2D on images large enough that the layer takes the batch in groups
 * of examples (its im2col matrix per example is over the layer's cache budget): the forward
 * against a direct convolution, and the batch's results against the same layer run on each
 * example alone (y and dx bit for bit, dW and db as sums over the examples).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"
#include "nn/gradcheck.h"

enum { H = 26, W = 26, C = 56, F = 4, KH = 3, KW = 3, OH = H - KH + 1, OW = W - KW + 1 };
enum { BATCH = 3, IN = H * W * C, OUT = OH * OW * F, NPARAMS = KH * KW * C * F + F };

/* One pass of layer 0 of m over `batch` examples: y = forward(x); dx, grads = backward(dy). */
static void run_layer(fedc_model *m, int64_t batch, const float *x, const float *dy, float *y,
                      float *dx) {
    const fedc_layer *l = fedc_model_layer(m, 0);
    float *saved = gc_floats(l->ops->saved_size(l, batch));
    float *temp = gc_floats(l->ops->temp_size(l, batch));
    fedc_layer_io io = {.batch = batch, .training = true, .saved = saved, .temp = temp};
    l->ops->forward(l, &io, x, y);
    l->ops->backward(l, &io, x, y, dy, dx);
    free(saved);
    free(temp);
}

TEST(conv2d_in_groups_matches_direct_and_per_example) {
    fedc_layer_spec spec =
        fedc_layer_conv2d(F, KH, KW, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU);
    fedc_shape in = FEDC_SHAPE(H, W, C);
    fedc_model *m;
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = fedc_test_seed();
    ASSERT_OK(fedc_model_create(ctx, &in, &spec, 1, &o, &m));
    ASSERT_EQ(fedc_model_num_params(m), NPARAMS);
    /* The premise: one example's im2col matrix is over a MiB, so a batch of 3 is 3 groups. */
    ASSERT_GT((int64_t)OH * OW * KH * KW * C * (int64_t)sizeof(float), (int64_t)1 << 20);
    float *p = fedc_model_params(m);
    gc_fill(p + NPARAMS - F, F, -0.1f, 0.1f, 4); /* biases off zero */
    float *x = gc_floats(BATCH * IN), *dy = gc_floats(BATCH * OUT);
    gc_fill(x, BATCH * IN, -1.0f, 1.0f, 5);
    gc_fill(dy, BATCH * OUT, -1.0f, 1.0f, 6);
    float *y = gc_floats(BATCH * OUT), *dx = gc_floats(BATCH * IN), *grads = gc_floats(NPARAMS);
    run_layer(m, BATCH, x, dy, y, dx);
    memcpy(grads, fedc_model_grads(m), NPARAMS * sizeof(float));

    /* forward against the direct convolution, summed in double */
    for (int n = 0; n < BATCH; n++)
        for (int i = 0; i < OH; i++)
            for (int j = 0; j < OW; j++)
                for (int f = 0; f < F; f++) {
                    double z = p[NPARAMS - F + f];
                    for (int a = 0; a < KH; a++)
                        for (int b = 0; b < KW; b++)
                            for (int c = 0; c < C; c++)
                                z += (double)x[((n * H + i + a) * W + j + b) * C + c] *
                                     p[((a * KW + b) * C + c) * F + f];
                    double want = z > 0 ? z : 0;
                    float got = y[((n * OH + i) * OW + j) * F + f];
                    if (fabs(got - want) > 1e-4 * (1 + fabs(want)))
                        FAIL("y[%d,%d,%d,%d] = %.7g, direct convolution %.7g", n, i, j, f,
                             (double)got, want);
                }

    /* each example alone: the same y and dx bits; dW and db summed over the examples */
    double *sum = calloc(NPARAMS, sizeof(double));
    float *y1 = gc_floats(OUT), *dx1 = gc_floats(IN);
    for (int n = 0; n < BATCH; n++) {
        run_layer(m, 1, x + n * IN, dy + n * OUT, y1, dx1);
        ASSERT_EQ(memcmp(y1, y + n * OUT, OUT * sizeof(float)), 0);
        ASSERT_EQ(memcmp(dx1, dx + n * IN, IN * sizeof(float)), 0);
        for (int i = 0; i < NPARAMS; i++)
            sum[i] += fedc_model_grads(m)[i];
    }
    for (int i = 0; i < NPARAMS; i++)
        if (fabs(grads[i] - sum[i]) > 1e-4 * (1 + fabs(sum[i])))
            FAIL("grad %d: batch %.7g, sum over examples %.7g", i, (double)grads[i], sum[i]);
    free(sum);
    free(y1);
    free(dx1);
    free(x);
    free(dy);
    free(y);
    free(dx);
    free(grads);
    fedc_model_destroy(m);
}
