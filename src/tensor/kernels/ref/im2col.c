/* ref/im2col.c — the reference im2col and col2im (NHWC, window in (ky, kx, c) order): plain
 * loops over every output row and window cell, the oracle for the optimized twins.
 *
 * Must stay plain: one bounds test per cell, no memcpy runs, no special cases. col2im adds the
 * column entries into dx in row order (b, oy, ox), which fixes the rounding the twin must match.
 */
#include <assert.h>
#include <string.h>

#include "tensor/kernels/kernels.h"

void fedc__ref_im2col(const fedc_conv2d_geom *g, const float *x, float *cols) {
    const int64_t C = g->channels, K = g->kernel_h * g->kernel_w * C;
    int64_t row = 0;
    for (int64_t b = 0; b < g->batch; b++) {
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, row++) {
                float *out = cols + row * K;
                for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                    for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                        int64_t iy = oy * g->stride_h - g->pad_top + ky;
                        int64_t ix = ox * g->stride_w - g->pad_left + kx;
                        bool inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
                        for (int64_t c = 0; c < C; c++) {
                            float v = 0.0f;
                            if (inside) v = x[((b * g->in_h + iy) * g->in_w + ix) * C + c];
                            out[(ky * g->kernel_w + kx) * C + c] = v;
                        }
                    }
                }
            }
        }
    }
}

void fedc__ref_col2im(const fedc_conv2d_geom *g, const float *cols, float *dx) {
    const int64_t C = g->channels, K = g->kernel_h * g->kernel_w * C;
    memset(dx, 0, (size_t)(g->batch * g->in_h * g->in_w * C) * sizeof *dx);
    int64_t row = 0;
    for (int64_t b = 0; b < g->batch; b++) {
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, row++) {
                const float *in = cols + row * K;
                for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                    for (int64_t kx = 0; kx < g->kernel_w; kx++) {
                        int64_t iy = oy * g->stride_h - g->pad_top + ky;
                        int64_t ix = ox * g->stride_w - g->pad_left + kx;
                        if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) continue;
                        for (int64_t c = 0; c < C; c++)
                            dx[((b * g->in_h + iy) * g->in_w + ix) * C + c] +=
                                in[(ky * g->kernel_w + kx) * C + c];
                    }
                }
            }
        }
    }
}
