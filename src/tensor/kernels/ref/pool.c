/* ref/pool.c — the reference max and average pooling (NHWC), forward and backward: plain loops
 * over every output element and its window, the oracle for the optimized twins.
 *
 * Must stay plain and fix the semantics the twins copy exactly:
 *  - a window's cells are visited in row-major (ky, kx) order, cells in the padding skipped;
 *  - max: the first cell whose value beats every earlier one wins; NaN beats any number (a NaN in
 *    the input shows in the output instead of vanishing), and a tie keeps the earlier cell;
 *  - avg: a float sum in window order divided by the number of cells inside the input;
 *  - backward passes zero dx, then add each window's share in output order (b, oy, ox).
 * A window with no cell inside the input cannot come from fedc_conv2d_geom_make; for a geometry
 * filled in by hand it yields 0 and routes nothing.
 */
#include <math.h>
#include <string.h>

#include "tensor/kernels/kernels.h"

/* Whether v replaces best as the window's maximum (see the rules above). */
static bool beats(float v, float best) { return v > best || (isnan(v) && !isnan(best)); }

/* The in-bounds cell range of output (oy, ox)'s window: rows [*y0, *y1), cols [*x0, *x1). */
static void window(const fedc_conv2d_geom *g, int64_t oy, int64_t ox, int64_t *y0, int64_t *y1,
                   int64_t *x0, int64_t *x1) {
    int64_t ty = oy * g->stride_h - g->pad_top, tx = ox * g->stride_w - g->pad_left;
    *y0 = ty < 0 ? 0 : ty;
    *y1 = ty + g->kernel_h < g->in_h ? ty + g->kernel_h : g->in_h;
    *x0 = tx < 0 ? 0 : tx;
    *x1 = tx + g->kernel_w < g->in_w ? tx + g->kernel_w : g->in_w;
    if (*y1 < *y0) *y1 = *y0; /* a window wholly in the padding is empty, not negative */
    if (*x1 < *x0) *x1 = *x0;
}

/* Index into x of the first maximum of channel c in the window, or -1 for an empty window. */
static int64_t argmax(const fedc_conv2d_geom *g, const float *x, int64_t b, int64_t oy, int64_t ox,
                      int64_t c) {
    int64_t y0, y1, x0, x1, best_at = -1;
    float best = 0.0f;
    window(g, oy, ox, &y0, &y1, &x0, &x1);
    for (int64_t iy = y0; iy < y1; iy++) {
        for (int64_t ix = x0; ix < x1; ix++) {
            int64_t at = ((b * g->in_h + iy) * g->in_w + ix) * g->channels + c;
            if (best_at < 0 || beats(x[at], best)) {
                best = x[at];
                best_at = at;
            }
        }
    }
    return best_at;
}

static size_t input_bytes(const fedc_conv2d_geom *g) {
    return (size_t)(g->batch * g->in_h * g->in_w * g->channels) * sizeof(float);
}

void fedc__ref_maxpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    const int64_t C = g->channels;
    for (int64_t b = 0; b < g->batch; b++)
        for (int64_t oy = 0; oy < g->out_h; oy++)
            for (int64_t ox = 0; ox < g->out_w; ox++)
                for (int64_t c = 0; c < C; c++) {
                    int64_t at = argmax(g, x, b, oy, ox, c);
                    y[((b * g->out_h + oy) * g->out_w + ox) * C + c] = at < 0 ? 0.0f : x[at];
                }
}

void fedc__ref_maxpool2d_backward(const fedc_conv2d_geom *g, const float *x, const float *dy,
                                  float *dx) {
    const int64_t C = g->channels;
    memset(dx, 0, input_bytes(g));
    for (int64_t b = 0; b < g->batch; b++)
        for (int64_t oy = 0; oy < g->out_h; oy++)
            for (int64_t ox = 0; ox < g->out_w; ox++)
                for (int64_t c = 0; c < C; c++) {
                    int64_t at = argmax(g, x, b, oy, ox, c);
                    if (at >= 0) dx[at] += dy[((b * g->out_h + oy) * g->out_w + ox) * C + c];
                }
}

void fedc__ref_avgpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y) {
    const int64_t C = g->channels;
    for (int64_t b = 0; b < g->batch; b++)
        for (int64_t oy = 0; oy < g->out_h; oy++)
            for (int64_t ox = 0; ox < g->out_w; ox++) {
                int64_t y0, y1, x0, x1;
                window(g, oy, ox, &y0, &y1, &x0, &x1);
                int64_t count = (y1 - y0) * (x1 - x0);
                for (int64_t c = 0; c < C; c++) {
                    float sum = 0.0f;
                    for (int64_t iy = y0; iy < y1; iy++)
                        for (int64_t ix = x0; ix < x1; ix++)
                            sum += x[((b * g->in_h + iy) * g->in_w + ix) * C + c];
                    y[((b * g->out_h + oy) * g->out_w + ox) * C + c] =
                        count > 0 ? sum / (float)count : 0.0f;
                }
            }
}

void fedc__ref_avgpool2d_backward(const fedc_conv2d_geom *g, const float *dy, float *dx) {
    const int64_t C = g->channels;
    memset(dx, 0, input_bytes(g));
    for (int64_t b = 0; b < g->batch; b++)
        for (int64_t oy = 0; oy < g->out_h; oy++)
            for (int64_t ox = 0; ox < g->out_w; ox++) {
                int64_t y0, y1, x0, x1;
                window(g, oy, ox, &y0, &y1, &x0, &x1);
                int64_t count = (y1 - y0) * (x1 - x0);
                if (count <= 0) continue;
                for (int64_t c = 0; c < C; c++) {
                    float share = dy[((b * g->out_h + oy) * g->out_w + ox) * C + c] / (float)count;
                    for (int64_t iy = y0; iy < y1; iy++)
                        for (int64_t ix = x0; ix < x1; ix++)
                            dx[((b * g->in_h + iy) * g->in_w + ix) * C + c] += share;
                }
            }
}
