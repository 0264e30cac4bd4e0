/* layer_pool.c — MaxPooling2D and AveragePooling2D (NHWC, Keras's pool size, strides and
 * padding) on the tensor layer's pooling kernels.
 *
 * No parameters, no allocation; max pooling's backward re-reads x to find each window's maximum.
 */
#include "nn/nn_int.h"

static fedc_status pool_build(fedc_ctx *ctx, fedc_layer *l) {
    const fedc_layer_spec *s = &l->spec;
    if (l->in_shape.rank != 3) {
        char buf[64];
        fedc_shape_format(&l->in_shape, buf, sizeof buf);
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "expects inputs [height, width, channels], got %s", buf);
    }
    fedc_status st = fedc_conv2d_geom_make(ctx, 1, l->in_shape.dims[0], l->in_shape.dims[1],
                                           l->in_shape.dims[2], s->kernel_h, s->kernel_w,
                                           s->stride_h, s->stride_w, s->padding, &l->geom);
    if (st != FEDC_STATUS_OK)
        return fedc_ctx_prefixf(ctx, "layer %d (%s, %s)", l->index, l->name, l->ops->class_name);
    l->out_shape = FEDC_SHAPE(l->geom.out_h, l->geom.out_w, l->geom.channels);
    l->param_count = 0;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static void maxpool_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    fedc_conv2d_geom g = l->geom;
    g.batch = io->batch;
    fedc_maxpool2d_forward(&g, x, y);
}

static void maxpool_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                             const float *dy, float *dx) {
    (void)y;
    if (!dx) return;
    fedc_conv2d_geom g = l->geom;
    g.batch = io->batch;
    fedc_maxpool2d_backward(&g, x, dy, dx);
}

static void avgpool_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    fedc_conv2d_geom g = l->geom;
    g.batch = io->batch;
    fedc_avgpool2d_forward(&g, x, y);
}

static void avgpool_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                             const float *dy, float *dx) {
    (void)x;
    (void)y;
    if (!dx) return;
    fedc_conv2d_geom g = l->geom;
    g.batch = io->batch;
    fedc_avgpool2d_backward(&g, dy, dx);
}

const fedc_layer_ops fedc__maxpool2d_ops = {
    .class_name = "MaxPooling2D",
    .build = pool_build,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};

const fedc_layer_ops fedc__avgpool2d_ops = {
    .class_name = "AveragePooling2D",
    .build = pool_build,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
