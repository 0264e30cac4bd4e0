/* conv2d.c — 2-D window geometry (TensorFlow's VALID / SAME arithmetic) and the public im2col,
 * col2im and pooling entry points, which forward to the kernel set chosen at build time.
 *
 * The geometry is the one checked place: the kernels trust a geometry made here and only assert
 * it. Nothing here touches elements.
 */
#include <assert.h>
#include <stddef.h>

#include "tensor/kernels/kernels.h"

/* a * b, or -1 when it would not fit an int64 (both operands non-negative). */
static int64_t mul_or_neg(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    return a * b;
}

fedc_status fedc_conv2d_geom_make(fedc_ctx *ctx, int64_t batch, int64_t in_h, int64_t in_w,
                                  int64_t channels, int64_t kernel_h, int64_t kernel_w,
                                  int64_t stride_h, int64_t stride_w, fedc_padding padding,
                                  fedc_conv2d_geom *out) {
    assert(out != NULL);
    *out = (fedc_conv2d_geom){0};
    if (batch <= 0 || in_h <= 0 || in_w <= 0 || channels <= 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "conv2d input [%lld,%lld,%lld,%lld] (NHWC) must have positive sizes",
                               (long long)batch, (long long)in_h, (long long)in_w,
                               (long long)channels);
    if (kernel_h <= 0 || kernel_w <= 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "conv2d window %lldx%lld must have positive sizes",
                               (long long)kernel_h, (long long)kernel_w);
    if (stride_h <= 0 || stride_w <= 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "conv2d strides (%lld,%lld) must be positive", (long long)stride_h,
                               (long long)stride_w);

    fedc_conv2d_geom g = {0};
    g.batch = batch, g.in_h = in_h, g.in_w = in_w, g.channels = channels;
    g.kernel_h = kernel_h, g.kernel_w = kernel_w, g.stride_h = stride_h, g.stride_w = stride_w;
    if (padding == FEDC_PADDING_VALID) {
        if (kernel_h > in_h || kernel_w > in_w)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "conv2d VALID window %lldx%lld is larger than the input "
                                   "%lldx%lld",
                                   (long long)kernel_h, (long long)kernel_w, (long long)in_h,
                                   (long long)in_w);
        g.out_h = (in_h - kernel_h) / stride_h + 1;
        g.out_w = (in_w - kernel_w) / stride_w + 1;
    } else if (padding == FEDC_PADDING_SAME) {
        /* TensorFlow: out = ceil(in / stride); the padding needed to reach it is split with the
         * odd cell at the bottom/right. The sums below cannot overflow: in, k and stride are
         * positive and (out - 1) * stride < in. */
        g.out_h = (in_h - 1) / stride_h + 1;
        g.out_w = (in_w - 1) / stride_w + 1;
        int64_t pad_h = (g.out_h - 1) * stride_h + kernel_h - in_h;
        int64_t pad_w = (g.out_w - 1) * stride_w + kernel_w - in_w;
        g.pad_top = pad_h > 0 ? pad_h / 2 : 0;
        g.pad_left = pad_w > 0 ? pad_w / 2 : 0;
    } else {
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown conv2d padding %d",
                               (int)padding);
    }

    /* The kernels index with int64 products: refuse geometries whose tensors cannot be
     * addressed (the im2col matrix is the largest of them). */
    int64_t rows = mul_or_neg(mul_or_neg(batch, g.out_h), g.out_w);
    int64_t width = mul_or_neg(mul_or_neg(kernel_h, kernel_w), channels);
    int64_t input = mul_or_neg(mul_or_neg(mul_or_neg(batch, in_h), in_w), channels);
    if (rows < 0 || width < 0 || input < 0 || mul_or_neg(rows, width) < 0 ||
        mul_or_neg(mul_or_neg(rows, width), (int64_t)sizeof(float)) < 0 ||
        mul_or_neg(input, (int64_t)sizeof(float)) < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "conv2d geometry too large: input [%lld,%lld,%lld,%lld], window "
                               "%lldx%lld",
                               (long long)batch, (long long)in_h, (long long)in_w,
                               (long long)channels, (long long)kernel_h, (long long)kernel_w);
    *out = g;
    return FEDC_STATUS_OK;
}

/* What the kernels rely on; a geometry from fedc_conv2d_geom_make always passes. */
static void check_geom(const fedc_conv2d_geom *g) {
    assert(g != NULL);
    assert(g->batch >= 0 && g->in_h >= 0 && g->in_w >= 0 && g->channels >= 0);
    assert(g->kernel_h > 0 && g->kernel_w > 0 && g->stride_h > 0 && g->stride_w > 0);
    assert(g->pad_top >= 0 && g->pad_left >= 0 && g->out_h >= 0 && g->out_w >= 0);
    (void)g;
}

void fedc_im2col(const fedc_conv2d_geom *g, const float *x, float *cols) {
    check_geom(g);
    FEDC__KERNEL(im2col)(g, x, cols);
}

void fedc_col2im(const fedc_conv2d_geom *g, const float *cols, float *dx) {
    check_geom(g);
    FEDC__KERNEL(col2im)(g, cols, dx);
}

void fedc_maxpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    check_geom(g);
    FEDC__KERNEL(maxpool2d_forward)(g, x, y);
}

void fedc_maxpool2d_backward(const fedc_conv2d_geom *g, const float *x, const float *dy,
                             float *dx) {
    check_geom(g);
    FEDC__KERNEL(maxpool2d_backward)(g, x, dy, dx);
}

void fedc_avgpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    check_geom(g);
    FEDC__KERNEL(avgpool2d_forward)(g, x, y);
}

void fedc_avgpool2d_backward(const fedc_conv2d_geom *g, const float *dy, float *dx) {
    check_geom(g);
    FEDC__KERNEL(avgpool2d_backward)(g, dy, dx);
}
