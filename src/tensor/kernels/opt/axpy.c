/* opt/axpy.c — optimized saxpy: y += alpha * x as a loop the compiler vectorizes.
 *
 * Must stay bit-identical to ref/axpy.c: the same product-then-sum per element (no fused
 * multiply-add: the build passes -ffp-contract=off), only done several lanes at a time. */
#include "tensor/kernels/kernels.h"

/* x and y distinct: restrict lets the compiler skip its runtime overlap check. */
static void saxpy_distinct(int64_t n, float alpha, const float *restrict x, float *restrict y) {
    for (int64_t i = 0; i < n; i++)
        y[i] = y[i] + alpha * x[i];
}

void fedc__opt_saxpy(int64_t n, float alpha, const float *x, float *y) {
    if (x == y) {
        /* y += alpha * y: legal, but it breaks restrict's promise, so no restrict here */
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] + alpha * y[i];
        return;
    }
    saxpy_distinct(n, alpha, x, y);
}
