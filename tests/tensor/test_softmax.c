/* test_softmax.c — softmax and log-softmax: known answers, stability at +-1000, rows summing to
 * one, log-softmax agreeing with log(softmax), the tensor ops on strided input, the errors, and
 * opt-vs-ref twin tests of the row kernels and the tensor kernel (within 1e-6: the optimized
 * sums group their terms differently). */
#include <math.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"
#include "tensor/tensor_testutil.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* Logits as a model produces them: mostly moderate, sometimes huge in either direction. */
static double random_logit(fedc_rng *rng) {
    uint64_t pick = fedc_rng_below(rng, 40);
    if (pick == 0) return 1000;
    if (pick == 1) return -1000;
    return 10 * fedc_rng_normal(rng);
}

/* Every element of a contiguous t from random_logit (a tt_fill_fn). */
static void fill_logits(fedc_tensor *t, fedc_rng *rng) {
    int64_t n = fedc_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        fedc_tensor_set_flat(t, i, random_logit(rng));
}

/* ---- known answers ----------------------------------------------------------------------- */

TEST(softmax_known_answer) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3), V(1, 2, 3, 0, 0, 0));
    fedc_tensor y = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    ASSERT_OK(fedc_tensor_softmax(ctx, &a, &y));
    const float want[6] = {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 6, 1e-7);
    ASSERT_OK(fedc_tensor_log_softmax(ctx, &a, &y));
    const float want_log[6] = {-2.40760596f, -1.40760596f, -0.40760596f,
                               -1.09861229f, -1.09861229f, -1.09861229f};
    ASSERT_FLOATS_NEAR((const float *)y.data, want_log, 6, 1e-6);
    fedc_tensor_free(&a);
    fedc_tensor_free(&y);
}

TEST(softmax_is_stable_for_large_inputs) {
    float x[6] = {1000, 1000, -1000, 0, 1000, -1000}, y[6];
    fedc_softmax_rows(3, 2, x, y);
    const float want[6] = {0.5f, 0.5f, 0, 1, 1, 0};
    ASSERT_FLOATS_NEAR(y, want, 6, 0);
    fedc_log_softmax_rows(3, 2, x, y);
    const float want_log[6] = {-logf(2), -logf(2), -1000, 0, 0, -2000};
    ASSERT_FLOATS_NEAR(y, want_log, 6, 1e-6);
    for (int i = 0; i < 6; i++)
        ASSERT_TRUE(isfinite(y[i]));
    /* float64 too, where exp(1000) alone would overflow just the same */
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3), V(1000, 999, -1000));
    fedc_tensor b = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3));
    ASSERT_OK(fedc_tensor_softmax(ctx, &a, &b));
    ASSERT_NEAR(fedc_tensor_get_flat(&b, 0), 1 / (1 + exp(-1.0)), 1e-15);
    ASSERT_NEAR(fedc_tensor_get_flat(&b, 1), exp(-1.0) / (1 + exp(-1.0)), 1e-15);
    ASSERT_EQ(fedc_tensor_get_flat(&b, 2), 0.0);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
}

TEST(softmax_rows_in_place_and_empty) {
    float x[4] = {0, 1, 2, 3};
    fedc_softmax_rows(2, 2, x, x);
    ASSERT_NEAR(x[0] + x[1], 1, 1e-7);
    ASSERT_NEAR(x[1], 1 / (1 + exp(-1.0)), 1e-7);
    ASSERT_NEAR(x[3], 1 / (1 + exp(-1.0)), 1e-7);
    float z[2] = {5, 5};
    fedc_log_softmax_rows(1, 2, z, z);
    ASSERT_NEAR(z[0], -log(2.0), 1e-7);
    fedc_softmax_rows(0, 5, NULL, NULL);
    fedc_softmax_rows(3, 0, z, z); /* empty rows: nothing to touch */
    ASSERT_NEAR(z[1], -log(2.0), 1e-7);
}

TEST(softmax_along_the_last_axis_of_strided_tensors) {
    /* a stored [3,2,2] and viewed as [2,2,3]: rows are strided */
    double v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (double)((i * 7) % 5) - 2;
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3, 2, 2), v), at;
    ASSERT_OK(fedc_tensor_permute(ctx, &a, (const int[]){1, 2, 0}, &at));
    fedc_tensor y = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 2, 3));
    fedc_tensor ly = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 2, 3));
    ASSERT_OK(fedc_tensor_softmax(ctx, &at, &y));
    ASSERT_OK(fedc_tensor_log_softmax(ctx, &at, &ly));
    for (int64_t i = 0; i < 2; i++) {
        for (int64_t j = 0; j < 2; j++) {
            double x[3], m = -INFINITY, s = 0;
            for (int64_t k = 0; k < 3; k++) {
                x[k] = fedc_tensor_get(&at, (const int64_t[]){i, j, k});
                m = fmax(m, x[k]);
            }
            for (int64_t k = 0; k < 3; k++)
                s += exp(x[k] - m);
            for (int64_t k = 0; k < 3; k++) {
                const int64_t idx[3] = {i, j, k};
                ASSERT_NEAR(fedc_tensor_get(&y, idx), exp(x[k] - m) / s, 1e-15);
                ASSERT_NEAR(fedc_tensor_get(&ly, idx), x[k] - m - log(s), 1e-14);
            }
        }
    }
    fedc_tensor_free(&a);
    fedc_tensor_free(&y);
    fedc_tensor_free(&ly);
}

TEST(softmax_errors) {
    fedc_tensor i = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3));
    fedc_tensor s = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE0);
    fedc_tensor f = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    fedc_tensor g = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3, 2));
    fedc_tensor d = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 3));
    ASSERT_STATUS(fedc_tensor_softmax(ctx, &i, &i), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "softmax");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_STATUS(fedc_tensor_log_softmax(ctx, &s, &s), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "log_softmax");
    ASSERT_STATUS(fedc_tensor_softmax(ctx, &f, &g), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3,2]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_STATUS(fedc_tensor_softmax(ctx, &f, &d), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "float64");
    fedc_tensor_free(&i);
    fedc_tensor_free(&s);
    fedc_tensor_free(&f);
    fedc_tensor_free(&g);
    fedc_tensor_free(&d);
}

/* ---- properties and twins ---------------------------------------------------------------- */

TEST(rows_sum_to_one_and_log_softmax_is_log_of_softmax) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 9, FEDC_RNG_PURPOSE_TEST);
    for (int r = 0; r < TT_NSIZES; r++) {
        for (int c = 0; c < TT_NSIZES; c++) {
            int64_t rows = tt_sizes[r], cols = tt_sizes[c];
            fedc_tensor x, y, ly;
            fedc_shape shape = FEDC_SHAPE(rows, cols);
            ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &shape));
            ASSERT_OK(fedc_tensor_alloc(ctx, &y, FEDC_DTYPE_FLOAT32, &shape));
            ASSERT_OK(fedc_tensor_alloc(ctx, &ly, FEDC_DTYPE_FLOAT32, &shape));
            fill_logits(&x, &rng);
            fedc_softmax_rows(rows, cols, x.data, y.data);
            fedc_log_softmax_rows(rows, cols, x.data, ly.data);
            const float *p = y.data, *lp = ly.data;
            for (int64_t i = 0; i < rows; i++) {
                double s = 0;
                for (int64_t j = 0; j < cols; j++) {
                    float v = p[i * cols + j];
                    ASSERT_TRUE(v >= 0 && v <= 1);
                    s += v;
                    if (v > 1e-30f)
                        ASSERT_NEAR(logf(v), lp[i * cols + j], 1e-5);
                    else
                        ASSERT_LT(lp[i * cols + j], -60);
                }
                if (cols > 0) ASSERT_NEAR(s, 1, 1e-5); /* an empty row has nothing to sum */
            }
            fedc_tensor_free(&x);
            fedc_tensor_free(&y);
            fedc_tensor_free(&ly);
        }
    }
}

TEST(twin_softmax_rows_agree) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 10, FEDC_RNG_PURPOSE_TEST);
    static const int64_t cols_list[] = {0, 1, 3, 7, 8, 9, 17, 33, 129, 1000};
    for (size_t c = 0; c < sizeof cols_list / sizeof cols_list[0]; c++) {
        for (int r = 0; r < TT_NSIZES; r++) {
            int64_t rows = tt_sizes[r], cols = cols_list[c];
            fedc_tensor x, y[4];
            fedc_shape shape = FEDC_SHAPE(rows, cols);
            ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &shape));
            for (int k = 0; k < 4; k++)
                ASSERT_OK(fedc_tensor_alloc(ctx, &y[k], FEDC_DTYPE_FLOAT32, &shape));
            fill_logits(&x, &rng);
            fedc__ref_softmax_rows(rows, cols, x.data, y[0].data);
            fedc__opt_softmax_rows(rows, cols, x.data, y[1].data);
            ASSERT_TENSOR_NEAR(&y[1], &y[0], 1e-6);
            fedc__ref_log_softmax_rows(rows, cols, x.data, y[2].data);
            fedc__opt_log_softmax_rows(rows, cols, x.data, y[3].data);
            ASSERT_TENSOR_NEAR(&y[3], &y[2], 1e-6);
            /* in place: y and x the same buffer */
            ASSERT_OK(fedc_tensor_copy(ctx, &y[1], &x));
            fedc__opt_softmax_rows(rows, cols, y[1].data, y[1].data);
            ASSERT_TENSOR_NEAR(&y[1], &y[0], 1e-6);
            ASSERT_OK(fedc_tensor_copy(ctx, &y[3], &x));
            fedc__opt_log_softmax_rows(rows, cols, y[3].data, y[3].data);
            ASSERT_TENSOR_NEAR(&y[3], &y[2], 1e-6);
            ASSERT_OK(fedc_tensor_copy(ctx, &y[0], &x));
            fedc__ref_log_softmax_rows(rows, cols, y[0].data, y[0].data);
            ASSERT_TENSOR_NEAR(&y[0], &y[2], 0);
            fedc_tensor_free(&x);
            for (int k = 0; k < 4; k++)
                fedc_tensor_free(&y[k]);
        }
    }
}

TEST(twin_tensor_softmax_agrees_on_random_layouts) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 11, FEDC_RNG_PURPOSE_TEST);
    for (int iter = 0; iter < 200; iter++) {
        fedc_dtype dtype = iter % 2 ? FEDC_DTYPE_FLOAT64 : FEDC_DTYPE_FLOAT32;
        bool log_out = iter % 4 >= 2;
        fedc_shape shape = tt_random_shape(&rng, 1 + (int)fedc_rng_below(&rng, 4), 20000);
        int la = fedc_rng_below(&rng, 2) ? 0 : (int)fedc_rng_below(&rng, 4);
        int lo = fedc_rng_below(&rng, 2) ? 0 : (int)fedc_rng_below(&rng, 4);
        fedc_tensor oa, oref, oopt;
        fedc_tensor a = tt_random_view(ctx, &rng, dtype, &shape, la, fill_logits, &oa);
        fedc_tensor out_ref = tt_random_view(ctx, &rng, dtype, &shape, lo, fill_logits, &oref);
        ASSERT_OK(fedc_tensor_clone(ctx, &oref, &oopt));
        fedc_tensor out_opt = tt_rebase(&out_ref, &oref, &oopt);
        fedc__ref_softmax(&a, &out_ref, log_out);
        fedc__opt_softmax(&a, &out_opt, log_out);
        ASSERT_TENSOR_NEAR(&oopt, &oref, dtype == FEDC_DTYPE_FLOAT32 ? 1e-6 : 1e-12);
        fedc_tensor_free(&oa);
        fedc_tensor_free(&oref);
        fedc_tensor_free(&oopt);
    }
}

TEST(reference_tensor_softmax_matches_reference_rows_to_the_bit) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 12, FEDC_RNG_PURPOSE_TEST);
    fedc_shape shape = FEDC_SHAPE(17, 33);
    fedc_tensor x, y_rows, y_tensor;
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &shape));
    ASSERT_OK(fedc_tensor_alloc(ctx, &y_rows, FEDC_DTYPE_FLOAT32, &shape));
    ASSERT_OK(fedc_tensor_alloc(ctx, &y_tensor, FEDC_DTYPE_FLOAT32, &shape));
    fill_logits(&x, &rng);
    for (int log_out = 0; log_out < 2; log_out++) {
        if (log_out)
            fedc__ref_log_softmax_rows(17, 33, x.data, y_rows.data);
        else
            fedc__ref_softmax_rows(17, 33, x.data, y_rows.data);
        fedc__ref_softmax(&x, &y_tensor, log_out);
        ASSERT_EQ(memcmp(y_rows.data, y_tensor.data, fedc_tensor_nbytes(&x)), 0);
    }
    fedc_tensor_free(&x);
    fedc_tensor_free(&y_rows);
    fedc_tensor_free(&y_tensor);
}
