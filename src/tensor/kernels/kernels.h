/* kernels.h — the twin kernel sets of the tensor layer (private to src/tensor and its tests).
 *
 * Every kernel is declared twice with one signature: fedc__ref_NAME (plain loops, compiled with
 * -ffp-contract=off: the oracle) and fedc__opt_NAME (BLAS / blocked / vectorizable loops). The
 * public functions in dispatch.c call one set, chosen at build time; tests call both and compare.
 * Tensor-level kernels receive arguments already validated by the public wrappers (dtypes,
 * shapes, out allocated), so they never fail.
 */
#ifndef FEDC_TENSOR_KERNELS_H
#define FEDC_TENSOR_KERNELS_H

#include "fedc/tensor.h"

#define FEDC__KERNEL_DECLS(P)                                                                      \
    void P##sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,             \
                  float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,           \
                  float beta, float *c, int64_t ldc);                                              \
    void P##dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,             \
                  double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,        \
                  double beta, double *c, int64_t ldc);                                            \
    void P##saxpy(int64_t n, float alpha, const float *x, float *y);                               \
    void P##softmax_rows(int64_t rows, int64_t cols, const float *x, float *y);                    \
    void P##log_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y);                \
    void P##transpose_f32(int64_t rows, int64_t cols, const float *x, float *y);                   \
    void P##im2col(const fedc_conv2d_geom *g, const float *x, float *cols);                        \
    void P##col2im(const fedc_conv2d_geom *g, const float *cols, float *dx);                       \
    void P##maxpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y);                \
    void P##maxpool2d_backward(const fedc_conv2d_geom *g, const float *x, const float *dy,         \
                               float *dx);                                                         \
    void P##avgpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y);                \
    void P##avgpool2d_backward(const fedc_conv2d_geom *g, const float *dy, float *dx);             \
    /* tensor-level: validated by the caller; out has the result's shape and dtype */              \
    void P##binary(fedc_binary_op op, const fedc_tensor *a, const fedc_tensor *b,                  \
                   fedc_tensor *out);                                                              \
    void P##unary(fedc_unary_op op, const fedc_tensor *a, fedc_tensor *out);                       \
    void P##reduce(fedc_reduce_op op, const fedc_tensor *a, uint32_t axes_mask,                    \
                   fedc_tensor *out_keepdims);                                                     \
    void P##softmax(const fedc_tensor *a, fedc_tensor *out, bool log_out);                         \
    void P##copy(fedc_tensor *dst, const fedc_tensor *src);

FEDC__KERNEL_DECLS(fedc__ref_)
FEDC__KERNEL_DECLS(fedc__opt_)

/* The set the public API calls. */
#ifdef FEDC_KERNELS_REF
#define FEDC__KERNEL(name) fedc__ref_##name
#else
#define FEDC__KERNEL(name) fedc__opt_##name
#endif

#endif /* FEDC_TENSOR_KERNELS_H */
