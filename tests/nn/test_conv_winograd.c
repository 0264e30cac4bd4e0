/* test_conv_winograd.c — Conv2D's Winograd path (3x3 windows, stride 1, 16+ channels) against
 * a direct convolution summed in double: the forward, the input gradient and the kernel and
 * bias gradients, over geometries that reach every edge of the tiling (odd output sizes, SAME
 * and VALID padding, channel counts that are not multiples of a vector or that span several
 * chunks, batches taken in several groups), with and without relu, and the same bits when a
 * batch is run twice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"
#include "nn/gradcheck.h"
#include "nn/winograd.h"

typedef struct geometry {
    int64_t h, w, c, filters, batch;
    fedc_padding padding;
    fedc_activation act; /* RELU or LINEAR */
} geometry;

/* The layer's outputs for one batch: y, dx and the parameter gradients. */
typedef struct run {
    float *y, *dx, *grads;
} run;

static run run_layer(fedc_model *m, int64_t batch, const float *x, const float *dy) {
    const fedc_layer *l = fedc_model_layer(m, 0);
    int64_t in = batch * fedc_shape_numel(&l->in_shape);
    int64_t out = batch * fedc_shape_numel(&l->out_shape);
    run r = {gc_floats(out), gc_floats(in), gc_floats(l->param_count)};
    float *saved = gc_floats(l->ops->saved_size(l, batch));
    float *temp = gc_floats(l->ops->temp_size(l, batch));
    fedc_layer_io io = {.batch = batch, .training = true, .saved = saved, .temp = temp};
    l->ops->forward(l, &io, x, r.y);
    l->ops->backward(l, &io, x, r.y, dy, r.dx);
    memcpy(r.grads, l->grads, (size_t)l->param_count * sizeof(float));
    free(saved);
    free(temp);
    return r;
}

static void run_free(run *r) {
    free(r->y);
    free(r->dx);
    free(r->grads);
}

static void near(const char *what, int64_t i, double got, double want, double scale) {
    if (fabs(got - want) > 1e-5 * scale)
        FAIL("%s[%lld] = %.9g, direct convolution %.9g (scale %.3g)", what, (long long)i, got, want,
             scale);
}

static double largest(const double *v, int64_t n) {
    double m = 1.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

static void check_geometry(fedc_ctx *ctx, geometry g) {
    fedc_layer_spec spec = fedc_layer_conv2d(g.filters, 3, 3, 1, 1, g.padding, g.act);
    fedc_shape in_shape = FEDC_SHAPE(g.h, g.w, g.c);
    fedc_model *m;
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = fedc_test_seed();
    ASSERT_OK(fedc_model_create(ctx, &in_shape, &spec, 1, &o, &m));
    const fedc_layer *l = fedc_model_layer(m, 0);
    ASSERT_TRUE(fedc__wino_applies(&l->geom, g.filters)); /* the premise: Winograd runs */
    int64_t oh = l->geom.out_h, ow = l->geom.out_w, pt = l->geom.pad_top, pl = l->geom.pad_left;
    int64_t c = g.c, f = g.filters, nk = 9 * c * f;
    int64_t in = g.h * g.w * c, out = oh * ow * f;
    float *p = fedc_model_params(m);
    gc_fill(p + nk, f, -0.1f, 0.1f, 4); /* biases off zero */
    float *x = gc_floats(g.batch * in), *dy = gc_floats(g.batch * out);
    gc_fill(x, g.batch * in, -1.0f, 1.0f, 5);
    gc_fill(dy, g.batch * out, -1.0f, 1.0f, 6);
    run r = run_layer(m, g.batch, x, dy);

    /* the direct convolution and its gradients, in double */
    double *z = calloc((size_t)(g.batch * out), sizeof(double));
    double *dx = calloc((size_t)(g.batch * in), sizeof(double));
    double *dk = calloc((size_t)(nk + f), sizeof(double)), *db = dk + nk;
    if (!z || !dx || !dk) FAIL("out of memory");
    for (int64_t n = 0; n < g.batch; n++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++)
                for (int64_t k = 0; k < f; k++) {
                    double s = p[nk + k];
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) {
                            int64_t yy = i + a - pt, xx = j + b - pl;
                            if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
                            for (int64_t ci = 0; ci < c; ci++)
                                s += (double)x[((n * g.h + yy) * g.w + xx) * c + ci] *
                                     p[((a * 3 + b) * c + ci) * f + k];
                        }
                    z[((n * oh + i) * ow + j) * f + k] = s;
                }
    for (int64_t n = 0; n < g.batch; n++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++)
                for (int64_t k = 0; k < f; k++) {
                    int64_t at = ((n * oh + i) * ow + j) * f + k;
                    bool relu = g.act == FEDC_ACTIVATION_RELU;
                    double dz = !relu || z[at] > 0 ? dy[at] : 0.0;
                    db[k] += dz;
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) {
                            int64_t yy = i + a - pt, xx = j + b - pl;
                            if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
                            for (int64_t ci = 0; ci < c; ci++) {
                                int64_t xi = ((n * g.h + yy) * g.w + xx) * c + ci;
                                int64_t ki = ((a * 3 + b) * c + ci) * f + k;
                                dk[ki] += (double)x[xi] * dz;
                                dx[xi] += p[ki] * dz;
                            }
                        }
                }
    double zs = largest(z, g.batch * out), xs = largest(dx, g.batch * in);
    double ks = largest(dk, nk + f);
    for (int64_t i = 0; i < g.batch * out; i++)
        near("y", i, r.y[i], g.act == FEDC_ACTIVATION_LINEAR || z[i] > 0 ? z[i] : 0.0, zs);
    for (int64_t i = 0; i < g.batch * in; i++)
        near("dx", i, r.dx[i], dx[i], xs);
    for (int64_t i = 0; i < nk + f; i++)
        near(i < nk ? "dkernel" : "dbias", i, r.grads[i], dk[i], ks);

    /* the same batch again: the same bits */
    run again = run_layer(m, g.batch, x, dy);
    ASSERT_EQ(memcmp(again.y, r.y, (size_t)(g.batch * out) * sizeof(float)), 0);
    ASSERT_EQ(memcmp(again.dx, r.dx, (size_t)(g.batch * in) * sizeof(float)), 0);
    ASSERT_EQ(memcmp(again.grads, r.grads, (size_t)(nk + f) * sizeof(float)), 0);
    run_free(&again);
    run_free(&r);
    free(z);
    free(dx);
    free(dk);
    free(x);
    free(dy);
    fedc_model_destroy(m);
}

TEST(winograd_odd_outputs_and_channels) {
    /* VALID 9x8 -> 7x6 and SAME 7x5: tiles that run past the last row and column; 19 and 17
     * channels: vectors with a tail */
    check_geometry(ctx, (geometry){9, 8, 19, 17, 2, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU});
    check_geometry(ctx, (geometry){7, 5, 17, 19, 3, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU});
}

TEST(winograd_channels_over_one_chunk) {
    /* 70 input channels, then 70 filters: more than one chunk of a tile's channels */
    check_geometry(ctx, (geometry){6, 6, 70, 16, 2, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU});
    check_geometry(ctx, (geometry){5, 6, 16, 70, 2, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU});
}

TEST(winograd_batch_in_several_groups) {
    /* The EMNIST CNN's second convolution (26x26x32 -> 24x24x64): one example's tiles are about
     * a MiB, so a batch of 3 runs as 3 groups whose kernel gradients add up. */
    check_geometry(ctx, (geometry){26, 26, 32, 64, 3, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU});
}

TEST(winograd_without_activation) {
    /* no relu: the bias alone in the output's epilogue, and dz = dy everywhere */
    check_geometry(ctx, (geometry){7, 8, 16, 24, 2, FEDC_PADDING_SAME, FEDC_ACTIVATION_LINEAR});
}

TEST(winograd_serves_only_3x3_stride1_wide_layers) {
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 8, 8, 16, 3, 3, 1, 1, FEDC_PADDING_SAME, &g));
    ASSERT_TRUE(fedc__wino_applies(&g, 16));
    ASSERT_FALSE(fedc__wino_applies(&g, 15)); /* too few filters */
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 8, 8, 15, 3, 3, 1, 1, FEDC_PADDING_SAME, &g));
    ASSERT_FALSE(fedc__wino_applies(&g, 16)); /* too few channels */
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 8, 8, 16, 3, 3, 2, 2, FEDC_PADDING_SAME, &g));
    ASSERT_FALSE(fedc__wino_applies(&g, 16)); /* stride 2 */
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 8, 8, 16, 5, 5, 1, 1, FEDC_PADDING_SAME, &g));
    ASSERT_FALSE(fedc__wino_applies(&g, 16)); /* 5x5 */
}
