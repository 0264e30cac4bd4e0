/* opt/im2col.c — the optimized im2col and col2im (NHWC, window in (ky, kx, c) order).
 *
 * Wide windows (kw * C >= 16 floats): in NHWC the kx cells of one window row are adjacent in
 * memory, and adjacent in the column row too, so each (output cell, ky) is one contiguous run
 * copied with memcpy (im2col) or added with a unit-stride loop (col2im), the padded cells at
 * either end zeroed or skipped. Narrow windows (one channel, a 3-wide kernel: runs of a few
 * floats, where a library call per run costs more than the copy): for each output row and
 * (ky, kx, c) the loop runs over ox, with the in-bounds range of ox worked out once.
 * Bounds are never tested per element.
 *
 * Must give exactly the reference's bits: im2col only moves values; col2im adds each column
 * entry into dx in the reference's order (for every dx cell: output cells in (oy, ox) order).
 */
#include <string.h>

#include "tensor/kernels/kernels.h"

/* The in-bounds part [*k0, *k1) of a window row or column that starts at input cell `start`
 * and spans `k` cells of an input of `size` cells. */
static void clip(int64_t start, int64_t k, int64_t size, int64_t *k0, int64_t *k1) {
    *k0 = start < 0 ? -start : 0;
    *k1 = start + k > size ? size - start : k;
    if (*k1 < *k0) *k1 = *k0;
}

/* Below this many floats per window row the narrow loops win over a memcpy per run. */
enum { NARROW = 16 };

/* The outputs ox whose window column kx lands inside the input: [*lo, *hi). */
static void ox_range(const fedc_conv2d_geom *g, int64_t kx, int64_t *lo, int64_t *hi) {
    /* ix = ox * s - pad + kx must satisfy 0 <= ix < in_w */
    int64_t s = g->stride_w, first = g->pad_left - kx, last = g->in_w - 1 + g->pad_left - kx;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = last < 0 ? 0 : last / s + 1;
    if (*hi > g->out_w) *hi = g->out_w;
    if (*lo > *hi) *lo = *hi;
}

static void im2col_narrow(const fedc_conv2d_geom *g, const float *x, float *cols) {
    const int64_t C = g->channels, KW = g->kernel_w, K = g->kernel_h * KW * C, OW = g->out_w;
    for (int64_t b = 0; b < g->batch; b++) {
        const float *xb = x + b * g->in_h * g->in_w * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            float *rows = cols + (b * g->out_h + oy) * OW * K; /* OW rows of K */
            for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                int64_t iy = oy * g->stride_h - g->pad_top + ky;
                bool inside = iy >= 0 && iy < g->in_h;
                for (int64_t kx = 0; kx < KW; kx++) {
                    int64_t lo = 0, hi = 0;
                    if (inside) ox_range(g, kx, &lo, &hi);
                    for (int64_t c = 0; c < C; c++) {
                        float *col = rows + (ky * KW + kx) * C + c;
                        /* offset of ox = 0's cell, which may lie in the padding: only the
                         * in-bounds ox >= lo are read */
                        int64_t at = (iy * g->in_w - g->pad_left + kx) * C + c;
                        for (int64_t ox = 0; ox < lo; ox++)
                            col[ox * K] = 0.0f;
                        for (int64_t ox = lo; ox < hi; ox++)
                            col[ox * K] = xb[at + ox * g->stride_w * C];
                        for (int64_t ox = hi; ox < OW; ox++)
                            col[ox * K] = 0.0f;
                    }
                }
            }
        }
    }
}

/* kx runs backwards so that, for each dx cell, the contributions of one output row arrive in
 * increasing ox (a larger kx reaches the same cell from a smaller ox), as in the reference. */
static void col2im_narrow(const fedc_conv2d_geom *g, const float *cols, float *dx) {
    const int64_t C = g->channels, KW = g->kernel_w, K = g->kernel_h * KW * C, OW = g->out_w;
    for (int64_t b = 0; b < g->batch; b++) {
        float *dxb = dx + b * g->in_h * g->in_w * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            const float *rows = cols + (b * g->out_h + oy) * OW * K;
            for (int64_t ky = 0; ky < g->kernel_h; ky++) {
                int64_t iy = oy * g->stride_h - g->pad_top + ky;
                if (iy < 0 || iy >= g->in_h) continue;
                for (int64_t kx = KW - 1; kx >= 0; kx--) {
                    int64_t lo, hi;
                    ox_range(g, kx, &lo, &hi);
                    for (int64_t c = 0; c < C; c++) {
                        const float *col = rows + (ky * KW + kx) * C + c;
                        int64_t at = (iy * g->in_w - g->pad_left + kx) * C + c;
                        for (int64_t ox = lo; ox < hi; ox++)
                            dxb[at + ox * g->stride_w * C] += col[ox * K];
                    }
                }
            }
        }
    }
}

void fedc__opt_im2col(const fedc_conv2d_geom *g, const float *x, float *cols) {
    if (g->kernel_w * g->channels < NARROW) {
        im2col_narrow(g, x, cols);
        return;
    }
    const int64_t C = g->channels, KW = g->kernel_w, run = KW * C, K = g->kernel_h * run;
    float *out = cols;
    for (int64_t b = 0; b < g->batch; b++) {
        const float *xb = x + b * g->in_h * g->in_w * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            int64_t ty = oy * g->stride_h - g->pad_top, ky0, ky1;
            clip(ty, g->kernel_h, g->in_h, &ky0, &ky1);
            for (int64_t ox = 0; ox < g->out_w; ox++, out += K) {
                int64_t tx = ox * g->stride_w - g->pad_left, kx0, kx1;
                clip(tx, KW, g->in_w, &kx0, &kx1);
                if (ky0 > 0) memset(out, 0, (size_t)(ky0 * run) * sizeof *out);
                for (int64_t ky = ky0; ky < ky1; ky++) {
                    float *dst = out + ky * run;
                    const float *src = xb + ((ty + ky) * g->in_w + tx + kx0) * C;
                    if (kx0 > 0) memset(dst, 0, (size_t)(kx0 * C) * sizeof *dst);
                    memcpy(dst + kx0 * C, src, (size_t)((kx1 - kx0) * C) * sizeof *dst);
                    if (kx1 < KW) memset(dst + kx1 * C, 0, (size_t)((KW - kx1) * C) * sizeof *dst);
                }
                if (ky1 < g->kernel_h)
                    memset(out + ky1 * run, 0, (size_t)((g->kernel_h - ky1) * run) * sizeof *out);
            }
        }
    }
}

void fedc__opt_col2im(const fedc_conv2d_geom *g, const float *cols, float *dx) {
    const int64_t C = g->channels, KW = g->kernel_w, run = KW * C, K = g->kernel_h * run;
    memset(dx, 0, (size_t)(g->batch * g->in_h * g->in_w * C) * sizeof *dx);
    if (KW * C < NARROW) {
        col2im_narrow(g, cols, dx);
        return;
    }
    const float *in = cols;
    for (int64_t b = 0; b < g->batch; b++) {
        float *dxb = dx + b * g->in_h * g->in_w * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            int64_t ty = oy * g->stride_h - g->pad_top, ky0, ky1;
            clip(ty, g->kernel_h, g->in_h, &ky0, &ky1);
            for (int64_t ox = 0; ox < g->out_w; ox++, in += K) {
                int64_t tx = ox * g->stride_w - g->pad_left, kx0, kx1;
                clip(tx, KW, g->in_w, &kx0, &kx1);
                int64_t len = (kx1 - kx0) * C;
                for (int64_t ky = ky0; ky < ky1; ky++) {
                    const float *restrict src = in + ky * run + kx0 * C;
                    float *restrict dst = dxb + ((ty + ky) * g->in_w + tx + kx0) * C;
                    for (int64_t i = 0; i < len; i++)
                        dst[i] += src[i];
                }
            }
        }
    }
}
