/* ref/gemm.c — the reference sgemm and dgemm: naive triple loops, the oracle the optimized twins
 * are tested against.
 *
 * Must stay plain: one accumulator per element of C in the element type, k visited in order, no
 * blocking, no BLAS, no reassociation. Speed is not a goal here; being obviously right is.
 */
#include <assert.h>

#include "tensor/kernels/kernels.h"

/* Follows the BLAS conventions the optimized twin inherits from OpenBLAS: with alpha == 0 or
 * k == 0 A and B are not read (C = beta * C), and beta == 0 overwrites C without reading it, so a
 * NaN left in an uninitialized output never leaks into the result. */
#define REF_GEMM_BODY(T)                                                                           \
    assert(m >= 0 && n >= 0 && k >= 0);                                                            \
    assert(ldc >= n || m == 0);                                                                    \
    for (int64_t i = 0; i < m; i++) {                                                              \
        for (int64_t j = 0; j < n; j++) {                                                          \
            T acc = 0;                                                                             \
            if (alpha != 0) {                                                                      \
                for (int64_t p = 0; p < k; p++) {                                                  \
                    T av = transpose_a ? a[p * lda + i] : a[i * lda + p];                          \
                    T bv = transpose_b ? b[j * ldb + p] : b[p * ldb + j];                          \
                    acc += av * bv;                                                                \
                }                                                                                  \
            }                                                                                      \
            T *cij = &c[i * ldc + j];                                                              \
            if (beta == 0)                                                                         \
                *cij = alpha != 0 ? alpha * acc : (T)0;                                            \
            else if (alpha != 0)                                                                   \
                *cij = beta * *cij + alpha * acc;                                                  \
            else                                                                                   \
                *cij = beta * *cij;                                                                \
        }                                                                                          \
    }

void fedc__ref_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc) {
    REF_GEMM_BODY(float)
}

void fedc__ref_dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                     double beta, double *c, int64_t ldc) {
    REF_GEMM_BODY(double)
}
