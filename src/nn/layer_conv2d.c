/* layer_conv2d.c — Conv2D, channels-last (NHWC) as Keras: kernel [kh, kw, cin, filters], bias
 * [filters], stride, VALID or SAME padding; y = act(conv(x, W) + b).
 *
 * Two ways to the same convolution: 3x3 windows at stride 1 over enough channels (the EMNIST
 * CNN's second layer, most of its step) go through Winograd's F(2x2, 3x3) (winograd.h), which
 * does 2.25x fewer multiplications and measured ~1.8x faster than im2col on that layer; every
 * other layer is im2col(x) @ W, backward through fedc_sgemm and fedc_col2im.
 *
 * The batch is taken in groups of whole examples whose scratch (the im2col matrix, or the
 * transformed tiles) fits GROUP_BUDGET bytes, so that it is still in the core's cache when the
 * products read it: for the EMNIST CNN's second convolution by im2col this measured ~20% faster
 * per product than one im2col of all 20 examples (13 MB) followed by one product. A small layer
 * (the first convolution of a CNN: 9 columns) still takes the whole batch in one product.
 *
 * Must not allocate: the scratch of one group lives in io->temp and is rebuilt in backward
 * rather than kept (it is the largest buffer of a CNN); the pre-activation is kept in io->saved.
 */
#include "nn/nn_int.h"

#include "nn/affine.h"
#include "nn/winograd.h"

static int64_t patch(const fedc_layer *l) {
    return l->geom.kernel_h * l->geom.kernel_w * l->geom.channels;
}

static int64_t rows_of(const fedc_layer *l, int64_t batch) {
    return batch * l->geom.out_h * l->geom.out_w;
}

static bool winograd(const fedc_layer *l) { return fedc__wino_applies(&l->geom, l->spec.units); }

/* Winograd's transformed kernels: forward u, backward the flipped u and the kernel gradient. */
static int64_t wino_kernels(const fedc_layer *l) {
    return 2 * 16 * l->geom.channels * l->spec.units;
}

/* Floats of scratch per group of `group` examples, before the activation's dz. */
static int64_t group_scratch(const fedc_layer *l, int64_t group) {
    if (!winograd(l)) return rows_of(l, group) * patch(l);
    fedc__wino_geom fw = fedc__wino_forward_geom(&l->geom, l->spec.units);
    fedc__wino_geom bw = fedc__wino_input_grad_geom(&l->geom, l->spec.units);
    int64_t f = fedc__wino_work_size(&fw, group), b = fedc__wino_work_size(&bw, group);
    return wino_kernels(l) + (f > b ? f : b);
}

/* Bytes of scratch per group: half of the 2 MiB L2 of the machine the figures in
 * docs/PERFORMANCE.md come from, leaving room for the product's packed operands. */
#define GROUP_BUDGET ((int64_t)1 << 20)

/* Examples per group: as many as fit the budget, at least 1, at most the batch. */
static int64_t group_of(const fedc_layer *l, int64_t batch) {
    int64_t fixed = winograd(l) ? wino_kernels(l) : 0;
    int64_t per_example = (group_scratch(l, 1) - fixed) * (int64_t)sizeof(float);
    int64_t g = per_example > 0 ? GROUP_BUDGET / per_example : batch;
    if (g < 1) g = 1;
    return g < batch ? g : batch;
}

static fedc_status conv_build(fedc_ctx *ctx, fedc_layer *l) {
    const fedc_layer_spec *s = &l->spec;
    if (l->in_shape.rank != 3) {
        char buf[64];
        fedc_shape_format(&l->in_shape, buf, sizeof buf);
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "expects inputs [height, width, channels], got %s", buf);
    }
    if (s->units <= 0)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "filters must be positive, got %lld", (long long)s->units);
    if ((int)s->activation < 0 || s->activation >= FEDC_ACTIVATION_COUNT)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT, "unknown activation %d",
                                  (int)s->activation);
    fedc_status st = fedc_conv2d_geom_make(ctx, 1, l->in_shape.dims[0], l->in_shape.dims[1],
                                           l->in_shape.dims[2], s->kernel_h, s->kernel_w,
                                           s->stride_h, s->stride_w, s->padding, &l->geom);
    if (st != FEDC_STATUS_OK)
        return fedc_ctx_prefixf(ctx, "layer %d (%s, Conv2D)", l->index, l->name);
    l->out_shape = FEDC_SHAPE(l->geom.out_h, l->geom.out_w, s->units);
    l->param_count = patch(l) * s->units + (s->use_bias ? s->units : 0);
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static fedc_status conv_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    fedc_shape ks = FEDC_SHAPE(l->geom.kernel_h, l->geom.kernel_w, l->geom.channels, l->spec.units);
    fedc_status st = fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &ks, seed, l->params);
    if (st != FEDC_STATUS_OK || !l->spec.use_bias) return st;
    fedc_shape bs = FEDC_SHAPE(l->spec.units);
    return fedc__init_weight(ctx, l, 1, &l->spec.bias_init, &bs, seed,
                             l->params + patch(l) * l->spec.units);
}

static int64_t conv_saved(const fedc_layer *l, int64_t batch) {
    return l->spec.activation == FEDC_ACTIVATION_LINEAR ? 0 : rows_of(l, batch) * l->spec.units;
}

static int64_t conv_temp(const fedc_layer *l, int64_t batch) {
    return group_scratch(l, group_of(l, batch)) + conv_saved(l, batch);
}

static void conv_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t k = patch(l), f = l->spec.units;
    int64_t group = group_of(l, io->batch), in_size = fedc_shape_numel(&l->in_shape);
    bool act = l->spec.activation != FEDC_ACTIVATION_LINEAR;
    bool relu = l->spec.activation == FEDC_ACTIVATION_RELU;
    const float *b = l->spec.use_bias ? l->params + k * f : NULL;
    fedc_conv2d_geom g = l->geom;
    bool wino = winograd(l);
    fedc__wino_geom w = fedc__wino_forward_geom(&g, f);
    float *u = io->temp, *work = io->temp + wino_kernels(l);
    if (wino) fedc__wino_kernel(g.channels, f, l->params, u);
    /* The bias and activation of each group right after its product, while it is in cache. */
    for (int64_t n0 = 0; n0 < io->batch; n0 += group) {
        g.batch = io->batch - n0 < group ? io->batch - n0 : group;
        int64_t r0 = rows_of(l, n0), rows = rows_of(l, g.batch);
        float *z = (act ? io->saved : y) + r0 * f, *yg = y + r0 * f;
        if (wino) {
            /* relu's backward reads y only, so y is all it writes; other activations keep z */
            fedc__wino_epilogue ep = {.bias = b, .relu = relu};
            fedc__wino_conv(&w, g.batch, x + n0 * in_size, u, &ep, work, relu ? yg : z);
            if (act && !relu) fedc__act_forward(l->spec.activation, rows, f, z, yg);
            continue;
        }
        fedc_im2col(&g, x + n0 * in_size, io->temp);
        fedc_sgemm(false, false, rows, f, k, 1.0f, io->temp, k, l->params, f, 0.0f, z, f);
        if (relu) {
            fedc__bias_relu_rows(rows, f, b, z, yg);
            continue;
        }
        if (b) fedc__bias_add_rows(rows, f, b, z);
        if (act) fedc__act_forward(l->spec.activation, rows, f, z, yg);
    }
}

/* dW and db are summed over the groups in group order (dW: the first product overwrites, the
 * others add), so their rounding depends on the batch and the layer's shape only, never on
 * threads or timing. With relu, each group's dz is made right before its products, in cache. */
static void conv_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                          const float *dy, float *dx) {
    int64_t m = rows_of(l, io->batch), k = patch(l), f = l->spec.units;
    int64_t group = group_of(l, io->batch), in_size = fedc_shape_numel(&l->in_shape);
    float *cols = io->temp;
    float *db = l->spec.use_bias ? l->grads + k * f : NULL;
    float *dzbuf = io->temp + group_scratch(l, group);
    bool relu = l->spec.activation == FEDC_ACTIVATION_RELU;
    const float *dz = dy;
    if (relu) {
        dz = dzbuf;
        if (db)
            for (int64_t j = 0; j < f; j++)
                db[j] = 0.0f;
    } else {
        if (l->spec.activation != FEDC_ACTIVATION_LINEAR) {
            fedc__act_backward(l->spec.activation, m, f, io->saved, y, dy, dzbuf);
            dz = dzbuf;
        }
        if (db) fedc__column_sums(m, f, dz, db);
    }
    fedc_conv2d_geom g = l->geom;
    bool wino = winograd(l);
    fedc__wino_geom fw = fedc__wino_forward_geom(&g, f), bw = fedc__wino_input_grad_geom(&g, f);
    float *u_flipped = io->temp, *ug = u_flipped + wino_kernels(l) / 2;
    float *work = io->temp + wino_kernels(l);
    if (wino && dx) fedc__wino_kernel_flipped(g.channels, f, l->params, u_flipped);
    for (int64_t n0 = 0; n0 < io->batch; n0 += group) {
        g.batch = io->batch - n0 < group ? io->batch - n0 : group;
        int64_t r0 = rows_of(l, n0), rows = rows_of(l, g.batch);
        const float *dzg = dz + r0 * f;
        if (relu)
            fedc__relu_backward_rows_add(rows, f, y + r0 * f, dy + r0 * f, dzbuf + r0 * f, db);
        if (wino) {
            fedc__wino_kernel_grad(&fw, g.batch, x + n0 * in_size, dzg, n0 > 0, work, ug);
            if (dx) fedc__wino_conv(&bw, g.batch, dzg, u_flipped, NULL, work, dx + n0 * in_size);
            continue;
        }
        fedc_im2col(&g, x + n0 * in_size, cols);
        fedc_sgemm(true, false, k, f, rows, 1.0f, cols, k, dzg, f, n0 == 0 ? 0.0f : 1.0f, l->grads,
                   f);
        if (dx) {
            fedc_sgemm(false, true, rows, k, f, 1.0f, dzg, f, l->params, f, 0.0f, cols, k);
            fedc_col2im(&g, cols, dx + n0 * in_size);
        }
    }
    if (wino) fedc__wino_kernel_grad_finish(g.channels, f, ug, l->grads);
}

const fedc_layer_ops fedc__conv2d_ops = {
    .class_name = "Conv2D",
    .build = conv_build,
    .init = conv_init,
    .saved_size = conv_saved,
    .temp_size = conv_temp,
    .forward = conv_forward,
    .backward = conv_backward,
};
