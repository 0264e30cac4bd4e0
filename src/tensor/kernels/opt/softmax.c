/* opt/softmax.c — optimized softmax and log-softmax along the last axis, for contiguous rows.
 *
 * The arithmetic per element is the reference's (exp of x - max in the element type, sums in
 * double, one rounding at the end), split into passes that the compiler vectorizes: max in
 * eight lanes, the exponentials (a libm call per element: without -ffast-math there is no
 * vector expf), the sum in eight double lanes combined in a fixed tree, then one scaling pass.
 * The grouped sum differs from the reference in the last bits and is deterministic. Strided
 * tensors go to the reference. Input and output may be the same memory. */
#include <math.h>

#include "tensor/kernels/kernels.h"

#define SOFTMAX_ROW(NAME, T, EXP)                                                                  \
    static T NAME##_max(int64_t n, const T *x) {                                                   \
        T m = x[0];                                                                                \
        int64_t i = 0;                                                                             \
        if (n >= 8) {                                                                              \
            T lane[8];                                                                             \
            for (int k = 0; k < 8; k++)                                                            \
                lane[k] = x[k];                                                                    \
            for (i = 8; i + 8 <= n; i += 8)                                                        \
                for (int k = 0; k < 8; k++)                                                        \
                    lane[k] = x[i + k] > lane[k] ? x[i + k] : lane[k];                             \
            for (int k = 0; k < 8; k++)                                                            \
                m = lane[k] > m ? lane[k] : m;                                                     \
        }                                                                                          \
        for (; i < n; i++)                                                                         \
            m = x[i] > m ? x[i] : m;                                                               \
        return m;                                                                                  \
    }                                                                                              \
    /* the sum of y[0..n) in double, eight lanes then a fixed tree */                              \
    static double NAME##_sum(int64_t n, const T *y) {                                              \
        double acc[8] = {0};                                                                       \
        int64_t i = 0;                                                                             \
        for (; i + 8 <= n; i += 8)                                                                 \
            for (int k = 0; k < 8; k++)                                                            \
                acc[k] += (double)y[i + k];                                                        \
        double s =                                                                                 \
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));     \
        for (; i < n; i++)                                                                         \
            s += (double)y[i];                                                                     \
        return s;                                                                                  \
    }                                                                                              \
    static void NAME(int64_t n, const T *x, T *y) {                                                \
        if (n == 0) return;                                                                        \
        T m = NAME##_max(n, x);                                                                    \
        for (int64_t i = 0; i < n; i++)                                                            \
            y[i] = EXP(x[i] - m);                                                                  \
        double inv = 1.0 / NAME##_sum(n, y);                                                       \
        for (int64_t i = 0; i < n; i++)                                                            \
            y[i] = (T)((double)y[i] * inv);                                                        \
    }                                                                                              \
    static void NAME##_log(int64_t n, const T *x, T *y) {                                          \
        if (n == 0) return;                                                                        \
        T m = NAME##_max(n, x);                                                                    \
        /* exponentials in blocks, since y may be x and x is needed again below */                 \
        double acc[8] = {0}, s = 0;                                                                \
        int64_t i = 0;                                                                             \
        for (; i + 8 <= n; i += 8) {                                                               \
            T e[8];                                                                                \
            for (int k = 0; k < 8; k++)                                                            \
                e[k] = EXP(x[i + k] - m);                                                          \
            for (int k = 0; k < 8; k++)                                                            \
                acc[k] += (double)e[k];                                                            \
        }                                                                                          \
        s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));     \
        for (; i < n; i++)                                                                         \
            s += (double)EXP(x[i] - m);                                                            \
        double lse = log(s);                                                                       \
        for (i = 0; i < n; i++)                                                                    \
            y[i] = (T)((double)(x[i] - m) - lse);                                                  \
    }

SOFTMAX_ROW(softmax_f32, float, expf)
SOFTMAX_ROW(softmax_f64, double, exp)

void fedc__opt_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    for (int64_t r = 0; r < rows; r++)
        softmax_f32(cols, x + r * cols, y + r * cols);
}

void fedc__opt_log_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y) {
    for (int64_t r = 0; r < rows; r++)
        softmax_f32_log(cols, x + r * cols, y + r * cols);
}

void fedc__opt_softmax(const fedc_tensor *a, fedc_tensor *out, bool log_out) {
    if (!fedc_tensor_is_contiguous(a) || !fedc_tensor_is_contiguous(out)) {
        fedc__ref_softmax(a, out, log_out);
        return;
    }
    int64_t cols = a->shape.dims[a->shape.rank - 1];
    int64_t rows = cols ? fedc_tensor_numel(a) / cols : 0;
    for (int64_t r = 0; r < rows; r++) {
        if (a->dtype == FEDC_DTYPE_FLOAT32) {
            const float *x = (const float *)a->data + r * cols;
            float *y = (float *)out->data + r * cols;
            if (log_out)
                softmax_f32_log(cols, x, y);
            else
                softmax_f32(cols, x, y);
        } else {
            const double *x = (const double *)a->data + r * cols;
            double *y = (double *)out->data + r * cols;
            if (log_out)
                softmax_f64_log(cols, x, y);
            else
                softmax_f64(cols, x, y);
        }
    }
}
