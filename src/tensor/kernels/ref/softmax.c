/* ref/softmax.c — reference softmax and log-softmax along the last axis: the tensor kernel
 * (float32 and float64, any strides) and the raw float32 row kernels.
 *
 * The oracle for opt/softmax.c. Per row: m = max, e_i = exp(x_i - m) in the element type,
 * s = sum of e_i in double in index order, then y_i = e_i / s (in double, rounded once) or
 * y_i = (x_i - m) - log(s). Subtracting the maximum keeps exp from overflowing. The tensor
 * kernel and the row kernels share one row function, so they agree to the bit. Input and
 * output may be the same memory: each x_i is read before y_i is written. */
#include <math.h>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/walk.h"

#define SOFTMAX_ROW(NAME, T, EXP)                                                                  \
    static void NAME(int64_t n, const T *x, int64_t sx, T *y, int64_t sy, bool log_out) {          \
        if (n == 0) return;                                                                        \
        T m = x[0];                                                                                \
        for (int64_t i = 1; i < n; i++)                                                            \
            if (x[i * sx] > m) m = x[i * sx];                                                      \
        double s = 0;                                                                              \
        if (log_out) {                                                                             \
            for (int64_t i = 0; i < n; i++)                                                        \
                s += (double)EXP(x[i * sx] - m);                                                   \
            double lse = log(s);                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i * sy] = (T)((double)(x[i * sx] - m) - lse);                                    \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T e = EXP(x[i * sx] - m);                                                          \
                y[i * sy] = e;                                                                     \
                s += (double)e;                                                                    \
            }                                                                                      \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i * sy] = (T)((double)y[i * sy] / s);                                            \
        }                                                                                          \
    }

SOFTMAX_ROW(softmax_row_f32, float, expf)
SOFTMAX_ROW(softmax_row_f64, double, exp)

void fedc__ref_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    for (int64_t r = 0; r < rows; r++)
        softmax_row_f32(cols, x + r * cols, 1, y + r * cols, 1, false);
}

void fedc__ref_log_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    for (int64_t r = 0; r < rows; r++)
        softmax_row_f32(cols, x + r * cols, 1, y + r * cols, 1, true);
}

void fedc__ref_softmax(const fedc_tensor *a, fedc_tensor *out, bool log_out) {
    if (fedc_tensor_numel(out) == 0) return;
    int last = a->shape.rank - 1; /* rank >= 1: the wrapper rejects scalars */
    int64_t n = a->shape.dims[last];
    int64_t es = (int64_t)fedc_dtype_size(a->dtype);
    int64_t idx[FEDC_MAX_RANK] = {0};
    do {
        int64_t oa = 0, oo = 0;
        for (int i = 0; i < last; i++) {
            oa += idx[i] * a->strides[i];
            oo += idx[i] * out->strides[i];
        }
        const char *pa = (const char *)a->data + oa * es;
        char *po = (char *)out->data + oo * es;
        if (a->dtype == FEDC_DTYPE_FLOAT32)
            softmax_row_f32(n, (const float *)pa, a->strides[last], (float *)po, out->strides[last],
                            log_out);
        else
            softmax_row_f64(n, (const double *)pa, a->strides[last], (double *)po,
                            out->strides[last], log_out);
    } while (fedc__next_index(last, a->shape.dims, idx));
}
