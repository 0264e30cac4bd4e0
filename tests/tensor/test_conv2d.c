/* test_conv2d.c — window geometry (TensorFlow's VALID / SAME), im2col and col2im: answers worked
 * by hand, the adjoint identity <im2col(x), c> == <x, col2im(c)>, a convolution through
 * im2col + sgemm against direct loops, and the optimized kernels against the reference twins on
 * random geometries (bit-exact: both only move values or add them in the same order).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"

static void *xcalloc(int64_t n, size_t size) {
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p) FAIL("out of memory for %lld elements", (long long)n);
    return p;
}

static float dyadic(fedc_rng *r) { return (float)((int)fedc_rng_below(r, 17) - 8) / 4.0f; }
static float uniform(fedc_rng *r) { return 2.0f * fedc_rng_uniform(r) - 1.0f; }

static int64_t in_size(const fedc_conv2d_geom *g) {
    return g->batch * g->in_h * g->in_w * g->channels;
}
static int64_t cols_size(const fedc_conv2d_geom *g) {
    return g->batch * g->out_h * g->out_w * g->kernel_h * g->kernel_w * g->channels;
}

/* ---- geometry ------------------------------------------------------------------------------- */

typedef struct geom_case {
    int64_t in, k, s;                  /* one axis */
    int64_t valid_out;                 /* 0: VALID is an error */
    int64_t same_out, same_pad_before; /* TensorFlow: ceil(in / s), floor(pad_total / 2) */
} geom_case;

/* Worked out from TF's formulas: pad_total = max((out - 1) * s + k - in, 0). */
static const geom_case kGeomCases[] = {
    {28, 3, 1, 26, 28, 1}, /* pad_total 2 */
    {28, 3, 2, 13, 14, 0}, /* 13 * 2 + 3 - 28 = 1 */
    {5, 2, 2, 2, 3, 0},    /* 2 * 2 + 2 - 5 = 1 */
    {7, 4, 1, 4, 7, 1},    /* 3 */
    {6, 5, 2, 1, 3, 1},    /* 2 * 2 + 5 - 6 = 3 */
    {1, 5, 1, 0, 1, 2},    /* 4; VALID window larger than the input */
    {10, 1, 3, 4, 4, 0},   /* 3 * 3 + 1 - 10 = 0 */
    {4, 2, 3, 1, 2, 0},    /* 3 + 2 - 4 = 1 */
    {3, 3, 2, 1, 2, 1},    /* 2 + 3 - 3 = 2 */
};
enum { NGEOM = sizeof kGeomCases / sizeof kGeomCases[0] };

TEST(geometry_valid_and_same_for_strides_1_to_3) {
    /* every pair of cases, one on each axis, so rows and columns are checked independently */
    for (int h = 0; h < NGEOM; h++)
        for (int w = 0; w < NGEOM; w++) {
            const geom_case *ch = &kGeomCases[h], *cw = &kGeomCases[w];
            fedc_conv2d_geom g;
            ASSERT_OK(fedc_conv2d_geom_make(ctx, 2, ch->in, cw->in, 3, ch->k, cw->k, ch->s, cw->s,
                                            FEDC_PADDING_SAME, &g));
            ASSERT_EQ(g.out_h, ch->same_out);
            ASSERT_EQ(g.out_w, cw->same_out);
            ASSERT_EQ(g.pad_top, ch->same_pad_before);
            ASSERT_EQ(g.pad_left, cw->same_pad_before);
            ASSERT_EQ(g.batch, 2);
            ASSERT_EQ(g.channels, 3);
            ASSERT_EQ(g.in_h, ch->in);
            ASSERT_EQ(g.kernel_w, cw->k);
            ASSERT_EQ(g.stride_h, ch->s);
            if (ch->valid_out == 0 || cw->valid_out == 0) {
                ASSERT_STATUS(fedc_conv2d_geom_make(ctx, 2, ch->in, cw->in, 3, ch->k, cw->k, ch->s,
                                                    cw->s, FEDC_PADDING_VALID, &g),
                              FEDC_STATUS_INVALID_ARGUMENT);
                continue;
            }
            ASSERT_OK(fedc_conv2d_geom_make(ctx, 2, ch->in, cw->in, 3, ch->k, cw->k, ch->s, cw->s,
                                            FEDC_PADDING_VALID, &g));
            ASSERT_EQ(g.out_h, ch->valid_out);
            ASSERT_EQ(g.out_w, cw->valid_out);
            ASSERT_EQ(g.pad_top, 0);
            ASSERT_EQ(g.pad_left, 0);
        }
}

TEST(geometry_errors_name_the_sizes) {
    fedc_conv2d_geom g;
    ASSERT_STATUS(fedc_conv2d_geom_make(ctx, 1, 3, 5, 1, 4, 2, 1, 1, FEDC_PADDING_VALID, &g),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "4x2");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "3x5");
    ASSERT_STATUS(fedc_conv2d_geom_make(ctx, 1, 5, 3, 1, 2, 4, 1, 1, FEDC_PADDING_VALID, &g),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "larger than the input");
    /* non-positive sizes and strides, each argument in turn */
    const int64_t ok[8] = {1, 4, 4, 1, 2, 2, 1, 1};
    for (int arg = 0; arg < 8; arg++) {
        for (int64_t bad = 0; bad >= -1; bad--) {
            int64_t v[8];
            memcpy(v, ok, sizeof v);
            v[arg] = bad;
            ASSERT_STATUS(fedc_conv2d_geom_make(ctx, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                                                FEDC_PADDING_SAME, &g),
                          FEDC_STATUS_INVALID_ARGUMENT);
        }
    }
    ASSERT_STATUS(fedc_conv2d_geom_make(ctx, 1, 4, 4, 1, 2, 2, 1, 1, (fedc_padding)7, &g),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "padding");
    ASSERT_STATUS(fedc_conv2d_geom_make(ctx, INT64_MAX / 2, 1000, 1000, 1000, 3, 3, 1, 1,
                                        FEDC_PADDING_SAME, &g),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "too large");
}

/* ---- im2col / col2im by hand ---------------------------------------------------------------- */

typedef void (*im2col_fn)(const fedc_conv2d_geom *, const float *, float *);

static const float kImage[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}; /* 3x3, one channel */

TEST(im2col_3x3_image_2x2_window_valid_and_same_by_hand) {
    im2col_fn fns[3] = {fedc_im2col, fedc__ref_im2col, fedc__opt_im2col};
    fedc_conv2d_geom valid, same;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 1, 2, 2, 1, 1, FEDC_PADDING_VALID, &valid));
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 1, 2, 2, 1, 1, FEDC_PADDING_SAME, &same));
    const float want_valid[16] = {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9};
    /* SAME: out 3x3, one cell of padding, at the bottom and right (TensorFlow) */
    const float want_same[36] = {1, 2, 4, 5, 2, 3, 5, 6, 3, 0, 6, 0, 4, 5, 7, 8, 5, 6,
                                 8, 9, 6, 0, 9, 0, 7, 8, 0, 0, 8, 9, 0, 0, 9, 0, 0, 0};
    for (int f = 0; f < 3; f++) {
        float cols[36];
        for (int i = 0; i < 36; i++)
            cols[i] = NAN;
        fns[f](&valid, kImage, cols);
        ASSERT_FLOATS_NEAR(cols, want_valid, 16, 0.0);
        fns[f](&same, kImage, cols);
        ASSERT_FLOATS_NEAR(cols, want_same, 36, 0.0);
    }
}

TEST(im2col_two_channels_stride_2_same_by_hand) {
    /* 3x3x2 (channel 1 is the negated channel 0), 2x2 window, stride 2, SAME: out 2x2, pad 0
     * before and 1 after; each window row holds (kx, c) pairs. */
    float x[18];
    for (int i = 0; i < 9; i++)
        x[2 * i] = kImage[i], x[2 * i + 1] = -kImage[i];
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 2, 2, 2, 2, 2, FEDC_PADDING_SAME, &g));
    ASSERT_EQ(g.out_h, 2);
    ASSERT_EQ(g.pad_top, 0);
    const float want[32] = {1, -1, 2, -2, 4, -4, 5, -5, /* (0,0): cells 1 2 / 4 5 */
                            3, -3, 0, 0,  6, -6, 0, 0,  /* (0,1): 3 pad / 6 pad */
                            7, -7, 8, -8, 0, 0,  0, 0,  /* (1,0): 7 8 / pad pad */
                            9, -9, 0, 0,  0, 0,  0, 0}; /* (1,1) */
    float cols[32];
    fedc_im2col(&g, x, cols);
    ASSERT_FLOATS_NEAR(cols, want, 32, 0.0);
    fedc__opt_im2col(&g, x, cols);
    ASSERT_FLOATS_NEAR(cols, want, 32, 0.0);
}

TEST(col2im_of_ones_counts_the_windows_over_each_cell) {
    fedc_conv2d_geom valid, same;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 1, 2, 2, 1, 1, FEDC_PADDING_VALID, &valid));
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 1, 2, 2, 1, 1, FEDC_PADDING_SAME, &same));
    float ones[36], dx[9];
    for (int i = 0; i < 36; i++)
        ones[i] = 1.0f;
    const float want_valid[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    const float want_same[9] = {1, 2, 2, 2, 4, 4, 2, 4, 4};
    im2col_fn fns[3] = {fedc_col2im, fedc__ref_col2im, fedc__opt_col2im};
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < 9; i++)
            dx[i] = NAN; /* overwritten, not accumulated into */
        fns[f](&valid, ones, dx);
        ASSERT_FLOATS_NEAR(dx, want_valid, 9, 0.0);
        fns[f](&same, ones, dx);
        ASSERT_FLOATS_NEAR(dx, want_same, 9, 0.0);
    }
}

/* ---- random geometries ---------------------------------------------------------------------- */

/* A geometry in the sweep's range: batch 1..3, sizes 1..13, windows 1..5, strides 1..3, channels
 * 1..5, either padding. Returns false (after checking the error) when VALID does not fit. */
static bool random_geom(fedc_ctx *ctx, fedc_rng *r, fedc_conv2d_geom *g) {
    int64_t batch = 1 + (int64_t)fedc_rng_below(r, 3), h = 1 + (int64_t)fedc_rng_below(r, 13);
    int64_t w = 1 + (int64_t)fedc_rng_below(r, 13), c = 1 + (int64_t)fedc_rng_below(r, 5);
    int64_t kh = 1 + (int64_t)fedc_rng_below(r, 5), kw = 1 + (int64_t)fedc_rng_below(r, 5);
    int64_t sh = 1 + (int64_t)fedc_rng_below(r, 3), sw = 1 + (int64_t)fedc_rng_below(r, 3);
    fedc_padding pad = fedc_rng_below(r, 2) ? FEDC_PADDING_SAME : FEDC_PADDING_VALID;
    fedc_status st = fedc_conv2d_geom_make(ctx, batch, h, w, c, kh, kw, sh, sw, pad, g);
    if (pad == FEDC_PADDING_VALID && (kh > h || kw > w)) {
        ASSERT_EQ(st, FEDC_STATUS_INVALID_ARGUMENT);
        return false;
    }
    ASSERT_OK(st);
    return true;
}

enum { NRANDOM = 400 };

TEST(im2col_and_col2im_twins_agree_bit_for_bit) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 11, FEDC_RNG_PURPOSE_TEST);
    int tested = 0;
    for (int it = 0; it < NRANDOM; it++) {
        fedc_conv2d_geom g;
        if (!random_geom(ctx, &r, &g)) continue;
        int64_t nx = in_size(&g), nc = cols_size(&g);
        float *x = xcalloc(nx, sizeof *x), *c = xcalloc(nc, sizeof *c);
        float *ref = xcalloc(nc > nx ? nc : nx, sizeof *ref);
        float *opt = xcalloc(nc > nx ? nc : nx, sizeof *opt);
        for (int64_t i = 0; i < nx; i++)
            x[i] = uniform(&r);
        for (int64_t i = 0; i < nc; i++)
            c[i] = uniform(&r);
        for (int64_t i = 0; i < nc; i++)
            ref[i] = opt[i] = NAN;
        fedc__ref_im2col(&g, x, ref);
        fedc__opt_im2col(&g, x, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nc, 0.0);
        for (int64_t i = 0; i < nx; i++)
            ref[i] = opt[i] = NAN;
        fedc__ref_col2im(&g, c, ref);
        fedc__opt_col2im(&g, c, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
        /* the public entry points call one of the twins */
        fedc_col2im(&g, c, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
        free(x);
        free(c);
        free(ref);
        free(opt);
        tested++;
    }
    ASSERT_GT(tested, NRANDOM / 2);
}

TEST(im2col_and_col2im_twins_agree_with_wide_windows) {
    /* The optimized kernels copy whole window rows when kernel_w * channels is large and loop
     * over output columns when it is small; more channels than the sweep above exercises both
     * paths and the switch between them. */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 14, FEDC_RNG_PURPOSE_TEST);
    for (int it = 0; it < 60; it++) {
        fedc_conv2d_geom g;
        int64_t c = 1 + (int64_t)fedc_rng_below(&r, 40), k = 1 + (int64_t)fedc_rng_below(&r, 5);
        int64_t s = 1 + (int64_t)fedc_rng_below(&r, 3), h = k + (int64_t)fedc_rng_below(&r, 9);
        fedc_padding pad = it % 2 ? FEDC_PADDING_SAME : FEDC_PADDING_VALID;
        ASSERT_OK(fedc_conv2d_geom_make(ctx, 2, h, h + 1, c, k, k, s, s, pad, &g));
        int64_t nx = in_size(&g), nc = cols_size(&g);
        float *x = xcalloc(nx, sizeof *x), *cols = xcalloc(nc, sizeof *cols);
        float *ref = xcalloc(nc > nx ? nc : nx, sizeof *ref);
        float *opt = xcalloc(nc > nx ? nc : nx, sizeof *opt);
        for (int64_t i = 0; i < nx; i++)
            x[i] = uniform(&r);
        for (int64_t i = 0; i < nc; i++)
            cols[i] = uniform(&r);
        fedc__ref_im2col(&g, x, ref);
        fedc__opt_im2col(&g, x, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nc, 0.0);
        fedc__ref_col2im(&g, cols, ref);
        fedc__opt_col2im(&g, cols, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
        free(x);
        free(cols);
        free(ref);
        free(opt);
    }
}

/* <im2col(x), c> and <x, col2im(c)> in double, for one kernel set. */
static void adjoint_sums(const fedc_conv2d_geom *g, im2col_fn to_cols, im2col_fn to_image,
                         const float *x, const float *c, double *lhs, double *rhs, double *mag) {
    int64_t nx = in_size(g), nc = cols_size(g);
    float *cols = xcalloc(nc, sizeof *cols), *dx = xcalloc(nx, sizeof *dx);
    to_cols(g, x, cols);
    to_image(g, c, dx);
    *lhs = *rhs = *mag = 0.0;
    for (int64_t i = 0; i < nc; i++)
        *lhs += (double)cols[i] * c[i], *mag += fabs(cols[i] * c[i]);
    for (int64_t i = 0; i < nx; i++)
        *rhs += (double)x[i] * dx[i];
    free(cols);
    free(dx);
}

TEST(col2im_is_the_adjoint_of_im2col) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 12, FEDC_RNG_PURPOSE_TEST);
    im2col_fn sets[2][2] = {{fedc__ref_im2col, fedc__ref_col2im},
                            {fedc__opt_im2col, fedc__opt_col2im}};
    for (int it = 0; it < NRANDOM; it++) {
        fedc_conv2d_geom g;
        if (!random_geom(ctx, &r, &g)) continue;
        int64_t nx = in_size(&g), nc = cols_size(&g);
        float *x = xcalloc(nx, sizeof *x), *c = xcalloc(nc, sizeof *c);
        bool exact = it % 2 == 0;
        /* dyadic values keep col2im's float sums exact, so the two sides are equal exactly;
         * uniform values leave col2im's rounding, bounded relative to the sum of |terms|. */
        for (int64_t i = 0; i < nx; i++)
            x[i] = exact ? dyadic(&r) : uniform(&r);
        for (int64_t i = 0; i < nc; i++)
            c[i] = exact ? dyadic(&r) : uniform(&r);
        for (int s = 0; s < 2; s++) {
            double lhs, rhs, mag;
            adjoint_sums(&g, sets[s][0], sets[s][1], x, c, &lhs, &rhs, &mag);
            if (exact)
                ASSERT_EQ(lhs, rhs);
            else
                ASSERT_NEAR(lhs, rhs, 1e-6 * (1.0 + mag));
        }
        free(x);
        free(c);
    }
}

TEST(convolution_via_im2col_and_sgemm_matches_direct_loops) {
    /* y[b, oy, ox, f] = sum over (ky, kx, c) of x[b, iy, ix, c] * w[ky, kx, c, f] (Keras layout),
     * padded cells contributing 0; direct loops in double against cols @ W in float. */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 13, FEDC_RNG_PURPOSE_TEST);
    for (int pad = 0; pad < 2; pad++) {
        fedc_conv2d_geom g;
        ASSERT_OK(fedc_conv2d_geom_make(ctx, 2, 9, 8, 3, 3, 2, 2, 1,
                                        pad ? FEDC_PADDING_SAME : FEDC_PADDING_VALID, &g));
        const int64_t F = 4, K = g.kernel_h * g.kernel_w * g.channels;
        const int64_t rows = g.batch * g.out_h * g.out_w;
        float *x = xcalloc(in_size(&g), sizeof *x), *w = xcalloc(K * F, sizeof *w);
        float *cols = xcalloc(rows * K, sizeof *cols), *y = xcalloc(rows * F, sizeof *y);
        for (int64_t i = 0; i < in_size(&g); i++)
            x[i] = uniform(&r);
        for (int64_t i = 0; i < K * F; i++)
            w[i] = uniform(&r);
        fedc_im2col(&g, x, cols);
        fedc_sgemm(false, false, rows, F, K, 1.0f, cols, K, w, F, 0.0f, y, F);
        for (int64_t b = 0; b < g.batch; b++)
            for (int64_t oy = 0; oy < g.out_h; oy++)
                for (int64_t ox = 0; ox < g.out_w; ox++)
                    for (int64_t f = 0; f < F; f++) {
                        double want = 0.0;
                        for (int64_t ky = 0; ky < g.kernel_h; ky++)
                            for (int64_t kx = 0; kx < g.kernel_w; kx++) {
                                int64_t iy = oy * g.stride_h - g.pad_top + ky;
                                int64_t ix = ox * g.stride_w - g.pad_left + kx;
                                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
                                for (int64_t c = 0; c < g.channels; c++)
                                    want +=
                                        (double)
                                            x[((b * g.in_h + iy) * g.in_w + ix) * g.channels + c] *
                                        w[((ky * g.kernel_w + kx) * g.channels + c) * F + f];
                            }
                        int64_t row = (b * g.out_h + oy) * g.out_w + ox;
                        ASSERT_NEAR(y[row * F + f], want, 1e-5);
                    }
        free(x);
        free(w);
        free(cols);
        free(y);
    }
}
