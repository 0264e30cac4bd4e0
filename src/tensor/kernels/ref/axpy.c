/* ref/axpy.c — reference saxpy: y += alpha * x, one element at a time.
 *
 * The product is rounded before the sum (the build passes -ffp-contract=off), which the
 * optimized twin matches exactly; no fused multiply-add here. */
#include "tensor/kernels/kernels.h"

void fedc__ref_saxpy(int64_t n, float alpha, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] + alpha * x[i];
}
