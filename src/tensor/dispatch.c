/* dispatch.c — the public raw float kernels, forwarding to the set chosen at build time
 * (kernels.h). Holds no arithmetic of its own; arguments are asserted, not reported, as the
 * header promises callers that validated their shapes once. */
#include <assert.h>

#include "tensor/kernels/kernels.h"

const char *fedc_kernels_name(void) {
#if defined(FEDC_KERNELS_REF)
    return "ref";
#elif defined(FEDC_HAVE_OPENBLAS)
    return "opt+openblas";
#else
    return "opt";
#endif
}

void fedc_saxpy(int64_t n, float alpha, const float *x, float *y) {
    assert(n >= 0 && (n == 0 || (x && y)));
    FEDC__KERNEL(saxpy)(n, alpha, x, y);
}

void fedc_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    assert(rows >= 0 && cols >= 0 && (rows * cols == 0 || (x && y)));
    FEDC__KERNEL(softmax_rows)(rows, cols, x, y);
}

void fedc_log_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    assert(rows >= 0 && cols >= 0 && (rows * cols == 0 || (x && y)));
    FEDC__KERNEL(log_softmax_rows)(rows, cols, x, y);
}

void fedc_transpose_f32(int64_t rows, int64_t cols, const float *x, float *y) {
    assert(rows >= 0 && cols >= 0 && (rows * cols == 0 || (x && y && x != y)));
    FEDC__KERNEL(transpose_f32)(rows, cols, x, y);
}
