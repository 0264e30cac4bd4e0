/* opt/pool.c — the optimized max and average pooling (NHWC), forward and backward.
 *
 * The reference walks each channel's window separately; here a window is walked once for all
 * channels, whose values are contiguous in NHWC, so the inner loops run over channels at unit
 * stride and vectorize. Each window's in-bounds cell range is clipped once, so no cell needs a
 * bounds test.
 *
 * Must give exactly the reference's bits (ref/pool.c states the rules): the cells of a window
 * are visited in the same row-major order with the same comparison (first maximum wins, NaN
 * beats numbers), sums are added in the same order, and backward passes add into dx in the same
 * output order. Kernels never fail: scratch lives on the stack in fixed-size channel chunks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tensor/kernels/kernels.h"

/* Channels handled per pass of the max-backward argmax scratch (stack: 2 KiB). */
enum { CHUNK = 256 };

typedef struct win {
    int64_t y0, y1, x0, x1; /* in-bounds cells: rows [y0, y1), cols [x0, x1) */
} win;

static win window(const fedc_conv2d_geom *g, int64_t oy, int64_t ox) {
    int64_t ty = oy * g->stride_h - g->pad_top, tx = ox * g->stride_w - g->pad_left;
    win w;
    w.y0 = ty < 0 ? 0 : ty;
    w.y1 = ty + g->kernel_h < g->in_h ? ty + g->kernel_h : g->in_h;
    w.x0 = tx < 0 ? 0 : tx;
    w.x1 = tx + g->kernel_w < g->in_w ? tx + g->kernel_w : g->in_w;
    if (w.y1 < w.y0) w.y1 = w.y0;
    if (w.x1 < w.x0) w.x1 = w.x0;
    return w;
}

static size_t input_bytes(const fedc_conv2d_geom *g) {
    return (size_t)(g->batch * g->in_h * g->in_w * g->channels) * sizeof(float);
}

/* The reference's rule, written without || so the compiler can turn it into a blend. */
static inline bool beats(float v, float best) { return (v > best) | ((v != v) & (best == best)); }

void fedc__opt_maxpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    const int64_t C = g->channels, W = g->in_w;
    for (int64_t b = 0; b < g->batch; b++) {
        const float *xb = x + b * g->in_h * W * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, y += C) {
                win w = window(g, oy, ox);
                if (w.y0 == w.y1 || w.x0 == w.x1) {
                    memset(y, 0, (size_t)C * sizeof *y);
                    continue;
                }
                float *restrict out = y;
                memcpy(out, xb + (w.y0 * W + w.x0) * C, (size_t)C * sizeof *out);
                for (int64_t iy = w.y0; iy < w.y1; iy++) {
                    for (int64_t ix = iy == w.y0 ? w.x0 + 1 : w.x0; ix < w.x1; ix++) {
                        const float *restrict v = xb + (iy * W + ix) * C;
                        for (int64_t c = 0; c < C; c++)
                            out[c] = beats(v[c], out[c]) ? v[c] : out[c];
                    }
                }
            }
        }
    }
}

void fedc__opt_maxpool2d_backward(const fedc_conv2d_geom *g, const float *x, const float *dy,
                                  float *dx) {
    const int64_t C = g->channels, W = g->in_w;
    memset(dx, 0, input_bytes(g));
    /* Per channel: the best value so far and which in-bounds cell of the window holds it,
     * numbered 0, 1, ... in visiting order. Both are 32-bit and updated by selects, not
     * branches, so the channel loop vectorizes. */
    float best[CHUNK];
    int32_t won[CHUNK];
    for (int64_t b = 0; b < g->batch; b++) {
        const float *xb = x + b * g->in_h * W * C;
        float *dxb = dx + b * g->in_h * W * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, dy += C) {
                win w = window(g, oy, ox);
                int64_t ww = w.x1 - w.x0;
                if (w.y0 == w.y1 || ww == 0) continue;
                for (int64_t c0 = 0; c0 < C; c0 += CHUNK) {
                    int64_t n = C - c0 < CHUNK ? C - c0 : CHUNK;
                    const float *first = xb + (w.y0 * W + w.x0) * C + c0;
                    for (int64_t c = 0; c < n; c++) {
                        best[c] = first[c];
                        won[c] = 0;
                    }
                    int32_t q = 0;
                    for (int64_t iy = w.y0; iy < w.y1; iy++) {
                        for (int64_t ix = w.x0; ix < w.x1; ix++, q++) {
                            if (q == 0) continue;
                            const float *v = xb + (iy * W + ix) * C + c0;
                            for (int64_t c = 0; c < n; c++) {
                                bool take = beats(v[c], best[c]);
                                best[c] = take ? v[c] : best[c];
                                won[c] = take ? q : won[c];
                            }
                        }
                    }
                    /* Route dy by a second pass over the cells: adding 0.0f where a cell did
                     * not win leaves dx's bits unchanged (dx starts at +0 and so is never -0),
                     * and needs neither branches nor a division to find the cell. */
                    const float *restrict share = dy + c0;
                    const int32_t *restrict winner = won;
                    q = 0;
                    for (int64_t iy = w.y0; iy < w.y1; iy++) {
                        for (int64_t ix = w.x0; ix < w.x1; ix++, q++) {
                            float *restrict d = dxb + (iy * W + ix) * C + c0;
                            for (int64_t c = 0; c < n; c++) {
                                float v = share[c]; /* read unconditionally: then it vectorizes */
                                d[c] += winner[c] == q ? v : 0.0f;
                            }
                        }
                    }
                }
            }
        }
    }
}

void fedc__opt_avgpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    const int64_t C = g->channels, W = g->in_w;
    for (int64_t b = 0; b < g->batch; b++) {
        const float *xb = x + b * g->in_h * W * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, y += C) {
                win w = window(g, oy, ox);
                int64_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
                float *restrict out = y;
                for (int64_t c = 0; c < C; c++)
                    out[c] = 0.0f;
                if (count == 0) continue;
                for (int64_t iy = w.y0; iy < w.y1; iy++) {
                    for (int64_t ix = w.x0; ix < w.x1; ix++) {
                        const float *restrict v = xb + (iy * W + ix) * C;
                        for (int64_t c = 0; c < C; c++)
                            out[c] += v[c];
                    }
                }
                float n = (float)count;
                for (int64_t c = 0; c < C; c++)
                    out[c] /= n;
            }
        }
    }
}

void fedc__opt_avgpool2d_backward(const fedc_conv2d_geom *g, const float *dy, float *dx) {
    const int64_t C = g->channels, W = g->in_w;
    memset(dx, 0, input_bytes(g));
    for (int64_t b = 0; b < g->batch; b++) {
        float *dxb = dx + b * g->in_h * W * C;
        for (int64_t oy = 0; oy < g->out_h; oy++) {
            for (int64_t ox = 0; ox < g->out_w; ox++, dy += C) {
                win w = window(g, oy, ox);
                int64_t count = (w.y1 - w.y0) * (w.x1 - w.x0);
                if (count == 0) continue;
                float n = (float)count;
                for (int64_t iy = w.y0; iy < w.y1; iy++) {
                    for (int64_t ix = w.x0; ix < w.x1; ix++) {
                        float *restrict d = dxb + (iy * W + ix) * C;
                        for (int64_t c = 0; c < C; c++)
                            d[c] += dy[c] / n;
                    }
                }
            }
        }
    }
}
