/* gemm.c — the public matrix products: fedc_sgemm / fedc_dgemm (unchecked, forward to the kernel
 * set chosen at build time) and fedc_tensor_matmul (checked, on rank-2 tensors).
 *
 * No arithmetic here: everything numeric is in kernels/{ref,opt}/gemm.c. matmul must never run a
 * product on memory it has not validated (dtypes, shapes, strides, overlap with out).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>

#include "tensor/kernels/kernels.h"

void fedc_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc) {
    assert(m >= 0 && n >= 0 && k >= 0);
    assert(m == 0 || n == 0 || ldc >= n);
    assert(m == 0 || k == 0 || lda >= (transpose_a ? m : k));
    assert(n == 0 || k == 0 || ldb >= (transpose_b ? k : n));
    FEDC__KERNEL(sgemm)(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void fedc_dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
                const double *a, int64_t lda, const double *b, int64_t ldb, double beta, double *c,
                int64_t ldc) {
    assert(m >= 0 && n >= 0 && k >= 0);
    assert(m == 0 || n == 0 || ldc >= n);
    assert(m == 0 || k == 0 || lda >= (transpose_a ? m : k));
    assert(n == 0 || k == 0 || ldb >= (transpose_b ? k : n));
    FEDC__KERNEL(dgemm)(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* A rank-2 operand as gemm sees it: the stored matrix is rows x cols with row stride ld, and
 * `flip` says the tensor is the transpose of that storage (a permuted view). */
typedef struct operand {
    int64_t ld;
    bool flip;
} operand;

/* Describes t as a row-major matrix with unit inner stride, or its transpose; false when its
 * strides fit neither (the caller reports it). */
static bool as_operand(const fedc_tensor *t, operand *op) {
    int64_t rows = t->shape.dims[0], cols = t->shape.dims[1];
    if (fedc_tensor_is_contiguous(t)) {
        *op = (operand){cols > 0 ? cols : 1, false};
        return true;
    }
    /* Strides along a dimension of size 1 never matter; treat them as ideal. */
    int64_t s0 = rows == 1 ? (cols > 0 ? cols : 1) : t->strides[0];
    int64_t s1 = cols == 1 ? 1 : t->strides[1];
    if (s1 == 1 && s0 >= cols && s0 > 0) {
        *op = (operand){s0, false};
        return true;
    }
    s0 = rows == 1 ? 1 : t->strides[0];
    s1 = cols == 1 ? (rows > 0 ? rows : 1) : t->strides[1];
    if (s0 == 1 && s1 >= rows && s1 > 0) {
        *op = (operand){s1, true};
        return true;
    }
    return false;
}

/* [lo, hi) byte range that t's elements may occupy (its strides are non-negative). */
static void byte_range(const fedc_tensor *t, uintptr_t *lo, uintptr_t *hi) {
    size_t size = fedc_dtype_size(t->dtype);
    uintptr_t start = (uintptr_t)t->data, extent = size;
    for (int i = 0; i < t->shape.rank; i++) {
        if (t->shape.dims[i] == 0) {
            *lo = *hi = start;
            return;
        }
        extent += (uintptr_t)((t->shape.dims[i] - 1) * t->strides[i]) * size;
    }
    *lo = start;
    *hi = start + extent;
}

static bool overlaps(const fedc_tensor *x, const fedc_tensor *y) {
    uintptr_t xl, xh, yl, yh;
    byte_range(x, &xl, &xh);
    byte_range(y, &yl, &yh);
    return xl < xh && yl < yh && xl < yh && yl < xh;
}

fedc_status fedc_tensor_matmul(fedc_ctx *ctx, const fedc_tensor *a, bool transpose_a,
                               const fedc_tensor *b, bool transpose_b, fedc_tensor *out) {
    assert(a != NULL && b != NULL && out != NULL);
    char as[128], bs[128], os[128], what[400];
    fedc_shape_format(&a->shape, as, sizeof as);
    fedc_shape_format(&b->shape, bs, sizeof bs);
    fedc_shape_format(&out->shape, os, sizeof os);
    snprintf(what, sizeof what, "matmul of a %s%s (transpose_a=%s) and b %s%s (transpose_b=%s)",
             fedc_dtype_name(a->dtype), as, transpose_a ? "true" : "false",
             fedc_dtype_name(b->dtype), bs, transpose_b ? "true" : "false");

    if (!fedc_dtype_is_float(a->dtype) || a->dtype != b->dtype)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "%s: operands must both be float32 or both float64", what);
    if (out->dtype != a->dtype)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: out is %s, expected %s", what,
                               fedc_dtype_name(out->dtype), fedc_dtype_name(a->dtype));
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: operands must have rank 2", what);

    int64_t m = transpose_a ? a->shape.dims[1] : a->shape.dims[0];
    int64_t k = transpose_a ? a->shape.dims[0] : a->shape.dims[1];
    int64_t kb = transpose_b ? b->shape.dims[1] : b->shape.dims[0];
    int64_t n = transpose_b ? b->shape.dims[0] : b->shape.dims[1];
    if (k != kb)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: inner dimensions differ (%lld vs %lld)",
                               what, (long long)k, (long long)kb);
    fedc_shape want = FEDC_SHAPE(m, n);
    if (!fedc_shape_equal(&out->shape, &want)) {
        char ws[128];
        fedc_shape_format(&want, ws, sizeof ws);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: out is %s, expected %s", what, os, ws);
    }
    if (!fedc_tensor_is_contiguous(out))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "%s: out %s must be contiguous", what,
                               os);
    operand oa, ob;
    if (!as_operand(a, &oa) || !as_operand(b, &ob))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: an operand is strided along both axes; clone it first", what);
    if (m > 0 && n > 0 && (overlaps(out, a) || overlaps(out, b)))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: out %s overlaps an operand",
                               what, os);
    /* gemm's int64 sizes are asserted; every dimension here is a tensor dimension, so
     * non-negative and addressable. */
    bool ta = transpose_a != oa.flip, tb = transpose_b != ob.flip;
    int64_t ldc = n > 0 ? n : 1;
    if (a->dtype == FEDC_DTYPE_FLOAT32)
        fedc_sgemm(ta, tb, m, n, k, 1.0f, a->data, oa.ld, b->data, ob.ld, 0.0f, out->data, ldc);
    else
        fedc_dgemm(ta, tb, m, n, k, 1.0, a->data, oa.ld, b->data, ob.ld, 0.0, out->data, ldc);
    return FEDC_STATUS_OK;
}
