/* test_gemm.c — sgemm, dgemm and fedc_tensor_matmul: answers worked by hand, the BLAS corner
 * cases (zero sizes, beta == 0 over NaN, alpha == 0), the optimized kernels against the
 * reference twins over many shapes, strides and scalars, and matmul's checks and messages.
 *
 * Twin tests use two kinds of input: small dyadic numbers (every product and partial sum exact in
 * float, so any summation order or fused multiply-add gives the same bits and the twins must
 * agree exactly: a wrong index cannot hide in a tolerance), and uniform floats, where the twins
 * may round differently and agree to 1e-5.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"

/* Shapes every twin test sweeps: empty, tiny, odd, around the micro-tile and block sizes. */
static const int64_t kDims[] = {0, 1, 2, 3, 7, 17, 64, 65, 130};
enum { NDIMS = sizeof kDims / sizeof kDims[0] };

/* (alpha, beta) pairs cycled through the sweeps: all dyadic, so they keep dyadic inputs exact. */
static const float kScalars[][2] = {{1.0f, 0.0f},  {-0.5f, 1.5f}, {2.0f, 1.0f}, {1.0f, -1.0f},
                                    {0.25f, 0.0f}, {1.0f, 1.0f},  {0.0f, 0.5f}, {-1.0f, 0.0f}};
enum { NSCALARS = sizeof kScalars / sizeof kScalars[0] };

static const float kSentinel = 12345.0f; /* fills C's gaps between rows: must survive */

static void *xcalloc(int64_t n, size_t size) {
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p) FAIL("out of memory for %lld elements", (long long)n);
    return p;
}

/* A multiple of 1/4 in [-2, 2]: products are multiples of 1/16 up to 4 in size, and sums of 130
 * of them stay far below 2^24 sixteenths, so float arithmetic on them is exact. */
static float dyadic(fedc_rng *r) { return (float)((int)fedc_rng_below(r, 17) - 8) / 4.0f; }

/* Uniform in [-1, 1). */
static float uniform(fedc_rng *r) { return 2.0f * fedc_rng_uniform(r) - 1.0f; }

/* First index where got and want differ by more than tol * max(1, |want|) (NaN equals NaN), or
 * -1 when none does. */
static int64_t first_diff(const float *got, const float *want, int64_t n, double tol) {
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (isnan(g) && isnan(w)) continue;
        if (!(fabs(g - w) <= tol * fmax(1.0, fabs(w)))) return i;
    }
    return -1;
}

static int64_t first_diff_d(const double *got, const double *want, int64_t n, double tol) {
    for (int64_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) continue;
        if (!(fabs(got[i] - want[i]) <= tol * fmax(1.0, fabs(want[i])))) return i;
    }
    return -1;
}

/* ---- answers by hand ------------------------------------------------------------------------ */

/* A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]], A @ B = [[58,64],[139,154]]; the transposed
 * operands are the same matrices stored transposed. */
static const float kA[6] = {1, 2, 3, 4, 5, 6}, kAt[6] = {1, 4, 2, 5, 3, 6};
static const float kB[6] = {7, 8, 9, 10, 11, 12}, kBt[6] = {7, 9, 11, 8, 10, 12};
static const float kAB[4] = {58, 64, 139, 154};

typedef void (*sgemm_fn)(bool, bool, int64_t, int64_t, int64_t, float, const float *, int64_t,
                         const float *, int64_t, float, float *, int64_t);

static void check_2x3_by_3x2(sgemm_fn gemm, const char *which) {
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        float c[4] = {-1, -1, -1, -1};
        gemm(ta, tb, 2, 2, 3, 1.0f, ta ? kAt : kA, ta ? 2 : 3, tb ? kBt : kB, tb ? 3 : 2, 0.0f, c,
             2);
        for (int i = 0; i < 4; i++)
            if (c[i] != kAB[i])
                FAIL("%s ta=%d tb=%d: c[%d] = %g, expected %g", which, ta, tb, i, c[i], kAB[i]);
    }
}

TEST(sgemm_2x3_by_3x2_by_hand_all_transposes) {
    check_2x3_by_3x2(fedc_sgemm, "fedc_sgemm");
    check_2x3_by_3x2(fedc__ref_sgemm, "ref");
    check_2x3_by_3x2(fedc__opt_sgemm, "opt");
}

TEST(sgemm_alpha_beta_and_leading_dimensions_by_hand) {
    /* A and B embedded in wider storage (lda 4, ldb 3), C with ldc 3 and a gap column. */
    float a[8] = {1, 2, 3, -9, 4, 5, 6, -9};
    float b[9] = {7, 8, -9, 9, 10, -9, 11, 12, -9};
    float c[6] = {1, 2, kSentinel, 3, 4, kSentinel};
    fedc_sgemm(false, false, 2, 2, 3, 2.0f, a, 4, b, 3, 0.5f, c, 3);
    /* 2 * [[58,64],[139,154]] + 0.5 * [[1,2],[3,4]] */
    const float want[6] = {116.5f, 129.0f, kSentinel, 279.5f, 310.0f, kSentinel};
    ASSERT_FLOATS_NEAR(c, want, 6, 0.0);
}

TEST(dgemm_2x3_by_3x2_by_hand_all_transposes) {
    const double a[6] = {1, 2, 3, 4, 5, 6}, at[6] = {1, 4, 2, 5, 3, 6};
    const double b[6] = {7, 8, 9, 10, 11, 12}, bt[6] = {7, 9, 11, 8, 10, 12};
    const double want[4] = {58, 64, 139, 154};
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        double c1[4] = {0}, c2[4] = {0}, c3[4] = {0};
        fedc_dgemm(ta, tb, 2, 2, 3, 1.0, ta ? at : a, ta ? 2 : 3, tb ? bt : b, tb ? 3 : 2, 0.0, c1,
                   2);
        fedc__ref_dgemm(ta, tb, 2, 2, 3, 1.0, ta ? at : a, ta ? 2 : 3, tb ? bt : b, tb ? 3 : 2, 0.0,
                        c2, 2);
        fedc__opt_dgemm(ta, tb, 2, 2, 3, 1.0, ta ? at : a, ta ? 2 : 3, tb ? bt : b, tb ? 3 : 2, 0.0,
                        c3, 2);
        for (int i = 0; i < 4; i++) {
            ASSERT_EQ(c1[i], want[i]);
            ASSERT_EQ(c2[i], want[i]);
            ASSERT_EQ(c3[i], want[i]);
        }
    }
}

/* ---- BLAS corner cases ---------------------------------------------------------------------- */

TEST(sgemm_beta_zero_overwrites_nan_in_c) {
    sgemm_fn fns[3] = {fedc_sgemm, fedc__ref_sgemm, fedc__opt_sgemm};
    for (int f = 0; f < 3; f++) {
        for (int t = 0; t < 4; t++) {
            bool ta = t & 1, tb = t & 2;
            float c[4] = {NAN, NAN, INFINITY, NAN};
            fns[f](ta, tb, 2, 2, 3, 1.0f, ta ? kAt : kA, ta ? 2 : 3, tb ? kBt : kB, tb ? 3 : 2,
                   0.0f, c, 2);
            ASSERT_FLOATS_NEAR(c, kAB, 4, 0.0);
        }
        /* also when k == 0 and when alpha == 0: C becomes exactly 0 */
        float c[4] = {NAN, NAN, NAN, NAN}, zero[4] = {0, 0, 0, 0};
        fns[f](false, false, 2, 2, 0, 1.0f, kA, 0, kB, 2, 0.0f, c, 2);
        ASSERT_FLOATS_NEAR(c, zero, 4, 0.0);
        float d[4] = {NAN, NAN, NAN, NAN};
        fns[f](false, false, 2, 2, 3, 0.0f, kA, 3, kB, 2, 0.0f, d, 2);
        ASSERT_FLOATS_NEAR(d, zero, 4, 0.0);
    }
}

TEST(sgemm_zero_sizes_touch_nothing_and_k0_scales_c) {
    sgemm_fn fns[3] = {fedc_sgemm, fedc__ref_sgemm, fedc__opt_sgemm};
    for (int f = 0; f < 3; f++) {
        float c[4] = {1, 2, 3, 4};
        const float same[4] = {1, 2, 3, 4};
        fns[f](false, false, 0, 2, 3, 1.0f, NULL, 3, kB, 2, 0.0f, c, 2);
        fns[f](false, true, 2, 0, 3, 1.0f, kA, 3, NULL, 3, 0.0f, c, 0);
        fns[f](true, true, 0, 0, 0, 1.0f, NULL, 0, NULL, 0, 0.0f, NULL, 0);
        ASSERT_FLOATS_NEAR(c, same, 4, 0.0);
        /* k == 0: C = beta * C, A and B never read */
        fns[f](true, false, 2, 2, 0, 1.0f, NULL, 2, NULL, 2, -2.0f, c, 2);
        const float scaled[4] = {-2, -4, -6, -8};
        ASSERT_FLOATS_NEAR(c, scaled, 4, 0.0);
    }
}

TEST(sgemm_alpha_zero_reads_neither_a_nor_b) {
    /* As in BLAS: alpha == 0 means C = beta * C; a NaN in A or B does not reach C. */
    const float a[6] = {NAN, 2, 3, 4, 5, INFINITY};
    sgemm_fn fns[3] = {fedc_sgemm, fedc__ref_sgemm, fedc__opt_sgemm};
    for (int f = 0; f < 3; f++) {
        float c[4] = {1, 2, 3, 4};
        fns[f](false, false, 2, 2, 3, 0.0f, a, 3, kB, 2, 0.5f, c, 2);
        const float want[4] = {0.5f, 1.0f, 1.5f, 2.0f};
        ASSERT_FLOATS_NEAR(c, want, 4, 0.0);
    }
}

/* ---- twins: opt against ref ----------------------------------------------------------------- */

typedef enum { VALUES_DYADIC, VALUES_UNIFORM } values;

/* One case of the twin sweep: random A, B, C with padded leading dimensions; C's gaps hold a
 * sentinel and, when beta == 0, C holds NaN. Runs ref and opt and compares them and the gaps. */
static void sgemm_twin_case(fedc_rng *r, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                            float alpha, float beta, values kind, double tol) {
    int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
    int64_t lda = a_cols + (int64_t)fedc_rng_below(r, 3);
    int64_t ldb = b_cols + (int64_t)fedc_rng_below(r, 3);
    int64_t ldc = n + (int64_t)fedc_rng_below(r, 3);
    float *a = xcalloc(a_rows * lda, sizeof *a), *b = xcalloc(b_rows * ldb, sizeof *b);
    float *c_ref = xcalloc(m * ldc, sizeof *c_ref), *c_opt = xcalloc(m * ldc, sizeof *c_opt);
    /* Inputs scaled by 1/sqrt(k) (uniform case) keep sums near 1, where 1e-5 is a meaningful
     * tolerance for float rounding. */
    float scale = kind == VALUES_UNIFORM && k > 1 ? 1.0f / sqrtf((float)k) : 1.0f;
    for (int64_t i = 0; i < a_rows * lda; i++)
        a[i] = kind == VALUES_DYADIC ? dyadic(r) : uniform(r) * scale;
    for (int64_t i = 0; i < b_rows * ldb; i++)
        b[i] = kind == VALUES_DYADIC ? dyadic(r) : uniform(r);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float v = j >= n                  ? kSentinel
                      : beta == 0             ? NAN
                      : kind == VALUES_DYADIC ? dyadic(r)
                                              : uniform(r);
            c_ref[i * ldc + j] = c_opt[i * ldc + j] = v;
        }
    fedc__ref_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_ref, ldc);
    fedc__opt_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_opt, ldc);
    int64_t bad = first_diff(c_opt, c_ref, m * ldc, tol);
    if (bad >= 0)
        FAIL("sgemm ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g lda=%lld ldb=%lld "
             "ldc=%lld: C[%lld][%lld] opt %.9g, ref %.9g",
             ta, tb, (long long)m, (long long)n, (long long)k, alpha, beta, (long long)lda,
             (long long)ldb, (long long)ldc, (long long)(bad / ldc), (long long)(bad % ldc),
             c_opt[bad], c_ref[bad]);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldc; j++)
            if (c_opt[i * ldc + j] != kSentinel || c_ref[i * ldc + j] != kSentinel)
                FAIL("sgemm m=%lld n=%lld ldc=%lld wrote into the gap at C[%lld][%lld]",
                     (long long)m, (long long)n, (long long)ldc, (long long)i, (long long)j);
    free(a);
    free(b);
    free(c_ref);
    free(c_opt);
}

TEST(sgemm_twins_agree_exactly_on_dyadic_inputs) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 1, FEDC_RNG_PURPOSE_TEST);
    int cases = 0;
    for (int t = 0; t < 4; t++)
        for (int im = 0; im < NDIMS; im++)
            for (int in = 0; in < NDIMS; in++)
                for (int ik = 0; ik < NDIMS; ik++, cases++) {
                    const float *s = kScalars[cases % NSCALARS];
                    sgemm_twin_case(&r, t & 1, t & 2, kDims[im], kDims[in], kDims[ik], s[0], s[1],
                                    VALUES_DYADIC, 0.0);
                }
    ASSERT_EQ(cases, 4 * NDIMS * NDIMS * NDIMS);
}

/* The no-BLAS kernel accumulates k in order within slabs of 256 and scales like the reference,
 * so for k <= 256 it must match the reference bit for bit even on inputs that round; OpenBLAS
 * (fused multiply-adds, its own blocking) agrees to 1e-5. */
#ifdef FEDC_HAVE_OPENBLAS
static const double kUniformTol = 1e-5;
#else
static const double kUniformTol = 0.0;
#endif

TEST(sgemm_twins_agree_to_1e5_on_uniform_inputs) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 2, FEDC_RNG_PURPOSE_TEST);
    int cases = 0;
    for (int t = 0; t < 4; t++)
        for (int im = 0; im < NDIMS; im++)
            for (int in = 0; in < NDIMS; in++)
                for (int ik = 0; ik < NDIMS; ik++, cases++) {
                    const float *s = kScalars[(cases * 3) % NSCALARS];
                    sgemm_twin_case(&r, t & 1, t & 2, kDims[im], kDims[in], kDims[ik], s[0], s[1],
                                    VALUES_UNIFORM, kUniformTol);
                }
}

TEST(sgemm_twins_agree_beyond_one_block) {
    /* Deeper than a k slab, taller than an A block, wider than a B block, in both orientations
     * (the no-BLAS kernel swaps the operands when n < m); and an LSTM's per-step products of 4
     * rows, which the OpenBLAS build takes row by row, next to 5 rows, which it does not. */
    static const int64_t shapes[][3] = {{130, 150, 600}, {5, 3100, 300}, {3100, 5, 7},
                                        {97, 13, 1030},  {20, 3100, 40}, {3100, 20, 20},
                                        {4, 1030, 260},  {4, 260, 1030}, {5, 260, 1030}};
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 3, FEDC_RNG_PURPOSE_TEST);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            const float *ab = kScalars[(s + (size_t)t) % NSCALARS];
            sgemm_twin_case(&r, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], ab[0],
                            ab[1], VALUES_UNIFORM, 1e-5);
            sgemm_twin_case(&r, t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], ab[0],
                            ab[1], VALUES_DYADIC, 0.0);
        }
}

static void dgemm_twin_case(fedc_rng *r, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                            double alpha, double beta, values kind, double tol) {
    int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
    int64_t lda = a_cols + (int64_t)fedc_rng_below(r, 3);
    int64_t ldb = b_cols + (int64_t)fedc_rng_below(r, 3);
    int64_t ldc = n + (int64_t)fedc_rng_below(r, 3);
    double *a = xcalloc(a_rows * lda, sizeof *a), *b = xcalloc(b_rows * ldb, sizeof *b);
    double *c_ref = xcalloc(m * ldc, sizeof *c_ref), *c_opt = xcalloc(m * ldc, sizeof *c_opt);
    for (int64_t i = 0; i < a_rows * lda; i++)
        a[i] = kind == VALUES_DYADIC ? dyadic(r) : fedc_rng_uniform_double(r) * 2 - 1;
    for (int64_t i = 0; i < b_rows * ldb; i++)
        b[i] = kind == VALUES_DYADIC ? dyadic(r) : fedc_rng_uniform_double(r) * 2 - 1;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            double v = j >= n ? kSentinel : beta == 0 ? NAN : dyadic(r);
            c_ref[i * ldc + j] = c_opt[i * ldc + j] = v;
        }
    fedc__ref_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_ref, ldc);
    fedc__opt_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_opt, ldc);
    int64_t bad = first_diff_d(c_opt, c_ref, m * ldc, tol);
    if (bad >= 0)
        FAIL("dgemm ta=%d tb=%d m=%lld n=%lld k=%lld alpha=%g beta=%g: C[%lld][%lld] opt %.17g, "
             "ref %.17g",
             ta, tb, (long long)m, (long long)n, (long long)k, alpha, beta, (long long)(bad / ldc),
             (long long)(bad % ldc), c_opt[bad], c_ref[bad]);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldc; j++)
            ASSERT_EQ(c_opt[i * ldc + j], (double)kSentinel);
    free(a);
    free(b);
    free(c_ref);
    free(c_opt);
}

TEST(dgemm_twins_agree_on_dyadic_and_uniform_inputs) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 4, FEDC_RNG_PURPOSE_TEST);
    int cases = 0;
    for (int t = 0; t < 4; t++)
        for (int im = 0; im < NDIMS; im++)
            for (int in = 0; in < NDIMS; in++)
                for (int ik = 0; ik < NDIMS; ik++, cases++) {
                    const float *s = kScalars[cases % NSCALARS];
                    dgemm_twin_case(&r, t & 1, t & 2, kDims[im], kDims[in], kDims[ik], s[0], s[1],
                                    cases % 2 ? VALUES_DYADIC : VALUES_UNIFORM,
                                    cases % 2 ? 0.0 : 1e-12);
                }
    dgemm_twin_case(&r, false, true, 70, 600, 300, 1.0, 0.0, VALUES_UNIFORM, 1e-12);
    dgemm_twin_case(&r, true, false, 600, 70, 300, -0.5, 1.5, VALUES_DYADIC, 0.0);
}

/* ---- determinism across threads ------------------------------------------------------------- */

enum { NJOBS = 8, JM = 67, JN = 45, JK = 300 };

typedef struct gemm_jobs {
    const float *a, *b;
    float *c; /* NJOBS results of JM x JN */
} gemm_jobs;

static void run_job(void *arg, int64_t index, int worker) {
    (void)worker;
    gemm_jobs *j = arg;
    fedc_sgemm(index % 2, false, JM, JN, JK, 1.0f, j->a, index % 2 ? JM : JK, j->b, JN, 0.0f,
               j->c + index * JM * JN, JN);
}

TEST(sgemm_gives_the_same_bits_on_any_thread) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 5, FEDC_RNG_PURPOSE_TEST);
    float *a = xcalloc(JM * JK, sizeof *a), *b = xcalloc(JK * JN, sizeof *b);
    float *serial = xcalloc(NJOBS * JM * JN, sizeof *serial);
    float *threaded = xcalloc(NJOBS * JM * JN, sizeof *threaded);
    for (int64_t i = 0; i < JM * JK; i++)
        a[i] = uniform(&r);
    for (int64_t i = 0; i < JK * JN; i++)
        b[i] = uniform(&r);
    gemm_jobs js = {a, b, serial};
    fedc_pool_parallel_for(NULL, NJOBS, run_job, &js);
    fedc_pool *pool = NULL;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    gemm_jobs jt = {a, b, threaded};
    fedc_pool_parallel_for(pool, NJOBS, run_job, &jt);
    fedc_pool_destroy(pool);
    ASSERT_EQ(memcmp(serial, threaded, sizeof(float) * NJOBS * JM * JN), 0);
    free(a);
    free(b);
    free(serial);
    free(threaded);
}

TEST(sgemm_without_memory_gives_the_same_bits) {
    /* The no-BLAS kernel packs into heap buffers and falls back to stack buffers when the
     * allocator fails; the k slabs are the same, so the bits must be too. */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 6, FEDC_RNG_PURPOSE_TEST);
    enum { M = 37, N = 150, K = 700 };
    float *a = xcalloc(K * M, sizeof *a), *b = xcalloc(N * K, sizeof *b);
    float *c1 = xcalloc(M * N, sizeof *c1), *c2 = xcalloc(M * N, sizeof *c2);
    for (int64_t i = 0; i < K * M; i++)
        a[i] = uniform(&r);
    for (int64_t i = 0; i < N * K; i++)
        b[i] = uniform(&r);
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        int64_t lda = ta ? M : K, ldb = tb ? K : N;
        fedc__opt_sgemm(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c1, N);
        fedc_test_alloc_begin(1, true);
        fedc__opt_sgemm(ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c2, N);
#ifndef FEDC_HAVE_OPENBLAS
        ASSERT_TRUE(fedc_test_alloc_failed()); /* the fallback did run */
#endif
        fedc_test_alloc_end();
        ASSERT_EQ(memcmp(c1, c2, sizeof(float) * M * N), 0);
        /* and the transposed problem (n < m swaps the operands inside) */
        fedc__opt_sgemm(!tb, !ta, N, M, K, 1.0f, b, ldb, a, lda, 0.0f, c1, M);
        fedc_test_alloc_begin(1, true);
        fedc__opt_sgemm(!tb, !ta, N, M, K, 1.0f, b, ldb, a, lda, 0.0f, c2, M);
        fedc_test_alloc_end();
        ASSERT_EQ(memcmp(c1, c2, sizeof(float) * M * N), 0);
    }
    free(a);
    free(b);
    free(c1);
    free(c2);
}

TEST(dgemm_without_memory_gives_the_same_bits) {
    /* The no-BLAS dgemm packs op(B) when it can and reads it in place when it cannot: the same
     * operations in the same order. */
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 7, FEDC_RNG_PURPOSE_TEST);
    enum { M = 19, N = 530, K = 150 };
    double *a = xcalloc(K * M, sizeof *a), *b = xcalloc(N * K, sizeof *b);
    double *c1 = xcalloc(M * N, sizeof *c1), *c2 = xcalloc(M * N, sizeof *c2);
    for (int64_t i = 0; i < K * M; i++)
        a[i] = fedc_rng_uniform_double(&r) - 0.5;
    for (int64_t i = 0; i < N * K; i++)
        b[i] = fedc_rng_uniform_double(&r) - 0.5;
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        int64_t lda = ta ? M : K, ldb = tb ? K : N;
        for (int64_t i = 0; i < M * N; i++)
            c1[i] = c2[i] = (double)i;
        fedc__opt_dgemm(ta, tb, M, N, K, 0.5, a, lda, b, ldb, -1.5, c1, N);
        fedc_test_alloc_begin(1, true);
        fedc__opt_dgemm(ta, tb, M, N, K, 0.5, a, lda, b, ldb, -1.5, c2, N);
#ifndef FEDC_HAVE_OPENBLAS
        ASSERT_TRUE(fedc_test_alloc_failed());
#endif
        fedc_test_alloc_end();
        ASSERT_EQ(memcmp(c1, c2, sizeof(double) * M * N), 0);
    }
    free(a);
    free(b);
    free(c1);
    free(c2);
}

/* ---- fedc_tensor_matmul --------------------------------------------------------------------- */

TEST(matmul_by_hand_float32_and_float64_with_transposes) {
    for (int d = 0; d < 2; d++) {
        fedc_dtype dt = d ? FEDC_DTYPE_FLOAT64 : FEDC_DTYPE_FLOAT32;
        for (int t = 0; t < 4; t++) {
            bool ta = t & 1, tb = t & 2;
            fedc_tensor a, b, out;
            fedc_shape sa = ta ? FEDC_SHAPE(3, 2) : FEDC_SHAPE(2, 3);
            fedc_shape sb = tb ? FEDC_SHAPE(2, 3) : FEDC_SHAPE(3, 2);
            fedc_shape so = FEDC_SHAPE(2, 2);
            ASSERT_OK(fedc_tensor_alloc(ctx, &a, dt, &sa));
            ASSERT_OK(fedc_tensor_alloc(ctx, &b, dt, &sb));
            ASSERT_OK(fedc_tensor_alloc(ctx, &out, dt, &so));
            for (int i = 0; i < 6; i++) {
                fedc_tensor_set_flat(&a, i, (ta ? kAt : kA)[i]);
                fedc_tensor_set_flat(&b, i, (tb ? kBt : kB)[i]);
            }
            fedc_tensor_fill(&out, NAN);
            ASSERT_OK(fedc_tensor_matmul(ctx, &a, ta, &b, tb, &out));
            for (int i = 0; i < 4; i++)
                ASSERT_EQ(fedc_tensor_get_flat(&out, i), (double)kAB[i]);
            fedc_tensor_free(&a);
            fedc_tensor_free(&b);
            fedc_tensor_free(&out);
        }
    }
}

TEST(matmul_accepts_row_slices_and_transposed_views) {
    /* a: columns 1..3 of a 2x5 matrix (unit inner stride, row stride 5); b: the transpose of a
     * contiguous 2x3 (strides [1, 3]) passed without transpose_b. */
    float abuf[10] = {-9, 1, 2, 3, -9, -9, 4, 5, 6, -9};
    float bbuf[6] = {7, 9, 11, 8, 10, 12};
    fedc_shape s25 = FEDC_SHAPE(2, 5), s23 = FEDC_SHAPE(2, 3), s22 = FEDC_SHAPE(2, 2);
    fedc_tensor wide = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s25, abuf), a, bt, b, out;
    ASSERT_OK(fedc_tensor_slice(ctx, &wide, 1, 1, 4, &a));
    ASSERT_FALSE(fedc_tensor_is_contiguous(&a));
    bt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s23, bbuf);
    const int perm[2] = {1, 0};
    ASSERT_OK(fedc_tensor_permute(ctx, &bt, perm, &b));
    ASSERT_OK(fedc_tensor_alloc(ctx, &out, FEDC_DTYPE_FLOAT32, &s22));
    ASSERT_OK(fedc_tensor_matmul(ctx, &a, false, &b, false, &out));
    ASSERT_FLOATS_NEAR((const float *)out.data, kAB, 4, 0.0);
    /* the transposed view transposed back: a @ bt^T with transpose_b, same answer */
    fedc_tensor_fill(&out, 0.0);
    ASSERT_OK(fedc_tensor_matmul(ctx, &a, false, &bt, true, &out));
    ASSERT_FLOATS_NEAR((const float *)out.data, kAB, 4, 0.0);
    fedc_tensor_free(&out);
}

TEST(matmul_handles_empty_operands) {
    fedc_shape s20 = FEDC_SHAPE(2, 0), s03 = FEDC_SHAPE(0, 3), s23 = FEDC_SHAPE(2, 3);
    fedc_tensor a, b, out;
    ASSERT_OK(fedc_tensor_alloc(ctx, &a, FEDC_DTYPE_FLOAT32, &s20));
    ASSERT_OK(fedc_tensor_alloc(ctx, &b, FEDC_DTYPE_FLOAT32, &s03));
    ASSERT_OK(fedc_tensor_alloc(ctx, &out, FEDC_DTYPE_FLOAT32, &s23));
    fedc_tensor_fill(&out, NAN);
    ASSERT_OK(fedc_tensor_matmul(ctx, &a, false, &b, false, &out));
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(fedc_tensor_get_flat(&out, i), 0.0);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
}

TEST(matmul_errors_name_both_shapes_and_the_flags) {
    fedc_shape s23 = FEDC_SHAPE(2, 3), s42 = FEDC_SHAPE(4, 2), s22 = FEDC_SHAPE(2, 2);
    fedc_shape s33 = FEDC_SHAPE(3, 3), s3 = FEDC_SHAPE(3), s32 = FEDC_SHAPE(3, 2);
    fedc_tensor a, b, out, i32, f64, v, bad_out, b32;
    ASSERT_OK(fedc_tensor_alloc(ctx, &a, FEDC_DTYPE_FLOAT32, &s23));
    ASSERT_OK(fedc_tensor_alloc(ctx, &b, FEDC_DTYPE_FLOAT32, &s42));
    ASSERT_OK(fedc_tensor_alloc(ctx, &b32, FEDC_DTYPE_FLOAT32, &s32));
    ASSERT_OK(fedc_tensor_alloc(ctx, &out, FEDC_DTYPE_FLOAT32, &s22));
    ASSERT_OK(fedc_tensor_alloc(ctx, &bad_out, FEDC_DTYPE_FLOAT32, &s33));
    ASSERT_OK(fedc_tensor_alloc(ctx, &i32, FEDC_DTYPE_INT32, &s32));
    ASSERT_OK(fedc_tensor_alloc(ctx, &f64, FEDC_DTYPE_FLOAT64, &s32));
    ASSERT_OK(fedc_tensor_alloc(ctx, &v, FEDC_DTYPE_FLOAT32, &s3));

    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, false, &b, true, &out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[4,2]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "transpose_a=false");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "transpose_b=true");

    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, true, &b32, false, &out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "transpose_a=true");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3,2]");

    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, false, &b32, false, &bad_out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "out is [3,3], expected [2,2]");

    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, false, &i32, false, &out), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, false, &f64, false, &out), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "float64");
    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a, false, &v, false, &out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "rank 2");

    /* out aliasing an operand */
    fedc_tensor a22;
    ASSERT_OK(fedc_tensor_slice(ctx, &bad_out, 0, 0, 2, &a22));
    ASSERT_OK(fedc_tensor_slice(ctx, &a22, 1, 0, 2, &a22));
    fedc_tensor alias = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s22, bad_out.data);
    ASSERT_STATUS(fedc_tensor_matmul(ctx, &a22, false, &out, false, &alias),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "overlaps");

    /* strided along both axes: every other row and column of a 3x3 */
    float buf9[9] = {1, 0, 2, 0, 0, 0, 3, 0, 4}, id[4] = {1, 0, 0, 1}, res[4];
    fedc_tensor sub = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s22, buf9);
    fedc_tensor eye = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s22, id);
    fedc_tensor res_t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s22, res);
    sub.strides[0] = 6;
    sub.strides[1] = 2;
    ASSERT_STATUS(fedc_tensor_matmul(ctx, &sub, false, &eye, false, &res_t),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "clone");

    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&b32);
    fedc_tensor_free(&out);
    fedc_tensor_free(&bad_out);
    fedc_tensor_free(&i32);
    fedc_tensor_free(&f64);
    fedc_tensor_free(&v);
}
