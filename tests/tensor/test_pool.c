/* test_pool.c — max and average pooling, forward and backward: answers worked by hand (VALID and
 * SAME, ties, padding that must never win or count, NaN), the backward passes against finite
 * differences of the forward ones, and the optimized kernels against the reference twins on
 * random geometries, bit for bit (same comparisons, same sums in the same order).
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

static float uniform(fedc_rng *r) { return 2.0f * fedc_rng_uniform(r) - 1.0f; }

static int64_t in_size(const fedc_conv2d_geom *g) {
    return g->batch * g->in_h * g->in_w * g->channels;
}
static int64_t out_size(const fedc_conv2d_geom *g) {
    return g->batch * g->out_h * g->out_w * g->channels;
}

typedef void (*fwd_fn)(const fedc_conv2d_geom *, const float *, float *);
typedef void (*max_bwd_fn)(const fedc_conv2d_geom *, const float *, const float *, float *);
typedef void (*avg_bwd_fn)(const fedc_conv2d_geom *, const float *, float *);

/* The public entry points and both twins, so every answer by hand checks all three. */
static const fwd_fn kMaxFwd[3] = {fedc_maxpool2d_forward, fedc__ref_maxpool2d_forward,
                                  fedc__opt_maxpool2d_forward};
static const max_bwd_fn kMaxBwd[3] = {fedc_maxpool2d_backward, fedc__ref_maxpool2d_backward,
                                      fedc__opt_maxpool2d_backward};
static const fwd_fn kAvgFwd[3] = {fedc_avgpool2d_forward, fedc__ref_avgpool2d_forward,
                                  fedc__opt_avgpool2d_forward};
static const avg_bwd_fn kAvgBwd[3] = {fedc_avgpool2d_backward, fedc__ref_avgpool2d_backward,
                                      fedc__opt_avgpool2d_backward};

static void fill_nan(float *p, int n) {
    for (int i = 0; i < n; i++)
        p[i] = NAN;
}

/* ---- by hand -------------------------------------------------------------------------------- */

TEST(pool_4x4_window_2x2_stride_2_valid_by_hand) {
    const float x[16] = {1, 5, 2, 0, /**/ 3, 4, 8, 7, /**/ 0, -1, 6, 6, /**/ 2, 9, 6, 5};
    const float dy[4] = {1, 2, 3, 4};
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 4, 4, 1, 2, 2, 2, 2, FEDC_PADDING_VALID, &g));
    const float max_y[4] = {5, 8, 9, 6};
    /* the last window is 6 6 / 6 5: the tie goes to its first cell, (2, 2) */
    const float max_dx[16] = {0, 1, 0, 0, /**/ 0, 0, 2, 0, /**/ 0, 0, 4, 0, /**/ 0, 3, 0, 0};
    const float avg_y[4] = {3.25f, 4.25f, 2.5f, 5.75f};
    const float avg_dx[16] = {0.25f, 0.25f, 0.5f, 0.5f, /**/ 0.25f, 0.25f, 0.5f, 0.5f,
                              0.75f, 0.75f, 1.0f, 1.0f, /**/ 0.75f, 0.75f, 1.0f, 1.0f};
    for (int f = 0; f < 3; f++) {
        float y[4], dx[16];
        fill_nan(y, 4);
        fill_nan(dx, 16);
        kMaxFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, max_y, 4, 0.0);
        kMaxBwd[f](&g, x, dy, dx);
        ASSERT_FLOATS_NEAR(dx, max_dx, 16, 0.0);
        fill_nan(dx, 16);
        kAvgFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, avg_y, 4, 0.0);
        kAvgBwd[f](&g, dy, dx);
        ASSERT_FLOATS_NEAR(dx, avg_dx, 16, 0.0);
    }
}

TEST(pool_same_padding_never_wins_and_is_not_counted) {
    /* All inputs negative, so a padded zero would win a max or pull up an average. 3x3, 2x2
     * window, stride 2, SAME: out 2x2, the padding (one cell) at the bottom and right. */
    const float x[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 1, 2, 2, 2, 2, FEDC_PADDING_SAME, &g));
    ASSERT_EQ(g.out_h, 2);
    ASSERT_EQ(g.pad_top, 0);
    const float max_y[4] = {-1, -3, -7, -9};
    const float avg_y[4] = {-3.0f, -4.5f, -7.5f, -9.0f}; /* 4, 2, 2 and 1 cells */
    const float max_dy[4] = {1, 2, 3, 4}, max_dx[9] = {1, 0, 2, 0, 0, 0, 3, 0, 4};
    /* each window's dy spread over its in-bounds cells only: 4/4, 2/2, 2/2, 1/1 */
    const float avg_dy[4] = {4, 2, 2, 1}, avg_dx[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int f = 0; f < 3; f++) {
        float y[4], dx[9];
        fill_nan(y, 4);
        kMaxFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, max_y, 4, 0.0);
        kAvgFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, avg_y, 4, 0.0);
        fill_nan(dx, 9);
        kMaxBwd[f](&g, x, max_dy, dx);
        ASSERT_FLOATS_NEAR(dx, max_dx, 9, 0.0);
        fill_nan(dx, 9);
        kAvgBwd[f](&g, avg_dy, dx);
        ASSERT_FLOATS_NEAR(dx, avg_dx, 9, 0.0);
    }
}

TEST(pool_same_padding_on_every_side_two_channels) {
    /* 3x3x2, 3x3 window, stride 1, SAME: one cell of padding all round. Channel 1 = -channel 0
     * - 10, so its maxima sit elsewhere. */
    float x[18];
    for (int i = 0; i < 9; i++)
        x[2 * i] = (float)(i + 1), x[2 * i + 1] = -(float)(i + 1) - 10;
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 3, 3, 2, 3, 3, 1, 1, FEDC_PADDING_SAME, &g));
    ASSERT_EQ(g.pad_top, 1);
    ASSERT_EQ(g.pad_left, 1);
    /* channel 0 max: the bottom-right cell of each window; channel 1: the top-left */
    const float max_y[18] = {5,   -11, 6,   -11, 6,   -12, 8,   -11, 9,
                             -11, 9,   -12, 8,   -14, 9,   -14, 9,   -15};
    /* averages: corner windows hold 4 cells, edges 6, the centre 9 */
    const float avg_y[18] = {3.0f, -13.0f, 3.5f, -13.5f, 4.0f, -14.0f, 4.5f, -14.5f, 5.0f, -15.0f,
                             5.5f, -15.5f, 6.0f, -16.0f, 6.5f, -16.5f, 7.0f, -17.0f};
    for (int f = 0; f < 3; f++) {
        float y[18];
        kMaxFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, max_y, 18, 0.0);
        kAvgFwd[f](&g, x, y);
        ASSERT_FLOATS_NEAR(y, avg_y, 18, 1e-6);
    }
}

TEST(maxpool_ties_route_to_the_first_cell_in_row_major_order) {
    /* 1x3 input of equal values, 1x2 windows at stride 1: each window's dy goes to its left
     * cell. Then a 2x2 window [[1, 3], [3, 2]]: the 3 on the top row wins. */
    const float flat[3] = {2, 2, 2}, dy[2] = {1, 10};
    const float want[3] = {1, 10, 0};
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 1, 3, 1, 1, 2, 1, 1, FEDC_PADDING_VALID, &g));
    const float sq[4] = {1, 3, 3, 2}, one[1] = {7}, want_sq[4] = {0, 7, 0, 0};
    fedc_conv2d_geom g2;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 2, 2, 1, 2, 2, 1, 1, FEDC_PADDING_VALID, &g2));
    for (int f = 0; f < 3; f++) {
        float dx[4];
        kMaxBwd[f](&g, flat, dy, dx);
        ASSERT_FLOATS_NEAR(dx, want, 3, 0.0);
        kMaxBwd[f](&g2, sq, one, dx);
        ASSERT_FLOATS_NEAR(dx, want_sq, 4, 0.0);
    }
}

TEST(maxpool_propagates_nan_and_routes_to_it) {
    /* A NaN beats any number (it must show, not vanish); the first NaN wins. */
    const float x[4] = {1, NAN, 3, NAN}, lead[2] = {NAN, 5}, dy[1] = {2};
    const float want_dx[4] = {0, 2, 0, 0}, want_lead[2] = {2, 0};
    fedc_conv2d_geom g4, g2;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 1, 4, 1, 1, 4, 1, 1, FEDC_PADDING_VALID, &g4));
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 1, 1, 2, 1, 1, 2, 1, 1, FEDC_PADDING_VALID, &g2));
    for (int f = 0; f < 3; f++) {
        float y[1], dx[4];
        kMaxFwd[f](&g4, x, y);
        ASSERT_TRUE(isnan(y[0]));
        kMaxBwd[f](&g4, x, dy, dx);
        ASSERT_FLOATS_NEAR(dx, want_dx, 4, 0.0);
        kMaxFwd[f](&g2, lead, y);
        ASSERT_TRUE(isnan(y[0]));
        kMaxBwd[f](&g2, lead, dy, dx);
        ASSERT_FLOATS_NEAR(dx, want_lead, 2, 0.0);
    }
}

/* ---- gradients ------------------------------------------------------------------------------ */

/* A geometry with batch 1..3, sizes 1..hw_max, windows 1..5, strides 1..3, channels 1..5, either
 * padding; false (after checking the error) when a VALID window does not fit. */
static bool random_geom(fedc_ctx *ctx, fedc_rng *r, int64_t hw_max, fedc_conv2d_geom *g) {
    int64_t batch = 1 + (int64_t)fedc_rng_below(r, 3);
    int64_t h = 1 + (int64_t)fedc_rng_below(r, (uint64_t)hw_max);
    int64_t w = 1 + (int64_t)fedc_rng_below(r, (uint64_t)hw_max);
    int64_t c = 1 + (int64_t)fedc_rng_below(r, 5);
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

/* L(x) = sum of dy * forward(x), in double. */
static double loss(const fedc_conv2d_geom *g, fwd_fn fwd, const float *x, const float *dy,
                   float *y) {
    fwd(g, x, y);
    double l = 0.0;
    for (int64_t i = 0; i < out_size(g); i++)
        l += (double)dy[i] * y[i];
    return l;
}

TEST(maxpool_backward_matches_finite_differences) {
    /* Distinct inputs (a shuffled ramp in steps of 1/4) and a step of 1/16 never change which
     * cell wins, and everything is exact in float: the central difference of L is exactly the
     * dy routed to each cell. */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 21, FEDC_RNG_PURPOSE_TEST);
    for (int it = 0; it < 40; it++) {
        fedc_conv2d_geom g;
        if (!random_geom(ctx, &r, 7, &g)) continue;
        int64_t nx = in_size(&g), ny = out_size(&g);
        int64_t *perm = xcalloc(nx, sizeof *perm);
        float *x = xcalloc(nx, sizeof *x), *dy = xcalloc(ny, sizeof *dy);
        float *y = xcalloc(ny, sizeof *y), *dx = xcalloc(nx, sizeof *dx);
        fedc_rng_permutation(&r, perm, (size_t)nx);
        for (int64_t i = 0; i < nx; i++)
            x[i] = (float)(perm[i] - nx / 2) / 4.0f;
        for (int64_t i = 0; i < ny; i++)
            dy[i] = (float)((int)fedc_rng_below(&r, 9) - 4);
        for (int s = 1; s < 3; s++) {
            kMaxBwd[s](&g, x, dy, dx);
            for (int64_t i = 0; i < nx; i++) {
                float keep = x[i];
                x[i] = keep + 1.0f / 16;
                double up = loss(&g, kMaxFwd[s], x, dy, y);
                x[i] = keep - 1.0f / 16;
                double down = loss(&g, kMaxFwd[s], x, dy, y);
                x[i] = keep;
                ASSERT_EQ((up - down) * 8.0, (double)dx[i]);
            }
        }
        free(perm);
        free(x);
        free(dy);
        free(y);
        free(dx);
    }
}

TEST(avgpool_backward_matches_finite_differences) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 22, FEDC_RNG_PURPOSE_TEST);
    for (int it = 0; it < 40; it++) {
        fedc_conv2d_geom g;
        if (!random_geom(ctx, &r, 7, &g)) continue;
        int64_t nx = in_size(&g), ny = out_size(&g);
        float *x = xcalloc(nx, sizeof *x), *dy = xcalloc(ny, sizeof *dy);
        float *y = xcalloc(ny, sizeof *y), *dx = xcalloc(nx, sizeof *dx);
        for (int64_t i = 0; i < nx; i++)
            x[i] = uniform(&r);
        for (int64_t i = 0; i < ny; i++)
            dy[i] = uniform(&r);
        for (int s = 1; s < 3; s++) {
            kAvgBwd[s](&g, dy, dx);
            for (int64_t i = 0; i < nx; i++) {
                float keep = x[i];
                x[i] = keep + 0.0625f; /* exact steps: x stays in [-2, 2], a multiple of 2^-24 */
                double up = loss(&g, kAvgFwd[s], x, dy, y);
                x[i] = keep - 0.0625f;
                double down = loss(&g, kAvgFwd[s], x, dy, y);
                x[i] = keep;
                /* avg pooling is linear: only the forward's float rounding (~1e-7 per output,
                 * divided by the 0.125 step) separates the difference from dx */
                ASSERT_NEAR((up - down) / 0.125, dx[i], 1e-4);
            }
        }
        free(x);
        free(dy);
        free(y);
        free(dx);
    }
}

/* ---- twins ---------------------------------------------------------------------------------- */

typedef enum { VALUES_UNIFORM, VALUES_TIES, VALUES_NAN } values;

TEST(pool_twins_agree_bit_for_bit) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 23, FEDC_RNG_PURPOSE_TEST);
    int tested = 0;
    for (int it = 0; it < 400; it++) {
        fedc_conv2d_geom g;
        if (!random_geom(ctx, &r, 13, &g)) continue;
        values kind = (values)(it % 3);
        int64_t nx = in_size(&g), ny = out_size(&g);
        float *x = xcalloc(nx, sizeof *x), *dy = xcalloc(ny, sizeof *dy);
        float *ref = xcalloc(nx > ny ? nx : ny, sizeof *ref);
        float *opt = xcalloc(nx > ny ? nx : ny, sizeof *opt);
        for (int64_t i = 0; i < nx; i++) {
            /* few distinct values make ties common; NaN checks the comparison rule */
            x[i] = kind == VALUES_TIES ? (float)fedc_rng_below(&r, 3) : uniform(&r);
            if (kind == VALUES_NAN && fedc_rng_below(&r, 8) == 0) x[i] = NAN;
        }
        for (int64_t i = 0; i < ny; i++)
            dy[i] = uniform(&r);

        fedc__ref_maxpool2d_forward(&g, x, ref);
        fedc__opt_maxpool2d_forward(&g, x, opt);
        ASSERT_FLOATS_NEAR(opt, ref, ny, 0.0);
        fedc__ref_avgpool2d_forward(&g, x, ref);
        fedc__opt_avgpool2d_forward(&g, x, opt);
        ASSERT_FLOATS_NEAR(opt, ref, ny, 0.0);
        fedc__ref_maxpool2d_backward(&g, x, dy, ref);
        fedc__opt_maxpool2d_backward(&g, x, dy, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
        fedc__ref_avgpool2d_backward(&g, dy, ref);
        fedc__opt_avgpool2d_backward(&g, dy, opt);
        ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
        free(x);
        free(dy);
        free(ref);
        free(opt);
        tested++;
    }
    ASSERT_GT(tested, 200);
}

TEST(maxpool_twins_agree_with_many_channels) {
    /* more channels than the optimized backward's stack chunk (256), so it takes two passes */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 24, FEDC_RNG_PURPOSE_TEST);
    fedc_conv2d_geom g;
    ASSERT_OK(fedc_conv2d_geom_make(ctx, 2, 5, 6, 300, 3, 2, 2, 1, FEDC_PADDING_SAME, &g));
    int64_t nx = in_size(&g), ny = out_size(&g);
    float *x = xcalloc(nx, sizeof *x), *dy = xcalloc(ny, sizeof *dy);
    float *ref = xcalloc(nx, sizeof *ref), *opt = xcalloc(nx, sizeof *opt);
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)fedc_rng_below(&r, 4);
    for (int64_t i = 0; i < ny; i++)
        dy[i] = uniform(&r);
    fedc__ref_maxpool2d_backward(&g, x, dy, ref);
    fedc__opt_maxpool2d_backward(&g, x, dy, opt);
    ASSERT_FLOATS_NEAR(opt, ref, nx, 0.0);
    fedc__ref_maxpool2d_forward(&g, x, ref);
    fedc__opt_maxpool2d_forward(&g, x, opt);
    ASSERT_FLOATS_NEAR(opt, ref, ny, 0.0);
    free(x);
    free(dy);
    free(ref);
    free(opt);
}
