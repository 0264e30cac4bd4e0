/* conv_winograd.c — Winograd F(2x2, 3x3) convolutions for Conv2D (see winograd.h): the tile
 * transforms and the 16 products per pass.
 *
 * With B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 * and A^T = [1 1 1 0; 0 1 -1 -1], a 2x2 output tile of input tile d and kernel g is
 * A^T [(G g G^T) . (B^T d B)] A. Backward: dL/d(G g G^T) = (B^T d B) . (A dy A^T), summed over
 * tiles, and dL/dg = G^T (that) G.
 *
 * The transforms run over a tile's channels, the innermost axis of both NHWC images and the
 * transformed matrices, so every load and store is contiguous and vectorizes; the Makefile
 * builds this file with -O3, whose vectorizer takes loops of any length (with -O2 the
 * transforms were scalar and took as long as the products).
 *
 * Must not allocate, and must not depend on anything but the inputs: the same call gives the
 * same bits.
 */
#include <stddef.h>

#include "nn/winograd.h"

enum { CELLS = 16 };

bool fedc__wino_applies(const fedc_conv2d_geom *g, int64_t filters) {
    return g->kernel_h == 3 && g->kernel_w == 3 && g->stride_h == 1 && g->stride_w == 1 &&
           g->channels >= 16 && filters >= 16;
}

static fedc__wino_geom make_geom(int64_t in_h, int64_t in_w, int64_t in_c, int64_t out_h,
                                 int64_t out_w, int64_t out_c, int64_t pad_top, int64_t pad_left) {
    return (fedc__wino_geom){.in_h = in_h,
                             .in_w = in_w,
                             .in_c = in_c,
                             .out_h = out_h,
                             .out_w = out_w,
                             .out_c = out_c,
                             .pad_top = pad_top,
                             .pad_left = pad_left,
                             .tiles_h = (out_h + 1) / 2,
                             .tiles_w = (out_w + 1) / 2};
}

fedc__wino_geom fedc__wino_forward_geom(const fedc_conv2d_geom *g, int64_t filters) {
    return make_geom(g->in_h, g->in_w, g->channels, g->out_h, g->out_w, filters, g->pad_top,
                     g->pad_left);
}

/* dx[i] = sum over k of dy[i + pad - k] w[k] = sum over k' of dy[i + k' - (2 - pad)] w[2 - k']:
 * a correlation with the flipped kernel and 2 - pad cells of padding. */
fedc__wino_geom fedc__wino_input_grad_geom(const fedc_conv2d_geom *g, int64_t filters) {
    return make_geom(g->out_h, g->out_w, filters, g->in_h, g->in_w, g->channels, 2 - g->pad_top,
                     2 - g->pad_left);
}

int64_t fedc__wino_tiles(const fedc__wino_geom *w, int64_t batch) {
    return batch * w->tiles_h * w->tiles_w;
}

int64_t fedc__wino_work_size(const fedc__wino_geom *w, int64_t batch) {
    return CELLS * fedc__wino_tiles(w, batch) * (w->in_c + w->out_c);
}

/* ---- kernels ---- */

/* 4x4 = G g G^T of one 3x3 g (row-major). */
static void kernel_tile(const float g[9], float u[CELLS]) {
    float t[4][3];
    for (int j = 0; j < 3; j++) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i] = t[i][0];
        u[4 * i + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[4 * i + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[4 * i + 3] = t[i][2];
    }
}

void fedc__wino_kernel(int64_t in_c, int64_t out_c, const float *kernel, float *u) {
    int64_t plane = in_c * out_c;
    for (int64_t p = 0; p < plane; p++) {
        float g[9], t[CELLS];
        for (int a = 0; a < 9; a++)
            g[a] = kernel[a * plane + p];
        kernel_tile(g, t);
        for (int e = 0; e < CELLS; e++)
            u[e * plane + p] = t[e];
    }
}

void fedc__wino_kernel_flipped(int64_t in_c, int64_t out_c, const float *kernel, float *u) {
    int64_t plane = in_c * out_c;
    for (int64_t ci = 0; ci < in_c; ci++)
        for (int64_t co = 0; co < out_c; co++) {
            float g[9], t[CELLS];
            for (int a = 0; a < 9; a++)
                g[a] = kernel[(8 - a) * plane + ci * out_c + co];
            kernel_tile(g, t);
            for (int e = 0; e < CELLS; e++)
                u[e * plane + co * in_c + ci] = t[e];
        }
}

void fedc__wino_kernel_grad_finish(int64_t in_c, int64_t out_c, const float *ug, float *dkernel) {
    int64_t plane = in_c * out_c;
    for (int64_t p = 0; p < plane; p++) {
        float u[CELLS], s[3][4];
        for (int e = 0; e < CELLS; e++)
            u[e] = ug[e * plane + p];
        for (int j = 0; j < 4; j++) {
            float half = 0.5f * (u[4 + j] + u[8 + j]);
            s[0][j] = u[j] + half;
            s[1][j] = 0.5f * (u[4 + j] - u[8 + j]);
            s[2][j] = half + u[12 + j];
        }
        for (int r = 0; r < 3; r++) {
            float half = 0.5f * (s[r][1] + s[r][2]);
            dkernel[(3 * r) * plane + p] = s[r][0] + half;
            dkernel[(3 * r + 1) * plane + p] = 0.5f * (s[r][1] - s[r][2]);
            dkernel[(3 * r + 2) * plane + p] = half + s[r][3];
        }
    }
}

/* ---- tiles ---- */

/* The `side` x `side` cells of example n of an h x w image (channels c) from row y0, column x0
 * on: pointers to their channel vectors, NULL for cells outside the image. */
static void tile_cells(const float *img, int64_t h, int64_t w, int64_t c, int64_t n, int64_t y0,
                       int64_t x0, int side, const float **cell) {
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++) {
            int64_t yy = y0 + i, xx = x0 + j;
            bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
            cell[side * i + j] = inside ? img + ((n * h + yy) * w + xx) * c : NULL;
        }
}

/* Channels per pass over a tile: its 16 rows of CHUNK floats, twice, stay in the core's
 * first-level cache. */
enum { CHUNK = 64 };

/* Where a tile's missing cells (past the image's edges) read their channels from. */
static const float zero_row[CHUNK];

/* Channels [c, c + CHUNK) of each of `count` cells: its own, or zero_row when it is NULL. */
static void cell_rows(const float *const *cell, int count, int64_t c, const float **row) {
    for (int e = 0; e < count; e++)
        row[e] = cell[e] ? cell[e] + c : zero_row;
}

/* B^T d B for channels [c, c + n) of one tile (n <= CHUNK), into its row of each of the 16
 * matrices; B^T first down the columns, then along the rows. */
static void input_tile(const float *const cell[CELLS], int64_t c, int n, float *const out[CELLS]) {
    const float *d[CELLS];
    float t[CELLS][CHUNK];
    cell_rows(cell, CELLS, c, d);
    for (int j = 0; j < 4; j++) {
        const float *d0 = d[j], *d1 = d[4 + j], *d2 = d[8 + j], *d3 = d[12 + j];
        for (int k = 0; k < n; k++) {
            t[j][k] = d0[k] - d2[k];
            t[4 + j][k] = d1[k] + d2[k];
            t[8 + j][k] = d2[k] - d1[k];
            t[12 + j][k] = d1[k] - d3[k];
        }
    }
    for (int i = 0; i < 4; i++) {
        const float *t0 = t[4 * i], *t1 = t[4 * i + 1], *t2 = t[4 * i + 2], *t3 = t[4 * i + 3];
        float *o0 = out[4 * i] + c, *o1 = out[4 * i + 1] + c, *o2 = out[4 * i + 2] + c;
        float *o3 = out[4 * i + 3] + c;
        for (int k = 0; k < n; k++) {
            o0[k] = t0[k] - t2[k];
            o1[k] = t1[k] + t2[k];
            o2[k] = t2[k] - t1[k];
            o3[k] = t1[k] - t3[k];
        }
    }
}

/* A dy A^T for channels [c, c + n) of one 2x2 tile of dy: A down the columns into t (4x2),
 * then along the rows. */
static void grad_tile(const float *const cell[4], int64_t c, int n, float *const out[CELLS]) {
    const float *g[4];
    float t[8][CHUNK];
    cell_rows(cell, 4, c, g);
    for (int j = 0; j < 2; j++) {
        const float *g0 = g[j], *g1 = g[2 + j];
        for (int k = 0; k < n; k++) {
            t[j][k] = g0[k];
            t[2 + j][k] = g0[k] + g1[k];
            t[4 + j][k] = g0[k] - g1[k];
            t[6 + j][k] = -g1[k];
        }
    }
    for (int i = 0; i < 4; i++) {
        const float *t0 = t[2 * i], *t1 = t[2 * i + 1];
        float *o0 = out[4 * i] + c, *o1 = out[4 * i + 1] + c, *o2 = out[4 * i + 2] + c;
        float *o3 = out[4 * i + 3] + c;
        for (int k = 0; k < n; k++) {
            o0[k] = t0[k];
            o1[k] = t0[k] + t1[k];
            o2[k] = t0[k] - t1[k];
            o3[k] = -t1[k];
        }
    }
}

/* A^T m A for channels [c, c + n) of one tile: A^T down the columns into s (2x4), then along
 * the rows into o, then through the epilogue (bias of the channel, relu) into the output cells
 * that exist (dst NULL past the image's last row or column). The bias is added after the
 * transform and relu applied last, as the separate passes would: the same bits. */
static void output_tile(float *const in[CELLS], int64_t c, int n, const fedc__wino_epilogue *ep,
                        float *const dst[4]) {
    float s[8][CHUNK], o[4][CHUNK];
    for (int j = 0; j < 4; j++) {
        const float *m0 = in[j] + c, *m1 = in[4 + j] + c, *m2 = in[8 + j] + c;
        const float *m3 = in[12 + j] + c;
        for (int k = 0; k < n; k++) {
            s[j][k] = m0[k] + m1[k] + m2[k];
            s[4 + j][k] = m1[k] - m2[k] - m3[k];
        }
    }
    for (int r = 0; r < 2; r++) {
        const float *s0 = s[4 * r], *s1 = s[4 * r + 1], *s2 = s[4 * r + 2], *s3 = s[4 * r + 3];
        for (int k = 0; k < n; k++) {
            o[2 * r][k] = s0[k] + s1[k] + s2[k];
            o[2 * r + 1][k] = s1[k] - s2[k] - s3[k];
        }
    }
    const float *bias = ep && ep->bias ? ep->bias + c : NULL;
    bool relu = ep && ep->relu;
    for (int e = 0; e < 4; e++) {
        float *y = dst[e];
        if (!y) continue;
        for (int k = 0; k < n; k++) {
            float v = o[e][k];
            if (bias) v += bias[k];
            if (relu) v = v > 0.0f ? v : 0.0f;
            y[c + k] = v;
        }
    }
}

/* Row t of each matrix e of a [16][tiles][c] buffer. */
static void tile_rows(float *buf, int64_t tiles, int64_t c, int64_t t, float *rows[CELLS]) {
    for (int e = 0; e < CELLS; e++)
        rows[e] = buf + (e * tiles + t) * c;
}

/* v[16][tiles][in_c] from x [batch, in_h, in_w, in_c]. */
static void input_transform(const fedc__wino_geom *w, int64_t batch, const float *x, float *v) {
    int64_t tiles = fedc__wino_tiles(w, batch), c = w->in_c, t = 0;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t ty = 0; ty < w->tiles_h; ty++)
            for (int64_t tx = 0; tx < w->tiles_w; tx++, t++) {
                const float *cell[CELLS];
                float *out[CELLS];
                tile_cells(x, w->in_h, w->in_w, c, n, 2 * ty - w->pad_top, 2 * tx - w->pad_left, 4,
                           cell);
                tile_rows(v, tiles, c, t, out);
                for (int64_t c0 = 0; c0 < c; c0 += CHUNK)
                    input_tile(cell, c0, (int)(c - c0 < CHUNK ? c - c0 : CHUNK), out);
            }
}

/* q[16][tiles][out_c] from dz [batch, out_h, out_w, out_c] (zeros past its edges). */
static void grad_transform(const fedc__wino_geom *w, int64_t batch, const float *dz, float *q) {
    int64_t tiles = fedc__wino_tiles(w, batch), c = w->out_c, t = 0;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t ty = 0; ty < w->tiles_h; ty++)
            for (int64_t tx = 0; tx < w->tiles_w; tx++, t++) {
                const float *cell[4];
                float *out[CELLS];
                tile_cells(dz, w->out_h, w->out_w, c, n, 2 * ty, 2 * tx, 2, cell);
                tile_rows(q, tiles, c, t, out);
                for (int64_t c0 = 0; c0 < c; c0 += CHUNK)
                    grad_tile(cell, c0, (int)(c - c0 < CHUNK ? c - c0 : CHUNK), out);
            }
}

/* y [batch, out_h, out_w, out_c] from m[16][tiles][out_c] (only read). */
static void output_transform(const fedc__wino_geom *w, int64_t batch, float *m,
                             const fedc__wino_epilogue *ep, float *y) {
    int64_t tiles = fedc__wino_tiles(w, batch), c = w->out_c, t = 0;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t ty = 0; ty < w->tiles_h; ty++)
            for (int64_t tx = 0; tx < w->tiles_w; tx++, t++) {
                float *dst[4], *in[CELLS];
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) {
                        int64_t oy = 2 * ty + i, ox = 2 * tx + j;
                        bool inside = oy < w->out_h && ox < w->out_w;
                        dst[2 * i + j] =
                            inside ? y + ((n * w->out_h + oy) * w->out_w + ox) * c : NULL;
                    }
                tile_rows(m, tiles, c, t, in);
                for (int64_t c0 = 0; c0 < c; c0 += CHUNK)
                    output_tile(in, c0, (int)(c - c0 < CHUNK ? c - c0 : CHUNK), ep, dst);
            }
}

void fedc__wino_conv(const fedc__wino_geom *w, int64_t batch, const float *x, const float *u,
                     const fedc__wino_epilogue *ep, float *work, float *y) {
    int64_t tiles = fedc__wino_tiles(w, batch), ci = w->in_c, co = w->out_c;
    float *v = work, *m = work + CELLS * tiles * ci;
    input_transform(w, batch, x, v);
    for (int e = 0; e < CELLS; e++)
        fedc_sgemm(false, false, tiles, co, ci, 1.0f, v + e * tiles * ci, ci, u + e * ci * co, co,
                   0.0f, m + e * tiles * co, co);
    output_transform(w, batch, m, ep, y);
}

void fedc__wino_kernel_grad(const fedc__wino_geom *w, int64_t batch, const float *x,
                            const float *dz, bool accumulate, float *work, float *ug) {
    int64_t tiles = fedc__wino_tiles(w, batch), ci = w->in_c, co = w->out_c;
    float *v = work, *q = work + CELLS * tiles * ci;
    input_transform(w, batch, x, v);
    grad_transform(w, batch, dz, q);
    for (int e = 0; e < CELLS; e++)
        fedc_sgemm(true, false, ci, co, tiles, 1.0f, v + e * tiles * ci, ci, q + e * tiles * co, co,
                   accumulate ? 1.0f : 0.0f, ug + e * ci * co, co);
}
